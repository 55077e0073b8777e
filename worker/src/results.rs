//! Aggregation of a campaign's responses: per item, per scale and per group.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entities::ItemKind;
use serde::{Deserialize, Serialize};

use crate::stats::{self, Interval, Summary};

/// An item as aggregation needs it.
#[derive(Clone, Debug)]
pub struct ItemDef {
    pub id: i64,
    pub code: String,
    pub prompt: String,
    pub kind: ItemKind,
    pub points: Option<i32>,
    pub reverse_keyed: bool,
    /// Choice options, or Likert anchor labels.
    pub labels: Vec<String>,
}

/// A scale: a named group of items.
#[derive(Clone, Debug)]
pub struct ScaleDef {
    pub code: String,
    pub name: String,
    /// Whether a high score is the good end (satisfaction) or not (stress).
    pub higher_is_better: bool,
    pub item_ids: Vec<i64>,
}

/// One answer's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Text(String),
    Choices(Vec<String>),
}

/// One response: its respondent attributes and its answers by item id.
#[derive(Clone, Debug, Default)]
pub struct ResponseRow {
    /// The respondent, when the campaign identifies them.
    pub person_id: Option<i64>,
    pub attributes: BTreeMap<String, String>,
    pub answers: HashMap<i64, Value>,
}

/// What aggregation reads.
pub struct ResultsInput<'a> {
    pub items: &'a [ItemDef],
    pub scales: &'a [ScaleDef],
    pub responses: &'a [ResponseRow],
    pub invited: u64,
    pub responded_invitations: u64,
    pub min_group_size: usize,
}

/// The figures of a campaign, stored as JSON and served as they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignResults {
    pub computed_at: DateTime<Utc>,
    pub invited: u64,
    pub responses: u64,
    /// Responses through invitations ÷ invitations; `None` without invitations.
    pub response_rate: Option<f64>,
    pub min_group_size: usize,
    /// Fewer responses than the minimum group size: only counts are given,
    /// since the figures would show individual answers.
    #[serde(default)]
    pub suppressed: bool,
    /// An anonymous campaign still open: only counts are given until it
    /// closes, since figures refreshed answer by answer would let each
    /// answer be worked out from the one before.
    #[serde(default)]
    pub withheld_until_close: bool,
    pub items: Vec<ItemResult>,
    pub scales: Vec<ScaleResult>,
    pub breakdowns: Vec<Breakdown>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub code: String,
    pub prompt: String,
    pub kind: ItemKind,
    pub points: Option<i32>,
    pub reverse_keyed: bool,
    /// Raw answers, before any reverse keying.
    pub summary: Summary,
    /// Answer counts, ascending; for multiple choice, respondents per option.
    pub distribution: Vec<Count>,
    /// Net promoter score, for NPS items: % promoters − % detractors.
    pub nps: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub value: String,
    pub label: Option<String>,
    pub count: usize,
    /// The count's percentage of those who answered the item; for multiple
    /// choice, of those who picked at least one option.
    #[serde(default)]
    pub percent: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleResult {
    pub code: String,
    pub name: String,
    pub item_codes: Vec<String>,
    pub reversed_item_codes: Vec<String>,
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    /// Lowest and highest possible score.
    pub range: Option<(f64, f64)>,
    /// Per-respondent scores: the mean of answered items after reverse keying.
    pub score: Summary,
    /// Cronbach's alpha, pairwise deletion.
    pub alpha: Option<f64>,
    /// Feldt's 95 % confidence interval of alpha, over the respondents with
    /// a score.
    #[serde(default)]
    pub alpha_ci: Option<Interval>,
    /// Each item of the scale, in the scale's order, against the others.
    #[serde(default)]
    pub item_analysis: Vec<ScaleItem>,
}

/// How one item of a scale holds with the others, from the same pairwise
/// covariances as alpha.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleItem {
    pub code: String,
    /// The scale's alpha without this item.
    pub alpha_if_deleted: Option<f64>,
    /// Correlation of the item with the sum of the scale's other items
    /// (corrected item-total correlation).
    pub item_rest_correlation: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub attribute: String,
    pub groups: Vec<Group>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub value: String,
    pub n: usize,
    /// Below the minimum group size: no figures are given.
    pub suppressed: bool,
    pub scale_means: Vec<Figure>,
    pub item_means: Vec<Figure>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub code: String,
    pub n: usize,
    pub mean: Option<f64>,
}

