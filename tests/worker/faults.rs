//! Delivery under faults: the worker killed mid-step, Redis restarted
//! mid-step, an SMTP server slow to answer. The worker runs as a process of
//! its own (`jobs-process`) so it can be killed for real.

use std::collections::{BTreeMap, HashSet};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use chrono::Utc;
use entities::{EmailStatus, PersonKind, campaign, email_message, invitation, person};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use tests::{MailSink, TestEnv};
use worker::tokens::{TokenKey, hash_token};

/// Seconds one email may take at the mail server, unless a test needs
/// more; a claim lapses after three times this plus three database waits
/// (2 s each here): 12 s.
const SMTP_TIMEOUT_SECS: u64 = 2;

/// A test's database, SMTP server and settings, and a worker process to
/// start and stop.
struct Stage {
    env: TestEnv,
    db: DatabaseConnection,
    sink: MailSink,
    config: PathBuf,
    log: PathBuf,
}

/// A process we started, killed with it if the test ends early.
struct Process(Child);

impl Process {
    /// Ends the process at once, as a crash or `kill -9` would.
    fn kill(mut self) -> anyhow::Result<()> {
        self.0.kill()?;
        self.0.wait()?;
        Ok(())
    }

    /// Asks the process to stop (SIGTERM) and waits for it, at most `within`.
    async fn terminate(mut self, within: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()?;
        ensure!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.0.try_wait()? {
                return Ok(status);
            }
            ensure!(Instant::now() < deadline, "still running after {within:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn ensure_running(&mut self, what: &str) -> anyhow::Result<()> {
        if let Some(status) = self.0.try_wait()? {
            bail!("{what} exited: {status}");
        }
        Ok(())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Stage {
    async fn new(sink: MailSink, redis_url: Option<String>) -> anyhow::Result<Self> {
        Self::with_timeout(sink, redis_url, SMTP_TIMEOUT_SECS).await
    }

    async fn with_timeout(
        sink: MailSink,
        redis_url: Option<String>,
        smtp_timeout_secs: u64,
    ) -> anyhow::Result<Self> {
        let mut env = TestEnv::new().await?;
        let s = &mut env.settings;
        s.smtp_url = Some(sink.url());
        s.smtp_timeout_secs = smtp_timeout_secs;
        s.sweep_interval_secs = 1;
        if redis_url.is_some() {
            s.redis_url = redis_url;
        }
        let db = worker::db::connect(s).await?;
        worker::db::migrate(&db).await?;

        let mut toml = format!(
            "data_dir = {:?}\nsecret_key = {:?}\nsmtp_url = {:?}\n\
             smtp_timeout_secs = {smtp_timeout_secs}\nsweep_interval_secs = 1\n\
             job_heartbeat_secs = 1\ndb_timeout_secs = 2\n\
             db_max_connections = 5\nlog_format = \"json\"\n",
            s.data_dir.display().to_string(),
            s.secret_key.clone().unwrap_or_default(),
            sink.url(),
        );
        if let Some(url) = &s.database_url {
            toml.push_str(&format!("database_url = {url:?}\n"));
        }
        if let Some(url) = &s.redis_url {
            toml.push_str(&format!("redis_url = {url:?}\n"));
        }
        let config = s.data_dir.join("worker.toml");
        let log = s.data_dir.join("worker.log");
        std::fs::write(&config, toml)?;
        Ok(Self {
            env,
            db,
            sink,
            config,
            log,
        })
    }

    /// Starts a worker process: its queue, its clocks, a sweep every second.
    fn start_worker(&self) -> anyhow::Result<Process> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(env!("CARGO_BIN_EXE_jobs-process"))
            .arg(&self.config)
            .arg(&self.env.queue)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start jobs-process")?;
        Ok(Process(child))
    }

    /// The end of the worker's log, to explain a failure.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// How many lines of the worker's log contain `text`.
    fn log_count(&self, text: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines().filter(|l| l.contains(text)).count()
    }

    /// A launched campaign whose `n` invitees had their invitation two
    /// days ago and are due their first reminder now. Returns their addresses.
    async fn reminder_due(&self, n: usize) -> anyhow::Result<Vec<String>> {
        let db = &self.db;
        let (org, questionnaire) = tests::organisation_with_questionnaire(db).await?;
        let now = Utc::now();
        let opens = now - chrono::Duration::days(2);
        let c = campaign::Entity::insert(campaign::ActiveModel {
            organisation_id: Set(org),
            questionnaire_id: Set(questionnaire.id),
            name: Set("Autumn check-in".into()),
            opens_at: Set(opens),
            closes_at: Set(now + chrono::Duration::days(5)),
            reminder_offsets_hours: Set(serde_json::json!([24])),
            min_group_size: Set(5),
            low_score_threshold: Set(0.5),
            launched_at: Set(Some(opens)),
            created_at: Set(opens),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;

        let tokens = worker::token_key(&self.env.settings)?;
        let addresses: Vec<String> = (0..n).map(|i| format!("learner{i}@org.test")).collect();
        for chunk in addresses.chunks(200) {
            let people =
                person::Entity::insert_many(chunk.iter().map(|email| person::ActiveModel {
                    organisation_id: Set(org),
                    name: Set(format!("Learner {email}")),
                    email: Set(Some(email.clone())),
                    kind: Set(PersonKind::Learner),
                    language: Set("en".into()),
                    time_zone: Set("UTC".into()),
                    created_at: Set(opens),
                    ..Default::default()
                }))
                .exec_with_returning(db)
                .await?;
            let invitations = invitation::Entity::insert_many(people.iter().map(|p| {
                let nonce = TokenKey::new_nonce();
                invitation::ActiveModel {
                    organisation_id: Set(org),
                    campaign_id: Set(c.id),
                    person_id: Set(p.id),
                    token_hash: Set(hash_token(&tokens.token(&nonce))),
                    token_nonce: Set(nonce),
                    created_at: Set(opens),
                    ..Default::default()
                }
            }))
            .exec_with_returning(db)
            .await?;
            // The invitations went out when the campaign opened.
            email_message::Entity::insert_many(invitations.iter().zip(&people).map(|(inv, p)| {
                email_message::ActiveModel {
                    organisation_id: Set(org),
                    key: Set(format!("invitation:{}:step:0", inv.id)),
                    campaign_id: Set(Some(c.id)),
                    invitation_id: Set(Some(inv.id)),
                    step: Set(Some(0)),
                    recipient: Set(p.email.clone().unwrap_or_default()),
                    subject: Set("Invitation".into()),
                    status: Set(EmailStatus::Sent),
                    created_at: Set(opens),
                    claimed_at: Set(Some(opens)),
                    sent_at: Set(Some(opens)),
                    ..Default::default()
                }
            }))
            .exec_without_returning(db)
            .await?;
        }
        Ok(addresses)
    }

    /// Waits until the SMTP server has at least `n` messages.
    async fn until_received(&self, n: usize, worker: &mut Process) -> anyhow::Result<usize> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let count = self.sink.count();
            if count >= n {
                return Ok(count);
            }
            worker
                .ensure_running("the worker")
                .with_context(|| self.log_tail())?;
            if Instant::now() > deadline {
                bail!(
                    "{count} of {n} messages in two minutes\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Waits until every reminder is recorded as sent, then for two more
    /// sweeps, and returns how long it took.
    async fn until_all_sent(&self, n: u64, worker: &mut Process) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(120);
        loop {
            let sent = email_message::Entity::find()
                .filter(email_message::Column::Step.eq(1))
                .filter(email_message::Column::Status.eq(EmailStatus::Sent))
                .count(&self.db)
                .await?;
            if sent >= n {
                break;
            }
            worker
                .ensure_running("the worker")
                .with_context(|| self.log_tail())?;
            if Instant::now() > deadline {
                bail!(
                    "{sent} of {n} reminders sent in two minutes\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let took = started.elapsed();
        tokio::time::sleep(Duration::from_millis(2500)).await;
        Ok(took)
    }

    /// Checks that each of `addresses` has the step's reminder under one
    /// Message-ID, and nobody else has anything; returns how many copies
    /// arrived beyond the first.
    fn one_reminder_each(&self, addresses: &[String]) -> anyhow::Result<usize> {
        let mut by_recipient: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in self.sink.messages() {
            let id = m
                .header("Message-ID")
                .context("a message without Message-ID")?;
            for to in &m.recipients {
                by_recipient
                    .entry(to.trim_matches(['<', '>']).to_owned())
                    .or_default()
                    .push(id.clone());
            }
        }
        let expected: HashSet<&str> = addresses.iter().map(String::as_str).collect();
        let strangers: Vec<&String> = by_recipient
            .keys()
            .filter(|a| !expected.contains(a.as_str()))
            .collect();
        ensure!(strangers.is_empty(), "mail to {strangers:?}");
        let mut extra = 0;
        for address in addresses {
            let ids = by_recipient
                .get(address)
                .with_context(|| format!("{address} got no reminder"))?;
            let distinct: HashSet<&String> = ids.iter().collect();
            ensure!(
                distinct.len() == 1 && ids[0].contains(".step.1."),
                "{address} got {ids:?}"
            );
            extra += ids.len() - 1;
        }
        Ok(extra)
    }
}

/// A free port on loopback, for a server started next.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_step_and_restarted_leaves_each_invitee_one_reminder()
-> anyhow::Result<()> {
    let stage = Stage::new(MailSink::start()?, None).await?;
    let addresses = stage.reminder_due(1000).await?;

    let mut worker = stage.start_worker()?;
    let at_kill = stage.until_received(250, &mut worker).await?;
    worker.kill()?;
    ensure!(
        at_kill < 1000,
        "the step ended before the kill ({at_kill} sent)"
    );

    let mut restarted = stage.start_worker()?;
    let took = stage.until_all_sent(1000, &mut restarted).await?;
    restarted.kill()?;

    let extra = stage.one_reminder_each(&addresses)?;
    // Only emails at the SMTP server at the moment of the kill can be sent
    // twice: two batches of eight at most, each again under its Message-ID.
    ensure!(extra <= 16, "{extra} second copies");
    eprintln!(
        "{}: killed after {at_kill} of 1000 reminders; every invitee has one; \
         {extra} resent under the same Message-ID; done {:.1} s after the restart",
        stage.env.backend(),
        took.as_secs_f64()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_restarted_mid_step_leaves_each_invitee_exactly_one_reminder() -> anyhow::Result<()> {
    if std::env::var("REDIS_URL").is_ok_and(|u| !u.is_empty()) {
        // A Redis of our own, since this one is stopped mid-test.
    } else {
        eprintln!("runs with REDIS_URL set: the embedded job store has no Redis to restart");
        return Ok(());
    }
    let port = free_port()?;
    let start_redis = || -> anyhow::Result<Process> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .context("redis-server is needed with REDIS_URL")?;
        Ok(Process(child))
    };
    let until_up = || async {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    };
    let redis = start_redis()?;
    until_up().await?;
    let url = format!("redis://127.0.0.1:{port}");
    let stage = Stage::new(MailSink::start()?, Some(url)).await?;
    let addresses = stage.reminder_due(1000).await?;

    let mut worker = stage.start_worker()?;
    let at_stop = stage.until_received(250, &mut worker).await?;
    redis.kill()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _redis = start_redis()?;
    until_up().await?;
    ensure!(
        at_stop < 1000,
        "the step ended before Redis stopped ({at_stop} sent)"
    );

    let took = stage.until_all_sent(1000, &mut worker).await?;
    worker.kill()?;

    // The worker never stopped: nothing is left in doubt, nothing resent.
    let extra = stage.one_reminder_each(&addresses)?;
    ensure!(extra == 0, "{extra} second copies");
    eprintln!(
        "Redis restarted after {at_stop} of 1000 reminders; every invitee has exactly one; \
         done {:.1} s after; the job worker restarted {} times",
        took.as_secs_f64(),
        stage.log_count("job worker restarts")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_smtp_server_answering_late_gets_no_second_copy() -> anyhow::Result<()> {
    // Each message is taken in at once and answered 1.5 s later, within
    // the 2 s the mailer waits; a sweep runs every second meanwhile.
    let sink = MailSink::answering_after(Duration::from_millis(1500))?;
    let stage = Stage::with_timeout(sink, None, 2).await?;
    let addresses = stage.reminder_due(40).await?;

    let mut worker = stage.start_worker()?;
    stage.until_all_sent(40, &mut worker).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    worker.kill()?;

    let extra = stage.one_reminder_each(&addresses)?;
    ensure!(extra == 0, "{extra} second copies");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_held_by_a_killed_worker_is_run_by_the_next() -> anyhow::Result<()> {
    use entities::{campaign_accumulator, job_run};
    use sea_orm::{ConnectionTrait, DbBackend, QuerySelect};

    let stage = Stage::new(MailSink::start()?, None).await?;
    stage.reminder_due(5).await?;
    let campaign = campaign::Entity::find()
        .one(&stage.db)
        .await?
        .context("no campaign")?;
    worker::jobs::aggregate(&stage.db, campaign.id).await?;

    // The figures are held by someone else: the job waits, in the worker.
    let held = worker::db::begin_write(&stage.db).await?;
    if held.get_database_backend() == DbBackend::Postgres {
        campaign_accumulator::Entity::find()
            .filter(campaign_accumulator::Column::CampaignId.eq(campaign.id))
            .lock_exclusive()
            .one(&held)
            .await?;
    }
    let queue = worker::JobQueue::open_named(&stage.env.settings, &stage.env.queue).await?;
    let mut first = stage.start_worker()?;
    queue
        .push(worker::Job::AggregateCampaign {
            campaign_id: campaign.id,
        })
        .await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while queue.depth().await?.running == 0 {
        first
            .ensure_running("the worker")
            .with_context(|| stage.log_tail())?;
        ensure!(
            Instant::now() < deadline,
            "the job never started\n{}",
            stage.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill()?;
    held.rollback().await?;
    let runs = || {
        job_run::Entity::find()
            .filter(job_run::Column::Kind.eq("aggregate_campaign"))
            .count(&stage.db)
    };
    ensure!(runs().await? == 0, "the killed worker finished the job");

    // The next worker finds the job's holder silent and runs it.
    let started = Instant::now();
    let mut next = stage.start_worker()?;
    while runs().await? == 0 {
        next.ensure_running("the worker")
            .with_context(|| stage.log_tail())?;
        ensure!(
            started.elapsed() < Duration::from_secs(60),
            "the job was not run again\n{}",
            stage.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    next.kill()?;
    let outcome = job_run::Entity::find()
        .filter(job_run::Column::Kind.eq("aggregate_campaign"))
        .one(&stage.db)
        .await?
        .context("no run")?
        .outcome;
    ensure!(outcome == "ok", "the job ran again but ended {outcome}");
    eprintln!(
        "{}: the job held by the killed worker ran {:.1} s after the next one started",
        stage.env.backend(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_stopped_mid_step_finishes_it_first() -> anyhow::Result<()> {
    let stage = Stage::new(MailSink::start()?, None).await?;
    let addresses = stage.reminder_due(1000).await?;

    let mut worker = stage.start_worker()?;
    let at_stop = stage.until_received(250, &mut worker).await?;
    let status = worker.terminate(Duration::from_secs(40)).await?;
    ensure!(
        status.success(),
        "the worker ended {status}\n{}",
        stage.log_tail()
    );
    ensure!(
        at_stop < 1000,
        "the step ended before the stop ({at_stop} sent)"
    );

    // Nothing runs any more: what was sent is what the step sent.
    let sent = email_message::Entity::find()
        .filter(email_message::Column::Step.eq(1))
        .filter(email_message::Column::Status.eq(EmailStatus::Sent))
        .count(&stage.db)
        .await?;
    ensure!(sent == 1000, "{sent} of 1000 recorded as sent at exit");
    let extra = stage.one_reminder_each(&addresses)?;
    ensure!(extra == 0, "{extra} second copies");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_later_than_the_deadline_counts_as_none_and_the_resend_keeps_the_message_id()
-> anyhow::Result<()> {
    use entities::email_message;
    // Answered 3 s after the message, when the mailer gives up after 2 s.
    let sink = MailSink::answering_after(Duration::from_secs(3))?;
    let stage = Stage::new(sink, None).await?;
    let addresses = stage.reminder_due(2).await?;

    let mut worker = stage.start_worker()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while stage.sink.count() < 4 {
        worker
            .ensure_running("the worker")
            .with_context(|| stage.log_tail())?;
        ensure!(Instant::now() < deadline, "no resend\n{}", stage.log_tail());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.kill()?;

    // Each resend is the same message: one Message-ID per invitee.
    let extra = stage.one_reminder_each(&addresses)?;
    ensure!(extra >= 2, "{extra} resends");
    let deferred = email_message::Entity::find()
        .filter(email_message::Column::Step.eq(1))
        .all(&stage.db)
        .await?;
    ensure!(
        deferred
            .iter()
            .all(|e| e.status != EmailStatus::Sent && e.error.is_some()),
        "{deferred:?}"
    );
    Ok(())
}
