//! The economic model: planned and actual costs, scenarios, and the session log.

use std::collections::HashMap;

use chrono::Utc;
use entities::{CommunicationTool, PersonKind, intervention, person, programme, support_axis};
use entities::{SessionStatus, session_participant, tutoring_session};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use worker::costs::{self, Breakdown, Plan, Scenario};

use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

use super::*;

pub use worker::costs::Catalogue;

/// Planned and actual costs of a programme, with the names their lines need.
pub struct Costing {
    pub programme: programme::Model,
    pub planned: Breakdown,
    pub actual: Breakdown,
    pub catalogue: Catalogue,
    pub axis_names: HashMap<i64, String>,
    pub learner_names: HashMap<i64, String>,
}

/// Planned and actual costs of a programme.
pub async fn costs(db: &DatabaseConnection, org: i64, programme_id: i64) -> ApiResult<Costing> {
    let programme = find_programme(db, org, programme_id).await?;
    let catalogue = Catalogue::load(db, programme.id).await?;
    let held = costs::held(db, &catalogue, programme.id, None).await?;

    let expected = usize::try_from(programme.expected_learners).unwrap_or(0);
    let planned = costs::planned(&catalogue.plans, expected);
    let actual = costs::actual(&held);
    let axis_names = support_axis::Entity::find()
        .filter(support_axis::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let learner_names = person::Entity::find()
        .filter(person::Column::Id.is_in(actual.by_learner.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(Costing {
        programme,
        planned,
        actual,
        catalogue,
        axis_names,
        learner_names,
    })
}

/// What `extra` more learners on an axis would cost.
pub async fn scenario(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    axis_id: i64,
    extra: i64,
) -> ApiResult<(Scenario, Catalogue)> {
    if !(1..=1_000_000).contains(&extra) {
        return Err(ApiError::invalid(vec![Problem::field(
            "extraLearners",
            "must be from 1 to 1,000,000",
        )]));
    }
    let programme = find_programme(db, org, programme_id).await?;
    let axis = find_axis(db, org, axis_id).await?;
    if axis.programme_id != programme.id {
        return Err(ApiError::invalid(vec![Problem::field(
            "axisId",
            "is an axis of another programme",
        )]));
    }
    let catalogue = Catalogue::load(db, programme.id).await?;
    let on_axis: Vec<Plan> = catalogue
        .plans
        .iter()
        .filter(|p| p.axis_id == axis.id)
        .cloned()
        .collect();
    Ok((costs::more_learners(&on_axis, extra), catalogue))
}

pub struct NewSession {
    pub intervention_id: i64,
    pub tutor_id: Option<i64>,
    pub held_at: chrono::DateTime<Utc>,
    pub minutes: i32,
    pub mode: Option<CommunicationTool>,
    pub notes: String,
    /// (learner, attended)
    pub participants: Vec<(i64, bool)>,
}

/// Logs a held session of an intervention.
pub async fn log_session(
    db: &DatabaseConnection,
    org: i64,
    s: NewSession,
) -> ApiResult<tutoring_session::Model> {
    let mut problems = Vec::new();
    if !(1..=24 * 60).contains(&s.minutes) {
        problems.push(Problem::field("minutes", "must be from 1 to 1440"));
    }
    if s.participants.is_empty() {
        problems.push(Problem::field("participants", "name at least one learner"));
    }
    validate::text(&mut problems, "notes", &s.notes, validate::TEXT);
    if s.held_at > Utc::now() {
        problems.push(Problem::field(
            "heldAt",
            "is in the future: log sessions once held",
        ));
    }
    let distinct: std::collections::HashSet<i64> = s.participants.iter().map(|p| p.0).collect();
    if distinct.len() != s.participants.len() {
        problems.push(Problem::field("participants", "a learner is listed twice"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let intervention = intervention::Entity::find_by_id(s.intervention_id)
        .filter(intervention::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("intervention"))?;
    let programme = find_programme(db, org, intervention.programme_id).await?;
    let day = s.held_at.date_naive();
    if day < programme.starts_on || day > programme.ends_on {
        return Err(ApiError::invalid(vec![Problem::field(
            "heldAt",
            format!(
                "falls outside the programme ({} to {})",
                programme.starts_on, programme.ends_on
            ),
        )]));
    }
    if s.participants.len() > intervention.group_size as usize {
        return Err(ApiError::invalid(vec![Problem::field(
            "participants",
            format!(
                "the intervention takes at most {} learners",
                intervention.group_size
            ),
        )]));
    }
    let people = person::Entity::find()
        .filter(person::Column::OrganisationId.eq(org))
        .filter(person::Column::Id.is_in(distinct.iter().copied().chain(s.tutor_id)))
        .all(db)
        .await?;
    let kind_of = |id: i64| people.iter().find(|p| p.id == id).map(|p| p.kind);
    if distinct
        .iter()
        .any(|id| kind_of(*id) != Some(PersonKind::Learner))
    {
        return Err(ApiError::NotFound("learner"));
    }
    if let Some(tutor) = s.tutor_id
        && kind_of(tutor) != Some(PersonKind::Tutor)
    {
        return Err(ApiError::NotFound("tutor"));
    }

    let txn = worker::db::begin_write(db).await?;
    let session = tutoring_session::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(intervention.programme_id),
        intervention_id: Set(intervention.id),
        tutor_id: Set(s.tutor_id),
        held_at: Set(s.held_at),
        minutes: Set(s.minutes),
        mode: Set(s.mode.unwrap_or(intervention.tool)),
        notes_at: Set((!s.notes.trim().is_empty()).then(Utc::now)),
        notes: Set(s.notes),
        created_at: Set(Utc::now()),
        matching_id: Set(None),
        status: Set(SessionStatus::Held),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    session_participant::Entity::insert_many(s.participants.iter().map(|(person, attended)| {
        session_participant::ActiveModel {
            session_id: Set(session.id),
            person_id: Set(*person),
            attended: Set(*attended),
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(session)
}
