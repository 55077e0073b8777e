//! Programme reports: an analytical grid applied to a programme over a
//! period. The report gathers the programme's descriptive data and the
//! figures of its campaigns, scores the grid on them, compares them with
//! the period before, and proposes the grid's recommendations.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{
    Anonymity, Audience, MatchingStatus, PersonKind, SessionStatus, analytical_grid, campaign,
    campaign_result, invitation, matching, need, person, programme, programme_report,
    questionnaire, recommendation, relation_alert, support_axis, training_completion,
    training_module, tutor_role, tutoring_session,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::grid::{self, Definition, Measure, Proposal, Scored, Source};
use crate::jobs::{JobError, load_definition, load_responses};
use crate::results::{CampaignResults, respondent_scores};
use crate::stats::{self, Summary};

/// Days `[from, to]`, both included, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn start(&self) -> DateTime<Utc> {
        self.from.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The first instant after the period.
    pub fn end(&self) -> DateTime<Utc> {
        self.to
            .succ_opt()
            .unwrap_or(NaiveDate::MAX)
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
    }

    /// The period of the same length that ends the day before this one;
    /// none before the calendar's first day.
    pub fn previous(&self) -> Option<Period> {
        let days = (self.to - self.from).num_days();
        let to = self.from.pred_opt()?;
        Some(Period {
            from: to.checked_sub_signed(Duration::days(days))?,
            to,
        })
    }

    pub fn holds(&self, t: DateTime<Utc>) -> bool {
        t >= self.start() && t < self.end()
    }
}

/// Everything a programme report says; the HTML and CSV are rendered from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub programme: String,
    pub grid: String,
    pub version: i32,
    pub generated_at: DateTime<Utc>,
    pub period: Period,
    pub previous_period: Period,
    pub descriptive: Descriptive,
    pub campaigns: Vec<CampaignLine>,
    pub scored: Scored,
    /// The same grid scored on the period before.
    pub previous: Scored,
    /// When the two periods scored different criteria, both totals over
    /// the criteria scored in both, which alone compare.
    #[serde(default)]
    pub comparable: Option<Comparable>,
    pub trends: Vec<Trend>,
    pub dyadic: Vec<DyadicLine>,
    pub recommendations: Vec<Proposal>,
    /// Smallest group shown, the strictest of the campaigns'.
    pub min_group_size: usize,
}

