//! Invitations and reminders.
//!
//! Step 0 of a campaign is the invitation, due when it opens; step n is the
//! n-th reminder, due `reminder_offsets_hours[n − 1]` after opening, placed
//! in each recipient's time zone by the campaign's reminder policy (see
//! [`crate::reminders`]). A sweep at time `at` sends each non-respondent the
//! latest step due for them, unless that step (or a later one) already went
//! out. Each email is recorded under the key `invitation:{id}:step:{n}`
//! before it is sent; the unique key makes a second sweep, a retry or a
//! second worker skip it.
//!
//! A worker that stops mid-way (killed, its machine lost) leaves the emails
//! it had claimed pending. Once a claim is older than any send can take
//! ([`claim_lease`]), the next sweep takes the email over. Those that had
//! not left yet then go out once; the few that were at the SMTP server at
//! the moment of the stop may go out twice, under the same Message-ID, by
//! which mail stores recognise one message.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entities::{
    EmailStatus, QuestionnaireMode, SuppressionReason, campaign, email_message, invitation, person,
    questionnaire,
};
use futures::StreamExt;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use tracing::{info, warn};

use crate::jobs::{Context, JobError};
use crate::mail::{MailError, Outgoing};
use crate::reminders::{self, ReminderPolicy};
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
    /// Not sent for a passing reason; the next sweep tries again.
    pub deferred: usize,
    /// Tutors and coordinators told who has not answered.
    pub escalated: usize,
}

pub fn reminder_offsets(campaign: &campaign::Model) -> Vec<i64> {
    serde_json::from_value(campaign.reminder_offsets_hours.clone()).unwrap_or_default()
}

pub fn reminder_policy(campaign: &campaign::Model) -> ReminderPolicy {
    ReminderPolicy::from_json(campaign.reminder_policy.as_ref())
}

/// When each step of a campaign falls due for a recipient in `zone`.
pub fn due_times(campaign: &campaign::Model, zone: Tz) -> Vec<DateTime<Utc>> {
    reminders::schedule(
        campaign.opens_at,
        campaign.closes_at,
        &reminder_offsets(campaign),
        &reminder_policy(campaign),
        zone,
    )
}

/// The latest step due at `at` for a recipient in `zone`, if the campaign
/// is open then.
pub fn latest_due_step(campaign: &campaign::Model, zone: Tz, at: DateTime<Utc>) -> Option<usize> {
    latest_of(campaign, &due_times(campaign, zone), at)
}

/// The latest step of `schedule` due at `at`, if the campaign is open then.
fn latest_of(
    campaign: &campaign::Model,
    schedule: &[DateTime<Utc>],
    at: DateTime<Utc>,
) -> Option<usize> {
    if campaign.launched_at.is_none() || at < campaign.opens_at || at >= campaign.closes_at {
        return None;
    }
    reminders::latest_due(schedule, at)
}

