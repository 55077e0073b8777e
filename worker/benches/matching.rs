//! Matching a whole programme: 5,000 learners × 500 tutors.
//!
//! `cargo bench -p worker --bench matching` prints the time to score every
//! pair, the time to find the optimal assignment, and the process's peak
//! resident memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use entities::CommunicationTool;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use worker::matching::{Learner, Rules, Tutor, Weights, Window, propose};

const LEARNERS: usize = 5_000;
const TUTORS: usize = 500;
const AXES: i64 = 8;
const LANGUAGES: [&str; 4] = ["en", "fr", "es", "de"];
const MODES: [CommunicationTool; 3] = [
    CommunicationTool::InPerson,
    CommunicationTool::Video,
    CommunicationTool::Phone,
];

fn windows(rng: &mut StdRng) -> Vec<Window> {
    (0..rng.random_range(1..4))
        .map(|_| {
            let start = rng.random_range(8..18) * 60;
            Window {
                weekday: rng.random_range(0..5),
                start,
                end: start + rng.random_range(1..4) * 60,
            }
        })
        .collect()
}

fn languages(rng: &mut StdRng) -> Vec<String> {
    let mut chosen = vec!["en".to_string()];
    if rng.random_bool(0.5) {
        chosen.push(LANGUAGES[rng.random_range(1..LANGUAGES.len())].to_string());
    }
    chosen
}

fn main() {
    // Fewer free places than learners, then more.
    run(0..=15);
    run(10..=30);
}

fn run(capacities: std::ops::RangeInclusive<i32>) {
    let mut rng = StdRng::seed_from_u64(2026);
    let learners: Vec<Learner> = (0..LEARNERS)
        .map(|i| Learner {
            id: i as i64,
            languages: languages(&mut rng),
            availability: windows(&mut rng),
            modes: vec![MODES[rng.random_range(0..MODES.len())]],
            needs: {
                let count = rng.random_range(1..4);
                (0..count)
                    .map(|_| (rng.random_range(0..AXES), rng.random_range(1..=5)))
                    .collect()
            },
            previous_tutors: if rng.random_bool(0.1) {
                vec![(LEARNERS + rng.random_range(0..TUTORS)) as i64]
            } else {
                Vec::new()
            },
        })
        .collect();
    let tutors: Vec<Tutor> = (0..TUTORS)
        .map(|i| {
            let capacity = rng.random_range(capacities.clone());
            Tutor {
                id: (LEARNERS + i) as i64,
                capacity,
                active: rng.random_range(0..=capacity / 3),
                languages: languages(&mut rng),
                availability: windows(&mut rng),
                modes: MODES
                    .iter()
                    .copied()
                    .filter(|_| rng.random_bool(0.6))
                    .collect(),
                competences: {
                    let mut levels = Vec::new();
                    for axis in 0..AXES {
                        if rng.random_bool(0.4) {
                            levels.push((axis, rng.random_range(1..=5)));
                        }
                    }
                    levels
                },
            }
        })
        .collect();
    let room: i64 = tutors
        .iter()
        .map(|t| i64::from(t.capacity - t.active))
        .sum();

    let started = Instant::now();
    let proposal = propose(&learners, &tutors, &Rules::default(), &Weights::default());
    let elapsed = started.elapsed();

    println!("\n{LEARNERS} learners × {TUTORS} tutors, {room} free places");
    println!(
        "proposed {} pairs, {} learners unmatched, total score {:.3}",
        proposal.pairs.len(),
        proposal.unmatched.len(),
        proposal.total_units as f64 / worker::matching::SCORE_UNITS
    );
    println!("ruled out: {:?}", proposal.ruled_out);
    println!(
        "scoring and optimal assignment: {:.2} s",
        elapsed.as_secs_f64()
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!(
            "peak resident memory: {}",
            line.trim_start_matches("VmHWM:").trim()
        );
    }
}
