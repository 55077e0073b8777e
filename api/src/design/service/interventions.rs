//! The catalogue of interventions, and the priorities computed over it.

use std::collections::HashMap;

use entities::{
    CommunicationTool, InterventionFormat, NeedStatus, intervention, need, support_axis,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use worker::design::{self, AxisNeeds, AxisPriority, InterventionCost, InterventionPriority};

use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

use super::*;

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

/// A programme's ranking, each priority with the axis or intervention it ranks.
pub struct Ranking {
    /// Learners the prevalences are shares of.
    pub population: usize,
    pub axes: Vec<(support_axis::Model, AxisPriority)>,
    pub interventions: Vec<(intervention::Model, InterventionPriority)>,
}

/// Ranks a programme's axes and interventions; `weights` overrides axis
/// weights for a what-if without storing anything.
pub async fn priorities(
    db: &DatabaseConnection,
    org: i64,
    programme_id: i64,
    weights: &HashMap<i64, f64>,
) -> ApiResult<Ranking> {
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

    let catalogue = Catalogue::load(db, programme.id).await?;
    let costs: Vec<InterventionCost> = catalogue
        .plans
        .iter()
        .zip(&catalogue.interventions)
        .map(|(plan, i)| InterventionCost {
            intervention_id: i.id,
            axis_id: i.axis_id,
            sessions_per_month: i.sessions_per_month,
            group_size: i.group_size,
            session_cost: plan.cost_per_session(),
            name: i.name.clone(),
        })
        .collect();
    let ranked_interventions = design::rank_interventions(&ranked_axes, &costs);

    let axes_by_id: HashMap<i64, support_axis::Model> =
        axes.into_iter().map(|a| (a.id, a)).collect();
    Ok(Ranking {
        population,
        axes: ranked_axes
            .into_iter()
            .filter_map(|p| Some((axes_by_id.get(&p.axis_id)?.clone(), p)))
            .collect(),
        interventions: ranked_interventions
            .into_iter()
            .filter_map(|p| Some((catalogue.intervention(p.intervention_id)?.clone(), p)))
            .collect(),
    })
}