/// Sends what is due at `at`, for one campaign or for all; campaigns of
/// interview guides send nothing.
pub async fn sweep(
    ctx: &Context,
    campaign_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Delivered, JobError> {
    // Interview guides are answered by interviewers: their campaigns
    // send no invitation, reminder or escalation.
    let guides = Query::select()
        .column(questionnaire::Column::Id)
        .from(questionnaire::Entity)
        .and_where(questionnaire::Column::Mode.eq(QuestionnaireMode::InterviewGuide))
        .to_owned();
    let mut query = campaign::Entity::find()
        .filter(campaign::Column::LaunchedAt.is_not_null())
        .filter(campaign::Column::OpensAt.lte(at))
        .filter(campaign::Column::ClosesAt.gt(at))
        .filter(campaign::Column::QuestionnaireId.not_in_subquery(guides));
    if let Some(id) = campaign_id {
        query = query.filter(campaign::Column::Id.eq(id));
    }
    let campaigns = query.all(&ctx.db).await?;

    let mut total = Delivered::default();
    for campaign in &campaigns {
        let done = deliver_due(ctx, campaign, at).await?;
        total.campaigns += 1;
        total.sent += done.sent;
        total.failed += done.failed;
        total.suppressed += done.suppressed;
        total.deferred += done.deferred;
        total.escalated += done.escalated;
    }
    Ok(total)
}

/// Sends each non-respondent of `campaign` the step due for them at `at`.
async fn deliver_due(
    ctx: &Context,
    campaign: &campaign::Model,
    at: DateTime<Utc>,
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

    type Row = (Option<i64>, Option<i32>, EmailStatus, Option<DateTime<Utc>>);
    let sent_steps: Vec<Row> = email_message::Entity::find()
        .select_only()
        .column(email_message::Column::InvitationId)
        .column(email_message::Column::Step)
        .column(email_message::Column::Status)
        .column(email_message::Column::ClaimedAt)
        .filter(email_message::Column::CampaignId.eq(campaign.id))
        .into_tuple()
        .all(&ctx.db)
        .await?;
    // The latest step settled for each invitation, and whether an email
    // ever reached them. A deferred email is still owed, and so is one
    // whose sender stopped before recording what became of it.
    let abandoned_before = Utc::now() - claim_lease(ctx);
    let mut highest: HashMap<i64, i32> = HashMap::new();
    let mut contacted: HashSet<i64> = HashSet::new();
    for (invitation, s, status, claimed_at) in sent_steps {
        let (Some(i), Some(s)) = (invitation, s) else {
            continue;
        };
        let abandoned =
            status == EmailStatus::Pending && claimed_at.is_none_or(|at| at < abandoned_before);
        if abandoned || status == EmailStatus::Deferred {
            continue;
        }
        let h = highest.entry(i).or_insert(s);
        *h = (*h).max(s);
        if matches!(status, EmailStatus::Sent | EmailStatus::Pending) {
            contacted.insert(i);
        }
    }

    // Once the target response rate is reached, only invitations still
    // owed (deferred by quiet hours) go out.
    let policy = reminder_policy(campaign);
    let target_reached = match policy.target_response_rate {
        Some(_) => {
            let counts = response_counts(ctx, campaign.id).await?;
            policy.target_reached(counts.0, counts.1)
        }
        None => false,
    };
    // Recipients in one zone share their schedule.
    let mut by_zone: HashMap<String, (Option<i32>, i32)> = HashMap::new();
    let mut step_for = |zone_name: &str| {
        *by_zone.entry(zone_name.to_owned()).or_insert_with(|| {
            let zone = reminders::zone(zone_name);
            let schedule = due_times(campaign, zone);
            let last = schedule.len() as i32 - 1;
            let step = latest_of(campaign, &schedule, at).map(|s| s as i32);
            (step, last)
        })
    };
    let work: Vec<Work> = pending
        .into_iter()
        .filter_map(|(inv, person)| {
            let person = person?;
            let address = person.email.clone()?;
            let (step, last) = step_for(&person.time_zone);
            let mut step = step?;
            let first_contact = !contacted.contains(&inv.id);
            if target_reached {
                step = step.min(0);
            }
            if highest.get(&inv.id).is_some_and(|h| *h >= step) {
                return None;
            }
            Some(Work {
                last: step == last && step > 0,
                inv,
                person,
                address,
                step,
                first_contact,
            })
        })
        .collect();
    // Batches claim their keys and record their outcomes together; two run
    // at once, so one's database round trips overlap the other's sending.
    let results = futures::stream::iter(work)
        .chunks(BATCH)
        .map(|batch| {
            let ctx = ctx.clone();
            let campaign = campaign.clone();
            async move {
                let emails = batch
                    .into_iter()
                    .map(|w| compose(&ctx, &campaign, w))
                    .collect();
                send_claimed_all(&ctx, campaign.organisation_id, emails).await
            }
        })
        .buffer_unordered(2)
        .collect::<Vec<_>>()
        .await;

    let mut done = Delivered::default();
    for result in results {
        for sent in result? {
            match sent {
                Sent::Sent => done.sent += 1,
                Sent::Failed => done.failed += 1,
                Sent::Deferred => done.deferred += 1,
                Sent::Suppressed => done.suppressed += 1,
                Sent::Elsewhere => {}
            }
        }
    }
    if !target_reached && crate::escalation::due(campaign, &policy, at) {
        done.escalated = crate::escalation::escalate(ctx, campaign, &policy, at).await?;
    }
    info!(
        campaign_id = campaign.id,
        escalated = done.escalated,
        emails_sent = done.sent,
        emails_failed = done.failed,
        emails_suppressed = done.suppressed,
        "due emails delivered"
    );
    Ok(done)
}

/// Invitations answered and invitations, of one campaign.
async fn response_counts(ctx: &Context, campaign_id: i64) -> Result<(u64, u64), JobError> {
    let invited = invitation::Entity::find()
        .filter(invitation::Column::CampaignId.eq(campaign_id))
        .count(&ctx.db)
        .await?;
    let responded = invitation::Entity::find()
        .filter(invitation::Column::CampaignId.eq(campaign_id))
        .filter(invitation::Column::RespondedAt.is_not_null())
        .count(&ctx.db)
        .await?;
    Ok((responded, invited))
}

/// One email owed to one invitee.
struct Work {
    inv: invitation::Model,
    person: person::Model,
    address: String,
    step: i32,
    first_contact: bool,
    /// The last reminder this invitee can get before closing.
    last: bool,
}

/// Emails claimed together.
const BATCH: usize = 16;
/// Emails of a batch on their way to the SMTP server at once.
const SENDING_AT_ONCE: usize = 8;

/// How long a claim on an email holds. A batch sends its emails
/// [`SENDING_AT_ONCE`] at a time, each within the mailer's longest send,
/// and waits for database connections at most the pool's timeout per step
/// (the suppression check, each write of outcomes): a running sender holds
/// a claim at most about two longest sends plus those waits. A claim older
/// than three of each belongs to a sender that stopped. Every worker
/// should have the same `SMTP_TIMEOUT_SECS` and `DB_TIMEOUT_SECS`.
pub fn claim_lease(ctx: &Context) -> chrono::Duration {
    let waves = BATCH.div_ceil(SENDING_AT_ONCE) as u32 + 1;
    let held = ctx.mailer.longest_send() * waves + ctx.db_timeout * 3;
    chrono::Duration::from_std(held).unwrap_or(chrono::Duration::MAX)
}

/// The email owed, with the log row that will claim its key.
fn compose(ctx: &Context, campaign: &campaign::Model, w: Work) -> Claimed {
    let Work {
        inv,
        person,
        address,
        step,
        first_contact,
        last,
    } = w;
    let key = format!("invitation:{}:step:{step}", inv.id);
    let token = ctx.tokens.token(&inv.token_nonce);
    let link = format!("{}/respond/{token}", ctx.public_url);
    let unsubscribe = format!(
        "{}/unsubscribe/{}",
        ctx.public_url,
        crate::tokens::unsubscribe_token(&ctx.tokens, inv.id, &inv.token_nonce)
    );
    let email = CampaignEmail {
        lang: Lang::of(&person.language),
        step: if first_contact {
            Step::Invitation
        } else if last {
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
    Claimed { claim, mail }
}

/// An email and the log row that claims its key.
pub struct Claimed {
    pub claim: email_message::ActiveModel,
    pub mail: Outgoing,
}

/// What became of one email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Sent,
    Failed,
    /// Not sent: the address is on the organisation's suppression list.
    Suppressed,
    /// Not sent for a passing reason; the next sweep tries again.
    Deferred,
    /// The key was already taken: the email went out, or is going out, elsewhere.
    Elsewhere,
}

/// Sends one email of `organisation_id`; see [`send_claimed_all`].
pub async fn send_claimed(
    ctx: &Context,
    organisation_id: i64,
    email: Claimed,
) -> Result<Sent, JobError> {
    let sent = send_claimed_all(ctx, organisation_id, vec![email]).await?;
    Ok(sent.into_iter().next().unwrap_or(Sent::Elsewhere))
}

/// The one place mail is sent from. Records every claim under its unique
/// key in one statement (durably, before anything is sent), skips the keys
/// another sender holds and the addresses on the organisation's suppression
/// list, and sends the rest a few at a time, recording each outcome as soon
/// as the server answers. A deferred email, or one whose claim was
/// abandoned by a sender that stopped, is claimed again under its key, by
/// one sender only. A permanent refusal from the server puts the address
/// on the list. The answer follows the order of `emails`.
pub async fn send_claimed_all(
    ctx: &Context,
    organisation_id: i64,
    emails: Vec<Claimed>,
) -> Result<Vec<Sent>, JobError> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let (claims, mails): (Vec<_>, Vec<_>) = emails
        .into_iter()
        .map(|mut e| {
            e.claim.claimed_at = Set(Some(now));
            (e.claim, e.mail)
        })
        .unzip();
    let keys: Vec<String> = mails.iter().map(|m| m.key.clone()).collect();
    let owed = Condition::any()
        .add(email_message::Column::Status.eq(EmailStatus::Deferred))
        .add(
            Condition::all()
                .add(email_message::Column::Status.eq(EmailStatus::Pending))
                .add(email_message::Column::ClaimedAt.lt(now - claim_lease(ctx))),
        );
    let retried: Vec<String> = email_message::Entity::update_many()
        .col_expr(
            email_message::Column::Status,
            Expr::value(EmailStatus::Pending),
        )
        .col_expr(email_message::Column::ClaimedAt, Expr::value(Some(now)))
        .filter(email_message::Column::Key.is_in(keys))
        .filter(owed)
        .exec_with_returning(&ctx.db)
        .await?
        .into_iter()
        .map(|m| m.key)
        .collect();
    let mut ours: HashSet<String> = match email_message::Entity::insert_many(claims)
        .on_conflict(
            OnConflict::column(email_message::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_with_returning(&ctx.db)
        .await
    {
        Ok(rows) => rows.into_iter().map(|r| r.key).collect(),
        Err(DbErr::RecordNotInserted) => HashSet::new(),
        Err(e) => return Err(e.into()),
    };
    ours.extend(retried);
    let addresses: Vec<String> = mails
        .iter()
        .filter(|m| ours.contains(&m.key))
        .map(|m| m.to_address.clone())
        .collect();
    let suppressed = suppression::suppressed_among(&ctx.db, organisation_id, &addresses).await?;

    // Each outcome goes to the recorder as soon as the server answers; the
    // recorder writes all that have come in since its last write at once,
    // so an outcome waits for one write at most, not for the batch.
    let (outcomes, mut answered) = tokio::sync::mpsc::unbounded_channel();
    // Owned futures: each carries what it needs, borrowing nothing.
    let mut sends = Vec::with_capacity(mails.len());
    for mail in mails {
        let skip = if !ours.contains(&mail.key) {
            Some((Sent::Elsewhere, None))
        } else {
            suppressed
                .get(&suppression::normalise(&mail.to_address))
                .map(|reason| (Sent::Suppressed, Some(reason.clone())))
        };
        let (ctx, outcomes) = (ctx.clone(), outcomes.clone());
        sends.push(async move {
            let (sent, error) = match skip {
                Some(skip) => skip,
                None => send_one(&ctx, organisation_id, &mail).await?,
            };
            if sent != Sent::Elsewhere {
                // The recorder outlives every send, unless it failed.
                let _ = outcomes.send((mail.key, sent, error));
            }
            Ok::<_, JobError>(sent)
        });
    }
    drop(outcomes);
    let sending = futures::stream::iter(sends)
        .buffered(SENDING_AT_ONCE)
        .collect::<Vec<_>>();
    let recording = async {
        while let Some(first) = answered.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = answered.try_recv() {
                batch.push(more);
            }
            record(ctx, batch).await?;
        }
        Ok::<_, JobError>(())
    };
    let (sent, recorded) = futures::join!(sending, recording);
    recorded?;
    sent.into_iter().collect()
}

/// Sends one claimed email: what became of it, and what to log.
async fn send_one(
    ctx: &Context,
    organisation_id: i64,
    mail: &Outgoing,
) -> Result<(Sent, Option<String>), JobError> {
    Ok(match ctx.mailer.send(mail).await {
        Ok(()) => (Sent::Sent, None),
        Err(e @ (MailError::Invalid(_) | MailError::Rejected(_))) => {
            warn!(key = %mail.key, error.message = %e, "email refused");
            (Sent::Failed, Some(e.to_string()))
        }
        Err(MailError::Refused(answer)) => {
            warn!(key = %mail.key, error.message = %answer, "address refused; suppressed");
            let error = format!("refused: {answer}");
            suppression::suppress(
                &ctx.db,
                organisation_id,
                &mail.to_address,
                SuppressionReason::HardBounce,
                Some(answer),
                None,
            )
            .await?;
            (Sent::Failed, Some(error))
        }
        Err(e) => {
            warn!(key = %mail.key, error.message = %e, "email deferred");
            (Sent::Deferred, Some(e.to_string()))
        }
    })
}

/// Writes what became of some emails, in one transaction: the sent ones
/// in one statement, the rest one by one. A lost outcome only leaves its
/// row pending until its claim lapses, so on PostgreSQL the commit does not
/// wait for the disk.
async fn record(
    ctx: &Context,
    outcomes: Vec<(String, Sent, Option<String>)>,
) -> Result<(), JobError> {
    let txn = ctx.db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit = off")
            .await?;
    }
    let sent: Vec<&str> = outcomes
        .iter()
        .filter(|(_, s, _)| *s == Sent::Sent)
        .map(|(key, _, _)| key.as_str())
        .collect();
    if !sent.is_empty() {
        email_message::Entity::update_many()
            .col_expr(
                email_message::Column::Status,
                Expr::value(EmailStatus::Sent),
            )
            .col_expr(
                email_message::Column::Error,
                Expr::value(Option::<String>::None),
            )
            .col_expr(email_message::Column::SentAt, Expr::value(Some(Utc::now())))
            .filter(email_message::Column::Key.is_in(sent))
            .exec(&txn)
            .await?;
    }
    for (key, outcome, error) in &outcomes {
        let status = match outcome {
            Sent::Failed => EmailStatus::Failed,
            Sent::Deferred => EmailStatus::Deferred,
            Sent::Suppressed => EmailStatus::Suppressed,
            Sent::Sent | Sent::Elsewhere => continue,
        };
        email_message::Entity::update_many()
            .col_expr(email_message::Column::Status, Expr::value(status))
            .col_expr(email_message::Column::Error, Expr::value(error.clone()))
            .col_expr(
                email_message::Column::SentAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(email_message::Column::Key.eq(key.as_str()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

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
            reminder_policy: None,
            min_group_size: 5,
            low_score_threshold: 0.5,
            launched_at: Some(opens),
            anonymity: entities::Anonymity::Confidential,
            programme_id: None,
            created_at: opens,
        }
    }

    #[test]
    fn the_latest_due_step_follows_the_offsets_and_stops_at_closing() {
        let c = campaign(&[72, 168, 400]);
        let at = |h: i64| c.opens_at + Duration::hours(h);
        let due = |h: i64| latest_due_step(&c, Tz::UTC, at(h));

        assert_eq!(due(-1), None);
        assert_eq!(due(0), Some(0));
        assert_eq!(due(71), Some(0));
        assert_eq!(due(72), Some(1));
        assert_eq!(due(200), Some(2));
        assert_eq!(due(14 * 24), None);
        assert_eq!(
            due_times(&c, Tz::UTC).len(),
            3,
            "the 400 h step falls after closing"
        );
    }

    #[test]
    fn nothing_is_due_before_launch() {
        let mut c = campaign(&[]);
        c.launched_at = None;

        assert_eq!(latest_due_step(&c, Tz::UTC, c.opens_at), None);
    }
}
