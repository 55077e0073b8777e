//! Designing a tutorial system: programmes, support axes, learners' needs
//! (stated, or derived from questionnaire results by rules), the catalogue
//! of interventions, and the priorities computed from them.

pub mod service;
pub mod types;

use std::collections::HashMap;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entities::programme;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::{MANAGERS, READERS};
use crate::error::ApiError;
use crate::ids;
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;
use types::{Amount, CostReport, CostScenario, Costs, ScenarioLine};
use types::{
    AxisKind, AxisPriority, AxisWeightInput, CommunicationTool, GuideVersion, Intervention,
    InterventionFormat, InterventionPriority, Need, NeedRule, NeedSource, NeedStatus, Priorities,
    Programme, RoleKind, RuleDirection, Severity, Standard, StandardKind, SupportAxis, Term,
    TutorRole, TutorialGuide,
};

#[derive(Default)]
pub struct DesignQuery;

#[Object]
impl DesignQuery {
    /// The programme's tutorial guide and standards: open to every member.
    async fn tutorial_guide(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the programme; one of another organisation is NOT_FOUND.")]
        programme_id: ID,
    ) -> Result<TutorialGuide> {
        let caller = ctx.caller()?;
        let db = &ctx.state().db;
        let id = ids::decode(&programme_id, "Programme")?;
        let programme = service::find_programme(db, caller.organisation_id, id).await?;
        let current = entities::guide_version::Entity::find()
            .filter(entities::guide_version::Column::ProgrammeId.eq(programme.id))
            .order_by_desc(entities::guide_version::Column::Version)
            .one(db)
            .await
            .map_err(ApiError::from)?;
        Ok(TutorialGuide {
            programme_name: programme.name,
            current: current.map(Into::into),
            standards: standards_of(db, programme.id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        })
    }

    /// Programmes of the organisation, newest first: every member may list
    /// them; personal and financial fields check roles of their own.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn programmes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<Programme>> {
        let caller = ctx.caller()?;

        let query = programme::Entity::find()
            .filter(programme::Column::OrganisationId.eq(caller.organisation_id));
        let sort = Sort::by_id("programmes", programme::Column::Id, sea_orm::Order::Desc);
        let page = PageArgs::new(first, after, last, before);
        Ok(keyset(&ctx.state().db, query, &sort, page, Programme).await?)
    }
}

pub(crate) async fn standards_of(
    db: &sea_orm::DatabaseConnection,
    programme_id: i64,
) -> Result<Vec<entities::standard::Model>, ApiError> {
    Ok(entities::standard::Entity::find()
        .filter(entities::standard::Column::ProgrammeId.eq(programme_id))
        .order_by_asc(entities::standard::Column::Id)
        .all(db)
        .await?)
}

pub(crate) async fn costs(ctx: &Context<'_>, programme_id: i64) -> Result<Costs> {
    let caller = ctx.caller_in(READERS)?;
    let costing = service::costs(&ctx.state().db, caller.organisation_id, programme_id).await?;
    // Per-learner shares are personal data: coordinators only.
    let personal = caller.may(MANAGERS);
    let budget = costing.programme.budget;
    let share = |amount: f64| (budget > 0.0).then(|| amount / budget);
    Ok(Costs {
        currency: costing.programme.currency.clone(),
        budget,
        budget_consumed: share(costing.actual.total),
        planned_share_of_budget: share(costing.planned.total),
        planned: report(&costing, &costing.planned, false),
        actual: report(&costing, &costing.actual, personal),
    })
}

