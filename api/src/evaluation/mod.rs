//! Evaluating a programme: analytical grids, programme reports scored on
//! them, and the recommendations coordinators edit and decide.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entities::{
    RecommendationStatus, analytical_grid, programme, programme_report, recommendation,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use worker::Job;
use worker::grid;
use worker::programme_report::{Period, Request};

use crate::auth::{MANAGERS, READERS};
use crate::error::{ApiError, ApiResult, Problem};
use crate::ids;
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;

pub mod demo_grid;

/// Longest period a report covers, in days.
pub const MAX_PERIOD_DAYS: i64 = 3 * 366;
/// Years a report period may fall in.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2200;

/// Where a value falls on a grid: a band's level, or a score's.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "worker::grid::Level", name = "ScoreLevel")]
pub enum Level {
    /// The lowest level; for a criterion or the total, a score below 50.
    Insufficient,
    /// For a criterion or the total, a score from 50 to below 70.
    Acceptable,
    /// For a criterion or the total, a score from 70 to below 85.
    Good,
    /// The highest level; for a criterion or the total, 85 or more.
    Excellent,
}

/// How urgent a recommendation of a programme report is; reports list the
/// most urgent first.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "worker::grid::Priority", name = "RecommendationPriority")]
pub enum Priority {
    /// Most urgent: listed first.
    High,
    /// Listed after the high ones.
    Medium,
    /// Least urgent: listed last.
    Low,
}

/// What an indicator reads, over the programme's campaigns and activity in
/// the report's period.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SourceKind {
    /// Mean score of the scale named by `code`, weighted by answers.
    ScaleMean,
    /// Mean answer to the item named by `code`, weighted by answers.
    ItemMean,
    /// Net promoter score of the NPS item named by `code`.
    Nps,
    /// Invitations answered ÷ invitations sent, in %.
    ResponseRate,
    /// Sessions held ÷ learners in an active relation.
    SessionsPerLearner,
    /// Relations without a breach of the standards ÷ active relations, in %.
    StandardsCompliance,
    /// Actual cost of the sessions held ÷ learners who attended one.
    CostPerLearner,
    /// Training hours completed ÷ tutors in an active relation.
    TrainingHoursPerTutor,
}

/// What an indicator reads: a kind of figure and, for some kinds, the code
/// of the scale or item read.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "IndicatorSourceInput")]
pub struct IndicatorSource {
    /// The kind of figure. SCALE_MEAN, ITEM_MEAN and NPS read a `code`;
    /// the other kinds take none.
    pub kind: SourceKind,
    /// The scale or item code, for the kinds that read one.
    pub code: Option<String>,
}

/// A range of an indicator's values, and the level and score a value in
/// it gets.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "BandInput")]
pub struct Band {
    /// Level of a value in the band.
    pub level: Level,
    /// Lowest value of the band, included; none: no lower end.
    pub from: Option<f64>,
    /// Value where the band ends, excluded; none: no upper end.
    pub to: Option<f64>,
    /// Score out of 100.
    pub score: f64,
}

/// A figure read from the programme's data over the report's period, and
/// scored by the band its value falls in.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "IndicatorInput")]
pub struct Indicator {
    /// Code unique in the grid among criteria and indicators; rules name
    /// it as their `subject`.
    pub code: String,
    /// Name shown in reports.
    pub name: String,
    /// Weight within its criterion.
    #[graphql(default = 1.0)]
    pub weight: f64,
    /// What the indicator reads.
    pub source: IndicatorSource,
    /// 1 to 50 bands that neither overlap nor leave a gap; a value in no
    /// band leaves the indicator unscored.
    pub bands: Vec<Band>,
}

/// A weighted part of a grid, scored as the weighted mean of its
/// indicators' scores.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "CriterionInput")]
pub struct Criterion {
    /// Code unique in the grid among criteria and indicators; rules name
    /// it as their `subject`.
    pub code: String,
    /// Name shown in reports.
    pub name: String,
    /// What the criterion assesses; may be empty.
    #[graphql(default)]
    pub description: String,
    /// Weight in the grid's total, above 0 and at most 1000.
    pub weight: f64,
    /// Its indicators, 1 to 50, in the order given.
    pub indicators: Vec<Indicator>,
}

