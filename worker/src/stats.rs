//! Descriptive statistics and reliability, as plain functions over plain data.
//!
//! Missing answers are `None` and are excluded, never counted as zero.

use serde::{Deserialize, Serialize};

/// Location and spread of one variable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Values present.
    pub n: usize,
    /// Values missing.
    pub missing: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1 denominator); needs two values.
    pub sd: Option<f64>,
    pub min: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
    pub max: Option<f64>,
}

/// Summarises `values`, skipping `None`. Quartiles interpolate linearly
/// between order statistics (R's type 7, numpy's default).
pub fn summarize(values: &[Option<f64>]) -> Summary {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    let missing = values.len() - present.len();
    if present.is_empty() {
        return Summary {
            missing,
            ..Summary::default()
        };
    }
    present.sort_by(f64::total_cmp);

    Summary {
        n: present.len(),
        missing,
        mean: mean(&present),
        sd: sample_sd(&present),
        min: present.first().copied(),
        q1: quantile_sorted(&present, 0.25),
        median: quantile_sorted(&present, 0.5),
        q3: quantile_sorted(&present, 0.75),
        max: present.last().copied(),
    }
}

pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation, with a two-pass sum for accuracy.
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let ss: f64 = values.iter().map(|v| (v - m).powi(2)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

/// The `p` quantile of sorted values, R type 7.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Counts of each distinct present value, ascending by value.
pub fn distribution(values: &[Option<f64>]) -> Vec<(f64, usize)> {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    present.sort_by(f64::total_cmp);
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for v in present {
        match counts.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => counts.push((v, 1)),
        }
    }
    counts
}

/// Covariance of two variables over the rows where both are present
/// (pairwise deletion), n − 1 denominator.
pub fn pairwise_covariance(x: &[Option<f64>], y: &[Option<f64>]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
        .collect();
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let s: f64 = pairs.iter().map(|(a, b)| (a - mx) * (b - my)).sum();
    Some(s / (n - 1.0))
}

/// Cronbach's alpha of items given as columns aligned by respondent, from
/// the pairwise-complete covariance matrix:
/// α = k / (k − 1) · (1 − Σ var(item) / Σ cov(all pairs, diagonal included)).
///
/// `None` with fewer than two items, or when a covariance cannot be computed.
pub fn cronbach_alpha(items: &[Vec<Option<f64>>]) -> Option<f64> {
    alpha_from_covariances(items.len(), |i, j| {
        pairwise_covariance(&items[i], &items[j])
    })
}

/// Cronbach's alpha of `k` items from their covariances, `cov(i, j)` for
/// `i <= j`, the diagonal being the variances.
///
/// `None` with fewer than two items, when a covariance is missing, or when
/// the sum of the matrix is zero up to rounding: items that cancel each
/// other out (one the mirror of another) have no meaningful alpha, and
/// rounding alone would turn that zero into an alpha of ±10¹⁵.
pub fn alpha_from_covariances(k: usize, cov: impl Fn(usize, usize) -> Option<f64>) -> Option<f64> {
    if k < 2 {
        return None;
    }
    let mut trace = 0.0;
    let mut total = 0.0;
    for i in 0..k {
        for j in i..k {
            let c = cov(i, j)?;
            if i == j {
                trace += c;
                total += c;
            } else {
                total += 2.0 * c;
            }
        }
    }
    if total.abs() <= CANCELLED * trace.abs() {
        return None;
    }
    let k = k as f64;
    Some(k / (k - 1.0) * (1.0 - trace / total))
}

/// Below this fraction of the variances, the sum of the covariance matrix is
/// taken for zero: far above rounding error, far below any real scale's.
const CANCELLED: f64 = 1e-8;

/// Summarises values given as counts of each distinct value, ascending and
/// without zero counts, exactly as [`summarize`] would the values spelt out.
pub fn summarize_counts(counts: &[(f64, usize)], missing: usize) -> Summary {
    let n: usize = counts.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return Summary {
            missing,
            ..Summary::default()
        };
    }
    let mean = counts.iter().map(|(v, c)| v * *c as f64).sum::<f64>() / n as f64;
    let sd = (n >= 2).then(|| {
        let ss: f64 = counts
            .iter()
            .map(|(v, c)| *c as f64 * (v - mean).powi(2))
            .sum();
        (ss / (n - 1) as f64).sqrt()
    });
    Summary {
        n,
        missing,
        mean: Some(mean),
        sd,
        min: nth_counted(counts, 0),
        q1: quantile_counts(counts, n, 0.25),
        median: quantile_counts(counts, n, 0.5),
        q3: quantile_counts(counts, n, 0.75),
        max: nth_counted(counts, n - 1),
    }
}

/// The `p` quantile, R type 7, of `n` values given as ascending counts.
fn quantile_counts(counts: &[(f64, usize)], n: usize, p: f64) -> Option<f64> {
    let last = n.checked_sub(1)?;
    let h = last as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    let (lo_value, hi_value) = (nth_counted(counts, lo)?, nth_counted(counts, hi)?);
    Some(lo_value + (h - lo as f64) * (hi_value - lo_value))
}

/// The value at 0-based `index` of the sorted values that `counts` stands for.
fn nth_counted(counts: &[(f64, usize)], index: usize) -> Option<f64> {
    let mut seen = 0;
    for (v, c) in counts {
        seen += c;
        if index < seen {
            return Some(*v);
        }
    }
    None
}

/// A respondent's scale score: the mean of the answered items, after reverse
/// keying; `None` if none was answered.
pub fn scale_score(answers: &[Option<f64>]) -> Option<f64> {
    let present: Vec<f64> = answers.iter().flatten().copied().collect();
    mean(&present)
}

