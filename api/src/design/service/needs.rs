//! Learners' needs: stated by people, or derived from scale scores by rules.

use std::collections::HashMap;

use chrono::Utc;
use entities::{
    NeedSource, NeedStatus, PersonKind, RuleDirection, campaign, need, need_rule, person,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use worker::design::{self, Direction, Threshold};
use worker::jobs::{load_definition, load_responses};
use worker::results::{respondent_scores, scale_range};

use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

use super::*;

/// Needs written per statement when a rule is applied.
const CHUNK: usize = 500;

pub(super) fn check_severity(severity: i32) -> ApiResult<()> {
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
pub(super) async fn scale_of(
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

    let txn = worker::db::begin_write(db).await?;
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