/// Computes every figure of a campaign from all its responses at once.
///
/// Aggregation folds responses into running totals instead
/// ([`crate::accumulate`]); this full pass is what the tests hold them to.
pub fn compute_results(input: &ResultsInput<'_>, now: DateTime<Utc>) -> CampaignResults {
    let numeric = is_numeric;
    let column = |item: &ItemDef, rows: &[&ResponseRow]| -> Vec<Option<f64>> {
        rows.iter()
            .map(|r| number(r.answers.get(&item.id)))
            .collect()
    };
    let all: Vec<&ResponseRow> = input.responses.iter().collect();

    let items = input
        .items
        .iter()
        .map(|item| item_result(item, &all, numeric(item).then(|| column(item, &all))))
        .collect();

    let by_id: HashMap<i64, &ItemDef> = input.items.iter().map(|i| (i.id, i)).collect();
    let scales = input
        .scales
        .iter()
        .map(|scale| scale_result(scale, &by_id, &all))
        .collect();

    let breakdowns = breakdowns(input, &by_id, numeric);
    let mut overlaps = crate::disclosure::Overlaps::default();
    for row in input.responses {
        overlaps.add(&row.attributes);
    }
    let frame = Frame {
        invited: input.invited,
        responded_invitations: input.responded_invitations,
        min_group_size: input.min_group_size,
    };
    assemble(
        &frame,
        input.responses.len(),
        items,
        scales,
        breakdowns,
        &overlaps,
        now,
    )
}

/// What the figures need besides the answers: the campaign's invitations
/// and its minimum group size.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub invited: u64,
    pub responded_invitations: u64,
    pub min_group_size: usize,
}

/// Puts the figures together, suppressed when there are too few responses.
pub(crate) fn assemble(
    frame: &Frame,
    responses: usize,
    items: Vec<ItemResult>,
    scales: Vec<ScaleResult>,
    breakdowns: Vec<Breakdown>,
    overlaps: &crate::disclosure::Overlaps,
    now: DateTime<Utc>,
) -> CampaignResults {
    let response_rate =
        (frame.invited > 0).then(|| frame.responded_invitations as f64 / frame.invited as f64);
    let mut results = CampaignResults {
        computed_at: now,
        invited: frame.invited,
        responses: responses as u64,
        response_rate,
        min_group_size: frame.min_group_size,
        suppressed: false,
        withheld_until_close: false,
        items,
        scales,
        breakdowns,
    };
    if responses < frame.min_group_size {
        suppress(&mut results);
    }
    crate::disclosure::protect(&mut results, overlaps);
    results
}

/// Keeps only the counts of an anonymous campaign that is still open.
pub fn withhold_until_close(results: &mut CampaignResults) {
    suppress(results);
    results.suppressed = false;
    results.withheld_until_close = true;
}

/// Keeps only counts: with so few responses, figures would show answers.
fn suppress(results: &mut CampaignResults) {
    results.suppressed = true;
    for item in &mut results.items {
        item.summary = Summary {
            n: item.summary.n,
            missing: item.summary.missing,
            ..Summary::default()
        };
        item.distribution.clear();
        item.nps = None;
    }
    for scale in &mut results.scales {
        scale.score = Summary {
            n: scale.score.n,
            missing: scale.score.missing,
            ..Summary::default()
        };
        scale.alpha = None;
        scale.alpha_ci = None;
        scale.item_analysis.clear();
    }
    results.breakdowns.clear();
}

/// A numeric answer. A stored number that is not finite cannot come through
/// the checks on input; if one is found anyway, it counts as missing rather
/// than turning every figure into NaN.
pub(crate) fn number(value: Option<&Value>) -> Option<f64> {
    match value {
        Some(Value::Number(v)) if v.is_finite() => Some(*v),
        _ => None,
    }
}

/// Whether an item offers options to pick.
pub(crate) fn is_choice(item: &ItemDef) -> bool {
    matches!(item.kind, ItemKind::SingleChoice | ItemKind::MultipleChoice)
}