/// A recommendation the grid proposes when its subject reaches one of the
/// levels.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "RuleInput")]
pub struct Rule {
    /// Code of a criterion or an indicator.
    pub subject: String,
    /// The levels of the subject that trigger the recommendation; at
    /// least one.
    pub levels: Vec<Level>,
    /// Priority of the recommendation proposed.
    pub priority: Priority,
    /// Who should act: coordinators, tutors, management…
    pub audience: String,
    /// Wording of the recommendation proposed.
    pub text: String,
}

fn source_to(s: &IndicatorSource) -> Result<grid::Source, Problem> {
    let code = || {
        s.code
            .clone()
            .ok_or_else(|| Problem::field("source.code", "this kind of source reads a code"))
    };
    let reads_code = matches!(
        s.kind,
        SourceKind::ScaleMean | SourceKind::ItemMean | SourceKind::Nps
    );
    if !reads_code && s.code.is_some() {
        return Err(Problem::field(
            "source.code",
            "this kind of source reads no code",
        ));
    }
    Ok(match s.kind {
        SourceKind::ScaleMean => grid::Source::ScaleMean { scale: code()? },
        SourceKind::ItemMean => grid::Source::ItemMean { item: code()? },
        SourceKind::Nps => grid::Source::Nps { item: code()? },
        SourceKind::ResponseRate => grid::Source::ResponseRate,
        SourceKind::SessionsPerLearner => grid::Source::SessionsPerLearner,
        SourceKind::StandardsCompliance => grid::Source::StandardsCompliance,
        SourceKind::CostPerLearner => grid::Source::CostPerLearner,
        SourceKind::TrainingHoursPerTutor => grid::Source::TrainingHoursPerTutor,
    })
}

fn source_from(s: &grid::Source) -> IndicatorSource {
    let (kind, code) = match s {
        grid::Source::ScaleMean { scale } => (SourceKind::ScaleMean, Some(scale.clone())),
        grid::Source::ItemMean { item } => (SourceKind::ItemMean, Some(item.clone())),
        grid::Source::Nps { item } => (SourceKind::Nps, Some(item.clone())),
        grid::Source::ResponseRate => (SourceKind::ResponseRate, None),
        grid::Source::SessionsPerLearner => (SourceKind::SessionsPerLearner, None),
        grid::Source::StandardsCompliance => (SourceKind::StandardsCompliance, None),
        grid::Source::CostPerLearner => (SourceKind::CostPerLearner, None),
        grid::Source::TrainingHoursPerTutor => (SourceKind::TrainingHoursPerTutor, None),
    };
    IndicatorSource { kind, code }
}

/// A grid as sent, turned into the worker's definition; every problem is
/// named by its path in the input.
fn definition(criteria: &[Criterion], rules: &[Rule]) -> ApiResult<grid::Definition> {
    let mut problems = Vec::new();
    let mut out = grid::Definition {
        criteria: Vec::with_capacity(criteria.len()),
        rules: rules
            .iter()
            .map(|r| grid::Rule {
                subject: r.subject.clone(),
                levels: r.levels.iter().map(|l| (*l).into()).collect(),
                priority: r.priority.into(),
                audience: r.audience.trim().to_owned(),
                text: r.text.trim().to_owned(),
            })
            .collect(),
    };
    for (ci, c) in criteria.iter().enumerate() {
        let mut indicators = Vec::with_capacity(c.indicators.len());
        for (ii, i) in c.indicators.iter().enumerate() {
            let source = source_to(&i.source).unwrap_or_else(|mut p| {
                p.field = Some(format!(
                    "criteria[{ci}].indicators[{ii}].{}",
                    p.field.unwrap_or_default()
                ));
                problems.push(p);
                grid::Source::ResponseRate
            });
            indicators.push(grid::Indicator {
                code: i.code.trim().to_owned(),
                name: i.name.trim().to_owned(),
                weight: i.weight,
                source,
                bands: i
                    .bands
                    .iter()
                    .map(|b| grid::Band {
                        level: b.level.into(),
                        from: b.from,
                        to: b.to,
                        score: b.score,
                    })
                    .collect(),
            });
        }
        out.criteria.push(grid::Criterion {
            code: c.code.trim().to_owned(),
            name: c.name.trim().to_owned(),
            description: c.description.trim().to_owned(),
            weight: c.weight,
            indicators,
        });
    }
    problems.extend(
        grid::check(&out)
            .into_iter()
            .map(|p| Problem::field(p.path, p.message)),
    );
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::invalid(problems))
    }
}