/// A breakdown as cost lines named after their axis, role, intervention or learner.
fn report(c: &service::Costing, b: &worker::costs::Breakdown, with_learners: bool) -> CostReport {
    let line = |kind: &str, id: i64, name: Option<&str>, amount: f64| Amount {
        id: Some(ids::encode(kind, id)),
        name: name.unwrap_or_default().to_owned(),
        amount,
    };
    let role_name = |id: i64| {
        c.catalogue
            .roles
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.as_str())
    };
    CostReport {
        total: b.total,
        learners: b.learners as u64,
        per_learner: b.per_learner,
        by_axis: b
            .by_axis
            .iter()
            .map(|(id, a)| {
                line(
                    "SupportAxis",
                    *id,
                    c.axis_names.get(id).map(String::as_str),
                    *a,
                )
            })
            .collect(),
        by_role: b
            .by_role
            .iter()
            .map(|(id, a)| match id {
                Some(id) => line("TutorRole", *id, role_name(*id), *a),
                None => Amount {
                    id: None,
                    name: "no role".into(),
                    amount: *a,
                },
            })
            .collect(),
        by_intervention: b
            .by_intervention
            .iter()
            .map(|(id, a)| {
                line(
                    "Intervention",
                    *id,
                    c.catalogue.intervention(*id).map(|i| i.name.as_str()),
                    *a,
                )
            })
            .collect(),
        by_learner: if with_learners {
            b.by_learner
                .iter()
                .map(|(id, a)| {
                    line(
                        "Person",
                        *id,
                        c.learner_names.get(id).map(String::as_str),
                        *a,
                    )
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

pub(crate) async fn cost_scenario(
    ctx: &Context<'_>,
    programme_id: i64,
    axis_id: ID,
    extra: i64,
) -> Result<CostScenario> {
    let caller = ctx.caller_in(READERS)?;
    let axis = ids::decode(&axis_id, "SupportAxis")?;
    let (scenario, catalogue) = service::scenario(
        &ctx.state().db,
        caller.organisation_id,
        programme_id,
        axis,
        extra,
    )
    .await?;
    Ok(CostScenario {
        extra_learners: scenario.extra_learners,
        total: scenario.total,
        interventions: scenario
            .interventions
            .into_iter()
            .filter_map(|(id, groups, cost)| {
                Some(ScenarioLine {
                    intervention: Intervention(catalogue.intervention(id)?.clone()),
                    extra_groups: groups,
                    extra_cost: cost,
                })
            })
            .collect(),
    })
}

pub(crate) async fn priorities(
    ctx: &Context<'_>,
    programme_id: i64,
    weights: Vec<AxisWeightInput>,
) -> Result<Priorities> {
    let caller = ctx.caller_in(READERS)?;
    let mut overrides = HashMap::new();
    for w in weights {
        if overrides
            .insert(ids::decode(&w.axis_id, "SupportAxis")?, w.weight)
            .is_some()
        {
            let problem = crate::error::Problem::field("weights", "an axis is given two weights");
            return Err(ApiError::invalid(vec![problem]).into());
        }
    }
    let ranking = service::priorities(
        &ctx.state().db,
        caller.organisation_id,
        programme_id,
        &overrides,
    )
    .await?;
    let terms = |t: Vec<worker::design::Term>| {
        t.into_iter()
            .map(|t| Term {
                name: t.name,
                value: t.value,
            })
            .collect()
    };

    Ok(Priorities {
        population: ranking.population as u64,
        axes: ranking
            .axes
            .into_iter()
            .map(|(axis, p)| AxisPriority {
                axis: SupportAxis(axis),
                rank: p.rank as u64,
                score: p.score,
                prevalence: p.prevalence,
                mean_severity: p.mean_severity,
                weight: p.weight,
                learners_with_need: p.learners_with_need as u64,
                terms: terms(p.terms),
                explanation: p.explanation,
            })
            .collect(),
        interventions: ranking
            .interventions
            .into_iter()
            .map(|(intervention, p)| InterventionPriority {
                intervention: Intervention(intervention),
                rank: p.rank as u64,
                score: p.score,
                axis_score: p.axis_score,
                cost_per_learner_month: p.cost_per_learner_month,
                terms: terms(p.terms),
                explanation: p.explanation,
            })
            .collect(),
    })
}

#[derive(InputObject)]
pub struct CreateProgrammeInput {
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[graphql(default)]
    pub goals: Vec<String>,
    pub budget: f64,
    /// ISO 4217 code, e.g. EUR.
    pub currency: String,
    #[graphql(default)]
    pub expected_learners: i32,
}

#[derive(InputObject)]
pub struct CreateSupportAxisInput {
    pub programme_id: ID,
    pub name: String,
    pub kind: AxisKind,
    #[graphql(default)]
    pub description: String,
    /// 0 to 10.
    pub weight: f64,
}

#[derive(InputObject)]
pub struct SetAxisWeightInput {
    pub axis_id: ID,
    pub weight: f64,
}

#[derive(InputObject)]
pub struct CreateNeedInput {
    pub axis_id: ID,
    pub learner_id: ID,
    /// 1 to 5.
    pub severity: i32,
    /// COORDINATOR, INTERVIEW or LEARNER; questionnaire needs come from rules.
    pub source: NeedSource,
    #[graphql(default)]
    pub evidence: String,
}

#[derive(InputObject)]
pub struct StateNeedInput {
    pub axis_id: ID,
    /// 1 (mild) to 5 (severe).
    pub severity: i32,
    /// In the learner's own words.
    #[graphql(default)]
    pub note: String,
}

#[derive(InputObject)]
pub struct UpdateNeedInput {
    pub need_id: ID,
    pub severity: Option<i32>,
    pub status: Option<NeedStatus>,
}

#[derive(InputObject)]
pub struct CreateNeedRuleInput {
    pub axis_id: ID,
    pub campaign_id: ID,
    pub scale_code: String,
    pub direction: RuleDirection,
    /// Strictly inside the scale's range.
    pub threshold: f64,
}

#[derive(InputObject)]
pub struct ApplyNeedRuleInput {
    pub rule_id: ID,
}

#[derive(InputObject)]
pub struct CreateInterventionInput {
    pub axis_id: ID,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub format: InterventionFormat,
    pub tool: CommunicationTool,
    pub sessions_per_month: f64,
    pub session_minutes: i32,
    /// Learners per session; 1 for individual interventions.
    #[graphql(default = 1)]
    pub group_size: i32,
    /// Cost of one session in the programme's currency.
    pub session_cost: f64,
    /// The tutor role that delivers it.
    pub role_id: Option<ID>,
    /// Months it runs.
    #[graphql(default = 1.0)]
    pub duration_months: f64,
    /// Learners expected to take it.
    #[graphql(default)]
    pub planned_learners: i32,
}

#[derive(InputObject)]
pub struct ParticipantInput {
    pub learner_id: ID,
    #[graphql(default = true)]
    pub attended: bool,
}

#[derive(InputObject)]
pub struct LogSessionInput {
    pub intervention_id: ID,
    /// The tutor or mentor who held it.
    pub tutor_id: Option<ID>,
    pub held_at: chrono::DateTime<chrono::Utc>,
    /// 1 to 1440.
    pub minutes: i32,
    /// Defaults to the intervention's communication tool.
    pub mode: Option<CommunicationTool>,
    #[graphql(default)]
    pub notes: String,
    pub participants: Vec<ParticipantInput>,
}

#[derive(SimpleObject)]
pub struct LogSessionPayload {
    pub session_id: ID,
}

#[derive(InputObject)]
pub struct CreateTutorRoleInput {
    pub programme_id: ID,
    pub name: String,
    pub kind: RoleKind,
    /// What the role does, one function per entry.
    pub functions: Vec<String>,
    pub hourly_cost: f64,
    #[graphql(default)]
    pub expected_learners: i32,
    #[graphql(default)]
    pub expected_hours_per_month: f64,
}

#[derive(InputObject)]
pub struct PublishGuideInput {
    pub programme_id: ID,
    /// The guide's text, Markdown.
    pub body: String,
}

#[derive(InputObject)]
pub struct SetStandardInput {
    pub programme_id: ID,
    pub kind: StandardKind,
    /// Days or hours, as the kind says; at least 1.
    pub threshold: Option<i32>,
    pub severity: Severity,
    #[graphql(default)]
    pub description: String,
}

#[derive(SimpleObject)]
pub struct TutorRolePayload {
    pub role: TutorRole,
}

#[derive(SimpleObject)]
pub struct GuidePayload {
    pub guide: GuideVersion,
}

#[derive(SimpleObject)]
pub struct StandardPayload {
    pub standard: Standard,
}

#[derive(SimpleObject)]
pub struct ProgrammePayload {
    pub programme: Programme,
}

#[derive(SimpleObject)]
pub struct SupportAxisPayload {
    pub axis: SupportAxis,
}

#[derive(SimpleObject)]
pub struct NeedPayload {
    pub need: Need,
}

#[derive(SimpleObject)]
pub struct NeedRulePayload {
    pub rule: NeedRule,
}

#[derive(SimpleObject)]
pub struct ApplyNeedRulePayload {
    pub rule: NeedRule,
    /// Identified respondents with a score on the scale.
    pub assessed: u64,
    /// Those past the threshold, each now with a need on the rule's axis.
    pub flagged: u64,
}

#[derive(SimpleObject)]
pub struct InterventionPayload {
    pub intervention: Intervention,
}

#[derive(Default)]
pub struct DesignMutation;

#[Object]
impl DesignMutation {
    /// Creates a programme of the organisation, with its dates, goals and
    /// budget. Coordinators and admins; each invalid field is reported
    /// (BAD_USER_INPUT).
    async fn create_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The name, dates, goals, budget and expected learners.")]
        input: CreateProgrammeInput,
    ) -> Result<ProgrammePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let new = service::NewProgramme {
            name: input.name,
            description: input.description,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            goals: input.goals,
            budget: input.budget,
            currency: input.currency,
            expected_learners: input.expected_learners,
        };
        let created =
            service::create_programme(&ctx.state().db, caller.organisation_id, new).await?;
        Ok(ProgrammePayload {
            programme: Programme(created),
        })
    }

    /// Adds a support axis to a programme: a field in which learners may need
    /// support, weighted for priorities. Coordinators and admins.
    async fn create_support_axis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, and the axis's name, kind, description and weight.")]
        input: CreateSupportAxisInput,
    ) -> Result<SupportAxisPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let programme = ids::decode(&input.programme_id, "Programme")?;
        let axis = service::create_axis(
            &ctx.state().db,
            caller.organisation_id,
            programme,
            input.name,
            input.kind.into(),
            input.description,
            input.weight,
        )
        .await?;
        Ok(SupportAxisPayload {
            axis: SupportAxis(axis),
        })
    }

    /// Changes an axis's weight; try one first with `priorities(weights:)`.
    async fn set_support_axis_weight(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The axis and its new weight.")] input: SetAxisWeightInput,
    ) -> Result<SupportAxisPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let axis = ids::decode(&input.axis_id, "SupportAxis")?;
        let axis =
            service::set_axis_weight(&ctx.state().db, caller.organisation_id, axis, input.weight)
                .await?;
        Ok(SupportAxisPayload {
            axis: SupportAxis(axis),
        })
    }

    /// Records a learner's need stated by a coordinator, an interview or the learner.
    async fn create_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The learner, the axis, the severity, the source and the evidence.")]
        input: CreateNeedInput,
    ) -> Result<NeedPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let need = service::create_need(
            &ctx.state().db,
            caller.organisation_id,
            ids::decode(&input.axis_id, "SupportAxis")?,
            ids::decode(&input.learner_id, "Person")?,
            input.severity,
            input.source.into(),
            input.evidence,
        )
        .await?;
        Ok(NeedPayload { need: Need(need) })
    }

    /// A learner states a need of their own.
    async fn state_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The axis, the severity and the learner's note.")] input: StateNeedInput,
    ) -> Result<NeedPayload> {
        let caller = ctx.caller_in(&[entities::Role::Learner])?;
        let db = &ctx.state().db;
        let me =
            crate::development::service::person_of_user(db, caller.organisation_id, caller.user_id)
                .await?
                .ok_or(ApiError::Forbidden)?;
        let axis = ids::decode(&input.axis_id, "SupportAxis")?;
        let need = service::state_need(
            db,
            caller.organisation_id,
            axis,
            me.id,
            input.severity,
            input.note,
        )
        .await?;
        Ok(NeedPayload { need: Need(need) })
    }

    /// Changes a need's severity or status. A severity set here is kept when a
    /// need rule is applied again. Coordinators and admins; an unknown need is
    /// NOT_FOUND.
    async fn update_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The need, and its new severity or status.")] input: UpdateNeedInput,
    ) -> Result<NeedPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let need = service::update_need(
            &ctx.state().db,
            caller.organisation_id,
            ids::decode(&input.need_id, "Need")?,
            input.severity,
            input.status.map(Into::into),
        )
        .await?;
        Ok(NeedPayload { need: Need(need) })
    }

    /// A rule turning scale scores past a threshold into needs on an axis.
    async fn create_need_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The axis, the campaign, the scale, the direction and the threshold.")]
        input: CreateNeedRuleInput,
    ) -> Result<NeedRulePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let rule = service::create_rule(
            &ctx.state().db,
            caller.organisation_id,
            ids::decode(&input.axis_id, "SupportAxis")?,
            ids::decode(&input.campaign_id, "Campaign")?,
            input.scale_code,
            input.direction.into(),
            input.threshold,
        )
        .await?;
        Ok(NeedRulePayload {
            rule: NeedRule(rule),
        })
    }

    /// Derives needs from a rule's campaign; applying it again refreshes them.
    async fn apply_need_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule to apply.")] input: ApplyNeedRuleInput,
    ) -> Result<ApplyNeedRulePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let rule = ids::decode(&input.rule_id, "NeedRule")?;
        let applied = service::apply_rule(&ctx.state().db, caller.organisation_id, rule).await?;
        Ok(ApplyNeedRulePayload {
            rule: NeedRule(applied.rule),
            assessed: applied.assessed as u64,
            flagged: applied.flagged as u64,
        })
    }

    /// Logs a held session of an intervention, with its learners.
    async fn log_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The intervention, the tutor, when and how long, and who attended.")]
        input: LogSessionInput,
    ) -> Result<LogSessionPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let participants = input
            .participants
            .iter()
            .map(|p| Ok((ids::decode(&p.learner_id, "Person")?, p.attended)))
            .collect::<Result<Vec<_>, ApiError>>()?;
        let new = service::NewSession {
            intervention_id: ids::decode(&input.intervention_id, "Intervention")?,
            tutor_id: input
                .tutor_id
                .as_ref()
                .map(|id| ids::decode(id, "Person"))
                .transpose()?,
            held_at: input.held_at,
            minutes: input.minutes,
            mode: input.mode.map(Into::into),
            notes: input.notes,
            participants,
        };
        let session = service::log_session(&ctx.state().db, caller.organisation_id, new).await?;
        Ok(LogSessionPayload {
            session_id: ids::encode("Session", session.id),
        })
    }

    /// Adds a tutor role to a programme: what its tutors or mentors do, what an
    /// hour of theirs costs and how many learners each follows. Coordinators
    /// and admins.
    async fn create_tutor_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, and the role's name, kind, functions, cost and load.")]
        input: CreateTutorRoleInput,
    ) -> Result<TutorRolePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let programme = ids::decode(&input.programme_id, "Programme")?;
        let new = service::NewRole {
            name: input.name,
            kind: input.kind.into(),
            functions: input.functions,
            hourly_cost: input.hourly_cost,
            expected_learners: input.expected_learners,
            expected_hours_per_month: input.expected_hours_per_month,
        };
        let role =
            service::create_role(&ctx.state().db, caller.organisation_id, programme, new).await?;
        Ok(TutorRolePayload {
            role: TutorRole(role),
        })
    }

    /// Publishes a new version of the programme's tutorial guide.
    async fn publish_guide(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme and the guide's text.")] input: PublishGuideInput,
    ) -> Result<GuidePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let programme = ids::decode(&input.programme_id, "Programme")?;
        let guide = service::publish_guide(
            &ctx.state().db,
            caller.organisation_id,
            programme,
            input.body,
        )
        .await?;
        Ok(GuidePayload {
            guide: guide.into(),
        })
    }

    /// Sets the programme's standard of one kind, replacing the previous one.
    async fn set_standard(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The programme, and the standard's kind, threshold and severity."
        )]
        input: SetStandardInput,
    ) -> Result<StandardPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let programme = ids::decode(&input.programme_id, "Programme")?;
        let standard = service::set_standard(
            &ctx.state().db,
            caller.organisation_id,
            programme,
            input.kind.into(),
            input.threshold,
            input.severity.into(),
            input.description,
        )
        .await?;
        Ok(StandardPayload {
            standard: standard.into(),
        })
    }

    /// Adds an intervention on a support axis: its format, tool, rhythm, cost
    /// and planned learners. Coordinators and admins; each invalid field is
    /// reported (BAD_USER_INPUT).
    async fn create_intervention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The axis, and the intervention's format, rhythm, cost and role.")]
        input: CreateInterventionInput,
    ) -> Result<InterventionPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let new = service::NewIntervention {
            name: input.name,
            description: input.description,
            format: input.format.into(),
            tool: input.tool.into(),
            sessions_per_month: input.sessions_per_month,
            session_minutes: input.session_minutes,
            group_size: input.group_size,
            session_cost: input.session_cost,
            role_id: input
                .role_id
                .as_ref()
                .map(|id| ids::decode(id, "TutorRole"))
                .transpose()?,
            duration_months: input.duration_months,
            planned_learners: input.planned_learners,
        };
        let axis = ids::decode(&input.axis_id, "SupportAxis")?;
        let created =
            service::create_intervention(&ctx.state().db, caller.organisation_id, axis, new)
                .await?;
        Ok(InterventionPayload {
            intervention: Intervention(created),
        })
    }
}