/// Whether an item counts as numeric: Likert, number and NPS items.
pub(crate) fn is_numeric(item: &ItemDef) -> bool {
    matches!(
        item.kind,
        ItemKind::Likert | ItemKind::Number | ItemKind::Nps
    )
}

fn item_result(
    item: &ItemDef,
    rows: &[&ResponseRow],
    column: Option<Vec<Option<f64>>>,
) -> ItemResult {
    match column {
        Some(values) => {
            let counted = stats::distribution(&values);
            numeric_item_result(item, stats::summarize(&values), &counted)
        }
        None => {
            let answered = rows
                .iter()
                .filter(|r| answered(r.answers.get(&item.id)))
                .count();
            let summary = Summary {
                n: answered,
                missing: rows.len() - answered,
                ..Summary::default()
            };
            item_result_from(item, summary, choice_distribution(item, rows), None)
        }
    }
}

/// The figures of a numeric item from its summary and its answer counts.
pub(crate) fn numeric_item_result(
    item: &ItemDef,
    summary: Summary,
    counted: &[(f64, usize)],
) -> ItemResult {
    let distribution = if item.kind == ItemKind::Number {
        Vec::new()
    } else {
        numeric_distribution(item, counted)
    };
    let nps = (item.kind == ItemKind::Nps)
        .then(|| net_promoter(counted))
        .flatten();
    item_result_from(item, summary, distribution, nps)
}

pub(crate) fn item_result_from(
    item: &ItemDef,
    summary: Summary,
    distribution: Vec<Count>,
    nps: Option<f64>,
) -> ItemResult {
    let answered = summary.n;
    let distribution = distribution
        .into_iter()
        .map(|count| Count {
            percent: stats::percent_of(count.count, answered),
            ..count
        })
        .collect();
    ItemResult {
        code: item.code.clone(),
        prompt: item.prompt.clone(),
        kind: item.kind,
        points: item.points,
        reverse_keyed: item.reverse_keyed,
        summary,
        distribution,
        nps,
    }
}

pub(crate) fn answered(value: Option<&Value>) -> bool {
    match value {
        None => false,
        Some(Value::Text(t)) => !t.trim().is_empty(),
        Some(Value::Choices(c)) => !c.is_empty(),
        Some(Value::Number(_)) => true,
    }
}

/// Likert and NPS items list every possible value, answered or not;
/// `counted` holds the counts of the values present, ascending.
fn numeric_distribution(item: &ItemDef, counted: &[(f64, usize)]) -> Vec<Count> {
    let possible: Vec<f64> = match (item.kind, item.points) {
        (ItemKind::Likert, Some(points)) => (1..=points).map(f64::from).collect(),
        (ItemKind::Nps, _) => (0..=10).map(f64::from).collect(),
        _ => counted.iter().map(|(v, _)| *v).collect(),
    };
    possible
        .into_iter()
        .map(|v| {
            let count = counted.iter().find(|(c, _)| *c == v).map_or(0, |(_, n)| *n);
            let label = (item.kind == ItemKind::Likert)
                .then(|| {
                    let index = (v as usize).checked_sub(1)?;
                    item.labels.get(index).cloned()
                })
                .flatten();
            Count {
                value: format_number(v),
                label,
                count,
                percent: None,
            }
        })
        .collect()
}

fn choice_distribution(item: &ItemDef, rows: &[&ResponseRow]) -> Vec<Count> {
    options_distribution(item, |option| {
        rows.iter()
            .filter(|r| picks(r.answers.get(&item.id), option))
            .count()
    })
}

/// Whether an answer picks `option`.
pub(crate) fn picks(value: Option<&Value>, option: &str) -> bool {
    match value {
        Some(Value::Text(t)) => t == option,
        Some(Value::Choices(c)) => c.iter().any(|c| c == option),
        _ => false,
    }
}

/// Choice items list their options in order, each with `count(option)`.
pub(crate) fn options_distribution(item: &ItemDef, count: impl Fn(&str) -> usize) -> Vec<Count> {
    if !is_choice(item) {
        return Vec::new();
    }
    item.labels
        .iter()
        .map(|option| Count {
            value: option.clone(),
            label: None,
            count: count(option),
            percent: None,
        })
        .collect()
}

