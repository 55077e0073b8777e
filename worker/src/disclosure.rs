//! Disclosure control for breakdowns: no group smaller than the minimum
//! size shows a figure, and no figure shown lets a hidden one be worked out
//! by subtraction from the totals and the other groups.
//!
//! Within one breakdown, the hidden cells (small groups, and the
//! respondents who belong to no listed group) must either all be large
//! enough, or be at least two that together reach the minimum: the
//! subtraction then gives only their combined figure. Until that holds, the
//! smallest shown group is hidden too. The same is done for each figure,
//! whose counts can be smaller than their group's when items were skipped.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::results::{CampaignResults, Figure, Group};

/// How many respondents two groups of different breakdowns share: what
/// tells whether one group holds another.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Overlaps(
    /// `[attribute, value, attribute, value]` as a JSON array, attributes
    /// in order, → respondents in both groups.
    BTreeMap<String, usize>,
);

impl Overlaps {
    fn key(a: (&str, &str), b: (&str, &str)) -> String {
        let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
        serde_json::json!([first.0, first.1, second.0, second.1]).to_string()
    }

    /// Counts one respondent with these attribute values.
    pub fn add(&mut self, attributes: &BTreeMap<String, String>) {
        let pairs: Vec<(&String, &String)> = attributes.iter().collect();
        for (i, (a, v)) in pairs.iter().enumerate() {
            for (b, w) in &pairs[i + 1..] {
                *self.0.entry(Self::key((a, v), (b, w))).or_default() += 1;
            }
        }
    }

    /// Respondents in group `a` and in group `b`.
    pub fn get(&self, a: (&str, &str), b: (&str, &str)) -> usize {
        self.0.get(&Self::key(a, b)).copied().unwrap_or(0)
    }

    /// Counted as `add` leaves them: keys that read, no zero.
    pub fn is_valid(&self) -> bool {
        self.0.iter().all(|(k, n)| {
            *n > 0 && serde_json::from_str::<[String; 4]>(k).is_ok_and(|k| k[0] < k[2])
        })
    }
}

/// Applies the rules to every breakdown of `results`. Groups hidden whole
/// lose all their figures; single figures hidden lose their mean.
///
/// Across breakdowns: a shown group that holds shown groups of another
/// breakdown, with fewer than the minimum of its respondents left over,
/// would give those few away by subtraction (a cohort of 8 holding a site
/// of 7 shows the eighth). It is hidden, and the rules within its
/// breakdown run again, until nothing changes.
pub fn protect(results: &mut CampaignResults, overlaps: &Overlaps) {
    let min = results.min_group_size;
    loop {
        within_breakdowns(results);
        let mut hide = Vec::new();
        for (a, outer) in results.breakdowns.iter().enumerate() {
            for (g, group) in outer.groups.iter().enumerate() {
                if group.suppressed {
                    continue;
                }
                for (b, other) in results.breakdowns.iter().enumerate() {
                    if a == b {
                        continue;
                    }
                    let held: usize = other
                        .groups
                        .iter()
                        .filter(|h| !h.suppressed && h.n > 0)
                        .filter(|h| {
                            overlaps.get(
                                (&outer.attribute, &group.value),
                                (&other.attribute, &h.value),
                            ) == h.n
                        })
                        .map(|h| h.n)
                        .sum();
                    let rest = group.n.saturating_sub(held);
                    if held > 0 && rest > 0 && rest < min {
                        hide.push((a, g));
                        break;
                    }
                }
            }
        }
        if hide.is_empty() {
            return;
        }
        for (a, g) in hide {
            let group = &mut results.breakdowns[a].groups[g];
            group.suppressed = true;
            group.scale_means.clear();
            group.item_means.clear();
        }
    }
}

/// The rules within each breakdown.
fn within_breakdowns(results: &mut CampaignResults) {
    let min = results.min_group_size;
    let total = results.responses as usize;
    let item_n: HashMap<String, usize> = results
        .items
        .iter()
        .map(|i| (i.code.clone(), i.summary.n))
        .collect();
    let scale_n: HashMap<String, usize> = results
        .scales
        .iter()
        .map(|s| (s.code.clone(), s.score.n))
        .collect();

    for breakdown in &mut results.breakdowns {
        let sizes: Vec<usize> = breakdown.groups.iter().map(|g| g.n).collect();
        let mut hidden: Vec<bool> = breakdown.groups.iter().map(|g| g.suppressed).collect();
        complement(&sizes, total, min, &mut hidden);
        for (group, hide) in breakdown.groups.iter_mut().zip(&hidden) {
            if *hide {
                group.suppressed = true;
                group.scale_means.clear();
                group.item_means.clear();
            }
        }

        for (code, &n) in &scale_n {
            protect_figure(&mut breakdown.groups, code, n, min, |g| &mut g.scale_means);
        }
        for (code, &n) in &item_n {
            protect_figure(&mut breakdown.groups, code, n, min, |g| &mut g.item_means);
        }
    }
}

