//! GraphQL types of the design phase.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{intervention, need, need_rule, programme, support_axis::Model as AxisModel};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::accounts::Person;
use crate::auth::{MANAGERS, READERS};
use crate::error::ApiError;
use crate::ids;
use crate::loaders::{
    AxesOf, AxisById, GuideVersionsOf, InterventionsOf, NeedRulesOf, PersonById, RoleById, RolesOf,
    StandardsOf,
};
use crate::pagination::{Nested, Page, PageArgs, Sort, nested_page};
use crate::state::ContextExt;

macro_rules! mirror_enum {
    (
        $(#[$doc:meta])* $name:ident <=> $db:path {
            $($(#[$vdoc:meta])* $variant:ident),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl From<$db> for $name {
            fn from(v: $db) -> Self {
                match v { $(<$db>::$variant => Self::$variant),+ }
            }
        }

        impl From<$name> for $db {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => Self::$variant),+ }
            }
        }
    };
}

pub(crate) use mirror_enum;

mirror_enum!(
    /// What a support axis is about.
    AxisKind <=> entities::AxisKind {
        /// Study methods, organisation and learning to learn.
        Methodology,
        /// A subject of the curriculum, such as mathematics.
        Subject,
        /// Wellbeing, motivation and personal difficulties.
        Wellbeing,
        /// Guidance on choices of studies and career.
        Orientation,
        /// Using digital tools and platforms.
        DigitalSkills,
        /// Any other area.
        Other,
    }
);
mirror_enum!(
    /// Where a need was found; `LEARNER` means stated by the learner.
    NeedSource <=> entities::NeedSource {
        /// Found by a need rule in a campaign's questionnaire answers.
        Questionnaire,
        /// Found in an interview.
        Interview,
        /// Recorded by a coordinator.
        Coordinator,
        /// Stated by the learner themselves.
        Learner,
    }
);
mirror_enum!(
    /// Whether a need still calls for support.
    NeedStatus <=> entities::NeedStatus {
        /// To be met: counts in the priorities and makes the learner a
        /// candidate for matching.
        Open,
        /// Met by the support given; no longer counted.
        Addressed,
        /// Closed for another reason; no longer counted.
        Closed,
    }
);

/// How needs are listed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Hash, Debug, Default)]
pub enum NeedOrder {
    /// In the order they were recorded.
    #[default]
    Oldest,
    /// Most severe first; equal severities in the order they were recorded.
    MostSevere,
}
mirror_enum!(
    /// Which side of the threshold signals a need.
    RuleDirection <=> entities::RuleDirection {
        /// A score under the threshold signals a need.
        Below,
        /// A score over the threshold signals a need.
        Above,
    }
);
mirror_enum!(
    /// Whether an intervention's sessions are for one learner or a group.
    InterventionFormat <=> entities::InterventionFormat {
        /// One learner per session: the group size is 1.
        Individual,
        /// Several learners per session, up to the group size.
        Group,
    }
);
mirror_enum!(
    /// How tutor and learner communicate.
    CommunicationTool <=> entities::CommunicationTool {
        /// Face to face.
        InPerson,
        /// A video call.
        Video,
        /// Written chat.
        Chat,
        /// Posts on a discussion forum.
        Forum,
        /// A phone call.
        Phone,
        /// Email.
        Email,
    }
);

pub struct Programme(pub programme::Model);

