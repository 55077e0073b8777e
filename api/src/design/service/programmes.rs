//! Programmes and their support axes.

use chrono::{NaiveDate, Utc};
use entities::{AxisKind, programme, support_axis};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use worker::design::{self};

use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

pub struct NewProgramme {
    pub name: String,
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub goals: Vec<String>,
    pub budget: f64,
    pub currency: String,
    pub expected_learners: i32,
}

pub async fn create_programme(
    db: &DatabaseConnection,
    org: i64,
    p: NewProgramme,
) -> ApiResult<programme::Model> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "name", &p.name, validate::NAME);
    validate::text(&mut problems, "description", &p.description, validate::TEXT);
    if p.goals.len() > 50 {
        problems.push(Problem::field("goals", "at most 50 goals"));
    }
    for (i, goal) in p.goals.iter().enumerate() {
        validate::name(&mut problems, &format!("goals[{i}]"), goal, 500);
    }
    if p.ends_on < p.starts_on {
        problems.push(Problem::field("endsOn", "is before startsOn"));
    }
    validate::number(&mut problems, "budget", p.budget, 0.0, 1e12);
    if p.currency.len() != 3 || !p.currency.chars().all(|c| c.is_ascii_uppercase()) {
        problems.push(Problem::field(
            "currency",
            "must be a three-letter code such as EUR",
        ));
    }
    if !(0..=10_000_000).contains(&p.expected_learners) {
        problems.push(Problem::field(
            "expectedLearners",
            "must be from 0 to 10,000,000",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    Ok(programme::ActiveModel {
        organisation_id: Set(org),
        name: Set(p.name.trim().to_owned()),
        description: Set(p.description),
        starts_on: Set(p.starts_on),
        ends_on: Set(p.ends_on),
        goals: Set(serde_json::json!(p.goals)),
        budget: Set(p.budget),
        currency: Set(p.currency),
        expected_learners: Set(p.expected_learners),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn find_programme(
    db: &impl ConnectionTrait,
    org: i64,
    id: i64,
) -> ApiResult<programme::Model> {
    programme::Entity::find_by_id(id)
        .filter(programme::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("programme"))
}

pub async fn find_axis(
    db: &impl ConnectionTrait,
    org: i64,
    id: i64,
) -> ApiResult<support_axis::Model> {
    support_axis::Entity::find_by_id(id)
        .filter(support_axis::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("support axis"))
}

pub(super) fn check_weight(weight: f64) -> ApiResult<()> {
    if weight.is_finite() && (0.0..=design::MAX_WEIGHT).contains(&weight) {
        Ok(())
    } else {
        Err(ApiError::invalid(vec![Problem::field(
            "weight",
            format!("must be from 0 to {}", design::MAX_WEIGHT),
        )]))
    }
}

pub async fn create_axis(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    name: String,
    kind: AxisKind,
    description: String,
    weight: f64,
) -> ApiResult<support_axis::Model> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "name", &name, validate::NAME);
    validate::text(&mut problems, "description", &description, validate::TEXT);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    check_weight(weight)?;
    let programme = find_programme(db, org, programme_id).await?;
    Ok(support_axis::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        name: Set(name.trim().to_owned()),
        kind: Set(kind),
        description: Set(description),
        weight: Set(weight),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn set_axis_weight(
    db: &DatabaseConnection,
    org: i64,
    axis_id: i64,
    weight: f64,
) -> ApiResult<support_axis::Model> {
    check_weight(weight)?;
    let axis = find_axis(db, org, axis_id).await?;
    let mut active: support_axis::ActiveModel = axis.into();
    active.weight = Set(weight);
    Ok(active.update(db).await?)
}
