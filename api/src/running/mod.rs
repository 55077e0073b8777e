//! Running the tutorial scenario: tutor and learner profiles, explainable
//! matching runs, the decisions on each matching, tutoring plans, sessions
//! and the health of every relation.

pub mod service;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    learner_profile, matching, matching_run, plan_goal, plan_item, relation_alert, tutor_profile,
    tutoring_session,
};
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter};
use worker::matching::{self as engine, Weights};
use worker::monitoring::{Health, HealthStatus as EngineHealth};
use worker::running::{self, Competence as StoredCompetence};

use crate::accounts::Person;
use crate::auth::MANAGERS;
use crate::design::types::{
    CommunicationTool, Intervention, Severity, StandardKind, SupportAxis, TutorRole, mirror_enum,
};
use crate::error::ApiError;
use crate::ids;
use crate::loaders::{
    AccountName, AxisById, DecisionsOf, GoalsOf, HealthOf, InterventionById, MatchingById,
    PersonById, PlanItemsOf, RoleById, SessionsOf,
};
use crate::pagination::{Page, PageArgs, Sort, keyset, nested_page};
use crate::state::ContextExt;
use service::{Decision, SessionInput, Viewer, WindowInput, clock};

mirror_enum!(
    /// Where a matching stands. Matchings are kept for good: ended ones are archived.
    MatchingStatus <=> entities::MatchingStatus {
        /// Proposed by a matching run; awaits a coordinator's decision.
        Proposed,
        /// Accepted, or paired by hand: the relation runs and holds one of
        /// the tutor's places.
        Active,
        /// Was active until a coordinator ended it; kept with its plan and
        /// sessions.
        Ended,
        /// A coordinator turned the proposal down; later runs do not propose
        /// the pair again.
        Rejected,
        /// Left undecided and replaced: by a later run, an exclusion of the
        /// pair, a change of the tutor's roles or a coordinator's pairing.
        Withdrawn,
    }
);
mirror_enum!(
    /// Where a matching run stands.
    RunStatus <=> entities::RunStatus {
        /// Waiting for the worker: large programmes are matched in the
        /// background.
        Queued,
        /// The engine is proposing.
        Running,
        /// Finished: its proposals are stored as `PROPOSED` matchings.
        Done,
        /// Stopped by an error, given in `error`.
        Failed,
    }
);
mirror_enum!(
    /// Progress of a goal of a tutoring plan.
    GoalStatus <=> entities::GoalStatus {
        /// Set but not started; every new goal starts here.
        Planned,
        /// Being worked on.
        InProgress,
        /// Reached, as its measure shows.
        Achieved,
        /// Given up; it stays on the plan for the record.
        Dropped,
    }
);
mirror_enum!(
    /// Whether a session is ahead, took place or was called off.
    SessionStatus <=> entities::SessionStatus {
        /// Planned ahead; in both people's calendars.
        Scheduled,
        /// Took place, with the learner's attendance and the notes.
        Held,
        /// Called off, by hand or because the matching ended; kept on record.
        Cancelled,
    }
);
mirror_enum!(
    /// What a pair's score is made of.
    MatchingCriterion <=> engine::Criterion {
        /// The tutor's competence (1–5, as 0–1) on the axes of the learner's
        /// open needs, each need counting by its severity.
        AxisFit,
        /// The severity of the learner's most severe open need, as 0–1: the
        /// learners in greatest need are served first.
        Severity,
        /// Share of the learner's available time when the tutor is free too;
        /// 1 when either gave no windows.
        Availability,
        /// 1 when they share a communication mode or either listed none,
        /// else 0.
        Mode,
        /// 1 when the tutor had an ended matching with the learner in the
        /// programme, else 0.
        Continuity,
        /// Share of the tutor's capacity still free before this matching.
        LoadBalance,
    }
);
mirror_enum!(
    /// Why a pair cannot be proposed.
    MatchingConstraint <=> engine::Constraint {
        /// Learner and tutor are the same person.
        SelfMatch,
        /// The tutor's capacity is 0.
        NotAccepting,
        /// The tutor has as many active learners as their capacity.
        Full,
        /// The pair is already active in this role.
        AlreadyActive,
        /// A coordinator excluded the pair (`excludePair`).
        Excluded,
        /// A coordinator rejected the pair when it was proposed before.
        Rejected,
        /// The tutor works in none of the learner's languages.
        NoSharedLanguage,
        /// Both gave availability windows and none overlap.
        NoCommonAvailability,
    }
);
mirror_enum!(
    /// How a tutorial relation is doing against the guide's standards.
    HealthStatus <=> EngineHealth {
        /// No standard is breached.
        Healthy,
        /// At least one standard is breached.
        AtRisk,
        /// No first contact within the first-contact standard, or no session
        /// for twice the session interval.
        Inactive,
    }
);

/// A day of the week.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Weekday {
    /// Monday, the first day of the week.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday, the last day of the week.
    Sunday,
}

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

fn day_number(day: Weekday) -> u8 {
    WEEK.iter().position(|d| *d == day).unwrap_or(0) as u8
}

/// A weekly window of availability.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "AvailabilityWindowInput")]
pub struct AvailabilityWindow {
    /// The day the window recurs on, every week.
    pub weekday: Weekday,
    /// Start, `HH:MM`.
    pub from: String,
    /// End, `HH:MM`; `24:00` for midnight.
    pub to: String,
}

fn window_inputs(windows: &[AvailabilityWindow]) -> Vec<WindowInput> {
    windows
        .iter()
        .map(|w| WindowInput {
            weekday: day_number(w.weekday),
            from: w.from.clone(),
            to: w.to.clone(),
        })
        .collect()
}

fn stored_windows(value: &serde_json::Value) -> Result<Vec<AvailabilityWindow>> {
    Ok(running::list::<engine::Window>(value)
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|w| AvailabilityWindow {
            weekday: WEEK[usize::from(w.weekday.min(6))],
            from: clock(w.start),
            to: clock(w.end),
        })
        .collect())
}

fn stored_modes(value: &serde_json::Value) -> Result<Vec<CommunicationTool>> {
    Ok(running::list::<entities::CommunicationTool>(value)
        .map_err(ApiError::internal)?
        .into_iter()
        .map(Into::into)
        .collect())
}

fn stored_languages(value: &serde_json::Value) -> Result<Vec<String>> {
    Ok(running::list(value).map_err(ApiError::internal)?)
}

async fn person(ctx: &Context<'_>, id: i64) -> Result<Person> {
    let p = ctx.loader().load_one(PersonById(id)).await?;
    Ok(Person::from(p.ok_or(ApiError::NotFound("person"))?))
}

pub struct Competence(StoredCompetence);

