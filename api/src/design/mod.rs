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

/// A new programme: its period, goals and budget. Every problem is
/// reported at once as BAD_USER_INPUT, by field.
#[derive(InputObject)]
pub struct CreateProgrammeInput {
    /// Name, 1 to 200 characters on one line.
    pub name: String,
    /// What the programme is about, at most 10,000 characters.
    #[graphql(default)]
    pub description: String,
    /// First day of the programme.
    pub starts_on: NaiveDate,
    /// Last day, included; not before `startsOn`.
    pub ends_on: NaiveDate,
    /// At most 50 goals, each 1 to 500 characters on one line.
    #[graphql(default)]
    pub goals: Vec<String>,
    /// Budget in `currency`, from 0 (none) to 10^12.
    pub budget: f64,
    /// ISO 4217 code, e.g. EUR.
    pub currency: String,
    /// Learners expected, 0 to 10,000,000: the base of need prevalence and
    /// of the planned cost per learner.
    #[graphql(default)]
    pub expected_learners: i32,
}

/// A new support axis of a programme.
#[derive(InputObject)]
pub struct CreateSupportAxisInput {
    /// Global ID of the programme; NOT_FOUND outside the caller's
    /// organisation.
    pub programme_id: ID,
    /// Name, 1 to 200 characters on one line.
    pub name: String,
    /// What the axis is about.
    pub kind: AxisKind,
    /// What the axis covers, at most 10,000 characters.
    #[graphql(default)]
    pub description: String,
    /// 0 to 10.
    pub weight: f64,
}

/// A new weight for a support axis.
#[derive(InputObject)]
pub struct SetAxisWeightInput {
    /// Global ID of the axis; NOT_FOUND outside the caller's organisation.
    pub axis_id: ID,
    /// The weight, from 0 to 10; BAD_USER_INPUT otherwise.
    pub weight: f64,
}

/// A learner's need, recorded by a coordinator.
#[derive(InputObject)]
pub struct CreateNeedInput {
    /// Global ID of the support axis; the need belongs to its programme.
    pub axis_id: ID,
    /// Global ID of a person who is a learner (BAD_USER_INPUT for anyone
    /// else). CONFLICT if they have a need on the axis from this source.
    pub learner_id: ID,
    /// 1 to 5.
    pub severity: i32,
    /// COORDINATOR, INTERVIEW or LEARNER; questionnaire needs come from rules.
    pub source: NeedSource,
    /// Why the need is recorded, at most 10,000 characters.
    #[graphql(default)]
    pub evidence: String,
}

/// A need the signed-in learner states. Stating one again on the same
/// axis updates it and opens it again.
#[derive(InputObject)]
pub struct StateNeedInput {
    /// Global ID of the support axis.
    pub axis_id: ID,
    /// 1 (mild) to 5 (severe).
    pub severity: i32,
    /// In the learner's own words.
    #[graphql(default)]
    pub note: String,
}

/// Changes to a need; fields left null stay as they are.
#[derive(InputObject)]
pub struct UpdateNeedInput {
    /// Global ID of the need; NOT_FOUND outside the caller's organisation.
    pub need_id: ID,
    /// New severity, 1 (mild) to 5 (severe). Once set here, applying the
    /// need rule again no longer changes the learner's questionnaire need.
    pub severity: Option<i32>,
    /// New status; only open needs count in the priorities.
    pub status: Option<NeedStatus>,
}

/// A rule deriving needs on an axis from a campaign's scale scores.
#[derive(InputObject)]
pub struct CreateNeedRuleInput {
    /// Global ID of the support axis; CONFLICT if it has a rule already.
    pub axis_id: ID,
    /// Global ID of a campaign of a learners' questionnaire
    /// (BAD_USER_INPUT otherwise).
    pub campaign_id: ID,
    /// Code of a scale of the campaign's questionnaire whose items all
    /// have points.
    pub scale_code: String,
    /// Whether scores below or above the threshold signal a need.
    pub direction: RuleDirection,
    /// Strictly inside the scale's range.
    pub threshold: f64,
}

/// The need rule to apply.
#[derive(InputObject)]
pub struct ApplyNeedRuleInput {
    /// Global ID of the rule; NOT_FOUND outside the caller's organisation.
    pub rule_id: ID,
}