/// % of 9–10 answers minus % of 0–6 answers, over those who answered,
/// from the counts of each answer.
fn net_promoter(counted: &[(f64, usize)]) -> Option<f64> {
    let count = |keep: fn(f64) -> bool| -> usize {
        counted
            .iter()
            .filter(|(v, _)| keep(*v))
            .map(|(_, n)| n)
            .sum()
    };
    let present = count(|_| true);
    if present == 0 {
        return None;
    }
    let promoters = count(|v| v >= 9.0) as f64;
    let detractors = count(|v| v <= 6.0) as f64;
    Some(100.0 * (promoters - detractors) / present as f64)
}

/// The keyed columns of a scale's items: reverse-keyed answers mirrored.
fn keyed_columns(
    scale: &ScaleDef,
    by_id: &HashMap<i64, &ItemDef>,
    rows: &[&ResponseRow],
) -> Vec<Vec<Option<f64>>> {
    members(scale, by_id)
        .into_iter()
        .map(|item| rows.iter().map(|r| keyed(item, r)).collect())
        .collect()
}

/// The items of a scale that the questionnaire has, in the scale's order.
pub(crate) fn members<'a>(scale: &ScaleDef, by_id: &HashMap<i64, &'a ItemDef>) -> Vec<&'a ItemDef> {
    scale
        .item_ids
        .iter()
        .filter_map(|id| by_id.get(id).copied())
        .collect()
}

/// A response's answer to a scale item, mirrored if the item is reverse-keyed.
pub(crate) fn keyed(item: &ItemDef, row: &ResponseRow) -> Option<f64> {
    let v = number(row.answers.get(&item.id))?;
    match (item.reverse_keyed, item.points) {
        (true, Some(points)) => Some(stats::reverse(v, points)),
        _ => Some(v),
    }
}

/// Each response's score on a scale, in the order of `rows`.
pub fn respondent_scores(
    scale: &ScaleDef,
    items: &[ItemDef],
    rows: &[ResponseRow],
) -> Vec<Option<f64>> {
    let by_id: HashMap<i64, &ItemDef> = items.iter().map(|i| (i.id, i)).collect();
    let rows: Vec<&ResponseRow> = rows.iter().collect();
    scores(&keyed_columns(scale, &by_id, &rows), rows.len())
}

/// Lowest and highest score a scale can take, when all its items have points.
pub fn scale_range(scale: &ScaleDef, items: &[ItemDef]) -> Option<(f64, f64)> {
    let points: Option<Vec<i32>> = items
        .iter()
        .filter(|i| scale.item_ids.contains(&i.id))
        .map(|i| i.points)
        .collect();
    Some((1.0, f64::from(*points?.iter().max()?)))
}

fn scores(columns: &[Vec<Option<f64>>], rows: usize) -> Vec<Option<f64>> {
    (0..rows)
        .map(|r| {
            let answers: Vec<Option<f64>> = columns.iter().map(|c| c[r]).collect();
            stats::scale_score(&answers)
        })
        .collect()
}

fn scale_result(
    scale: &ScaleDef,
    by_id: &HashMap<i64, &ItemDef>,
    rows: &[&ResponseRow],
) -> ScaleResult {
    let columns = keyed_columns(scale, by_id, rows);
    let k = columns.len();
    // Row i holds cov(i, j) for j >= i, as the running totals keep them.
    let covariances: Vec<Vec<Option<f64>>> = (0..k)
        .map(|i| {
            (i..k)
                .map(|j| stats::pairwise_covariance(&columns[i], &columns[j]))
                .collect()
        })
        .collect();
    scale_result_from(
        scale,
        &members(scale, by_id),
        stats::summarize(&scores(&columns, rows.len())),
        |i, j| *covariances.get(i)?.get(j.checked_sub(i)?)?,
    )
}

