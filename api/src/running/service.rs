//! Running a programme: profiles, matching runs and decisions, tutoring
//! plans, sessions and the health of each relation.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    CommunicationTool, GoalStatus, MatchingStatus, PersonKind, Role, RunStatus, SessionStatus,
    intervention, learner_profile, matching, matching_decision, matching_exclusion, matching_run,
    person, plan_goal, plan_item, session_participant, standard, support_axis, tutor_profile,
    tutoring_session,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use worker::matching::{self as engine, Constraint, Scored, Weights, Window};
use worker::monitoring::{self, Health, Rule};
use worker::running::{self, Competence};
use worker::{Job, webhooks};

use crate::auth::{Caller, MANAGERS};
use crate::design::service::{find_programme, find_role};
use crate::development::service::{find_person, person_of_user};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::validate;

/// Most learners a tutor can take at once.
pub const MAX_CAPACITY: i32 = 200;
/// Most availability windows a profile holds.
pub const MAX_WINDOWS: usize = 28;
/// Most languages a profile lists.
pub const MAX_LANGUAGES: usize = 10;
/// Most sessions a plan item schedules.
pub const MAX_PLANNED: i32 = 200;

/// Who is asking about matchings: a coordinator sees them all, a tutor or
/// learner only their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Manager,
    Person(i64),
}

impl Viewer {
    pub async fn of(db: &DatabaseConnection, caller: &Caller) -> ApiResult<Self> {
        if caller.may(MANAGERS) {
            return Ok(Viewer::Manager);
        }
        if !matches!(caller.role, Role::Tutor | Role::Learner) {
            return Err(ApiError::Forbidden);
        }
        person_of_user(db, caller.organisation_id, caller.user_id)
            .await?
            .map(|p| Viewer::Person(p.id))
            .ok_or(ApiError::Forbidden)
    }

    pub fn sees(&self, m: &matching::Model) -> bool {
        match self {
            Viewer::Manager => true,
            Viewer::Person(id) => *id == m.learner_id || *id == m.tutor_id,
        }
    }

    /// Whether the viewer may plan and log sessions for the relation: its
    /// tutor, or a coordinator.
    pub fn tutors(&self, m: &matching::Model) -> bool {
        match self {
            Viewer::Manager => true,
            Viewer::Person(id) => *id == m.tutor_id,
        }
    }
}

/// A weekly window as given: weekday 0 (Monday) to 6, times as `HH:MM`.
pub struct WindowInput {
    pub weekday: u8,
    pub from: String,
    pub to: String,
}

