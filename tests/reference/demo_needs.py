"""Needs and priorities of the demo programme, computed independently.

The demo derives needs from the bfi learner questionnaire with two rules:
neuroticism (N1..N5) above 4.0 is a wellbeing need, conscientiousness
(C1..C5, with C4 and C5 reversed) below 3.5 a study-methods need. A
respondent's scale score is the mean of the items they answered. Severity
cuts the stretch between the threshold and the end of the 1..6 scale into
five equal bands. Axis priority = prevalence x (mean severity / 5) x weight
(prevalence over the 2,800 expected learners); intervention priority = axis
priority / (session cost x sessions per month / group size), where a
session costs its fixed cost plus the delivering role's time (minutes / 60 x
hourly cost: 30 for the wellbeing mentor, 40 for the academic tutor).

Usage: python demo_needs.py [path/to/bfi.csv] > demo_needs.json
"""

import json
import math
import pathlib
import sys
from fractions import Fraction

import pandas as pd

here = pathlib.Path(__file__).resolve().parent
path = sys.argv[1] if len(sys.argv) > 1 else here / "../../api/demo/bfi.csv"
data = pd.read_csv(path)

# Scores as exact fractions, so band edges are decided without rounding.
def exact_means(frame):
    means = []
    for _, row in frame.iterrows():
        answers = [int(v) for v in row if not pd.isna(v)]
        means.append(Fraction(sum(answers), len(answers)) if answers else None)
    return means


n_score = exact_means(data[[f"N{i}" for i in range(1, 6)]])
c_items = data[[f"C{i}" for i in range(1, 6)]].copy()
c_items[["C4", "C5"]] = 7 - c_items[["C4", "C5"]]
c_score = exact_means(c_items)


def severity(gap, span):
    if gap <= 0:
        return None
    return max(1, min(5, math.ceil(5 * gap / span)))


wellbeing = [severity(s - 4, Fraction(6 - 4)) for s in n_score if s is not None]
methods = [severity(Fraction(7, 2) - s, Fraction(7, 2) - 1) for s in c_score if s is not None]

population = 2800
axes = {}
for name, weight, sev in [("Wellbeing", 8.0, wellbeing), ("Study methods", 6.0, methods)]:
    flagged = [s for s in sev if s is not None]
    mean_severity = sum(flagged) / len(flagged)
    prevalence = len(flagged) / population
    axes[name] = {
        "flagged": len(flagged),
        "by_severity": {str(k): flagged.count(k) for k in range(1, 6)},
        "mean_severity": mean_severity,
        "prevalence": prevalence,
        "score": prevalence * (mean_severity / 5) * weight,
    }

interventions = {}
for name, axis, per_month, minutes, group, fixed, hourly in [
    ("Mentoring conversation", "Wellbeing", 2.0, 45, 1, 35.0, 30.0),
    ("Peer support forum", "Wellbeing", 4.0, 30, 25, 20.0, 30.0),
    ("Study-skills workshop", "Study methods", 2.0, 90, 12, 150.0, 40.0),
    ("Planning coaching", "Study methods", 2.0, 30, 1, 25.0, 40.0),
]:
    per_learner = (fixed + minutes / 60 * hourly) * per_month / group
    interventions[name] = {
        "cost_per_learner_month": per_learner,
        "score": axes[axis]["score"] / per_learner,
    }

json.dump(
    {"assessed": sum(s is not None for s in n_score), "axes": axes, "interventions": interventions},
    sys.stdout,
    indent=2,
)
print()
