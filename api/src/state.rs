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
    /// Whether webhook endpoints on the loopback interface are accepted.
    pub webhook_allow_loopback: bool,
    /// Session lifetimes and sign-in limits.
    pub auth: crate::auth::Auth,
}

impl AppState {
    pub async fn enqueue(&self, job: Job) -> ApiResult<()> {
        self.queue.push(job).await.map_err(ApiError::internal)
    }
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
