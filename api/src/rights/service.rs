//! Export and erasure of a person, and the retention policy, each written
//! with its audit event in one transaction.

use async_graphql::MaybeUndefined;
use chrono::Utc;
use entities::{person, retention_policy};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use tracing::instrument;
use worker::personal_data::{self, Erased};

use crate::audit::{self, Actor, AuditAction};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// Every row about a person of the actor's organisation, as JSON.
#[instrument(skip_all, fields(person_id))]
pub async fn export(state: &AppState, actor: &Actor, person_id: i64) -> ApiResult<Value> {
    let txn = worker::db::begin_write(&state.db).await?;
    let document = personal_data::export(&txn, actor.organisation_id, person_id, Utc::now())
        .await?
        .ok_or(ApiError::NotFound("person"))?;
    audit::record(
        &txn,
        actor,
        AuditAction::PersonExported,
        ("Person", Some(person_id)),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(document)
}

/// Erases a person of the actor's organisation, with the outbox copies of
/// mail to them (how many went comes last); erasing them again changes
/// nothing and records nothing.
#[instrument(skip_all, fields(person_id))]
pub async fn erase(
    state: &AppState,
    actor: &Actor,
    person_id: i64,
) -> ApiResult<(person::Model, Erased, u64)> {
    let txn = worker::db::begin_write(&state.db).await?;
    let org = actor.organisation_id;
    let erased = personal_data::erase(&txn, org, person_id, Utc::now(), Some(actor.user_id))
        .await?
        .ok_or(ApiError::NotFound("person"))?;
    if erased.erased {
        let detail = json!({
            "api_keys_revoked": erased.api_keys_revoked,
            "sessions_ended": erased.sessions_ended,
            "texts_cleared": erased.texts_cleared,
        });
        audit::record(
            &txn,
            actor,
            AuditAction::PersonErased,
            ("Person", Some(person_id)),
            detail,
        )
        .await?;
    }
    let person = person::Entity::find_by_id(person_id)
        .filter(person::Column::OrganisationId.eq(org))
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("person"))?;
    // Mail handed to an SMTP server is out of reach; copies written to the
    // outbox folder are not. They go first: if they cannot, nothing is
    // erased and the erasure can be asked again.
    let outbox_copies = worker::mail::forget_outbox_copies(&state.outbox, &erased.addresses)
        .await
        .map_err(|error| {
            tracing::error!(%error, "outbox copies of mail to the person not deleted");
            ApiError::internal(error)
        })?;
    txn.commit().await?;
    // Their tokens and the keys they made stop working in this process at once.
    if let Some(user_id) = erased.user_id {
        state
            .callers
            .forget(|c| c.user_id == user_id && c.organisation_id == org);
    }
    Ok((person, erased, outbox_copies))
}

/// The limits of a retention policy, in days; none keeps for good.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub free_text_days: MaybeUndefined<i32>,
    pub email_log_days: MaybeUndefined<i32>,
    pub audit_days: MaybeUndefined<i32>,
}

/// Longest limit accepted: a hundred years.
const MAX_DAYS: i32 = 36_500;

/// The organisation's policy; none is set until an admin sets one.
pub async fn policy(
    state: &AppState,
    organisation_id: i64,
) -> ApiResult<Option<retention_policy::Model>> {
    Ok(retention_policy::Entity::find()
        .filter(retention_policy::Column::OrganisationId.eq(organisation_id))
        .one(&state.db)
        .await?)
}

/// Sets the organisation's policy, in place of the one before.
pub async fn set_policy(
    state: &AppState,
    actor: &Actor,
    limits: Limits,
) -> ApiResult<retention_policy::Model> {
    let mut problems = Vec::new();
    for (field, days) in [
        ("freeTextDays", &limits.free_text_days),
        ("emailLogDays", &limits.email_log_days),
        ("auditDays", &limits.audit_days),
    ] {
        if days.value().is_some_and(|d| !(1..=MAX_DAYS).contains(d)) {
            problems.push(Problem::field(
                field,
                format!("must be from 1 to {MAX_DAYS} days, or null to keep for good"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }

    let org = actor.organisation_id;
    let txn = worker::db::begin_write(&state.db).await?;
    // Locked, so that two changes of different limits both stand.
    let before = retention_policy::Entity::find()
        .filter(retention_policy::Column::OrganisationId.eq(org))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let (mut free_text_days, mut email_log_days, mut audit_days) = before
        .map_or((None, None, None), |p| {
            (p.free_text_days, p.email_log_days, p.audit_days)
        });
    limits.free_text_days.update_to(&mut free_text_days);
    limits.email_log_days.update_to(&mut email_log_days);
    limits.audit_days.update_to(&mut audit_days);
    retention_policy::Entity::insert(retention_policy::ActiveModel {
        organisation_id: Set(org),
        free_text_days: Set(free_text_days),
        email_log_days: Set(email_log_days),
        audit_days: Set(audit_days),
        updated_by: Set(Some(actor.user_id)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(retention_policy::Column::OrganisationId)
            .update_columns([
                retention_policy::Column::FreeTextDays,
                retention_policy::Column::EmailLogDays,
                retention_policy::Column::AuditDays,
                retention_policy::Column::UpdatedBy,
                retention_policy::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let row = retention_policy::Entity::find()
        .filter(retention_policy::Column::OrganisationId.eq(org))
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("retention policy"))?;
    audit::record(
        &txn,
        actor,
        AuditAction::RetentionChanged,
        ("RetentionPolicy", Some(row.id)),
        json!({
            "free_text_days": row.free_text_days,
            "email_log_days": row.email_log_days,
            "audit_days": row.audit_days,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
