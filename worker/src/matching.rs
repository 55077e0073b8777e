//! Matching learners with tutors: hard constraints that rule a pair out,
//! weighted criteria that score the pairs left, and an exact assignment that
//! maximises the total score under every tutor's capacity.
//!
//! Everything here is plain data in, plain data out; the callers load the
//! profiles and store the proposals.

use std::collections::{BTreeMap, HashSet};

use entities::CommunicationTool;
use serde::{Deserialize, Serialize};

/// Scores are compared as whole millionths so that the assignment is exact.
pub const SCORE_UNITS: f64 = 1_000_000.0;
/// Highest weight a criterion can be given.
pub const MAX_WEIGHT: f64 = 10.0;
/// Highest competence level, and highest severity, on an axis.
const TOP_LEVEL: f64 = 5.0;

/// A weekly availability window, in minutes from midnight; `weekday` 0 is Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub weekday: u8,
    pub start: u16,
    pub end: u16,
}

impl Window {
    /// Whether the window lies within one day and is not empty.
    pub fn is_valid(&self) -> bool {
        self.weekday < 7 && self.start < self.end && self.end <= 24 * 60
    }

    fn minutes(&self) -> u32 {
        u32::from(self.end.saturating_sub(self.start))
    }

    fn overlap(&self, other: &Window) -> u32 {
        if self.weekday != other.weekday {
            return 0;
        }
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        u32::from(end.saturating_sub(start))
    }
}

/// A learner waiting for a tutor in some role.
#[derive(Clone, Debug, Default)]
pub struct Learner {
    pub id: i64,
    /// Languages the learner can work in, lower-case; empty means any.
    pub languages: Vec<String>,
    /// When the learner is free; empty means any time.
    pub availability: Vec<Window>,
    /// Modes the learner prefers; empty means any.
    pub modes: Vec<CommunicationTool>,
    /// Open needs: axis and severity 1–5.
    pub needs: Vec<(i64, i32)>,
    /// Tutors the learner worked with before.
    pub previous_tutors: Vec<i64>,
}

/// A tutor's profile in the role being matched.
#[derive(Clone, Debug, Default)]
pub struct Tutor {
    pub id: i64,
    /// Most learners at once; 0 means not accepting.
    pub capacity: i32,
    /// Learners already matched and active.
    pub active: i32,
    pub languages: Vec<String>,
    pub availability: Vec<Window>,
    pub modes: Vec<CommunicationTool>,
    /// Competence per axis, 1–5.
    pub competences: Vec<(i64, i32)>,
}

impl Tutor {
    fn room(&self) -> u32 {
        u32::try_from(self.capacity.saturating_sub(self.active)).unwrap_or(0)
    }

    fn competence(&self, axis: i64) -> i32 {
        self.competences
            .iter()
            .find(|(a, _)| *a == axis)
            .map_or(0, |(_, level)| *level)
    }
}

/// Pairs a coordinator ruled out, and pairs already active in the role.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    /// (learner, tutor) pairs a coordinator excluded.
    pub exclusions: HashSet<(i64, i64)>,
    /// (learner, tutor) pairs already active in the role.
    pub active: HashSet<(i64, i64)>,
    /// (learner, tutor) pairs a coordinator turned down in the role.
    pub rejected: HashSet<(i64, i64)>,
}

/// Why a pair cannot be proposed. The order is the order of checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Constraint {
    /// Learner and tutor are the same person.
    SelfMatch,
    /// The tutor's capacity is 0.
    NotAccepting,
    /// The tutor has as many active learners as their capacity.
    Full,
    /// The pair is already active in this role.
    AlreadyActive,
    /// A coordinator excluded the pair.
    Excluded,
    /// A coordinator rejected this pair when it was proposed before.
    Rejected,
    /// No language in common.
    NoSharedLanguage,
    /// Both gave availability and no window overlaps.
    NoCommonAvailability,
}

/// What a pair's score is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Criterion {
    /// Tutor's competence on the learner's need axes, weighted by severity.
    AxisFit,
    /// How severe the learner's most severe need is.
    Severity,
    /// Share of the learner's time the tutor is also free.
    Availability,
    /// Whether they share a preferred mode.
    Mode,
    /// Whether the tutor worked with the learner before.
    Continuity,
    /// How much room the tutor had before this matching.
    LoadBalance,
}

