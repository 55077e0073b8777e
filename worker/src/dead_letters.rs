//! Jobs given up on, kept with why they failed so that an admin can see
//! them and run them again.

use chrono::Utc;
use entities::{campaign, dead_letter, matching_run};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, SqlErr};
use tracing::{error, warn};

use crate::jobs::{Job, JobError, cause_chain};

/// Records a job given up on after `attempts`, and returns the row.
pub async fn record(
    db: &DatabaseConnection,
    job: &Job,
    failure: &JobError,
    attempts: u32,
) -> Result<dead_letter::Model, DbErr> {
    let (organisation_id, campaign_id) = target(db, job).await;
    let row = dead_letter::ActiveModel {
        organisation_id: Set(organisation_id),
        campaign_id: Set(campaign_id),
        kind: Set(job.kind().to_owned()),
        payload: Set(serde_json::to_value(job).unwrap_or_default()),
        reason: Set(reason(failure)),
        attempts: Set(i32::try_from(attempts).unwrap_or(i32::MAX)),
        failed_at: Set(Utc::now()),
        ..Default::default()
    };
    match dead_letter::Entity::insert(row.clone())
        .exec_with_returning(db)
        .await
    {
        // The organisation was deleted meanwhile: the letter is kept for
        // the whole installation rather than lost.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => {
            let row = dead_letter::ActiveModel {
                organisation_id: Set(None),
                ..row
            };
            dead_letter::Entity::insert(row)
                .exec_with_returning(db)
                .await
        }
        outcome => outcome,
    }
}

/// Records a dead letter, once; when that fails too, typically with the
/// database down, the log is the only record left.
pub async fn record_or_log(db: &DatabaseConnection, job: &Job, failure: &JobError, attempts: u32) {
    let payload = serde_json::to_string(job).unwrap_or_default();
    match record(db, job, failure, attempts).await {
        Ok(row) => warn!(
            kind = job.kind(),
            attempts,
            dead_letter = row.id,
            error.message = %failure,
            "job given up on"
        ),
        Err(e) => error!(
            kind = job.kind(),
            attempts,
            %payload,
            error.message = %failure,
            dead_letter.error = %e,
            "job given up on, and its dead letter not written"
        ),
    }
}

/// The error and its causes, outermost first.
pub fn reason(failure: &JobError) -> String {
    cause_chain(failure).join(": ")
}

/// The organisation and campaign a job is about, as far as they can be
/// told: none for jobs that span every organisation, and no organisation
/// when the target is gone or cannot be read now.
async fn target(db: &DatabaseConnection, job: &Job) -> (Option<i64>, Option<i64>) {
    match job {
        Job::SendInvitations { campaign_id }
        | Job::AggregateCampaign { campaign_id }
        | Job::GenerateReport { campaign_id } => {
            let organisation = campaign::Entity::find_by_id(*campaign_id)
                .one(db)
                .await
                .ok()
                .flatten()
                .map(|c| c.organisation_id);
            (organisation, Some(*campaign_id))
        }
        Job::RunMatching { run_id } => {
            let organisation = matching_run::Entity::find_by_id(*run_id)
                .one(db)
                .await
                .ok()
                .flatten()
                .map(|r| r.organisation_id);
            (organisation, None)
        }
        Job::GenerateProgrammeReport(request) => {
            let organisation = entities::programme::Entity::find_by_id(request.programme_id)
                .one(db)
                .await
                .ok()
                .flatten()
                .map(|p| p.organisation_id);
            (organisation, None)
        }
        Job::MonitorRelations {
            organisation_id, ..
        } => (*organisation_id, None),
        Job::Disseminate {
            plan_id: Some(plan_id),
            ..
        } => {
            let organisation = entities::dissemination_plan::Entity::find_by_id(*plan_id)
                .one(db)
                .await
                .ok()
                .flatten()
                .map(|p| p.organisation_id);
            (organisation, None)
        }
        Job::ApplyRetention {
            organisation_id, ..
        } => (*organisation_id, None),
        // Not an organisation's (a password reset: an account may belong
        // to several).
        Job::ReminderSweep { .. }
        | Job::Disseminate { plan_id: None, .. }
        | Job::DeliverWebhooks
        | Job::SendPasswordReset { .. } => (None, None),
    }
}
