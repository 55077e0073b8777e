//! Designing a programme: needs derived from questionnaire scores, and the
//! priority of axes and interventions, each score with the terms behind it.

use serde::{Deserialize, Serialize};

/// Most severe need.
pub const MAX_SEVERITY: i32 = 5;
/// Highest weight an axis can be given.
pub const MAX_WEIGHT: f64 = 10.0;

/// Which side of the threshold signals a need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Below,
    Above,
}

/// A threshold on a scale whose scores run from `min` to `max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    pub direction: Direction,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

/// The severity (1–5) of the need a score signals, if any. The stretch
/// between the threshold and the end of the scale is cut into five equal
/// bands: a score just past the threshold gives 1, one at the end gives 5.
pub fn severity(score: f64, t: &Threshold) -> Option<i32> {
    let (gap, span) = match t.direction {
        Direction::Below => (t.value - score, t.value - t.min),
        Direction::Above => (score - t.value, t.max - t.value),
    };
    if gap <= 0.0 || span <= 0.0 {
        return None;
    }
    // Scores are means of a few whole answers: a gap landing exactly on a band
    // edge must not be pushed up a band by rounding (0.4 − 0 = 0.4000000000000004).
    let bands = (f64::from(MAX_SEVERITY) * gap / span - 1e-9).ceil() as i32;
    Some(bands.clamp(1, MAX_SEVERITY))
}

/// One term of a priority score, shown to the coordinator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub name: String,
    pub value: f64,
}