impl Criterion {
    pub const ALL: [Criterion; 6] = [
        Criterion::AxisFit,
        Criterion::Severity,
        Criterion::Availability,
        Criterion::Mode,
        Criterion::Continuity,
        Criterion::LoadBalance,
    ];
}

/// The weight of each criterion.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub axis_fit: f64,
    pub severity: f64,
    pub availability: f64,
    pub mode: f64,
    pub continuity: f64,
    pub load_balance: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            axis_fit: 4.0,
            severity: 2.0,
            availability: 1.5,
            mode: 1.0,
            continuity: 1.0,
            load_balance: 0.5,
        }
    }
}

impl Weights {
    pub fn of(&self, criterion: Criterion) -> f64 {
        match criterion {
            Criterion::AxisFit => self.axis_fit,
            Criterion::Severity => self.severity,
            Criterion::Availability => self.availability,
            Criterion::Mode => self.mode,
            Criterion::Continuity => self.continuity,
            Criterion::LoadBalance => self.load_balance,
        }
    }

    /// Every weight within 0–[`MAX_WEIGHT`], and at least one above 0.
    pub fn is_valid(&self) -> bool {
        let all = Criterion::ALL.map(|c| self.of(c));
        all.iter()
            .all(|w| w.is_finite() && (0.0..=MAX_WEIGHT).contains(w))
            && all.iter().any(|w| *w > 0.0)
    }
}

/// One criterion's share of a pair's score: `points = weight × value`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub criterion: Criterion,
    /// How well the pair does on the criterion, 0–1.
    pub value: f64,
    pub weight: f64,
    pub points: f64,
}

/// A pair that passed every constraint, and its score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub score: f64,
    pub contributions: Vec<Contribution>,
}

impl Scored {
    fn units(&self) -> i64 {
        (self.score * SCORE_UNITS).round() as i64
    }
}

fn shares_any<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|x| b.contains(x))
}

/// Checks the hard constraints on a pair, then scores it.
pub fn assess(
    learner: &Learner,
    tutor: &Tutor,
    rules: &Rules,
    weights: &Weights,
) -> Result<Scored, Constraint> {
    let pair = (learner.id, tutor.id);
    if learner.id == tutor.id {
        return Err(Constraint::SelfMatch);
    }
    if tutor.capacity <= 0 {
        return Err(Constraint::NotAccepting);
    }
    if tutor.room() == 0 {
        return Err(Constraint::Full);
    }
    if rules.active.contains(&pair) {
        return Err(Constraint::AlreadyActive);
    }
    if rules.exclusions.contains(&pair) {
        return Err(Constraint::Excluded);
    }
    if rules.rejected.contains(&pair) {
        return Err(Constraint::Rejected);
    }
    if !shares_any(&learner.languages, &tutor.languages) {
        return Err(Constraint::NoSharedLanguage);
    }
    let availability = availability_share(&learner.availability, &tutor.availability)
        .ok_or(Constraint::NoCommonAvailability)?;

    let total_severity: i32 = learner.needs.iter().map(|(_, s)| *s).sum();
    let axis_fit = if total_severity > 0 {
        let fit: f64 = learner
            .needs
            .iter()
            .map(|(axis, s)| f64::from(*s) * f64::from(tutor.competence(*axis)) / TOP_LEVEL)
            .sum();
        fit / f64::from(total_severity)
    } else {
        0.0
    };
    let severity = learner.needs.iter().map(|(_, s)| *s).max().unwrap_or(0);
    let values = [
        (Criterion::AxisFit, axis_fit.clamp(0.0, 1.0)),
        (
            Criterion::Severity,
            (f64::from(severity) / TOP_LEVEL).clamp(0.0, 1.0),
        ),
        (Criterion::Availability, availability),
        (
            Criterion::Mode,
            if shares_any(&learner.modes, &tutor.modes) {
                1.0
            } else {
                0.0
            },
        ),
        (
            Criterion::Continuity,
            if learner.previous_tutors.contains(&tutor.id) {
                1.0
            } else {
                0.0
            },
        ),
        (
            Criterion::LoadBalance,
            1.0 - f64::from(tutor.active.max(0)) / f64::from(tutor.capacity),
        ),
    ];
    let contributions: Vec<Contribution> = values
        .into_iter()
        .map(|(criterion, value)| {
            let weight = weights.of(criterion);
            Contribution {
                criterion,
                value,
                weight,
                points: weight * value,
            }
        })
        .collect();
    // Scores are shown and compared in whole millionths.
    let score: f64 = contributions.iter().map(|c| c.points).sum();
    Ok(Scored {
        score: (score * SCORE_UNITS).round() / SCORE_UNITS,
        contributions,
    })
}

