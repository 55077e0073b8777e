#!/usr/bin/env python3
"""Reference statistics for the BFI demo data set (api/demo/bfi.csv).

Computed independently with pandas, pingouin and scipy; the Rust tests compare
against the JSON this script prints.

Usage (from this directory):
    python bfi_reference.py [path/to/bfi.csv] > bfi_reference.json

The JSON goes to stdout; a short summary table goes to stderr.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import scipy
from scipy import stats

DEFAULT_CSV = Path(__file__).resolve().parent / "../../api/demo/bfi.csv"

SCALES = {code: [f"{code}{i}" for i in range(1, 6)] for code in "ACENO"}
ITEMS = [item for items in SCALES.values() for item in items]
REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
LIKERT = range(1, 7)
AGE_BANDS = [("<18", 0, 17), ("18-24", 18, 24), ("25-34", 25, 34),
             ("35-49", 35, 49), ("50+", 50, 10_000)]
EXPECTED_MISSING = 508


def item_stats(col: pd.Series) -> dict:
    answered = col.dropna()
    counts = answered.value_counts()
    return {
        "n": int(answered.size),
        "missing": int(col.isna().sum()),
        "mean": float(answered.mean()),
        "sd": float(answered.std(ddof=1)),
        "median": float(answered.median()),
        "q1": float(answered.quantile(0.25)),  # linear = R type 7
        "q3": float(answered.quantile(0.75)),
        "min": float(answered.min()),
        "max": float(answered.max()),
        "distribution": {str(v): int(counts.get(float(v), 0)) for v in LIKERT},
        # Of those who answered the item, not of all respondents.
        "percent": {str(v): 100 * int(counts.get(float(v), 0)) / answered.size
                    for v in LIKERT},
    }


def own_alpha(items: pd.DataFrame) -> float:
    """k/(k-1) * (1 - trace(C)/sum(C)), C = pairwise-complete covariance.

    This is also psych::alpha's raw_alpha (which uses pairwise covariances).
    """
    k = items.shape[1]
    c = items.cov().to_numpy()
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> list:
    """Feldt's interval as pingouin computes it, before pingouin rounds it
    to 3 decimals: 1 - (1 - alpha) * F quantiles, df n - 1, (n - 1)(k - 1)."""
    df1 = n - 1
    df2 = df1 * (k - 1)
    tail = (1 - level) / 2
    return [float(1 - (1 - alpha) * stats.f.isf(tail, df1, df2)),
            float(1 - (1 - alpha) * stats.f.isf(1 - tail, df1, df2))]


def item_rest_correlation(items: pd.DataFrame, item: str) -> float:
    """r.drop: the item against the sum of the others, from the pairwise
    covariance matrix (var of the rest = sum of its block of the matrix)."""
    c = items.cov()
    rest = [i for i in items.columns if i != item]
    with_rest = c.loc[item, rest].sum()
    rest_var = c.loc[rest, rest].to_numpy().sum()
    return float(with_rest / np.sqrt(c.loc[item, item] * rest_var))


def group_means(scores: pd.DataFrame, mask: pd.Series) -> dict:
    group = scores[mask]
    # mean() skips respondents with no answered item in a scale
    return {"n": int(mask.sum()),
            "scale_means": {s: float(group[s].mean()) for s in SCALES}}


def main() -> None:
    csv_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CSV
    df = pd.read_csv(csv_path)  # empty cells -> NaN

    total_missing = int(df[ITEMS].isna().sum().sum())
    assert total_missing == EXPECTED_MISSING, total_missing

    keyed = df[ITEMS].copy()
    keyed[REVERSED] = 7 - keyed[REVERSED]

    # Per-respondent scale score: mean of answered (keyed) items; NaN if none.
    scores = pd.DataFrame({s: keyed[items].mean(axis=1, skipna=True)
                           for s, items in SCALES.items()})

    scales = {}
    for s, items in SCALES.items():
        # Respondents who answered at least one item of the scale: those
        # with a score, the n of the confidence interval.
        answering = keyed[items].dropna(how="all")
        alpha, ci = pg.cronbach_alpha(data=answering, nan_policy="pairwise")
        check = own_alpha(keyed[items])
        assert abs(alpha - check) < 1e-9, (s, alpha, check)
        interval = feldt_interval(alpha, len(answering), len(items))
        assert np.allclose(np.round(interval, 3), ci), (s, interval, ci)
        if_deleted = {
            item: float(pg.cronbach_alpha(
                data=answering[[i for i in items if i != item]],
                nan_policy="pairwise")[0])
            for item in items}
        answered = scores[s].dropna()
        scales[s] = {
            "items": items,
            "reversed": [i for i in items if i in REVERSED],
            "alpha": float(alpha),
            "alpha_n": int(len(answering)),
            "alpha_ci": interval,
            "alpha_ci_pingouin": [float(v) for v in ci],
            "alpha_if_deleted": if_deleted,
            "r_drop": {item: item_rest_correlation(keyed[items], item)
                       for item in items},
            "score_n": int(answered.size),
            "score_mean": float(answered.mean()),
            "score_sd": float(answered.std(ddof=1)),
        }

    by_gender = {str(g): group_means(scores, df["gender"] == g) for g in (1, 2)}
    by_education = {str(e): group_means(scores, df["education"] == e)
                    for e in range(1, 6)}
    by_age_band = {label: group_means(scores, df["age"].between(lo, hi))
                   for label, lo, hi in AGE_BANDS}
    assert sum(g["n"] for g in by_age_band.values()) == len(df)

    result = {
        "source": "api/demo/bfi.csv",
        "rows": int(len(df)),
        "reverse_keyed": REVERSED,
        "total_missing_answers": total_missing,
        "items": {item: item_stats(df[item]) for item in ITEMS},
        "scales": scales,
        "by_gender": by_gender,
        "by_education": by_education,
        "education_missing": int(df["education"].isna().sum()),
        "by_age_band": by_age_band,
        "generated_with": {"pandas": pd.__version__,
                           "pingouin": pg.__version__,
                           "scipy": scipy.__version__,
                           "numpy": np.__version__},
    }
    print(json.dumps(result, indent=2))

    # Summary table on stderr so stdout stays valid JSON.
    print(f"{'scale':<6}{'alpha':>8}{'n':>7}{'mean':>9}{'sd':>9}", file=sys.stderr)
    for s, v in scales.items():
        print(f"{s:<6}{v['alpha']:>8.4f}{v['score_n']:>7}"
              f"{v['score_mean']:>9.4f}{v['score_sd']:>9.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
