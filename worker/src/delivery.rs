//! Invitations and reminders.
//!
//! Step 0 of a campaign is the invitation, due when it opens; step n is the
//! n-th reminder, due `reminder_offsets_hours[n − 1]` after opening. A sweep
//! at time `at` sends each non-respondent the latest step due, unless that
//! step (or a later one) already went out. Each email is recorded under the
//! key `invitation:{id}:step:{n}` before it is sent; the unique key makes a
//! second sweep, a retry or a second worker skip it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::{EmailStatus, SuppressionReason, campaign, email_message, invitation, person};
use futures::StreamExt;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use tracing::{info, warn};

use crate::jobs::{Context, JobError};
use crate::mail::{MailError, Outgoing};
use crate::suppression;
use crate::templates::{CampaignEmail, Lang, Step};

/// What a sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub campaigns: usize,
    pub sent: usize,
    pub failed: usize,
    /// Not sent: the address is on the suppression list.
    pub suppressed: usize,
}

/// When each step of a campaign falls due: the invitation at opening, then
/// one reminder per offset.
pub fn due_times(campaign: &campaign::Model) -> impl Iterator<Item = DateTime<Utc>> + use<> {
    let opens_at = campaign.opens_at;
    let reminders = reminder_offsets(campaign)
        .into_iter()
        .map_while(move |hours| opens_at.checked_add_signed(Duration::try_hours(hours)?));
    std::iter::once(opens_at).chain(reminders)
}

pub fn reminder_offsets(campaign: &campaign::Model) -> Vec<i64> {
    serde_json::from_value(campaign.reminder_offsets_hours.clone()).unwrap_or_default()
}

/// The latest step due at `at`, if the campaign is open then.
pub fn latest_due_step(campaign: &campaign::Model, at: DateTime<Utc>) -> Option<usize> {
    if campaign.launched_at.is_none() || at < campaign.opens_at || at >= campaign.closes_at {
        return None;
    }
    due_times(campaign)
        .take_while(|due| *due <= at)
        .count()
        .checked_sub(1)
}