/// A tutor's competence on a support axis, 1–5.
#[Object]
impl Competence {
    /// The support axis of the programme the competence is on.
    async fn axis(&self, ctx: &Context<'_>) -> Result<SupportAxis> {
        let axis = ctx.loader().load_one(AxisById(self.0.axis_id)).await?;
        Ok(SupportAxis(axis.ok_or(ApiError::NotFound("axis"))?))
    }
    /// 1 (basic) to 5 (expert).
    async fn level(&self) -> i32 {
        self.0.level
    }
}

/// A tutor's competence on one support axis of the programme.
#[derive(InputObject)]
pub struct CompetenceInput {
    /// Global ID of a support axis of the profile's programme, listed once.
    pub axis_id: ID,
    /// 1 (basic) to 5 (expert).
    pub level: i32,
}

pub struct TutorProfile(tutor_profile::Model);

/// A tutor's profile in a programme.
#[Object]
impl TutorProfile {
    /// Global ID of the profile.
    async fn id(&self) -> ID {
        ids::encode("TutorProfile", self.0.id)
    }
    /// The tutor the profile describes.
    async fn tutor(&self, ctx: &Context<'_>) -> Result<Person> {
        person(ctx, self.0.person_id).await
    }
    /// The programme's tutor roles the tutor may be matched in; set by
    /// coordinators.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<TutorRole>> {
        let ids: Vec<i64> = running::list(&self.0.role_ids).map_err(ApiError::internal)?;
        let found = ctx
            .loader()
            .load_many(ids.iter().map(|id| RoleById(*id)))
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.get(&RoleById(*id)).cloned().map(TutorRole))
            .collect())
    }
    /// The tutor's levels on support axes of the programme, set by
    /// coordinators; an axis not listed counts as level 0 in matching.
    async fn competences(&self) -> Result<Vec<Competence>> {
        Ok(running::list(&self.0.competences)
            .map_err(ApiError::internal)?
            .into_iter()
            .map(Competence)
            .collect())
    }
    /// Most learners at once; 0 means not accepting.
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }
    /// Whether the capacity is above 0, so that runs may propose the tutor.
    async fn accepting(&self) -> bool {
        self.0.capacity > 0
    }
    /// Learners the tutor has in active matchings.
    async fn active_learners(&self) -> i32 {
        self.0.active_count
    }
    /// Language tags the tutor works in, lower case, such as `en` or `pt-br`.
    async fn languages(&self) -> Result<Vec<String>> {
        stored_languages(&self.0.languages)
    }
    /// Weekly windows the tutor is free in; empty means any time.
    async fn availability(&self) -> Result<Vec<AvailabilityWindow>> {
        stored_windows(&self.0.availability)
    }
    /// Ways the tutor works with learners; empty means any.
    async fn modes(&self) -> Result<Vec<CommunicationTool>> {
        stored_modes(&self.0.modes)
    }
    /// When the profile was last set.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct LearnerProfile(learner_profile::Model);

/// What a learner brings to matching besides their needs.
#[Object]
impl LearnerProfile {
    /// The learner the profile describes.
    async fn learner(&self, ctx: &Context<'_>) -> Result<Person> {
        person(ctx, self.0.person_id).await
    }
    /// Language tags the learner can work in, lower case; empty means the
    /// language of the learner's person record.
    async fn languages(&self) -> Result<Vec<String>> {
        stored_languages(&self.0.languages)
    }
    /// Weekly windows the learner is free in; empty means any time.
    async fn availability(&self) -> Result<Vec<AvailabilityWindow>> {
        stored_windows(&self.0.availability)
    }
    /// Ways the learner prefers to work; empty means any.
    async fn modes(&self) -> Result<Vec<CommunicationTool>> {
        stored_modes(&self.0.modes)
    }
}

/// One criterion's share of a score: `points = weight × value`.
#[derive(SimpleObject)]
pub struct ScoreContribution {
    /// The criterion this share is for.
    pub criterion: MatchingCriterion,
    /// How well the pair does on the criterion, 0–1.
    pub value: f64,
    /// The criterion's weight in the run, 0–10.
    pub weight: f64,
    /// `weight × value`: what the criterion adds to the score.
    pub points: f64,
}

fn contributions(list: Vec<engine::Contribution>) -> Vec<ScoreContribution> {
    list.into_iter()
        .map(|c| ScoreContribution {
            criterion: c.criterion.into(),
            value: c.value,
            weight: c.weight,
            points: c.points,
        })
        .collect()
}

pub struct Matching(pub matching::Model);

/// A learner and a tutor in a role, with the score that proposed them and
/// the latest decision.
#[Object]
impl Matching {
    /// Global ID of the matching; use with `matching(id:)`.
    pub async fn id(&self) -> ID {
        ids::encode("Matching", self.0.id)
    }
    /// Where the matching stands; changes with each decision.
    async fn status(&self) -> MatchingStatus {
        self.0.status.into()
    }
    /// The learner of the pair.
    async fn learner(&self, ctx: &Context<'_>) -> Result<Person> {
        person(ctx, self.0.learner_id).await
    }
    /// The tutor of the pair.
    async fn tutor(&self, ctx: &Context<'_>) -> Result<Person> {
        person(ctx, self.0.tutor_id).await
    }
    /// The tutor role the tutor supports the learner in.
    async fn role(&self, ctx: &Context<'_>) -> Result<TutorRole> {
        let role = ctx.loader().load_one(RoleById(self.0.role_id)).await?;
        Ok(TutorRole(role.ok_or(ApiError::NotFound("tutor role"))?))
    }
    /// The run that proposed it; none when a coordinator paired them by hand.
    async fn run_id(&self) -> Option<ID> {
        self.0.run_id.map(|id| ids::encode("MatchingRun", id))
    }
    /// The pair's score, the sum of the breakdown's points. A pairing by
    /// hand is scored as a run would with the default weights, or 0 when it
    /// could not be (e.g. the learner has no open need).
    async fn score(&self) -> f64 {
        self.0.score
    }
    /// Each criterion's share of the score.
    async fn breakdown(&self) -> Result<Vec<ScoreContribution>> {
        Ok(contributions(
            running::list(&self.0.breakdown).map_err(ApiError::internal)?,
        ))
    }
    /// Why the latest decision was taken.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// Who took the latest decision; none for a matching run.
    async fn decided_by(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(user) = self.0.decided_by else {
            return Ok(None);
        };
        ctx.loader().load_one(AccountName(user)).await
    }
    /// Every decision on the matching, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<MatchingDecision>> {
        let rows = ctx
            .loader()
            .load_one(DecisionsOf(self.0.id))
            .await?
            .unwrap_or_default();
        let names = ctx
            .loader()
            .load_many(rows.iter().filter_map(|r| r.decided_by).map(AccountName))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| MatchingDecision {
                from_status: r.from_status.map(Into::into),
                to_status: r.to_status.into(),
                decided_by: r
                    .decided_by
                    .and_then(|u| names.get(&AccountName(u)).cloned()),
                reason: r.reason,
                decided_at: r.decided_at,
            })
            .collect())
    }
    /// When a run proposed the pair, or a coordinator paired them.
    async fn proposed_at(&self) -> DateTime<Utc> {
        self.0.proposed_at
    }
    /// When the matching became active; null if it never was.
    async fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.0.activated_at
    }
    /// When a coordinator ended it; null unless `ENDED`.
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
    /// The learner's tutoring plan within this relation.
    async fn plan(&self, ctx: &Context<'_>) -> Result<TutoringPlan> {
        crate::audit::staff_read(
            ctx,
            crate::audit::AuditAction::PlanRead,
            ("Matching", Some(self.0.id)),
            serde_json::json!({}),
        )
        .await?;
        let (goals, items) = futures::try_join!(
            ctx.loader().load_one(GoalsOf(self.0.id)),
            ctx.loader().load_one(PlanItemsOf(self.0.id)),
        )?;
        let (goals, items) = (goals.unwrap_or_default(), items.unwrap_or_default());
        Ok(TutoringPlan {
            goals: goals.into_iter().map(PlanGoal).collect(),
            interventions: items.into_iter().map(PlannedIntervention).collect(),
        })
    }
    /// Every session of the relation, whatever its status, in time order.
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<Session>> {
        let sessions = ctx.loader().load_one(SessionsOf(self.0.id)).await?;
        Ok(sessions
            .unwrap_or_default()
            .into_iter()
            .map(|(s, attended)| Session::new(s, attended))
            .collect())
    }
    /// Health against the guide's standards, as of now; only active
    /// matchings have one. Computed on request: it weighs on a page's cost.
    #[graphql(complexity = 10)]
    async fn health(&self, ctx: &Context<'_>) -> Result<Option<RelationHealth>> {
        if self.0.status != entities::MatchingStatus::Active {
            return Ok(None);
        }
        let health = ctx.loader().load_one(HealthOf(self.0.id)).await?;
        Ok(health.map(RelationHealth))
    }
}