/// The figures of a scale from its score summary and the pairwise
/// covariances of its keyed items, `cov(i, j)` for `i <= j` in the order of
/// `members`.
pub(crate) fn scale_result_from(
    scale: &ScaleDef,
    members: &[&ItemDef],
    score: Summary,
    cov: impl Fn(usize, usize) -> Option<f64>,
) -> ScaleResult {
    let k = members.len();
    let alpha = stats::alpha_from_covariances(k, &cov);
    let alpha_ci = alpha.and_then(|a| stats::alpha_interval(a, score.n, k, stats::CONFIDENCE));
    let deleted = stats::alpha_if_deleted(k, &cov);
    let corrected = stats::item_rest_correlations(k, &cov);
    let item_analysis = members
        .iter()
        .zip(deleted.into_iter().zip(corrected))
        .map(
            |(item, (alpha_if_deleted, item_rest_correlation))| ScaleItem {
                code: item.code.clone(),
                alpha_if_deleted,
                item_rest_correlation,
            },
        )
        .collect();

    let range = members
        .iter()
        .map(|i| i.points)
        .collect::<Option<Vec<_>>>()
        .and_then(|points| Some((1.0, f64::from(*points.iter().max()?))));

    ScaleResult {
        code: scale.code.clone(),
        name: scale.name.clone(),
        higher_is_better: scale.higher_is_better,
        item_codes: members.iter().map(|i| i.code.clone()).collect(),
        reversed_item_codes: members
            .iter()
            .filter(|i| i.reverse_keyed)
            .map(|i| i.code.clone())
            .collect(),
        range,
        score,
        alpha,
        alpha_ci,
        item_analysis,
    }
}

fn breakdowns(
    input: &ResultsInput<'_>,
    by_id: &HashMap<i64, &ItemDef>,
    numeric: impl Fn(&ItemDef) -> bool,
) -> Vec<Breakdown> {
    let mut groups: BTreeMap<&str, BTreeMap<&str, Vec<&ResponseRow>>> = BTreeMap::new();
    for row in input.responses {
        for (attribute, value) in &row.attributes {
            groups
                .entry(attribute)
                .or_default()
                .entry(value)
                .or_default()
                .push(row);
        }
    }

    groups
        .into_iter()
        .map(|(attribute, by_value)| Breakdown {
            attribute: attribute.to_owned(),
            groups: in_natural_order(by_value)
                .into_iter()
                .map(|(value, rows)| {
                    group(value, rows.len(), input.min_group_size, || {
                        group_figures(input, by_id, &numeric, &rows)
                    })
                })
                .collect(),
        })
        .collect()
}

/// A group of `n` responses; its figures only when it is large enough.
pub(crate) fn group(
    value: &str,
    n: usize,
    min_group_size: usize,
    figures: impl FnOnce() -> (Vec<Figure>, Vec<Figure>),
) -> Group {
    let suppressed = n < min_group_size;
    let (scale_means, item_means) = if suppressed {
        (Vec::new(), Vec::new())
    } else {
        figures()
    };
    Group {
        value: value.to_owned(),
        n,
        suppressed,
        scale_means,
        item_means,
    }
}

/// The number a group value starts with: `18-24` → 18, `50+` → 50, and
/// `<18` just below 18.
fn leading_number(value: &str) -> Option<f64> {
    let (below, rest) = match value.strip_prefix('<') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let end = rest
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && *c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    let n: f64 = rest[..end].parse().ok()?;
    Some(if below { n - 0.5 } else { n })
}

/// Groups in numeric order when every value starts with a number (`2`
/// before `10`, `<18` before `18-24`), else in text order.
pub(crate) fn in_natural_order<T>(groups: BTreeMap<&str, T>) -> Vec<(&str, T)> {
    let mut groups: Vec<(&str, T)> = groups.into_iter().collect();
    let numbers: Option<Vec<f64>> = groups.iter().map(|(v, _)| leading_number(v)).collect();
    if let Some(numbers) = numbers {
        let mut keyed: Vec<(f64, (&str, T))> = numbers.into_iter().zip(groups).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        groups = keyed.into_iter().map(|(_, g)| g).collect();
    }
    groups
}

