//! Training, tutor development and communities of practice.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entities::{
    PersonKind, TrainingLevel, community, community_member, community_post, community_resource,
    person, training_completion, training_module, tutoring_session,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use worker::design::{TutorLevel, tutor_level};

use crate::design::service::find_programme;
use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

/// Longest post accepted.
pub const MAX_POST: usize = 10_000;

pub(crate) async fn find_person(
    db: &impl ConnectionTrait,
    org: i64,
    id: i64,
    kind: PersonKind,
) -> ApiResult<person::Model> {
    person::Entity::find_by_id(id)
        .filter(person::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .filter(|p| p.kind == kind)
        .ok_or(ApiError::NotFound(match kind {
            PersonKind::Tutor => "tutor",
            PersonKind::Learner => "learner",
        }))
}

/// The person an account stands for in an organisation, if linked.
pub async fn person_of_user(
    db: &impl ConnectionTrait,
    org: i64,
    user_id: i64,
) -> ApiResult<Option<person::Model>> {
    Ok(person::Entity::find()
        .filter(person::Column::OrganisationId.eq(org))
        .filter(person::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

pub async fn create_module(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    title: String,
    description: String,
    hours: f64,
    level: TrainingLevel,
) -> ApiResult<training_module::Model> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "title", &title, validate::NAME);
    validate::text(&mut problems, "description", &description, validate::TEXT);
    if !hours.is_finite() || hours <= 0.0 || hours > 1000.0 {
        problems.push(Problem::field(
            "hours",
            "must be more than 0 and at most 1000",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let programme = find_programme(db, org, programme_id).await?;
    Ok(training_module::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        title: Set(title.trim().to_owned()),
        description: Set(description),
        hours: Set(hours),
        level: Set(level),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Records that a tutor completed a module; recording it again is refused.
pub async fn record_completion(
    db: &DatabaseConnection,
    org: i64,
    module_id: i64,
    tutor_id: i64,
    completed_on: NaiveDate,
) -> ApiResult<training_completion::Model> {
    if completed_on > Utc::now().date_naive() {
        return Err(ApiError::invalid(vec![Problem::field(
            "completedOn",
            "is in the future",
        )]));
    }
    let module = training_module::Entity::find_by_id(module_id)
        .filter(training_module::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("training module"))?;
    let tutor = find_person(db, org, tutor_id, PersonKind::Tutor).await?;
    training_completion::ActiveModel {
        module_id: Set(module.id),
        person_id: Set(tutor.id),
        completed_on: Set(completed_on),
    }
    .insert(db)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict("this completion is already recorded".into()),
        other => other,
    })
}

/// A tutor's training and tutoring hours in a programme, and the level they give.
#[derive(Clone, Debug)]
pub struct Development {
    pub tutor: person::Model,
    pub training_hours: f64,
    pub tutoring_hours: f64,
    pub level: TutorLevel,
}

/// Every tutor with training or sessions in the programme, most hours first.
pub async fn development(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
) -> ApiResult<Vec<Development>> {
    let programme = find_programme(db, org, programme_id).await?;
    let modules: HashMap<i64, f64> = training_module::Entity::find()
        .filter(training_module::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.hours))
        .collect();
    let mut training: HashMap<i64, f64> = HashMap::new();
    for c in training_completion::Entity::find()
        .filter(training_completion::Column::ModuleId.is_in(modules.keys().copied()))
        .all(db)
        .await?
    {
        *training.entry(c.person_id).or_default() +=
            modules.get(&c.module_id).copied().unwrap_or(0.0);
    }
    let mut tutoring: HashMap<i64, f64> = HashMap::new();
    for s in tutoring_session::Entity::find()
        .filter(tutoring_session::Column::ProgrammeId.eq(programme.id))
        .filter(tutoring_session::Column::Status.eq(entities::SessionStatus::Held))
        .filter(tutoring_session::Column::TutorId.is_not_null())
        .all(db)
        .await?
    {
        if let Some(tutor) = s.tutor_id {
            *tutoring.entry(tutor).or_default() += f64::from(s.minutes) / 60.0;
        }
    }
    let ids: Vec<i64> = training.keys().chain(tutoring.keys()).copied().collect();
    let tutors = person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut out: Vec<Development> = tutors
        .into_iter()
        .map(|tutor| {
            let training_hours = training.get(&tutor.id).copied().unwrap_or(0.0);
            let tutoring_hours = tutoring.get(&tutor.id).copied().unwrap_or(0.0);
            Development {
                level: tutor_level(training_hours, tutoring_hours),
                tutor,
                training_hours,
                tutoring_hours,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.training_hours + b.tutoring_hours)
            .total_cmp(&(a.training_hours + a.tutoring_hours))
            .then(a.tutor.id.cmp(&b.tutor.id))
    });
    Ok(out)
}

pub async fn create_community(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    name: String,
    description: String,
) -> ApiResult<community::Model> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "name", &name, validate::NAME);
    validate::text(&mut problems, "description", &description, validate::TEXT);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let programme = find_programme(db, org, programme_id).await?;
    Ok(community::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        name: Set(name.trim().to_owned()),
        description: Set(description),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn find_community(
    db: &impl ConnectionTrait,
    org: i64,
    id: i64,
) -> ApiResult<community::Model> {
    community::Entity::find_by_id(id)
        .filter(community::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("community"))
}

pub async fn add_community_member(
    db: &DatabaseConnection,
    org: i64,
    community_id: i64,
    tutor_id: i64,
) -> ApiResult<()> {
    let community = find_community(db, org, community_id).await?;
    let tutor = find_person(db, org, tutor_id, PersonKind::Tutor).await?;
    community_member::ActiveModel {
        community_id: Set(community.id),
        person_id: Set(tutor.id),
        joined_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict("already a member".into()),
        other => other,
    })?;
    Ok(())
}

pub async fn add_resource(
    db: &DatabaseConnection,
    org: i64,
    community_id: i64,
    title: String,
    url: String,
) -> ApiResult<community_resource::Model> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "title", &title, validate::NAME);
    let url = url.trim().to_owned();
    if url.chars().count() > 2_000 {
        problems.push(Problem::field("url", "must be at most 2,000 characters"));
    }
    let web = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    if web.is_none_or(|rest| {
        rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control())
    }) {
        problems.push(Problem::field("url", "must be an http or https address"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let community = find_community(db, org, community_id).await?;
    Ok(community_resource::ActiveModel {
        community_id: Set(community.id),
        title: Set(title.trim().to_owned()),
        url: Set(url),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Whether the caller reads a community's members and thread and posts
/// to it: coordinators always, a tutor in a community they belong to.
/// Observers read of a community its name and resources, nothing personal.
pub async fn may_take_part(
    db: &DatabaseConnection,
    caller: &crate::auth::Caller,
    community_id: i64,
) -> ApiResult<bool> {
    if caller.may(crate::auth::MANAGERS) {
        return Ok(true);
    }
    let Some(me) = person_of_user(db, caller.organisation_id, caller.own_account()?).await? else {
        return Ok(false);
    };
    Ok(community_member::Entity::find_by_id((community_id, me.id))
        .one(db)
        .await?
        .is_some())
}

/// Posts to a community's thread. Coordinators may always post; a tutor
/// only in a community they belong to.
pub async fn post(
    db: &DatabaseConnection,
    caller: &crate::auth::Caller,
    community_id: i64,
    body: String,
) -> ApiResult<community_post::Model> {
    let body = body.trim().to_owned();
    let mut problems = Vec::new();
    if body.is_empty() {
        problems.push(Problem::field("body", "is empty"));
    }
    validate::text(&mut problems, "body", &body, MAX_POST);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let community = find_community(db, caller.organisation_id, community_id).await?;
    if !may_take_part(db, caller, community.id).await? {
        return Err(ApiError::Forbidden);
    }
    Ok(community_post::ActiveModel {
        community_id: Set(community.id),
        author_user_id: Set(caller.user_id),
        body: Set(body),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}