/// One decision on a matching.
#[derive(SimpleObject)]
pub struct MatchingDecision {
    /// None when the decision created the matching.
    pub from_status: Option<MatchingStatus>,
    /// The status the decision moved the matching to.
    pub to_status: MatchingStatus,
    /// The account's display name; none for a matching run.
    pub decided_by: Option<String>,
    /// Why, as the coordinator gave it or as the system wrote it for a
    /// withdrawal; may be empty for an acceptance.
    pub reason: String,
    /// When the decision was taken.
    pub decided_at: DateTime<Utc>,
}

/// The plan of a learner within a relation.
#[derive(SimpleObject)]
pub struct TutoringPlan {
    /// The plan's goals, by target date.
    pub goals: Vec<PlanGoal>,
    /// The interventions planned, by start date.
    pub interventions: Vec<PlannedIntervention>,
}

pub struct PlanGoal(plan_goal::Model);

/// A goal of a tutoring plan, with its target date and progress.
#[Object]
impl PlanGoal {
    /// Global ID of the goal; use with `setPlanGoalStatus`.
    async fn id(&self) -> ID {
        ids::encode("PlanGoal", self.0.id)
    }
    /// What the learner is to reach.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// How reaching the goal is measured.
    async fn measure(&self) -> &str {
        &self.0.measure
    }
    /// The day the goal should be reached by, within the programme.
    async fn target_date(&self) -> NaiveDate {
        self.0.target_date
    }
    /// Progress, as the tutor or a coordinator last set it.
    async fn status(&self) -> GoalStatus {
        self.0.status.into()
    }
}

pub struct PlannedIntervention(plan_item::Model);

/// An intervention of the catalogue planned for the learner.
#[Object]
impl PlannedIntervention {
    /// Global ID of this item of the plan.
    async fn id(&self) -> ID {
        ids::encode("PlannedIntervention", self.0.id)
    }
    /// The intervention of the programme's catalogue that is planned.
    async fn intervention(&self, ctx: &Context<'_>) -> Result<Intervention> {
        let i = ctx
            .loader()
            .load_one(InterventionById(self.0.intervention_id))
            .await?;
        Ok(Intervention(i.ok_or(ApiError::NotFound("intervention"))?))
    }
    /// The day of the first session.
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    /// Days between two sessions, 1–365.
    async fn every_days(&self) -> i32 {
        self.0.every_days
    }
    /// How many sessions are planned, 1–200; health compares those due to
    /// date with the sessions held.
    async fn sessions(&self) -> i32 {
        self.0.sessions
    }
}

pub struct Session(tutoring_session::Model, Option<bool>);

impl Session {
    fn new(session: tutoring_session::Model, attended: Option<bool>) -> Self {
        let attended = attended.filter(|_| session.status == entities::SessionStatus::Held);
        Session(session, attended)
    }
}

/// A session of a relation: scheduled, held or cancelled.
#[Object]
impl Session {
    /// Global ID of the session; use with `recordSession`, `cancelSession`
    /// and `writeSessionNotes`.
    async fn id(&self) -> ID {
        ids::encode("Session", self.0.id)
    }
    /// Whether it is ahead, took place or was called off.
    async fn status(&self) -> SessionStatus {
        self.0.status.into()
    }
    /// When it takes or took place.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.held_at
    }
    /// Length in minutes, 1–1440.
    async fn minutes(&self) -> i32 {
        self.0.minutes
    }
    /// How tutor and learner meet: as given, else the intervention's tool.
    async fn mode(&self) -> CommunicationTool {
        self.0.mode.into()
    }
    /// The intervention of the programme's catalogue the session delivers.
    async fn intervention(&self, ctx: &Context<'_>) -> Result<Intervention> {
        let i = ctx
            .loader()
            .load_one(InterventionById(self.0.intervention_id))
            .await?;
        Ok(Intervention(i.ok_or(ApiError::NotFound("intervention"))?))
    }
    /// The tutor's notes on the session; empty until written.
    async fn notes(&self) -> &str {
        &self.0.notes
    }
    /// When the notes were last written; null while there are none. The
    /// notes standard is checked against it.
    async fn notes_written_at(&self) -> Option<DateTime<Utc>> {
        self.0.notes_at
    }
    /// Whether the learner came; none before the session is held.
    async fn attended(&self) -> Option<bool> {
        self.1
    }
}

/// A breached standard.
#[derive(SimpleObject)]
pub struct StandardBreach {
    /// Global ID of the guide's standard that is breached.
    pub standard_id: ID,
    /// What the standard measures.
    pub kind: StandardKind,
    /// The severity the standard carries.
    pub severity: Severity,
    /// What is wrong, in English, with the figures: e.g. days since the
    /// last session.
    pub message: String,
}

pub struct RelationHealth(Health);

