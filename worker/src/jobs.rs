//! Background jobs: the payloads, their handlers, the queue they travel on
//! (Redis, or an embedded SQLite store) and the worker loop.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{DateTime, Utc};
use entities::{
    answer, campaign, campaign_accumulator, campaign_result, clock_slot, invitation, item, job_run,
    questionnaire, report, response, scale,
};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use tracing::{Instrument, error, info, info_span, warn};

use crate::accumulate::{Accumulator, Definition, fold, results_from};
use crate::db::begin_write;
use crate::dead_letters;
use crate::delivery;
use crate::dissemination;
use crate::mail::Mailer;
use crate::monitoring;
use crate::report::{ReportData, recommend, render_html};
use crate::results::{CampaignResults, Frame, ItemDef, ResponseRow, ScaleDef, Value};
use crate::running;
use crate::settings::Settings;
use crate::tokens::TokenKey;
use crate::webhooks;

/// A unit of background work. Payloads carry ids, never state: a handler
/// re-reads the database when it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Sends what is due for one campaign now: on launch, its invitations.
    SendInvitations { campaign_id: i64 },
    /// Sends what is due at `at` for every open campaign.
    ReminderSweep { at: DateTime<Utc> },
    /// Brings a campaign's figures up to date with its new responses.
    AggregateCampaign { campaign_id: i64 },
    /// Recomputes a campaign's figures and writes a new report version.
    GenerateReport { campaign_id: i64 },
    /// Applies an analytical grid to a programme over a period and writes
    /// the programme's next report version.
    GenerateProgrammeReport(crate::programme_report::Request),
    /// Proposes tutors for a programme role, as a queued matching run.
    RunMatching { run_id: i64 },
    /// Checks the active tutorial relations (of one organisation, or all)
    /// as of `at`, raises alerts and sends coordinators their digest.
    MonitorRelations {
        at: DateTime<Utc>,
        #[serde(default)]
        organisation_id: Option<i64>,
    },
    /// Sends the audiences of dissemination plans due at `at` (of one plan,
    /// or of all).
    Disseminate {
        at: DateTime<Utc>,
        #[serde(default)]
        plan_id: Option<i64>,
    },
    /// Sends the webhook deliveries due.
    DeliverWebhooks,
    /// Sends the link of a password reset request, if it names an account.
    SendPasswordReset { reset_id: i64 },
    /// Removes what the retention policies (of one organisation, or of
    /// all) no longer keep as of `at`.
    ApplyRetention {
        at: DateTime<Utc>,
        #[serde(default)]
        organisation_id: Option<i64>,
    },
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SendInvitations { .. } => "send_invitations",
            Self::ReminderSweep { .. } => "reminder_sweep",
            Self::AggregateCampaign { .. } => "aggregate_campaign",
            Self::GenerateReport { .. } => "generate_report",
            Self::GenerateProgrammeReport(_) => "generate_programme_report",
            Self::RunMatching { .. } => "run_matching",
            Self::MonitorRelations { .. } => "monitor_relations",
            Self::Disseminate { .. } => "disseminate",
            Self::DeliverWebhooks => "deliver_webhooks",
            Self::SendPasswordReset { .. } => "send_password_reset",
            Self::ApplyRetention { .. } => "apply_retention",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("database error")]
    Database(#[from] DbErr),
    /// The target is gone: retrying cannot help.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// An email the job exists for could not be sent now.
    #[error("email deferred: {0}")]
    MailDeferred(String),
}

impl JobError {
    /// Whether the same job may succeed if run again: a lost connection, a
    /// lock timeout or a serialization failure pass; a deleted target or
    /// data that does not read stay as they are.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(e) => !matches!(
                e,
                DbErr::Type(_) | DbErr::Json(_) | DbErr::TryIntoErr { .. }
            ),
            Self::NotFound(_) | Self::Corrupt(_) => false,
            Self::MailDeferred(_) => true,
        }
    }
}

