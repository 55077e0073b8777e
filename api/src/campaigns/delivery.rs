//! Where the emails of a campaign stand, and the addresses an organisation
//! no longer writes to.

use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{dead_letter, email_message, invitation, person, suppression};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::MANAGERS;
use crate::error::{ApiError, ApiResult, Problem};
use crate::ids;
use crate::pagination::{Nested, Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;

/// Emails of a campaign by where they stand.
#[derive(SimpleObject, Clone, Default, Debug, PartialEq, Eq)]
pub struct DeliveryCounts {
    /// Recorded and being sent now, or cut short by a stop of the worker.
    pub pending: u64,
    /// Accepted by the mail server.
    pub sent: u64,
    /// Refused or not delivered; see the email log.
    pub failed: u64,
    /// Not sent: the address is on the suppression list.
    pub suppressed: u64,
    /// Not sent yet for a passing reason (the mail server unreachable);
    /// the next sweep tries again.
    pub deferred: u64,
    /// Background jobs of the campaign given up on; admins see them in
    /// `deadLetters`.
    pub dead_lettered: u64,
    /// Invitations whose person has no email address now, never given or
    /// erased since: no email goes to them any more. Emails that went
    /// before an erasure stay in the counts above.
    pub without_address: u64,
}

/// Counts of a campaign's emails by status, of its dead letters and of its
/// invitations without an address.
pub async fn counts(db: &DatabaseConnection, campaign_id: i64) -> ApiResult<DeliveryCounts> {
    Ok(counts_of(db, &[campaign_id])
        .await?
        .remove(&campaign_id)
        .unwrap_or_default())
}

/// [`counts`] of several campaigns, in three grouped queries whatever their
/// number.
pub async fn counts_of(
    db: &DatabaseConnection,
    campaign_ids: &[i64],
) -> ApiResult<HashMap<i64, DeliveryCounts>> {
    let emails: Vec<(Option<i64>, entities::EmailStatus, i64)> = email_message::Entity::find()
        .select_only()
        .column(email_message::Column::CampaignId)
        .column(email_message::Column::Status)
        .column_as(email_message::Column::Id.count(), "n")
        .filter(email_message::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .group_by(email_message::Column::CampaignId)
        .group_by(email_message::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let letters: Vec<(Option<i64>, i64)> = dead_letter::Entity::find()
        .select_only()
        .column(dead_letter::Column::CampaignId)
        .column_as(dead_letter::Column::Id.count(), "n")
        .filter(dead_letter::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .group_by(dead_letter::Column::CampaignId)
        .into_tuple()
        .all(db)
        .await?;
    let unaddressed: Vec<(i64, i64)> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::CampaignId)
        .column_as(invitation::Column::Id.count(), "n")
        .inner_join(person::Entity)
        .filter(invitation::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(person::Column::Email.is_null())
        .group_by(invitation::Column::CampaignId)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<i64, DeliveryCounts> = campaign_ids
        .iter()
        .map(|id| (*id, DeliveryCounts::default()))
        .collect();
    for (campaign, status, n) in emails {
        let Some(c) = campaign.and_then(|id| out.get_mut(&id)) else {
            continue;
        };
        let n = u64::try_from(n).unwrap_or(0);
        match status {
            entities::EmailStatus::Pending => c.pending = n,
            entities::EmailStatus::Sent => c.sent = n,
            entities::EmailStatus::Failed => c.failed = n,
            entities::EmailStatus::Suppressed => c.suppressed = n,
            entities::EmailStatus::Deferred => c.deferred = n,
        }
    }
    for (campaign, n) in letters {
        if let Some(c) = campaign.and_then(|id| out.get_mut(&id)) {
            c.dead_lettered = u64::try_from(n).unwrap_or(0);
        }
    }
    for (campaign, n) in unaddressed {
        if let Some(c) = out.get_mut(&campaign) {
            c.without_address = u64::try_from(n).unwrap_or(0);
        }
    }
    Ok(out)
}

/// Where one email stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::EmailStatus")]
pub enum EmailStatus {
    /// Being sent now, or cut short by a stop of the worker: taken over
    /// by the next sweep once its claim lapses.
    Pending,
    /// Accepted by the mail server.
    Sent,
    /// Refused by the mail server, or given up on; `error` says why.
    Failed,
    /// Not sent: the address is on the organisation's suppression list.
    Suppressed,
    /// Not sent yet for a passing reason (the mail server unreachable); the
    /// next sweep tries again.
    Deferred,
}

/// One email of a campaign, as the email log records it.
pub struct Email(pub email_message::Model);

/// One email of a campaign, as the email log records it: an invitation, a
/// reminder, or a note to staff about who has not answered.
#[Object]
impl Email {
    /// Global ID of the email.
    async fn id(&self) -> ID {
        ids::encode("Email", self.0.id)
    }
    /// The address written to; replaced by a placeholder once the retention
    /// policy's `emailLogDays` have passed or the person is erased.
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }
    /// The subject line, as sent.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// 0 for the invitation, n for the n-th reminder; null for an email
    /// to a tutor or coordinator about those who have not answered.
    async fn step(&self) -> Option<i32> {
        self.0.step
    }
    /// Where the email stands.
    async fn status(&self) -> EmailStatus {
        self.0.status.into()
    }
    /// What went wrong, or why it waits.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// When the email was recorded, before sending (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the mail server accepted it (UTC); null until then.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

/// The email logs of campaigns, newest first, optionally of one status.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EmailsOf {
    pub status: Option<entities::EmailStatus>,
}

impl Nested for EmailsOf {
    type Entity = email_message::Entity;
    type With = ();

    fn parent(&self) -> email_message::Column {
        email_message::Column::CampaignId
    }
    fn rows(&self, parents: &[i64]) -> sea_orm::Select<email_message::Entity> {
        let mut rows = email_message::Entity::find()
            .filter(email_message::Column::CampaignId.is_in(parents.iter().copied()));
        if let Some(status) = self.status {
            rows = rows.filter(email_message::Column::Status.eq(status));
        }
        rows
    }
    fn sort(&self) -> Sort<email_message::Entity> {
        let id = email_message::Column::Id;
        Sort::by_id("Campaign.emails", id, sea_orm::Order::Desc)
    }
}

/// Why an address is suppressed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::SuppressionReason")]
pub enum Reason {
    /// The person asked for no email at all.
    OptOut,
    /// The mail server refused the address for good.
    HardBounce,
    /// The person reported an email as unwanted.
    Complaint,
    /// Added by a coordinator for another reason.
    Manual,
    /// The person was erased; the address is kept only as its hash.
    Erased,
}

/// An address the organisation no longer writes to.
pub struct Suppression(pub suppression::Model);

/// An address the organisation no longer writes to, for any campaign.
/// Coordinators and admins read the list.
#[Object]
impl Suppression {
    /// Global ID of the entry.
    async fn id(&self) -> ID {
        ids::encode("Suppression", self.0.id)
    }
    /// Lower-cased.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// Why the address is on the list.
    async fn reason(&self) -> Reason {
        self.0.reason.into()
    }
    /// A note, or what the mail server answered.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
    /// When the address was added (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct DeliveryQuery;

#[Object]
impl DeliveryQuery {
    /// Addresses the organisation no longer writes to, newest first.
    /// Coordinators only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn suppressions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<Suppression>> {
        let caller = ctx.caller_in(MANAGERS)?;
        let query = suppression::Entity::find()
            .filter(suppression::Column::OrganisationId.eq(caller.organisation_id));
        Ok(keyset(
            &ctx.state().db,
            query,
            &Sort::by_id(
                "suppressions",
                suppression::Column::Id,
                sea_orm::Order::Desc,
            ),
            PageArgs::new(first, after, last, before),
            Suppression,
        )
        .await?)
    }
}

/// The address to stop writing to, and why.
#[derive(InputObject)]
pub struct SuppressAddressInput {
    /// The email address; stored in lower case.
    pub address: String,
    /// `OPT_OUT`, `COMPLAINT` or `MANUAL`; bounces are recorded by the worker.
    pub reason: Reason,
    /// A note for other coordinators: at most 2,000 characters.
    pub detail: Option<String>,
}

/// The address now on the suppression list.
#[derive(SimpleObject)]
pub struct SuppressAddressPayload {
    /// The entry; the first one when the address was already listed.
    pub suppression: Suppression,
}

/// The address to write to again.
#[derive(InputObject)]
pub struct LiftSuppressionInput {
    /// The email address, in any case.
    pub address: String,
}

/// Whether an address was taken off the suppression list.
#[derive(SimpleObject)]
pub struct LiftSuppressionPayload {
    /// Whether the address was on the list.
    pub lifted: bool,
}

#[derive(Default)]
pub struct DeliveryMutation;

#[Object]
impl DeliveryMutation {
    /// Stops every email to an address from the organisation, at once and
    /// for every campaign. Adding an address twice keeps the first entry.
    async fn suppress_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address, the reason and a note.")] input: SuppressAddressInput,
    ) -> Result<SuppressAddressPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let mut problems = address_problems(&input.address);
        if input.reason == Reason::HardBounce {
            problems.push(Problem::field(
                "reason",
                "bounces are recorded from the mail server's answer",
            ));
        }
        if let Some(detail) = &input.detail {
            crate::validate::text(&mut problems, "detail", detail, 2_000);
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid(problems).into());
        }
        let row = worker::suppression::suppress(
            &ctx.state().db,
            caller.organisation_id,
            &input.address,
            input.reason.into(),
            input.detail.map(|d| d.trim().to_owned()),
            Some(caller.user_id),
        )
        .await
        .map_err(ApiError::from)?;
        Ok(SuppressAddressPayload {
            suppression: Suppression(row),
        })
    }

    /// Lets the organisation write to an address again.
    async fn lift_suppression(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address to take off the list.")] input: LiftSuppressionInput,
    ) -> Result<LiftSuppressionPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let problems = address_problems(&input.address);
        if !problems.is_empty() {
            return Err(ApiError::invalid(problems).into());
        }
        let lifted =
            worker::suppression::lift(&ctx.state().db, caller.organisation_id, &input.address)
                .await
                .map_err(ApiError::from)?;
        Ok(LiftSuppressionPayload { lifted })
    }
}

/// What is wrong with an address given to the suppression list.
fn address_problems(address: &str) -> Vec<Problem> {
    if crate::auth::valid_email(address.trim()) {
        Vec::new()
    } else {
        vec![Problem::field("address", "is not an email address")]
    }
}
