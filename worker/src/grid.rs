//! Analytical grids: weighted criteria whose indicators, read from a
//! programme's data, fall into bands that give each a level and a score;
//! rules that turn levels into recommendations.
//!
//! Everything here is plain data and plain functions: the programme report
//! gathers the indicator values, this module scores them.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

/// Longest name, code or text accepted in a grid, in characters.
pub const MAX_TEXT: usize = 2_000;
/// Most criteria, indicators per criterion, bands per indicator and rules.
pub const MAX_PARTS: usize = 50;

/// A grid as stored: criteria with their indicators, and the rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub criteria: Vec<Criterion>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub weight: f64,
    pub indicators: Vec<Indicator>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    /// Weight within its criterion.
    #[serde(default = "one")]
    pub weight: f64,
    pub source: Source,
    /// Value ranges `[from, to)` with the level and score they give; a value
    /// in no band leaves the indicator unscored.
    pub bands: Vec<Band>,
}

fn one() -> f64 {
    1.0
}

/// Where an indicator's value comes from, over the programme's campaigns
/// and activity within the report's period.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Mean score of a scale, by its code, over every campaign asking it;
    /// campaigns weigh by their respondents.
    ScaleMean { scale: String },
    /// Mean answer to an item, by its code, weighted the same way.
    ItemMean { item: String },
    /// Net promoter score of an NPS item, from all its answers.
    Nps { item: String },
    /// Invitations answered ÷ invitations sent, in %.
    ResponseRate,
    /// Sessions held ÷ learners in an active relation.
    SessionsPerLearner,
    /// Relations without a breach of the expected standards ÷ active
    /// relations, in %.
    StandardsCompliance,
    /// Actual cost of the sessions held ÷ learners who attended one.
    CostPerLearner,
    /// Training hours completed ÷ tutors in an active relation.
    TrainingHoursPerTutor,
}

impl Source {
    /// What the value is, for people reading a report.
    pub fn describe(&self) -> String {
        match self {
            Self::ScaleMean { scale } => format!("mean score of scale {scale}"),
            Self::ItemMean { item } => format!("mean answer to item {item}"),
            Self::Nps { item } => format!("net promoter score of item {item}"),
            Self::ResponseRate => "response rate (%)".into(),
            Self::SessionsPerLearner => "sessions held per learner".into(),
            Self::StandardsCompliance => "relations meeting the standards (%)".into(),
            Self::CostPerLearner => "actual cost per learner".into(),
            Self::TrainingHoursPerTutor => "training hours per tutor".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Insufficient,
    Acceptable,
    Good,
    Excellent,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Insufficient,
        Level::Acceptable,
        Level::Good,
        Level::Excellent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Insufficient => "insufficient",
            Self::Acceptable => "acceptable",
            Self::Good => "good",
            Self::Excellent => "excellent",
        }
    }

