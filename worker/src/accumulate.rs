//! Running totals of a campaign's responses, from which every figure of
//! [`compute_results`](crate::results::compute_results) follows without
//! reading the answers again: a new response costs one fold, not a
//! recomputation over millions of answers.
//!
//! What needs order is kept exactly: the count of each distinct value gives
//! medians, quartiles, distributions and NPS as a full pass would. What
//! needs spread is kept as running moments: per pair of a scale's items, over
//! the responses that answered both, the pairwise covariances that alpha is
//! made of. Group figures are means, so groups keep counts and sums.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::disclosure::Overlaps;
use crate::results::{
    Breakdown, CampaignResults, Figure, Frame, ItemDef, ResponseRow, ScaleDef, assemble, group,
    in_natural_order, is_choice, is_numeric, item_result_from, keyed, number, numeric_item_result,
    options_distribution, picks, scale_result_from,
};
use crate::stats::{self, Summary};

/// The layout of [`Accumulator`]; totals stored in another layout are
/// rebuilt rather than read.
pub const FORMAT: u32 = 2;

/// A questionnaire's items and scales, arranged for folding.
pub struct Definition<'a> {
    items: &'a [ItemDef],
    scales: &'a [ScaleDef],
    /// Per scale, the positions in `items` of its items, in the scale's order.
    members: Vec<Vec<usize>>,
    /// Positions of the numeric items, the ones whose means groups show.
    numeric: Vec<usize>,
    /// Per item, the distinct options a choice item counts.
    options: Vec<Vec<&'a str>>,
    fingerprint: String,
}

impl<'a> Definition<'a> {
    pub fn new(items: &'a [ItemDef], scales: &'a [ScaleDef]) -> Self {
        let position: HashMap<i64, usize> = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id, i))
            .collect();
        let members = scales
            .iter()
            .map(|s| {
                s.item_ids
                    .iter()
                    .filter_map(|id| position.get(id).copied())
                    .collect()
            })
            .collect();
        let numeric = (0..items.len())
            .filter(|i| is_numeric(&items[*i]))
            .collect();
        let options = items
            .iter()
            .map(|item| {
                let mut distinct: Vec<&str> = Vec::new();
                if !is_choice(item) {
                    return distinct;
                }
                for label in &item.labels {
                    if !distinct.contains(&label.as_str()) {
                        distinct.push(label);
                    }
                }
                distinct
            })
            .collect();
        Self {
            fingerprint: fingerprint(items, scales),
            items,
            scales,
            members,
            numeric,
            options,
        }
    }

    /// Totals of no response yet.
    pub fn empty(&self) -> Accumulator {
        Accumulator {
            format: FORMAT,
            definition: self.fingerprint.clone(),
            responses: 0,
            items: vec![ItemTotals::default(); self.items.len()],
            scales: self
                .members
                .iter()
                .map(|m| ScaleTotals {
                    scores: Counts::default(),
                    moments: (0..m.len())
                        .map(|i| vec![CoMoment::default(); m.len() - i])
                        .collect(),
                })
                .collect(),
            breakdowns: BTreeMap::new(),
            overlaps: Overlaps::default(),
        }
    }

    /// Stored totals, if they read and were folded for this definition.
    pub fn read(&self, stored: &str) -> Option<Accumulator> {
        let acc: Accumulator = serde_json::from_str(stored).ok()?;
        self.fits(&acc).then_some(acc)
    }

    /// Whether `acc` was folded for this definition, in this layout, with
    /// every total in its place.
    pub fn fits(&self, acc: &Accumulator) -> bool {
        let scales_fit = acc.scales.len() == self.members.len()
            && acc.scales.iter().zip(&self.members).all(|(t, m)| {
                t.scores.is_valid()
                    && t.moments.len() == m.len()
                    && t.moments
                        .iter()
                        .enumerate()
                        .all(|(i, row)| row.len() == m.len() - i)
            });
        let groups_fit =
            acc.breakdowns.values().flat_map(|g| g.values()).all(|g| {
                g.scales.len() == self.scales.len() && g.items.len() == self.numeric.len()
            });
        acc.format == FORMAT
            && acc.definition == self.fingerprint
            && acc.items.len() == self.items.len()
            && acc.items.iter().all(|t| t.values.is_valid())
            && scales_fit
            && groups_fit
            && acc.overlaps.is_valid()
    }

    fn empty_group(&self) -> GroupTotals {
        GroupTotals {
            n: 0,
            scales: vec![Sum::default(); self.scales.len()],
            items: vec![Sum::default(); self.numeric.len()],
        }
    }
}