fn minutes(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// `HH:MM` of minutes from midnight.
pub fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn windows(problems: &mut Vec<Problem>, input: &[WindowInput]) -> Vec<Window> {
    if input.len() > MAX_WINDOWS {
        problems.push(Problem::field(
            "availability",
            format!("at most {MAX_WINDOWS} windows"),
        ));
        return Vec::new();
    }
    let mut out = Vec::with_capacity(input.len());
    for (i, w) in input.iter().enumerate() {
        let window = match (minutes(&w.from), minutes(&w.to)) {
            (Some(start), Some(end)) => Window {
                weekday: w.weekday,
                start,
                end,
            },
            _ => {
                problems.push(Problem::field(
                    format!("availability[{i}]"),
                    "times are written HH:MM, from 00:00 to 24:00",
                ));
                continue;
            }
        };
        if !window.is_valid() {
            problems.push(Problem::field(
                format!("availability[{i}]"),
                "must end after it starts, on one day",
            ));
        } else if out.iter().any(|o: &Window| {
            o.weekday == window.weekday && o.start < window.end && window.start < o.end
        }) {
            problems.push(Problem::field(
                format!("availability[{i}]"),
                "overlaps another window",
            ));
        } else {
            out.push(window);
        }
    }
    out
}

fn languages(problems: &mut Vec<Problem>, input: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if input.len() > MAX_LANGUAGES {
        problems.push(Problem::field(
            "languages",
            format!("at most {MAX_LANGUAGES} languages"),
        ));
        return out;
    }
    for (i, l) in input.iter().enumerate() {
        let tag = l.trim().to_lowercase();
        let ok = (2..=35).contains(&tag.len())
            && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            problems.push(Problem::field(
                format!("languages[{i}]"),
                "must be a language tag such as `en` or `pt-br`",
            ));
        } else if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

fn distinct_modes(modes: &[CommunicationTool]) -> Vec<CommunicationTool> {
    let mut out = Vec::new();
    for m in modes {
        if !out.contains(m) {
            out.push(*m);
        }
    }
    out
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

pub struct TutorProfileInput {
    pub programme_id: i64,
    pub person_id: i64,
    pub role_ids: Vec<i64>,
    pub capacity: i32,
    pub languages: Vec<String>,
    pub availability: Vec<WindowInput>,
    pub modes: Vec<CommunicationTool>,
    pub competences: Vec<Competence>,
}

/// Creates or replaces a tutor's profile in a programme. The capacity
/// cannot fall below the learners the tutor already has.
pub async fn set_tutor_profile(
    db: &DatabaseConnection,
    org: i64,
    input: TutorProfileInput,
    by_tutor: bool,
) -> ApiResult<tutor_profile::Model> {
    let programme = find_programme(db, org, input.programme_id).await?;
    let tutor = find_person(db, org, input.person_id, PersonKind::Tutor).await?;
    let mut problems = Vec::new();
    if !(0..=MAX_CAPACITY).contains(&input.capacity) {
        problems.push(Problem::field(
            "capacity",
            format!("must be from 0 (not accepting) to {MAX_CAPACITY}"),
        ));
    }
    let languages = languages(&mut problems, &input.languages);
    if languages.is_empty() && input.languages.is_empty() {
        problems.push(Problem::field("languages", "name at least one language"));
    }
    let availability = windows(&mut problems, &input.availability);
    let roles: HashSet<i64> = input.role_ids.iter().copied().collect();
    if roles.is_empty() || roles.len() != input.role_ids.len() {
        problems.push(Problem::field(
            "roleIds",
            "name at least one role, each once",
        ));
    }
    for role in &roles {
        let found = find_role(db, org, *role).await.ok();
        if found.is_none_or(|r| r.programme_id != programme.id) {
            problems.push(Problem::field(
                "roleIds",
                "a role is not one of this programme's",
            ));
            break;
        }
    }
    let axes: HashSet<i64> = support_axis::Entity::find()
        .filter(support_axis::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let mut seen = HashSet::new();
    for (i, c) in input.competences.iter().enumerate() {
        if !(1..=5).contains(&c.level) {
            problems.push(Problem::field(
                format!("competences[{i}].level"),
                "must be from 1 to 5",
            ));
        }
        if !axes.contains(&c.axis_id) {
            problems.push(Problem::field(
                format!("competences[{i}].axisId"),
                "is not an axis of this programme",
            ));
        } else if !seen.insert(c.axis_id) {
            problems.push(Problem::field(
                format!("competences[{i}].axisId"),
                "is listed twice",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }

    let mut roles: Vec<i64> = roles.into_iter().collect();
    roles.sort_unstable();
    // The checks read inside the writing transaction, so an acceptance
    // cannot slip between them and the change.
    let now = Utc::now();
    let txn = worker::db::begin_write(db).await?;
    let existing = tutor_profile::Entity::find()
        .filter(tutor_profile::Column::ProgrammeId.eq(programme.id))
        .filter(tutor_profile::Column::PersonId.eq(tutor.id))
        .one(&txn)
        .await?;
    if by_tutor {
        // Tutors keep their own languages, availability and modes; roles,
        // competences and capacity are the coordinator's.
        let Some(p) = &existing else {
            return Err(ApiError::Forbidden);
        };
        let mut competences = input.competences.clone();
        competences.sort_by_key(|c| c.axis_id);
        let mut kept: Vec<Competence> =
            running::list(&p.competences).map_err(ApiError::internal)?;
        kept.sort_by_key(|c| c.axis_id);
        let kept_roles: Vec<i64> = running::list(&p.role_ids).map_err(ApiError::internal)?;
        if kept_roles != roles || kept != competences || p.capacity != input.capacity {
            return Err(ApiError::Forbidden);
        }
    }
    // A role cannot be taken away while the tutor has learners in it.
    let held: HashSet<i64> = matching::Entity::find()
        .filter(matching::Column::TutorId.eq(tutor.id))
        .filter(matching::Column::ProgrammeId.eq(programme.id))
        .filter(matching::Column::Status.eq(MatchingStatus::Active))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.role_id)
        .collect();
    if held.iter().any(|r| !roles.contains(r)) {
        return Err(ApiError::invalid(vec![Problem::field(
            "roleIds",
            "the tutor has active learners in a role left out: end those matchings first",
        )]));
    }
    let dropped: Vec<matching::Model> = matching::Entity::find()
        .filter(matching::Column::ProgrammeId.eq(programme.id))
        .filter(matching::Column::TutorId.eq(tutor.id))
        .filter(matching::Column::Status.eq(MatchingStatus::Proposed))
        .all(&txn)
        .await?
        .into_iter()
        .filter(|m| !roles.contains(&m.role_id))
        .collect();
    withdraw(&txn, &dropped, None, "the tutor no longer takes this role").await?;
    let saved = match existing {
        Some(p) => {
            // The guard sits in the statement, so a matching accepted
            // meanwhile cannot slip under a lowered capacity.
            let updated = tutor_profile::Entity::update_many()
                .col_expr(tutor_profile::Column::RoleIds, Expr::value(json(&roles)))
                .col_expr(tutor_profile::Column::Capacity, Expr::value(input.capacity))
                .col_expr(
                    tutor_profile::Column::Languages,
                    Expr::value(json(&languages)),
                )
                .col_expr(
                    tutor_profile::Column::Availability,
                    Expr::value(json(&availability)),
                )
                .col_expr(
                    tutor_profile::Column::Modes,
                    Expr::value(json(&distinct_modes(&input.modes))),
                )
                .col_expr(
                    tutor_profile::Column::Competences,
                    Expr::value(json(&input.competences)),
                )
                .col_expr(tutor_profile::Column::UpdatedAt, Expr::value(now))
                .filter(tutor_profile::Column::Id.eq(p.id))
                .filter(tutor_profile::Column::ActiveCount.lte(input.capacity))
                .exec(&txn)
                .await?;
            if updated.rows_affected == 0 {
                return Err(ApiError::invalid(vec![Problem::field(
                    "capacity",
                    format!(
                        "cannot be below the tutor's active learners ({})",
                        p.active_count
                    ),
                )]));
            }
            tutor_profile::Entity::find_by_id(p.id)
                .one(&txn)
                .await?
                .ok_or(ApiError::NotFound("tutor profile"))?
        }
        None => {
            tutor_profile::ActiveModel {
                organisation_id: Set(org),
                programme_id: Set(programme.id),
                person_id: Set(tutor.id),
                role_ids: Set(json(&roles)),
                capacity: Set(input.capacity),
                active_count: Set(0),
                languages: Set(json(&languages)),
                availability: Set(json(&availability)),
                modes: Set(json(&distinct_modes(&input.modes))),
                competences: Set(json(&input.competences)),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    txn.commit().await?;
    Ok(saved)
}

pub struct LearnerProfileInput {
    pub programme_id: i64,
    pub person_id: i64,
    pub languages: Vec<String>,
    pub availability: Vec<WindowInput>,
    pub modes: Vec<CommunicationTool>,
}

/// Creates or replaces what a learner brings to matching.
pub async fn set_learner_profile(
    db: &DatabaseConnection,
    org: i64,
    input: LearnerProfileInput,
) -> ApiResult<learner_profile::Model> {
    let programme = find_programme(db, org, input.programme_id).await?;
    let learner = find_person(db, org, input.person_id, PersonKind::Learner).await?;
    let mut problems = Vec::new();
    let languages = languages(&mut problems, &input.languages);
    let availability = windows(&mut problems, &input.availability);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let row = learner_profile::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        person_id: Set(learner.id),
        languages: Set(json(&languages)),
        availability: Set(json(&availability)),
        modes: Set(json(&distinct_modes(&input.modes))),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    learner_profile::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                learner_profile::Column::ProgrammeId,
                learner_profile::Column::PersonId,
            ])
            .update_columns([
                learner_profile::Column::Languages,
                learner_profile::Column::Availability,
                learner_profile::Column::Modes,
                learner_profile::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    learner_profile::Entity::find()
        .filter(learner_profile::Column::ProgrammeId.eq(programme.id))
        .filter(learner_profile::Column::PersonId.eq(learner.id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("learner profile"))
}

fn reason(problems: &mut Vec<Problem>, text: &str, required: bool) {
    if required && text.trim().is_empty() {
        problems.push(Problem::field("reason", "say why"));
    }
    validate::text(problems, "reason", text, validate::TEXT);
}

fn check(problems: Vec<Problem>) -> ApiResult<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(problems))
    }
}

/// Rules a pair out of every later run.
pub async fn exclude_pair(
    db: &DatabaseConnection,
    caller: &Caller,
    programme_id: i64,
    learner_id: i64,
    tutor_id: i64,
    why: String,
) -> ApiResult<matching_exclusion::Model> {
    let org = caller.organisation_id;
    let mut problems = Vec::new();
    reason(&mut problems, &why, true);
    check(problems)?;
    let programme = find_programme(db, org, programme_id).await?;
    let learner = find_person(db, org, learner_id, PersonKind::Learner).await?;
    let tutor = find_person(db, org, tutor_id, PersonKind::Tutor).await?;
    let txn = worker::db::begin_write(db).await?;
    let excluded = matching_exclusion::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        learner_id: Set(learner.id),
        tutor_id: Set(tutor.id),
        reason: Set(why),
        created_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict("that pair is already excluded".into()),
        other => other,
    })?;
    let open = matching::Entity::find()
        .filter(matching::Column::ProgrammeId.eq(programme.id))
        .filter(matching::Column::LearnerId.eq(learner.id))
        .filter(matching::Column::TutorId.eq(tutor.id))
        .filter(matching::Column::Status.eq(MatchingStatus::Proposed))
        .all(&txn)
        .await?;
    withdraw(&txn, &open, Some(caller.user_id), "the pair was excluded").await?;
    txn.commit().await?;
    Ok(excluded)
}

fn check_weights(weights: &Weights) -> ApiResult<()> {
    if weights.is_valid() {
        Ok(())
    } else {
        Err(ApiError::invalid(vec![Problem::field(
            "weights",
            format!(
                "each weight must be from 0 to {}, and one above 0",
                engine::MAX_WEIGHT
            ),
        )]))
    }
}

/// Starts a matching run over a programme role: at once when it is small,
/// else queued for the worker.
pub async fn start_run(
    state: &AppState,
    caller: &Caller,
    programme_id: i64,
    role_id: i64,
    weights: Weights,
) -> ApiResult<matching_run::Model> {
    let db = &state.db;
    let org = caller.organisation_id;
    check_weights(&weights)?;
    let programme = find_programme(db, org, programme_id).await?;
    let role = find_role(db, org, role_id).await?;
    if role.programme_id != programme.id {
        return Err(ApiError::NotFound("tutor role"));
    }
    let run = matching_run::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        role_id: Set(role.id),
        status: Set(RunStatus::Queued),
        weights: Set(json(&weights)),
        requested_by: Set(caller.user_id),
        learners: Set(0),
        proposed: Set(0),
        total_score: Set(0.0),
        ruled_out: Set(serde_json::json!({})),
        error: Set(None),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
        ..Default::default()
    };
    // Detached: a request cut at its time limit leaves a run that
    // finishes or is queued, never one stuck as queued or running.
    let (state, role_id) = (state.clone(), role.id);
    let run = crate::state::detached(async move {
        let db = &state.db;
        let run = run.insert(db).await?;
        let pool = running::load_pool(db, run.programme_id, role_id).await?;
        if pool.learners.len().saturating_mul(pool.tutors.len()) <= state.matching_inline_pairs {
            running::execute_run_with(db, run.id, Some(pool)).await?;
        } else {
            state
                .queue
                .push(Job::RunMatching { run_id: run.id })
                .await?;
        }
        Ok(run)
    })
    .await
    .map_err(ApiError::internal)?;
    matching_run::Entity::find_by_id(run.id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("matching run"))
}

/// Every tutor of the role for one learner: the score, or the constraint
/// that rules the pair out.
pub async fn candidates(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    role_id: i64,
    learner_id: i64,
    weights: Weights,
) -> ApiResult<Vec<(i64, Result<Scored, Constraint>)>> {
    check_weights(&weights)?;
    let programme = find_programme(db, org, programme_id).await?;
    let role = find_role(db, org, role_id).await?;
    if role.programme_id != programme.id {
        return Err(ApiError::NotFound("tutor role"));
    }
    let learner = find_person(db, org, learner_id, PersonKind::Learner).await?;
    let pool = running::load_pool(db, programme.id, role.id)
        .await
        .map_err(ApiError::internal)?;
    let Some(candidate) = pool.learners.iter().find(|l| l.id == learner.id) else {
        return Err(ApiError::Conflict(
            "the learner has no open need in this programme, or already has an active matching in this role"
                .into(),
        ));
    };
    Ok(pool
        .tutors
        .iter()
        .map(|t| (t.id, engine::assess(candidate, t, &pool.rules, &weights)))
        .collect())
}

pub async fn find_matching(
    db: &impl ConnectionTrait,
    org: i64,
    id: i64,
) -> ApiResult<matching::Model> {
    matching::Entity::find_by_id(id)
        .filter(matching::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("matching"))
}

/// Takes one place of the tutor's capacity, in the same statement that
/// checks there is one: of two acceptances racing for the last place, the
/// database lets exactly one through.
async fn take_place(db: &impl ConnectionTrait, programme_id: i64, tutor_id: i64) -> ApiResult<()> {
    let taken = tutor_profile::Entity::update_many()
        .col_expr(
            tutor_profile::Column::ActiveCount,
            sea_orm::sea_query::ExprTrait::add(Expr::col(tutor_profile::Column::ActiveCount), 1),
        )
        .filter(tutor_profile::Column::ProgrammeId.eq(programme_id))
        .filter(tutor_profile::Column::PersonId.eq(tutor_id))
        .filter(sea_orm::sea_query::ExprTrait::lt(
            Expr::col(tutor_profile::Column::ActiveCount),
            Expr::col(tutor_profile::Column::Capacity),
        ))
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(());
    }
    let profile = tutor_profile::Entity::find()
        .filter(tutor_profile::Column::ProgrammeId.eq(programme_id))
        .filter(tutor_profile::Column::PersonId.eq(tutor_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("tutor profile"))?;
    Err(ApiError::Conflict(format!(
        "the tutor has no free place: {} of {} taken",
        profile.active_count, profile.capacity
    )))
}

async fn free_place(db: &impl ConnectionTrait, programme_id: i64, tutor_id: i64) -> ApiResult<()> {
    tutor_profile::Entity::update_many()
        .col_expr(
            tutor_profile::Column::ActiveCount,
            sea_orm::sea_query::ExprTrait::sub(Expr::col(tutor_profile::Column::ActiveCount), 1),
        )
        .filter(tutor_profile::Column::ProgrammeId.eq(programme_id))
        .filter(tutor_profile::Column::PersonId.eq(tutor_id))
        .filter(tutor_profile::Column::ActiveCount.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves a matching from `from` to `to` if it is still in `from`.
async fn transition(
    db: &impl ConnectionTrait,
    m: &matching::Model,
    from: MatchingStatus,
    to: MatchingStatus,
    caller: &Caller,
    why: &str,
) -> ApiResult<()> {
    let now = Utc::now();
    let mut update = matching::Entity::update_many()
        .col_expr(matching::Column::Status, Expr::value(to))
        .col_expr(matching::Column::DecidedBy, Expr::value(caller.user_id))
        .col_expr(matching::Column::Reason, Expr::value(why))
        .col_expr(matching::Column::UpdatedAt, Expr::value(now));
    match to {
        MatchingStatus::Active => {
            update = update.col_expr(matching::Column::ActivatedAt, Expr::value(now));
        }
        MatchingStatus::Ended => {
            update = update.col_expr(matching::Column::EndedAt, Expr::value(now));
        }
        _ => {}
    }
    let done = update
        .filter(matching::Column::Id.eq(m.id))
        .filter(matching::Column::Status.eq(from))
        .exec(db)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::Conflict(_) => {
                ApiError::Conflict("the learner already has an active matching in this role".into())
            }
            other => other,
        })?;
    if done.rows_affected == 0 {
        return Err(ApiError::Conflict(format!(
            "the matching is no longer {}",
            status_word(from)
        )));
    }
    record(db, m.id, Some(from), to, caller, why).await
}

/// Withdraws open proposals that can no longer be accepted, each with its
/// decision on record.
async fn withdraw(
    db: &impl ConnectionTrait,
    proposals: &[matching::Model],
    decided_by: Option<i64>,
    why: &str,
) -> ApiResult<()> {
    let now = Utc::now();
    for p in proposals {
        let done = matching::Entity::update_many()
            .col_expr(
                matching::Column::Status,
                Expr::value(MatchingStatus::Withdrawn),
            )
            .col_expr(matching::Column::DecidedBy, Expr::value(decided_by))
            .col_expr(matching::Column::Reason, Expr::value(why))
            .col_expr(matching::Column::UpdatedAt, Expr::value(now))
            .filter(matching::Column::Id.eq(p.id))
            .filter(matching::Column::Status.eq(MatchingStatus::Proposed))
            .exec(db)
            .await?;
        if done.rows_affected == 1 {
            matching_decision::ActiveModel {
                matching_id: Set(p.id),
                from_status: Set(Some(MatchingStatus::Proposed)),
                to_status: Set(MatchingStatus::Withdrawn),
                decided_by: Set(decided_by),
                reason: Set(why.to_owned()),
                decided_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Adds a decision to a matching's history.
async fn record(
    db: &impl ConnectionTrait,
    matching_id: i64,
    from: Option<MatchingStatus>,
    to: MatchingStatus,
    caller: &Caller,
    why: &str,
) -> ApiResult<()> {
    matching_decision::ActiveModel {
        matching_id: Set(matching_id),
        from_status: Set(from),
        to_status: Set(to),
        decided_by: Set(Some(caller.user_id)),
        reason: Set(why.to_owned()),
        decided_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn status_word(s: MatchingStatus) -> &'static str {
    match s {
        MatchingStatus::Proposed => "proposed",
        MatchingStatus::Active => "active",
        MatchingStatus::Ended => "ended",
        MatchingStatus::Rejected => "rejected",
        MatchingStatus::Withdrawn => "withdrawn",
    }
}

fn expect_status(m: &matching::Model, status: MatchingStatus) -> ApiResult<()> {
    if m.status == status {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "the matching is {}, not {}",
            status_word(m.status),
            status_word(status)
        )))
    }
}

/// A coordinator's decision on a matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A proposal becomes active and takes one of the tutor's places.
    Accept,
    /// A proposal is turned down; it stays on record.
    Reject,
    /// An active matching ends and frees its place; it stays on record.
    End,
}

impl Decision {
    fn transition(self) -> (MatchingStatus, MatchingStatus) {
        match self {
            Decision::Accept => (MatchingStatus::Proposed, MatchingStatus::Active),
            Decision::Reject => (MatchingStatus::Proposed, MatchingStatus::Rejected),
            Decision::End => (MatchingStatus::Active, MatchingStatus::Ended),
        }
    }
}

/// Records a decision, with its reason (required but to accept), in one
/// transaction with the change it makes to the tutor's places.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: i64,
    decision: Decision,
    why: String,
) -> ApiResult<matching::Model> {
    let db = &state.db;
    let mut problems = Vec::new();
    reason(&mut problems, &why, decision != Decision::Accept);
    check(problems)?;
    let m = find_matching(db, caller.organisation_id, id).await?;
    let (from, to) = decision.transition();
    expect_status(&m, from)?;
    if decision == Decision::Accept {
        still_allowed(db, &m).await?;
    }
    let txn = worker::db::begin_write(db).await?;
    match decision {
        Decision::Accept => take_place(&txn, m.programme_id, m.tutor_id).await?,
        Decision::End => free_place(&txn, m.programme_id, m.tutor_id).await?,
        Decision::Reject => {}
    }
    transition(&txn, &m, from, to, caller, &why).await?;
    if decision == Decision::End {
        // Sessions still ahead are called off with the relation.
        tutoring_session::Entity::update_many()
            .col_expr(
                tutoring_session::Column::Status,
                Expr::value(SessionStatus::Cancelled),
            )
            .filter(tutoring_session::Column::MatchingId.eq(m.id))
            .filter(tutoring_session::Column::Status.eq(SessionStatus::Scheduled))
            .exec(&txn)
            .await?;
    }
    let mut events = 0;
    if decision == Decision::Accept {
        let event = webhooks::Event::matching_activated(&m, Utc::now());
        events = webhooks::record(&txn, &event).await?;
    }
    txn.commit().await?;
    crate::webhooks::service::deliver_soon(state, events).await;
    find_matching(db, caller.organisation_id, id).await
}

/// What a run checked when it proposed the pair, checked again when it is
/// accepted: no exclusion since, and the tutor still in the role.
async fn still_allowed(db: &DatabaseConnection, m: &matching::Model) -> ApiResult<()> {
    let excluded = matching_exclusion::Entity::find()
        .filter(matching_exclusion::Column::ProgrammeId.eq(m.programme_id))
        .filter(matching_exclusion::Column::LearnerId.eq(m.learner_id))
        .filter(matching_exclusion::Column::TutorId.eq(m.tutor_id))
        .one(db)
        .await?;
    if excluded.is_some() {
        return Err(ApiError::Conflict(
            "a coordinator excluded this pair; lift the exclusion first".into(),
        ));
    }
    let profile = tutor_profile::Entity::find()
        .filter(tutor_profile::Column::ProgrammeId.eq(m.programme_id))
        .filter(tutor_profile::Column::PersonId.eq(m.tutor_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("tutor profile"))?;
    let roles: Vec<i64> = running::list(&profile.role_ids).map_err(ApiError::internal)?;
    if !roles.contains(&m.role_id) {
        return Err(ApiError::Conflict(
            "the tutor no longer takes this role".into(),
        ));
    }
    Ok(())
}

/// A coordinator's own pairing, active at once. Soft criteria and the
/// language and availability checks give way to the coordinator's reason;
/// capacity, exclusions and one active matching per pair and role do not.
pub async fn override_pair(
    state: &AppState,
    caller: &Caller,
    programme_id: i64,
    role_id: i64,
    learner_id: i64,
    tutor_id: i64,
    why: String,
) -> ApiResult<matching::Model> {
    let db = &state.db;
    let org = caller.organisation_id;
    let mut problems = Vec::new();
    reason(&mut problems, &why, true);
    check(problems)?;
    let programme = find_programme(db, org, programme_id).await?;
    let role = find_role(db, org, role_id).await?;
    if role.programme_id != programme.id {
        return Err(ApiError::NotFound("tutor role"));
    }
    let learner = find_person(db, org, learner_id, PersonKind::Learner).await?;
    let tutor = find_person(db, org, tutor_id, PersonKind::Tutor).await?;
    let pool = running::load_pool(db, programme.id, role.id)
        .await
        .map_err(ApiError::internal)?;
    if pool.rules.exclusions.contains(&(learner.id, tutor.id)) {
        return Err(ApiError::Conflict(
            "a coordinator excluded this pair; lift the exclusion first".into(),
        ));
    }
    let profile = pool.tutors.iter().find(|t| t.id == tutor.id);
    let Some(profile) = profile else {
        return Err(ApiError::NotFound("tutor profile in this role"));
    };
    // Scored as a run would, for the record; constraints other than those
    // above do not bind an override.
    let scored = pool
        .learners
        .iter()
        .find(|l| l.id == learner.id)
        .and_then(|l| {
            let relaxed = worker::matching::Tutor {
                languages: Vec::new(),
                availability: Vec::new(),
                capacity: profile.capacity.max(1),
                active: 0,
                ..profile.clone()
            };
            engine::assess(l, &relaxed, &pool.rules, &Weights::default()).ok()
        });
    let now = Utc::now();
    let txn = worker::db::begin_write(db).await?;
    take_place(&txn, programme.id, tutor.id).await?;
    let row = matching::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        role_id: Set(role.id),
        learner_id: Set(learner.id),
        tutor_id: Set(tutor.id),
        run_id: Set(None),
        status: Set(MatchingStatus::Active),
        score: Set(scored.as_ref().map_or(0.0, |s| s.score)),
        breakdown: Set(json(&scored.map(|s| s.contributions).unwrap_or_default())),
        decided_by: Set(Some(caller.user_id)),
        reason: Set(why),
        proposed_at: Set(now),
        activated_at: Set(Some(now)),
        ended_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => {
            ApiError::Conflict("the learner already has an active matching in this role".into())
        }
        other => other,
    })?;
    record(
        &txn,
        row.id,
        None,
        MatchingStatus::Active,
        caller,
        &row.reason,
    )
    .await?;
    // The learner's open proposals in the role give way to the pairing.
    let pending = matching::Entity::find()
        .filter(matching::Column::LearnerId.eq(learner.id))
        .filter(matching::Column::RoleId.eq(role.id))
        .filter(matching::Column::Status.eq(MatchingStatus::Proposed))
        .all(&txn)
        .await?;
    for p in &pending {
        transition(
            &txn,
            p,
            MatchingStatus::Proposed,
            MatchingStatus::Withdrawn,
            caller,
            "replaced by a coordinator's pairing",
        )
        .await?;
    }
    let events = webhooks::record(&txn, &webhooks::Event::matching_activated(&row, now)).await?;
    txn.commit().await?;
    crate::webhooks::service::deliver_soon(state, events).await;
    Ok(row)
}

/// The matching, if the viewer may see it; NOT_FOUND otherwise, so that
/// other people's relations are not revealed.
pub async fn visible_matching(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
) -> ApiResult<(matching::Model, Viewer)> {
    let viewer = Viewer::of(db, caller).await?;
    let m = find_matching(db, caller.organisation_id, id).await?;
    if viewer.sees(&m) {
        Ok((m, viewer))
    } else {
        Err(ApiError::NotFound("matching"))
    }
}

/// The matching, if the caller tutors it or coordinates.
async fn tutored_matching(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
) -> ApiResult<matching::Model> {
    let (m, viewer) = visible_matching(db, caller, id).await?;
    if !viewer.tutors(&m) {
        return Err(ApiError::Forbidden);
    }
    if m.status != MatchingStatus::Active {
        return Err(ApiError::Conflict(format!(
            "the matching is {}: plans and sessions belong to active matchings",
            status_word(m.status)
        )));
    }
    Ok(m)
}

pub async fn add_goal(
    db: &DatabaseConnection,
    caller: &Caller,
    matching_id: i64,
    description: String,
    measure: String,
    target_date: NaiveDate,
) -> ApiResult<plan_goal::Model> {
    let mut problems = Vec::new();
    for (field, value) in [("description", &description), ("measure", &measure)] {
        if value.trim().is_empty() {
            problems.push(Problem::field(field, "is empty"));
        }
        validate::text(&mut problems, field, value, validate::TEXT);
    }
    check(problems)?;
    let m = tutored_matching(db, caller, matching_id).await?;
    let programme = find_programme(db, caller.organisation_id, m.programme_id).await?;
    if target_date < programme.starts_on || target_date > programme.ends_on {
        return Err(ApiError::invalid(vec![Problem::field(
            "targetDate",
            format!(
                "falls outside the programme ({} to {})",
                programme.starts_on, programme.ends_on
            ),
        )]));
    }
    let now = Utc::now();
    Ok(plan_goal::ActiveModel {
        organisation_id: Set(caller.organisation_id),
        matching_id: Set(m.id),
        description: Set(description),
        measure: Set(measure),
        target_date: Set(target_date),
        status: Set(GoalStatus::Planned),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn set_goal_status(
    db: &DatabaseConnection,
    caller: &Caller,
    goal_id: i64,
    status: GoalStatus,
) -> ApiResult<plan_goal::Model> {
    let goal = plan_goal::Entity::find_by_id(goal_id)
        .filter(plan_goal::Column::OrganisationId.eq(caller.organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("goal"))?;
    tutored_matching(db, caller, goal.matching_id).await?;
    let mut active: plan_goal::ActiveModel = goal.into();
    active.status = Set(status);
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

pub async fn plan_intervention(
    db: &DatabaseConnection,
    caller: &Caller,
    matching_id: i64,
    intervention_id: i64,
    starts_on: NaiveDate,
    every_days: i32,
    sessions: i32,
) -> ApiResult<plan_item::Model> {
    let mut problems = Vec::new();
    if !(1..=365).contains(&every_days) {
        problems.push(Problem::field("everyDays", "must be from 1 to 365"));
    }
    if !(1..=MAX_PLANNED).contains(&sessions) {
        problems.push(Problem::field(
            "sessions",
            format!("must be from 1 to {MAX_PLANNED}"),
        ));
    }
    check(problems)?;
    let m = tutored_matching(db, caller, matching_id).await?;
    let found = intervention::Entity::find_by_id(intervention_id)
        .filter(intervention::Column::OrganisationId.eq(caller.organisation_id))
        .one(db)
        .await?
        .filter(|i| i.programme_id == m.programme_id)
        .ok_or(ApiError::NotFound("intervention"))?;
    let programme = find_programme(db, caller.organisation_id, m.programme_id).await?;
    let began = m.activated_at.unwrap_or(m.proposed_at).date_naive();
    if starts_on < began.max(programme.starts_on) || starts_on > programme.ends_on {
        return Err(ApiError::invalid(vec![Problem::field(
            "startsOn",
            format!(
                "must fall between the start of the relation ({began}) and the end of the programme ({})",
                programme.ends_on
            ),
        )]));
    }
    let last = starts_on + chrono::Duration::days(i64::from(every_days) * i64::from(sessions - 1));
    if last > programme.ends_on {
        return Err(ApiError::invalid(vec![Problem::field(
            "sessions",
            format!(
                "the last session ({last}) would fall after the programme ends ({})",
                programme.ends_on
            ),
        )]));
    }
    Ok(plan_item::ActiveModel {
        organisation_id: Set(caller.organisation_id),
        matching_id: Set(m.id),
        intervention_id: Set(found.id),
        starts_on: Set(starts_on),
        every_days: Set(every_days),
        sessions: Set(sessions),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub struct SessionInput {
    pub matching_id: i64,
    pub intervention_id: i64,
    pub at: DateTime<Utc>,
    pub minutes: i32,
    pub mode: Option<CommunicationTool>,
}

/// Checks a session's length, and that it falls within the relation and its
/// programme; returns its intervention.
async fn session_intervention(
    db: &DatabaseConnection,
    caller: &Caller,
    m: &matching::Model,
    input: &SessionInput,
    field: &str,
) -> ApiResult<intervention::Model> {
    if !(1..=24 * 60).contains(&input.minutes) {
        return Err(ApiError::invalid(vec![Problem::field(
            "minutes",
            "must be from 1 to 1440",
        )]));
    }
    let programme = find_programme(db, caller.organisation_id, m.programme_id).await?;
    let ends = input.at + chrono::Duration::minutes(i64::from(input.minutes));
    let began = m.activated_at.unwrap_or(m.proposed_at);
    if input.at < began || ends.date_naive() > programme.ends_on {
        return Err(ApiError::invalid(vec![Problem::field(
            field,
            format!(
                "must fall between the start of the relation ({}) and the end of the programme ({})",
                began.format("%Y-%m-%d %H:%M UTC"),
                programme.ends_on
            ),
        )]));
    }
    intervention::Entity::find_by_id(input.intervention_id)
        .filter(intervention::Column::OrganisationId.eq(caller.organisation_id))
        .one(db)
        .await?
        .filter(|i| i.programme_id == m.programme_id)
        .ok_or(ApiError::NotFound("intervention"))
}

/// Schedules a session ahead; it shows in both people's calendars.
pub async fn schedule_session(
    db: &DatabaseConnection,
    caller: &Caller,
    input: SessionInput,
) -> ApiResult<tutoring_session::Model> {
    let m = tutored_matching(db, caller, input.matching_id).await?;
    if input.at <= Utc::now() {
        return Err(ApiError::invalid(vec![Problem::field(
            "startsAt",
            "is in the past: record held sessions instead",
        )]));
    }
    let found = session_intervention(db, caller, &m, &input, "startsAt").await?;
    let txn = worker::db::begin_write(db).await?;
    let session = tutoring_session::ActiveModel {
        organisation_id: Set(caller.organisation_id),
        programme_id: Set(m.programme_id),
        intervention_id: Set(found.id),
        tutor_id: Set(Some(m.tutor_id)),
        held_at: Set(input.at),
        minutes: Set(input.minutes),
        mode: Set(input.mode.unwrap_or(found.tool)),
        notes: Set(String::new()),
        created_at: Set(Utc::now()),
        matching_id: Set(Some(m.id)),
        status: Set(SessionStatus::Scheduled),
        notes_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    session_participant::ActiveModel {
        session_id: Set(session.id),
        person_id: Set(m.learner_id),
        attended: Set(false),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(session)
}

/// Records a held session of a relation, with attendance and notes;
/// `scheduled` turns a scheduled session into the held one.
pub async fn record_session(
    db: &DatabaseConnection,
    caller: &Caller,
    input: SessionInput,
    scheduled: Option<i64>,
    attended: bool,
    notes: String,
) -> ApiResult<tutoring_session::Model> {
    let mut problems = Vec::new();
    validate::text(&mut problems, "notes", &notes, validate::TEXT);
    if input.at > Utc::now() {
        problems.push(Problem::field(
            "heldAt",
            "is in the future: schedule it instead",
        ));
    }
    check(problems)?;
    let m = tutored_matching(db, caller, input.matching_id).await?;
    let found = session_intervention(db, caller, &m, &input, "heldAt").await?;
    let now = Utc::now();
    let notes_at = (!notes.trim().is_empty()).then_some(now);
    let txn = worker::db::begin_write(db).await?;
    let session = match scheduled {
        Some(id) => {
            let s = tutoring_session::Entity::find_by_id(id)
                .filter(tutoring_session::Column::MatchingId.eq(m.id))
                .one(&txn)
                .await?
                .ok_or(ApiError::NotFound("session"))?;
            if s.status != SessionStatus::Scheduled {
                return Err(ApiError::Conflict("the session is not scheduled".into()));
            }
            let mut active: tutoring_session::ActiveModel = s.into();
            active.status = Set(SessionStatus::Held);
            active.held_at = Set(input.at);
            active.minutes = Set(input.minutes);
            active.intervention_id = Set(found.id);
            if let Some(mode) = input.mode {
                active.mode = Set(mode);
            }
            active.notes = Set(notes);
            active.notes_at = Set(notes_at);
            active.update(&txn).await?
        }
        None => {
            tutoring_session::ActiveModel {
                organisation_id: Set(caller.organisation_id),
                programme_id: Set(m.programme_id),
                intervention_id: Set(found.id),
                tutor_id: Set(Some(m.tutor_id)),
                held_at: Set(input.at),
                minutes: Set(input.minutes),
                mode: Set(input.mode.unwrap_or(found.tool)),
                notes: Set(notes),
                created_at: Set(now),
                matching_id: Set(Some(m.id)),
                status: Set(SessionStatus::Held),
                notes_at: Set(notes_at),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let row = session_participant::ActiveModel {
        session_id: Set(session.id),
        person_id: Set(m.learner_id),
        attended: Set(attended),
    };
    session_participant::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                session_participant::Column::SessionId,
                session_participant::Column::PersonId,
            ])
            .update_column(session_participant::Column::Attended)
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(session)
}

/// Calls off a scheduled session; it leaves the calendars and stays on record.
pub async fn cancel_session(
    db: &DatabaseConnection,
    caller: &Caller,
    session_id: i64,
) -> ApiResult<tutoring_session::Model> {
    let s = tutoring_session::Entity::find_by_id(session_id)
        .filter(tutoring_session::Column::OrganisationId.eq(caller.organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    let Some(matching_id) = s.matching_id else {
        return Err(ApiError::NotFound("session"));
    };
    tutored_matching(db, caller, matching_id).await?;
    let cancelled = tutoring_session::Entity::update_many()
        .col_expr(
            tutoring_session::Column::Status,
            Expr::value(SessionStatus::Cancelled),
        )
        .filter(tutoring_session::Column::Id.eq(s.id))
        .filter(tutoring_session::Column::Status.eq(SessionStatus::Scheduled))
        .exec(db)
        .await?;
    if cancelled.rows_affected == 0 {
        return Err(ApiError::Conflict(
            "only a scheduled session can be called off".into(),
        ));
    }
    tutoring_session::Entity::find_by_id(s.id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("session"))
}

/// Writes the notes of a held session.
pub async fn write_notes(
    db: &DatabaseConnection,
    caller: &Caller,
    session_id: i64,
    notes: String,
) -> ApiResult<tutoring_session::Model> {
    let mut problems = Vec::new();
    if notes.trim().is_empty() {
        problems.push(Problem::field("notes", "is empty"));
    }
    validate::text(&mut problems, "notes", &notes, validate::TEXT);
    check(problems)?;
    let s = tutoring_session::Entity::find_by_id(session_id)
        .filter(tutoring_session::Column::OrganisationId.eq(caller.organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    let Some(matching_id) = s.matching_id else {
        return Err(ApiError::NotFound("session"));
    };
    // Notes of a held session may follow after the relation ended.
    let (m, viewer) = visible_matching(db, caller, matching_id).await?;
    if !viewer.tutors(&m) {
        return Err(ApiError::Forbidden);
    }
    if s.status != SessionStatus::Held {
        return Err(ApiError::Conflict(
            "notes are written for held sessions".into(),
        ));
    }
    let mut active: tutoring_session::ActiveModel = s.into();
    active.notes = Set(notes);
    active.notes_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// The health of a relation now, against its programme's standards.
pub async fn health(db: &DatabaseConnection, m: &matching::Model) -> ApiResult<Health> {
    let now = Utc::now();
    let rules: Vec<Rule> = standard::Entity::find()
        .filter(standard::Column::ProgrammeId.eq(m.programme_id))
        .all(db)
        .await?
        .iter()
        .map(Rule::from)
        .collect();
    let facts = monitoring::facts_of(db, std::slice::from_ref(m), now).await?;
    let facts = facts.get(&m.id).cloned().unwrap_or_default();
    Ok(monitoring::assess(&facts, &rules, now))
}

/// Sessions of a matching, in time order.
pub async fn sessions_of(
    db: &DatabaseConnection,
    matching_id: i64,
) -> ApiResult<Vec<tutoring_session::Model>> {
    Ok(tutoring_session::Entity::find()
        .filter(tutoring_session::Column::MatchingId.eq(matching_id))
        .order_by_asc(tutoring_session::Column::HeldAt)
        .order_by_asc(tutoring_session::Column::Id)
        .all(db)
        .await?)
}

/// Upcoming sessions of a person, as tutor or learner, as an iCalendar feed.
pub async fn calendar(
    db: &DatabaseConnection,
    org: i64,
    person: &person::Model,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    let theirs: Vec<matching::Model> = matching::Entity::find()
        .filter(matching::Column::OrganisationId.eq(org))
        .filter(matching::Column::Status.eq(MatchingStatus::Active))
        .filter(
            sea_orm::Condition::any()
                .add(matching::Column::LearnerId.eq(person.id))
                .add(matching::Column::TutorId.eq(person.id)),
        )
        .all(db)
        .await?;
    let sessions = tutoring_session::Entity::find()
        .filter(tutoring_session::Column::MatchingId.is_in(theirs.iter().map(|m| m.id)))
        .filter(tutoring_session::Column::Status.eq(SessionStatus::Scheduled))
        .filter(tutoring_session::Column::HeldAt.gte(now - chrono::Duration::days(1)))
        .order_by_asc(tutoring_session::Column::HeldAt)
        .all(db)
        .await?;
    let others: Vec<i64> = theirs
        .iter()
        .map(|m| {
            if m.tutor_id == person.id {
                m.learner_id
            } else {
                m.tutor_id
            }
        })
        .collect();
    let names: std::collections::HashMap<i64, String> = person::Entity::find()
        .filter(person::Column::Id.is_in(others))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let interventions: std::collections::HashMap<i64, String> = intervention::Entity::find()
        .filter(intervention::Column::Id.is_in(sessions.iter().map(|s| s.intervention_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    let events: Vec<crate::calendar::Event> = sessions
        .iter()
        .filter_map(|s| {
            let m = theirs.iter().find(|m| Some(m.id) == s.matching_id)?;
            let other = if m.tutor_id == person.id {
                m.learner_id
            } else {
                m.tutor_id
            };
            Some(crate::calendar::Event {
                uid: format!("session-{}@tutorial", s.id),
                starts: s.held_at,
                minutes: s.minutes,
                summary: format!(
                    "{} with {}",
                    interventions
                        .get(&s.intervention_id)
                        .map_or("Session", String::as_str),
                    names.get(&other).map_or("(unknown)", String::as_str)
                ),
                stamp: s.created_at,
            })
        })
        .collect();
    Ok(crate::calendar::render(&events))
}
