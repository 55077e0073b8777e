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

/// A confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

/// The confidence level of the intervals given with alpha.
pub const CONFIDENCE: f64 = 0.95;

/// Feldt's confidence interval of an alpha over `n` respondents and `k`
/// items: 1 − (1 − α)·F with F the quantiles of the F distribution with
/// n − 1 and (n − 1)(k − 1) degrees of freedom, as pingouin gives it.
///
/// `None` with fewer than two respondents or items, or a level outside (0, 1).
pub fn alpha_interval(alpha: f64, n: usize, k: usize, level: f64) -> Option<Interval> {
    if n < 2 || k < 2 || !alpha.is_finite() || !(level > 0.0 && level < 1.0) {
        return None;
    }
    let df1 = (n - 1) as f64;
    let df2 = df1 * (k - 1) as f64;
    let tail = (1.0 - level) / 2.0;
    let interval = Interval {
        lower: 1.0 - (1.0 - alpha) * f_quantile(1.0 - tail, df1, df2),
        upper: 1.0 - (1.0 - alpha) * f_quantile(tail, df1, df2),
    };
    (interval.lower.is_finite() && interval.upper.is_finite()).then_some(interval)
}

/// For each of `k` items, the alpha of the others, from the covariances as
/// [`alpha_from_covariances`] takes them.
pub fn alpha_if_deleted(k: usize, cov: impl Fn(usize, usize) -> Option<f64>) -> Vec<Option<f64>> {
    (0..k)
        .map(|deleted| {
            let rest: Vec<usize> = (0..k).filter(|i| *i != deleted).collect();
            // `rest` ascends, so pairs keep i <= j.
            alpha_from_covariances(rest.len(), |i, j| cov(rest[i], rest[j]))
        })
        .collect()
}

/// For each of `k` items, its correlation with the sum of the other items
/// (the corrected item-total correlation, psych's `r.drop`), from the same
/// covariances as alpha: cov(item, rest) / √(var item · var rest).
///
/// `None` for an item without variance, when the rest has none (up to
/// rounding, as for alpha), or when a covariance is missing.
pub fn item_rest_correlations(
    k: usize,
    cov: impl Fn(usize, usize) -> Option<f64>,
) -> Vec<Option<f64>> {
    let ordered = |i: usize, j: usize| cov(i.min(j), i.max(j));
    (0..k)
        .map(|item| {
            if k < 2 {
                return None;
            }
            let var = ordered(item, item)?;
            let (mut with_rest, mut rest_var, mut rest_trace) = (0.0, 0.0, 0.0);
            for i in (0..k).filter(|i| *i != item) {
                with_rest += ordered(i, item)?;
                rest_trace += ordered(i, i)?;
                for j in (0..k).filter(|j| *j != item) {
                    rest_var += ordered(i, j)?;
                }
            }
            if var <= 0.0 || rest_var <= CANCELLED * rest_trace.abs() {
                return None;
            }
            Some(with_rest / (var * rest_var).sqrt())
        })
        .collect()
}

/// Each count's percentage of `answered`; `None` when nobody answered.
pub fn percent_of(count: usize, answered: usize) -> Option<f64> {
    (answered > 0).then(|| 100.0 * count as f64 / answered as f64)
}

/// The mean of several groups' answers taken together, from each group's
/// mean and the number of answers behind it: Σ nᵢ·meanᵢ / Σ nᵢ. A plain
/// mean of the means would give a group of two answers the weight of a
/// group of two hundred. Groups without a mean add nothing.
pub fn pooled_mean(groups: impl IntoIterator<Item = (Option<f64>, usize)>) -> Option<f64> {
    let (mut weighted, mut answers) = (0.0, 0usize);
    for (mean, n) in groups {
        if let Some(mean) = mean.filter(|m| m.is_finite() && n > 0) {
            weighted += mean * n as f64;
            answers += n;
        }
    }
    (answers > 0).then(|| weighted / answers as f64)
}

