//! Tutor roles, the tutorial guide and its standards.

use chrono::Utc;
use entities::{RoleKind, Severity, StandardKind, guide_version, standard, tutor_role};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};

use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

use super::*;

pub async fn find_role(
    db: &impl ConnectionTrait,
    org: i64,
    id: i64,
) -> ApiResult<tutor_role::Model> {
    tutor_role::Entity::find_by_id(id)
        .filter(tutor_role::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("tutor role"))
}

pub struct NewRole {
    pub name: String,
    pub kind: RoleKind,
    pub functions: Vec<String>,
    pub hourly_cost: f64,
    pub expected_learners: i32,
    pub expected_hours_per_month: f64,
}

pub async fn create_role(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    r: NewRole,
) -> ApiResult<tutor_role::Model> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "name", &r.name, validate::NAME);
    if r.functions.is_empty() || r.functions.len() > 50 {
        problems.push(Problem::field(
            "functions",
            "list what the role does: 1 to 50 functions",
        ));
    }
    for (i, f) in r.functions.iter().enumerate() {
        validate::name(&mut problems, &format!("functions[{i}]"), f, 500);
    }
    validate::number(&mut problems, "hourlyCost", r.hourly_cost, 0.0, 100_000.0);
    if !(0..=100_000).contains(&r.expected_learners) {
        problems.push(Problem::field(
            "expectedLearners",
            "must be from 0 to 100,000",
        ));
    }
    validate::number(
        &mut problems,
        "expectedHoursPerMonth",
        r.expected_hours_per_month,
        0.0,
        744.0,
    );
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let programme = find_programme(db, org, programme_id).await?;
    Ok(tutor_role::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        name: Set(r.name.trim().to_owned()),
        kind: Set(r.kind),
        functions: Set(serde_json::json!(r.functions)),
        hourly_cost: Set(r.hourly_cost),
        expected_learners: Set(r.expected_learners),
        expected_hours_per_month: Set(r.expected_hours_per_month),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Publishes the next version of a programme's guide; earlier versions stay.
pub async fn publish_guide(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    body: String,
) -> ApiResult<guide_version::Model> {
    let mut problems = Vec::new();
    if body.trim().is_empty() {
        problems.push(Problem::field("body", "is empty"));
    }
    validate::text(&mut problems, "body", &body, validate::DOCUMENT);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let programme = find_programme(db, org, programme_id).await?;
    let txn = worker::db::begin_write(db).await?;
    let latest = guide_version::Entity::find()
        .filter(guide_version::Column::ProgrammeId.eq(programme.id))
        .order_by_desc(guide_version::Column::Version)
        .one(&txn)
        .await?;
    let created = guide_version::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        version: Set(latest.map_or(1, |v| v.version + 1)),
        body: Set(body),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Sets the programme's standard of a kind, replacing the previous one.
pub async fn set_standard(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    kind: StandardKind,
    threshold: Option<i32>,
    severity: Severity,
    description: String,
) -> ApiResult<standard::Model> {
    let mut problems = Vec::new();
    validate::text(&mut problems, "description", &description, 2_000);
    if threshold.is_some_and(|t| t > 10_000) {
        problems.push(Problem::field("threshold", "must be at most 10,000"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let Some(threshold) = threshold.filter(|t| *t > 0) else {
        return Err(ApiError::invalid(vec![Problem::field(
            "threshold",
            "a standard needs a threshold of at least 1 (days or hours, by kind)",
        )]));
    };
    let programme = find_programme(db, org, programme_id).await?;
    let row = standard::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        kind: Set(kind),
        threshold: Set(threshold),
        severity: Set(severity),
        description: Set(description),
        ..Default::default()
    };
    standard::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([standard::Column::ProgrammeId, standard::Column::Kind])
                .update_columns([
                    standard::Column::Threshold,
                    standard::Column::Severity,
                    standard::Column::Description,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    standard::Entity::find()
        .filter(standard::Column::ProgrammeId.eq(programme.id))
        .filter(standard::Column::Kind.eq(kind))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("standard"))
}