/// An axis as the ranking sees it: its weight and the severities of the open
/// needs on it, one per learner.
#[derive(Clone, Debug)]
pub struct AxisNeeds {
    pub axis_id: i64,
    pub name: String,
    pub weight: f64,
    pub severities: Vec<i32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AxisPriority {
    pub axis_id: i64,
    pub rank: usize,
    /// prevalence × (mean severity ÷ 5) × weight
    pub score: f64,
    pub prevalence: f64,
    pub mean_severity: f64,
    pub weight: f64,
    pub learners_with_need: usize,
    pub terms: Vec<Term>,
    pub explanation: String,
}

/// Ranks axes by `prevalence × (mean severity ÷ 5) × weight`, where the
/// prevalence is the share of the `population` with an open need on the axis.
pub fn rank_axes(axes: &[AxisNeeds], population: usize) -> Vec<AxisPriority> {
    let mut ranked: Vec<AxisPriority> = axes
        .iter()
        .map(|a| {
            let learners = a.severities.len();
            let prevalence = if population == 0 { 0.0 } else { learners as f64 / population as f64 };
            let mean_severity = if learners == 0 {
                0.0
            } else {
                a.severities.iter().map(|s| f64::from(*s)).sum::<f64>() / learners as f64
            };
            let score = prevalence * (mean_severity / f64::from(MAX_SEVERITY)) * a.weight;
            AxisPriority {
                axis_id: a.axis_id,
                rank: 0,
                score,
                prevalence,
                mean_severity,
                weight: a.weight,
                learners_with_need: learners,
                terms: vec![
                    term("prevalence", prevalence),
                    term("mean severity ÷ 5", mean_severity / f64::from(MAX_SEVERITY)),
                    term("weight", a.weight),
                ],
                explanation: format!(
                    "{}: {learners} of {population} learners have an open need (prevalence {prevalence:.3}), \
                     mean severity {mean_severity:.2} of 5, weight {}: {prevalence:.3} × {:.3} × {} = {score:.4}",
                    a.name,
                    a.weight,
                    mean_severity / f64::from(MAX_SEVERITY),
                    a.weight
                ),
            }
        })
        .collect();
    sort_and_rank(&mut ranked, |p| p.score, |p, r| p.rank = r);
    ranked
}

/// An intervention as the ranking sees it.
#[derive(Clone, Debug)]
pub struct InterventionCost {
    pub intervention_id: i64,
    pub axis_id: i64,
    pub name: String,
    pub sessions_per_month: f64,
    pub group_size: i32,
    pub session_cost: f64,
}

impl InterventionCost {
    /// What one learner's place costs per month.
    pub fn cost_per_learner_month(&self) -> f64 {
        self.session_cost * self.sessions_per_month / f64::from(self.group_size.max(1))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct InterventionPriority {
    pub intervention_id: i64,
    pub rank: usize,
    /// axis score ÷ cost per learner and month (the axis score alone if free)
    pub score: f64,
    pub axis_score: f64,
    pub cost_per_learner_month: f64,
    pub terms: Vec<Term>,
    pub explanation: String,
}

/// Ranks interventions by the priority of their axis per unit of cost.
pub fn rank_interventions(
    axes: &[AxisPriority],
    interventions: &[InterventionCost],
) -> Vec<InterventionPriority> {
    let mut ranked: Vec<InterventionPriority> = interventions
        .iter()
        .map(|i| {
            let axis_score = axes.iter().find(|a| a.axis_id == i.axis_id).map_or(0.0, |a| a.score);
            let cost = i.cost_per_learner_month();
            let (score, how) = if cost > 0.0 {
                (axis_score / cost, format!("{axis_score:.4} ÷ {cost:.2} = {:.6}", axis_score / cost))
            } else {
                (axis_score, format!("free: the axis score {axis_score:.4} stands"))
            };
            InterventionPriority {
                intervention_id: i.intervention_id,
                rank: 0,
                score,
                axis_score,
                cost_per_learner_month: cost,
                terms: vec![term("axis score", axis_score), term("cost per learner and month", cost)],
                explanation: format!(
                    "{}: a session costs {:.2} (fixed cost and tutor time); {:.2} × {} sessions a month ÷ {} learners \
                     = {cost:.2} a month a place; {how}",
                    i.name, i.session_cost, i.session_cost, i.sessions_per_month, i.group_size
                ),
            }
        })
        .collect();
    sort_and_rank(&mut ranked, |p| p.score, |p, r| p.rank = r);
    ranked
}

fn term(name: &str, value: f64) -> Term {
    Term {
        name: name.to_owned(),
        value,
    }
}

/// Highest score first; equal scores share a rank (1, 2, 2, 4).
fn sort_and_rank<T>(items: &mut [T], score: impl Fn(&T) -> f64, set: impl Fn(&mut T, usize)) {
    items.sort_by(|a, b| score(b).total_cmp(&score(a)));
    let mut previous: Option<(f64, usize)> = None;
    for (i, item) in items.iter_mut().enumerate() {
        let s = score(item);
        let rank = match previous {
            Some((p, r)) if p == s => r,
            _ => i + 1,
        };
        set(item, rank);
        previous = Some((s, rank));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BELOW_3_ON_1_TO_6: Threshold = Threshold {
        direction: Direction::Below,
        value: 3.0,
        min: 1.0,
        max: 6.0,
    };

    #[test]
    fn severity_grows_with_the_distance_past_the_threshold() {
        // Span 3 − 1 = 2, five bands of 0.4: gap 0.1 → 1, 0.8 → 2, 1.0 → 3, 2.0 → 5.
        assert_eq!(severity(3.0, &BELOW_3_ON_1_TO_6), None);
        assert_eq!(severity(2.9, &BELOW_3_ON_1_TO_6), Some(1));
        assert_eq!(severity(2.2, &BELOW_3_ON_1_TO_6), Some(2));
        assert_eq!(severity(2.0, &BELOW_3_ON_1_TO_6), Some(3));
        assert_eq!(severity(1.0, &BELOW_3_ON_1_TO_6), Some(5));
        // On a band edge, computed in floating point: 4.4 − 4 is a hair over 0.4.
        let above_4 = Threshold {
            direction: Direction::Above,
            value: 4.0,
            ..BELOW_3_ON_1_TO_6
        };
        assert_eq!(severity(4.4, &above_4), Some(1));
        assert_eq!(severity(5.2, &above_4), Some(3));
        let above = Threshold {
            direction: Direction::Above,
            value: 4.0,
            ..BELOW_3_ON_1_TO_6
        };
        assert_eq!(severity(6.0, &above), Some(5));
        assert_eq!(severity(3.5, &above), None);
    }

    #[test]
    fn axes_rank_by_prevalence_severity_and_weight() {
        let axes = [
            AxisNeeds {
                axis_id: 1,
                name: "Method".into(),
                weight: 2.0,
                severities: vec![5, 3],
            },
            AxisNeeds {
                axis_id: 2,
                name: "Wellbeing".into(),
                weight: 1.0,
                severities: vec![4, 4, 4, 4],
            },
        ];

        let ranked = rank_axes(&axes, 10);

        // Method: 2/10 × (4/5) × 2 = 0.32. Wellbeing: 4/10 × (4/5) × 1 = 0.32: a tie.
        assert!((ranked[0].score - 0.32).abs() < 1e-12 && (ranked[1].score - 0.32).abs() < 1e-12);
        assert_eq!((ranked[0].rank, ranked[1].rank), (1, 1));
        assert!(ranked[0].explanation.contains("of 10 learners"));

        let heavier = [
            AxisNeeds {
                weight: 3.0,
                ..axes[1].clone()
            },
            axes[0].clone(),
        ];
        let what_if = rank_axes(&heavier, 10);
        // Wellbeing at weight 3: 0.4 × 0.8 × 3 = 0.96.
        assert_eq!(
            (what_if[0].axis_id, what_if[0].rank, what_if[1].rank),
            (2, 1, 2)
        );
        assert!((what_if[0].score - 0.96).abs() < 1e-12);
    }

    #[test]
    fn interventions_rank_by_axis_score_per_unit_of_cost() {
        let axes = rank_axes(
            &[AxisNeeds {
                axis_id: 1,
                name: "Method".into(),
                weight: 5.0,
                severities: vec![5],
            }],
            2,
        );
        let workshop = InterventionCost {
            intervention_id: 10,
            axis_id: 1,
            name: "Workshop".into(),
            sessions_per_month: 2.0,
            group_size: 8,
            session_cost: 120.0,
        };
        let coaching = InterventionCost {
            intervention_id: 11,
            group_size: 1,
            session_cost: 40.0,
            name: "Coaching".into(),
            ..workshop.clone()
        };

        let ranked = rank_interventions(&axes, &[coaching, workshop]);

        // Axis: 1/2 × 1 × 5 = 2.5. Workshop: 120 × 2 ÷ 8 = 30 → 2.5/30;
        // coaching: 40 × 2 ÷ 1 = 80 → 2.5/80.
        assert_eq!(ranked[0].intervention_id, 10);
        assert!((ranked[0].score - 2.5 / 30.0).abs() < 1e-12);
        assert!((ranked[1].cost_per_learner_month - 80.0).abs() < 1e-12);
        assert!(ranked[0].explanation.contains("= 30.00 a month"));
    }
}

/// A tutor's level, from hours of training and of tutoring together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TutorLevel {
    /// Under 10 hours.
    Novice,
    /// 10 to under 50 hours.
    Practitioner,
    /// 50 to under 150 hours.
    Experienced,
    /// 150 hours or more.
    Expert,
}

pub fn tutor_level(training_hours: f64, tutoring_hours: f64) -> TutorLevel {
    match training_hours + tutoring_hours {
        h if h >= 150.0 => TutorLevel::Expert,
        h if h >= 50.0 => TutorLevel::Experienced,
        h if h >= 10.0 => TutorLevel::Practitioner,
        _ => TutorLevel::Novice,
    }
}

#[cfg(test)]
mod level_tests {
    use super::*;

    #[test]
    fn levels_count_training_and_tutoring_hours_together() {
        assert_eq!(tutor_level(0.0, 9.5), TutorLevel::Novice);
        assert_eq!(tutor_level(4.0, 6.0), TutorLevel::Practitioner);
        assert_eq!(tutor_level(20.0, 30.0), TutorLevel::Experienced);
        assert_eq!(tutor_level(150.0, 0.0), TutorLevel::Expert);
    }
}