/// Hides the mean of figure `code` wherever it is too small or would give
/// a hidden one away; `total` is its count over all responses.
fn protect_figure(
    groups: &mut [Group],
    code: &str,
    total: usize,
    min: usize,
    figures: impl Fn(&mut Group) -> &mut Vec<Figure>,
) {
    let sizes: Vec<usize> = groups
        .iter_mut()
        .map(|g| figure(figures(g), code).map_or(0, |f| f.n))
        .collect();
    let mut hidden: Vec<bool> = groups
        .iter_mut()
        .zip(&sizes)
        .map(|(g, &n)| g.suppressed || n < min || figure(figures(g), code).is_none())
        .collect();
    complement(&sizes, total, min, &mut hidden);
    for (group, hide) in groups.iter_mut().zip(hidden) {
        if hide && let Some(f) = figure(figures(group), code) {
            f.mean = None;
        }
    }
}

fn figure<'a>(figures: &'a mut [Figure], code: &str) -> Option<&'a mut Figure> {
    figures.iter_mut().find(|f| f.code == code)
}

/// Marks more cells hidden until the hidden ones cannot be told apart:
/// `sizes` are the cells' counts, `total` what they and the unlisted rest
/// add up to.
pub fn complement(sizes: &[usize], total: usize, min: usize, hidden: &mut [bool]) {
    let listed: usize = sizes.iter().sum();
    let rest = total.saturating_sub(listed);
    loop {
        let cells: Vec<usize> = sizes
            .iter()
            .zip(hidden.iter())
            .filter(|(n, h)| **h && **n > 0)
            .map(|(n, _)| *n)
            .chain((rest > 0).then_some(rest))
            .collect();
        let safe = cells.iter().all(|n| *n >= min)
            || (cells.len() >= 2 && cells.iter().sum::<usize>() >= min);
        if safe {
            return;
        }
        let smallest_shown = sizes
            .iter()
            .enumerate()
            .filter(|(i, n)| !hidden[*i] && **n > 0)
            .min_by_key(|(_, n)| **n)
            .map(|(i, _)| i);
        match smallest_shown {
            Some(i) => hidden[i] = true,
            // Everything is hidden already: nothing shown can reveal it.
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::complement;

    fn run(sizes: &[usize], total: usize, min: usize) -> Vec<bool> {
        let mut hidden: Vec<bool> = sizes.iter().map(|n| *n < min).collect();
        complement(sizes, total, min, &mut hidden);
        hidden
    }

    #[test]
    fn a_lone_small_group_takes_the_next_smallest_with_it() {
        // 2 hidden; 40 − 30 − 8 would give it back.
        assert_eq!(run(&[30, 8, 2], 40, 3), [false, true, true]);
    }

    #[test]
    fn two_small_groups_that_together_reach_the_minimum_are_enough() {
        assert_eq!(run(&[30, 2, 2], 34, 3), [false, true, true]);
    }

    #[test]
    fn two_small_groups_below_the_minimum_together_need_a_third() {
        assert_eq!(run(&[30, 9, 1, 1], 41, 5), [false, true, true, true]);
    }

    #[test]
    fn respondents_in_no_group_count_as_a_hidden_cell() {
        // 3 respondents gave no value: a hidden cell of 3 < 5 on its own.
        assert_eq!(run(&[20, 7], 30, 5), [false, true]);
        // 6 without a value are a large enough cell by themselves.
        assert_eq!(run(&[20, 7], 33, 5), [false, false]);
        // Together with a small group they hide nothing more.
        assert_eq!(run(&[20, 7, 2], 35, 5), [false, false, true]);
    }

    #[test]
    fn nothing_hidden_stays_as_it_is() {
        assert_eq!(run(&[10, 12], 22, 5), [false, false]);
    }

    #[test]
    fn everything_hidden_ends() {
        assert_eq!(run(&[1, 1], 2, 5), [true, true]);
    }
}