fn group_figures(
    input: &ResultsInput<'_>,
    by_id: &HashMap<i64, &ItemDef>,
    numeric: &impl Fn(&ItemDef) -> bool,
    rows: &[&ResponseRow],
) -> (Vec<Figure>, Vec<Figure>) {
    let figure = |code: &str, values: &[Option<f64>]| {
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        Figure {
            code: code.to_owned(),
            n: present.len(),
            mean: stats::mean(&present),
        }
    };
    let scale_means = input
        .scales
        .iter()
        .map(|scale| {
            figure(
                &scale.code,
                &scores(&keyed_columns(scale, by_id, rows), rows.len()),
            )
        })
        .collect();
    let item_means = input
        .items
        .iter()
        .filter(|item| numeric(item))
        .map(|item| {
            let values: Vec<Option<f64>> = rows
                .iter()
                .map(|r| number(r.answers.get(&item.id)))
                .collect();
            figure(&item.code, &values)
        })
        .collect();
    (scale_means, item_means)
}

/// Where two sets of figures differ beyond rounding, if they do: shape,
/// counts and text exactly, numbers within 1e-9 (relative above 1); when
/// they were computed is left out. For checking running totals against a
/// full pass.
pub fn first_difference(a: &CampaignResults, b: &CampaignResults) -> Option<String> {
    let json = |r: &CampaignResults| {
        let mut v = serde_json::to_value(r).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("computed_at");
        }
        v
    };
    differ(&json(a), &json(b), "results").err()
}

fn differ(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Result<(), String> {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                return if x == y {
                    Ok(())
                } else {
                    Err(format!("{at}: {x} ≠ {y}"))
                };
            }
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            if (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0) {
                Ok(())
            } else {
                Err(format!("{at}: {x} ≠ {y}"))
            }
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(i, (x, y))| differ(x, y, &format!("{at}[{i}]"))),
        (J::Object(x), J::Object(y)) if x.len() == y.len() => x.iter().try_for_each(|(k, v)| {
            let w = y.get(k).ok_or(format!("{at}.{k}: missing"))?;
            differ(v, w, &format!("{at}.{k}"))
        }),
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a} ≠ {b}")),
    }
}

fn yes() -> bool {
    true
}