/// The share (0–1) of the learner's free time the tutor is also free, or
/// `None` when both gave windows and none overlap. Without windows on either
/// side there is nothing to rule out, and the share is 1.
fn availability_share(learner: &[Window], tutor: &[Window]) -> Option<f64> {
    if learner.is_empty() || tutor.is_empty() {
        return Some(1.0);
    }
    let wanted: u32 = learner.iter().map(Window::minutes).sum();
    let shared: u32 = learner
        .iter()
        .flat_map(|l| tutor.iter().map(move |t| l.overlap(t)))
        .sum();
    if shared == 0 || wanted == 0 {
        return None;
    }
    Some((f64::from(shared) / f64::from(wanted)).min(1.0))
}

/// Scores of every learner × tutor pair, in whole units; absent where a
/// constraint rules the pair out.
#[derive(Clone, Debug)]
pub struct ScoreMatrix {
    learners: usize,
    tutors: usize,
    cells: Vec<i64>,
}

const RULED_OUT: i64 = i64::MIN;

impl ScoreMatrix {
    pub fn new(learners: usize, tutors: usize) -> Self {
        ScoreMatrix {
            learners,
            tutors,
            cells: vec![RULED_OUT; learners * tutors],
        }
    }

    pub fn set(&mut self, learner: usize, tutor: usize, units: i64) {
        // Scores are never near i64::MIN; clamping keeps the sentinel unique.
        self.cells[learner * self.tutors + tutor] = units.max(RULED_OUT + 1);
    }

    pub fn get(&self, learner: usize, tutor: usize) -> Option<i64> {
        let units = self.cells[learner * self.tutors + tutor];
        (units != RULED_OUT).then_some(units)
    }

    pub fn learners(&self) -> usize {
        self.learners
    }

    pub fn tutors(&self) -> usize {
        self.tutors
    }
}

