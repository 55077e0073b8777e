//! Rules of the design phase: programmes, axes, needs, need rules,
//! interventions and priorities. Every check runs before anything is stored.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entities::{
    AxisKind, CommunicationTool, InterventionFormat, NeedSource, NeedStatus, PersonKind,
    RuleDirection, campaign, intervention, need, need_rule, person, programme, support_axis,
};
use entities::{
    RoleKind, Severity, StandardKind, guide_version, session_participant, standard, tutor_role,
    tutoring_session,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use worker::costs::{self, Breakdown, Held, Plan, Scenario};
use worker::design::{
    self, AxisNeeds, AxisPriority, Direction, InterventionCost, InterventionPriority, Threshold,
};
use worker::jobs::{load_definition, load_responses};
use worker::results::{respondent_scores, scale_range};

use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

/// Needs written per statement when a rule is applied.
const CHUNK: usize = 500;

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

fn check_weight(weight: f64) -> ApiResult<()> {
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

fn check_severity(severity: i32) -> ApiResult<()> {
    if (1..=design::MAX_SEVERITY).contains(&severity) {
        Ok(())
    } else {
        Err(ApiError::invalid(vec![Problem::field(
            "severity",
            "must be from 1 to 5",
        )]))
    }
}

/// Records a need stated by a coordinator, an interview or the learner.
pub async fn create_need(
    db: &DatabaseConnection,
    org: i64,
    axis_id: i64,
    person_id: i64,
    severity: i32,
    source: NeedSource,
    evidence: String,
) -> ApiResult<need::Model> {
    check_severity(severity)?;
    let mut problems = Vec::new();
    validate::text(&mut problems, "evidence", &evidence, validate::TEXT);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    if source == NeedSource::Questionnaire {
        return Err(ApiError::bad_input(
            "needs from questionnaires come from need rules",
        ));
    }
    let axis = find_axis(db, org, axis_id).await?;
    let learner = person::Entity::find_by_id(person_id)
        .filter(person::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("person"))?;
    if learner.kind != PersonKind::Learner {
        return Err(ApiError::bad_input("needs belong to learners"));
    }
    let now = Utc::now();
    need::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(axis.programme_id),
        axis_id: Set(axis.id),
        person_id: Set(learner.id),
        severity: Set(severity),
        source: Set(source),
        status: Set(NeedStatus::Open),
        evidence: Set(evidence),
        rule_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict(
            "this learner already has a need on this axis from this source: update it".into(),
        ),
        other => other,
    })
}

