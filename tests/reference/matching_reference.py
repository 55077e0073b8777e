"""Optimal matchings of random instances, solved independently with scipy.

Each instance has learners, tutors with room for 0..6 learners, and an
integer score per learner x tutor pair, or null where a constraint rules the
pair out. The optimum is the highest total score with each learner matched
to at most one tutor and each tutor within its room; a learner may stay
unmatched. It is solved as a rectangular assignment: one column per free
place of each tutor, plus one "unmatched" column per learner that only
that learner can take, at score 0.

Usage: python matching_reference.py > matching_reference.json
"""

import json

import numpy as np
from scipy.optimize import linear_sum_assignment

FORBIDDEN = -(10**12)


def optimum(scores, room):
    learners, tutors = scores.shape
    places = [t for t in range(tutors) for _ in range(room[t])]
    matrix = np.full((learners, len(places) + learners), FORBIDDEN, dtype=np.int64)
    for column, t in enumerate(places):
        matrix[:, column] = np.where(np.isnan(scores[:, t]), FORBIDDEN, np.nan_to_num(scores[:, t]))
    for learner in range(learners):
        matrix[learner, len(places) + learner] = 0
    rows, columns = linear_sum_assignment(matrix, maximize=True)
    total = int(matrix[rows, columns].sum())
    assert total > FORBIDDEN // 2
    return total


def main():
    rng = np.random.default_rng(20261204)
    instances = []
    for index in range(60):
        learners = int(rng.integers(5, 80))
        tutors = int(rng.integers(1, 15))
        room = [int(x) for x in rng.integers(0, 7, size=tutors)]
        scores = rng.integers(-500_000, 8_000_000, size=(learners, tutors)).astype(float)
        scores[rng.random((learners, tutors)) < 0.3] = np.nan
        instances.append(
            {
                "learners": learners,
                "tutors": tutors,
                "room": room,
                "scores": [None if np.isnan(x) else int(x) for x in scores.flatten()],
                "optimum": optimum(scores, room),
            }
        )
    json.dump({"instances": instances}, __import__("sys").stdout)


main()