/// The assignment of learners to tutors with the highest total score, each
/// learner with at most one tutor and each tutor with at most `room[t]`
/// learners; a learner may stay unmatched. Returns each learner's tutor.
///
/// Among assignments with the highest total, one that matches the most
/// learners: a pair scoring 0 is still better than no tutor.
///
/// Successive shortest paths on the flow network source → learner → tutor →
/// sink, one learner at a time, with node potentials so that Dijkstra works
/// on non-negative reduced costs. A learner may also reach the sink directly
/// (staying unmatched), so every learner is placed and the paths may move
/// earlier learners to other tutors or out of the matching when that raises
/// the total. Costs are scores negated and scaled by `learners + 1`, and
/// staying unmatched costs 1: no number of extra matches can outweigh one
/// unit of score, yet among equal totals more matches win. Tutors are few,
/// so Dijkstra scans them as an array.
pub fn solve(scores: &ScoreMatrix, room: &[u32]) -> Vec<Option<usize>> {
    const FAR: i64 = i64::MAX / 4;
    const UNMATCHED: i64 = 1;
    let (learners, tutors) = (scores.learners, scores.tutors);
    assert_eq!(room.len(), tutors, "one room per tutor");
    let scale = i64::try_from(learners).unwrap_or(i64::MAX / 2) + 1;
    // Potentials start at the cheapest edge into each node so that every
    // reduced cost is non-negative.
    let cost = |l: usize, t: usize| scores.get(l, t).map(|s| -s * scale);
    let mut pot_t = vec![0i64; tutors];
    for (t, pot) in pot_t.iter_mut().enumerate() {
        *pot = (0..learners)
            .filter_map(|l| cost(l, t))
            .min()
            .unwrap_or(0)
            .min(0);
    }
    let mut pot_sink = pot_t.iter().copied().min().unwrap_or(0).min(0);
    let mut pot_l = vec![0i64; learners];

    let mut assigned: Vec<Option<usize>> = vec![None; learners];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); tutors];
    let mut dist_t = vec![FAR; tutors];
    let mut from_t = vec![0usize; tutors];
    let mut done_t = vec![false; tutors];
    let mut dist_l = vec![FAR; learners];
    let mut reached: Vec<usize> = Vec::new();

    #[derive(Clone, Copy)]
    enum End {
        /// The path ends at a tutor with room.
        Room(usize),
        /// The path ends with this learner leaving the matching.
        Leave(usize),
    }

    for start in 0..learners {
        // No edge enters `start` yet: any potential that makes its own edges
        // non-negative keeps the network's reduced costs valid.
        pot_l[start] = (0..tutors)
            .filter_map(|t| cost(start, t).map(|c| pot_t[t] - c))
            .fold(pot_sink, i64::max);
        dist_t.fill(FAR);
        done_t.fill(false);
        dist_l[start] = 0;
        reached.push(start);
        let mut dist_sink = UNMATCHED + pot_l[start] - pot_sink;
        let mut end = End::Leave(start);

        let mut relax = |l: usize, d: i64, dist_t: &mut [i64], done_t: &[bool]| {
            let row = l * tutors;
            for t in 0..tutors {
                let units = scores.cells[row + t];
                if units == RULED_OUT || done_t[t] {
                    continue;
                }
                let candidate = d - units * scale + pot_l[l] - pot_t[t];
                if candidate < dist_t[t] {
                    dist_t[t] = candidate;
                    from_t[t] = l;
                }
            }
        };
        relax(start, 0, &mut dist_t, &done_t);

        loop {
            let mut next = None;
            let mut best = dist_sink;
            for t in 0..tutors {
                if !done_t[t] && dist_t[t] < best {
                    best = dist_t[t];
                    next = Some(t);
                }
            }
            let Some(t) = next else { break };
            done_t[t] = true;
            if (members[t].len() as u64) < u64::from(room[t]) {
                let d = best + pot_t[t] - pot_sink;
                if d < dist_sink {
                    dist_sink = d;
                    end = End::Room(t);
                }
            }
            for &l in &members[t] {
                let back = cost(l, t).map_or(0, |c| -c);
                let d = best + back + pot_t[t] - pot_l[l];
                dist_l[l] = d;
                reached.push(l);
                let leave = d + UNMATCHED + pot_l[l] - pot_sink;
                if leave < dist_sink {
                    dist_sink = leave;
                    end = End::Leave(l);
                }
                relax(l, d, &mut dist_t, &done_t);
            }
        }

        for (pot, d) in pot_t.iter_mut().zip(&dist_t) {
            *pot += (*d).min(dist_sink);
        }
        for (pot, d) in pot_l.iter_mut().zip(&dist_l).take(start + 1) {
            *pot += (*d).min(dist_sink);
        }
        pot_sink += dist_sink;
        for l in reached.drain(..) {
            dist_l[l] = FAR;
        }

        // Walk the path back from the sink: each tutor on it takes the
        // learner it was reached from and lets go of the one it led to.
        let (mut tutor, mut leaving) = match end {
            End::Room(t) => (t, None),
            End::Leave(l) if l == start => continue,
            End::Leave(l) => match assigned[l].take() {
                Some(t) => (t, Some(l)),
                None => continue,
            },
        };
        loop {
            let joining = from_t[tutor];
            match leaving.and_then(|l| members[tutor].iter().position(|m| *m == l)) {
                Some(slot) => members[tutor][slot] = joining,
                None => members[tutor].push(joining),
            }
            let previous = assigned[joining].replace(tutor);
            match previous {
                Some(t) if joining != start => {
                    tutor = t;
                    leaving = Some(joining);
                }
                _ => break,
            }
        }
    }
    assigned
}

/// A proposed pair and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub learner: i64,
    pub tutor: i64,
    pub scored: Scored,
}

/// The outcome of matching a whole programme role.
#[derive(Clone, Debug, Default)]
pub struct Proposal {
    pub pairs: Vec<Pair>,
    /// Learners left without a tutor.
    pub unmatched: Vec<i64>,
    /// Sum of the proposed pairs' scores, in whole units.
    pub total_units: i64,
    /// How many pairs each constraint ruled out.
    pub ruled_out: BTreeMap<Constraint, u64>,
}