pub async fn update_need(
    db: &DatabaseConnection,
    org: i64,
    need_id: i64,
    severity: Option<i32>,
    status: Option<NeedStatus>,
) -> ApiResult<need::Model> {
    if let Some(s) = severity {
        check_severity(s)?;
    }
    let found = need::Entity::find_by_id(need_id)
        .filter(need::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("need"))?;
    let mut active: need::ActiveModel = found.into();
    if let Some(s) = severity {
        active.severity = Set(s);
        active.set_by_hand = Set(true);
    }
    if let Some(s) = status {
        active.status = Set(s);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// The range of a scale of a campaign's questionnaire, or an error naming it.
async fn scale_of(
    db: &DatabaseConnection,
    campaign: &campaign::Model,
    code: &str,
) -> ApiResult<(f64, f64)> {
    let (items, scales) = load_definition(db, campaign.questionnaire_id)
        .await
        .map_err(ApiError::internal)?;
    let scale = scales.iter().find(|s| s.code == code).ok_or_else(|| {
        ApiError::invalid(vec![Problem::field(
            "scaleCode",
            format!("the questionnaire has no scale `{code}`"),
        )])
    })?;
    scale_range(scale, &items).ok_or_else(|| {
        ApiError::invalid(vec![Problem::field(
            "scaleCode",
            "the scale has items without points",
        )])
    })
}

pub async fn create_rule(
    db: &DatabaseConnection,
    org: i64,
    axis_id: i64,
    campaign_id: i64,
    scale_code: String,
    direction: RuleDirection,
    threshold: f64,
) -> ApiResult<need_rule::Model> {
    let axis = find_axis(db, org, axis_id).await?;
    let existing = need_rule::Entity::find()
        .filter(need_rule::Column::AxisId.eq(axis.id))
        .one(db)
        .await?;
    if existing.is_some() {
        return Err(ApiError::Conflict(
            "this axis already derives its needs from a rule: one rule per axis".into(),
        ));
    }
    let campaign = crate::campaigns::service::find(db, org, campaign_id).await?;
    let audience = entities::questionnaire::Entity::find_by_id(campaign.questionnaire_id)
        .one(db)
        .await?
        .map(|q| q.audience);
    if audience != Some(entities::Audience::Learners) {
        return Err(ApiError::invalid(vec![Problem::field(
            "campaignId",
            "needs belong to learners: use a campaign of a learners' questionnaire",
        )]));
    }
    let (lo, hi) = scale_of(db, &campaign, &scale_code).await?;
    if !threshold.is_finite() || threshold <= lo || threshold >= hi {
        return Err(ApiError::invalid(vec![Problem::field(
            "threshold",
            format!("must lie strictly inside the scale's range {lo}–{hi}"),
        )]));
    }
    Ok(need_rule::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(axis.programme_id),
        axis_id: Set(axis.id),
        campaign_id: Set(campaign.id),
        scale_code: Set(scale_code),
        direction: Set(direction),
        threshold: Set(threshold),
        applied_at: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// What applying a rule did.
pub struct Applied {
    pub rule: need_rule::Model,
    /// Respondents with a score on the scale.
    pub assessed: usize,
    /// Of those, the ones past the threshold: each now has a need.
    pub flagged: usize,
}

/// Derives needs from a rule: each identified respondent past the threshold
/// gets (or keeps, with its severity refreshed) one need on the rule's axis.
pub async fn apply_rule(db: &DatabaseConnection, org: i64, rule_id: i64) -> ApiResult<Applied> {
    let rule = need_rule::Entity::find_by_id(rule_id)
        .filter(need_rule::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("need rule"))?;
    let campaign = crate::campaigns::service::find(db, org, rule.campaign_id).await?;
    let (items, scales) = load_definition(db, campaign.questionnaire_id)
        .await
        .map_err(ApiError::internal)?;
    let scale = scales
        .iter()
        .find(|s| s.code == rule.scale_code)
        .ok_or(ApiError::NotFound("scale"))?;
    let (min, max) = scale_range(scale, &items).ok_or(ApiError::NotFound("scale range"))?;
    let rows = load_responses(db, campaign.id)
        .await
        .map_err(ApiError::internal)?;
    let scores = respondent_scores(scale, &items, &rows);

    // The latest response of each person counts.
    let mut latest: HashMap<i64, f64> = HashMap::new();
    for (row, score) in rows.iter().zip(scores) {
        if let (Some(person), Some(score)) = (row.person_id, score) {
            latest.insert(person, score);
        }
    }
    let threshold = Threshold {
        direction: match rule.direction {
            RuleDirection::Below => Direction::Below,
            RuleDirection::Above => Direction::Above,
        },
        value: rule.threshold,
        min,
        max,
    };
    let by_hand: std::collections::HashSet<i64> = need::Entity::find()
        .filter(need::Column::AxisId.eq(rule.axis_id))
        .filter(need::Column::Source.eq(NeedSource::Questionnaire))
        .filter(need::Column::SetByHand.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.person_id)
        .collect();
    let now = Utc::now();
    let sign = if threshold.direction == Direction::Below {
        "<"
    } else {
        ">"
    };
    let needs: Vec<need::ActiveModel> = latest
        .iter()
                .filter(|(person, _)| !by_hand.contains(person))
        .filter_map(|(person, score)| {
            let severity = design::severity(*score, &threshold)?;
            Some(need::ActiveModel {
                organisation_id: Set(org),
                programme_id: Set(rule.programme_id),
                axis_id: Set(rule.axis_id),
                person_id: Set(*person),
                severity: Set(severity),
                source: Set(NeedSource::Questionnaire),
                status: Set(NeedStatus::Open),
                evidence: Set(format!(
                    "{} score {score:.2} {sign} {} in \"{}\" (scale {min}–{max}) ⇒ severity {severity}",
                    scale.name, rule.threshold, campaign.name
                )),
                rule_id: Set(Some(rule.id)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
        })
        .collect();
    let flagged = needs.len();

    let txn = db.begin().await?;
    let mut needs = needs.into_iter().peekable();
    while needs.peek().is_some() {
        let chunk: Vec<need::ActiveModel> = needs.by_ref().take(CHUNK).collect();
        need::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    need::Column::AxisId,
                    need::Column::PersonId,
                    need::Column::Source,
                ])
                .update_columns([
                    need::Column::Severity,
                    need::Column::Evidence,
                    need::Column::RuleId,
                    need::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let mut active: need_rule::ActiveModel = rule.into();
    active.applied_at = Set(Some(now));
    let rule = active.update(&txn).await?;
    txn.commit().await?;

    Ok(Applied {
        rule,
        assessed: latest.len(),
        flagged,
    })
}

pub struct NewIntervention {
    pub name: String,
    pub description: String,
    pub format: InterventionFormat,
    pub tool: CommunicationTool,
    pub sessions_per_month: f64,
    pub session_minutes: i32,
    pub group_size: i32,
    pub session_cost: f64,
    /// The role that delivers it.
    pub role_id: Option<i64>,
    pub duration_months: f64,
    pub planned_learners: i32,
}

pub async fn create_intervention(
    db: &DatabaseConnection,
    org: i64,
    axis_id: i64,
    i: NewIntervention,
) -> ApiResult<intervention::Model> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "name", &i.name, validate::NAME);
    validate::text(&mut problems, "description", &i.description, validate::TEXT);
    if !i.sessions_per_month.is_finite()
        || i.sessions_per_month <= 0.0
        || i.sessions_per_month > 100.0
    {
        problems.push(Problem::field(
            "sessionsPerMonth",
            "must be more than 0 and at most 100",
        ));
    }
    if !(1..=1440).contains(&i.session_minutes) {
        problems.push(Problem::field("sessionMinutes", "must be from 1 to 1440"));
    }
    match i.format {
        InterventionFormat::Individual if i.group_size != 1 => {
            problems.push(Problem::field(
                "groupSize",
                "an individual intervention has a group of 1",
            ));
        }
        _ if i.group_size < 1 => problems.push(Problem::field("groupSize", "must be at least 1")),
        _ => {}
    }
    validate::number(&mut problems, "sessionCost", i.session_cost, 0.0, 1e7);
    if !i.duration_months.is_finite() || i.duration_months <= 0.0 || i.duration_months > 120.0 {
        problems.push(Problem::field(
            "durationMonths",
            "must be more than 0 and at most 120",
        ));
    }
    if !(0..=10_000_000).contains(&i.planned_learners) {
        problems.push(Problem::field(
            "plannedLearners",
            "must be from 0 to 10,000,000",
        ));
    }
    if i.group_size > 10_000 {
        problems.push(Problem::field("groupSize", "must be at most 10,000"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let axis = find_axis(db, org, axis_id).await?;
    let role_id = match i.role_id {
        Some(id) => {
            let role = find_role(db, org, id).await?;
            if role.programme_id != axis.programme_id {
                return Err(ApiError::invalid(vec![Problem::field(
                    "roleId",
                    "is a role of another programme",
                )]));
            }
            Some(role.id)
        }
        None => None,
    };
    Ok(intervention::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(axis.programme_id),
        axis_id: Set(axis.id),
        name: Set(i.name.trim().to_owned()),
        description: Set(i.description),
        format: Set(i.format),
        tool: Set(i.tool),
        sessions_per_month: Set(i.sessions_per_month),
        session_minutes: Set(i.session_minutes),
        group_size: Set(i.group_size),
        session_cost: Set(i.session_cost),
        role_id: Set(role_id),
        duration_months: Set(i.duration_months),
        planned_learners: Set(i.planned_learners),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Ranks a programme's axes and interventions; `weights` overrides axis
/// weights for a what-if without storing anything.
pub async fn priorities(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    weights: &HashMap<i64, f64>,
) -> ApiResult<(Vec<AxisPriority>, Vec<InterventionPriority>, usize)> {
    let programme = find_programme(db, org, programme_id).await?;
    for weight in weights.values() {
        check_weight(*weight)?;
    }
    let axes = support_axis::Entity::find()
        .filter(support_axis::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?;
    if let Some(unknown) = weights.keys().find(|id| !axes.iter().any(|a| a.id == **id)) {
        return Err(ApiError::invalid(vec![Problem::field(
            "weights",
            format!(
                "axis {} is not an axis of this programme",
                crate::ids::encode("SupportAxis", *unknown).0
            ),
        )]));
    }
    let open = need::Entity::find()
        .filter(need::Column::ProgrammeId.eq(programme.id))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .all(db)
        .await?;

    // One need per learner and axis: the most severe across sources.
    let mut worst: HashMap<(i64, i64), i32> = HashMap::new();
    for n in &open {
        let s = worst.entry((n.axis_id, n.person_id)).or_insert(n.severity);
        *s = (*s).max(n.severity);
    }
    let learners_with_needs = worst
        .keys()
        .map(|(_, p)| *p)
        .collect::<std::collections::HashSet<_>>()
        .len();
    // Never fewer than the learners known to have needs: a share stays a share.
    let population = usize::try_from(programme.expected_learners)
        .unwrap_or(0)
        .max(learners_with_needs);
    let inputs: Vec<AxisNeeds> = axes
        .iter()
        .map(|a| AxisNeeds {
            axis_id: a.id,
            name: a.name.clone(),
            weight: weights.get(&a.id).copied().unwrap_or(a.weight),
            severities: worst
                .iter()
                .filter(|((axis, _), _)| *axis == a.id)
                .map(|(_, s)| *s)
                .collect(),
        })
        .collect();
    let ranked_axes = design::rank_axes(&inputs, population);

    let rates = role_rates(db, programme.id).await?;
    let costs: Vec<InterventionCost> = intervention::Entity::find()
        .filter(intervention::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| InterventionCost {
            intervention_id: i.id,
            axis_id: i.axis_id,
            sessions_per_month: i.sessions_per_month,
            group_size: i.group_size,
            session_cost: costs::session_cost(
                i.session_cost,
                i.session_minutes,
                rate(&rates, i.role_id),
            ),
            name: i.name,
        })
        .collect();
    let ranked_interventions = design::rank_interventions(&ranked_axes, &costs);
    Ok((ranked_axes, ranked_interventions, population))
}

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
    let txn = db.begin().await?;
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

/// Hourly cost of each role of a programme.
async fn role_rates(db: &impl ConnectionTrait, programme_id: i64) -> ApiResult<HashMap<i64, f64>> {
    Ok(tutor_role::Entity::find()
        .filter(tutor_role::Column::ProgrammeId.eq(programme_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.hourly_cost))
        .collect())
}

fn rate(rates: &HashMap<i64, f64>, role: Option<i64>) -> f64 {
    role.and_then(|r| rates.get(&r)).copied().unwrap_or(0.0)
}

async fn plans(db: &impl ConnectionTrait, programme_id: i64) -> ApiResult<Vec<Plan>> {
    let rates = role_rates(db, programme_id).await?;
    Ok(intervention::Entity::find()
        .filter(intervention::Column::ProgrammeId.eq(programme_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| Plan {
            intervention_id: i.id,
            axis_id: i.axis_id,
            role_id: i.role_id,
            sessions_per_month: i.sessions_per_month,
            duration_months: i.duration_months,
            session_minutes: i.session_minutes,
            group_size: i.group_size,
            fixed_cost: i.session_cost,
            hourly_cost: rate(&rates, i.role_id),
            planned_learners: i.planned_learners,
        })
        .collect())
}

/// Planned and actual costs of a programme.
pub async fn costs(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
) -> ApiResult<(programme::Model, Breakdown, Breakdown)> {
    let programme = find_programme(db, org, programme_id).await?;
    let plans = plans(db, programme.id).await?;
    let by_id: HashMap<i64, &Plan> = plans.iter().map(|p| (p.intervention_id, p)).collect();

    let sessions = tutoring_session::Entity::find()
        .filter(tutoring_session::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?;
    // Only those who came share a session's cost.
    let mut participants: HashMap<i64, Vec<i64>> = HashMap::new();
    for p in session_participant::Entity::find()
        .filter(session_participant::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
        .filter(session_participant::Column::Attended.eq(true))
        .all(db)
        .await?
    {
        participants
            .entry(p.session_id)
            .or_default()
            .push(p.person_id);
    }
    let held: Vec<Held> = sessions
        .iter()
        .filter_map(|s| {
            let plan = by_id.get(&s.intervention_id)?;
            Some(Held {
                intervention_id: s.intervention_id,
                axis_id: plan.axis_id,
                role_id: plan.role_id,
                minutes: s.minutes,
                fixed_cost: plan.fixed_cost,
                hourly_cost: plan.hourly_cost,
                learners: participants.remove(&s.id).unwrap_or_default(),
            })
        })
        .collect();

    let expected = usize::try_from(programme.expected_learners).unwrap_or(0);
    let planned = costs::planned(&plans, expected);
    let actual = costs::actual(&held);
    Ok((programme, planned, actual))
}

/// What `extra` more learners on an axis would cost.
pub async fn scenario(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    axis_id: i64,
    extra: i64,
) -> ApiResult<Scenario> {
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
    let on_axis: Vec<Plan> = plans(db, programme.id)
        .await?
        .into_iter()
        .filter(|p| p.axis_id == axis.id)
        .collect();
    Ok(costs::more_learners(&on_axis, extra))
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

    let txn = db.begin().await?;
    let session = tutoring_session::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(intervention.programme_id),
        intervention_id: Set(intervention.id),
        tutor_id: Set(s.tutor_id),
        held_at: Set(s.held_at),
        minutes: Set(s.minutes),
        mode: Set(s.mode.unwrap_or(intervention.tool)),
        notes: Set(s.notes),
        created_at: Set(Utc::now()),
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

/// A learner's own statement of a need: created, or updated if they stated
/// one on this axis before.
pub async fn state_need(
    db: &DatabaseConnection,
    org: i64,
    axis_id: i64,
    person_id: i64,
    severity: i32,
    note: String,
) -> ApiResult<need::Model> {
    let existing = need::Entity::find()
        .filter(need::Column::OrganisationId.eq(org))
        .filter(need::Column::AxisId.eq(axis_id))
        .filter(need::Column::PersonId.eq(person_id))
        .filter(need::Column::Source.eq(NeedSource::Learner))
        .one(db)
        .await?;
    let Some(existing) = existing else {
        return create_need(
            db,
            org,
            axis_id,
            person_id,
            severity,
            NeedSource::Learner,
            note,
        )
        .await;
    };
    check_severity(severity)?;
    let mut problems = Vec::new();
    validate::text(&mut problems, "note", &note, validate::TEXT);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let mut active: need::ActiveModel = existing.into();
    active.severity = Set(severity);
    active.evidence = Set(note);
    active.status = Set(NeedStatus::Open);
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}
