//! What resolvers share: the database, the job queue, the token key.

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;

use crate::loaders::DbLoader;
use sea_orm::DatabaseConnection;
use worker::tokens::TokenKey;
use worker::{Job, JobQueue};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    pub tokens: TokenKey,
    /// Where people reach the service, without a trailing slash: links in
    /// emails and shared-report URLs start with it.
    pub public_url: String,
    /// Request latencies of this process.
    pub metrics: crate::metrics::Metrics,
    /// Bearer token `/metrics` asks for, if any.
    pub metrics_token: Option<String>,
    /// Largest matching run (learner × tutor pairs) run within a request.
    pub matching_inline_pairs: usize,
    /// Callers of recently seen tokens.
    pub callers: crate::auth::Callers,
    /// GraphQL documents parsed lately.
    pub documents: std::sync::Arc<crate::documents::Documents>,
    /// Whether webhook endpoints on the loopback interface are accepted.
    pub webhook_allow_loopback: bool,
    /// Session lifetimes and sign-in limits.
    pub auth: crate::auth::Auth,
    /// How long a GraphQL request may run before it is cut.
    pub request_timeout: std::time::Duration,
    /// How long a request gathers the rows its fields ask for before
    /// reading them.
    pub batch_window: std::time::Duration,
    /// Whether `__schema` and `__type` are answered.
    pub introspection: bool,
    /// Tells live subscriptions what changed.
    pub live: worker::live::Live,
    /// Turns true when the server begins to stop: long-lived connections
    /// close then rather than hold the shutdown up.
    pub stopping: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
    /// The folder mail is written to when no SMTP server is set; erasing a
    /// person deletes the copies of mail to them found there.
    pub outbox: std::path::PathBuf,
}

impl AppState {
    /// Queues `job`. Once begun, the push finishes even if the request
    /// awaiting it is cut at its time limit: work a mutation has stored is
    /// never left without the job that follows it.
    pub async fn enqueue(&self, job: Job) -> ApiResult<()> {
        let queue = self.queue.clone();
        detached(async move { queue.push(job).await })
            .await
            .map_err(ApiError::internal)
    }

    /// Becomes true when the server begins to stop.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Tells the campaign's live subscribers that its figures may have
    /// moved; they read them again.
    pub async fn campaign_changed(&self, campaign_id: i64) {
        self.live
            .publish(worker::live::Signal::Campaign { campaign_id })
            .await;
    }
}

/// Runs `work` on a task of its own and waits for it. If the request that
/// waits is cut (its time limit, or the client gone), `work` still runs to
/// its end; use it for what must not stop half-way.
pub async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::spawn(work).await?
}

/// Shorthands for resolvers.
pub trait ContextExt {
    fn state(&self) -> &AppState;
    /// The signed-in caller, or UNAUTHENTICATED.
    fn caller(&self) -> ApiResult<&Caller>;
    /// The signed-in caller if their role is one of `roles`, else FORBIDDEN.
    fn caller_in(&self, roles: &[entities::Role]) -> ApiResult<&Caller>;
    /// The request's batching loader.
    fn loader(&self) -> &DataLoader<DbLoader>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        // The schema is always built with the state; see `schema::build`.
        match self.data::<AppState>() {
            Ok(state) => state,
            Err(_) => unreachable!("the schema is built with AppState"),
        }
    }

    fn caller(&self) -> ApiResult<&Caller> {
        self.data_opt::<Caller>().ok_or(ApiError::Unauthenticated)
    }

    fn caller_in(&self, roles: &[entities::Role]) -> ApiResult<&Caller> {
        let caller = self.caller()?;
        caller.require(roles)?;
        Ok(caller)
    }

    fn loader(&self) -> &DataLoader<DbLoader> {
        match self.data::<DataLoader<DbLoader>>() {
            Ok(loader) => loader,
            Err(_) => unreachable!("every request carries a loader; see `http::graphql`"),
        }
    }
}
