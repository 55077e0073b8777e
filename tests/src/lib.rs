//! What the end-to-end tests share: a database of their own, a job queue of
//! their own, an SMTP server on loopback and the application on port 0.
//!
//! With `DATABASE_URL` set, each test gets a fresh PostgreSQL database,
//! dropped afterwards; with `REDIS_URL`, its own Redis queue. Otherwise a
//! temporary folder holds a SQLite database and the embedded job store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod proxy;
pub mod smtp;

use std::time::Duration;

use anyhow::{Context as _, bail};
use api::{Application, Options};
use entities::{Role, job_run};
use redis::Commands;
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use worker::Settings;

pub use smtp::MailSink;

/// Password of every account the tests create.
pub const PASSWORD: &str = "correct horse battery";

fn suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

/// A PostgreSQL database that lives as long as the test.
struct PgDatabase {
    server_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        // Drop runs outside async code: a short-lived runtime does the cleanup.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let db = Database::connect(server_url).await?;
                db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                db.close().await
            })
            .map_err(anyhow::Error::from)
        })
        .join();
    }
}

/// An organisation `org` with an admin (`a@org.test`) and a locked,
/// empty questionnaire for learners, written straight to the database:
/// what a test of the worker needs under its campaign.
pub async fn organisation_with_questionnaire(
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<(i64, entities::questionnaire::Model)> {
    use sea_orm::ActiveValue::Set;
    let admin = api::auth::add_member(db, ("org", "Org"), "a@org.test", "A", PASSWORD, Role::Admin)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let now = chrono::Utc::now();
    let questionnaire =
        entities::questionnaire::Entity::insert(entities::questionnaire::ActiveModel {
            organisation_id: Set(admin.organisation_id),
            key: Set("q".into()),
            version: Set(1),
            title: Set("Q".into()),
            description: Set(String::new()),
            audience: Set(entities::Audience::Learners),
            locked_at: Set(Some(now)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
    Ok((admin.organisation_id, questionnaire))
}

/// Settings and storage for one test.
pub struct TestEnv {
    pub settings: Settings,
    pub queue: String,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

impl Drop for TestEnv {
    /// Removes the test's queue from Redis; its database goes with `PgDatabase`.
    fn drop(&mut self) {
        let Some(url) = &self.settings.redis_url else {
            return;
        };
        let cleanup = || -> redis::RedisResult<()> {
            let mut con = redis::Client::open(url.as_str())?.get_connection()?;
            let keys = con
                .scan_match::<_, String>(format!("{}*", self.queue))?
                .collect::<Result<Vec<_>, _>>()?;
            if !keys.is_empty() {
                redis::cmd("DEL").arg(keys).query::<()>(&mut con)?;
            }
            // The store lists every queue it has seen in one shared set.
            redis::cmd("ZREM")
                .arg("core:apalis:queues:list")
                .arg(format!("{}:workers", self.queue))
                .query::<()>(&mut con)?;
            Ok(())
        };
        let _ = cleanup();
    }
}

impl TestEnv {
    pub async fn new() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut settings = Settings {
            data_dir: dir.path().to_path_buf(),
            bind: "127.0.0.1:0".parse()?,
            secret_key: Some(format!("test-key-{}", suffix())),
            // No clock: tests ask for the sweeps they need.
            sweep_interval_secs: 0,
            db_max_connections: 5,
            ..Settings::default()
        };
        let mut pg = None;
        if let Some(server_url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let name = format!("tutorial_test_{}", suffix());
            let server = Database::connect(&server_url)
                .await
                .with_context(|| "DATABASE_URL is set but PostgreSQL is not reachable")?;
            server
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await?;
            server.close().await?;
            let (base, _) = server_url
                .rsplit_once('/')
                .context("DATABASE_URL has no database name")?;
            settings.database_url = Some(format!("{base}/{name}"));
            pg = Some(PgDatabase { server_url, name });
        }
        settings.redis_url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
        Ok(Self {
            settings,
            queue: format!("test-{}", suffix()),
            _dir: dir,
            _pg: pg,
        })
    }

    /// `postgres+redis` or `sqlite+embedded`, for messages.
    pub fn backend(&self) -> &'static str {
        match (&self.settings.database_url, &self.settings.redis_url) {
            (Some(_), Some(_)) => "postgres+redis",
            (Some(_), None) => "postgres+embedded",
            (None, Some(_)) => "sqlite+redis",
            (None, None) => "sqlite+embedded",
        }
    }
}

/// The application running on its own port, with its own SMTP server.
pub struct TestApp {
    pub url: String,
    pub state: api::AppState,
    pub mail: MailSink,
    /// Shared with [`TestApp::sibling`]s: the last one gone drops the database.
    pub env: std::sync::Arc<TestEnv>,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> anyhow::Result<Self> {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with settings adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        let mut env = TestEnv::new().await?;
        adjust(&mut env.settings);
        let mail = MailSink::start()?;
        env.settings.smtp_url = Some(mail.url());
        let options = Options {
            migrate: true,
            run_jobs: true,
            queue: env.queue.clone(),
        };
        let app = Application::build(&env.settings, options).await?;
        let url = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Ok(Self {
            url,
            state,
            mail,
            env: std::sync::Arc::new(env),
            http: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// A second api process on the same database, Redis and queue, as
    /// another replica behind a load balancer would be. It runs no jobs.
    pub async fn sibling(&self) -> anyhow::Result<Self> {
        let options = Options {
            migrate: false,
            run_jobs: false,
            queue: self.env.queue.clone(),
        };
        let app = Application::build(&self.env.settings, options).await?;
        let url = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Ok(Self {
            url,
            state,
            mail: self.mail.clone(),
            env: self.env.clone(),
            http: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// Stops the server and its jobs, waiting for them to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        Ok(())
    }

    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.url)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Posts a GraphQL request and returns the whole response body.
    pub async fn post(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(self.graphql_url())
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Ok(request.send().await?.json().await?)
    }

    /// Runs an operation that must succeed and returns its `data`.
    pub async fn ok(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> anyhow::Result<Value> {
        let body = self.post(query, variables, token).await?;
        if body.get("errors").is_some_and(|e| !e.is_null()) {
            bail!("unexpected errors: {body}");
        }
        Ok(body["data"].clone())
    }

    /// Runs an operation that must fail and returns the code of its first error.
    pub async fn error_code(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> anyhow::Result<String> {
        let body = self.post(query, variables, token).await?;
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .with_context(|| format!("expected an error with a code, got {body}"))?;
        Ok(code.to_owned())
    }

    /// Creates an account with `role` in organisation `org` and signs it in.
    pub async fn account(&self, org: &str, email: &str, role: Role) -> anyhow::Result<String> {
        api::auth::add_member(&self.state.db, (org, org), email, email, PASSWORD, role)
            .await
            .map_err(|e| anyhow::anyhow!("{:?}", e))?;
        let data = self
            .ok(
                "mutation($e: String!, $p: String!, $o: String) { signIn(input: {email: $e, password: $p, organisation: $o}) { token } }",
                json!({ "e": email, "p": PASSWORD, "o": org }),
                None,
            )
            .await?;
        Ok(data["signIn"]["token"]
            .as_str()
            .context("no token")?
            .to_owned())
    }

    /// Waits until `count` jobs of `kind` have finished, and returns how many
    /// failed. Jobs run on the real queue; this only watches their record.
    pub async fn jobs_done(&self, kind: &str, count: u64) -> anyhow::Result<u64> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let done = job_run::Entity::find()
                .filter(job_run::Column::Kind.eq(kind))
                .count(&self.state.db)
                .await?;
            if done >= count {
                let failed = job_run::Entity::find()
                    .filter(job_run::Column::Kind.eq(kind))
                    .filter(job_run::Column::Outcome.ne("ok"))
                    .count(&self.state.db)
                    .await?;
                return Ok(failed);
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "{kind}: {done} of {count} jobs finished within a minute ({})",
                    self.env.backend()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