/// How a mean moved from one period to the next, with Welch's t test of
/// the difference (no equal variances assumed).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// Current mean − previous mean.
    pub difference: f64,
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// The trend between two periods' summaries. `None` unless each period has
/// two values and the means differ by more than nothing over some spread.
pub fn welch_trend(previous: &Summary, current: &Summary) -> Option<Trend> {
    let part = |s: &Summary| -> Option<(f64, f64, f64)> {
        let n = s.n as f64;
        let (mean, sd) = (s.mean?, s.sd?);
        (s.n >= 2).then_some((mean, sd * sd / n, n))
    };
    let (m1, v1, n1) = part(previous)?;
    let (m2, v2, n2) = part(current)?;
    let se2 = v1 + v2;
    if se2.is_nan() || se2 <= 0.0 {
        return None;
    }
    let difference = m2 - m1;
    let t = difference / se2.sqrt();
    let df = se2 * se2 / (v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0));
    Some(Trend {
        difference,
        t,
        df,
        p: t_two_sided(t, df),
    })
}

/// Two answers about the same relation compared pair by pair: the tutor's
/// and the learner's score for one matching, say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dyadic {
    /// Pairs with both answers.
    pub n: usize,
    pub mean_first: Option<f64>,
    pub mean_second: Option<f64>,
    /// Mean of first − second.
    pub mean_difference: Option<f64>,
    /// Sample standard deviation of the differences; needs two pairs.
    pub sd_difference: Option<f64>,
    /// Pearson's r; needs two pairs and spread on both sides.
    pub r: Option<f64>,
    /// Share (0–1) of pairs whose answers differ by one scale point or less.
    pub within_one_point: Option<f64>,
}

/// Compares the pairs; pairs with a value that is not finite are left out.
pub fn dyadic(pairs: &[(f64, f64)]) -> Dyadic {
    let pairs: Vec<(f64, f64)> = pairs
        .iter()
        .copied()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    let n = pairs.len();
    if n == 0 {
        return Dyadic::default();
    }
    let first: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let second: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let differences: Vec<f64> = pairs.iter().map(|(a, b)| a - b).collect();
    // Answers are whole points or halves: a difference of exactly one is
    // within one point, whatever the rounding of the subtraction.
    let close = differences.iter().filter(|d| d.abs() <= 1.0 + 1e-9).count();

    Dyadic {
        n,
        mean_first: mean(&first),
        mean_second: mean(&second),
        mean_difference: mean(&differences),
        sd_difference: sample_sd(&differences),
        r: pearson(&first, &second),
        within_one_point: Some(close as f64 / n as f64),
    }
}

/// Pearson's correlation of two columns of the same length, two-pass.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (mx, my) = (mean(x)?, mean(y)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// ln Γ(x) for x > 0: Lanczos' series (g = 7, nine terms), relative error
/// near 1e-15; below ½ through the reflection formula.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const SERIES: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    use std::f64::consts::PI;
    if x < 0.5 {
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let sum = SERIES
        .iter()
        .enumerate()
        .skip(1)
        .fold(SERIES[0], |sum, (i, c)| sum + c / (x + i as f64));
    let t = x + G + 0.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised incomplete beta function I_x(a, b), for a, b > 0:
/// the distribution function of the Beta(a, b) distribution at x.
///
/// A continued fraction, evaluated by Lentz's method on the side of the
/// mean where it converges fast (the other side by I_x(a, b) =
/// 1 − I_{1−x}(b, a)). NaN for parameters out of range.
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if !(a > 0.0 && b > 0.0) || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(b, a, 1.0 - x);
    }
    let ln_front = a * x.ln() + b * (1.0 - x).ln() - ln_beta(a, b);
    ln_front.exp() * beta_fraction(a, b, x) / a
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The continued fraction 1 / (1 + d₁ / (1 + d₂ / (1 + …))) of the
/// incomplete beta function, with d₂ₘ₊₁ = −(a + m)(a + b + m)x /
/// ((a + 2m)(a + 2m + 1)) and d₂ₘ = m(b − m)x / ((a + 2m − 1)(a + 2m)).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    // Keeps a denominator from being exactly zero.
    const TINY: f64 = 1e-300;
    // Enough terms for parameters in the millions.
    const TERMS: usize = 1_000_000;
    let first = 1.0 - (a + b) * x / (a + 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / if first.abs() < TINY { TINY } else { first };
    let mut f = d;
    for m in 1..TERMS {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        let mut delta = 1.0;
        for term in [even, odd] {
            d = 1.0 + term * d;
            d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
            c = 1.0 + term / c;
            if c.abs() < TINY {
                c = TINY;
            }
            delta = c * d;
            f *= delta;
        }
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    f
}

/// The x at which I_x(a, b) = p: Newton's method on the density, kept
/// inside a bracket that bisection narrows whenever a step leaves it.
pub fn inverse_incomplete_beta(a: f64, b: f64, p: f64) -> f64 {
    if !(a > 0.0 && b > 0.0) || p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let ln_b = ln_beta(a, b);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = a / (a + b);
    for _ in 0..400 {
        let error = incomplete_beta(a, b, x) - p;
        if error == 0.0 {
            return x;
        }
        if error < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let density = ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_b).exp();
        let mut next = x - error / density;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * next || hi - lo <= f64::EPSILON * hi {
            return next;
        }
        x = next;
    }
    x
}

