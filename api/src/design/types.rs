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
    ($(#[$doc:meta])* $name:ident <=> $db:path { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name { $($variant),+ }

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
    AxisKind <=> entities::AxisKind { Methodology, Subject, Wellbeing, Orientation, DigitalSkills, Other }
);
mirror_enum!(
    /// Where a need was found; `LEARNER` means stated by the learner.
    NeedSource <=> entities::NeedSource { Questionnaire, Interview, Coordinator, Learner }
);
mirror_enum!(NeedStatus <=> entities::NeedStatus { Open, Addressed, Closed });

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
    RuleDirection <=> entities::RuleDirection { Below, Above }
);
mirror_enum!(InterventionFormat <=> entities::InterventionFormat { Individual, Group });
mirror_enum!(
    /// How tutor and learner communicate.
    CommunicationTool <=> entities::CommunicationTool { InPerson, Video, Chat, Forum, Phone, Email }
);

/// A tutorial scheme over a period, with goals and a budget.
pub struct Programme(pub programme::Model);

#[Object]
impl Programme {
    pub async fn id(&self) -> ID {
        ids::encode("Programme", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
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
    async fn axes(&self, ctx: &Context<'_>) -> Result<Vec<SupportAxis>> {
        let rows = ctx.loader().load_one(AxesOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(SupportAxis)
            .collect())
    }
    async fn interventions(&self, ctx: &Context<'_>) -> Result<Vec<Intervention>> {
        let rows = ctx.loader().load_one(InterventionsOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Intervention)
            .collect())
    }
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
    async fn standards(&self, ctx: &Context<'_>) -> Result<Vec<Standard>> {
        let rows = ctx.loader().load_one(StandardsOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn training_modules(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::development::TrainingModule>> {
        crate::development::modules_of(ctx, self.0.id).await
    }
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
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        axis_id: Option<ID>,
        status: Option<NeedStatus>,
        source: Option<NeedSource>,
        min_severity: Option<i32>,
        #[graphql(default)] order_by: NeedOrder,
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
        axis_id: ID,
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

/// A learning-support axis and its weight (0–10).
pub struct SupportAxis(pub AxisModel);

#[Object]
impl SupportAxis {
    async fn id(&self) -> ID {
        ids::encode("SupportAxis", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> AxisKind {
        self.0.kind.into()
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn weight(&self) -> f64 {
        self.0.weight
    }
}

/// A learner's need on an axis.
pub struct Need(pub need::Model);

#[Object]
impl Need {
    async fn id(&self) -> ID {
        ids::encode("Need", self.0.id)
    }
    async fn learner(&self, ctx: &Context<'_>) -> Result<Person> {
        let p = ctx.loader().load_one(PersonById(self.0.person_id)).await?;
        Ok(Person(p.ok_or(ApiError::NotFound("person"))?))
    }
    async fn axis(&self, ctx: &Context<'_>) -> Result<SupportAxis> {
        let a = ctx.loader().load_one(AxisById(self.0.axis_id)).await?;
        Ok(SupportAxis(a.ok_or(ApiError::NotFound("support axis"))?))
    }
    /// 1 (mild) to 5 (severe).
    async fn severity(&self) -> i32 {
        self.0.severity
    }
    async fn source(&self) -> NeedSource {
        self.0.source.into()
    }
    async fn status(&self) -> NeedStatus {
        self.0.status.into()
    }
    /// Why the need was recorded: for derived needs, the score and rule.
    async fn evidence(&self) -> &str {
        &self.0.evidence
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Derives needs on an axis from a campaign's scale scores.
pub struct NeedRule(pub need_rule::Model);

#[Object]
impl NeedRule {
    async fn id(&self) -> ID {
        ids::encode("NeedRule", self.0.id)
    }
    async fn axis(&self, ctx: &Context<'_>) -> Result<SupportAxis> {
        let a = ctx.loader().load_one(AxisById(self.0.axis_id)).await?;
        Ok(SupportAxis(a.ok_or(ApiError::NotFound("support axis"))?))
    }
    async fn campaign_id(&self) -> ID {
        crate::campaigns::global_id(self.0.campaign_id)
    }
    async fn scale_code(&self) -> &str {
        &self.0.scale_code
    }
    async fn direction(&self) -> RuleDirection {
        self.0.direction.into()
    }
    async fn threshold(&self) -> f64 {
        self.0.threshold
    }
    async fn applied_at(&self) -> Option<DateTime<Utc>> {
        self.0.applied_at
    }
}

/// A designed intervention.
pub struct Intervention(pub intervention::Model);

#[Object]
impl Intervention {
    async fn id(&self) -> ID {
        ids::encode("Intervention", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn axis(&self, ctx: &Context<'_>) -> Result<SupportAxis> {
        let a = ctx.loader().load_one(AxisById(self.0.axis_id)).await?;
        Ok(SupportAxis(a.ok_or(ApiError::NotFound("support axis"))?))
    }
    async fn format(&self) -> InterventionFormat {
        self.0.format.into()
    }
    async fn tool(&self) -> CommunicationTool {
        self.0.tool.into()
    }
    async fn sessions_per_month(&self) -> f64 {
        self.0.sessions_per_month
    }
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

#[derive(async_graphql::InputObject)]
pub struct AxisWeightInput {
    pub axis_id: ID,
    pub weight: f64,
}

/// One term of a score.
#[derive(SimpleObject)]
pub struct Term {
    pub name: String,
    pub value: f64,
}

#[derive(SimpleObject)]
pub struct AxisPriority {
    pub axis: SupportAxis,
    /// 1 is the most urgent; equal scores share a rank.
    pub rank: u64,
    /// prevalence × (mean severity ÷ 5) × weight
    pub score: f64,
    pub prevalence: f64,
    pub mean_severity: f64,
    pub weight: f64,
    pub learners_with_need: u64,
    pub terms: Vec<Term>,
    pub explanation: String,
}

#[derive(SimpleObject)]
pub struct InterventionPriority {
    pub intervention: Intervention,
    pub rank: u64,
    /// axis score ÷ cost per learner and month
    pub score: f64,
    pub axis_score: f64,
    pub cost_per_learner_month: f64,
    pub terms: Vec<Term>,
    pub explanation: String,
}

#[derive(SimpleObject)]
pub struct Priorities {
    /// Learners the prevalences are shares of.
    pub population: u64,
    pub axes: Vec<AxisPriority>,
    pub interventions: Vec<InterventionPriority>,
}

mirror_enum!(
    /// The kind of a tutor role.
    RoleKind <=> entities::RoleKind { Tutor, Mentor, PeerTutor, MethodologyTutor }
);
mirror_enum!(
    /// What a standard measures: its threshold is in days or hours, as named.
    StandardKind <=> entities::StandardKind { FirstContactDays, SessionIntervalDays, NotesWithinHours, ReplyWithinHours }
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

/// A tutor role: what it does, what an hour costs, the load expected.
pub struct TutorRole(pub entities::tutor_role::Model);

#[Object]
impl TutorRole {
    async fn id(&self) -> ID {
        ids::encode("TutorRole", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
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
    async fn expected_hours_per_month(&self) -> f64 {
        self.0.expected_hours_per_month
    }
}

/// One version of the tutorial guide.
#[derive(SimpleObject)]
pub struct GuideVersion {
    pub version: i32,
    /// Markdown.
    pub body: String,
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
    pub kind: StandardKind,
    /// Days or hours, as the kind says.
    pub threshold: i32,
    pub severity: Severity,
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
    pub programme_name: String,
    pub current: Option<GuideVersion>,
    pub standards: Vec<Standard>,
}

/// An amount attributed to something.
#[derive(SimpleObject)]
pub struct Amount {
    /// Global id of the axis, role, intervention or learner; null for
    /// interventions without a role.
    pub id: Option<ID>,
    pub name: String,
    pub amount: f64,
}

/// Costs broken down by axis, role and intervention.
#[derive(SimpleObject)]
pub struct CostReport {
    pub total: f64,
    /// Learners the total is shared among: expected ones for the plan,
    /// those who took part for actual costs.
    pub learners: u64,
    pub per_learner: Option<f64>,
    pub by_axis: Vec<Amount>,
    pub by_role: Vec<Amount>,
    pub by_intervention: Vec<Amount>,
    /// Each learner's share of the sessions they were in (actual costs only).
    pub by_learner: Vec<Amount>,
}

/// The programme's economic model.
#[derive(SimpleObject)]
pub struct Costs {
    pub currency: String,
    pub budget: f64,
    pub planned: CostReport,
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
    pub extra_learners: i64,
    pub total: f64,
    pub interventions: Vec<ScenarioLine>,
}

#[derive(SimpleObject)]
pub struct ScenarioLine {
    pub intervention: Intervention,
    /// Groups (or one-to-one places) to open.
    pub extra_groups: i64,
    pub extra_cost: f64,
}