/// How a relation is doing against the guide's standards.
#[Object]
impl RelationHealth {
    /// The verdict drawn from the breaches.
    async fn status(&self) -> HealthStatus {
        self.0.status.into()
    }
    /// When the first held session took place; null before any.
    async fn first_contact(&self) -> Option<DateTime<Utc>> {
        self.0.first_contact
    }
    /// When the latest held session took place; null before any.
    async fn last_contact(&self) -> Option<DateTime<Utc>> {
        self.0.last_contact
    }
    /// Sessions of the relation held so far.
    async fn sessions_held(&self) -> i64 {
        self.0.sessions_held
    }
    /// Sessions the plan schedules up to today.
    async fn sessions_planned_to_date(&self) -> i64 {
        self.0.sessions_planned_to_date
    }
    /// Sessions the plan's interventions schedule in all.
    async fn sessions_planned(&self) -> i64 {
        self.0.sessions_planned
    }
    /// The learner's latest satisfaction (0–1): the mean of their rating
    /// answers in their latest identified response since the matching began.
    async fn satisfaction(&self) -> Option<f64> {
        self.0.satisfaction
    }
    /// Standards of the guide the relation breaches now; empty when healthy.
    async fn breaches(&self) -> Vec<StandardBreach> {
        self.0
            .breaches
            .iter()
            .map(|b| StandardBreach {
                standard_id: ids::encode("Standard", b.standard_id),
                kind: b.kind.into(),
                severity: b.severity.into(),
                message: b.message.clone(),
            })
            .collect()
    }
}

/// Pairs ruled out by one constraint in a run.
#[derive(SimpleObject)]
pub struct RuledOut {
    /// The first constraint each of these pairs failed.
    pub constraint: MatchingConstraint,
    /// How many learner–tutor pairs it ruled out.
    pub pairs: u64,
}

pub struct MatchingRun(matching_run::Model);