/// The `p` quantile of the F distribution with `df1` and `df2` degrees of
/// freedom.
pub fn f_quantile(p: f64, df1: f64, df2: f64) -> f64 {
    let x = inverse_incomplete_beta(df1 / 2.0, df2 / 2.0, p);
    df2 * x / (df1 * (1.0 - x))
}

/// The distribution function of Student's t with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * t_two_sided(t, df);
    if t > 0.0 { 1.0 - tail } else { tail }
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom.
fn t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
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
    fn near(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1.0)
    }

    #[test]
    fn ln_gamma_matches_scipy() {
        // scipy.special.gammaln
        for (x, expected) in [
            (0.5, 0.5723649429247),
            (1.0, 0.0),
            (3.7, 1.428072326665388),
            (100.0, 359.1342053695754),
            (1e-3, 6.907178885383853),
        ] {
            assert!(near(ln_gamma(x), expected, 1e-13), "{x}: {}", ln_gamma(x));
        }
    }

    #[test]
    fn incomplete_beta_matches_scipy() {
        // scipy.special.betainc(a, b, x)
        for (a, b, x, expected) in [
            (0.5, 0.5, 0.3, 0.36901011956554536),
            (2.0, 3.0, 0.4, 0.5247999999999999),
            (10.0, 20.0, 0.25, 0.16630494959787945),
            (1399.5, 5598.0, 0.2, 0.5023846173406552),
            (0.1, 7.0, 0.01, 0.7961237717987596),
            (50.0, 0.5, 0.97, 0.08169933372182264),
        ] {
            let got = incomplete_beta(a, b, x);
            assert!(near(got, expected, 1e-11), "I({x}; {a}, {b}) = {got}");
        }
        assert_eq!(incomplete_beta(2.0, 3.0, 0.0), 0.0);
        assert_eq!(incomplete_beta(2.0, 3.0, 1.5), 1.0);
        assert!(incomplete_beta(-1.0, 3.0, 0.5).is_nan());
    }

    #[test]
    fn inverse_incomplete_beta_matches_scipy() {
        // scipy.special.betaincinv(a, b, p)
        for (a, b, p, expected) in [
            (0.5, 0.5, 0.3, 0.2061073738537634),
            (2.0, 3.0, 0.025, 0.06758598648854294),
            (10.0, 20.0, 0.975, 0.50832335380999),
            (1399.5, 5598.0, 0.025, 0.19071033421286626),
            (0.1, 7.0, 0.5, 9.050320582423943e-05),
            (5.0, 0.5, 0.999, 0.9999998348802498),
        ] {
            let got = inverse_incomplete_beta(a, b, p);
            assert!(
                (got - expected).abs() <= 1e-10 * expected,
                "I⁻¹({p}; {a}, {b}) = {got}"
            );
        }
        assert_eq!(inverse_incomplete_beta(2.0, 3.0, 0.0), 0.0);
        assert_eq!(inverse_incomplete_beta(2.0, 3.0, 1.0), 1.0);
    }

    #[test]
    fn f_quantiles_and_t_distribution_match_scipy() {
        // scipy.stats.f.ppf(p, df1, df2)
        for (p, df1, df2, expected) in [
            (0.975, 2799.0, 11196.0, 1.0597818953238143),
            (0.025, 2799.0, 11196.0, 0.942606052073466),
            (0.975, 1.0, 1.0, 647.7890114778442),
            (0.025, 4.0, 12.0, 0.11427057932200911),
            (0.975, 9.0, 36.0, 2.4922445088916096),
        ] {
            let got = f_quantile(p, df1, df2);
            assert!(near(got, expected, 1e-9), "F({p}; {df1}, {df2}) = {got}");
        }
        // scipy.stats.t.cdf(t, df)
        for (t, df, expected) in [
            (2.0, 5.0, 0.9490302605850708),
            (-1.3, 12.5, 0.10853100531714449),
            (0.0, 3.0, 0.5),
            (8.0, 2.2, 0.9942546940516471),
            (1.96, 1000.0, 0.9748634075221256),
        ] {
            let got = t_cdf(t, df);
            assert!(near(got, expected, 1e-11), "T({t}; {df}) = {got}");
        }
    }

    #[test]
    fn alpha_interval_is_feldts_as_pingouin_gives_it() {
        // 1 − 0.3 · scipy.stats.f.ppf(0.975 and 0.025, 49, 147).
        let ci = alpha_interval(0.7, 50, 4, CONFIDENCE).unwrap_or(Interval {
            lower: f64::NAN,
            upper: f64::NAN,
        });
        assert!(near(ci.lower, 0.5366948492113939, 1e-9), "{ci:?}");
        assert!(near(ci.upper, 0.8158974078750774, 1e-9), "{ci:?}");

        // pingouin.cronbach_alpha of 50 × 4 random answers: alpha
        // −0.0665…, interval rounded to [−0.647, 0.346].
        let ci = alpha_interval(-0.06652066306999238, 50, 4, CONFIDENCE);
        let rounded = ci.map(|c| ((c.lower * 1e3).round(), (c.upper * 1e3).round()));
        assert_eq!(rounded, Some((-647.0, 346.0)));

        // A million respondents: the same, computed as fast.
        let large = alpha_interval(0.7, 1_000_000, 4, CONFIDENCE);
        let large = large.map(|c| (c.lower, c.upper)).unwrap_or_default();
        assert!(near(large.0, 0.6990386692060109, 1e-9), "{large:?}");
        assert!(near(large.1, 0.7009590364844213, 1e-9), "{large:?}");

        assert_eq!(alpha_interval(0.7, 1, 4, CONFIDENCE), None);
        assert_eq!(alpha_interval(0.7, 50, 1, CONFIDENCE), None);
        assert_eq!(alpha_interval(0.7, 50, 4, 1.0), None);
    }

    /// Six respondents, three items, complete: x, y, z.
    fn three_items() -> Vec<Vec<Option<f64>>> {
        [
            [1.0, 2.0, 3.0, 4.0, 5.0, 2.0],
            [2.0, 2.0, 4.0, 5.0, 4.0, 1.0],
            [1.0, 3.0, 3.0, 5.0, 5.0, 3.0],
        ]
        .iter()
        .map(|c| c.iter().copied().map(Some).collect())
        .collect()
    }

    #[test]
    fn alpha_if_deleted_and_item_rest_correlations_match_pandas() {
        let items = three_items();
        let cov = |i: usize, j: usize| pairwise_covariance(&items[i], &items[j]);

        let deleted = alpha_if_deleted(3, cov);
        let corrected = item_rest_correlations(3, cov);

        // pandas: alpha of the covariance matrix without the item, and
        // df[item].corr(df.drop(columns=item).sum(axis=1)).
        let expected_alpha = [0.8135593220338981, 0.9649805447470818, 0.8816326530612244];
        let expected_r = [0.9365809271579453, 0.7498378553650927, 0.8522267985732921];
        for i in 0..3 {
            assert!(close(deleted[i], expected_alpha[i]), "{deleted:?}");
            assert!(close(corrected[i], expected_r[i]), "{corrected:?}");
        }
    }

    #[test]
    fn item_figures_need_two_items_and_spread() {
        let items = three_items();
        let two = |i: usize, j: usize| pairwise_covariance(&items[i], &items[j]);
        let flat = [Some(3.0); 6].to_vec();
        let with_flat = [items[0].clone(), flat];
        let cov = |i: usize, j: usize| pairwise_covariance(&with_flat[i], &with_flat[j]);

        // Two items: deleting one leaves one, which has no alpha.
        assert_eq!(alpha_if_deleted(2, two), vec![None, None]);
        assert_eq!(item_rest_correlations(1, two), vec![None]);
        // An item without spread correlates with nothing.
        assert_eq!(item_rest_correlations(2, cov), vec![None, None]);
        assert_eq!(item_rest_correlations(3, |_, _| None), vec![None; 3]);
    }

    #[test]
    fn percentages_are_of_those_who_answered() {
        assert_eq!(percent_of(1, 4), Some(25.0));
        assert_eq!(percent_of(0, 0), None);
    }

    #[test]
    fn pooled_means_weigh_each_group_by_its_answers() {
        // (2 · 4 + 198 · 3) / 200 = 602 / 200; the plain mean of means is 3.5.
        let groups = [(Some(4.0), 2), (Some(3.0), 198), (None, 5), (Some(1.0), 0)];

        assert!(close(pooled_mean(groups), 3.01));
        assert_eq!(pooled_mean([(None, 3)]), None);
        assert_eq!(pooled_mean([]), None);
    }

    #[test]
    fn welch_trend_matches_scipy() {
        let previous = [3.2, 3.9, 3.5, 4.0, 3.1, 3.7, 3.3, 3.8, 2.9].map(Some);
        let current = [4.1, 3.8, 4.5, 4.9, 3.6, 4.2, 4.4].map(Some);

        let trend = welch_trend(&summarize(&previous), &summarize(&current));

        // scipy.stats.ttest_ind(current, previous, equal_var=False).
        let trend = trend.unwrap_or(Trend {
            difference: f64::NAN,
            t: f64::NAN,
            df: f64::NAN,
            p: f64::NAN,
        });
        assert!(near(trend.difference, 0.7253968253968255, 1e-12));
        assert!(near(trend.t, 3.4637367668705776, 1e-12));
        assert!(near(trend.df, 12.119328445686957, 1e-12));
        assert!(near(trend.p, 0.004620640510719149, 1e-9), "{trend:?}");
        let one = summarize(&[Some(3.0)]);
        assert_eq!(welch_trend(&one, &summarize(&current)), None);
        let flat = summarize(&[Some(3.0), Some(3.0)]);
        assert_eq!(welch_trend(&flat, &flat), None);
    }

    #[test]
    fn dyadic_comparison_matches_numpy() {
        let pairs = [
            (4.0, 3.0),
            (5.0, 5.0),
            (2.0, 4.0),
            (3.0, 3.0),
            (4.0, 2.0),
            (5.0, 4.0),
            (1.0, 2.0),
            (f64::NAN, 3.0),
        ];

        let d = dyadic(&pairs);

        // numpy over the seven finite pairs: means 24/7 and 23/7, mean
        // difference 1/7, sd of differences (ddof 1) 1.3451854182690985,
        // scipy.stats.pearsonr 0.509524665365068; |d| ≤ 1 for 5 of 7.
        assert_eq!(d.n, 7);
        assert!(close(d.mean_first, 24.0 / 7.0) && close(d.mean_second, 23.0 / 7.0));
        assert!(close(d.mean_difference, 1.0 / 7.0));
        assert!(close(d.sd_difference, 1.3451854182690985));
        assert!(close(d.r, 0.509524665365068));
        assert!(close(d.within_one_point, 5.0 / 7.0));
    }

    #[test]
    fn dyadic_comparison_of_few_or_flat_pairs_has_no_spread() {
        assert_eq!(dyadic(&[]), Dyadic::default());
        let one = dyadic(&[(4.0, 2.0)]);
        assert_eq!((one.n, one.sd_difference, one.r), (1, None, None));
        assert_eq!(one.within_one_point, Some(0.0));
        let flat = dyadic(&[(3.0, 1.0), (3.0, 2.0), (3.0, 4.0)]);
        assert_eq!((flat.r, flat.within_one_point), (None, Some(2.0 / 3.0)));
    }
}