pub struct AnalyticalGrid {
    row: analytical_grid::Model,
    def: grid::Definition,
}

impl AnalyticalGrid {
    fn new(row: analytical_grid::Model) -> ApiResult<Self> {
        let def = serde_json::from_value(row.definition.clone())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("grid {}: {e}", row.id)))?;
        Ok(Self { row, def })
    }
}

/// Weighted criteria with indicators and bands, and the rules that turn
/// levels into recommendations. Reusable across programmes and periods.
#[Object]
impl AnalyticalGrid {
    /// Global ID of the grid; give it as `gridId` to
    /// `generateProgrammeReport`.
    async fn id(&self) -> ID {
        ids::encode("AnalyticalGrid", self.row.id)
    }
    /// Name of the grid, unique in the organisation.
    async fn name(&self) -> &str {
        &self.row.name
    }
    /// What the grid evaluates; may be empty.
    async fn description(&self) -> &str {
        &self.row.description
    }
    /// When the grid was created (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// Its criteria, in the order given.
    async fn criteria(&self) -> Vec<Criterion> {
        self.def
            .criteria
            .iter()
            .map(|c| Criterion {
                code: c.code.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                weight: c.weight,
                indicators: c
                    .indicators
                    .iter()
                    .map(|i| Indicator {
                        code: i.code.clone(),
                        name: i.name.clone(),
                        weight: i.weight,
                        source: source_from(&i.source),
                        bands: i
                            .bands
                            .iter()
                            .map(|b| Band {
                                level: b.level.into(),
                                from: b.from,
                                to: b.to,
                                score: b.score,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }
    /// Its rules, in the order given.
    async fn rules(&self) -> Vec<Rule> {
        self.def
            .rules
            .iter()
            .map(|r| Rule {
                subject: r.subject.clone(),
                levels: r.levels.iter().map(|l| (*l).into()).collect(),
                priority: r.priority.into(),
                audience: r.audience.clone(),
                text: r.text.clone(),
            })
            .collect()
    }
}

/// An indicator's value in a report, its level and score, and what it rests on.
#[derive(SimpleObject)]
pub struct IndicatorScore {
    /// The indicator's code in the grid.
    pub code: String,
    /// The indicator's name in the grid.
    pub name: String,
    /// What the value is.
    pub source: String,
    /// The figure read over the period; null without data to read.
    pub value: Option<f64>,
    /// Answers, invitations or relations the value rests on.
    pub n: u64,
    /// How the value was computed: the evidence.
    pub basis: String,
    /// Level of the band the value falls in; null when unscored.
    pub level: Option<Level>,
    /// Score out of 100 of that band; null when the value is missing or
    /// falls in no band.
    pub score: Option<f64>,
    /// The value in the period before.
    pub previous: Option<f64>,
}

/// A criterion's score in a programme report, with its indicators'.
#[derive(SimpleObject)]
pub struct CriterionScore {
    /// The criterion's code in the grid.
    pub code: String,
    /// The criterion's name in the grid.
    pub name: String,
    /// Weight of the criterion in the report's total.
    pub weight: f64,
    /// Weighted mean of the indicators scored, out of 100.
    pub score: Option<f64>,
    /// Level of the score; null when no indicator is scored.
    pub level: Option<Level>,
    /// Its score over the period before; null when unscored then.
    pub previous_score: Option<f64>,
    /// Its indicators' scores, in the grid's order.
    pub indicators: Vec<IndicatorScore>,
}

/// Where a coordinator's decision on a recommendation stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::RecommendationStatus")]
pub enum RecommendationDecision {
    /// Proposed by a grid rule, or put back; shown in the report.
    Proposed,
    /// Accepted; shown in the report, marked as accepted.
    Accepted,
    /// Rejected; left out of the report's page, CSV and shared links, but
    /// still listed in `ProgrammeReport.recommendations`.
    Rejected,
}

pub struct Recommendation(recommendation::Model);

/// A recommendation of a programme report: proposed by a grid rule with
/// its evidence, then edited and decided by a coordinator.
#[Object(name = "ProgrammeRecommendation")]
impl Recommendation {
    /// Global ID of the recommendation; give it as `recommendationId` to
    /// `decideRecommendation`.
    async fn id(&self) -> ID {
        ids::encode("Recommendation", self.0.id)
    }
    /// The grid rule that proposed it.
    async fn rule(&self) -> &str {
        &self.0.rule
    }
    /// Its priority, as the rule gave it or a coordinator changed it.
    async fn priority(&self) -> Priority {
        match self.0.priority.as_str() {
            "high" => Priority::High,
            "medium" => Priority::Medium,
            _ => Priority::Low,
        }
    }
    /// Who should act, as the rule gave it or a coordinator edited it.
    async fn audience(&self) -> &str {
        &self.0.audience
    }
    /// Its wording, as the rule gave it or a coordinator edited it.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The subject, its level and score, and the figures behind them.
    async fn evidence(&self) -> Json<serde_json::Value> {
        Json(self.0.evidence.clone())
    }
    /// The coordinator's decision.
    async fn status(&self) -> RecommendationDecision {
        self.0.status.into()
    }
    /// When it was last decided (UTC); null while never decided.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
}

pub struct ProgrammeReport {
    row: programme_report::Model,
    data: Result<worker::programme_report::ReportData, String>,
}

impl ProgrammeReport {
    pub fn new(row: programme_report::Model) -> Self {
        let data = serde_json::from_value(row.data.clone()).map_err(|e| e.to_string());
        Self { row, data }
    }

    fn parsed(&self) -> ApiResult<&worker::programme_report::ReportData> {
        self.data.as_ref().map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("programme report {}: {e}", self.row.id))
        })
    }
}

/// A grid applied to a programme over a period; each generation is a new
/// version.
#[Object]
impl ProgrammeReport {
    /// Global ID of this report version.
    async fn id(&self) -> ID {
        ids::encode("ProgrammeReport", self.row.id)
    }
    /// Version number within the programme, from 1; each report generated
    /// for the programme adds one, whatever its grid or period.
    async fn version(&self) -> i32 {
        self.row.version
    }
    /// First day of the period evaluated.
    async fn period_from(&self) -> NaiveDate {
        self.row.period_from
    }
    /// Last day of the period evaluated, included.
    async fn period_to(&self) -> NaiveDate {
        self.row.period_to
    }
    /// First day of the period before, of the same length, that the trends
    /// compare with.
    async fn previous_period_from(&self) -> Result<NaiveDate> {
        Ok(self.parsed()?.previous_period.from)
    }
    /// Last day of the period before: the day before `periodFrom`.
    async fn previous_period_to(&self) -> Result<NaiveDate> {
        Ok(self.parsed()?.previous_period.to)
    }
    /// Name of the analytical grid applied, as it was then.
    async fn grid(&self) -> Result<&str> {
        Ok(&self.parsed()?.grid)
    }
    /// When the report was generated (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// Weighted total of the criteria scored, out of 100.
    async fn total_score(&self) -> Result<Option<f64>> {
        Ok(self.parsed()?.scored.total)
    }
    /// Level of the total score; null when no criterion is scored.
    async fn level(&self) -> Result<Option<Level>> {
        Ok(self.parsed()?.scored.level.map(Into::into))
    }
    /// Total score of the same grid over the period before, out of 100;
    /// null when nothing could be scored then.
    async fn previous_total_score(&self) -> Result<Option<f64>> {
        Ok(self.parsed()?.previous.total)
    }
    /// Each criterion's score, in the grid's order, with its score over
    /// the period before.
    async fn criteria(&self) -> Result<Vec<CriterionScore>> {
        let data = self.parsed()?;
        let previous = |code: &str| data.trends.iter().find(|t| t.code == code);
        Ok(data
            .scored
            .criteria
            .iter()
            .zip(&data.previous.criteria)
            .map(|(c, p)| CriterionScore {
                code: c.code.clone(),
                name: c.name.clone(),
                weight: c.weight,
                score: c.score,
                level: c.level.map(Into::into),
                previous_score: p.score,
                indicators: c
                    .indicators
                    .iter()
                    .map(|i| IndicatorScore {
                        code: i.code.clone(),
                        name: i.name.clone(),
                        source: i.source.clone(),
                        value: i.measure.value,
                        n: i.measure.n,
                        basis: i.measure.basis.clone(),
                        level: i.level.map(Into::into),
                        score: i.score,
                        previous: previous(&i.code).and_then(|t| t.previous),
                    })
                    .collect(),
            })
            .collect())
    }
    /// Everything the report says, as its JSON document: descriptive data,
    /// campaigns, trends with Welch's tests, dyadic comparisons.
    async fn data(&self) -> Result<Json<&worker::programme_report::ReportData>> {
        Ok(Json(self.parsed()?))
    }
    /// The recommendations of this version with the coordinators'
    /// decisions, rejected ones included, most urgent first.
    async fn recommendations(&self, ctx: &Context<'_>) -> Result<Vec<Recommendation>> {
        let mut rows = ctx
            .loader()
            .load_one(crate::loaders::RecommendationsOf(self.row.id))
            .await?
            .unwrap_or_default();
        rows.sort_by_key(|r| {
            (
                worker::programme_report::priority_rank(&r.priority),
                r.position,
            )
        });
        Ok(rows.into_iter().map(Recommendation).collect())
    }
    /// The report as one printable HTML page with SVG charts.
    async fn html(&self) -> &str {
        &self.row.html
    }
    /// The scores table as CSV (RFC 4180, UTF-8 with a byte order mark).
    async fn csv(&self) -> &str {
        &self.row.csv
    }
}

/// A new analytical grid, checked as a whole: BAD_USER_INPUT names every
/// problem by its path, CONFLICT says the name is taken.
#[derive(InputObject)]
pub struct CreateAnalyticalGridInput {
    /// Name, 1 to 200 characters on one line, unique in the organisation.
    pub name: String,
    /// What the grid evaluates, at most 2,000 characters.
    #[graphql(default)]
    pub description: String,
    /// 1 to 50 criteria; codes of criteria and indicators are unique in
    /// the grid.
    pub criteria: Vec<Criterion>,
    /// At most 50 rules, each naming a criterion or indicator code.
    #[graphql(default)]
    pub rules: Vec<Rule>,
}

/// The programme, grid and period of a report to generate. The period
/// must have begun, cover at most 1,098 days and fall within the years
/// 1900 to 2200 (BAD_USER_INPUT otherwise).
#[derive(InputObject)]
pub struct GenerateProgrammeReportInput {
    /// Global ID of the programme; NOT_FOUND outside the caller's
    /// organisation.
    pub programme_id: ID,
    /// Global ID of the analytical grid to apply; NOT_FOUND outside the
    /// caller's organisation.
    pub grid_id: ID,
    /// First day of the period, included.
    pub from: NaiveDate,
    /// Last day of the period, included. The period before, of the same
    /// length, gives the trends.
    pub to: NaiveDate,
}

/// A coordinator's decision on a recommendation, with edits; fields left
/// null stay as they are.
#[derive(InputObject)]
pub struct DecideRecommendationInput {
    /// Global ID of the recommendation; NOT_FOUND outside the caller's
    /// organisation.
    pub recommendation_id: ID,
    /// The decision; it replaces any earlier one.
    pub status: RecommendationDecision,
    /// New wording, if edited.
    pub text: Option<String>,
    /// New priority, if changed; it moves the recommendation in the
    /// report's order.
    pub priority: Option<Priority>,
    /// New audience, 1 to 200 characters on one line, if edited.
    pub audience: Option<String>,
}

/// Acknowledges a programme report request.
#[derive(SimpleObject)]
pub struct GenerateProgrammeReportPayload {
    /// True once the report is queued; it appears in `programmeReports`
    /// when the worker has written it.
    pub queued: bool,
}

/// Creates a grid in the caller's organisation from checked input.
pub async fn create_grid(
    db: &sea_orm::DatabaseConnection,
    organisation_id: i64,
    input: CreateAnalyticalGridInput,
) -> ApiResult<analytical_grid::Model> {
    let mut problems = Vec::new();
    crate::validate::name(&mut problems, "name", &input.name, crate::validate::NAME);
    if input.description.chars().count() > grid::MAX_TEXT {
        problems.push(Problem::field(
            "description",
            format!("at most {} characters", grid::MAX_TEXT),
        ));
    }
    let def = definition(&input.criteria, &input.rules);
    let def = match def {
        Ok(def) if problems.is_empty() => def,
        Ok(_) => return Err(ApiError::invalid(problems)),
        Err(ApiError::BadInput(_, more)) => {
            problems.extend(more);
            return Err(ApiError::invalid(problems));
        }
        Err(e) => return Err(e),
    };
    let exists = analytical_grid::Entity::find()
        .filter(analytical_grid::Column::OrganisationId.eq(organisation_id))
        .filter(analytical_grid::Column::Name.eq(input.name.trim()))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(ApiError::Conflict(format!(
            "a grid named {:?} exists already",
            input.name.trim()
        )));
    }
    Ok(
        analytical_grid::Entity::insert(analytical_grid::ActiveModel {
            organisation_id: Set(organisation_id),
            name: Set(input.name.trim().to_owned()),
            description: Set(input.description.trim().to_owned()),
            definition: Set(serde_json::to_value(&def).map_err(|e| ApiError::Internal(e.into()))?),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?,
    )
}

/// Checks a report request against the caller's organisation.
pub async fn request(
    db: &sea_orm::DatabaseConnection,
    organisation_id: i64,
    requested_by: Option<i64>,
    input: &GenerateProgrammeReportInput,
) -> ApiResult<Request> {
    let programme_id = ids::decode(&input.programme_id, "Programme")?;
    let grid_id = ids::decode(&input.grid_id, "AnalyticalGrid")?;
    let days = (input.to - input.from).num_days();
    if days < 0 {
        return Err(ApiError::invalid(vec![Problem::field(
            "to",
            "must not be before from",
        )]));
    }
    for (field, day) in [("from", input.from), ("to", input.to)] {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
            return Err(ApiError::invalid(vec![Problem::field(
                field,
                format!("a date between {FIRST_YEAR} and {LAST_YEAR}"),
            )]));
        }
    }
    if input.from > Utc::now().date_naive() {
        return Err(ApiError::invalid(vec![Problem::field(
            "from",
            "the period has not begun: there is nothing to evaluate yet",
        )]));
    }
    if days >= MAX_PERIOD_DAYS {
        return Err(ApiError::invalid(vec![Problem::field(
            "to",
            format!("a period covers at most {MAX_PERIOD_DAYS} days"),
        )]));
    }
    programme::Entity::find_by_id(programme_id)
        .filter(programme::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("programme"))?;
    analytical_grid::Entity::find_by_id(grid_id)
        .filter(analytical_grid::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("grid"))?;
    Ok(Request {
        programme_id,
        grid_id,
        period: Period {
            from: input.from,
            to: input.to,
        },
        requested_by,
    })
}

#[derive(Default)]
pub struct EvaluationQuery;

#[Object]
impl EvaluationQuery {
    /// The organisation's analytical grids, by name.
    async fn analytical_grids(&self, ctx: &Context<'_>) -> Result<Vec<AnalyticalGrid>> {
        let caller = ctx.caller_in(READERS)?;
        let rows = analytical_grid::Entity::find()
            .filter(analytical_grid::Column::OrganisationId.eq(caller.organisation_id))
            .order_by_asc(analytical_grid::Column::Name)
            .all(&ctx.state().db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows
            .into_iter()
            .map(AnalyticalGrid::new)
            .collect::<ApiResult<_>>()?)
    }

    /// A programme's reports, newest version first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn programme_reports(
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
    ) -> Result<Page<ProgrammeReport>> {
        let caller = ctx.caller_in(READERS)?;
        let programme_id = ids::decode(&programme_id, "Programme")?;
        programme::Entity::find_by_id(programme_id)
            .filter(programme::Column::OrganisationId.eq(caller.organisation_id))
            .one(&ctx.state().db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::NotFound("programme"))?;
        let query = programme_report::Entity::find()
            .filter(programme_report::Column::OrganisationId.eq(caller.organisation_id))
            .filter(programme_report::Column::ProgrammeId.eq(programme_id));
        Ok(keyset(
            &ctx.state().db,
            query,
            &Sort::by_id(
                format!("programmeReports@{programme_id}"),
                programme_report::Column::Id,
                sea_orm::Order::Desc,
            ),
            PageArgs::new(first, after, last, before),
            ProgrammeReport::new,
        )
        .await?)
    }
}

#[derive(Default)]
pub struct EvaluationMutation;

#[Object]
impl EvaluationMutation {
    /// Creates an analytical grid; every problem of the input is named by
    /// its path. Coordinators only.
    async fn create_analytical_grid(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The grid's name, description, criteria and rules.")]
        input: CreateAnalyticalGridInput,
    ) -> Result<AnalyticalGrid> {
        let caller = ctx.caller_in(MANAGERS)?;
        let row = create_grid(&ctx.state().db, caller.organisation_id, input).await?;
        Ok(AnalyticalGrid::new(row)?)
    }

    /// Queues a programme report: the grid applied to the programme over
    /// the period, compared with the period before. Coordinators only.
    async fn generate_programme_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme, the grid and the period to report on.")]
        input: GenerateProgrammeReportInput,
    ) -> Result<GenerateProgrammeReportPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let state = ctx.state();
        let request = request(
            &state.db,
            caller.organisation_id,
            Some(caller.user_id),
            &input,
        )
        .await?;
        state.enqueue(Job::GenerateProgrammeReport(request)).await?;
        Ok(GenerateProgrammeReportPayload { queued: true })
    }

