#!/usr/bin/env python3
"""Reference figures for the demo's programme report.

The demo splits the course evaluations in two terms: the first 231 courses
of api/demo/course_evals.csv (file order) were evaluated in the period
before the report's, the other 232 in the report's period. Learners answer
the BFI questionnaire (api/demo/bfi.csv) in the report's period only.

Computed independently with pandas and scipy; the Rust test compares the
report's indicator values and Welch tests against the JSON printed here.

Usage (from this directory):
    python programme_reference.py > programme_reference.json
"""
import json
from pathlib import Path

import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
FIRST_TERM_COURSES = 231

evals = pd.read_csv(HERE / "../../api/demo/course_evals.csv")
before, now = evals.iloc[:FIRST_TERM_COURSES], evals.iloc[FIRST_TERM_COURSES:]


def summary(values):
    values = values.dropna()
    return {"n": int(values.size), "mean": float(values.mean()), "sd": float(values.std(ddof=1))}


def welch(a, b):
    t, p = stats.ttest_ind(b, a, equal_var=False)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return {"t": float(t), "df": float(df), "p": float(p), "difference": float(b.mean() - a.mean())}


bfi = pd.read_csv(HERE / "../../api/demo/bfi.csv")
reversed_items = {"C4", "C5"}


def scale_scores(code):
    items = [f"{code}{i}" for i in range(1, 6)]
    keyed = pd.DataFrame(
        {item: (7 - bfi[item]) if item in reversed_items else bfi[item] for item in items}
    )
    return keyed.mean(axis=1, skipna=True)


reference = {
    "course_score": {
        "previous": summary(before["score"]),
        "current": summary(now["score"]),
        "welch": welch(before["score"], now["score"]),
    },
    "course_response": {
        "previous": summary(before["cls_perc_eval"]),
        "current": summary(now["cls_perc_eval"]),
        "welch": welch(before["cls_perc_eval"], now["cls_perc_eval"]),
    },
    "stress": summary(scale_scores("N")),
    "study_habits": summary(scale_scores("C")),
}
print(json.dumps(reference, indent=2, sort_keys=True))
