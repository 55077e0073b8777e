//! The retention policy of each organisation, applied: free text outlives
//! its campaign's close by a set number of days, the address on an email's
//! record and an audit event their own number of days.

use chrono::{DateTime, Duration, Utc};
use entities::{EmailStatus, ItemKind, answer, audit_event, campaign, email_message, item};
use entities::{response, response_draft, retention_policy};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use tracing::instrument;

use crate::personal_data::ERASED_TEXT;

/// What a run removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub organisations: u64,
    pub free_texts_cleared: u64,
    pub notes_cleared: u64,
    pub drafts_deleted: u64,
    pub email_addresses_removed: u64,
    pub audit_events_deleted: u64,
}

/// What stands for an address removed from an email's record.
pub const REMOVED_RECIPIENT: &str = "removed";

/// Applies the policies (of one organisation, or of all) as of `at`. Safe
/// to run twice: what is gone is not found again.
#[instrument(skip_all, fields(organisation_id = ?organisation_id))]
pub async fn apply(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    organisation_id: Option<i64>,
) -> Result<Applied, DbErr> {
    let mut policies = retention_policy::Entity::find();
    if let Some(org) = organisation_id {
        policies = policies.filter(retention_policy::Column::OrganisationId.eq(org));
    }
    let mut out = Applied::default();
    for policy in policies.all(db).await? {
        out.organisations += 1;
        let org = policy.organisation_id;
        if let Some(days) = policy.free_text_days {
            clear_free_text(db, org, at - Duration::days(days.into()), &mut out).await?;
        }
        if let Some(days) = policy.email_log_days {
            // Settled emails only: one still pending keeps its address to be sent.
            out.email_addresses_removed += email_message::Entity::update_many()
                .col_expr(
                    email_message::Column::Recipient,
                    Expr::value(REMOVED_RECIPIENT),
                )
                .filter(email_message::Column::OrganisationId.eq(org))
                .filter(email_message::Column::CreatedAt.lt(at - Duration::days(days.into())))
                .filter(email_message::Column::Status.is_in([
                    EmailStatus::Sent,
                    EmailStatus::Failed,
                    EmailStatus::Suppressed,
                ]))
                .filter(email_message::Column::Recipient.ne(REMOVED_RECIPIENT))
                .exec(db)
                .await?
                .rows_affected;
        }
        if let Some(days) = policy.audit_days {
            out.audit_events_deleted += audit_event::Entity::delete_many()
                .filter(audit_event::Column::OrganisationId.eq(org))
                .filter(audit_event::Column::CreatedAt.lt(at - Duration::days(days.into())))
                .exec(db)
                .await?
                .rows_affected;
        }
    }
    Ok(out)
}

/// Clears the free text of the organisation's campaigns closed before
/// `closed_before`: free-text answers keep a placeholder (they still count
/// as given), interview notes and unsent drafts go.
async fn clear_free_text(
    db: &impl ConnectionTrait,
    org: i64,
    closed_before: DateTime<Utc>,
    out: &mut Applied,
) -> Result<(), DbErr> {
    let closed = Query::select()
        .column(campaign::Column::Id)
        .from(campaign::Entity)
        .and_where(campaign::Column::OrganisationId.eq(org))
        .and_where(campaign::Column::ClosesAt.lt(closed_before))
        .to_owned();
    let responses = Query::select()
        .column(response::Column::Id)
        .from(response::Entity)
        .and_where(response::Column::CampaignId.in_subquery(closed.clone()))
        .to_owned();
    let free_text = Query::select()
        .column(item::Column::Id)
        .from(item::Entity)
        .and_where(item::Column::Kind.eq(ItemKind::FreeText))
        .to_owned();
    out.free_texts_cleared += answer::Entity::update_many()
        .col_expr(answer::Column::TextValue, Expr::value(ERASED_TEXT))
        .filter(answer::Column::ResponseId.in_subquery(responses))
        .filter(answer::Column::ItemId.in_subquery(free_text))
        .filter(answer::Column::TextValue.is_not_null())
        .filter(answer::Column::TextValue.ne(ERASED_TEXT))
        .exec(db)
        .await?
        .rows_affected;
    out.notes_cleared += response::Entity::update_many()
        .col_expr(response::Column::Notes, Expr::value(Option::<String>::None))
        .filter(response::Column::CampaignId.in_subquery(closed.clone()))
        .filter(response::Column::Notes.is_not_null())
        .exec(db)
        .await?
        .rows_affected;
    let invitations = Query::select()
        .column(entities::invitation::Column::Id)
        .from(entities::invitation::Entity)
        .and_where(entities::invitation::Column::CampaignId.in_subquery(closed))
        .to_owned();
    out.drafts_deleted += response_draft::Entity::delete_many()
        .filter(response_draft::Column::InvitationId.in_subquery(invitations))
        .exec(db)
        .await?
        .rows_affected;
    Ok(())
}
