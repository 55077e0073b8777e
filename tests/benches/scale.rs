//! Benchmarks at the scale of a university, each beside its baseline in the
//! same run, on PostgreSQL and Redis:
//!
//! 1. a nested GraphQL read (a campaign's first 100 invitations and their
//!    people) at 64 concurrent clients, against the same rows fetched by
//!    hand-written SQL over a pool of the same size;
//! 2. response submission at 64 concurrent clients, against the same rows
//!    written by hand-written SQL; every submission must be stored;
//! 3. aggregation of a campaign of about a million answers, against one
//!    SQL aggregate of the item figures;
//! 4. a reminder step over 100,000 invitations to an SMTP sink on
//!    loopback, against a plain lettre loop sending as many messages;
//! 5. the resident memory of the api and worker processes under this load.
//!
//! The api and worker run as their own release binaries, so their memory
//! is theirs alone. Run:
//!
//! ```sh
//! cargo build --release -p api -p worker
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//! REDIS_URL=redis://127.0.0.1:6379 cargo bench -p tests --bench scale
//! ```
//!
//! `BENCH_LEARNERS` (default 40,400), `BENCH_TUTORS` (2,000),
//! `BENCH_CLIENTS` (64), `BENCH_SECONDS` (10), `BENCH_ROUNDS` (3 rounds of
//! the nested read and its baseline in turn), `BENCH_SUBMISSIONS` (5,000)
//! and `BENCH_REMINDERS` (100,000) change the sizes; `BENCH_STEPS`
//! (`1,2,3,4,5`) picks the figures to take. A fresh database is created and dropped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use anyhow::{Context as _, bail};
use chrono::Utc;
use entities::{campaign, invitation, item, person};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::{Value, json};
use worker::tokens::{TokenKey, hash_token};

const PASSWORD: &str = "bench-password-123";
const SECRET: &str = "bench-secret-key";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Throughput and latency of one measured run.
struct Run {
    requests: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn from(mut latencies: Vec<Duration>, seconds: f64) -> Self {
        latencies.sort();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        Self {
            requests: latencies.len(),
            seconds,
            p50_ms: at(0.50),
            p99_ms: at(0.99),
        }
    }
}

/// When a load run stops.
#[derive(Clone, Copy)]
enum Until {
    /// After so many seconds; each client counts on from its own index.
    Seconds(u64),
    /// After calls `0..count`, each made once.
    Done(usize),
}

/// Runs `call` on `clients` concurrent loops, recording each latency.
async fn load<F, Fut>(clients: usize, until: Until, call: F) -> anyhow::Result<Run>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let deadline = match until {
        Until::Seconds(s) => Some(started + Duration::from_secs(s)),
        Until::Done(_) => None,
    };
    let mut tasks = Vec::new();
    for client in 0..clients {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = client;
            loop {
                let more = match (deadline, until) {
                    (Some(deadline), _) => Instant::now() < deadline,
                    (None, Until::Done(count)) => i < count,
                    (None, Until::Seconds(_)) => false,
                };
                if !more {
                    break;
                }
                let t = Instant::now();
                call(i).await?;
                latencies.push(t.elapsed());
                i += clients;
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(Run::from(all, started.elapsed().as_secs_f64()))
}

/// Peak and current resident memory of a process, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// A child process ended by pid when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(
    binary: &PathBuf,
    args: &[&str],
    env: &[(&str, String)],
    log: &str,
) -> anyhow::Result<Process> {
    let log = std::fs::File::create(log)?;
    let mut command = Command::new(binary);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        command.env(k, v);
    }
    Ok(Process(command.spawn().with_context(|| {
        format!("starting {}", binary.display())
    })?))
}