/// The score of a reverse-keyed answer on a `points`-point scale starting at 1.
pub fn reverse(value: f64, points: i32) -> f64 {
    f64::from(points) + 1.0 - value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn summary_skips_missing_values() {
        let values = [Some(1.0), None, Some(2.0), Some(4.0), None, Some(5.0)];

        let s = summarize(&values);

        // By hand: mean 12/4 = 3; squares 4+1+1+4 = 10, 10/3 → sd 1.825742;
        // type 7 quartiles of [1,2,4,5]: h = 0.75 → 1.75, 1.5 → 3, 2.25 → 4.25.
        assert_eq!((s.n, s.missing), (4, 2));
        assert!(close(s.mean, 3.0));
        assert!(close(s.sd, (10.0f64 / 3.0).sqrt()));
        assert!(close(s.q1, 1.75) && close(s.median, 3.0) && close(s.q3, 4.25));
        assert!(close(s.min, 1.0) && close(s.max, 5.0));
    }

    #[test]
    fn all_missing_has_no_figures() {
        let s = summarize(&[None, None]);

        assert_eq!((s.n, s.missing, s.mean, s.median), (0, 2, None, None));
    }

    #[test]
    fn a_single_value_has_no_sd() {
        let s = summarize(&[Some(3.0)]);

        assert_eq!(
            (s.mean, s.sd, s.q1, s.q3),
            (Some(3.0), None, Some(3.0), Some(3.0))
        );
    }

    #[test]
    fn distribution_counts_each_value() {
        let d = distribution(&[Some(2.0), Some(1.0), None, Some(2.0)]);

        assert_eq!(d, vec![(1.0, 1), (2.0, 2)]);
    }

    #[test]
    fn alpha_of_a_complete_small_matrix_matches_a_hand_computation() {
        // Three respondents, two items: x = 1,2,3 and y = 2,2,4.
        // var x = 1, var y = 4/3, cov = 1; total = 1 + 4/3 + 2 = 13/3.
        // alpha = 2 · (1 − (7/3)/(13/3)) = 2 · 6/13 = 12/13.
        let items = vec![
            vec![Some(1.0), Some(2.0), Some(3.0)],
            vec![Some(2.0), Some(2.0), Some(4.0)],
        ];

        assert!(close(cronbach_alpha(&items), 12.0 / 13.0));
    }

    #[test]
    fn alpha_uses_pairwise_deletion() {
        // The fourth respondent answered x only: it enters var x, not cov.
        // x = 1,2,3,5: mean 2.75, squares 3.0625+0.5625+0.0625+5.0625 = 8.75,
        // var = 8.75/3 = 35/12. Over the first three: cov = 1, var y = 4/3.
        // Diagonal 35/12 + 16/12 = 4.25; total 4.25 + 2 = 6.25;
        // alpha = 2 · (1 − 4.25/6.25) = 0.64.
        let items = vec![
            vec![Some(1.0), Some(2.0), Some(3.0), Some(5.0)],
            vec![Some(2.0), Some(2.0), Some(4.0), None],
        ];

        assert!(close(cronbach_alpha(&items), 0.64));
    }

    #[test]
    fn alpha_needs_two_items_and_variance() {
        assert_eq!(cronbach_alpha(&[vec![Some(1.0), Some(2.0)]]), None);
        let flat = vec![vec![Some(1.0), Some(1.0)], vec![Some(2.0), Some(2.0)]];
        assert_eq!(cronbach_alpha(&flat), None);
    }

    #[test]
    fn alpha_of_items_that_cancel_out_is_none_not_rounding_noise() {
        // y is x reverse-keyed on 6 points: the covariance matrix sums to
        // zero, and the rounded means (5/3, 16/3) must not turn that into an
        // alpha of −10¹⁶.
        let x = [Some(1.0), Some(3.0), Some(1.0)];
        let y = x.map(|v| v.map(|v| reverse(v, 6)));

        assert_eq!(cronbach_alpha(&[x.to_vec(), y.to_vec()]), None);
    }

    #[test]
    fn summaries_from_counts_match_summaries_of_the_values() {
        let values = [3.5, -1.0, 3.5, 2.0, 7.25, 3.5, 2.0, 0.0, 11.0];
        let present: Vec<Option<f64>> = values.iter().copied().map(Some).collect();
        let counts = distribution(&present);

        for n in 0..=values.len() {
            let mut some: Vec<Option<f64>> = present[..n].to_vec();
            some.push(None);
            let expected = summarize(&some);
            let got = summarize_counts(&distribution(&some), 1);
            assert_eq!((got.n, got.missing), (expected.n, expected.missing));
            assert_eq!(
                (got.min, got.q1, got.median, got.q3, got.max),
                (
                    expected.min,
                    expected.q1,
                    expected.median,
                    expected.q3,
                    expected.max
                )
            );
            for (a, b) in [(got.mean, expected.mean), (got.sd, expected.sd)] {
                assert!(
                    a.zip(b).is_none_or(|(a, b)| (a - b).abs() < 1e-12),
                    "{a:?} {b:?}"
                );
                assert_eq!(a.is_some(), b.is_some());
            }
        }
        assert_eq!(summarize_counts(&counts, 0).n, values.len());
    }

    #[test]
    fn reverse_keying_mirrors_the_scale() {
        assert_eq!(reverse(1.0, 6), 6.0);
        assert_eq!(reverse(4.0, 6), 3.0);
        assert_eq!(scale_score(&[Some(2.0), None, Some(5.0)]), Some(3.5));
        assert_eq!(scale_score(&[None]), None);
    }
}