/// Scores every pair, then proposes the assignment with the highest total.
pub fn propose(
    learners: &[Learner],
    tutors: &[Tutor],
    rules: &Rules,
    weights: &Weights,
) -> Proposal {
    let mut scores = ScoreMatrix::new(learners.len(), tutors.len());
    let mut ruled_out = BTreeMap::new();
    for (l, learner) in learners.iter().enumerate() {
        for (t, tutor) in tutors.iter().enumerate() {
            match assess(learner, tutor, rules, weights) {
                Ok(scored) => scores.set(l, t, scored.units()),
                Err(constraint) => *ruled_out.entry(constraint).or_insert(0) += 1,
            }
        }
    }
    let room: Vec<u32> = tutors.iter().map(Tutor::room).collect();
    let assigned = solve(&scores, &room);

    let mut proposal = Proposal {
        ruled_out,
        ..Proposal::default()
    };
    for (l, tutor) in assigned.iter().enumerate() {
        let learner = &learners[l];
        match tutor {
            Some(t) => {
                if let Ok(scored) = assess(learner, &tutors[*t], rules, weights) {
                    proposal.total_units += scored.units();
                    proposal.pairs.push(Pair {
                        learner: learner.id,
                        tutor: tutors[*t].id,
                        scored,
                    });
                }
            }
            None => proposal.unmatched.push(learner.id),
        }
    }
    proposal
}