/// `3` rather than `3.0` for whole numbers.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn row(group: &str, answers: &[(i64, f64)]) -> ResponseRow {
        ResponseRow {
            person_id: None,
            attributes: BTreeMap::from([("group".to_owned(), group.to_owned())]),
            answers: answers
                .iter()
                .map(|(id, v)| (*id, Value::Number(*v)))
                .collect(),
        }
    }

    #[test]
    fn scale_scores_reverse_keyed_items_and_groups_below_minimum_are_suppressed() {
        let items = [likert(1, "q1", false), likert(2, "q2", true)];
        let scales = [ScaleDef {
            code: "s".into(),
            name: "S".into(),
            higher_is_better: true,
            item_ids: vec![1, 2],
        }];
        let responses = [
            row("a", &[(1, 5.0), (2, 1.0)]),
            row("a", &[(1, 4.0), (2, 2.0)]),
            row("a", &[(1, 3.0)]),
            row("b", &[(1, 1.0), (2, 5.0)]),
        ];
        let input = ResultsInput {
            items: &items,
            scales: &scales,
            responses: &responses,
            invited: 8,
            responded_invitations: 2,
            min_group_size: 3,
        };

        let results = compute_results(&input, Utc::now());
        let few = compute_results(
            &ResultsInput {
                min_group_size: 5,
                ..input
            },
            Utc::now(),
        );

        assert!(few.suppressed && few.breakdowns.is_empty());
        assert_eq!(
            (few.items[0].summary.n, few.items[0].summary.mean),
            (4, None)
        );
        assert!(few.scales[0].score.mean.is_none() && few.scales[0].alpha.is_none());
        // Keyed scores: (5+5)/2 = 5, (4+4)/2 = 4, 3, (1+1)/2 = 1 → mean 13/4.
        assert_eq!(results.scales[0].score.mean, Some(3.25));
        assert_eq!(results.scales[0].reversed_item_codes, vec!["q2"]);
        assert_eq!(results.items[1].summary.missing, 1);
        assert_eq!(results.items[0].distribution.len(), 5);
        assert_eq!(results.response_rate, Some(0.25));
        // The group of one is hidden, and the group of three with it: the
        // overall figures less its own would give the one answer away.
        let groups = &results.breakdowns[0].groups;
        assert_eq!((groups[0].n, groups[0].suppressed), (3, true));
        assert!(groups[0].scale_means.is_empty());
        assert!(groups[1].suppressed && groups[1].item_means.is_empty());
    }

    #[test]
    fn percentages_are_of_those_who_answered_the_item() {
        let mut items = vec![likert(1, "q1", false), likert(2, "q2", false)];
        items.push(ItemDef {
            id: 3,
            code: "m".into(),
            prompt: "m".into(),
            kind: ItemKind::MultipleChoice,
            points: None,
            reverse_keyed: false,
            labels: vec!["x".into(), "y".into()],
        });
        let mut responses = vec![
            row("a", &[(1, 5.0), (2, 4.0)]),
            row("a", &[(1, 4.0), (2, 4.0)]),
            row("a", &[(1, 4.0)]),
            row("a", &[(1, 1.0)]),
            row("a", &[]),
        ];
        let picks = [vec!["x", "y"], vec!["x"], vec![], vec!["y"]];
        for (r, picked) in responses.iter_mut().zip(picks) {
            let picked = picked.into_iter().map(String::from).collect();
            r.answers.insert(3, Value::Choices(picked));
        }
        let input = ResultsInput {
            items: &items,
            scales: &[],
            responses: &responses,
            invited: 20,
            responded_invitations: 5,
            min_group_size: 1,
        };

        let results = compute_results(&input, Utc::now());

        let percents = |i: usize| -> Vec<Option<f64>> {
            results.items[i]
                .distribution
                .iter()
                .map(|c| c.percent)
                .collect()
        };
        // q1: 4 answered of 5 respondents (20 invited): 1 → 25 %, 4 → 50 %.
        assert_eq!(
            percents(0),
            [Some(25.0), Some(0.0), Some(0.0), Some(50.0), Some(25.0)]
        );
        // q2: both answers are 4, of the 2 who answered.
        assert_eq!(percents(1)[3], Some(100.0));
        // Multiple choice: 3 picked something (one picked nothing, one did not
        // answer); x 2 of 3, y 2 of 3, more than 100 % in all.
        let two_thirds = Some(200.0 / 3.0);
        assert_eq!(percents(2), [two_thirds, two_thirds]);
    }

    #[test]
    fn suppressed_results_have_no_interval_or_item_analysis() {
        let items = [
            likert(1, "q1", false),
            likert(2, "q2", true),
            likert(3, "q3", false),
        ];
        let scales = [ScaleDef {
            code: "s".into(),
            name: "S".into(),
            higher_is_better: true,
            item_ids: vec![1, 2, 3],
        }];
        let responses = [
            row("a", &[(1, 5.0), (2, 1.0), (3, 4.0)]),
            row("a", &[(1, 4.0), (2, 3.0), (3, 4.0)]),
            row("a", &[(1, 2.0), (2, 4.0), (3, 1.0)]),
            row("a", &[(1, 1.0), (2, 4.0), (3, 3.0)]),
        ];
        let input = ResultsInput {
            items: &items,
            scales: &scales,
            responses: &responses,
            invited: 0,
            responded_invitations: 0,
            min_group_size: 4,
        };

        let shown = compute_results(&input, Utc::now());
        let hidden = compute_results(
            &ResultsInput {
                min_group_size: 5,
                ..input
            },
            Utc::now(),
        );

        let scale = &shown.scales[0];
        assert!(scale.alpha.is_some() && scale.alpha_ci.is_some());
        let codes: Vec<&str> = scale
            .item_analysis
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(codes, ["q1", "q2", "q3"]);
        assert!(
            scale
                .item_analysis
                .iter()
                .all(|i| i.alpha_if_deleted.is_some())
        );
        let hidden = &hidden.scales[0];
        assert!(hidden.alpha_ci.is_none() && hidden.item_analysis.is_empty());
    }

    #[test]
    fn results_stored_before_the_interval_and_percentages_still_read() {
        let items = [likert(1, "q1", false), likert(2, "q2", false)];
        let scales = [ScaleDef {
            code: "s".into(),
            name: "S".into(),
            higher_is_better: true,
            item_ids: vec![1, 2],
        }];
        let responses = [
            row("a", &[(1, 5.0), (2, 4.0)]),
            row("a", &[(1, 2.0), (2, 3.0)]),
            row("a", &[(1, 3.0), (2, 1.0)]),
        ];
        let input = ResultsInput {
            items: &items,
            scales: &scales,
            responses: &responses,
            invited: 0,
            responded_invitations: 0,
            min_group_size: 1,
        };
        let mut stored =
            serde_json::to_value(compute_results(&input, Utc::now())).unwrap_or_default();
        for scale in stored["scales"].as_array_mut().into_iter().flatten() {
            scale.as_object_mut().map(|s| s.remove("alpha_ci"));
            scale.as_object_mut().map(|s| s.remove("item_analysis"));
        }
        for item in stored["items"].as_array_mut().into_iter().flatten() {
            for count in item["distribution"].as_array_mut().into_iter().flatten() {
                count.as_object_mut().map(|c| c.remove("percent"));
            }
        }

        let read: CampaignResults =
            serde_json::from_value(stored.clone()).unwrap_or_else(|e| panic!("{e}: {stored}"));

        assert!(read.scales[0].alpha.is_some() && read.scales[0].alpha_ci.is_none());
        assert!(read.scales[0].item_analysis.is_empty());
        assert_eq!(read.items[0].distribution[4].percent, None);
        assert_eq!(read.items[0].distribution[4].count, 1);
    }

    #[test]
    fn numeric_groups_sort_as_numbers_and_others_as_text() {
        let numeric = BTreeMap::from([("10", ()), ("2", ()), ("1", ())]);
        let mixed = BTreeMap::from([("b", ()), ("10", ()), ("2", ())]);

        let numeric: Vec<&str> = in_natural_order(numeric)
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        let mixed: Vec<&str> = in_natural_order(mixed)
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        assert_eq!(numeric, ["1", "2", "10"]);
        assert_eq!(mixed, ["10", "2", "b"]);
        let bands = BTreeMap::from([("18-24", ()), ("50+", ()), ("<18", ()), ("25-34", ())]);
        let bands: Vec<&str> = in_natural_order(bands)
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        assert_eq!(bands, ["<18", "18-24", "25-34", "50+"]);
    }

    #[test]
    fn figures_differ_beyond_rounding_only() {
        let items = [likert(1, "q1", false)];
        let responses = [row("a", &[(1, 3.0)]), row("a", &[(1, 4.0)])];
        let input = ResultsInput {
            items: &items,
            scales: &[],
            responses: &responses,
            invited: 0,
            responded_invitations: 0,
            min_group_size: 1,
        };
        let a = compute_results(&input, Utc::now());
        let later = compute_results(&input, Utc::now() + chrono::Duration::hours(1));
        let mut b = a.clone();

        assert_eq!(first_difference(&a, &later), None);
        b.items[0].summary.mean = Some(3.5 + 1e-12);
        assert_eq!(first_difference(&a, &b), None);
        b.items[0].summary.mean = Some(3.5001);
        let far = first_difference(&a, &b).unwrap_or_default();
        assert!(far.contains("items[0].summary.mean"), "{far}");
        b.items[0].summary.mean = Some(3.5);
        b.breakdowns[0].groups[0].n = 3;
        assert!(first_difference(&a, &b).is_some());
        b.breakdowns[0].groups[0].n = 2;
        b.scales
            .push(b.scales.first().cloned().unwrap_or(ScaleResult {
                code: "s".into(),
                name: "S".into(),
                item_codes: Vec::new(),
                reversed_item_codes: Vec::new(),
                higher_is_better: true,
                range: None,
                score: Summary::default(),
                alpha: None,
                alpha_ci: None,
                item_analysis: Vec::new(),
            }));
        assert!(first_difference(&a, &b).is_some());
    }

    #[test]
    fn nps_counts_promoters_minus_detractors() {
        let values: Vec<Option<f64>> = [10.0, 9.0, 8.0, 6.0, 0.0].map(Some).to_vec();
        let nps = |values: &[Option<f64>]| net_promoter(&stats::distribution(values));

        // 2 promoters, 2 detractors of 5 → 0; drop one detractor → 25.
        assert_eq!(nps(&values), Some(0.0));
        assert_eq!(nps(&values[..4]), Some(25.0));
        assert_eq!(nps(&[None]), None);
    }
}
