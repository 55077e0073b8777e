//! The GraphQL API of the tutorial-system backend.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod campaigns;
pub mod dead_letters;
pub mod demo;
pub mod design;
pub mod development;
pub mod dissemination;
pub mod documents;
pub mod error;
pub mod evaluation;
pub mod exports;
pub mod generate;
pub mod http;
pub mod ids;
pub mod limits;
pub mod live;
pub mod loaders;
pub mod metrics;
pub mod pages;
pub mod pagination;
pub mod questionnaires;
pub mod rights;
pub mod running;
pub mod schema;
pub mod schema_diff;
pub mod state;
pub mod validate;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use poem::Server;
use poem::listener::{Acceptor, AcceptorExt, Listener, TcpListener};
use tokio::sync::watch;
use worker::{Context, JobQueue, Settings, db, jobs};

pub use state::AppState;

/// How the application starts.
#[derive(Clone, Debug)]
pub struct Options {
    /// Apply pending migrations before serving.
    pub migrate: bool,
    /// Run the job handlers in this process; on by default without Redis.
    pub run_jobs: bool,
    /// Name of the job queue (tests use their own).
    pub queue: String,
}

impl Options {
    pub fn for_settings(settings: &Settings) -> Self {
        Self {
            migrate: true,
            run_jobs: settings.embedded_jobs(),
            queue: worker::jobs::QUEUE.to_owned(),
        }
    }
}

/// The api, bound to its address and ready to serve.
pub struct Application {
    state: AppState,
    acceptor: poem::listener::BoxAcceptor,
    local_addr: SocketAddr,
    cors_origins: Vec<String>,
    jobs: Option<(
        tokio::task::JoinHandle<anyhow::Result<()>>,
        watch::Sender<bool>,
    )>,
}

impl Application {
    /// Connects, migrates, starts the in-process jobs if asked, and binds.
    pub async fn build(settings: &Settings, options: Options) -> anyhow::Result<Self> {
        let mut db = db::connect(settings).await?;
        let metrics = crate::metrics::Metrics::default();
        metrics.count_statements(&mut db);
        if options.migrate {
            db::migrate(&db).await?;
        }
        let tokens = worker::token_key(settings)?;
        let queue = JobQueue::open_named(settings, &options.queue).await?;
        let live = worker::live::Live::for_queue(settings, &queue, &options.queue);
        let state = AppState {
            db: db.clone(),
            queue: queue.clone(),
            tokens: tokens.clone(),
            public_url: settings.public_url.trim_end_matches('/').to_owned(),
            metrics,
            metrics_token: settings.metrics_token.clone(),
            matching_inline_pairs: settings.matching_inline_pairs,
            callers: crate::auth::Callers::default(),
            documents: std::sync::Arc::default(),
            webhook_allow_loopback: settings.webhook_allow_loopback,
            auth: crate::auth::Auth {
                settings: std::sync::Arc::new(crate::auth::AuthSettings::from(settings)),
                throttle: match queue.redis() {
                    Some(conn) => crate::auth::Throttle::redis(conn, &options.queue),
                    None => crate::auth::Throttle::in_process(),
                },
            },
            request_timeout: Duration::from_secs(settings.request_timeout_secs),
            batch_window: Duration::from_millis(settings.graphql_batch_ms),
            introspection: settings.graphql_introspection,
            live: live.clone(),
            stopping: std::sync::Arc::new(watch::channel(false).0),
            outbox: settings.outbox_dir(),
        };

        let jobs = if options.run_jobs {
            let (stop, mut stopped) = watch::channel(false);
            let mut ctx = Context::new(settings, db, tokens)?;
            ctx.live = live.clone();
            let schedule = jobs::Schedule::from(settings);
            let handle = tokio::spawn(jobs::run_workers(ctx, queue, schedule, async move {
                let _ = stopped.wait_for(|s| *s).await;
            }));
            Some((handle, stop))
        } else {
            None
        };

        let acceptor = TcpListener::bind(settings.bind).into_acceptor().await?;
        let local_addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .ok_or_else(|| anyhow::anyhow!("the listener has no socket address"))?;
        Ok(Self {
            state,
            acceptor: acceptor.boxed(),
            local_addr,
            cors_origins: settings.cors_origins.clone(),
            jobs,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets requests and jobs finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let schemas = schema::Schemas::new(&self.state);
        let app = http::routes(schemas, self.state.clone(), &self.cors_origins);
        tracing::info!(address = %self.local_addr, "api listening");
        let listening = self.state.live.listen();
        let stopping = self.state.stopping.clone();
        let shutdown = async move {
            shutdown.await;
            stopping.send_replace(true);
        };
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown, Some(Duration::from_secs(30)))
            .await;
        if let Some(listening) = listening {
            listening.abort();
        }
        served?;
        if let Some((handle, stop)) = self.jobs {
            let _ = stop.send(true);
            handle.await??;
        }
        Ok(())
    }
}