/// A new intervention in the catalogue of an axis's programme. Every
/// problem of the figures is reported at once as BAD_USER_INPUT.
#[derive(InputObject)]
pub struct CreateInterventionInput {
    /// Global ID of the support axis it serves.
    pub axis_id: ID,
    /// Name, 1 to 200 characters on one line.
    pub name: String,
    /// What happens in it, at most 10,000 characters.
    #[graphql(default)]
    pub description: String,
    /// One learner per session, or a group; INDIVIDUAL needs `groupSize` 1.
    pub format: InterventionFormat,
    /// How tutor and learners communicate; the mode of logged sessions
    /// that give none.
    pub tool: CommunicationTool,
    /// Sessions a month, more than 0 and at most 100; fractions allowed.
    pub sessions_per_month: f64,
    /// Length of one session in minutes, 1 to 1440.
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

/// A learner expected at a logged session.
#[derive(InputObject)]
pub struct ParticipantInput {
    /// Global ID of a learner of the organisation; NOT_FOUND for anyone
    /// else.
    pub learner_id: ID,
    /// False for a learner who did not come; only those who came share
    /// the session's cost.
    #[graphql(default = true)]
    pub attended: bool,
}

/// A session of an intervention that was held, with its learners.
#[derive(InputObject)]
pub struct LogSessionInput {
    /// Global ID of the intervention; NOT_FOUND outside the caller's
    /// organisation.
    pub intervention_id: ID,
    /// The tutor or mentor who held it.
    pub tutor_id: Option<ID>,
    /// When it was held: not in the future, and within the programme's
    /// dates (BAD_USER_INPUT otherwise).
    pub held_at: chrono::DateTime<chrono::Utc>,
    /// 1 to 1440.
    pub minutes: i32,
    /// Defaults to the intervention's communication tool.
    pub mode: Option<CommunicationTool>,
    /// Session notes, at most 10,000 characters; notes that are not blank
    /// count as written when the session is logged.
    #[graphql(default)]
    pub notes: String,
    /// The learners, at least one, none twice, at most the intervention's
    /// group size.
    pub participants: Vec<ParticipantInput>,
}

/// The session logged.
#[derive(SimpleObject)]
pub struct LogSessionPayload {
    /// Global ID of the new session.
    pub session_id: ID,
}

/// A new tutor role of a programme.
#[derive(InputObject)]
pub struct CreateTutorRoleInput {
    /// Global ID of the programme; NOT_FOUND outside the caller's
    /// organisation.
    pub programme_id: ID,
    /// Name, 1 to 200 characters on one line.
    pub name: String,
    /// Tutor, mentor, peer tutor or methodology tutor.
    pub kind: RoleKind,
    /// What the role does, one function per entry.
    pub functions: Vec<String>,
    /// Cost of one hour in the programme's currency, 0 to 100,000; it
    /// prices the sessions of the interventions the role delivers.
    pub hourly_cost: f64,
    /// Learners one person in the role follows, 0 to 100,000.
    #[graphql(default)]
    pub expected_learners: i32,
    /// Hours a month one person in the role gives, 0 to 744.
    #[graphql(default)]
    pub expected_hours_per_month: f64,
}

/// A new version of a programme's tutorial guide.
#[derive(InputObject)]
pub struct PublishGuideInput {
    /// Global ID of the programme; NOT_FOUND outside the caller's
    /// organisation.
    pub programme_id: ID,
    /// The guide's text, Markdown.
    pub body: String,
}

/// The standard of one kind for a programme.
#[derive(InputObject)]
pub struct SetStandardInput {
    /// Global ID of the programme; NOT_FOUND outside the caller's
    /// organisation.
    pub programme_id: ID,
    /// What the standard checks; it replaces the programme's standard of
    /// this kind.
    pub kind: StandardKind,
    /// Days or hours, as the kind says; at least 1.
    pub threshold: Option<i32>,
    /// Severity of the alerts raised when a relation breaches it.
    pub severity: Severity,
    /// The standard in words, at most 2,000 characters.
    #[graphql(default)]
    pub description: String,
}

/// The tutor role created.
#[derive(SimpleObject)]
pub struct TutorRolePayload {
    /// The new role.
    pub role: TutorRole,
}

/// The guide version published.
#[derive(SimpleObject)]
pub struct GuidePayload {
    /// The new version, now the current one.
    pub guide: GuideVersion,
}

/// The standard as now set.
#[derive(SimpleObject)]
pub struct StandardPayload {
    /// The programme's standard of the kind set.
    pub standard: Standard,
}

/// The programme created.
#[derive(SimpleObject)]
pub struct ProgrammePayload {
    /// The new programme.
    pub programme: Programme,
}

/// The support axis created or changed.
#[derive(SimpleObject)]
pub struct SupportAxisPayload {
    /// The axis as now stored.
    pub axis: SupportAxis,
}

/// The need created or changed.
#[derive(SimpleObject)]
pub struct NeedPayload {
    /// The need as now stored.
    pub need: Need,
}

/// The need rule created.
#[derive(SimpleObject)]
pub struct NeedRulePayload {
    /// The new rule, not yet applied.
    pub rule: NeedRule,
}

/// What applying a need rule did. Each identified respondent's latest
/// response counts; needs whose severity a coordinator set stay as set.
#[derive(SimpleObject)]
pub struct ApplyNeedRulePayload {
    /// The rule, with `appliedAt` now set.
    pub rule: NeedRule,
    /// Identified respondents with a score on the scale.
    pub assessed: u64,
    /// Those past the threshold, each now with a need on the rule's axis.
    pub flagged: u64,
}

/// The intervention created.
#[derive(SimpleObject)]
pub struct InterventionPayload {
    /// The new intervention.
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
