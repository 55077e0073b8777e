//! Background jobs the worker gave up on, for admins to read and retry.
//!
//! An admin sees the dead letters of their organisation: those recorded
//! with it, and those recorded without one (the worker could not read it
//! then) whose campaign is the organisation's. Jobs that span every
//! organisation (the reminder sweep, the nightly check of all of them)
//! concern the whole installation: every admin sees them. A job whose
//! target is gone and whose organisation is unknown is shown to no one;
//! the metrics still count it.

use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{Role, campaign, dead_letter};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, TransactionTrait};
use worker::Job;

use crate::auth::Caller;
use crate::campaigns::types::Campaign;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::loaders::CampaignById;
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;

const ADMINS: &[Role] = &[Role::Admin];

/// The dead letters `caller` may see.
fn visible_to(caller: &Caller) -> Condition {
    let ours = Query::select()
        .column(campaign::Column::Id)
        .from(campaign::Entity)
        .and_where(campaign::Column::OrganisationId.eq(caller.organisation_id))
        .to_owned();
    let unknown = dead_letter::Column::OrganisationId.is_null();
    Condition::any()
        .add(dead_letter::Column::OrganisationId.eq(caller.organisation_id))
        .add(
            Condition::all()
                .add(unknown.clone())
                .add(dead_letter::Column::CampaignId.in_subquery(ours)),
        )
        .add(
            Condition::all()
                .add(unknown)
                .add(dead_letter::Column::CampaignId.is_null())
                .add(dead_letter::Column::Kind.is_in([
                    "reminder_sweep",
                    "monitor_relations",
                    "disseminate",
                    "apply_retention",
                ])),
        )
}

/// A background job given up on: it failed for good (its target is gone,
/// its data does not read), or failed for a passing reason on every attempt.
pub struct DeadLetter(pub dead_letter::Model);

/// A background job given up on: it failed for good (its target is gone,
/// its data does not read), or failed for a passing reason on every attempt.
/// Admins only.
#[Object]
impl DeadLetter {
    /// Global ID of the dead letter, as `retryDeadLetter` takes it.
    async fn id(&self) -> ID {
        ids::encode("DeadLetter", self.0.id)
    }
    /// The job's kind, e.g. `aggregate_campaign`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The job as it was queued.
    async fn payload(&self) -> Json<&serde_json::Value> {
        Json(&self.0.payload)
    }
    /// The last error and its causes, outermost first.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// How many times the job ran.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When the job was given up on (UTC).
    async fn failed_at(&self) -> DateTime<Utc> {
        self.0.failed_at
    }
    /// The campaign the job was about, even if it has been deleted since.
    async fn campaign_id(&self) -> Option<ID> {
        self.0.campaign_id.map(|id| ids::encode("Campaign", id))
    }
    /// The campaign the job was about, while it exists.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        let Some(id) = self.0.campaign_id else {
            return Ok(None);
        };
        let caller = ctx.caller()?;
        let found = ctx.loader().load_one(CampaignById(id)).await?;
        Ok(found
            .filter(|c| c.organisation_id == caller.organisation_id)
            .map(Campaign::from))
    }
}

#[derive(Default)]
pub struct DeadLetterQuery;

#[Object]
impl DeadLetterQuery {
    /// Jobs given up on, newest first: the organisation's, and the sweeps
    /// and checks that concern the whole installation. Admins only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn dead_letters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<DeadLetter>> {
        let caller = ctx.caller_in(ADMINS)?;
        let query = dead_letter::Entity::find().filter(visible_to(caller));
        Ok(keyset(
            &ctx.state().db,
            query,
            &Sort::by_id("deadLetters", dead_letter::Column::Id, sea_orm::Order::Desc),
            PageArgs::new(first, after, last, before),
            DeadLetter,
        )
        .await?)
    }
}

/// A dead letter whose job was queued again.
#[derive(SimpleObject)]
pub struct RetryDeadLetterPayload {
    /// The dead letter as it was; it is removed and its job queued again.
    pub dead_letter: DeadLetter,
}

#[derive(Default)]
pub struct DeadLetterMutation;

#[Object]
impl DeadLetterMutation {
    /// Queues a dead letter's job again and removes the letter: if the job
    /// fails again, it comes back as a new one. Admins only.
    async fn retry_dead_letter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the dead letter; NOT_FOUND once it has been retried.")]
        id: ID,
    ) -> Result<RetryDeadLetterPayload> {
        let caller = ctx.caller_in(ADMINS)?;
        let id = ids::decode(&id, "DeadLetter")?;
        Ok(RetryDeadLetterPayload {
            dead_letter: retry(ctx, caller, id).await?,
        })
    }
}

/// Removes the letter and queues its job in one transaction: the letter
/// stays if the queue refuses the job, and of two admins retrying it at
/// once, one queues it.
async fn retry(ctx: &Context<'_>, caller: &Caller, id: i64) -> ApiResult<DeadLetter> {
    let state = ctx.state();
    let gone = || ApiError::NotFound("dead letter");
    let letter = dead_letter::Entity::find_by_id(id)
        .filter(visible_to(caller))
        .one(&state.db)
        .await?
        .ok_or_else(gone)?;
    let job: Job = serde_json::from_value(letter.payload.clone()).map_err(|e| {
        ApiError::Conflict(format!(
            "this job can no longer be read, so not retried: {e}"
        ))
    })?;
    let txn = state.db.begin().await?;
    let deleted = dead_letter::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(gone());
    }
    state.enqueue(job).await?;
    txn.commit().await?;
    Ok(DeadLetter(letter))
}