/// A digest of what folding depends on: item ids, kinds, points, keying and
/// options, and which items make each scale. Wording is left out: it only
/// shows in the figures, which are recomputed from the definition each time.
fn fingerprint(items: &[ItemDef], scales: &[ScaleDef]) -> String {
    let items: Vec<_> = items
        .iter()
        .map(|i| (i.id, i.kind, i.points, i.reverse_keyed, &i.labels))
        .collect();
    let scales: Vec<&Vec<i64>> = scales.iter().map(|s| &s.item_ids).collect();
    let text = serde_json::json!([FORMAT, items, scales]).to_string();
    crate::tokens::hex(&Sha256::digest(text.as_bytes()))
}

/// Everything the figures of a campaign need, for the responses folded so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    format: u32,
    /// The [`fingerprint`] of the definition folded against.
    definition: String,
    responses: usize,
    /// In the order of the questionnaire's items.
    items: Vec<ItemTotals>,
    /// In the order of the questionnaire's scales.
    scales: Vec<ScaleTotals>,
    /// Attribute → value → the totals of that group.
    breakdowns: BTreeMap<String, BTreeMap<String, GroupTotals>>,
    /// Respondents shared by groups of different breakdowns.
    #[serde(default)]
    overlaps: Overlaps,
}

impl Accumulator {
    /// Responses folded.
    pub fn responses(&self) -> usize {
        self.responses
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct ItemTotals {
    /// Numeric items: how many responses gave each value.
    #[serde(default, skip_serializing_if = "Counts::is_empty")]
    values: Counts,
    /// Other items: how many responses answered.
    #[serde(default, skip_serializing_if = "is_zero")]
    answered: usize,
    /// Choice items: how many responses picked each option.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    options: BTreeMap<String, usize>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ScaleTotals {
    /// How many responses had each score.
    scores: Counts,
    /// Row `i` holds the pairs (i, i), (i, i + 1), … of the scale's items,
    /// keyed, each over the responses that answered both.
    moments: Vec<Vec<CoMoment>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct GroupTotals {
    n: usize,
    /// Scores, in the order of the scales.
    scales: Vec<Sum>,
    /// Answers, in the order of the numeric items.
    items: Vec<Sum>,
}

/// How many times each distinct value was seen, ascending.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct Counts(Vec<(f64, usize)>);

impl Counts {
    fn add(&mut self, v: f64) {
        // -0 and 0 are one answer, as they are to a full pass.
        let v = v + 0.0;
        match self.0.binary_search_by(|(c, _)| c.total_cmp(&v)) {
            Ok(i) => {
                if let Some((_, n)) = self.0.get_mut(i) {
                    *n += 1;
                }
            }
            Err(i) => self.0.insert(i, (v, 1)),
        }
    }

    fn n(&self) -> usize {
        self.0.iter().map(|(_, n)| n).sum()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Finite, strictly ascending, no zero count: as `add` leaves them.
    fn is_valid(&self) -> bool {
        self.0.iter().all(|(v, n)| v.is_finite() && *n > 0)
            && self.0.windows(2).all(|w| w[0].0 < w[1].0)
    }
}

/// Running means and co-moment of two variables (Welford): stable where
/// sums of squares would cancel, and exact for the small whole numbers that
/// most answers are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct CoMoment {
    n: usize,
    mean_x: f64,
    mean_y: f64,
    /// Σ (x − mean x)(y − mean y).
    c: f64,
}

impl CoMoment {
    fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        let n = self.n as f64;
        let dx = x - self.mean_x;
        self.mean_x += dx / n;
        self.mean_y += (y - self.mean_y) / n;
        self.c += dx * (y - self.mean_y);
    }

    /// Sample covariance, n − 1 denominator; needs two pairs.
    fn covariance(&self) -> Option<f64> {
        (self.n >= 2).then(|| self.c / (self.n - 1) as f64)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Sum {
    n: usize,
    sum: f64,
}

impl Sum {
    fn add(&mut self, v: f64) {
        self.n += 1;
        self.sum += v;
    }

    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// Adds one response to the totals. `acc` must fit `def`
/// ([`Definition::fits`]); totals out of place are left alone.
pub fn fold(def: &Definition<'_>, acc: &mut Accumulator, row: &ResponseRow) {
    acc.responses += 1;
    for ((totals, item), options) in acc.items.iter_mut().zip(def.items).zip(&def.options) {
        let value = row.answers.get(&item.id);
        if is_numeric(item) {
            if let Some(v) = number(value) {
                totals.values.add(v);
            }
            continue;
        }
        if crate::results::answered(value) {
            totals.answered += 1;
        }
        for option in options {
            if picks(value, option) {
                *totals.options.entry((*option).to_owned()).or_default() += 1;
            }
        }
    }

    let mut scores = Vec::with_capacity(def.scales.len());
    for (totals, members) in acc.scales.iter_mut().zip(&def.members) {
        let answers: Vec<Option<f64>> = members
            .iter()
            .map(|i| def.items.get(*i).and_then(|item| keyed(item, row)))
            .collect();
        let score = stats::scale_score(&answers);
        if let Some(score) = score {
            totals.scores.add(score);
        }
        for (i, x) in answers.iter().enumerate() {
            let (Some(x), Some(row)) = (x, totals.moments.get_mut(i)) else {
                continue;
            };
            for (y, moment) in answers[i..].iter().zip(row) {
                if let Some(y) = y {
                    moment.add(*x, *y);
                }
            }
        }
        scores.push(score);
    }

    acc.overlaps.add(&row.attributes);
    for (attribute, value) in &row.attributes {
        let groups = acc.breakdowns.entry(attribute.clone()).or_default();
        let group = match groups.get_mut(value) {
            Some(group) => group,
            None => groups.entry(value.clone()).or_insert(def.empty_group()),
        };
        group.n += 1;
        for (sum, score) in group.scales.iter_mut().zip(&scores) {
            if let Some(score) = score {
                sum.add(*score);
            }
        }
        for (sum, i) in group.items.iter_mut().zip(&def.numeric) {
            let item = def.items.get(*i);
            if let Some(v) = item.and_then(|item| number(row.answers.get(&item.id))) {
                sum.add(v);
            }
        }
    }
}

/// The figures of the folded responses: what
/// [`compute_results`](crate::results::compute_results) gives over the same
/// responses, up to rounding in the last digits of means, spreads and alphas.
pub fn results_from(
    def: &Definition<'_>,
    acc: &Accumulator,
    frame: &Frame,
    now: DateTime<Utc>,
) -> CampaignResults {
    let responses = acc.responses;
    let none = ItemTotals::default();
    let items = def
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let totals = acc.items.get(i).unwrap_or(&none);
            if is_numeric(item) {
                let missing = responses.saturating_sub(totals.values.n());
                let summary = stats::summarize_counts(&totals.values.0, missing);
                return numeric_item_result(item, summary, &totals.values.0);
            }
            let summary = Summary {
                n: totals.answered,
                missing: responses.saturating_sub(totals.answered),
                ..Summary::default()
            };
            let distribution = options_distribution(item, |option| {
                totals.options.get(option).copied().unwrap_or(0)
            });
            item_result_from(item, summary, distribution, None)
        })
        .collect();

    let scales = def
        .scales
        .iter()
        .zip(&def.members)
        .enumerate()
        .map(|(s, (scale, members))| {
            let members: Vec<&ItemDef> = members.iter().filter_map(|i| def.items.get(*i)).collect();
            let totals = acc.scales.get(s);
            let score = match totals {
                Some(t) => {
                    stats::summarize_counts(&t.scores.0, responses.saturating_sub(t.scores.n()))
                }
                None => Summary {
                    missing: responses,
                    ..Summary::default()
                },
            };
            scale_result_from(scale, &members, score, |i, j| {
                totals?.moments.get(i)?.get(j.checked_sub(i)?)?.covariance()
            })
        })
        .collect();

    let breakdowns = acc
        .breakdowns
        .iter()
        .map(|(attribute, groups)| {
            let groups: BTreeMap<&str, &GroupTotals> =
                groups.iter().map(|(v, g)| (v.as_str(), g)).collect();
            Breakdown {
                attribute: attribute.clone(),
                groups: in_natural_order(groups)
                    .into_iter()
                    .map(|(value, g)| {
                        group(value, g.n, frame.min_group_size, || group_figures(def, g))
                    })
                    .collect(),
            }
        })
        .collect();

    assemble(
        frame,
        responses,
        items,
        scales,
        breakdowns,
        &acc.overlaps,
        now,
    )
}

fn group_figures(def: &Definition<'_>, g: &GroupTotals) -> (Vec<Figure>, Vec<Figure>) {
    let figure = |code: &str, sum: Option<&Sum>| {
        let sum = sum.copied().unwrap_or_default();
        Figure {
            code: code.to_owned(),
            n: sum.n,
            mean: sum.mean(),
        }
    };
    let scale_means = def
        .scales
        .iter()
        .enumerate()
        .map(|(s, scale)| figure(&scale.code, g.scales.get(s)))
        .collect();
    let item_means = def
        .numeric
        .iter()
        .enumerate()
        .filter_map(|(k, i)| Some(figure(&def.items.get(*i)?.code, g.items.get(k))))
        .collect();
    (scale_means, item_means)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Value, compute_results, first_difference};
    use entities::ItemKind;
    use rand::rngs::StdRng;
    use rand::seq::IndexedRandom;
    use rand::{Rng, SeedableRng};

    fn likert(id: i64, code: &str, reverse: bool) -> ItemDef {
        ItemDef {
            id,
            code: code.into(),
            prompt: code.into(),
            kind: ItemKind::Likert,
            points: Some(5),
            reverse_keyed: reverse,
            labels: Vec::new(),
        }
    }

    fn row(attributes: &[(&str, &str)], answers: &[(i64, Value)]) -> ResponseRow {
        ResponseRow {
            person_id: None,
            attributes: attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            answers: answers.iter().cloned().collect(),
        }
    }

    fn frame(min_group_size: usize) -> Frame {
        Frame {
            invited: 10,
            responded_invitations: 4,
            min_group_size,
        }
    }

    fn folded(def: &Definition<'_>, rows: &[ResponseRow]) -> Accumulator {
        let mut acc = def.empty();
        for r in rows {
            fold(def, &mut acc, r);
        }
        acc
    }

    #[test]
    fn figures_of_a_small_campaign_come_out_as_worked_by_hand() {
        let items = [likert(1, "q1", false), likert(2, "q2", true)];
        let scales = [ScaleDef {
            code: "s".into(),
            name: "S".into(),
            higher_is_better: true,
            item_ids: vec![1, 2],
        }];
        let n = |v: f64| Value::Number(v);
        let rows = [
            row(&[("group", "a")], &[(1, n(5.0)), (2, n(1.0))]),
            row(&[("group", "a")], &[(1, n(4.0)), (2, n(2.0))]),
            row(&[("group", "a")], &[(1, n(3.0))]),
            row(&[("group", "b")], &[(1, n(1.0)), (2, n(5.0))]),
        ];
        let def = Definition::new(&items, &scales);

        let results = results_from(&def, &folded(&def, &rows), &frame(3), Utc::now());

        // Keyed scores 5, 4, 3, 1: mean 13/4, median 3.5.
        let score = &results.scales[0].score;
        assert_eq!(
            (score.n, score.mean, score.median),
            (4, Some(3.25), Some(3.5))
        );
        // var q1 (5, 4, 3, 1) = 35/12; keyed q2 is 5, 4, 1 where answered,
        // var 13/3, and so is q1 there: cov 13/3. Trace 87/12, total
        // 87/12 + 2 · 52/12 = 191/12: alpha = 2 · (1 − 87/191) = 208/191.
        let alpha = results.scales[0].alpha.unwrap_or_default();
        assert!((alpha - 208.0 / 191.0).abs() < 1e-12);
        assert_eq!(results.items[1].summary.missing, 1);
        assert_eq!(results.items[0].distribution.len(), 5);
        // The group of one is hidden, and the group of three with it: the
        // overall figures less its own would give the one answer away.
        let groups = &results.breakdowns[0].groups;
        assert_eq!((groups[0].n, groups[0].suppressed), (3, true));
        assert!(groups[0].scale_means.is_empty());
        assert!(groups[1].suppressed && groups[1].item_means.is_empty());
        let few = results_from(&def, &folded(&def, &rows), &frame(5), Utc::now());
        assert!(few.suppressed && few.breakdowns.is_empty() && few.scales[0].alpha.is_none());
    }

    #[test]
    fn counts_keep_values_ascending_and_zero_unsigned() {
        let mut counts = Counts::default();
        for v in [3.0, -0.0, 1.5, 3.0, 0.0] {
            counts.add(v);
        }

        assert_eq!(counts.0, vec![(0.0, 2), (1.5, 1), (3.0, 2)]);
        assert!(counts.0[0].0.is_sign_positive() && counts.is_valid());
        assert!(!Counts(vec![(2.0, 1), (1.0, 1)]).is_valid());
    }

    #[test]
    fn running_moments_give_the_pairwise_covariance() {
        let x = [Some(1.0), Some(2.0), None, Some(3.0), Some(7.5)];
        let y = [Some(2.0), Some(2.0), Some(9.0), Some(4.0), None];
        let mut moment = CoMoment::default();
        for (x, y) in x.iter().zip(&y) {
            if let (Some(x), Some(y)) = (x, y) {
                moment.add(*x, *y);
            }
        }

        // Over the three complete pairs: the hand-checked cov of 1.
        assert_eq!(moment.covariance(), stats::pairwise_covariance(&x, &y));
        assert_eq!(moment.covariance(), Some(1.0));
        assert_eq!(CoMoment::default().covariance(), None);
    }

    #[test]
    fn totals_of_another_definition_or_layout_are_not_read() {
        let items = [likert(1, "q1", false), likert(2, "q2", false)];
        let flipped = [likert(1, "q1", false), likert(2, "q2", true)];
        let def = Definition::new(&items, &[]);
        let stored = serde_json::to_string(&def.empty()).unwrap_or_default();

        assert!(def.read(&stored).is_some());
        // Reverse keying changes what was folded; wording does not.
        assert!(Definition::new(&flipped, &[]).read(&stored).is_none());
        let mut reworded = items.clone();
        reworded[0].prompt = "Another wording".into();
        assert!(Definition::new(&reworded, &[]).read(&stored).is_some());
        assert!(def.read("").is_none() && def.read("{}").is_none());
        let older = stored.replace(&format!("\"format\":{FORMAT}"), "\"format\":0");
        assert!(def.read(&older).is_none());
        let short = stored.replace("\"items\":[{},{}]", "\"items\":[{}]");
        assert!(short != stored && def.read(&short).is_none());
    }

    /// A random questionnaire: every kind of item, required or not, Likert
    /// items with and without labels or reverse keying, and up to three
    /// scales, some of one item, some holding items that are not numeric.
    fn questionnaire(rng: &mut StdRng) -> (Vec<ItemDef>, Vec<ScaleDef>, Vec<bool>) {
        let kinds = [
            ItemKind::Likert,
            ItemKind::SingleChoice,
            ItemKind::MultipleChoice,
            ItemKind::Number,
            ItemKind::Nps,
            ItemKind::FreeText,
        ];
        let count = rng.random_range(1..=10);
        let mut items = Vec::with_capacity(count);
        let mut required = Vec::with_capacity(count);
        for i in 0..count {
            let kind = *kinds.choose(rng).unwrap_or(&ItemKind::Likert);
            let points = (kind == ItemKind::Likert).then(|| rng.random_range(2..=11));
            let labels = match (kind, points) {
                (ItemKind::SingleChoice | ItemKind::MultipleChoice, _) => (0..rng
                    .random_range(2..=5))
                    .map(|o| format!("o{o}"))
                    .collect(),
                (ItemKind::Likert, Some(p)) if rng.random_bool(0.5) => {
                    (1..=p).map(|l| format!("label {l}")).collect()
                }
                _ => Vec::new(),
            };
            items.push(ItemDef {
                id: 1000 + 7 * i as i64,
                code: format!("i{i}"),
                prompt: format!("Item {i}"),
                kind,
                points,
                reverse_keyed: kind == ItemKind::Likert && rng.random_bool(0.4),
                labels,
            });
            required.push(rng.random_bool(0.3));
        }
        let mut scales: Vec<ScaleDef> = (0..rng.random_range(0..=3))
            .map(|s| ScaleDef {
                code: format!("s{s}"),
                name: format!("Scale {s}"),
                higher_is_better: rng.random_bool(0.7),
                item_ids: Vec::new(),
            })
            .collect();
        for item in &items {
            let numeric = is_numeric(item);
            if !scales.is_empty() && rng.random_bool(if numeric { 0.8 } else { 0.1 }) {
                let s = rng.random_range(0..scales.len());
                scales[s].item_ids.push(item.id);
            }
        }
        (items, scales, required)
    }

    /// A random response: optional items skipped now and then, a stray value
    /// of the wrong kind or outside the options once in a while, numbers on
    /// a quarter grid (sums of them are exact, as they are for whole-number
    /// answers), and up to three attributes.
    fn response(rng: &mut StdRng, items: &[ItemDef], required: &[bool]) -> ResponseRow {
        let mut answers = HashMap::new();
        for (item, required) in items.iter().zip(required) {
            if !required && rng.random_bool(0.3) {
                continue;
            }
            if rng.random_bool(0.02) {
                answers.insert(item.id, Value::Text("stray".into()));
                continue;
            }
            let value = match item.kind {
                ItemKind::Likert => {
                    Value::Number(f64::from(rng.random_range(1..=item.points.unwrap_or(5))))
                }
                ItemKind::Nps => Value::Number(f64::from(rng.random_range(0..=10))),
                ItemKind::Number => {
                    let offset = if rng.random_bool(0.1) { 1e9 } else { 0.0 };
                    let v = f64::from(rng.random_range(-400..=400)) / 4.0;
                    Value::Number(if v == 0.0 && rng.random_bool(0.5) {
                        -0.0
                    } else {
                        offset + v
                    })
                }
                ItemKind::SingleChoice => match item.labels.choose(rng) {
                    Some(o) if rng.random_bool(0.95) => Value::Text(o.clone()),
                    _ => Value::Text("not an option".into()),
                },
                ItemKind::MultipleChoice => {
                    let mut picked: Vec<String> = item
                        .labels
                        .iter()
                        .filter(|_| rng.random_bool(0.4))
                        .cloned()
                        .collect();
                    if let (Some(first), true) = (picked.first().cloned(), rng.random_bool(0.1)) {
                        picked.push(first);
                    }
                    Value::Choices(picked)
                }
                ItemKind::FreeText => Value::Text(
                    ["", "  ", "fine", "could be better"]
                        .choose(rng)
                        .copied()
                        .unwrap_or_default()
                        .to_owned(),
                ),
            };
            answers.insert(item.id, value);
        }
        let attributes = [
            ("age", &["<18", "18-24", "25+"][..]),
            ("site", &["north", "south", "east"][..]),
            ("year", &["1", "2", "10"][..]),
        ];
        let mut chosen = BTreeMap::new();
        for (name, values) in attributes {
            if let (true, Some(value)) = (rng.random_bool(0.6), values.choose(rng)) {
                chosen.insert(name.to_owned(), (*value).to_owned());
            }
        }
        ResponseRow {
            person_id: None,
            attributes: chosen,
            answers,
        }
    }

    #[test]
    fn folding_responses_in_any_batches_gives_the_figures_of_a_full_pass() {
        let now = Utc::now();
        for seed in 0..400u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let (items, scales, required) = questionnaire(&mut rng);
            let count = if seed % 10 == 0 {
                rng.random_range(100..300)
            } else {
                rng.random_range(0..40)
            };
            let rows: Vec<ResponseRow> = (0..count)
                .map(|_| response(&mut rng, &items, &required))
                .collect();
            let frame = Frame {
                min_group_size: rng.random_range(1..=6),
                ..frame(0)
            };
            let def = Definition::new(&items, &scales);

            // Batches of random sizes, the totals stored and read back
            // between them as the database keeps them.
            let mut acc = def.empty();
            let mut done = 0;
            while done < rows.len() || done == 0 {
                let batch = rng.random_range(1..=8).min(rows.len() - done);
                for r in &rows[done..done + batch] {
                    fold(&def, &mut acc, r);
                }
                done += batch;
                let stored = serde_json::to_string(&acc).unwrap_or_default();
                acc = def
                    .read(&stored)
                    .unwrap_or_else(|| panic!("seed {seed}: unreadable"));

                let input = crate::results::ResultsInput {
                    items: &items,
                    scales: &scales,
                    responses: &rows[..done],
                    invited: frame.invited,
                    responded_invitations: frame.responded_invitations,
                    min_group_size: frame.min_group_size,
                };
                let full = compute_results(&input, now);
                let incremental = results_from(&def, &acc, &frame, now);
                if let Some(e) = first_difference(&incremental, &full) {
                    panic!("seed {seed}, after {done} of {count} responses: {e}");
                }
                if rows.is_empty() {
                    break;
                }
            }
        }
    }
}