    /// Edits a recommendation and records the coordinator's decision.
    async fn decide_recommendation(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The recommendation, the decision, and any new text, priority or audience."
        )]
        input: DecideRecommendationInput,
    ) -> Result<Recommendation> {
        let caller = ctx.caller_in(MANAGERS)?;
        let db = &ctx.state().db;
        let id = ids::decode(&input.recommendation_id, "Recommendation")?;
        let mut problems = Vec::new();
        if let Some(text) = &input.text {
            crate::validate::name(&mut problems, "text", text, grid::MAX_TEXT);
        }
        if let Some(audience) = &input.audience {
            crate::validate::name(&mut problems, "audience", audience, crate::validate::NAME);
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid(problems).into());
        }
        let row = recommendation::Entity::find_by_id(id)
            .filter(recommendation::Column::OrganisationId.eq(caller.organisation_id))
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::NotFound("recommendation"))?;
        let status: RecommendationStatus = input.status.into();
        let mut update = recommendation::Entity::update_many()
            .col_expr(recommendation::Column::Status, Expr::value(status))
            .col_expr(
                recommendation::Column::DecidedBy,
                Expr::value(Some(caller.user_id)),
            )
            .col_expr(
                recommendation::Column::DecidedAt,
                Expr::value(Some(Utc::now())),
            );
        if let Some(text) = input.text {
            update = update.col_expr(recommendation::Column::Text, Expr::value(text.trim()));
        }
        if let Some(audience) = input.audience {
            update = update.col_expr(
                recommendation::Column::Audience,
                Expr::value(audience.trim()),
            );
        }
        if let Some(priority) = input.priority {
            let priority: grid::Priority = priority.into();
            update = update.col_expr(
                recommendation::Column::Priority,
                Expr::value(priority.name()),
            );
        }
        // The decision and the version's page, CSV and shared links that
        // show it change together.
        let txn = worker::db::begin_write(db).await.map_err(ApiError::from)?;
        update
            .filter(recommendation::Column::Id.eq(row.id))
            .exec(&txn)
            .await
            .map_err(ApiError::from)?;
        worker::programme_report::apply_decisions(&txn, row.report_id)
            .await
            .map_err(ApiError::internal)?;
        txn.commit().await.map_err(ApiError::from)?;
        let row = recommendation::Entity::find_by_id(row.id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::NotFound("recommendation"))?;
        Ok(Recommendation(row))
    }
}