    /// The level of a score out of 100, for criteria and the total:
    /// below 50 insufficient, below 70 acceptable, below 85 good.
    pub fn of_score(score: f64) -> Self {
        match score {
            s if s < 50.0 => Self::Insufficient,
            s if s < 70.0 => Self::Acceptable,
            s if s < 85.0 => Self::Good,
            _ => Self::Excellent,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub level: Level,
    /// Lowest value of the band, included; none: no lower end.
    pub from: Option<f64>,
    /// Value where the band ends, excluded; none: no upper end.
    pub to: Option<f64>,
    /// Score out of 100 the band gives.
    pub score: f64,
}

impl Band {
    fn holds(&self, v: f64) -> bool {
        self.from.is_none_or(|f| v >= f) && self.to.is_none_or(|t| v < t)
    }
}

/// A recommendation proposed when an indicator or a criterion reaches one
/// of the given levels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Indicator or criterion code.
    pub subject: String,
    pub levels: Vec<Level>,
    pub priority: Priority,
    /// Who should act: coordinators, tutors, management…
    pub audience: String,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub fn name(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// A problem with a grid, at a path such as `criteria[1].indicators[0].bands`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

fn problem(path: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        path: path.into(),
        message: message.into(),
    }
}

fn check_text(out: &mut Vec<Problem>, path: &str, text: &str, required: bool) {
    if required && text.trim().is_empty() {
        out.push(problem(path, "must not be empty"));
    }
    if text.chars().count() > MAX_TEXT {
        out.push(problem(path, format!("at most {MAX_TEXT} characters")));
    }
}

fn check_weight(out: &mut Vec<Problem>, path: &str, w: f64) {
    if !(w.is_finite() && w > 0.0 && w <= 1_000.0) {
        out.push(problem(path, "must be above 0 and at most 1000"));
    }
}

/// Every problem of a grid at once; empty when it can be used.
pub fn check(def: &Definition) -> Vec<Problem> {
    let mut out = Vec::new();
    if def.criteria.is_empty() {
        out.push(problem("criteria", "a grid needs at least one criterion"));
    }
    if def.criteria.len() > MAX_PARTS || def.rules.len() > MAX_PARTS {
        out.push(problem(
            "criteria",
            format!("at most {MAX_PARTS} criteria and {MAX_PARTS} rules"),
        ));
    }
    let mut codes = BTreeSet::new();
    for (ci, c) in def.criteria.iter().enumerate() {
        let at = format!("criteria[{ci}]");
        check_text(&mut out, &format!("{at}.code"), &c.code, true);
        check_text(&mut out, &format!("{at}.name"), &c.name, true);
        check_text(
            &mut out,
            &format!("{at}.description"),
            &c.description,
            false,
        );
        check_weight(&mut out, &format!("{at}.weight"), c.weight);
        if !codes.insert(c.code.as_str()) {
            out.push(problem(
                format!("{at}.code"),
                "codes must be unique in a grid",
            ));
        }
        if c.indicators.is_empty() || c.indicators.len() > MAX_PARTS {
            out.push(problem(
                format!("{at}.indicators"),
                format!("between 1 and {MAX_PARTS} indicators"),
            ));
        }
        for (ii, i) in c.indicators.iter().enumerate() {
            let at = format!("{at}.indicators[{ii}]");
            check_text(&mut out, &format!("{at}.code"), &i.code, true);
            check_text(&mut out, &format!("{at}.name"), &i.name, true);
            check_weight(&mut out, &format!("{at}.weight"), i.weight);
            if !codes.insert(i.code.as_str()) {
                out.push(problem(
                    format!("{at}.code"),
                    "codes must be unique in a grid",
                ));
            }
            match &i.source {
                Source::ScaleMean { scale: code }
                | Source::ItemMean { item: code }
                | Source::Nps { item: code } => {
                    check_text(&mut out, &format!("{at}.source"), code, true)
                }
                _ => {}
            }
            check_bands(&mut out, &format!("{at}.bands"), &i.bands);
        }
    }
    for (ri, r) in def.rules.iter().enumerate() {
        let at = format!("rules[{ri}]");
        if !codes.contains(r.subject.as_str()) {
            out.push(problem(
                format!("{at}.subject"),
                format!("no criterion or indicator has the code {:?}", r.subject),
            ));
        }
        if r.levels.is_empty() {
            out.push(problem(format!("{at}.levels"), "name at least one level"));
        }
        check_text(&mut out, &format!("{at}.audience"), &r.audience, true);
        check_text(&mut out, &format!("{at}.text"), &r.text, true);
    }
    out
}

fn check_bands(out: &mut Vec<Problem>, at: &str, bands: &[Band]) {
    if bands.is_empty() || bands.len() > MAX_PARTS {
        out.push(problem(at, format!("between 1 and {MAX_PARTS} bands")));
        return;
    }
    for (bi, b) in bands.iter().enumerate() {
        let finite = b.from.is_none_or(f64::is_finite) && b.to.is_none_or(f64::is_finite);
        if !finite {
            out.push(problem(
                format!("{at}[{bi}]"),
                "band ends must be finite numbers",
            ));
        } else if let (Some(f), Some(t)) = (b.from, b.to)
            && f >= t
        {
            out.push(problem(format!("{at}[{bi}]"), "from must be below to"));
        }
        if !(b.score.is_finite() && (0.0..=100.0).contains(&b.score)) {
            out.push(problem(
                format!("{at}[{bi}].score"),
                "must be between 0 and 100",
            ));
        }
    }
    // Sorted by their lower end, each band must end where the next starts
    // or before: a value falls into one band at most.
    let mut sorted: Vec<&Band> = bands.iter().collect();
    sorted.sort_by(|a, b| {
        a.from
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&b.from.unwrap_or(f64::NEG_INFINITY))
    });
    for pair in sorted.windows(2) {
        let end = pair[0].to.unwrap_or(f64::INFINITY);
        let start = pair[1].from.unwrap_or(f64::NEG_INFINITY);
        if end > start {
            out.push(problem(
                at,
                "bands overlap: a value must fall into one band at most",
            ));
            break;
        }
        if end < start {
            out.push(problem(
                at,
                "bands leave a gap: a value between them would get no score",
            ));
            break;
        }
    }
}

/// A value with what it was computed from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub value: Option<f64>,
    /// Answers, invitations, relations… the value rests on.
    pub n: u64,
    /// How it was computed, in a sentence: the evidence.
    pub basis: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorScore {
    pub code: String,
    pub name: String,
    pub source: String,
    pub weight: f64,
    pub measure: Measure,
    pub level: Option<Level>,
    pub score: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionScore {
    pub code: String,
    pub name: String,
    pub description: String,
    pub weight: f64,
    /// Weighted mean of the scored indicators; none when none is scored.
    pub score: Option<f64>,
    pub level: Option<Level>,
    pub indicators: Vec<IndicatorScore>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub criteria: Vec<CriterionScore>,
    /// Weighted mean of the scored criteria.
    pub total: Option<f64>,
    pub level: Option<Level>,
}

/// Weighted mean of the scores present; none when none is.
fn weighted(parts: impl Iterator<Item = (f64, Option<f64>)>) -> Option<f64> {
    let (sum, weights) = parts
        .filter_map(|(w, s)| Some((w, s?)))
        .fold((0.0, 0.0), |(sum, ws), (w, s)| (sum + w * s, ws + w));
    (weights > 0.0).then(|| sum / weights)
}

/// Scores a grid on the measures of its sources.
pub fn score(def: &Definition, measures: &HashMap<Source, Measure>) -> Scored {
    let criteria: Vec<CriterionScore> = def
        .criteria
        .iter()
        .map(|c| {
            let indicators: Vec<IndicatorScore> = c
                .indicators
                .iter()
                .map(|i| {
                    let measure = measures.get(&i.source).cloned().unwrap_or_default();
                    let band = measure
                        .value
                        .and_then(|v| i.bands.iter().find(|b| b.holds(v)));
                    IndicatorScore {
                        code: i.code.clone(),
                        name: i.name.clone(),
                        source: i.source.describe(),
                        weight: i.weight,
                        measure,
                        level: band.map(|b| b.level),
                        score: band.map(|b| b.score),
                    }
                })
                .collect();
            let score = weighted(indicators.iter().map(|i| (i.weight, i.score)));
            CriterionScore {
                code: c.code.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                weight: c.weight,
                score,
                level: score.map(Level::of_score),
                indicators,
            }
        })
        .collect();
    let total = weighted(criteria.iter().map(|c| (c.weight, c.score)));
    Scored {
        criteria,
        total,
        level: total.map(Level::of_score),
    }
}

/// A recommendation a rule proposes, with the evidence that triggered it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub rule: String,
    pub priority: Priority,
    pub audience: String,
    pub text: String,
    pub evidence: Evidence,
    /// Set once a coordinator has accepted it.
    #[serde(default)]
    pub accepted: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub subject: String,
    pub subject_name: String,
    pub level: Level,
    pub score: Option<f64>,
    pub value: Option<f64>,
    pub n: u64,
    pub basis: String,
}

/// Applies the rules to scored results, most urgent first; rules keep their
/// order within a priority.
pub fn recommend(def: &Definition, scored: &Scored) -> Vec<Proposal> {
    let mut out: Vec<Proposal> = Vec::new();
    for (index, rule) in def.rules.iter().enumerate() {
        let evidence = scored.criteria.iter().find_map(|c| {
            if c.code == rule.subject {
                return Some(Evidence {
                    subject: c.code.clone(),
                    subject_name: c.name.clone(),
                    level: c.level?,
                    score: c.score,
                    value: None,
                    n: c.indicators.iter().map(|i| i.measure.n).sum(),
                    basis: c
                        .indicators
                        .iter()
                        .map(|i| match (i.level, i.score) {
                            (Some(l), Some(s)) => format!("{}: {} ({s:.0})", i.name, l.name()),
                            _ => format!("{}: no data", i.name),
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
            let i = c.indicators.iter().find(|i| i.code == rule.subject)?;
            Some(Evidence {
                subject: i.code.clone(),
                subject_name: i.name.clone(),
                level: i.level?,
                score: i.score,
                value: i.measure.value,
                n: i.measure.n,
                basis: i.measure.basis.clone(),
            })
        });
        if let Some(evidence) = evidence.filter(|e| rule.levels.contains(&e.level)) {
            out.push(Proposal {
                rule: format!("rule_{}", index + 1),
                priority: rule.priority,
                audience: rule.audience.clone(),
                text: rule.text.clone(),
                evidence,
                accepted: false,
            });
        }
    }
    out.sort_by_key(|p| p.priority);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bands() -> Vec<Band> {
        vec![
            Band {
                level: Level::Insufficient,
                from: None,
                to: Some(50.0),
                score: 25.0,
            },
            Band {
                level: Level::Acceptable,
                from: Some(50.0),
                to: Some(70.0),
                score: 60.0,
            },
            Band {
                level: Level::Good,
                from: Some(70.0),
                to: Some(85.0),
                score: 80.0,
            },
            Band {
                level: Level::Excellent,
                from: Some(85.0),
                to: None,
                score: 100.0,
            },
        ]
    }

    fn grid() -> Definition {
        Definition {
            criteria: vec![
                Criterion {
                    code: "effectiveness".into(),
                    name: "Effectiveness".into(),
                    description: String::new(),
                    weight: 3.0,
                    indicators: vec![
                        Indicator {
                            code: "rate".into(),
                            name: "Response rate".into(),
                            weight: 1.0,
                            source: Source::ResponseRate,
                            bands: bands(),
                        },
                        Indicator {
                            code: "compliance".into(),
                            name: "Compliance".into(),
                            weight: 3.0,
                            source: Source::StandardsCompliance,
                            bands: bands(),
                        },
                    ],
                },
                Criterion {
                    code: "efficiency".into(),
                    name: "Efficiency".into(),
                    description: String::new(),
                    weight: 1.0,
                    indicators: vec![Indicator {
                        code: "cost".into(),
                        name: "Cost per learner".into(),
                        weight: 1.0,
                        source: Source::CostPerLearner,
                        bands: vec![
                            Band {
                                level: Level::Excellent,
                                from: None,
                                to: Some(100.0),
                                score: 100.0,
                            },
                            Band {
                                level: Level::Insufficient,
                                from: Some(100.0),
                                to: None,
                                score: 20.0,
                            },
                        ],
                    }],
                },
            ],
            rules: vec![
                Rule {
                    subject: "rate".into(),
                    levels: vec![Level::Insufficient],
                    priority: Priority::Medium,
                    audience: "coordinators".into(),
                    text: "Remind".into(),
                },
                Rule {
                    subject: "efficiency".into(),
                    levels: vec![Level::Insufficient, Level::Acceptable],
                    priority: Priority::High,
                    audience: "management".into(),
                    text: "Review costs".into(),
                },
            ],
        }
    }

    fn measure(v: f64) -> Measure {
        Measure {
            value: Some(v),
            n: 10,
            basis: format!("{v}"),
        }
    }

    #[test]
    fn a_valid_grid_has_no_problem() {
        assert_eq!(check(&grid()), []);
    }

    #[test]
    fn overlapping_bands_duplicate_codes_and_unknown_subjects_are_named() {
        let mut g = grid();
        g.criteria[0].indicators[0].bands[1].from = Some(40.0);
        g.criteria[1].indicators[0].code = "rate".into();
        g.rules[0].subject = "nothing".into();
        g.criteria[0].weight = f64::NAN;
        let paths: Vec<String> = check(&g).into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [
                "criteria[0].weight",
                "criteria[0].indicators[0].bands",
                "criteria[1].indicators[0].code",
                "rules[0].subject",
            ]
        );
    }

    #[test]
    fn bands_with_a_gap_between_them_are_refused() {
        let mut g = grid();
        g.criteria[0].indicators[0].bands[1].from = Some(55.0);
        let problems = check(&g);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "criteria[0].indicators[0].bands");
        assert!(problems[0].message.contains("gap"));
    }

    #[test]
    fn scores_are_weighted_means_of_what_has_data() {
        let measures = HashMap::from([
            (Source::ResponseRate, measure(45.0)),        // 25
            (Source::StandardsCompliance, measure(90.0)), // 100
            (Source::CostPerLearner, measure(150.0)),     // 20
        ]);
        let s = score(&grid(), &measures);
        // (1·25 + 3·100) / 4 = 81.25; (3·81.25 + 1·20) / 4 = 65.9375
        assert_eq!(s.criteria[0].score, Some(81.25));
        assert_eq!(s.criteria[0].level, Some(Level::Good));
        assert_eq!(s.total, Some(65.9375));
        assert_eq!(s.level, Some(Level::Acceptable));

        // Without a cost, efficiency has no score and leaves the total.
        let measures = HashMap::from([(Source::ResponseRate, measure(45.0))]);
        let s = score(&grid(), &measures);
        assert_eq!(s.criteria[1].score, None);
        assert_eq!(s.total, Some(25.0));
    }

    #[test]
    fn rules_fire_on_their_levels_most_urgent_first_with_evidence() {
        let measures = HashMap::from([
            (Source::ResponseRate, measure(45.0)),
            (Source::CostPerLearner, measure(150.0)),
        ]);
        let proposals = recommend(&grid(), &score(&grid(), &measures));
        assert_eq!(proposals.len(), 2);
        assert_eq!(proposals[0].priority, Priority::High);
        assert_eq!(proposals[0].evidence.subject, "efficiency");
        assert_eq!(
            proposals[0].evidence.basis,
            "Cost per learner: insufficient (20)"
        );
        assert_eq!(proposals[1].evidence.value, Some(45.0));
        assert_eq!(proposals[1].evidence.level, Level::Insufficient);

        let measures = HashMap::from([
            (Source::ResponseRate, measure(75.0)),
            (Source::CostPerLearner, measure(50.0)),
        ]);
        assert!(recommend(&grid(), &score(&grid(), &measures)).is_empty());
    }

    #[test]
    fn a_value_on_a_band_edge_belongs_to_the_band_it_starts() {
        let b = bands();
        assert_eq!(
            b.iter().find(|b| b.holds(70.0)).map(|b| b.level),
            Some(Level::Good)
        );
        assert_eq!(
            b.iter().find(|b| b.holds(-5.0)).map(|b| b.level),
            Some(Level::Insufficient)
        );
    }
}
