//! The analytical grid the demo organisation ships with, written for its
//! data: learners' scale scores, tutors' course evaluations, and the
//! programme's relations and sessions.

use super::{
    Band, CreateAnalyticalGridInput, Criterion, Indicator, IndicatorSource, Level, Priority, Rule,
    SourceKind,
};

pub const NAME: &str = "Programme quality";

/// Bands over `[edges[0], edges[1], edges[2]]`: below the first
/// insufficient, then acceptable, good, and excellent from the last.
/// Reversed, low values are the good ones.
fn bands(edges: [f64; 3], lower_is_better: bool) -> Vec<Band> {
    let [a, b, c] = edges;
    let mut levels = [
        Level::Insufficient,
        Level::Acceptable,
        Level::Good,
        Level::Excellent,
    ];
    let mut scores = [25.0, 60.0, 80.0, 100.0];
    if lower_is_better {
        levels.reverse();
        scores.reverse();
    }
    let ends = [
        (None, Some(a)),
        (Some(a), Some(b)),
        (Some(b), Some(c)),
        (Some(c), None),
    ];
    ends.into_iter()
        .zip(levels.into_iter().zip(scores))
        .map(|((from, to), (level, score))| Band {
            level,
            from,
            to,
            score,
        })
        .collect()
}

fn indicator(
    code: &str,
    name: &str,
    kind: SourceKind,
    source_code: Option<&str>,
    bands: Vec<Band>,
) -> Indicator {
    Indicator {
        code: code.into(),
        name: name.into(),
        weight: 1.0,
        source: IndicatorSource {
            kind,
            code: source_code.map(Into::into),
        },
        bands,
    }
}

fn rule(subject: &str, levels: &[Level], priority: Priority, audience: &str, text: &str) -> Rule {
    Rule {
        subject: subject.into(),
        levels: levels.to_vec(),
        priority,
        audience: audience.into(),
        text: text.into(),
    }
}

pub fn input() -> CreateAnalyticalGridInput {
    use Level::{Acceptable, Insufficient};
    CreateAnalyticalGridInput {
        name: NAME.into(),
        description: "Satisfaction with tutoring, learners' wellbeing and study habits, \
                      participation, and how the relations are run."
            .into(),
        criteria: vec![
            Criterion {
                code: "satisfaction".into(),
                name: "Satisfaction".into(),
                description: "How learners rate the teaching of their tutors.".into(),
                weight: 3.0,
                indicators: vec![indicator(
                    "course_score",
                    "Course evaluation score (1–5)",
                    SourceKind::ItemMean,
                    Some("score"),
                    bands([3.5, 4.0, 4.5], false),
                )],
            },
            Criterion {
                code: "effectiveness".into(),
                name: "Effectiveness".into(),
                description: "Where learners stand on the axes the programme invests in.".into(),
                weight: 3.0,
                indicators: vec![
                    indicator(
                        "stress",
                        "Neuroticism: stress and worry (1–6, lower is better)",
                        SourceKind::ScaleMean,
                        Some("N"),
                        bands([3.0, 3.5, 4.0], true),
                    ),
                    indicator(
                        "study_habits",
                        "Conscientiousness: study habits (1–6)",
                        SourceKind::ScaleMean,
                        Some("C"),
                        bands([3.5, 4.0, 4.5], false),
                    ),
                ],
            },
            Criterion {
                code: "participation".into(),
                name: "Participation".into(),
                description: "Whether learners answer the evaluations.".into(),
                weight: 2.0,
                indicators: vec![indicator(
                    "course_response",
                    "Learners answering course evaluations (%)",
                    SourceKind::ItemMean,
                    Some("response_rate"),
                    bands([50.0, 70.0, 85.0], false),
                )],
            },
            Criterion {
                code: "delivery".into(),
                name: "Delivery".into(),
                description: "Whether the relations are run as the tutorial guide expects.".into(),
                weight: 2.0,
                indicators: vec![
                    indicator(
                        "sessions",
                        "Sessions held per learner",
                        SourceKind::SessionsPerLearner,
                        None,
                        bands([1.0, 2.0, 4.0], false),
                    ),
                    indicator(
                        "compliance",
                        "Relations meeting the standards (%)",
                        SourceKind::StandardsCompliance,
                        None,
                        bands([70.0, 85.0, 95.0], false),
                    ),
                ],
            },
        ],
        rules: vec![
            rule(
                "sessions",
                &[Insufficient],
                Priority::High,
                "coordinators",
                "Get the first sessions held: relations are active but few sessions are logged.",
            ),
            rule(
                "stress",
                &[Insufficient, Acceptable],
                Priority::High,
                "mentors",
                "Offer every learner a wellbeing check-in with their mentor this month.",
            ),
            rule(
                "study_habits",
                &[Insufficient, Acceptable],
                Priority::Medium,
                "tutors",
                "Run study-methods workshops on planning and follow-through.",
            ),
            rule(
                "course_score",
                &[Insufficient, Acceptable],
                Priority::Medium,
                "tutors",
                "Pair tutors with low course scores with an experienced peer.",
            ),
            rule(
                "course_response",
                &[Insufficient],
                Priority::Low,
                "coordinators",
                "Ask tutors to give class time for the course evaluation.",
            ),
            rule(
                "satisfaction",
                &[Insufficient],
                Priority::High,
                "management",
                "Review how tutors are recruited and trained.",
            ),
        ],
    }
}