/// An open campaign of the bfi questionnaire with invitations for
/// `people`; returns the campaign id and each invitation's token.
async fn open_campaign(
    db: &DatabaseConnection,
    tokens: &TokenKey,
    org: i64,
    questionnaire_id: i64,
    name: &str,
    people: &[i64],
) -> anyhow::Result<(i64, Vec<String>)> {
    let now = Utc::now();
    let c = campaign::Entity::insert(campaign::ActiveModel {
        organisation_id: Set(org),
        questionnaire_id: Set(questionnaire_id),
        name: Set(name.into()),
        opens_at: Set(now - chrono::Duration::hours(1)),
        closes_at: Set(now + chrono::Duration::days(10)),
        reminder_offsets_hours: Set(json!([])),
        min_group_size: Set(10),
        low_score_threshold: Set(0.5),
        launched_at: Set(Some(now - chrono::Duration::hours(1))),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let mut tokens_out = Vec::new();
    for chunk in people.chunks(4000) {
        let rows: Vec<invitation::ActiveModel> = chunk
            .iter()
            .map(|p| {
                let nonce = TokenKey::new_nonce();
                let token = tokens.token(&nonce);
                let row = invitation::ActiveModel {
                    organisation_id: Set(org),
                    campaign_id: Set(c.id),
                    person_id: Set(*p),
                    token_hash: Set(hash_token(&token)),
                    token_nonce: Set(nonce),
                    responded_at: Set(None),
                    opted_out_at: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                };
                tokens_out.push(token);
                row
            })
            .collect();
        invitation::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok((c.id, tokens_out))
}

/// Sends one reminder step to `count` new invitees through the product's
/// delivery code, checks each got exactly one email and a second sweep
/// sends none, then sends as many messages with a plain lettre loop.
async fn reminder_step(
    db: &DatabaseConnection,
    tokens: &TokenKey,
    org: i64,
    questionnaire_id: i64,
    count: usize,
) -> anyhow::Result<String> {
    let mail = Sink::start().await?;
    let now = Utc::now();
    let mut people = Vec::with_capacity(count);
    for start in (0..count).step_by(4000) {
        let rows: Vec<person::ActiveModel> = (start..(start + 4000).min(count))
            .map(|i| person::ActiveModel {
                organisation_id: Set(org),
                external_ref: Set(Some(format!("reminded-{i:07}"))),
                name: Set(format!("Reminded {i}")),
                email: Set(Some(format!("reminded{i}@generated.example"))),
                kind: Set(entities::PersonKind::Learner),
                language: Set("en".into()),
                time_zone: Set("Europe/Paris".into()),
                user_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        person::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    people.extend(
        person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(person::Column::OrganisationId.eq(org))
            .filter(person::Column::ExternalRef.like("reminded-%"))
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    let (campaign_id, _) = open_campaign(
        db,
        tokens,
        org,
        questionnaire_id,
        "Bench reminders",
        &people,
    )
    .await?;
    let settings = worker::Settings {
        smtp_url: Some(mail.url()),
        ..worker::Settings::default()
    };
    let ctx = worker::Context::new(&settings, db.clone(), tokens.clone())?;
    let t = Instant::now();
    let done = worker::delivery::sweep(&ctx, Some(campaign_id), Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ours = t.elapsed().as_secs_f64();
    let again = worker::delivery::sweep(&ctx, Some(campaign_id), Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let received = mail.received();
    let mut per_recipient = std::collections::HashMap::<String, usize>::new();
    for (recipients, _) in &received {
        for r in recipients {
            *per_recipient.entry(r.clone()).or_default() += 1;
        }
    }
    let duplicates = per_recipient.values().filter(|n| **n > 1).count();
    if done.sent != count || again.sent != 0 || per_recipient.len() != count || duplicates != 0 {
        bail!(
            "reminder step: {} sent, {} on the second sweep, {} recipients, {duplicates} with duplicates",
            done.sent,
            again.sent,
            per_recipient.len()
        );
    }

    let transport =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&mail.url())?.build();
    let sample = received.first().map_or(1000, |(_, size)| *size);
    let t = Instant::now();
    let plain = futures::stream::iter(0..count)
        .map(|i| {
            let transport = transport.clone();
            async move {
                let message = lettre::Message::builder()
                    .from("Tutorial programme <noreply@localhost>".parse()?)
                    .to(format!("plain{i}@generated.example").parse()?)
                    .subject("Reminder: Bench reminders")
                    .body("x".repeat(sample.saturating_sub(400)))?;
                lettre::AsyncTransport::send(&transport, message).await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let baseline = t.elapsed().as_secs_f64();
    if let Some(Err(e)) = plain.into_iter().find(Result::is_err) {
        bail!("plain lettre loop failed: {e}");
    }
    Ok(format!(
        "4. reminder step over {count} invitations: ours {ours:.1} s ({:.0} emails/s), each invitee exactly one email, none on a second sweep; plain lettre loop {baseline:.1} s ({:.0}/s); ratio {:.0} %",
        count as f64 / ours,
        count as f64 / baseline,
        100.0 * baseline / ours
    ))
}

/// What the sink keeps of each message: its recipients and size.
type Kept = Arc<std::sync::Mutex<Vec<(Vec<String>, usize)>>>;

/// A bare SMTP server on loopback that keeps each message's recipients and
/// size: fast enough that the sender, not the sink, is measured.
#[derive(Clone, Default)]
struct Sink {
    received: Kept,
    port: u16,
}

impl Sink {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sink = Self {
            port: listener.local_addr()?.port(),
            ..Self::default()
        };
        let kept = sink.received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = Self::serve(stream, kept).await;
                });
            }
        });
        Ok(sink)
    }

    async fn serve(stream: tokio::net::TcpStream, kept: Kept) -> anyhow::Result<()> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        stream.set_nodelay(true)?;
        // lettre writes a message's body and its final `.` in two writes
        // without TCP_NODELAY: against delayed acknowledgements the `.` waits
        // about 40 ms for the body's. Acknowledging at once, as a busy
        // server's socket does, measures the sender instead of that timer.
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink\r\n").await?;
        let mut recipients = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.buffer().is_empty() {
                quick_ack(lines.get_ref())?;
            }
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250 sink\r\n"
            } else if upper.starts_with("RCPT TO:") {
                recipients.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                b"250 ok\r\n"
            } else if upper.starts_with("DATA") {
                write.write_all(b"354 go on\r\n").await?;
                let mut size = 0;
                loop {
                    line.clear();
                    if lines.buffer().is_empty() {
                        quick_ack(lines.get_ref())?;
                    }
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    size += line.len();
                }
                if let Ok(mut kept) = kept.lock() {
                    kept.push((std::mem::take(&mut recipients), size));
                }
                b"250 kept\r\n"
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                // MAIL, RSET, NOOP.
                if upper.starts_with("RSET") {
                    recipients.clear();
                }
                b"250 ok\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn received(&self) -> Vec<(Vec<String>, usize)> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Acknowledges the next segment at once; Linux turns this off again by itself.
fn quick_ack(read: &tokio::net::tcp::OwnedReadHalf) -> std::io::Result<()> {
    let stream: &tokio::net::TcpStream = read.as_ref();
    socket2::SockRef::from(stream).set_tcp_quickack(true)
}

/// Prints a result line and keeps it for the results file.
fn say(report: &mut String, line: String) {
    println!("{line}");
    report.push_str(&line);
    report.push('\n');
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let server_url = std::env::var("DATABASE_URL")
        .context("set DATABASE_URL to a PostgreSQL server: the benchmarks run at scale")?;
    let redis_url = std::env::var("REDIS_URL").context("set REDIS_URL")?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let api_bin = root.join("target/release/api");
    let worker_bin = root.join("target/release/worker");
    if !api_bin.exists() || !worker_bin.exists() {
        bail!("build the binaries first: cargo build --release -p api -p worker");
    }
    let clients = env_or("BENCH_CLIENTS", 64);
    let seconds = env_or("BENCH_SECONDS", 10) as u64;
    let submissions = env_or("BENCH_SUBMISSIONS", 5_000);
    let scale = api::generate::Scale {
        learners: env_or("BENCH_LEARNERS", 40_400),
        tutors: env_or("BENCH_TUTORS", 2_000),
        campaigns: 2,
        response_rate: 1.0,
        sessions_per_matching: 4,
        seed: 7,
    };

    let name = format!("bench_{}", std::process::id());
    let server = Database::connect(&server_url).await?;
    server
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    // The fresh database, with the server's options (`?sslmode=…`).
    let (address, options) = match server_url.split_once('?') {
        Some((address, options)) => (address, format!("?{options}")),
        None => (server_url.as_str(), String::new()),
    };
    let (base, _) = address
        .rsplit_once('/')
        .context("no database in DATABASE_URL")?;
    let database_url = format!("{base}/{name}{options}");
    let result = bench(
        &root,
        &api_bin,
        &worker_bin,
        &database_url,
        &redis_url,
        clients,
        seconds,
        submissions,
        &scale,
    )
    .await;
    server
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    result
}

#[allow(clippy::too_many_arguments)]
async fn bench(
    root: &std::path::Path,
    api_bin: &PathBuf,
    worker_bin: &PathBuf,
    database_url: &str,
    redis_url: &str,
    clients: usize,
    seconds: u64,
    submissions: usize,
    scale: &api::generate::Scale,
) -> anyhow::Result<()> {
    let mut report = String::new();

    // The organisation.
    let settings = worker::Settings {
        database_url: Some(database_url.into()),
        db_max_connections: 10,
        ..worker::Settings::default()
    };
    let db = worker::db::connect(&settings).await?;
    worker::db::migrate(&db).await?;
    let tokens = TokenKey::new(SECRET.as_bytes());
    let made = api::generate::generate(&db, &tokens, "bench", PASSWORD, scale)
        .await
        .map_err(|e| anyhow::anyhow!("generation failed: {e:?}"))?;
    say(
        &mut report,
        format!(
            "generated {} learners, {} tutors, {} matchings, {} sessions, {} responses, {} answers in {:.1} s",
            made.learners,
            made.tutors,
            made.matchings,
            made.sessions,
            made.responses,
            made.answers,
            made.seconds
        ),
    );

    // The api and a worker as release binaries, with an SMTP sink.
    let mail = tests::MailSink::start()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let env = vec![
        ("DATABASE_URL", database_url.to_owned()),
        ("REDIS_URL", redis_url.to_owned()),
        ("SECRET_KEY", SECRET.to_owned()),
        ("SMTP_URL", mail.url()),
        ("BIND", format!("127.0.0.1:{port}")),
        ("PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("LOG_FORMAT", "json".to_owned()),
        ("SWEEP_INTERVAL_SECS", "3600".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
        ("DB_MAX_CONNECTIONS", "10".to_owned()),
    ];
    let logs = root.join("target");
    let api = spawn(
        api_bin,
        &["serve", "--no-migrate"],
        &env,
        &logs.join("bench-api.log").to_string_lossy(),
    )?;
    let worker = spawn(
        worker_bin,
        &[],
        &env,
        &logs.join("bench-worker.log").to_string_lossy(),
    )?;
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let ready = Instant::now();
    while !http
        .get(format!("{url}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        if ready.elapsed() > Duration::from_secs(60) {
            bail!("the api did not become ready; see target/bench-api.log");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (api_idle, _) = memory(api.0.id());
    say(
        &mut report,
        format!("api resident memory at rest: {api_idle:.1} MiB"),
    );

    let signed: Value = http
        .post(format!("{url}/graphql"))
        .json(&json!({ "query": "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }",
                       "variables": { "e": made.admin_email, "p": PASSWORD } }))
        .send()
        .await?
        .json()
        .await?;
    let token = signed["data"]["signIn"]["token"]
        .as_str()
        .context("sign in")?
        .to_owned();
    let campaign_id = made.campaign_ids[0];
    let global_id = api::ids::encode("Campaign", campaign_id).to_string();

    let sql_pool = worker::db::connect(&settings).await?;
    let steps = std::env::var("BENCH_STEPS").unwrap_or_else(|_| "1,2,3,4,5".into());
    let step = |n: &str| steps.split(',').any(|s| s.trim() == n);
    let questionnaire_id = campaign::Entity::find_by_id(campaign_id)
        .one(&db)
        .await?
        .context("campaign")?
        .questionnaire_id;
    let items: Vec<(i64, String)> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .column(item::Column::Code)
        .filter(item::Column::QuestionnaireId.eq(questionnaire_id))
        .order_by_asc(item::Column::Position)
        .into_tuple()
        .all(&db)
        .await?;

    // 1. Nested read.
    let rounds = env_or("BENCH_ROUNDS", 3).max(1);
    let mut api_peak_read = f64::NAN;
    if step("1") {
        let query = json!({
            "query": "query($id: ID!) { node(id: $id) { ... on Campaign { invitations(first: 100) { edges { node { respondedAt person { name email } } } } } } }",
            "variables": { "id": global_id },
        });
        let check: Value = http
            .post(format!("{url}/graphql"))
            .bearer_auth(&token)
            .json(&query)
            .send()
            .await?
            .json()
            .await?;
        let edges = check["data"]["node"]["invitations"]["edges"]
            .as_array()
            .map_or(0, Vec::len);
        if edges != 100 {
            bail!("the nested read returned {edges} invitations: {check}");
        }
        let graphql = || {
            let (http, url, token, query) =
                (http.clone(), url.clone(), token.clone(), query.clone());
            load(clients, Until::Seconds(seconds), move |_| {
                let (http, url, token, query) =
                    (http.clone(), url.clone(), token.clone(), query.clone());
                async move {
                    let r = http
                        .post(format!("{url}/graphql"))
                        .bearer_auth(&token)
                        .json(&query)
                        .send()
                        .await?;
                    if !r.status().is_success() {
                        bail!("status {}", r.status());
                    }
                    r.bytes().await?;
                    Ok(())
                }
            })
        };
        let sql = || {
            let pool = sql_pool.clone();
            load(clients, Until::Seconds(seconds), move |_| {
                let pool = pool.clone();
                async move {
                    let rows = pool
                        .query_all_raw(Statement::from_sql_and_values(
                            DbBackend::Postgres,
                            // The page first, oldest first as the API lists
                            // them, then its people: what a careful hand would write.
                            "WITH page AS (SELECT id, person_id, responded_at FROM invitation \
                             WHERE campaign_id = $1 ORDER BY id LIMIT 101) \
                             SELECT page.id, page.responded_at, p.name, p.email FROM page \
                             JOIN person p ON p.id = page.person_id ORDER BY page.id",
                            [campaign_id.into()],
                        ))
                        .await?;
                    let out: Vec<Value> = rows
                        .iter()
                        .map(|r| {
                            json!({ "respondedAt": r.try_get::<Option<chrono::DateTime<Utc>>>("", "responded_at").ok().flatten(),
                                    "person": { "name": r.try_get::<String>("", "name").unwrap_or_default(),
                                                "email": r.try_get::<Option<String>>("", "email").ok().flatten() } })
                        })
                        .collect();
                    serde_json::to_vec(&out)?;
                    Ok(())
                }
            })
        };
        // Rounds alternate the two, so that a slow spell of the shared
        // machine falls on both; the ratio is the median of the rounds'.
        let mut ratios = Vec::new();
        for round in 1..=rounds {
            let ours = graphql().await?;
            api_peak_read = api_peak_read.max(memory(api.0.id()).0);
            let theirs = sql().await?;
            let ratio = 100.0 * ours.rate() / theirs.rate();
            ratios.push(ratio);
            say(
                &mut report,
                format!(
                    "1. nested read, {clients} clients, round {round}: GraphQL {:.0} req/s (p50 {:.1} ms, p99 {:.1} ms); SQL {:.0} req/s (p50 {:.1} ms, p99 {:.1} ms); ratio {ratio:.0} %",
                    ours.rate(),
                    ours.p50_ms,
                    ours.p99_ms,
                    theirs.rate(),
                    theirs.p50_ms,
                    theirs.p99_ms,
                ),
            );
        }
        ratios.sort_by(f64::total_cmp);
        say(
            &mut report,
            format!(
                "1. nested read: median ratio of {rounds} rounds {:.0} % (from {:.0} to {:.0} %)",
                ratios[ratios.len() / 2],
                ratios[0],
                ratios[ratios.len() - 1]
            ),
        );
    }

    // 2. Submissions.
    let mut api_peak_submit = f64::NAN;
    if step("2") {
        let learners: Vec<i64> = person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(person::Column::OrganisationId.eq(made.organisation_id))
            .filter(person::Column::Kind.eq(entities::PersonKind::Learner))
            .order_by_asc(person::Column::Id)
            .limit(2 * submissions as u64)
            .into_tuple()
            .all(&db)
            .await?;
        if learners.len() < 2 * submissions {
            bail!("BENCH_SUBMISSIONS needs {} learners", 2 * submissions);
        }
        let (api_campaign, api_tokens) = open_campaign(
            &db,
            &tokens,
            made.organisation_id,
            questionnaire_id,
            "Bench submissions",
            &learners[..submissions],
        )
        .await?;
        let (sql_campaign, _) = open_campaign(
            &db,
            &tokens,
            made.organisation_id,
            questionnaire_id,
            "Bench submissions (SQL)",
            &learners[submissions..],
        )
        .await?;
        let answers: Vec<Value> = items
            .iter()
            .enumerate()
            .map(|(k, (_, code))| json!({ "item": code, "number": 1 + (k % 6) }))
            .collect();
        let submit = {
            let (http, url, tokens, answers) = (
                http.clone(),
                url.clone(),
                Arc::new(api_tokens),
                Arc::new(answers),
            );
            load(clients, Until::Done(submissions), move |i| {
            let (http, url, tokens, answers) = (http.clone(), url.clone(), tokens.clone(), answers.clone());
            async move {
                let body = json!({
                    "query": "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { accepted } }",
                    "variables": { "input": { "token": tokens[i], "answers": *answers } },
                });
                let r: Value = http.post(format!("{url}/graphql")).json(&body).send().await?.json().await?;
                if r["data"]["submitResponse"]["accepted"] != true {
                    bail!("submission refused: {r}");
                }
                Ok(())
            }
        })
        .await?
        };
        api_peak_submit = memory(api.0.id()).0;
        let stored = entities::response::Entity::find()
            .filter(entities::response::Column::CampaignId.eq(api_campaign))
            .count(&db)
            .await?;
        let sql_invitations: Vec<(i64, i64)> = invitation::Entity::find()
            .select_only()
            .column(invitation::Column::Id)
            .column(invitation::Column::PersonId)
            .filter(invitation::Column::CampaignId.eq(sql_campaign))
            .order_by_asc(invitation::Column::Id)
            .into_tuple()
            .all(&db)
            .await?;
        let raw = {
            let (pool, invitations, items) = (
                sql_pool.clone(),
                Arc::new(sql_invitations),
                Arc::new(items.clone()),
            );
            let org = made.organisation_id;
            load(clients, Until::Done(submissions), move |i| {
            let (pool, invitations, items) = (pool.clone(), invitations.clone(), items.clone());
            async move {
                use sea_orm::TransactionTrait;
                let (invitation_id, person_id) = invitations[i];
                let txn = pool.begin().await?;
                let claimed = txn
                    .execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "UPDATE invitation SET responded_at = now() WHERE id = $1 AND responded_at IS NULL",
                        [invitation_id.into()],
                    ))
                    .await?;
                if claimed.rows_affected() != 1 {
                    bail!("invitation used twice");
                }
                let row = txn
                    .query_one_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "INSERT INTO response (organisation_id, campaign_id, invitation_id, source, attributes, digest, person_id, submitted_at) \
                         VALUES ($1, $2, $3, 'invitation', '{}', $4, $5, now()) RETURNING id",
                        [org.into(), sql_campaign.into(), invitation_id.into(), format!("raw-{invitation_id}").into(), person_id.into()],
                    ))
                    .await?
                    .context("no id")?;
                let response_id: i64 = row.try_get("", "id")?;
                let mut values: Vec<sea_orm::Value> = Vec::new();
                let mut placeholders = Vec::new();
                for (k, (item_id, _)) in items.iter().enumerate() {
                    let n = values.len();
                    placeholders.push(format!("(${}, ${}, ${})", n + 1, n + 2, n + 3));
                    values.push(response_id.into());
                    values.push((*item_id).into());
                    values.push(((1 + k % 6) as f64).into());
                }
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!("INSERT INTO answer (response_id, item_id, number_value) VALUES {}", placeholders.join(", ")),
                    values,
                ))
                .await?;
                txn.commit().await?;
                Ok(())
            }
        })
        .await?
        };
        say(
            &mut report,
            format!(
                "2. submissions, {clients} clients: GraphQL {:.0}/s (p50 {:.1} ms, p99 {:.1} ms), {stored} of {submissions} stored; SQL {:.0}/s (p50 {:.1} ms, p99 {:.1} ms); ratio {:.0} %",
                submit.rate(),
                submit.p50_ms,
                submit.p99_ms,
                raw.rate(),
                raw.p50_ms,
                raw.p99_ms,
                100.0 * submit.rate() / raw.rate()
            ),
        );
        if stored != submissions as u64 {
            bail!("{stored} responses stored for {submissions} submissions");
        }
    }

    // 3. Aggregation of the biggest campaign.
    if step("3") {
        let answers_in: i64 = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM answer a JOIN response r ON r.id = a.response_id WHERE r.campaign_id = $1",
            [campaign_id.into()],
        ))
        .await?
        .context("count")?
        .try_get("", "n")?;
        // Building the running totals reads every answer, as the first
        // aggregation of a campaign does; later ones, as after each
        // submission, start from them.
        let t = Instant::now();
        worker::jobs::rebuild(&db, campaign_id).await?;
        let building = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let results = worker::jobs::aggregate(&db, campaign_id).await?;
        let ours = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let version = worker::jobs::generate_report(&db, campaign_id).await?;
        let report_seconds = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let sql_rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT a.item_id, COUNT(a.number_value) AS n, AVG(a.number_value) AS mean, \
             STDDEV_SAMP(a.number_value) AS sd, \
             PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY a.number_value) AS median \
             FROM answer a JOIN response r ON r.id = a.response_id \
             WHERE r.campaign_id = $1 GROUP BY a.item_id",
                [campaign_id.into()],
            ))
            .await?;
        let baseline = t.elapsed().as_secs_f64();
        let first_item = items[0].0;
        let sql_mean: f64 = sql_rows
            .iter()
            .find(|r| r.try_get::<i64>("", "item_id").ok() == Some(first_item))
            .and_then(|r| r.try_get::<f64>("", "mean").ok())
            .unwrap_or(f64::NAN);
        let our_mean = results
            .items
            .first()
            .and_then(|i| i.summary.mean)
            .unwrap_or(f64::NAN);
        if (sql_mean - our_mean).abs() > 1e-9 {
            bail!("item means differ: ours {our_mean}, SQL {sql_mean}");
        }
        say(
            &mut report,
            format!(
                "3. aggregation of {answers_in} answers ({} responses): from running totals {ours:.3} s, report v{version} {report_seconds:.3} s; building the totals from every answer {building:.2} s; SQL aggregate {baseline:.2} s; ratios {:.2}× (totals + report), {:.1}× (building)",
                results.responses,
                (ours + report_seconds) / baseline,
                building / baseline
            ),
        );
    }

    // 4. A reminder step over many invitations, in this process, to the
    // SMTP sink; then the same number of messages by a plain lettre loop.
    let reminders = env_or("BENCH_REMINDERS", 100_000);
    if step("4") {
        let line = reminder_step(
            &db,
            &tokens,
            made.organisation_id,
            questionnaire_id,
            reminders,
        )
        .await?;
        say(&mut report, line);
    }

    // 5. Memory, after the worker has caught up with the queued aggregations.
    let caught_up = Instant::now();
    loop {
        let depth: Value = http
            .get(format!("{url}/metrics"))
            .send()
            .await?
            .text()
            .await
            .map(|t| {
                json!(
                    t.lines()
                        .find_map(|l| l.strip_prefix("job_queue_depth{state=\"pending\"} "))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                )
            })?;
        if depth == json!(0) || caught_up.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (api_peak, api_now) = memory(api.0.id());
    let (worker_peak, worker_now) = memory(worker.0.id());
    say(
        &mut report,
        format!(
            "5. memory: api peak {api_peak:.1} MiB (after reads {api_peak_read:.1}, after submissions {api_peak_submit:.1}, now {api_now:.1}); worker peak {worker_peak:.1} MiB (now {worker_now:.1})"
        ),
    );
    std::fs::write(root.join("target/bench-scale.txt"), &report)?;
    drop(api);
    drop(worker);
    Ok(())
}