/// One run of the matching engine over a programme role.
#[Object]
impl MatchingRun {
    /// Global ID of the run; poll `matchingRun(id:)` until it is done.
    async fn id(&self) -> ID {
        ids::encode("MatchingRun", self.0.id)
    }
    /// Where the run stands.
    async fn status(&self) -> RunStatus {
        self.0.status.into()
    }
    /// Learners waiting for a tutor in the role.
    async fn learners(&self) -> i32 {
        self.0.learners
    }
    /// Matchings the run proposed; 0 until it is done.
    async fn proposed(&self) -> i32 {
        self.0.proposed
    }
    /// The highest total score the capacities allow, reached by the proposals.
    async fn total_score(&self) -> f64 {
        self.0.total_score
    }
    /// Pairs ruled out, counted by the first constraint each failed, in the
    /// order constraints are checked; only constraints that ruled out a pair.
    async fn ruled_out(&self) -> Vec<RuledOut> {
        let counts: std::collections::BTreeMap<engine::Constraint, u64> =
            serde_json::from_value(self.0.ruled_out.clone()).unwrap_or_default();
        counts
            .into_iter()
            .map(|(c, pairs)| RuledOut {
                constraint: c.into(),
                pairs,
            })
            .collect()
    }
    /// Why the run failed; null unless `FAILED`.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// When the run was asked for.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the run was done; null while queued or running, and when it
    /// failed.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// The proposals of this run, whatever became of them.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn matchings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows from the start, or after `after`: at most 100; 20 when \
                          neither `first` nor `last` is given. Not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of a row from a page of this list: the rows after it.")]
        after: Option<String>,
        #[graphql(desc = "Rows from the end, or before `before`: at most 100. Not with \
                          `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of a row from a page of this list: the rows before it.")]
        before: Option<String>,
    ) -> Result<Page<Matching>> {
        let page = PageArgs::new(first, after, last, before);
        nested_page(ctx, self.0.id, MatchingsOfRun, page, Matching).await
    }
}

crate::pagination::children_by_id!(
    /// The proposals of matching runs.
    MatchingsOfRun: matching by RunId, "MatchingRun.matchings", Asc
);

/// A tutor as a candidate for one learner: the score, or what rules them out.
#[derive(SimpleObject)]
pub struct Candidate {
    /// A tutor with a profile in the role.
    pub tutor: Person,
    /// Whether a run could propose the pair: no constraint rules it out.
    pub eligible: bool,
    /// The first constraint the pair fails; null when eligible.
    pub ruled_out_by: Option<MatchingConstraint>,
    /// The pair's score, the sum of the breakdown's points; null when ruled
    /// out.
    pub score: Option<f64>,
    /// Each criterion's share of the score; empty when ruled out.
    pub breakdown: Vec<ScoreContribution>,
}

pub struct RelationAlert(pub(crate) relation_alert::Model);

/// A breach of a standard, raised once per matching, standard and day.
#[Object]
impl RelationAlert {
    /// Global ID of the alert.
    async fn id(&self) -> ID {
        ids::encode("RelationAlert", self.0.id)
    }
    /// The relation that breached the standard.
    async fn matching(&self, ctx: &Context<'_>) -> Result<Matching> {
        let m = ctx
            .loader()
            .load_one(MatchingById(self.0.matching_id))
            .await?
            .filter(|m| m.organisation_id == self.0.organisation_id)
            .ok_or(ApiError::NotFound("matching"))?;
        Ok(Matching(m))
    }
    /// The day (UTC) the check found the breach.
    async fn day(&self) -> NaiveDate {
        self.0.day
    }
    /// The severity the breached standard carries.
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }
    /// What is wrong, in English, with the figures.
    async fn message(&self) -> &str {
        &self.0.message
    }
}

/// Weights of the matching criteria, each 0–10; unset ones keep their default.
#[derive(InputObject, Default)]
pub struct WeightsInput {
    /// Weight of `AXIS_FIT`; 4 by default.
    pub axis_fit: Option<f64>,
    /// Weight of `SEVERITY`; 2 by default.
    pub severity: Option<f64>,
    /// Weight of `AVAILABILITY`; 1.5 by default.
    pub availability: Option<f64>,
    /// Weight of `MODE`; 1 by default.
    pub mode: Option<f64>,
    /// Weight of `CONTINUITY`; 1 by default.
    pub continuity: Option<f64>,
    /// Weight of `LOAD_BALANCE`; 0.5 by default.
    pub load_balance: Option<f64>,
}

impl WeightsInput {
    fn weights(&self) -> Weights {
        let d = Weights::default();
        Weights {
            axis_fit: self.axis_fit.unwrap_or(d.axis_fit),
            severity: self.severity.unwrap_or(d.severity),
            availability: self.availability.unwrap_or(d.availability),
            mode: self.mode.unwrap_or(d.mode),
            continuity: self.continuity.unwrap_or(d.continuity),
            load_balance: self.load_balance.unwrap_or(d.load_balance),
        }
    }
}

fn weights_of(input: Option<WeightsInput>) -> Weights {
    input.unwrap_or_default().weights()
}

#[derive(Default)]
pub struct RunningQuery;

/// The programme an id names in the caller's organisation, or NOT_FOUND.
async fn programme_of(
    ctx: &Context<'_>,
    caller: &crate::auth::Caller,
    id: &ID,
) -> Result<i64, ApiError> {
    let id = ids::decode(id, "Programme")?;
    let programme =
        crate::design::service::find_programme(&ctx.state().db, caller.organisation_id, id).await?;
    Ok(programme.id)
}

pub struct MatchingExclusion(entities::matching_exclusion::Model);

/// A pair a coordinator ruled out of matching.
#[Object]
impl MatchingExclusion {
    /// The learner of the excluded pair.
    async fn learner(&self, ctx: &Context<'_>) -> Result<Person> {
        person(ctx, self.0.learner_id).await
    }
    /// The tutor of the excluded pair.
    async fn tutor(&self, ctx: &Context<'_>) -> Result<Person> {
        person(ctx, self.0.tutor_id).await
    }
    /// Why the coordinator excluded the pair.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// When the pair was excluded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[Object]
impl RunningQuery {
    /// Tutor profiles of a programme.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn tutor_profiles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the programme; one of another organisation is NOT_FOUND.")]
        programme_id: ID,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<TutorProfile>> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = programme_of(ctx, caller, &programme_id).await?;
        let query = tutor_profile::Entity::find()
            .filter(tutor_profile::Column::OrganisationId.eq(caller.organisation_id))
            .filter(tutor_profile::Column::ProgrammeId.eq(id));
        Ok(keyset(
            &ctx.state().db,
            query,
            &Sort::by_id(
                format!("tutorProfiles@{id}"),
                tutor_profile::Column::Id,
                Order::Asc,
            ),
            PageArgs::new(first, after, last, before),
            TutorProfile,
        )
        .await?)
    }

    /// Matchings of a programme: coordinators see all of them, tutors the
    /// ones they tutor, learners their own.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn matchings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the programme; one of another organisation is NOT_FOUND.")]
        programme_id: ID,
        #[graphql(desc = "Only the matchings in this state, such as `ACTIVE`; all when omitted.")]
        status: Option<MatchingStatus>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<Matching>> {
        let caller = ctx.caller()?;
        let db = &ctx.state().db;
        let viewer = Viewer::of(db, caller).await?;
        let id = programme_of(ctx, caller, &programme_id).await?;
        let mut query = matching::Entity::find()
            .filter(matching::Column::OrganisationId.eq(caller.organisation_id))
            .filter(matching::Column::ProgrammeId.eq(id));
        if let Viewer::Person(me) = viewer {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(matching::Column::LearnerId.eq(me))
                    .add(matching::Column::TutorId.eq(me)),
            );
        }
        if let Some(status) = status {
            query =
                query.filter(matching::Column::Status.eq(entities::MatchingStatus::from(status)));
        }
        Ok(keyset(
            db,
            query,
            &Sort::by_id(format!("matchings@{id}"), matching::Column::Id, Order::Asc),
            PageArgs::new(first, after, last, before),
            Matching,
        )
        .await?)
    }

    /// One matching, if the caller may see it.
    async fn matching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the matching; one the caller may not see is NOT_FOUND.")]
        id: ID,
    ) -> Result<Matching> {
        let caller = ctx.caller()?;
        let id = ids::decode(&id, "Matching")?;
        let (m, _) = service::visible_matching(&ctx.state().db, caller, id).await?;
        Ok(Matching(m))
    }

    /// One run of the matching engine, to follow a run the worker is doing: its
    /// state and, once done, its proposals. Coordinators and admins.
    async fn matching_run(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the run, as `runMatching` returned it.")] id: ID,
    ) -> Result<MatchingRun> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&id, "MatchingRun")?;
        let run = matching_run::Entity::find_by_id(id)
            .filter(matching_run::Column::OrganisationId.eq(caller.organisation_id))
            .one(&ctx.state().db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::NotFound("matching run"))?;
        Ok(MatchingRun(run))
    }

    /// Every tutor of a role for one learner, with the score or the
    /// constraint that rules the pair out: the answer to "why not them?".
    async fn matching_candidates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the programme; one of another organisation is NOT_FOUND.")]
        programme_id: ID,
        #[graphql(desc = "Global ID of the tutor role whose tutors are weighed.")] role_id: ID,
        #[graphql(desc = "Global ID of the learner to match.")] learner_id: ID,
        #[graphql(desc = "Weights of the criteria to try; the defaults when omitted.")]
        weights: Option<WeightsInput>,
    ) -> Result<Vec<Candidate>> {
        let caller = ctx.caller_in(MANAGERS)?;
        let db = &ctx.state().db;
        let found = service::candidates(
            db,
            caller.organisation_id,
            ids::decode(&programme_id, "Programme")?,
            ids::decode(&role_id, "TutorRole")?,
            ids::decode(&learner_id, "Person")?,
            weights_of(weights),
        )
        .await?;
        let mut out = Vec::with_capacity(found.len());
        for (tutor, assessed) in found {
            let tutor = person(ctx, tutor).await?;
            out.push(match assessed {
                Ok(scored) => Candidate {
                    tutor,
                    eligible: true,
                    ruled_out_by: None,
                    score: Some(scored.score),
                    breakdown: contributions(scored.contributions),
                },
                Err(constraint) => Candidate {
                    tutor,
                    eligible: false,
                    ruled_out_by: Some(constraint.into()),
                    score: None,
                    breakdown: Vec::new(),
                },
            });
        }
        // Best first; ruled-out tutors last.
        out.sort_by(|a, b| {
            b.score
                .unwrap_or(f64::MIN)
                .total_cmp(&a.score.unwrap_or(f64::MIN))
        });
        Ok(out)
    }

    /// Alerts raised on a programme's relations, newest first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn relation_alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the programme; one of another organisation is NOT_FOUND.")]
        programme_id: ID,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<RelationAlert>> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = programme_of(ctx, caller, &programme_id).await?;
        crate::audit::staff_read(
            ctx,
            crate::audit::AuditAction::AlertsRead,
            ("Programme", Some(id)),
            serde_json::json!({}),
        )
        .await?;
        let query = relation_alert::Entity::find()
            .filter(relation_alert::Column::OrganisationId.eq(caller.organisation_id))
            .filter(relation_alert::Column::ProgrammeId.eq(id));
        Ok(keyset(
            &ctx.state().db,
            query,
            &Sort::by_id(
                format!("relationAlerts@{id}"),
                relation_alert::Column::Id,
                Order::Desc,
            ),
            PageArgs::new(first, after, last, before),
            RelationAlert,
        )
        .await?)
    }

    /// Pairs ruled out of a programme's matching runs.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn matching_exclusions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the programme; one of another organisation is NOT_FOUND.")]
        programme_id: ID,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<MatchingExclusion>> {
        use entities::matching_exclusion;
        let caller = ctx.caller_in(MANAGERS)?;
        let id = programme_of(ctx, caller, &programme_id).await?;
        let query = matching_exclusion::Entity::find()
            .filter(matching_exclusion::Column::ProgrammeId.eq(id));
        Ok(keyset(
            &ctx.state().db,
            query,
            &Sort::by_id(
                format!("matchingExclusions@{id}"),
                matching_exclusion::Column::Id,
                Order::Asc,
            ),
            PageArgs::new(first, after, last, before),
            MatchingExclusion,
        )
        .await?)
    }

    /// The address of the caller's calendar of upcoming sessions, for
    /// calendar applications: keep it private.
    async fn my_calendar_path(&self, ctx: &Context<'_>) -> Result<String> {
        let caller = ctx.caller()?;
        let state = ctx.state();
        let me = crate::development::service::person_of_user(
            &state.db,
            caller.organisation_id,
            caller.own_account()?,
        )
        .await?
        .ok_or(ApiError::NotFound("person linked to this account"))?;
        Ok(crate::calendar::feed_path(&state.tokens, me.id))
    }
}

/// A tutor's whole profile in a programme; it replaces the one stored. A
/// tutor may change only their languages, availability and modes.
#[derive(InputObject)]
pub struct SetTutorProfileInput {
    /// Global ID of the programme.
    pub programme_id: ID,
    /// Global ID of a person of the organisation who is a tutor; NOT_FOUND
    /// otherwise.
    pub tutor_id: ID,
    /// Global IDs of the programme's tutor roles, at least one, each once. A
    /// role the tutor has active learners in cannot be left out; undecided
    /// proposals in a role left out are withdrawn.
    pub role_ids: Vec<ID>,
    /// Most learners at once; 0 means not accepting.
    pub capacity: i32,
    /// Language tags such as `en` or `pt-br`.
    pub languages: Vec<String>,
    /// Empty means any time.
    #[graphql(default)]
    pub availability: Vec<AvailabilityWindow>,
    /// Empty means any mode.
    #[graphql(default)]
    pub modes: Vec<CommunicationTool>,
    /// Levels on the programme's support axes, one per axis; none by
    /// default.
    #[graphql(default)]
    pub competences: Vec<CompetenceInput>,
}

/// What a learner brings to matching in a programme; it replaces the one
/// stored.
#[derive(InputObject)]
pub struct SetLearnerProfileInput {
    /// Global ID of the programme.
    pub programme_id: ID,
    /// Global ID of a person of the organisation who is a learner;
    /// NOT_FOUND otherwise.
    pub learner_id: ID,
    /// Empty means the learner's own language.
    #[graphql(default)]
    pub languages: Vec<String>,
    /// Weekly windows the learner is free in, at most 28, not overlapping;
    /// empty (the default) means any time.
    #[graphql(default)]
    pub availability: Vec<AvailabilityWindow>,
    /// Preferred ways of working; empty (the default) means any.
    #[graphql(default)]
    pub modes: Vec<CommunicationTool>,
}

/// A learner–tutor pair to rule out of a programme's matching runs.
#[derive(InputObject)]
pub struct PairInput {
    /// Global ID of the programme.
    pub programme_id: ID,
    /// Global ID of the learner (a person of the organisation).
    pub learner_id: ID,
    /// Global ID of the tutor (a person of the organisation).
    pub tutor_id: ID,
    /// Why the pair is excluded; required, kept with the exclusion.
    pub reason: String,
}

/// The excluded pair to let runs propose again.
#[derive(InputObject)]
pub struct LiftExclusionInput {
    /// Global ID of the programme.
    pub programme_id: ID,
    /// Global ID of the learner of the pair.
    pub learner_id: ID,
    /// Global ID of the tutor of the pair; NOT_FOUND when the pair is not
    /// excluded.
    pub tutor_id: ID,
}

/// The programme role to match, and the weights to score pairs with.
#[derive(InputObject)]
pub struct RunMatchingInput {
    /// Global ID of the programme.
    pub programme_id: ID,
    /// Global ID of one of the programme's tutor roles; NOT_FOUND otherwise.
    pub role_id: ID,
    /// Weights of the criteria; the defaults when null.
    pub weights: Option<WeightsInput>,
}

/// The matching to decide on, and why.
#[derive(InputObject)]
pub struct DecideMatchingInput {
    /// Global ID of the matching. CONFLICT when it is not in the status the
    /// decision starts from (`PROPOSED` to accept or reject, `ACTIVE` to end).
    pub matching_id: ID,
    /// Required to reject or end; optional to accept.
    #[graphql(default)]
    pub reason: String,
}

/// A coordinator's own pairing. Languages, availability and scores do not
/// bind it; exclusions, the tutor's capacity and one active matching per
/// learner and role do (CONFLICT).
#[derive(InputObject)]
pub struct OverrideMatchingInput {
    /// Global ID of the programme.
    pub programme_id: ID,
    /// Global ID of one of the programme's tutor roles.
    pub role_id: ID,
    /// Global ID of the learner.
    pub learner_id: ID,
    /// Global ID of a tutor whose profile has the role; NOT_FOUND otherwise.
    pub tutor_id: ID,
    /// Why the coordinator pairs them; required.
    pub reason: String,
}

/// A goal to add to the plan of an active matching.
#[derive(InputObject)]
pub struct AddPlanGoalInput {
    /// Global ID of a matching the caller tutors or coordinates; CONFLICT
    /// unless it is active.
    pub matching_id: ID,
    /// What the learner is to reach; not blank, at most 10,000 characters.
    pub description: String,
    /// How reaching it is measured; not blank, at most 10,000 characters.
    pub measure: String,
    /// The day to reach it by, within the programme's dates.
    pub target_date: NaiveDate,
}

/// A new status for a goal of a plan.
#[derive(InputObject)]
pub struct SetPlanGoalStatusInput {
    /// Global ID of the goal; its matching must be active.
    pub goal_id: ID,
    /// The new status; any status may follow any other.
    pub status: GoalStatus,
}

/// An intervention to plan for an active matching, as a series of sessions.
#[derive(InputObject)]
pub struct PlanInterventionInput {
    /// Global ID of a matching the caller tutors or coordinates; CONFLICT
    /// unless it is active.
    pub matching_id: ID,
    /// Global ID of an intervention of the matching's programme.
    pub intervention_id: ID,
    /// Day of the first session: from the start of the relation to the end
    /// of the programme.
    pub starts_on: NaiveDate,
    /// Days between sessions, 1–365.
    pub every_days: i32,
    /// Number of sessions, 1–200; the last must fall within the programme.
    pub sessions: i32,
}

/// A session to schedule ahead for an active matching.
#[derive(InputObject)]
pub struct ScheduleSessionInput {
    /// Global ID of a matching the caller tutors or coordinates; CONFLICT
    /// unless it is active.
    pub matching_id: ID,
    /// Global ID of the intervention of the programme the session delivers.
    pub intervention_id: ID,
    /// When it starts: in the future, and ending by the programme's end.
    pub starts_at: DateTime<Utc>,
    /// Length in minutes, 1–1440.
    pub minutes: i32,
    /// The intervention's tool unless given.
    pub mode: Option<CommunicationTool>,
}

/// A session that took place in an active matching.
#[derive(InputObject)]
pub struct RecordSessionInput {
    /// Global ID of a matching the caller tutors or coordinates; CONFLICT
    /// unless it is active.
    pub matching_id: ID,
    /// The scheduled session this was; none for one logged afterwards.
    pub session_id: Option<ID>,
    /// Global ID of the intervention of the programme the session delivered.
    pub intervention_id: ID,
    /// When it took place: not in the future, and not before the relation
    /// began.
    pub held_at: DateTime<Utc>,
    /// Length in minutes, 1–1440.
    pub minutes: i32,
    /// How they met; unless given, the scheduled session's mode, or the
    /// intervention's tool for a new one.
    pub mode: Option<CommunicationTool>,
    /// Whether the learner came.
    pub attended: bool,
    /// The tutor's notes, at most 10,000 characters; empty (the default)
    /// leaves them to `writeSessionNotes`.
    #[graphql(default)]
    pub notes: String,
}

/// Notes for a held session.
#[derive(InputObject)]
pub struct WriteSessionNotesInput {
    /// Global ID of a held session of a relation the caller tutors or
    /// coordinates; the relation may have ended since.
    pub session_id: ID,
    /// The notes, replacing any before; not blank, at most 10,000
    /// characters.
    pub notes: String,
}

#[derive(Default)]
pub struct RunningMutation;

async fn decide(
    ctx: &Context<'_>,
    input: DecideMatchingInput,
    decision: Decision,
) -> Result<Matching> {
    let caller = ctx.caller_in(MANAGERS)?;
    let id = ids::decode(&input.matching_id, "Matching")?;
    let decided = service::decide(ctx.state(), caller, id, decision, input.reason).await?;
    Ok(Matching(decided))
}

fn own_person_check(viewer: Viewer, person: i64) -> Result<(), ApiError> {
    match viewer {
        Viewer::Manager => Ok(()),
        Viewer::Person(me) if me == person => Ok(()),
        Viewer::Person(_) => Err(ApiError::Forbidden),
    }
}

#[Object]
impl RunningMutation {
    /// Creates or replaces a tutor's profile: coordinators for anyone, a
    /// tutor for themselves.
    async fn set_tutor_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, the tutor, and their roles, capacity, times and skills.")]
        input: SetTutorProfileInput,
    ) -> Result<TutorProfile> {
        let caller = ctx.caller()?;
        let db = &ctx.state().db;
        let person_id = ids::decode(&input.tutor_id, "Person")?;
        let viewer = Viewer::of(db, caller).await?;
        own_person_check(viewer, person_id)?;
        let role_ids = input
            .role_ids
            .iter()
            .map(|id| ids::decode(id, "TutorRole"))
            .collect::<Result<Vec<_>, _>>()?;
        let competences = input
            .competences
            .iter()
            .map(|c| {
                Ok(StoredCompetence {
                    axis_id: ids::decode(&c.axis_id, "SupportAxis")?,
                    level: c.level,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let saved = service::set_tutor_profile(
            db,
            caller.organisation_id,
            service::TutorProfileInput {
                programme_id: ids::decode(&input.programme_id, "Programme")?,
                person_id,
                role_ids,
                capacity: input.capacity,
                languages: input.languages,
                availability: window_inputs(&input.availability),
                modes: input.modes.into_iter().map(Into::into).collect(),
                competences,
            },
            viewer != Viewer::Manager,
        )
        .await?;
        Ok(TutorProfile(saved))
    }

    /// Creates or replaces a learner's languages, availability and modes:
    /// coordinators for anyone, a learner for themselves.
    async fn set_learner_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The programme, the learner, and their languages, availability and modes."
        )]
        input: SetLearnerProfileInput,
    ) -> Result<LearnerProfile> {
        let caller = ctx.caller()?;
        let db = &ctx.state().db;
        let person_id = ids::decode(&input.learner_id, "Person")?;
        own_person_check(Viewer::of(db, caller).await?, person_id)?;
        let saved = service::set_learner_profile(
            db,
            caller.organisation_id,
            service::LearnerProfileInput {
                programme_id: ids::decode(&input.programme_id, "Programme")?,
                person_id,
                languages: input.languages,
                availability: window_inputs(&input.availability),
                modes: input.modes.into_iter().map(Into::into).collect(),
            },
        )
        .await?;
        Ok(LearnerProfile(saved))
    }

    /// Rules a learner–tutor pair out of every later run.
    async fn exclude_pair(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, the learner, the tutor and the reason.")] input: PairInput,
    ) -> Result<bool> {
        let caller = ctx.caller_in(MANAGERS)?;
        service::exclude_pair(
            &ctx.state().db,
            caller,
            ids::decode(&input.programme_id, "Programme")?,
            ids::decode(&input.learner_id, "Person")?,
            ids::decode(&input.tutor_id, "Person")?,
            input.reason,
        )
        .await?;
        Ok(true)
    }

    /// Checks the organisation's relations against the guide now, as the
    /// nightly check does: alerts and today's digest, each at most once.
    async fn check_relations(&self, ctx: &Context<'_>) -> Result<bool> {
        let caller = ctx.caller_in(MANAGERS)?;
        ctx.state()
            .enqueue(worker::Job::MonitorRelations {
                at: Utc::now(),
                organisation_id: Some(caller.organisation_id),
            })
            .await?;
        Ok(true)
    }

    /// Lets later runs propose a pair excluded before.
    async fn lift_exclusion(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The programme, the learner and the tutor; a pair not excluded is NOT_FOUND."
        )]
        input: LiftExclusionInput,
    ) -> Result<bool> {
        use entities::matching_exclusion;
        let caller = ctx.caller_in(MANAGERS)?;
        let id = programme_of(ctx, caller, &input.programme_id).await?;
        let lifted = matching_exclusion::Entity::delete_many()
            .filter(matching_exclusion::Column::ProgrammeId.eq(id))
            .filter(
                matching_exclusion::Column::LearnerId.eq(ids::decode(&input.learner_id, "Person")?),
            )
            .filter(matching_exclusion::Column::TutorId.eq(ids::decode(&input.tutor_id, "Person")?))
            .exec(&ctx.state().db)
            .await
            .map_err(ApiError::from)?;
        if lifted.rows_affected == 0 {
            return Err(ApiError::NotFound("exclusion").into());
        }
        Ok(true)
    }

    /// Proposes tutors in a role for every learner of the programme with an
    /// open need and no active matching in the role, maximising the total
    /// score under the tutors' capacities. Small programmes are matched at
    /// once; large ones by the worker (poll `matchingRun`).
    async fn run_matching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, the tutor role and the weights of the criteria.")]
        input: RunMatchingInput,
    ) -> Result<MatchingRun> {
        let caller = ctx.caller_in(MANAGERS)?;
        let run = service::start_run(
            ctx.state(),
            caller,
            ids::decode(&input.programme_id, "Programme")?,
            ids::decode(&input.role_id, "TutorRole")?,
            weights_of(input.weights),
        )
        .await?;
        Ok(MatchingRun(run))
    }

    /// Accepts a proposal: it becomes active and takes one of the tutor's
    /// places. CONFLICT when no place is left.
    async fn accept_matching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The proposal to accept.")] input: DecideMatchingInput,
    ) -> Result<Matching> {
        decide(ctx, input, Decision::Accept).await
    }

    /// Turns a proposal down, with a reason; later runs do not propose the
    /// pair again.
    async fn reject_matching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The proposal and the reason for turning it down.")]
        input: DecideMatchingInput,
    ) -> Result<Matching> {
        decide(ctx, input, Decision::Reject).await
    }

    /// Ends an active matching, with a reason; it is archived with its plan
    /// and sessions.
    async fn end_matching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The active matching and the reason for ending it.")]
        input: DecideMatchingInput,
    ) -> Result<Matching> {
        decide(ctx, input, Decision::End).await
    }

    /// Pairs a learner and a tutor by hand, active at once.
    async fn override_matching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, the role, the learner, the tutor and the reason.")]
        input: OverrideMatchingInput,
    ) -> Result<Matching> {
        let caller = ctx.caller_in(MANAGERS)?;
        Ok(Matching(
            service::override_pair(
                ctx.state(),
                caller,
                ids::decode(&input.programme_id, "Programme")?,
                ids::decode(&input.role_id, "TutorRole")?,
                ids::decode(&input.learner_id, "Person")?,
                ids::decode(&input.tutor_id, "Person")?,
                input.reason,
            )
            .await?,
        ))
    }

    /// Adds a goal to the tutoring plan of an active matching, with its measure
    /// and target date within the programme. Its tutor or a coordinator; an
    /// inactive matching is CONFLICT.
    async fn add_plan_goal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The matching, and the goal's description, measure and target date.")]
        input: AddPlanGoalInput,
    ) -> Result<PlanGoal> {
        let caller = ctx.caller()?;
        Ok(PlanGoal(
            service::add_goal(
                &ctx.state().db,
                caller,
                ids::decode(&input.matching_id, "Matching")?,
                input.description,
                input.measure,
                input.target_date,
            )
            .await?,
        ))
    }

    /// Moves a goal of a tutoring plan on: planned, in progress, met or
    /// dropped. The matching's tutor or a coordinator, while it is active.
    async fn set_plan_goal_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The goal and its new status.")] input: SetPlanGoalStatusInput,
    ) -> Result<PlanGoal> {
        let caller = ctx.caller()?;
        Ok(PlanGoal(
            service::set_goal_status(
                &ctx.state().db,
                caller,
                ids::decode(&input.goal_id, "PlanGoal")?,
                input.status.into(),
            )
            .await?,
        ))
    }

    /// Plans an intervention of the programme in an active matching's plan: a
    /// series of sessions from a start day, every so many days, within the
    /// programme. Its tutor or a coordinator.
    async fn plan_intervention(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The matching, the intervention, the first day, the interval and the count."
        )]
        input: PlanInterventionInput,
    ) -> Result<PlannedIntervention> {
        let caller = ctx.caller()?;
        Ok(PlannedIntervention(
            service::plan_intervention(
                &ctx.state().db,
                caller,
                ids::decode(&input.matching_id, "Matching")?,
                ids::decode(&input.intervention_id, "Intervention")?,
                input.starts_on,
                input.every_days,
                input.sessions,
            )
            .await?,
        ))
    }

    /// Schedules a session of an active matching ahead of time; it shows in the
    /// calendars of its tutor and learner. Its tutor or a coordinator.
    async fn schedule_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The matching, the intervention, the start time, the length and the mode."
        )]
        input: ScheduleSessionInput,
    ) -> Result<Session> {
        let caller = ctx.caller()?;
        let new = SessionInput {
            matching_id: ids::decode(&input.matching_id, "Matching")?,
            intervention_id: ids::decode(&input.intervention_id, "Intervention")?,
            at: input.starts_at,
            minutes: input.minutes,
            mode: input.mode.map(Into::into),
        };
        Ok(Session::new(
            service::schedule_session(&ctx.state().db, caller, new).await?,
            None,
        ))
    }

    /// Records a held session of a relation: by its tutor or a coordinator.
    async fn record_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The matching, the intervention, when, how long, attendance and notes.")]
        input: RecordSessionInput,
    ) -> Result<Session> {
        let caller = ctx.caller()?;
        let new = SessionInput {
            matching_id: ids::decode(&input.matching_id, "Matching")?,
            intervention_id: ids::decode(&input.intervention_id, "Intervention")?,
            at: input.held_at,
            minutes: input.minutes,
            mode: input.mode.map(Into::into),
        };
        let scheduled = input
            .session_id
            .as_ref()
            .map(|id| ids::decode(id, "Session"))
            .transpose()?;
        Ok(Session::new(
            service::record_session(
                &ctx.state().db,
                caller,
                new,
                scheduled,
                input.attended,
                input.notes,
            )
            .await?,
            Some(input.attended),
        ))
    }

    /// Calls off a scheduled session: by the relation's tutor or a coordinator.
    async fn cancel_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the scheduled session.")] session_id: ID,
    ) -> Result<Session> {
        let caller = ctx.caller()?;
        let id = ids::decode(&session_id, "Session")?;
        let session = service::cancel_session(&ctx.state().db, caller, id).await?;
        Ok(Session::new(session, None))
    }

    /// Writes the notes of a held session, replacing earlier ones; allowed
    /// after the matching ended. Its tutor or a coordinator; a session not held
    /// is CONFLICT.
    async fn write_session_notes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session and its notes.")] input: WriteSessionNotesInput,
    ) -> Result<Session> {
        let caller = ctx.caller()?;
        let db = &ctx.state().db;
        let session = service::write_notes(
            db,
            caller,
            ids::decode(&input.session_id, "Session")?,
            input.notes,
        )
        .await?;
        let came = entities::session_participant::Entity::find()
            .filter(entities::session_participant::Column::SessionId.eq(session.id))
            .one(db)
            .await
            .map_err(ApiError::from)?
            .map(|p| p.attended);
        Ok(Session::new(session, came))
    }
}
