//! The matching engine against an independent exact solver.

use serde_json::Value;
use worker::matching::{ScoreMatrix, solve, total};

/// Random instances solved with scipy's `linear_sum_assignment`
/// (tests/reference/matching_reference.py).
const REFERENCE: &str = include_str!("../reference/matching_reference.json");

#[test]
fn optimal_totals_equal_an_independent_solvers_on_random_instances() {
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let instances = reference["instances"].as_array().unwrap();
    assert!(instances.len() >= 50);
    for (index, instance) in instances.iter().enumerate() {
        let learners = instance["learners"].as_u64().unwrap() as usize;
        let tutors = instance["tutors"].as_u64().unwrap() as usize;
        let room: Vec<u32> = instance["room"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_u64().unwrap() as u32)
            .collect();
        let mut scores = ScoreMatrix::new(learners, tutors);
        for (cell, score) in instance["scores"].as_array().unwrap().iter().enumerate() {
            if let Some(score) = score.as_i64() {
                scores.set(cell / tutors, cell % tutors, score);
            }
        }
        let assigned = solve(&scores, &room);
        let mut load = vec![0u32; tutors];
        for (l, t) in assigned.iter().enumerate() {
            if let Some(t) = t {
                assert!(
                    scores.get(l, *t).is_some(),
                    "instance {index}: ruled-out pair"
                );
                load[*t] += 1;
            }
        }
        assert!(
            load.iter().zip(&room).all(|(n, r)| n <= r),
            "instance {index}: over capacity"
        );
        assert_eq!(
            total(&scores, &assigned),
            instance["optimum"].as_i64().unwrap(),
            "instance {index}"
        );
    }
}