/// How many times a job that fails for a passing reason is run, and how
/// long the worker waits in between: `first_delay`, doubled after each
/// attempt, at most `max_delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retries {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Retries {
    /// Five attempts over about fifteen seconds: long enough for a database
    /// fail-over or a lock to clear, short enough to end within the
    /// worker's shutdown grace.
    fn default() -> Self {
        Self {
            attempts: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl Retries {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

/// Runs `attempt` until it succeeds, fails for good, or has failed
/// `retries.attempts` times; returns the last outcome and the attempts made.
/// Each attempt is a new call, so a job handler reads the database afresh.
pub async fn with_retries<T, F, Fut>(
    retries: &Retries,
    mut attempt: F,
) -> (Result<T, JobError>, u32)
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, JobError>>,
{
    let mut made = 0;
    loop {
        made += 1;
        match attempt(made).await {
            Err(e) if e.is_transient() && made < retries.attempts.max(1) => {
                let wait = retries.delay(made);
                warn!(attempt = made, wait_ms = wait.as_millis() as u64, error.message = %e, "job failed, will try again");
                tokio::time::sleep(wait).await;
            }
            outcome => return (outcome, made),
        }
    }
}

/// What every handler needs.
#[derive(Clone)]
pub struct Context {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    pub tokens: TokenKey,
    /// Base of the links put in emails.
    pub public_url: String,
    /// Held by the sweep running in this process: sweeps take turns, so
    /// that one finds the emails the one before has sent already recorded
    /// rather than racing it for them.
    pub sweeping: Arc<tokio::sync::Mutex<()>>,
    /// How jobs that fail for a passing reason are tried again.
    pub retries: Retries,
    /// The longest wait for a database connection.
    pub db_timeout: Duration,
    /// Sends webhooks; wakes this process's delivery loop.
    pub webhooks: webhooks::Sender,
    /// Tells live subscriptions what changed.
    pub live: crate::live::Live,
}

impl Context {
    pub fn new(
        settings: &Settings,
        db: DatabaseConnection,
        tokens: TokenKey,
    ) -> anyhow::Result<Self> {
        let mailer = Mailer::new(
            settings.smtp_url.as_deref(),
            settings.outbox_dir(),
            &settings.mail_from,
            Duration::from_secs(settings.smtp_timeout_secs),
            &message_id_namespace(&tokens),
        )?;
        Ok(Self {
            db,
            mailer,
            tokens,
            public_url: settings.public_url.trim_end_matches('/').to_owned(),
            sweeping: Arc::default(),
            retries: Retries::default(),
            db_timeout: Duration::from_secs(settings.db_timeout_secs),
            webhooks: webhooks::Sender::new(settings)?,
            live: crate::live::Live::in_process(),
        })
    }
}

/// A name for this installation in Message-IDs, derived from its secret
/// key: the same in every process, different from any other installation's.
fn message_id_namespace(tokens: &TokenKey) -> String {
    crate::tokens::hash_token(&tokens.token("message-id"))
        .chars()
        .take(12)
        .collect()
}

/// Runs one job to completion and records the run.
pub async fn execute(ctx: &Context, job: Job) -> Result<serde_json::Value, JobError> {
    let started = Utc::now();
    let span = info_span!("job", kind = job.kind());
    let outcome = run(ctx, &job).instrument(span).await;

    let (label, detail) = match &outcome {
        Ok(detail) => ("ok", detail.clone()),
        Err(e) => ("error", serde_json::json!({ "error": e.to_string() })),
    };
    let elapsed_ms = (Utc::now() - started).num_milliseconds();
    match &outcome {
        Ok(_) => info!(kind = job.kind(), elapsed_ms, %detail, "job done"),
        Err(e) => {
            let chain = cause_chain(e);
            error!(kind = job.kind(), elapsed_ms, error.message = %e, error.cause_chain = ?chain, "job failed")
        }
    }
    let record = job_run::ActiveModel {
        kind: Set(job.kind().to_owned()),
        payload: Set(serde_json::to_value(&job).unwrap_or_default()),
        outcome: Set(label.to_owned()),
        detail: Set(detail),
        started_at: Set(started),
        finished_at: Set(Utc::now()),
        duration_ms: Set(Some(elapsed_ms)),
        ..Default::default()
    };
    job_run::Entity::insert(record)
        .exec_without_returning(&ctx.db)
        .await?;
    outcome
}

/// Runs a job as the worker does: again while it fails for a passing
/// reason, within `ctx.retries`; a job that fails for good, or too often,
/// becomes a dead letter.
pub async fn process(ctx: &Context, job: Job) -> Result<serde_json::Value, JobError> {
    let (outcome, attempts) = with_retries(&ctx.retries, |_| execute(ctx, job.clone())).await;
    if let Err(e) = &outcome {
        dead_letters::record_or_log(&ctx.db, &job, e, attempts).await;
    }
    outcome
}

/// An error and the errors behind it, outermost first.
pub(crate) fn cause_chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .collect()
}

async fn run(ctx: &Context, job: &Job) -> Result<serde_json::Value, JobError> {
    fn json(v: impl Serialize) -> serde_json::Value {
        serde_json::to_value(v).unwrap_or_default()
    }
    let outcome = match job {
        Job::SendInvitations { campaign_id } => {
            let _sweeping = ctx.sweeping.lock().await;
            json(delivery::sweep(ctx, Some(*campaign_id), Utc::now()).await?)
        }
        Job::ReminderSweep { at } => {
            let _sweeping = ctx.sweeping.lock().await;
            // A sweep run late (retried, taken over from a dead worker,
            // queued again from a dead letter) sends what is due now: what
            // was due when it was queued may since have closed.
            let at = (*at).max(Utc::now());
            let sent = delivery::sweep(ctx, None, at).await?;
            // Campaigns that reached their closing time since: listening
            // endpoints hear of it.
            webhooks::record_closed_campaigns(&ctx.db, at).await?;
            json(sent)
        }
        Job::AggregateCampaign { campaign_id } => {
            let results = aggregate(&ctx.db, *campaign_id).await?;
            serde_json::json!({ "campaign_id": campaign_id, "responses": results.responses })
        }
        Job::GenerateReport { campaign_id } => {
            let version = generate_report(&ctx.db, *campaign_id).await?;
            serde_json::json!({ "campaign_id": campaign_id, "version": version })
        }
        Job::GenerateProgrammeReport(request) => {
            let version = crate::programme_report::generate(&ctx.db, request).await?;
            serde_json::json!({ "programme_id": request.programme_id, "version": version })
        }
        Job::RunMatching { run_id } => json(running::execute_run(&ctx.db, *run_id).await?),
        Job::MonitorRelations {
            at,
            organisation_id,
        } => json(monitoring::monitor(ctx, *at, *organisation_id).await?),
        Job::Disseminate { at, plan_id } => {
            // Late, it sends what is due now, as a sweep does.
            let at = (*at).max(Utc::now());
            json(dissemination::disseminate(ctx, *plan_id, at).await?)
        }
        Job::DeliverWebhooks => json(webhooks::deliver_due(ctx).await?),
        Job::SendPasswordReset { reset_id } => {
            json(crate::password_reset::send(ctx, *reset_id).await?)
        }
        Job::ApplyRetention {
            at,
            organisation_id,
        } => {
            // Late, it removes what is due now. Each statement stands on
            // its own: a run cut short leaves the rest to the next one.
            let at = (*at).max(Utc::now());
            json(crate::retention::apply(&ctx.db, at, *organisation_id).await?)
        }
    };
    // Jobs that record events have this process's delivery loop send them
    // at once rather than at its next look; a delivery run leaves retries
    // for the loop to time.
    if matches!(
        job,
        Job::DeliverWebhooks
            | Job::ReminderSweep { .. }
            | Job::GenerateReport { .. }
            | Job::GenerateProgrammeReport(_)
            | Job::MonitorRelations { .. }
    ) {
        ctx.webhooks.wake();
    }
    Ok(outcome)
}

/// Brings the figures of a campaign up to date and stores them.
pub async fn aggregate(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<CampaignResults, JobError> {
    let campaign = find_campaign(db, campaign_id).await?;
    aggregate_campaign(db, &campaign).await
}

/// Throws a campaign's running totals away and folds every response again.
/// The figures come out the same; this is for checking that they do, and
/// for totals that something outside the application has made wrong.
pub async fn rebuild(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<CampaignResults, JobError> {
    let campaign = find_campaign(db, campaign_id).await?;
    campaign_accumulator::Entity::update_many()
        .col_expr(campaign_accumulator::Column::Data, Expr::value(""))
        .filter(campaign_accumulator::Column::CampaignId.eq(campaign_id))
        .exec(db)
        .await?;
    aggregate_campaign(db, &campaign).await
}

async fn find_campaign(db: &DatabaseConnection, id: i64) -> Result<campaign::Model, JobError> {
    campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(JobError::NotFound("campaign"))
}

/// Responses folded per transaction. Each transaction holds the campaign's
/// totals, and on SQLite the database, for as long as it runs: a rebuild of
/// a million responses lets submissions in between chunks.
const FOLD_CHUNK: u64 = 1000;

/// Folds the responses not yet in the campaign's running totals, then
/// computes and stores the figures from the totals.
///
/// Each chunk is one write transaction that holds the totals' row (BEGIN
/// IMMEDIATE on SQLite, SELECT … FOR UPDATE on PostgreSQL): it reads the
/// totals, folds responses not marked as folded, marks them and stores the
/// totals, so that racing aggregations take turns and none counts a
/// response twice. Marks rather than the highest id folded, since ids can
/// commit out of order on PostgreSQL. Totals that do not read, or were
/// folded for another definition, are started again from every response.
async fn aggregate_campaign(
    db: &DatabaseConnection,
    campaign: &campaign::Model,
) -> Result<CampaignResults, JobError> {
    let (items, scales) = load_definition(db, campaign.questionnaire_id).await?;
    let def = Definition::new(&items, &scales);
    loop {
        let txn = begin_write(db).await?;
        let (mut acc, mut changed) = match lock_totals(&txn, campaign, &def).await? {
            Some(acc) => (acc, false),
            None => {
                response::Entity::update_many()
                    .col_expr(response::Column::Folded, Expr::value(false))
                    .filter(response::Column::CampaignId.eq(campaign.id))
                    .filter(response::Column::Folded.eq(true))
                    .exec(&txn)
                    .await?;
                (def.empty(), true)
            }
        };

        let pending = response::Entity::find()
            .filter(response::Column::CampaignId.eq(campaign.id))
            .filter(response::Column::Folded.eq(false))
            .order_by_asc(response::Column::Id)
            .limit(FOLD_CHUNK)
            .all(&txn)
            .await?;
        let ids: Vec<i64> = pending.iter().map(|r| r.id).collect();
        if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
            // The range, redundant with the list, keeps PostgreSQL on the
            // index when a large import has left it without statistics:
            // a list of a thousand ids alone then looks like half the table.
            let answers = answer::Entity::find()
                .filter(answer::Column::ResponseId.between(*first, *last))
                .filter(answer::Column::ResponseId.is_in(ids.iter().copied()))
                .all(&txn)
                .await?;
            for row in with_answers(pending, answers) {
                fold(&def, &mut acc, &row);
            }
            response::Entity::update_many()
                .col_expr(response::Column::Folded, Expr::value(true))
                .filter(response::Column::Id.is_in(ids.iter().copied()))
                .exec(&txn)
                .await?;
            changed = true;
        }
        if changed {
            store_totals(&txn, campaign.id, &acc).await?;
        }

        if (ids.len() as u64) < FOLD_CHUNK {
            let frame = frame(&txn, campaign).await?;
            let now = Utc::now();
            let mut results = results_from(&def, &acc, &frame, now);
            if campaign.anonymity == entities::Anonymity::Anonymous && now < campaign.closes_at {
                crate::results::withhold_until_close(&mut results);
            }
            store_results(&txn, campaign, &results).await?;
            txn.commit().await?;
            return Ok(results);
        }
        txn.commit().await?;
    }
}

/// Locks the campaign's totals for this transaction and reads them; `None`
/// when they must be rebuilt: blank, unreadable or for another definition.
/// The row is created, blank, by the campaign's first aggregation.
async fn lock_totals(
    txn: &DatabaseTransaction,
    campaign: &campaign::Model,
    def: &Definition<'_>,
) -> Result<Option<Accumulator>, JobError> {
    let locked = || {
        campaign_accumulator::Entity::find()
            .filter(campaign_accumulator::Column::CampaignId.eq(campaign.id))
            .lock_exclusive()
            .one(txn)
    };
    let row = match locked().await? {
        Some(row) => row,
        None => {
            // A racing first aggregation may insert it too: one row wins,
            // and the other waits for its lock below.
            let blank = campaign_accumulator::ActiveModel {
                campaign_id: Set(campaign.id),
                responses: Set(0),
                data: Set(String::new()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            };
            campaign_accumulator::Entity::insert(blank)
                .on_conflict(
                    OnConflict::column(campaign_accumulator::Column::CampaignId)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
            locked().await?.ok_or(JobError::NotFound("campaign"))?
        }
    };
    Ok(def.read(&row.data))
}

async fn store_totals(
    txn: &DatabaseTransaction,
    campaign_id: i64,
    acc: &Accumulator,
) -> Result<(), JobError> {
    let data = serde_json::to_string(acc).map_err(|e| JobError::Corrupt(e.to_string()))?;
    campaign_accumulator::Entity::update_many()
        .col_expr(campaign_accumulator::Column::Data, Expr::value(data))
        .col_expr(
            campaign_accumulator::Column::Responses,
            Expr::value(i64::try_from(acc.responses()).unwrap_or(i64::MAX)),
        )
        .col_expr(
            campaign_accumulator::Column::UpdatedAt,
            Expr::value(Utc::now()),
        )
        .filter(campaign_accumulator::Column::CampaignId.eq(campaign_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The campaign's invitations and minimum group size, counted now.
async fn frame(conn: &impl ConnectionTrait, campaign: &campaign::Model) -> Result<Frame, DbErr> {
    let invited = invitation::Entity::find()
        .filter(invitation::Column::CampaignId.eq(campaign.id))
        .count(conn)
        .await?;
    let responded_invitations = invitation::Entity::find()
        .filter(invitation::Column::CampaignId.eq(campaign.id))
        .filter(invitation::Column::RespondedAt.is_not_null())
        .count(conn)
        .await?;
    Ok(Frame {
        invited,
        responded_invitations,
        min_group_size: usize::try_from(campaign.min_group_size).unwrap_or(1).max(1),
    })
}

async fn store_results(
    conn: &impl ConnectionTrait,
    campaign: &campaign::Model,
    results: &CampaignResults,
) -> Result<(), JobError> {
    let data = serde_json::to_value(results).map_err(|e| JobError::Corrupt(e.to_string()))?;
    let row = campaign_result::ActiveModel {
        organisation_id: Set(campaign.organisation_id),
        campaign_id: Set(campaign.id),
        response_count: Set(i32::try_from(results.responses).unwrap_or(i32::MAX)),
        data: Set(data),
        computed_at: Set(results.computed_at),
        ..Default::default()
    };
    campaign_result::Entity::insert(row)
        .on_conflict(
            OnConflict::column(campaign_result::Column::CampaignId)
                .update_columns([
                    campaign_result::Column::ResponseCount,
                    campaign_result::Column::Data,
                    campaign_result::Column::ComputedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The items and scales of a questionnaire, in order.
pub async fn load_definition(
    db: &DatabaseConnection,
    questionnaire_id: i64,
) -> Result<(Vec<ItemDef>, Vec<ScaleDef>), JobError> {
    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    let items: Vec<ItemDef> = item::Entity::find()
        .filter(item::Column::QuestionnaireId.eq(questionnaire_id))
        .order_by_asc(item::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|i| {
            if let Some(scale_id) = i.scale_id {
                members.entry(scale_id).or_default().push(i.id);
            }
            ItemDef {
                labels: serde_json::from_value(i.labels).unwrap_or_default(),
                id: i.id,
                code: i.code,
                prompt: i.prompt,
                kind: i.kind,
                points: i.points,
                reverse_keyed: i.reverse_keyed,
            }
        })
        .collect();
    let scales: Vec<ScaleDef> = scale::Entity::find()
        .filter(scale::Column::QuestionnaireId.eq(questionnaire_id))
        .order_by_asc(scale::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ScaleDef {
            item_ids: members.remove(&s.id).unwrap_or_default(),
            higher_is_better: s.higher_is_better,
            code: s.code,
            name: s.name,
        })
        .collect();
    Ok((items, scales))
}

/// Every response of a campaign with its answers.
pub async fn load_responses(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<Vec<ResponseRow>, JobError> {
    let responses = response::Entity::find()
        .filter(response::Column::CampaignId.eq(campaign_id))
        .order_by_asc(response::Column::Id)
        .all(db)
        .await?;
    let of_campaign = Query::select()
        .column(response::Column::Id)
        .from(response::Entity)
        .and_where(response::Column::CampaignId.eq(campaign_id))
        .to_owned();
    let answers = answer::Entity::find()
        .filter(answer::Column::ResponseId.in_subquery(of_campaign))
        .all(db)
        .await?;
    Ok(with_answers(responses, answers))
}

/// Responses as aggregation reads them, in the order given, each with its
/// answers among `answers`. Attributes that do not read are left out.
fn with_answers(responses: Vec<response::Model>, answers: Vec<answer::Model>) -> Vec<ResponseRow> {
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(responses.len());
    let mut rows: Vec<ResponseRow> = Vec::with_capacity(responses.len());
    for r in responses {
        let attributes: BTreeMap<String, String> =
            serde_json::from_value(r.attributes).unwrap_or_default();
        index.insert(r.id, rows.len());
        rows.push(ResponseRow {
            person_id: r.person_id,
            attributes,
            answers: HashMap::new(),
        });
    }
    for a in answers {
        let Some(row) = index.get(&a.response_id).and_then(|i| rows.get_mut(*i)) else {
            continue;
        };
        let value = match (a.number_value, a.text_value, a.choices) {
            (Some(n), _, _) => Value::Number(n),
            (_, _, Some(c)) => Value::Choices(serde_json::from_value(c).unwrap_or_default()),
            (_, Some(t), _) => Value::Text(t),
            _ => continue,
        };
        row.answers.insert(a.item_id, value);
    }
    rows
}

/// Aggregates, then writes the next report version; returns the version.
pub async fn generate_report(db: &DatabaseConnection, campaign_id: i64) -> Result<i32, JobError> {
    let campaign = find_campaign(db, campaign_id).await?;
    let results = aggregate_campaign(db, &campaign).await?;
    let questionnaire = questionnaire::Entity::find_by_id(campaign.questionnaire_id)
        .one(db)
        .await?
        .ok_or(JobError::NotFound("questionnaire"))?;
    let latest: Option<i32> = report::Entity::find()
        .select_only()
        .column_as(report::Column::Version.max(), "v")
        .filter(report::Column::CampaignId.eq(campaign_id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    let version = latest.unwrap_or(0) + 1;

    let data = ReportData {
        campaign: campaign.name.clone(),
        questionnaire: questionnaire.title,
        version,
        generated_at: Utc::now(),
        low_score_threshold: campaign.low_score_threshold,
        recommendations: recommend(&results, campaign.low_score_threshold),
        results,
    };
    let html = render_html(&data);
    let row = report::ActiveModel {
        organisation_id: Set(campaign.organisation_id),
        campaign_id: Set(campaign_id),
        version: Set(version),
        data: Set(serde_json::to_value(&data).map_err(|e| JobError::Corrupt(e.to_string()))?),
        html: Set(html),
        created_at: Set(data.generated_at),
        ..Default::default()
    };
    // A concurrent run taking the same version fails on the unique index and is retried.
    let txn = db.begin().await?;
    let stored = report::Entity::insert(row).exec(&txn).await?;
    let event = webhooks::Event::campaign_report_generated(
        campaign.organisation_id,
        stored.last_insert_id,
        campaign_id,
        version,
        data.generated_at,
    );
    webhooks::record(&txn, &event).await?;
    txn.commit().await?;
    Ok(version)
}

/// A connection of its own to a Redis queue's keys, to count its jobs.
#[derive(Clone)]
pub struct RedisProbe {
    conn: apalis_redis::ConnectionManager,
    config: apalis_redis::Config,
}

/// How many jobs a queue holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub pending: u64,
    pub running: u64,
}

/// Where jobs wait: Redis in production, a SQLite file when embedded.
#[derive(Clone)]
pub enum JobQueue {
    Redis(RedisStorage<Job>, RedisProbe),
    Sqlite(SqliteStorage<Job>),
}

/// How often an idle worker looks for new jobs. Without it, a worker wakes
/// only at its heartbeat (30 s).
const POLL_EVERY: Duration = Duration::from_millis(200);

/// How often, at most, the embedded job store's worker reports alive.
const SQLITE_HEARTBEAT: Duration = Duration::from_secs(2);

/// Heartbeats a worker may miss before its jobs go to the others.
const MISSED_HEARTBEATS: usize = 3;

/// The queue name used unless a test asks for its own.
pub const QUEUE: &str = "tutorial-jobs";

impl JobQueue {
    /// Opens the queue configured in `settings`.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        Self::open_named(settings, QUEUE).await
    }

    /// Opens a queue under `name`; separate names never share jobs.
    pub async fn open_named(settings: &Settings, name: &str) -> anyhow::Result<Self> {
        let heartbeat = Duration::from_secs(settings.job_heartbeat_secs.max(1));
        match &settings.redis_url {
            Some(url) => {
                let conn = apalis_redis::connect(url.as_str()).await?;
                let config = apalis_redis::Config::default()
                    .queue(name)
                    .heartbeat_interval(heartbeat)
                    .missed_heartbeats(MISSED_HEARTBEATS);
                let probe = RedisProbe {
                    conn: conn.clone(),
                    config: config.clone(),
                };
                Ok(Self::Redis(
                    RedisStorage::new(conn).with_config(config),
                    probe,
                ))
            }
            None => {
                std::fs::create_dir_all(&settings.data_dir)?;
                let path = settings.data_dir.join("jobs.sqlite");
                let url = format!("sqlite://{}?mode=rwc", path.display());
                // A pool of its own: the job store's pragmas do not touch
                // application data. One connection: the store reads, then
                // writes, in deferred transactions, and a push committed in
                // between would make the fetch fail ("database is locked")
                // and stall the worker. Serialised, they never overlap.
                let pool = apalis_sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await?;
                SqliteStorage::setup(&pool).await?;
                // An idle worker sometimes misses the poll that follows a
                // finished job and only looks again at its next heartbeat:
                // a short heartbeat bounds that wait.
                let config = apalis_sqlite::Config::default()
                    .queue(name)
                    .heartbeat_interval(heartbeat.min(SQLITE_HEARTBEAT))
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Ok(Self::Sqlite(SqliteStorage::new(&pool).with_config(config)))
            }
        }
    }

    /// Jobs waiting and jobs running, as the queue's backend counts them.
    /// Also a readiness check: it fails when the backend is unreachable.
    pub async fn depth(&self) -> anyhow::Result<QueueDepth> {
        use apalis::prelude::Metrics;
        let stats = match self {
            Self::Redis(_, probe) => {
                // Counted directly: the store's own statistics script
                // fails on Redis for want of an argument. Running jobs sit
                // in a set per worker, named after the queue's.
                let mut conn = probe.conn.clone();
                let (pending, workers): (u64, Vec<String>) = redis::pipe()
                    .cmd("LLEN")
                    .arg(probe.config.active_jobs_list())
                    .cmd("ZRANGE")
                    .arg(probe.config.workers_set())
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut conn)
                    .await?;
                let mut count = redis::pipe();
                for worker in &workers {
                    count
                        .cmd("SCARD")
                        .arg(format!("{}:{worker}", probe.config.inflight_jobs_set()));
                }
                let running: Vec<u64> = if workers.is_empty() {
                    Vec::new()
                } else {
                    count.query_async(&mut conn).await?
                };
                return Ok(QueueDepth {
                    pending,
                    running: running.iter().sum(),
                });
            }
            Self::Sqlite(storage) => storage.fetch_by_queue().await?,
        };
        let read = |title: &str| {
            stats
                .iter()
                .find(|s| s.title == title)
                .and_then(|s| s.value.parse::<f64>().ok())
                .map_or(0, |v| v.max(0.0) as u64)
        };
        Ok(QueueDepth {
            pending: read("PENDING_JOBS"),
            running: read("RUNNING_JOBS"),
        })
    }

    /// The Redis connection of a Redis queue, for other short-lived
    /// shared state (the api's sign-in limits) to live beside the jobs.
    pub fn redis(&self) -> Option<apalis_redis::ConnectionManager> {
        match self {
            Self::Redis(_, probe) => Some(probe.conn.clone()),
            Self::Sqlite(_) => None,
        }
    }

    pub async fn push(&self, job: Job) -> anyhow::Result<()> {
        match self {
            Self::Redis(storage, _) => storage.clone().push(job).await?,
            Self::Sqlite(storage) => storage.clone().push(job).await?,
        }
        Ok(())
    }
}

async fn handle(job: Job, ctx: Data<Arc<Context>>) -> Result<(), BoxDynError> {
    // A task of its own: when the queue fails under the worker, the worker
    // is dropped and started again, and the job must not stop half-way
    // with emails sent but not recorded. It runs on, retries and records.
    let ctx = Arc::clone(&ctx);
    let outcome = tokio::spawn(async move { process(&ctx, job).await })
        .await
        .map_err(|e| Box::new(e) as BoxDynError)?;
    match outcome {
        Ok(_) => Ok(()),
        // Aborted rather than failed: both job stores run a failed job
        // again, up to 25 times, while its retries are done and its dead
        // letter written.
        Err(e) => Err(Box::new(AbortError::new(e))),
    }
}

/// A worker name unique to this process, so a restarted worker is never
/// mistaken for the one it replaces.
pub fn worker_name(role: &str) -> String {
    format!(
        "{role}-{}-{}",
        std::process::id(),
        crate::tokens::random_token(6)
    )
}

/// When the periodic jobs run.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub sweep_every: Duration,
    pub monitor_hour_utc: u32,
}

impl From<&Settings> for Schedule {
    fn from(settings: &Settings) -> Self {
        Schedule {
            sweep_every: Duration::from_secs(settings.sweep_interval_secs),
            monitor_hour_utc: settings.monitor_hour_utc,
        }
    }
}

/// Runs the job workers and the clocks until `shutdown` resolves.
pub async fn run_workers(
    ctx: Context,
    queue: JobQueue,
    schedule: Schedule,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let db = ctx.db.clone();
    let ctx = Arc::new(ctx);
    let (stop_webhooks, webhooks_stopped) = tokio::sync::watch::channel(false);
    let mut webhooks = tokio::spawn(webhooks::run(ctx.clone(), webhooks_stopped));
    let name = worker_name("jobs");
    let monitor = match queue.clone() {
        JobQueue::Redis(storage, _) => Monitor::new().register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(storage.clone().poll_with_interval(POLL_EVERY))
                .data(ctx.clone())
                .build(handle)
        }),
        JobQueue::Sqlite(storage) => Monitor::new().register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(storage.clone().poll_with_interval(POLL_EVERY))
                .data(ctx.clone())
                .build(handle)
        }),
    };

    let clock = tokio::spawn(periodic_clock(
        db.clone(),
        queue.clone(),
        SWEEP_CLOCK,
        schedule.sweep_every,
        |at| Job::ReminderSweep { at },
    ));
    let dissemination = tokio::spawn(periodic_clock(
        db.clone(),
        queue.clone(),
        DISSEMINATION_CLOCK,
        schedule.sweep_every,
        |at| Job::Disseminate { at, plan_id: None },
    ));
    let retention = tokio::spawn(periodic_clock(
        db.clone(),
        queue.clone(),
        RETENTION_CLOCK,
        RETENTION_EVERY,
        |at| Job::ApplyRetention {
            at,
            organisation_id: None,
        },
    ));
    let nightly = tokio::spawn(monitor_clock(db, queue, schedule.monitor_hour_utc));
    let result = monitor
        // A worker stops when its queue does (Redis restarting, the
        // network gone): start it again, so it picks up where the queue
        // left off once the queue is back.
        .should_restart(|worker, error| {
            warn!(worker = %worker.name(), restarts = worker.restarts(), error.message = %error, "job worker restarts");
            true
        })
        .shutdown_timeout(Duration::from_secs(30))
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await;
    clock.abort();
    dissemination.abort();
    retention.abort();
    nightly.abort();
    // The delivery loop finishes the batch it is sending, within the grace
    // jobs get; what it leaves is taken over once its claims lapse.
    let _ = stop_webhooks.send(true);
    if tokio::time::timeout(Duration::from_secs(30), &mut webhooks)
        .await
        .is_err()
    {
        warn!("webhook deliveries still under way at shutdown");
        webhooks.abort();
    }
    result?;
    Ok(())
}

/// Clock names, as recorded with the slots they fired.
const SWEEP_CLOCK: &str = "reminder_sweep";
const MONITOR_CLOCK: &str = "monitor_relations";
/// The clock that sends dissemination plans on their dates.
pub const DISSEMINATION_CLOCK: &str = "disseminate";
/// The clock that applies retention policies, and how often it does.
const RETENTION_CLOCK: &str = "apply_retention";
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Enqueues one job of `clock` (a reminder sweep, a dissemination run)
/// per slot of `every` (slots start at multiples of `every` since the
/// epoch), however many workers run: each worker's clock ticks, and the
/// first to take the slot enqueues. After downtime a worker fires once on
/// start, not once per missed slot. A zero period turns the clock off: its
/// jobs then come only when asked for.
async fn periodic_clock(
    db: DatabaseConnection,
    queue: JobQueue,
    clock: &'static str,
    every: Duration,
    job: fn(DateTime<Utc>) -> Job,
) {
    let Ok(period) = chrono::Duration::from_std(every) else {
        return;
    };
    if period <= chrono::Duration::zero() {
        return;
    }
    let slot_of = |t: DateTime<Utc>| {
        let step = period.num_milliseconds().max(1);
        DateTime::from_timestamp_millis(t.timestamp_millis().div_euclid(step) * step).unwrap_or(t)
    };
    let current = slot_of(Utc::now());
    if missed_since_last(&db, clock, current).await {
        fire(&db, &queue, clock, (current, current + period), job).await;
    }
    loop {
        let next = slot_of(Utc::now()) + period;
        sleep_until(next).await;
        fire(&db, &queue, clock, (next, next + period), job).await;
    }
}

/// Enqueues the relation monitoring once a day at `hour` UTC, by one worker
/// only; after downtime that passed the hour, once on start. The alerts and
/// digests it produces are keyed by day as well.
async fn monitor_clock(db: DatabaseConnection, queue: JobQueue, hour: u32) {
    let job = |now| Job::MonitorRelations {
        at: now,
        organisation_id: None,
    };
    let day = chrono::Duration::days(1);
    let latest_past = next_at_hour(Utc::now(), hour) - day;
    if missed_since_last(&db, MONITOR_CLOCK, latest_past).await {
        fire(
            &db,
            &queue,
            MONITOR_CLOCK,
            (latest_past, latest_past + day),
            job,
        )
        .await;
    }
    loop {
        let next = next_at_hour(Utc::now(), hour);
        sleep_until(next).await;
        fire(&db, &queue, MONITOR_CLOCK, (next, next + day), job).await;
    }
}

async fn sleep_until(t: DateTime<Utc>) {
    let wait = (t - Utc::now()).to_std().unwrap_or(Duration::ZERO);
    tokio::time::sleep(wait).await;
}

/// Whether `clock` fired before but not since `slot`: the installation was
/// down over some of its slots. A clock that never fired has missed nothing.
pub async fn missed_since_last(db: &DatabaseConnection, clock: &str, slot: DateTime<Utc>) -> bool {
    let last: Result<Option<DateTime<Utc>>, DbErr> = clock_slot::Entity::find()
        .select_only()
        .column_as(clock_slot::Column::Slot.max(), "last")
        .filter(clock_slot::Column::Clock.eq(clock))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await
        .map(Option::flatten);
    match last {
        Ok(last) => last.is_some_and(|last| last < slot),
        Err(e) => {
            error!(clock, error.message = %e, "cannot read the clock's last slot");
            false
        }
    }
}

/// How long a clock waits before trying a slot again after the database
/// or the queue failed it.
const CLOCK_RETRY: Duration = Duration::from_secs(5);

/// Takes the slot `(start, end)` of `clock` and enqueues its job, unless
/// another worker took the slot first. When the database or the queue
/// fails, tries again every few seconds until the slot ends.
async fn fire(
    db: &DatabaseConnection,
    queue: &JobQueue,
    clock: &str,
    (slot, end): (DateTime<Utc>, DateTime<Utc>),
    job: impl Fn(DateTime<Utc>) -> Job,
) {
    while !fire_once(db, queue, clock, slot, &job).await && Utc::now() < end {
        tokio::time::sleep(CLOCK_RETRY).await;
    }
}

/// One try at firing `slot`: true once the slot is fired, by us or another.
async fn fire_once(
    db: &DatabaseConnection,
    queue: &JobQueue,
    clock: &str,
    slot: DateTime<Utc>,
    job: &impl Fn(DateTime<Utc>) -> Job,
) -> bool {
    match take_slot(db, clock, slot).await {
        Ok(false) => true,
        Ok(true) => {
            let Err(e) = queue.push(job(Utc::now())).await else {
                return true;
            };
            error!(clock, error.message = %e, "cannot enqueue the clock's job");
            // Give the slot back, so that a later try, here or in another
            // worker, fires it.
            let released = clock_slot::Entity::delete_many()
                .filter(clock_slot::Column::Clock.eq(clock))
                .filter(clock_slot::Column::Slot.eq(slot))
                .exec(db)
                .await;
            if let Err(e) = released {
                error!(clock, error.message = %e, "cannot give the clock's slot back");
            }
            false
        }
        Err(e) => {
            error!(clock, error.message = %e, "cannot take the clock's slot");
            false
        }
    }
}

/// Records `slot` of `clock` as fired; false when it already was. Slots
/// older than a month are forgotten.
pub async fn take_slot(
    db: &DatabaseConnection,
    clock: &str,
    slot: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = clock_slot::ActiveModel {
        clock: Set(clock.to_owned()),
        slot: Set(slot),
        fired_at: Set(Utc::now()),
    };
    let inserted = clock_slot::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([clock_slot::Column::Clock, clock_slot::Column::Slot])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted > 0 {
        clock_slot::Entity::delete_many()
            .filter(clock_slot::Column::Clock.eq(clock))
            .filter(clock_slot::Column::Slot.lt(slot - chrono::Duration::days(31)))
            .exec(db)
            .await?;
    }
    Ok(inserted > 0)
}

/// The first time after `now` at `hour`:00 UTC.
pub fn next_at_hour(now: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    let today = now
        .date_naive()
        .and_hms_opt(hour.min(23), 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    if today > now {
        today
    } else {
        today + chrono::Duration::days(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn lost_connection() -> JobError {
        JobError::Database(DbErr::Conn(sea_orm::RuntimeErr::Internal(
            "connection reset".into(),
        )))
    }

    #[test]
    fn database_trouble_passes_while_missing_targets_and_unreadable_data_stay() {
        assert!(lost_connection().is_transient());
        assert!(JobError::Database(DbErr::Custom("lock timeout".into())).is_transient());
        assert!(!JobError::NotFound("campaign").is_transient());
        assert!(!JobError::Corrupt("bad totals".into()).is_transient());
        assert!(!JobError::Database(DbErr::Json("expected a list".into())).is_transient());
        assert!(!JobError::Database(DbErr::Type("not a number".into())).is_transient());
    }

    #[test]
    fn the_wait_doubles_after_each_attempt_up_to_its_cap() {
        let retries = Retries::default();
        let waits: Vec<u64> = (1..=7).map(|n| retries.delay(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(retries.delay(u32::MAX), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_passing_failure_is_tried_again_after_growing_waits_until_the_attempts_run_out() {
        let retries = Retries::default();
        let start = tokio::time::Instant::now();
        let mut started = Vec::new();

        let (outcome, attempts) = with_retries(&retries, |n| {
            started.push((n, start.elapsed().as_secs()));
            async { Err::<(), _>(lost_connection()) }
        })
        .await;

        assert!(matches!(outcome, Err(JobError::Database(_))));
        assert_eq!(attempts, 5);
        assert_eq!(started, [(1, 0), (2, 1), (3, 3), (4, 7), (5, 15)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_that_succeeds_on_a_later_attempt_stops_there() {
        let mut calls = 0;

        let (outcome, attempts) = with_retries(&Retries::default(), |n| {
            calls += 1;
            async move { if n < 3 { Err(lost_connection()) } else { Ok(n) } }
        })
        .await;

        assert_eq!(outcome.ok(), Some(3));
        assert_eq!((attempts, calls), (3, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_failure_is_not_tried_again() {
        let start = tokio::time::Instant::now();
        let mut calls = 0;

        let (outcome, attempts) = with_retries(&Retries::default(), |_| {
            calls += 1;
            async { Err::<(), _>(JobError::NotFound("campaign")) }
        })
        .await;

        assert!(matches!(outcome, Err(JobError::NotFound("campaign"))));
        assert_eq!((attempts, calls), (1, 1));
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[test]
    fn the_nightly_check_falls_at_the_next_occurrence_of_its_hour() {
        let at = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        assert_eq!(next_at_hour(at(4, 1, 59), 2), at(4, 2, 0));
        assert_eq!(next_at_hour(at(4, 2, 0), 2), at(5, 2, 0));
        assert_eq!(next_at_hour(at(4, 23, 0), 2), at(5, 2, 0));
        assert_eq!(
            next_at_hour(at(31, 23, 30), 0),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
    }
}