/// Who took part and what was done in the period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Descriptive {
    /// Learners and tutors in a relation active during the period.
    pub learners: u64,
    pub tutors: u64,
    pub by_role: Vec<RoleLine>,
    pub by_axis: Vec<AxisLine>,
    /// Relations by status at the end of the period, of those begun by then.
    pub matchings: BTreeMap<String, u64>,
    pub sessions_held: u64,
    pub hours_held: f64,
    /// Learners and tutors in the organisation's records.
    pub people_by_kind: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleLine {
    pub role: String,
    pub learners: u64,
    pub tutors: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisLine {
    pub axis: String,
    /// Learners with a need on the axis recorded by the end of the period.
    pub learners_in_need: u64,
    pub weight: f64,
}

/// One campaign of the period, with its participation and scale figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignLine {
    pub name: String,
    pub audience: String,
    pub anonymity: String,
    pub invited: u64,
    pub responses: u64,
    pub response_rate: Option<f64>,
    /// Response rates by the invitees' kind (learners, tutors).
    pub rates_by_group: Vec<GroupRate>,
    pub suppressed: bool,
    pub scales: Vec<ScaleLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRate {
    pub group: String,
    pub invited: u64,
    pub responded: u64,
    pub rate: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleLine {
    pub code: String,
    pub name: String,
    pub n: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub alpha: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparable {
    /// Codes of the criteria scored in both periods.
    pub criteria: Vec<String>,
    pub current: Option<f64>,
    pub previous: Option<f64>,
}

/// Totals over the criteria both periods scored, when they scored
/// different ones.
fn comparable(now: &Scored, before: &Scored) -> Option<Comparable> {
    let both: Vec<(&grid::CriterionScore, &grid::CriterionScore)> = now
        .criteria
        .iter()
        .zip(&before.criteria)
        .filter(|(a, b)| a.score.is_some() && b.score.is_some())
        .collect();
    let scored = |s: &Scored| s.criteria.iter().filter(|c| c.score.is_some()).count();
    if both.len() == scored(now) && both.len() == scored(before) {
        return None;
    }
    let total = |later: bool| {
        let (sum, weights) = both
            .iter()
            .map(|(now, before)| if later { now } else { before })
            .filter_map(|c| Some((c.weight, c.score?)))
            .fold((0.0, 0.0), |(sum, ws), (w, s)| (sum + w * s, ws + w));
        (weights > 0.0).then(|| sum / weights)
    };
    Some(Comparable {
        criteria: both.iter().map(|(a, _)| a.code.clone()).collect(),
        current: total(true),
        previous: total(false),
    })
}

/// An indicator in this period against the one before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub code: String,
    pub name: String,
    pub previous: Option<f64>,
    pub current: Option<f64>,
    pub change: Option<f64>,
    pub previous_level: Option<grid::Level>,
    pub current_level: Option<grid::Level>,
    /// For means: Welch's test of the difference, when both periods have
    /// the spread of their answers.
    pub test: Option<stats::Trend>,
}

/// The tutor's and the learner's scores on the same scale for the same
/// relations, compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DyadicLine {
    pub scale: String,
    pub name: String,
    /// Fewer pairs than the minimum group size: no figures.
    pub suppressed: bool,
    /// First the tutors' scores, second the learners'.
    pub comparison: Option<stats::Dyadic>,
    pub pairs: usize,
}

/// A campaign of the period and what its figures rest on.
struct Evaluated {
    campaign: campaign::Model,
    questionnaire: questionnaire::Model,
    results: CampaignResults,
}

/// The relations active at some point of a period.
fn active_during(matchings: &[matching::Model], period: &Period) -> Vec<matching::Model> {
    matchings
        .iter()
        .filter(|m| matches!(m.status, MatchingStatus::Active | MatchingStatus::Ended))
        .filter(|m| {
            m.activated_at.is_some_and(|a| a < period.end())
                && m.ended_at.is_none_or(|e| e >= period.start())
        })
        .cloned()
        .collect()
}

/// Campaigns of the programme that opened within the period, with fresh figures.
async fn evaluated(
    db: &DatabaseConnection,
    programme_id: i64,
    period: &Period,
) -> Result<Vec<Evaluated>, JobError> {
    let campaigns = campaign::Entity::find()
        .filter(campaign::Column::ProgrammeId.eq(programme_id))
        .filter(campaign::Column::OpensAt.gte(period.start()))
        .filter(campaign::Column::OpensAt.lt(period.end()))
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(campaigns.len());
    for c in campaigns {
        let results = crate::jobs::aggregate(db, c.id).await?;
        let questionnaire = questionnaire::Entity::find_by_id(c.questionnaire_id)
            .one(db)
            .await?
            .ok_or(JobError::NotFound("questionnaire"))?;
        out.push(Evaluated {
            campaign: c,
            questionnaire,
            results,
        });
    }
    Ok(out)
}

/// Combines summaries of the same variable from several groups: the mean
/// weighted by answers, and the standard deviation of all answers pooled.
pub fn pool(parts: &[&Summary]) -> Summary {
    let present: Vec<(f64, f64, Option<f64>)> = parts
        .iter()
        .filter_map(|s| Some((s.n as f64, s.mean?, s.sd)))
        .filter(|(n, _, _)| *n > 0.0)
        .collect();
    let n: f64 = present.iter().map(|(n, _, _)| n).sum();
    let missing = parts.iter().map(|s| s.missing).sum();
    if n == 0.0 {
        return Summary {
            missing,
            ..Summary::default()
        };
    }
    let mean = stats::pooled_mean(present.iter().map(|(n, m, _)| (Some(*m), *n as usize)));
    // Σ (n−1)·sd² + Σ n·(mean_i − mean)², over n − 1.
    let sd = mean.and_then(|mean| {
        let spread: Option<f64> = present
            .iter()
            .map(|(k, m, sd)| {
                let within = if *k > 1.0 {
                    (k - 1.0) * (*sd)?.powi(2)
                } else {
                    0.0
                };
                Some(within + k * (m - mean).powi(2))
            })
            .sum();
        (n > 1.0)
            .then(|| spread.map(|s| (s / (n - 1.0)).sqrt()))
            .flatten()
    });
    Summary {
        n: n as usize,
        missing,
        mean,
        sd,
        ..Summary::default()
    }
}

/// The answers a source reads, pooled over the campaigns asking it.
fn pooled_answers(source: &Source, campaigns: &[Evaluated]) -> Option<Summary> {
    let parts: Vec<&Summary> = match source {
        Source::ScaleMean { scale } => campaigns
            .iter()
            .flat_map(|e| e.results.scales.iter().filter(|s| &s.code == scale))
            .map(|s| &s.score)
            .collect(),
        Source::ItemMean { item } => campaigns
            .iter()
            .flat_map(|e| e.results.items.iter().filter(|i| &i.code == item))
            .map(|i| &i.summary)
            .collect(),
        _ => return None,
    };
    (!parts.is_empty()).then(|| pool(&parts))
}

/// The programme's activity in a period, as the grid's sources read it.
struct Activity {
    relations: Vec<matching::Model>,
    sessions: Vec<tutoring_session::Model>,
    breached: BTreeSet<i64>,
    training_hours: f64,
    cost: crate::costs::Breakdown,
}

async fn activity(
    db: &DatabaseConnection,
    programme_id: i64,
    matchings: &[matching::Model],
    period: &Period,
) -> Result<Activity, JobError> {
    let relations = active_during(matchings, period);
    let sessions = tutoring_session::Entity::find()
        .filter(tutoring_session::Column::ProgrammeId.eq(programme_id))
        .filter(tutoring_session::Column::Status.eq(SessionStatus::Held))
        .filter(tutoring_session::Column::HeldAt.gte(period.start()))
        .filter(tutoring_session::Column::HeldAt.lt(period.end()))
        .all(db)
        .await?;
    let breached: BTreeSet<i64> = relation_alert::Entity::find()
        .select_only()
        .column(relation_alert::Column::MatchingId)
        .filter(relation_alert::Column::ProgrammeId.eq(programme_id))
        .filter(relation_alert::Column::Day.gte(period.from))
        .filter(relation_alert::Column::Day.lte(period.to))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let tutors: BTreeSet<i64> = relations.iter().map(|m| m.tutor_id).collect();
    let modules: HashMap<i64, f64> = training_module::Entity::find()
        .filter(training_module::Column::ProgrammeId.eq(programme_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.hours))
        .collect();
    let training_hours = training_completion::Entity::find()
        .filter(training_completion::Column::ModuleId.is_in(modules.keys().copied()))
        .filter(training_completion::Column::PersonId.is_in(tutors.iter().copied()))
        .filter(training_completion::Column::CompletedOn.gte(period.from))
        .filter(training_completion::Column::CompletedOn.lte(period.to))
        .all(db)
        .await?
        .iter()
        .filter_map(|c| modules.get(&c.module_id))
        .fold(0.0, |total, hours| total + hours);
    let catalogue = crate::costs::Catalogue::load(db, programme_id).await?;
    let held = crate::costs::held(
        db,
        &catalogue,
        programme_id,
        Some((period.start(), period.end())),
    )
    .await?;
    Ok(Activity {
        relations,
        sessions,
        breached,
        training_hours,
        cost: crate::costs::actual(&held),
    })
}

fn ratio(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

/// The value of each source the grid reads, with its basis.
fn measures(
    def: &Definition,
    campaigns: &[Evaluated],
    activity: &Activity,
) -> HashMap<Source, Measure> {
    let mut out = HashMap::new();
    let learners: BTreeSet<i64> = activity.relations.iter().map(|m| m.learner_id).collect();
    let tutors: BTreeSet<i64> = activity.relations.iter().map(|m| m.tutor_id).collect();
    for source in def
        .criteria
        .iter()
        .flat_map(|c| c.indicators.iter().map(|i| &i.source))
    {
        if out.contains_key(source) {
            continue;
        }
        let measure = match source {
            Source::ScaleMean { .. } | Source::ItemMean { .. } => {
                let asked = campaigns
                    .iter()
                    .filter(|e| pooled_answers(source, std::slice::from_ref(e)).is_some())
                    .count();
                match pooled_answers(source, campaigns) {
                    Some(s) => Measure {
                        value: s.mean,
                        n: s.n as u64,
                        basis: format!(
                            "mean {} of {} answers in {asked} campaign(s), weighted by answers",
                            s.mean.map_or("–".into(), |m| format!("{m:.2}")),
                            s.n
                        ),
                    },
                    None => Measure {
                        basis: "no campaign of the period asks it".into(),
                        ..Measure::default()
                    },
                }
            }
            Source::Nps { item } => {
                let (mut promoters, mut detractors, mut answered) = (0usize, 0usize, 0usize);
                for e in campaigns {
                    let nps = e
                        .results
                        .items
                        .iter()
                        .filter(|i| &i.code == item && i.kind == entities::ItemKind::Nps);
                    for i in nps {
                        for c in &i.distribution {
                            let Ok(v) = c.value.parse::<f64>() else {
                                continue;
                            };
                            answered += c.count;
                            if v >= 9.0 {
                                promoters += c.count;
                            } else if v <= 6.0 {
                                detractors += c.count;
                            }
                        }
                    }
                }
                let nps = ratio(
                    100.0 * (promoters as f64 - detractors as f64),
                    answered as f64,
                );
                Measure {
                    value: nps,
                    n: answered as u64,
                    basis: format!(
                        "{promoters} promoters and {detractors} detractors of {answered} answers"
                    ),
                }
            }
            Source::ResponseRate => {
                let invited: u64 = campaigns.iter().map(|e| e.results.invited).sum();
                let answered: f64 = campaigns
                    .iter()
                    .filter_map(|e| Some(e.results.response_rate? * e.results.invited as f64))
                    .fold(0.0, |total, n| total + n);
                let answered = answered.round();
                Measure {
                    value: ratio(100.0 * answered, invited as f64),
                    n: invited,
                    basis: format!("{answered} of {invited} invitations answered"),
                }
            }
            Source::SessionsPerLearner => {
                let held = activity.sessions.len();
                Measure {
                    value: ratio(held as f64, learners.len() as f64),
                    n: learners.len() as u64,
                    basis: format!(
                        "{held} sessions held for {} learners in active relations",
                        learners.len()
                    ),
                }
            }
            Source::StandardsCompliance => {
                let total = activity.relations.len();
                let clean = activity
                    .relations
                    .iter()
                    .filter(|m| !activity.breached.contains(&m.id))
                    .count();
                Measure {
                    value: ratio(100.0 * clean as f64, total as f64),
                    n: total as u64,
                    basis: format!(
                        "{clean} of {total} relations without a breach of the standards"
                    ),
                }
            }
            Source::CostPerLearner => Measure {
                value: activity.cost.per_learner,
                n: activity.cost.learners as u64,
                basis: format!(
                    "{:.2} spent on sessions attended by {} learners",
                    activity.cost.total, activity.cost.learners
                ),
            },
            Source::TrainingHoursPerTutor => Measure {
                value: ratio(activity.training_hours, tutors.len() as f64),
                n: tutors.len() as u64,
                basis: format!(
                    "{:.1} training hours completed by {} tutors in active relations",
                    activity.training_hours,
                    tutors.len()
                ),
            },
        };
        out.insert(source.clone(), measure);
    }
    out
}

/// Each indicator now and in the period before.
fn trends(
    def: &Definition,
    now: (&Scored, &[Evaluated]),
    before: (&Scored, &[Evaluated]),
) -> Vec<Trend> {
    let indicators = def.criteria.iter().flat_map(|c| c.indicators.iter());
    let scores = |s: &Scored| -> HashMap<String, grid::IndicatorScore> {
        s.criteria
            .iter()
            .flat_map(|c| c.indicators.iter())
            .map(|i| (i.code.clone(), i.clone()))
            .collect()
    };
    let (current, previous) = (scores(now.0), scores(before.0));
    indicators
        .map(|i| {
            let cur = current.get(&i.code);
            let prev = previous.get(&i.code);
            let (c, p) = (
                cur.and_then(|s| s.measure.value),
                prev.and_then(|s| s.measure.value),
            );
            let test = match (
                pooled_answers(&i.source, before.1),
                pooled_answers(&i.source, now.1),
            ) {
                (Some(a), Some(b)) => stats::welch_trend(&a, &b),
                _ => None,
            };
            Trend {
                code: i.code.clone(),
                name: i.name.clone(),
                previous: p,
                current: c,
                change: c.zip(p).map(|(c, p)| c - p),
                previous_level: prev.and_then(|s| s.level),
                current_level: cur.and_then(|s| s.level),
                test,
            }
        })
        .collect()
}

/// Latest score on `scale` of each respondent of the campaigns, by person.
async fn scores_by_person(
    db: &DatabaseConnection,
    campaigns: &[&Evaluated],
    scale: &str,
) -> Result<HashMap<i64, f64>, JobError> {
    let mut out = HashMap::new();
    for e in campaigns {
        let (items, scales) = load_definition(db, e.questionnaire.id).await?;
        let Some(def) = scales.iter().find(|s| s.code == scale) else {
            continue;
        };
        let rows = load_responses(db, e.campaign.id).await?;
        for (row, score) in rows.iter().zip(respondent_scores(def, &items, &rows)) {
            if let (Some(person), Some(score)) = (row.person_id, score) {
                out.insert(person, score);
            }
        }
    }
    Ok(out)
}

/// For every scale asked both of learners and of tutors, in campaigns that
/// may link answers to people, the two views of each active relation.
async fn dyadic(
    db: &DatabaseConnection,
    campaigns: &[Evaluated],
    relations: &[matching::Model],
    min_group_size: usize,
) -> Result<Vec<DyadicLine>, JobError> {
    let linked = |audience: Audience| -> Vec<&Evaluated> {
        campaigns
            .iter()
            .filter(|e| e.questionnaire.audience == audience)
            .filter(|e| e.campaign.anonymity != Anonymity::Anonymous)
            .collect()
    };
    let (learners, tutors) = (linked(Audience::Learners), linked(Audience::Tutors));
    let codes = |side: &[&Evaluated]| -> BTreeMap<String, String> {
        side.iter()
            .flat_map(|e| e.results.scales.iter())
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect()
    };
    let tutor_codes = codes(&tutors);
    let mut out = Vec::new();
    for (code, name) in codes(&learners) {
        if !tutor_codes.contains_key(&code) {
            continue;
        }
        let learner_scores = scores_by_person(db, &learners, &code).await?;
        let tutor_scores = scores_by_person(db, &tutors, &code).await?;
        let pairs: Vec<(f64, f64)> = relations
            .iter()
            .filter_map(|m| {
                Some((
                    *tutor_scores.get(&m.tutor_id)?,
                    *learner_scores.get(&m.learner_id)?,
                ))
            })
            .collect();
        let suppressed = pairs.len() < min_group_size;
        out.push(DyadicLine {
            scale: code,
            name,
            suppressed,
            comparison: (!suppressed).then(|| stats::dyadic(&pairs)),
            pairs: pairs.len(),
        });
    }
    Ok(out)
}

fn campaign_line(e: &Evaluated, rates_by_group: Vec<GroupRate>) -> CampaignLine {
    CampaignLine {
        name: e.campaign.name.clone(),
        audience: format!("{:?}", e.questionnaire.audience).to_lowercase(),
        anonymity: format!("{:?}", e.campaign.anonymity).to_lowercase(),
        invited: e.results.invited,
        responses: e.results.responses,
        response_rate: e.results.response_rate,
        rates_by_group,
        suppressed: e.results.suppressed,
        scales: e
            .results
            .scales
            .iter()
            .map(|s| ScaleLine {
                code: s.code.clone(),
                name: s.name.clone(),
                n: s.score.n,
                mean: s.score.mean,
                sd: s.score.sd,
                alpha: s.alpha,
            })
            .collect(),
    }
}

/// Invitations and answers of a campaign by the invitees' kind.
async fn rates_by_group(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<Vec<GroupRate>, JobError> {
    let rows: Vec<(PersonKind, bool)> = invitation::Entity::find()
        .select_only()
        .column(person::Column::Kind)
        .column_as(invitation::Column::RespondedAt.is_not_null(), "responded")
        .inner_join(person::Entity)
        .filter(invitation::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut by: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (kind, responded) in rows {
        let entry = by.entry(format!("{kind:?}").to_lowercase()).or_default();
        entry.0 += 1;
        entry.1 += u64::from(responded);
    }
    Ok(by
        .into_iter()
        .map(|(group, (invited, responded))| GroupRate {
            group,
            invited,
            responded,
            rate: ratio(responded as f64, invited as f64),
        })
        .collect())
}

async fn descriptive(
    db: &DatabaseConnection,
    programme: &programme::Model,
    matchings: &[matching::Model],
    activity: &Activity,
    period: &Period,
) -> Result<Descriptive, JobError> {
    let roles: HashMap<i64, String> = tutor_role::Entity::find()
        .filter(tutor_role::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let mut by_role: BTreeMap<String, (BTreeSet<i64>, BTreeSet<i64>)> = BTreeMap::new();
    for m in &activity.relations {
        let role = roles.get(&m.role_id).cloned().unwrap_or_default();
        let entry = by_role.entry(role).or_default();
        entry.0.insert(m.learner_id);
        entry.1.insert(m.tutor_id);
    }
    let axes = support_axis::Entity::find()
        .filter(support_axis::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?;
    let needs = need::Entity::find()
        .filter(need::Column::ProgrammeId.eq(programme.id))
        .filter(need::Column::CreatedAt.lt(period.end()))
        .all(db)
        .await?;
    let by_axis = axes
        .iter()
        .map(|a| AxisLine {
            axis: a.name.clone(),
            learners_in_need: needs
                .iter()
                .filter(|n| n.axis_id == a.id)
                .map(|n| n.person_id)
                .collect::<BTreeSet<_>>()
                .len() as u64,
            weight: a.weight,
        })
        .collect();
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for m in matchings.iter().filter(|m| m.proposed_at < period.end()) {
        *statuses
            .entry(format!("{:?}", m.status).to_lowercase())
            .or_default() += 1;
    }
    let mut people_by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let kinds: Vec<PersonKind> = person::Entity::find()
        .select_only()
        .column(person::Column::Kind)
        .filter(person::Column::OrganisationId.eq(programme.organisation_id))
        .into_tuple()
        .all(db)
        .await?;
    for kind in kinds {
        *people_by_kind
            .entry(format!("{kind:?}").to_lowercase())
            .or_default() += 1;
    }
    Ok(Descriptive {
        learners: activity
            .relations
            .iter()
            .map(|m| m.learner_id)
            .collect::<BTreeSet<_>>()
            .len() as u64,
        tutors: activity
            .relations
            .iter()
            .map(|m| m.tutor_id)
            .collect::<BTreeSet<_>>()
            .len() as u64,
        by_role: by_role
            .into_iter()
            .map(|(role, (l, t))| RoleLine {
                role,
                learners: l.len() as u64,
                tutors: t.len() as u64,
            })
            .collect(),
        by_axis,
        matchings: statuses,
        sessions_held: activity.sessions.len() as u64,
        hours_held: activity
            .sessions
            .iter()
            .map(|s| f64::from(s.minutes) / 60.0)
            .fold(0.0, |total, h| total + h),
        people_by_kind,
    })
}

/// What a report is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub programme_id: i64,
    pub grid_id: i64,
    pub period: Period,
    pub requested_by: Option<i64>,
}

/// Builds the report's data without storing anything.
pub async fn build(
    db: &DatabaseConnection,
    request: &Request,
    version: i32,
) -> Result<ReportData, JobError> {
    let programme = programme::Entity::find_by_id(request.programme_id)
        .one(db)
        .await?
        .ok_or(JobError::NotFound("programme"))?;
    let grid_row = analytical_grid::Entity::find_by_id(request.grid_id)
        .filter(analytical_grid::Column::OrganisationId.eq(programme.organisation_id))
        .one(db)
        .await?
        .ok_or(JobError::NotFound("grid"))?;
    let def: Definition = serde_json::from_value(grid_row.definition)
        .map_err(|e| JobError::Corrupt(format!("grid {}: {e}", grid_row.id)))?;
    let matchings = matching::Entity::find()
        .filter(matching::Column::ProgrammeId.eq(programme.id))
        .all(db)
        .await?;

    let period = request.period;
    let previous_period = period
        .previous()
        .ok_or_else(|| JobError::Corrupt("the period has no period before it".into()))?;
    let now = evaluated(db, programme.id, &period).await?;
    let before = evaluated(db, programme.id, &previous_period).await?;
    let activity_now = activity(db, programme.id, &matchings, &period).await?;
    let activity_before = activity(db, programme.id, &matchings, &previous_period).await?;

    let scored = grid::score(&def, &measures(&def, &now, &activity_now));
    let previous = grid::score(&def, &measures(&def, &before, &activity_before));
    let min_group_size = now
        .iter()
        .map(|e| e.results.min_group_size)
        .max()
        .unwrap_or(1)
        .max(1);

    let mut campaigns = Vec::with_capacity(now.len());
    for e in &now {
        campaigns.push(campaign_line(e, rates_by_group(db, e.campaign.id).await?));
    }

    Ok(ReportData {
        programme: programme.name.clone(),
        grid: grid_row.name,
        version,
        generated_at: Utc::now(),
        period,
        previous_period,
        descriptive: descriptive(db, &programme, &matchings, &activity_now, &period).await?,
        campaigns,
        trends: trends(&def, (&scored, &now), (&previous, &before)),
        dyadic: dyadic(db, &now, &activity_now.relations, min_group_size).await?,
        recommendations: grid::recommend(&def, &scored),
        comparable: comparable(&scored, &previous),
        scored,
        previous,
        min_group_size,
    })
}

/// Builds and stores the next report version of a programme with its
/// proposed recommendations; returns the version.
pub async fn generate(db: &DatabaseConnection, request: &Request) -> Result<i32, JobError> {
    let latest: Option<i32> = programme_report::Entity::find()
        .select_only()
        .column_as(programme_report::Column::Version.max(), "v")
        .filter(programme_report::Column::ProgrammeId.eq(request.programme_id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    let version = latest.unwrap_or(0) + 1;
    let data = build(db, request, version).await?;
    let organisation_id = programme::Entity::find_by_id(request.programme_id)
        .one(db)
        .await?
        .ok_or(JobError::NotFound("programme"))?
        .organisation_id;

    let txn = db.begin().await?;
    let stored = programme_report::Entity::insert(programme_report::ActiveModel {
        organisation_id: Set(organisation_id),
        programme_id: Set(request.programme_id),
        grid_id: Set(request.grid_id),
        period_from: Set(data.period.from),
        period_to: Set(data.period.to),
        version: Set(version),
        data: Set(serde_json::to_value(&data).map_err(|e| JobError::Corrupt(e.to_string()))?),
        html: Set(crate::programme_render::html(&data)),
        csv: Set(crate::programme_render::csv(&data)),
        created_by: Set(request.requested_by),
        created_at: Set(data.generated_at),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let rows: Vec<recommendation::ActiveModel> = data
        .recommendations
        .iter()
        .enumerate()
        .map(|(i, p)| recommendation::ActiveModel {
            organisation_id: Set(organisation_id),
            report_id: Set(stored.last_insert_id),
            position: Set(i as i32),
            rule: Set(p.rule.clone()),
            priority: Set(p.priority.name().to_owned()),
            audience: Set(p.audience.clone()),
            text: Set(p.text.clone()),
            evidence: Set(serde_json::to_value(&p.evidence).unwrap_or_default()),
            status: Set(entities::RecommendationStatus::Proposed),
            decided_by: Set(None),
            decided_at: Set(None),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        recommendation::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    let event = crate::webhooks::Event::programme_report_generated(
        organisation_id,
        stored.last_insert_id,
        request.programme_id,
        version,
        data.generated_at,
    );
    crate::webhooks::record(&txn, &event).await?;
    // A concurrent run taking the same version fails on the unique index
    // and is retried.
    txn.commit().await?;
    Ok(version)
}

/// Puts the coordinators' decisions into a stored report version: its
/// recommendations become those not rejected, as reworded and
/// reprioritised, most urgent first, and its page and CSV are rendered
/// again. The figures stay those of the version. Pass the transaction
/// that stored the decision, so both are kept or neither.
pub async fn apply_decisions(
    db: &impl sea_orm::ConnectionTrait,
    report_id: i64,
) -> Result<(), JobError> {
    let row = programme_report::Entity::find_by_id(report_id)
        .one(db)
        .await?
        .ok_or(JobError::NotFound("programme report"))?;
    let mut data: ReportData = serde_json::from_value(row.data)
        .map_err(|e| JobError::Corrupt(format!("programme report {report_id}: {e}")))?;
    let mut decided = recommendation::Entity::find()
        .filter(recommendation::Column::ReportId.eq(report_id))
        .all(db)
        .await?;
    decided.sort_by_key(|r| (priority_rank(&r.priority), r.position));
    data.recommendations = decided
        .into_iter()
        .filter(|r| r.status != entities::RecommendationStatus::Rejected)
        .filter_map(|r| {
            Some(Proposal {
                rule: r.rule,
                priority: match r.priority.as_str() {
                    "high" => grid::Priority::High,
                    "medium" => grid::Priority::Medium,
                    _ => grid::Priority::Low,
                },
                audience: r.audience,
                text: r.text,
                evidence: serde_json::from_value(r.evidence).ok()?,
                accepted: r.status == entities::RecommendationStatus::Accepted,
            })
        })
        .collect();
    programme_report::Entity::update_many()
        .col_expr(
            programme_report::Column::Data,
            sea_orm::sea_query::Expr::value(
                serde_json::to_value(&data).map_err(|e| JobError::Corrupt(e.to_string()))?,
            ),
        )
        .col_expr(
            programme_report::Column::Html,
            sea_orm::sea_query::Expr::value(crate::programme_render::html(&data)),
        )
        .col_expr(
            programme_report::Column::Csv,
            sea_orm::sea_query::Expr::value(crate::programme_render::csv(&data)),
        )
        .filter(programme_report::Column::Id.eq(report_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Most urgent first: the order of stored priority names.
pub fn priority_rank(priority: &str) -> u8 {
    match priority {
        "high" => 0,
        "medium" => 1,
        _ => 2,
    }
}

/// The stored figures of a campaign, if aggregation has run.
pub async fn stored_results(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<Option<CampaignResults>, JobError> {
    let Some(row) = campaign_result::Entity::find()
        .filter(campaign_result::Column::CampaignId.eq(campaign_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    serde_json::from_value(row.data)
        .map(Some)
        .map_err(|e| JobError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(n: usize, mean: f64, sd: f64) -> Summary {
        Summary {
            n,
            mean: Some(mean),
            sd: Some(sd),
            ..Summary::default()
        }
    }

    #[test]
    fn pooling_gives_the_figures_of_all_answers_together() {
        // Groups [1, 2, 3] and [4, 6]: together 1, 2, 3, 4, 6.
        let a = summary(3, 2.0, 1.0);
        let b = summary(2, 5.0, 2f64.sqrt());
        let p = pool(&[&a, &b]);
        assert_eq!(p.n, 5);
        assert!((p.mean.unwrap() - 3.2).abs() < 1e-12);
        // Sample SD of 1, 2, 3, 4, 6: sqrt(14.8 / 4).
        assert!((p.sd.unwrap() - (14.8f64 / 4.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let p = Period {
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        };
        let before = p.previous().unwrap();
        assert_eq!(before.to, NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        assert_eq!((before.to - before.from), (p.to - p.from));
        assert!(p.holds(p.start()));
        assert!(!p.holds(p.end()));
    }
}