/// Sends what is due at `at`, for one campaign or for all.
pub async fn sweep(
    ctx: &Context,
    campaign_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Delivered, JobError> {
    let mut query = campaign::Entity::find()
        .filter(campaign::Column::LaunchedAt.is_not_null())
        .filter(campaign::Column::OpensAt.lte(at))
        .filter(campaign::Column::ClosesAt.gt(at));
    if let Some(id) = campaign_id {
        query = query.filter(campaign::Column::Id.eq(id));
    }
    let campaigns = query.all(&ctx.db).await?;

    let mut total = Delivered::default();
    for campaign in &campaigns {
        let Some(step) = latest_due_step(campaign, at) else {
            continue;
        };
        let done = deliver_step(ctx, campaign, step).await?;
        total.campaigns += 1;
        total.sent += done.sent;
        total.failed += done.failed;
        total.suppressed += done.suppressed;
    }
    Ok(total)
}

async fn deliver_step(
    ctx: &Context,
    campaign: &campaign::Model,
    step: usize,
) -> Result<Delivered, JobError> {
    // Each invitee with the invitation: a list of ids would outgrow the
    // parameters one statement may carry.
    let pending = invitation::Entity::find()
        .find_also_related(person::Entity)
        .filter(invitation::Column::CampaignId.eq(campaign.id))
        .filter(invitation::Column::RespondedAt.is_null())
        .filter(invitation::Column::OptedOutAt.is_null())
        .all(&ctx.db)
        .await?;

    let sent_steps: Vec<(Option<i64>, Option<i32>)> = email_message::Entity::find()
        .select_only()
        .column(email_message::Column::InvitationId)
        .column(email_message::Column::Step)
        .filter(email_message::Column::CampaignId.eq(campaign.id))
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let mut highest: HashMap<i64, i32> = HashMap::new();
    for (invitation, s) in sent_steps {
        if let (Some(i), Some(s)) = (invitation, s) {
            let h = highest.entry(i).or_insert(s);
            *h = (*h).max(s);
        }
    }

    let step = step as i32;
    let work: Vec<(invitation::Model, person::Model, String, bool)> = pending
        .into_iter()
        .filter(|(i, _)| highest.get(&i.id).is_none_or(|h| *h < step))
        .filter_map(|(inv, person)| {
            let person = person?;
            let address = person.email.clone()?;
            let first_contact = !highest.contains_key(&inv.id);
            Some((inv, person, address, first_contact))
        })
        .collect();
    let results =
        futures::stream::iter(work)
            .map(|(inv, person, address, first_contact)| {
                let ctx = ctx.clone();
                let campaign = campaign.clone();
                async move {
                    send_one(&ctx, &campaign, &inv, &person, address, step, first_contact).await
                }
            })
            .buffer_unordered(8)
            .collect::<Vec<_>>()
            .await;

    let mut done = Delivered::default();
    for result in results {
        match result? {
            Sent::Sent => done.sent += 1,
            Sent::Failed => done.failed += 1,
            Sent::Suppressed => done.suppressed += 1,
            Sent::Elsewhere => {}
        }
    }
    info!(
        campaign_id = campaign.id,
        step,
        emails_sent = done.sent,
        emails_failed = done.failed,
        emails_suppressed = done.suppressed,
        "step delivered"
    );
    Ok(done)
}

/// Claims the key, then sends.
async fn send_one(
    ctx: &Context,
    campaign: &campaign::Model,
    inv: &invitation::Model,
    person: &person::Model,
    address: String,
    step: i32,
    first_contact: bool,
) -> Result<Sent, JobError> {
    let key = format!("invitation:{}:step:{step}", inv.id);
    let token = ctx.tokens.token(&inv.token_nonce);
    let link = format!("{}/respond/{token}", ctx.public_url);
    let unsubscribe = format!(
        "{}/unsubscribe/{}",
        ctx.public_url,
        crate::tokens::unsubscribe_token(&ctx.tokens, inv.id, &inv.token_nonce)
    );
    let last_step = reminder_offsets(campaign).len() as i32;
    let email = CampaignEmail {
        lang: Lang::of(&person.language),
        step: if first_contact {
            Step::Invitation
        } else if step == last_step {
            Step::LastReminder
        } else {
            Step::Reminder
        },
        name: &person.name,
        campaign: &campaign.name,
        closes_at: campaign.closes_at,
        time_zone: &person.time_zone,
        link: &link,
        unsubscribe: &unsubscribe,
    }
    .render();
    let claim = email_message::ActiveModel {
        organisation_id: Set(inv.organisation_id),
        key: Set(key.clone()),
        campaign_id: Set(Some(campaign.id)),
        invitation_id: Set(Some(inv.id)),
        step: Set(Some(step)),
        recipient: Set(address.clone()),
        subject: Set(email.subject.clone()),
        status: Set(EmailStatus::Pending),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let mail = Outgoing {
        key: key.clone(),
        to_name: person.name.clone(),
        to_address: address,
        subject: email.subject,
        text: email.text,
        html: Some(email.html),
        unsubscribe_url: Some(unsubscribe),
    };

    send_claimed(ctx, claim, &mail).await
}

/// What became of one email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Sent,
    Failed,
    /// Not sent: the address is on the organisation's suppression list.
    Suppressed,
    /// The key was already taken: the email went out, or is going out, elsewhere.
    Elsewhere,
}

/// The one place mail is sent from. Records `claim` under its unique key,
/// skips an address on the organisation's suppression list, then sends
/// `mail` and records the outcome. A permanent refusal from the server puts
/// the address on the list.
pub async fn send_claimed(
    ctx: &Context,
    claim: email_message::ActiveModel,
    mail: &Outgoing,
) -> Result<Sent, JobError> {
    let organisation_id = *claim.organisation_id.as_ref();
    let inserted = email_message::Entity::insert(claim)
        .on_conflict(
            OnConflict::column(email_message::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&ctx.db)
        .await?;
    if inserted == 0 {
        return Ok(Sent::Elsewhere);
    }

    if let Some(reason) =
        suppression::is_suppressed(&ctx.db, organisation_id, &mail.to_address).await?
    {
        let reason = serde_json::to_value(reason).unwrap_or_default();
        record(
            ctx,
            &mail.key,
            EmailStatus::Suppressed,
            reason.as_str().map(str::to_owned),
        )
        .await?;
        return Ok(Sent::Suppressed);
    }

    let outcome = ctx.mailer.send(mail).await;
    let (status, error) = match &outcome {
        Ok(()) => (EmailStatus::Sent, None),
        Err(e @ MailError::Invalid(_)) => (EmailStatus::Failed, Some(e.to_string())),
        Err(MailError::Refused(answer)) => {
            warn!(key = %mail.key, error.message = %answer, "address refused; suppressed");
            suppression::suppress(
                &ctx.db,
                organisation_id,
                &mail.to_address,
                SuppressionReason::HardBounce,
                Some(answer.clone()),
                None,
            )
            .await?;
            (EmailStatus::Failed, Some(format!("refused: {answer}")))
        }
        Err(e) => {
            warn!(key = %mail.key, error.message = %e, "email not delivered");
            (EmailStatus::Failed, Some(e.to_string()))
        }
    };
    record(ctx, &mail.key, status, error).await?;
    Ok(if outcome.is_ok() {
        Sent::Sent
    } else {
        Sent::Failed
    })
}

/// Writes the outcome of the email under `key`.
async fn record(
    ctx: &Context,
    key: &str,
    status: EmailStatus,
    error: Option<String>,
) -> Result<(), JobError> {
    let sent = status == EmailStatus::Sent;
    email_message::Entity::update_many()
        .col_expr(
            email_message::Column::Status,
            sea_orm::sea_query::Expr::value(status),
        )
        .col_expr(
            email_message::Column::Error,
            sea_orm::sea_query::Expr::value(error),
        )
        .col_expr(
            email_message::Column::SentAt,
            sea_orm::sea_query::Expr::value(sent.then(Utc::now)),
        )
        .filter(email_message::Column::Key.eq(key))
        .exec(&ctx.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn campaign(offsets: &[i64]) -> campaign::Model {
        let opens = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        campaign::Model {
            id: 1,
            organisation_id: 1,
            questionnaire_id: 1,
            name: "c".into(),
            opens_at: opens,
            closes_at: opens + Duration::days(14),
            reminder_offsets_hours: serde_json::json!(offsets),
            min_group_size: 5,
            low_score_threshold: 0.5,
            launched_at: Some(opens),
            created_at: opens,
        }
    }

    #[test]
    fn the_latest_due_step_follows_the_offsets_and_stops_at_closing() {
        let c = campaign(&[72, 168]);
        let at = |h: i64| c.opens_at + Duration::hours(h);

        assert_eq!(latest_due_step(&c, at(-1)), None);
        assert_eq!(latest_due_step(&c, at(0)), Some(0));
        assert_eq!(latest_due_step(&c, at(71)), Some(0));
        assert_eq!(latest_due_step(&c, at(72)), Some(1));
        assert_eq!(latest_due_step(&c, at(200)), Some(2));
        assert_eq!(latest_due_step(&c, at(14 * 24)), None);
    }

    #[test]
    fn nothing_is_due_before_launch() {
        let mut c = campaign(&[]);
        c.launched_at = None;

        assert_eq!(latest_due_step(&c, c.opens_at), None);
    }
}