/// A tutorial scheme over a period, with goals and a budget. Every member
/// of the organisation may read it; some fields check roles of their own.
#[Object]
impl Programme {
    /// Global ID of the programme; use with `node(id:)`.
    pub async fn id(&self) -> ID {
        ids::encode("Programme", self.0.id)
    }
    /// Name of the programme.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the programme is about; empty when none was given.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// First day of the programme (a calendar date, no time zone).
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    /// Last day of the programme, included; never before `startsOn`.
    /// `logSession` takes only sessions held between the two.
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    /// The programme's goals, in the order given.
    async fn goals(&self) -> Vec<String> {
        serde_json::from_value(self.0.goals.clone()).unwrap_or_default()
    }
    /// Financial: admins, coordinators and observers only.
    async fn budget(&self, ctx: &Context<'_>) -> Result<f64> {
        ctx.caller_in(READERS)?;
        Ok(self.0.budget)
    }
    /// ISO 4217 code of the budget and every cost.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Learners the programme expects: the base of need prevalence.
    async fn expected_learners(&self) -> i32 {
        self.0.expected_learners
    }
    /// The programme's support axes, oldest first.
    async fn axes(&self, ctx: &Context<'_>) -> Result<Vec<SupportAxis>> {
        let rows = ctx.loader().load_one(AxesOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(SupportAxis)
            .collect())
    }
    /// The programme's catalogue of interventions, oldest first.
    async fn interventions(&self, ctx: &Context<'_>) -> Result<Vec<Intervention>> {
        let rows = ctx.loader().load_one(InterventionsOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Intervention)
            .collect())
    }
    /// The programme's tutor roles, oldest first.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<TutorRole>> {
        let rows = ctx.loader().load_one(RolesOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(TutorRole)
            .collect())
    }
    /// Every version of the tutorial guide, newest first.
    async fn guide_versions(&self, ctx: &Context<'_>) -> Result<Vec<GuideVersion>> {
        let rows = ctx.loader().load_one(GuideVersionsOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// The standards monitoring checks the programme's relations against,
    /// one per kind, in the order they were first set.
    async fn standards(&self, ctx: &Context<'_>) -> Result<Vec<Standard>> {
        let rows = ctx.loader().load_one(StandardsOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// Training modules offered to the programme's tutors, oldest first.
    async fn training_modules(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::development::TrainingModule>> {
        crate::development::modules_of(ctx, self.0.id).await
    }
    /// The programme's communities of practice, oldest first. Admins,
    /// coordinators and observers only: FORBIDDEN for other roles.
    async fn communities(&self, ctx: &Context<'_>) -> Result<Vec<crate::development::Community>> {
        crate::development::communities_of(ctx, self.0.id).await
    }
    /// Each tutor's training and tutoring hours and level. Coordinators only.
    #[graphql(complexity = 200)]
    async fn tutor_development(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::development::TutorDevelopment>> {
        crate::development::development_of(ctx, self.0.id).await
    }
    /// Rules deriving needs from campaign scores, at most one per axis,
    /// oldest first.
    async fn need_rules(&self, ctx: &Context<'_>) -> Result<Vec<NeedRule>> {
        let rows = ctx.loader().load_one(NeedRulesOf(self.0.id)).await?;
        Ok(rows.unwrap_or_default().into_iter().map(NeedRule).collect())
    }
    /// Learners' needs, filtered and sorted. Personal data: coordinators only.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn needs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Needs to return from the start of the list, or after \
                          `after`: 20 by default, at most 100; not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of a need of this list; the page starts after it. \
                          A cursor holds only for the `orderBy` it came from.")]
        after: Option<String>,
        #[graphql(desc = "Needs to return from the end of the list, or before \
                          `before`: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of a need of this list; \
                          the page ends before it.")]
        before: Option<String>,
        #[graphql(desc = "Only needs on this support axis (its global ID); \
                          every axis when null.")]
        axis_id: Option<ID>,
        #[graphql(desc = "Only needs with this status; \
                          every status when null.")]
        status: Option<NeedStatus>,
        #[graphql(desc = "Only needs found this way; \
                          every source when null.")]
        source: Option<NeedSource>,
        #[graphql(desc = "Only needs at least this severe, from 1 to 5; \
                          BAD_USER_INPUT outside that range.")]
        min_severity: Option<i32>,
        #[graphql(default, desc = "Order of the list; oldest first by default.")]
        order_by: NeedOrder,
    ) -> Result<Page<Need>> {
        ctx.caller_in(MANAGERS)?;
        if min_severity.is_some_and(|m| !(1..=5).contains(&m)) {
            return Err(ApiError::bad_input("minSeverity must be from 1 to 5").into());
        }
        crate::audit::staff_read(
            ctx,
            crate::audit::AuditAction::NeedsRead,
            ("Programme", Some(self.0.id)),
            serde_json::json!({}),
        )
        .await?;
        let list = NeedsOf {
            axis: axis_id
                .map(|a| ids::decode(&a, "SupportAxis"))
                .transpose()?,
            status: status.map(Into::into),
            source: source.map(Into::into),
            min_severity,
            order: order_by,
        };
        let page = PageArgs::new(first, after, last, before);
        nested_page(ctx, self.0.id, list, page, Need).await
    }
    /// Planned and actual costs, by axis, role, intervention and learner.
    #[graphql(complexity = 200)]
    async fn costs(&self, ctx: &Context<'_>) -> Result<Costs> {
        super::costs(ctx, self.0.id).await
    }
    /// What `extraLearners` more learners on an axis would cost.
    #[graphql(complexity = 200)]
    async fn cost_scenario(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of a support axis of this programme; \
                          BAD_USER_INPUT for an axis of another programme.")]
        axis_id: ID,
        #[graphql(desc = "Learners to add to the axis, from 1 to 1,000,000; \
                          BAD_USER_INPUT otherwise.")]
        extra_learners: i64,
    ) -> Result<CostScenario> {
        super::cost_scenario(ctx, self.0.id, axis_id, extra_learners).await
    }
    /// Axes and interventions ranked, each score with its explanation.
    /// `weights` tries other axis weights without storing them.
    #[graphql(complexity = 200)]
    async fn priorities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Axis weights to try instead of the stored ones, nothing \
                          stored. BAD_USER_INPUT for an axis of another programme, \
                          an axis given twice or a weight outside 0 to 10.")]
        weights: Option<Vec<AxisWeightInput>>,
    ) -> Result<Priorities> {
        super::priorities(ctx, self.0.id, weights.unwrap_or_default()).await
    }
}

/// The needs of programmes, filtered and sorted as asked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct NeedsOf {
    axis: Option<i64>,
    status: Option<entities::NeedStatus>,
    source: Option<entities::NeedSource>,
    min_severity: Option<i32>,
    order: NeedOrder,
}

impl Nested for NeedsOf {
    type Entity = need::Entity;
    type With = ();

    fn parent(&self) -> need::Column {
        need::Column::ProgrammeId
    }
    fn rows(&self, parents: &[i64]) -> sea_orm::Select<need::Entity> {
        let mut rows =
            need::Entity::find().filter(need::Column::ProgrammeId.is_in(parents.iter().copied()));
        if let Some(axis) = self.axis {
            rows = rows.filter(need::Column::AxisId.eq(axis));
        }
        if let Some(status) = self.status {
            rows = rows.filter(need::Column::Status.eq(status));
        }
        if let Some(source) = self.source {
            rows = rows.filter(need::Column::Source.eq(source));
        }
        if let Some(min) = self.min_severity {
            rows = rows.filter(need::Column::Severity.gte(min));
        }
        rows
    }
    fn sort(&self) -> Sort<need::Entity> {
        let id = (need::Column::Id, sea_orm::Order::Asc);
        match self.order {
            NeedOrder::Oldest => Sort::by_id("Programme.needs", id.0, id.1),
            NeedOrder::MostSevere => Sort::by_key(
                "Programme.needs.MOST_SEVERE",
                (need::Column::Severity, sea_orm::Order::Desc),
                id,
            ),
        }
    }
}

pub struct SupportAxis(pub AxisModel);

/// A learning-support axis of a programme (methodology, a subject,
/// wellbeing…) and its weight (0–10).
#[Object]
impl SupportAxis {
    /// Global ID of the axis; give it as `axisId` to inputs and filters.
    async fn id(&self) -> ID {
        ids::encode("SupportAxis", self.0.id)
    }
    /// Name of the axis.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the axis is about.
    async fn kind(&self) -> AxisKind {
        self.0.kind.into()
    }
    /// What the axis covers; empty when none was given.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Importance from 0 to 10; it multiplies the axis's priority score.
    async fn weight(&self) -> f64 {
        self.0.weight
    }
}

pub struct Need(pub need::Model);

/// A learner's need on a support axis. A learner has at most one need per
/// axis and source.
#[Object]
impl Need {
    /// Global ID of the need; give it as `needId` to `updateNeed`.
    async fn id(&self) -> ID {
        ids::encode("Need", self.0.id)
    }
    /// The learner who has the need.
    async fn learner(&self, ctx: &Context<'_>) -> Result<Person> {
        let p = ctx.loader().load_one(PersonById(self.0.person_id)).await?;
        Ok(Person::from(p.ok_or(ApiError::NotFound("person"))?))
    }
    /// The support axis the need is on.
    async fn axis(&self, ctx: &Context<'_>) -> Result<SupportAxis> {
        let a = ctx.loader().load_one(AxisById(self.0.axis_id)).await?;
        Ok(SupportAxis(a.ok_or(ApiError::NotFound("support axis"))?))
    }
    /// 1 (mild) to 5 (severe).
    async fn severity(&self) -> i32 {
        self.0.severity
    }
    /// Where the need was found; QUESTIONNAIRE needs come from a need rule.
    async fn source(&self) -> NeedSource {
        self.0.source.into()
    }
    /// Where the need stands; only open needs count in the priorities.
    async fn status(&self) -> NeedStatus {
        self.0.status.into()
    }
    /// Why the need was recorded: for derived needs, the score and rule.
    async fn evidence(&self) -> &str {
        &self.0.evidence
    }
    /// When the need was recorded, last changed or last refreshed by its
    /// rule (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct NeedRule(pub need_rule::Model);

/// Derives needs on an axis from a campaign's scale scores.
#[Object]
impl NeedRule {
    /// Global ID of the rule; give it as `ruleId` to `applyNeedRule`.
    async fn id(&self) -> ID {
        ids::encode("NeedRule", self.0.id)
    }
    /// The axis whose needs the rule derives; an axis has one rule at most.
    async fn axis(&self, ctx: &Context<'_>) -> Result<SupportAxis> {
        let a = ctx.loader().load_one(AxisById(self.0.axis_id)).await?;
        Ok(SupportAxis(a.ok_or(ApiError::NotFound("support axis"))?))
    }
    /// Global ID of the campaign whose responses are scored.
    async fn campaign_id(&self) -> ID {
        crate::campaigns::global_id(self.0.campaign_id)
    }
    /// Code of the scale of the campaign's questionnaire that is read.
    async fn scale_code(&self) -> &str {
        &self.0.scale_code
    }
    /// Whether scores below or above the threshold signal a need.
    async fn direction(&self) -> RuleDirection {
        self.0.direction.into()
    }
    /// Score past which a respondent has a need, strictly inside the
    /// scale's range. Severity runs from 1 just past it to 5 at the end of
    /// the scale.
    async fn threshold(&self) -> f64 {
        self.0.threshold
    }
    /// When the rule was last applied (UTC); null until `applyNeedRule`.
    async fn applied_at(&self) -> Option<DateTime<Utc>> {
        self.0.applied_at
    }
}

pub struct Intervention(pub intervention::Model);

/// A designed intervention of a programme's catalogue: what it serves, how
/// often and how long its sessions are, what it costs.
#[Object]
impl Intervention {
    /// Global ID of the intervention; give it as `interventionId` to
    /// `logSession`.
    async fn id(&self) -> ID {
        ids::encode("Intervention", self.0.id)
    }
    /// Name of the intervention.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What happens in it; empty when none was given.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The support axis it serves.
    async fn axis(&self, ctx: &Context<'_>) -> Result<SupportAxis> {
        let a = ctx.loader().load_one(AxisById(self.0.axis_id)).await?;
        Ok(SupportAxis(a.ok_or(ApiError::NotFound("support axis"))?))
    }
    /// One learner per session, or a group of up to `groupSize`.
    async fn format(&self) -> InterventionFormat {
        self.0.format.into()
    }
    /// How tutor and learners communicate; the mode of logged sessions
    /// that give none.
    async fn tool(&self) -> CommunicationTool {
        self.0.tool.into()
    }
    /// Sessions planned a month; may be a fraction (0.5: one every two
    /// months).
    async fn sessions_per_month(&self) -> f64 {
        self.0.sessions_per_month
    }
    /// Planned length of one session, in minutes (1 to 1440).
    async fn session_minutes(&self) -> i32 {
        self.0.session_minutes
    }
    /// Learners per session (1 for individual interventions).
    async fn group_size(&self) -> i32 {
        self.0.group_size
    }
    /// Cost of one session, in the programme's currency. Financial:
    /// admins, coordinators and observers only.
    async fn session_cost(&self, ctx: &Context<'_>) -> Result<f64> {
        ctx.caller_in(READERS)?;
        Ok(self.0.session_cost)
    }
    /// Months it runs.
    async fn duration_months(&self) -> f64 {
        self.0.duration_months
    }
    /// Learners expected to take it.
    async fn planned_learners(&self) -> i32 {
        self.0.planned_learners
    }
    /// The tutor role that delivers it.
    async fn role(&self, ctx: &Context<'_>) -> Result<Option<TutorRole>> {
        let Some(id) = self.0.role_id else {
            return Ok(None);
        };
        let row = ctx.loader().load_one(RoleById(id)).await?;
        Ok(row.map(TutorRole))
    }
}

/// An axis weight to try in `priorities(weights:)`.
#[derive(async_graphql::InputObject)]
pub struct AxisWeightInput {
    /// Global ID of a support axis of the programme.
    pub axis_id: ID,
    /// Weight to try, from 0 to 10.
    pub weight: f64,
}

/// One term of a score.
#[derive(SimpleObject)]
pub struct Term {
    /// What the term is, such as `prevalence`, `weight` or `cost per
    /// learner and month`.
    pub name: String,
    /// Its value in the score.
    pub value: f64,
}

/// A support axis's place in the programme's priorities, with the figures
/// its score is computed from.
#[derive(SimpleObject)]
pub struct AxisPriority {
    /// The axis ranked.
    pub axis: SupportAxis,
    /// 1 is the most urgent; equal scores share a rank.
    pub rank: u64,
    /// prevalence × (mean severity ÷ 5) × weight
    pub score: f64,
    /// Share (0–1) of the population with an open need on the axis;
    /// `Priorities.population` is the base.
    pub prevalence: f64,
    /// Mean severity (1–5) of those needs, counting each learner once at
    /// their most severe; 0 without needs.
    pub mean_severity: f64,
    /// The axis weight used (0–10): the stored one, or the one tried.
    pub weight: f64,
    /// Learners with at least one open need on the axis.
    pub learners_with_need: u64,
    /// The three factors multiplied into the score, in order.
    pub terms: Vec<Term>,
    /// The computation in one English sentence, with its figures.
    pub explanation: String,
}

/// An intervention's place in the programme's priorities: the score of its
/// axis per unit of cost.
#[derive(SimpleObject)]
pub struct InterventionPriority {
    /// The intervention ranked.
    pub intervention: Intervention,
    /// 1 is the highest score; equal scores share a rank.
    pub rank: u64,
    /// axis score ÷ cost per learner and month
    pub score: f64,
    /// Score of the intervention's axis (`AxisPriority.score`).
    pub axis_score: f64,
    /// What one learner's place costs a month, in the programme's
    /// currency: (fixed cost + the role's time) per session × sessions a
    /// month ÷ group size. When 0, the score is the axis score alone.
    pub cost_per_learner_month: f64,
    /// The axis score and the cost per learner and month.
    pub terms: Vec<Term>,
    /// The computation in one English sentence, with its figures.
    pub explanation: String,
}

/// A programme's axes and interventions ranked by priority.
#[derive(SimpleObject)]
pub struct Priorities {
    /// Learners the prevalences are shares of.
    pub population: u64,
    /// Every axis of the programme, highest score first.
    pub axes: Vec<AxisPriority>,
    /// Every intervention of the programme, highest score first.
    pub interventions: Vec<InterventionPriority>,
}

mirror_enum!(
    /// The kind of a tutor role.
    RoleKind <=> entities::RoleKind {
        /// Academic, structured, measurable support.
        Tutor,
        /// Informal support and wellbeing.
        Mentor,
        /// A fellow learner who tutors others.
        PeerTutor,
        /// Support with study methods and organisation.
        MethodologyTutor,
    }
);
mirror_enum!(
    /// What a standard measures: its threshold is in days or hours, as named.
    StandardKind <=> entities::StandardKind {
        /// A first session within N days of the matching becoming active.
        FirstContactDays,
        /// A session at least every N days.
        SessionIntervalDays,
        /// Notes within N hours of a held session.
        NotesWithinHours,
        /// A reply to a learner within N hours; not checked, as no message
        /// log is kept.
        ReplyWithinHours,
    }
);
/// How serious a breach of a standard is, as set on the standard; its
/// breaches and alerts carry it. The levels are for people to sort by: the
/// system treats them alike.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entities::Severity")]
pub enum Severity {
    /// Minor: worth noting.
    Low,
    /// To follow up soon.
    Medium,
    /// To act on at once.
    High,
}

pub struct TutorRole(pub entities::tutor_role::Model);

/// A tutor role: what it does, what an hour costs, the load expected.
#[Object]
impl TutorRole {
    /// Global ID of the role; give it as `roleId` to `createIntervention`.
    async fn id(&self) -> ID {
        ids::encode("TutorRole", self.0.id)
    }
    /// Name of the role.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Tutor, mentor, peer tutor or methodology tutor.
    async fn kind(&self) -> RoleKind {
        self.0.kind.into()
    }
    /// The functions of the role, one per line.
    async fn functions(&self) -> Vec<String> {
        serde_json::from_value(self.0.functions.clone()).unwrap_or_default()
    }
    /// Cost of one hour, in the programme's currency. Financial: admins,
    /// coordinators and observers only.
    async fn hourly_cost(&self, ctx: &Context<'_>) -> Result<f64> {
        ctx.caller_in(READERS)?;
        Ok(self.0.hourly_cost)
    }
    /// Learners one person in this role is expected to follow.
    async fn expected_learners(&self) -> i32 {
        self.0.expected_learners
    }
    /// Hours a month one person in this role is expected to give; 0 when
    /// not set.
    async fn expected_hours_per_month(&self) -> f64 {
        self.0.expected_hours_per_month
    }
}

/// One version of the tutorial guide.
#[derive(SimpleObject)]
pub struct GuideVersion {
    /// Version number, from 1; each `publishGuide` adds one.
    pub version: i32,
    /// Markdown.
    pub body: String,
    /// When the version was published (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<entities::guide_version::Model> for GuideVersion {
    fn from(m: entities::guide_version::Model) -> Self {
        Self {
            version: m.version,
            body: m.body,
            created_at: m.created_at,
        }
    }
}

/// An expected standard that monitoring checks every relation against.
#[derive(SimpleObject)]
pub struct Standard {
    /// What the standard checks; a programme has one standard per kind.
    pub kind: StandardKind,
    /// Days or hours, as the kind says.
    pub threshold: i32,
    /// Severity of the alerts raised when a relation breaches it.
    pub severity: Severity,
    /// The standard in words, for tutors and learners; may be empty.
    pub description: String,
}

impl From<entities::standard::Model> for Standard {
    fn from(m: entities::standard::Model) -> Self {
        Self {
            kind: m.kind.into(),
            threshold: m.threshold,
            severity: m.severity.into(),
            description: m.description,
        }
    }
}

/// The guide as tutors and learners read it: its latest text and standards.
#[derive(SimpleObject)]
pub struct TutorialGuide {
    /// Name of the programme the guide belongs to.
    pub programme_name: String,
    /// The latest version; null until a guide is published.
    pub current: Option<GuideVersion>,
    /// The programme's standards, in the order they were first set.
    pub standards: Vec<Standard>,
}

/// An amount attributed to something.
#[derive(SimpleObject)]
pub struct Amount {
    /// Global id of the axis, role, intervention or learner; null for
    /// interventions without a role.
    pub id: Option<ID>,
    /// Name of the axis, role, intervention or learner; `no role` on the
    /// line of interventions without a role.
    pub name: String,
    /// The amount, in the programme's currency.
    pub amount: f64,
}

/// Costs broken down by axis, role and intervention.
#[derive(SimpleObject)]
pub struct CostReport {
    /// Total cost, in the programme's currency.
    pub total: f64,
    /// Learners the total is shared among: expected ones for the plan,
    /// those who took part for actual costs.
    pub learners: u64,
    /// total ÷ learners; null without learners.
    pub per_learner: Option<f64>,
    /// Costs per support axis, oldest axis first.
    pub by_axis: Vec<Amount>,
    /// Costs per tutor role, oldest role first, after the line of
    /// interventions without a role (null id) if there are any.
    pub by_role: Vec<Amount>,
    /// Costs per intervention, oldest intervention first.
    pub by_intervention: Vec<Amount>,
    /// Each learner's share of the sessions they were in (actual costs only).
    pub by_learner: Vec<Amount>,
}

/// The programme's economic model.
#[derive(SimpleObject)]
pub struct Costs {
    /// ISO 4217 code of every amount, such as EUR.
    pub currency: String,
    /// The programme's budget; 0 when it has none.
    pub budget: f64,
    /// What the interventions are planned to cost: each one's planned
    /// learners in groups, its sessions over its duration, each session
    /// its fixed cost plus the role's time.
    pub planned: CostReport,
    /// What the sessions held cost, shared among the learners who attended
    /// them; `byLearner` is filled for coordinators only.
    pub actual: CostReport,
    /// actual ÷ budget; null without a budget.
    pub budget_consumed: Option<f64>,
    /// planned ÷ budget; null without a budget.
    pub planned_share_of_budget: Option<f64>,
}

/// What more learners on an axis would cost, each taking every
/// intervention of the axis on top of the planned uptake.
#[derive(SimpleObject)]
pub struct CostScenario {
    /// Learners added to the axis, as asked.
    pub extra_learners: i64,
    /// Extra cost of them all, in the programme's currency.
    pub total: f64,
    /// One line per intervention of the axis.
    pub interventions: Vec<ScenarioLine>,
}

/// What one intervention of the axis would cost with the extra learners.
#[derive(SimpleObject)]
pub struct ScenarioLine {
    /// The intervention.
    pub intervention: Intervention,
    /// Groups (or one-to-one places) to open.
    pub extra_groups: i64,
    /// Extra cost in the programme's currency: the new groups' sessions
    /// over the intervention's duration.
    pub extra_cost: f64,
}