/// Total score of an assignment, in units.
pub fn total(scores: &ScoreMatrix, assigned: &[Option<usize>]) -> i64 {
    assigned
        .iter()
        .enumerate()
        .filter_map(|(l, t)| t.and_then(|t| scores.get(l, t)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tries every assignment: the reference for tiny instances.
    fn brute_force(scores: &ScoreMatrix, room: &[u32]) -> i64 {
        fn go(l: usize, scores: &ScoreMatrix, room: &mut [u32]) -> i64 {
            if l == scores.learners() {
                return 0;
            }
            let mut best = go(l + 1, scores, room);
            for t in 0..scores.tutors() {
                if let Some(s) = scores.get(l, t)
                    && room[t] > 0
                {
                    room[t] -= 1;
                    best = best.max(s + go(l + 1, scores, room));
                    room[t] += 1;
                }
            }
            best
        }
        go(0, scores, &mut room.to_vec())
    }

    /// A small deterministic generator, so the instances need no crate.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % below
        }
    }

    fn check_valid(scores: &ScoreMatrix, room: &[u32], assigned: &[Option<usize>]) {
        let mut load = vec![0u32; room.len()];
        for (l, t) in assigned.iter().enumerate() {
            if let Some(t) = t {
                assert!(scores.get(l, *t).is_some(), "ruled-out pair used");
                load[*t] += 1;
            }
        }
        for (t, n) in load.iter().enumerate() {
            assert!(*n <= room[t], "tutor {t} over capacity");
        }
    }

    #[test]
    fn the_assignment_equals_exhaustive_search_on_random_small_instances() {
        let mut rng = Lcg(7);
        for _ in 0..400 {
            let learners = 1 + rng.next(7) as usize;
            let tutors = 1 + rng.next(4) as usize;
            let mut scores = ScoreMatrix::new(learners, tutors);
            for l in 0..learners {
                for t in 0..tutors {
                    if rng.next(4) != 0 {
                        // Some negative scores: leaving a learner unmatched must win then.
                        scores.set(l, t, rng.next(200) as i64 - 30);
                    }
                }
            }
            let room: Vec<u32> = (0..tutors).map(|_| rng.next(4) as u32).collect();
            let assigned = solve(&scores, &room);
            check_valid(&scores, &room, &assigned);
            assert_eq!(total(&scores, &assigned), brute_force(&scores, &room));
        }
    }

    #[test]
    fn a_later_learner_can_displace_an_earlier_one_when_that_raises_the_total() {
        // Learner 0 likes tutor 0 a bit more than tutor 1; learner 1 can only
        // take tutor 0. Both have room for one.
        let mut scores = ScoreMatrix::new(2, 2);
        scores.set(0, 0, 10);
        scores.set(0, 1, 9);
        scores.set(1, 0, 8);
        let assigned = solve(&scores, &[1, 1]);
        assert_eq!(assigned, vec![Some(1), Some(0)]);
    }

    #[test]
    fn a_pair_scoring_zero_beats_no_tutor_but_never_a_higher_total() {
        let mut scores = ScoreMatrix::new(3, 2);
        scores.set(0, 0, 0);
        scores.set(1, 1, 0);
        scores.set(2, 1, 1);
        // Tutor 1 has one place: learner 2's single unit of score wins over
        // learner 1's match at 0; learner 0 still gets tutor 0 at score 0.
        assert_eq!(solve(&scores, &[1, 1]), vec![Some(0), None, Some(1)]);
    }

    fn window(weekday: u8, start: u16, end: u16) -> Window {
        Window {
            weekday,
            start,
            end,
        }
    }

    #[test]
    fn constraints_are_reported_in_order_and_scores_explain_themselves() {
        let learner = Learner {
            id: 1,
            languages: vec!["fr".into()],
            availability: vec![window(0, 600, 720)],
            modes: vec![CommunicationTool::Video],
            needs: vec![(10, 4), (11, 2)],
            previous_tutors: vec![2],
        };
        let tutor = Tutor {
            id: 2,
            capacity: 4,
            active: 1,
            languages: vec!["en".into(), "fr".into()],
            availability: vec![window(0, 660, 780)],
            modes: vec![CommunicationTool::Video, CommunicationTool::InPerson],
            competences: vec![(10, 5), (11, 1)],
        };
        let rules = Rules::default();
        let weights = Weights::default();
        let scored = assess(&learner, &tutor, &rules, &weights).unwrap();
        let value = |c: Criterion| {
            scored
                .contributions
                .iter()
                .find(|x| x.criterion == c)
                .unwrap()
                .value
        };
        // (4·5/5 + 2·1/5) / 6
        assert!((value(Criterion::AxisFit) - 4.4 / 6.0).abs() < 1e-12);
        assert!((value(Criterion::Severity) - 0.8).abs() < 1e-12);
        assert!((value(Criterion::Availability) - 0.5).abs() < 1e-12);
        assert_eq!(value(Criterion::Mode), 1.0);
        assert_eq!(value(Criterion::Continuity), 1.0);
        assert!((value(Criterion::LoadBalance) - 0.75).abs() < 1e-12);
        let sum: f64 = scored.contributions.iter().map(|c| c.points).sum();
        assert!((scored.score - sum).abs() <= 0.5 / SCORE_UNITS);

        let check = |learner: &Learner, tutor: &Tutor, rules: &Rules| {
            assess(learner, tutor, rules, &weights).unwrap_err()
        };
        assert_eq!(
            check(
                &Learner {
                    id: 2,
                    ..learner.clone()
                },
                &tutor,
                &rules
            ),
            Constraint::SelfMatch
        );
        assert_eq!(
            check(
                &learner,
                &Tutor {
                    capacity: 0,
                    ..tutor.clone()
                },
                &rules
            ),
            Constraint::NotAccepting
        );
        assert_eq!(
            check(
                &learner,
                &Tutor {
                    active: 4,
                    ..tutor.clone()
                },
                &rules
            ),
            Constraint::Full
        );
        let mut active = Rules::default();
        active.active.insert((1, 2));
        active.exclusions.insert((1, 2));
        assert_eq!(check(&learner, &tutor, &active), Constraint::AlreadyActive);
        let mut excluded = Rules::default();
        excluded.exclusions.insert((1, 2));
        assert_eq!(check(&learner, &tutor, &excluded), Constraint::Excluded);
        assert_eq!(
            check(
                &learner,
                &Tutor {
                    languages: vec!["de".into()],
                    ..tutor.clone()
                },
                &rules
            ),
            Constraint::NoSharedLanguage
        );
        assert_eq!(
            check(
                &learner,
                &Tutor {
                    availability: vec![window(1, 600, 720)],
                    ..tutor.clone()
                },
                &rules
            ),
            Constraint::NoCommonAvailability
        );
    }

    #[test]
    fn proposals_respect_room_left_and_list_the_unmatched() {
        let learners: Vec<Learner> = (1..=3)
            .map(|id| Learner {
                id,
                needs: vec![(1, id as i32)],
                ..Learner::default()
            })
            .collect();
        let tutors = vec![Tutor {
            id: 100,
            capacity: 3,
            active: 1,
            competences: vec![(1, 5)],
            ..Tutor::default()
        }];
        let proposal = propose(&learners, &tutors, &Rules::default(), &Weights::default());
        // Room for two: the two most severe needs win.
        let mut matched: Vec<i64> = proposal.pairs.iter().map(|p| p.learner).collect();
        matched.sort_unstable();
        assert_eq!(matched, vec![2, 3]);
        assert_eq!(proposal.unmatched, vec![1]);
        let sum: i64 = proposal.pairs.iter().map(|p| p.scored.units()).sum();
        assert_eq!(proposal.total_units, sum);
    }
}
