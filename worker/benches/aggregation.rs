//! One new response in a campaign of 100,000: folding it into the running
//! totals against recomputing every figure from every answer.
//!
//! `cargo bench -p worker --bench aggregation` times, in memory, a full pass
//! over the responses and one fold with the figures from the totals; then,
//! on an embedded SQLite database in a temporary folder (or on a fresh
//! database of the PostgreSQL server that `DATABASE_URL` names), building
//! the totals from every response, the aggregation job after one new
//! response, and the full recomputation that job used to be.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::Utc;
use entities::{
    Audience, ItemKind, ResponseSource, answer, campaign, item, organisation, questionnaire,
    response, scale,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use serde_json::json;
use worker::accumulate::{Definition, fold, results_from};
use worker::results::{
    Frame, ItemDef, ResponseRow, ResultsInput, ScaleDef, Value, compute_results,
};

const RESPONSES: usize = 100_000;
/// New responses timed one by one; the median is reported.
const NEW: usize = 21;
const SITES: [&str; 5] = ["north", "south", "east", "west", "centre"];

/// Twelve Likert items in three scales (one item of each reverse-keyed),
/// then NPS, hours (a number), mode, topics and a comment.
fn questionnaire() -> (Vec<ItemDef>, Vec<ScaleDef>) {
    let mut items = Vec::new();
    let mut scales = Vec::new();
    for s in 0..3 {
        let mut ids = Vec::new();
        for k in 0..4 {
            let id = (s * 4 + k + 1) as i64;
            ids.push(id);
            items.push(ItemDef {
                id,
                code: format!("s{s}q{k}"),
                prompt: String::new(),
                kind: ItemKind::Likert,
                points: Some(5),
                reverse_keyed: k == 3,
                labels: Vec::new(),
            });
        }
        scales.push(ScaleDef {
            code: format!("s{s}"),
            name: format!("Scale {s}"),
            higher_is_better: true,
            item_ids: ids,
        });
    }
    let other = [
        ("nps", ItemKind::Nps, vec![]),
        ("hours", ItemKind::Number, vec![]),
        ("mode", ItemKind::SingleChoice, vec!["in person", "video"]),
        (
            "topics",
            ItemKind::MultipleChoice,
            vec!["maths", "method", "wellbeing"],
        ),
        ("comment", ItemKind::FreeText, vec![]),
    ];
    for (k, (code, kind, labels)) in other.into_iter().enumerate() {
        items.push(ItemDef {
            id: 13 + k as i64,
            code: code.into(),
            prompt: String::new(),
            kind,
            points: None,
            reverse_keyed: false,
            labels: labels.into_iter().map(str::to_owned).collect(),
        });
    }
    (items, scales)
}

/// A plausible response: a tenth of answers missing, two attributes.
fn response(rng: &mut StdRng, items: &[ItemDef]) -> ResponseRow {
    let mut answers = HashMap::new();
    for item in items {
        if rng.random_bool(0.1) {
            continue;
        }
        let value = match item.kind {
            ItemKind::Likert => Value::Number(f64::from(rng.random_range(1..=5))),
            ItemKind::Nps => Value::Number(f64::from(rng.random_range(0..=10))),
            ItemKind::Number => Value::Number(f64::from(rng.random_range(0..=160)) / 4.0),
            ItemKind::SingleChoice => Value::Text(item.labels[rng.random_range(0..2)].clone()),
            ItemKind::MultipleChoice => Value::Choices(
                item.labels
                    .iter()
                    .filter(|_| rng.random_bool(0.4))
                    .cloned()
                    .collect(),
            ),
            ItemKind::FreeText => Value::Text("Fine, thanks".into()),
        };
        answers.insert(item.id, value);
    }
    ResponseRow {
        person_id: None,
        attributes: BTreeMap::from([
            (
                "site".to_owned(),
                SITES[rng.random_range(0..SITES.len())].to_owned(),
            ),
            ("year".to_owned(), rng.random_range(1..=12).to_string()),
        ]),
        answers,
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() -> anyhow::Result<()> {
    let (items, scales) = questionnaire();
    let mut rng = StdRng::seed_from_u64(2026);
    let rows: Vec<ResponseRow> = (0..RESPONSES).map(|_| response(&mut rng, &items)).collect();
    let frame = Frame {
        invited: 0,
        responded_invitations: 0,
        min_group_size: 5,
    };

    println!("\n{RESPONSES} responses × {} items, in memory", items.len());
    let started = Instant::now();
    let input = ResultsInput {
        items: &items,
        scales: &scales,
        responses: &rows,
        invited: 0,
        responded_invitations: 0,
        min_group_size: 5,
    };
    let full = compute_results(&input, Utc::now());
    println!("full pass over every answer: {}", ms(started.elapsed()));

    let def = Definition::new(&items, &scales);
    let started = Instant::now();
    let mut acc = def.empty();
    for row in &rows[..RESPONSES - 1] {
        fold(&def, &mut acc, row);
    }
    println!(
        "folding {} responses from nothing: {}",
        RESPONSES - 1,
        ms(started.elapsed())
    );
    let started = Instant::now();
    fold(&def, &mut acc, &rows[RESPONSES - 1]);
    let incremental = results_from(&def, &acc, &frame, Utc::now());
    println!(
        "one more response, folded, figures from the totals: {}",
        ms(started.elapsed())
    );
    assert_eq!(worker::results::first_difference(&incremental, &full), None);
    let started = Instant::now();
    let stored = serde_json::to_string(&acc)?;
    let read = def.read(&stored).expect("the totals read back");
    println!(
        "totals as stored: {} bytes, written and read back in {}",
        stored.len(),
        ms(started.elapsed())
    );
    assert_eq!(read.responses(), RESPONSES);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(database(&items, &rows, rng))
}

/// A database of its own: a SQLite file in a temporary folder, or a fresh
/// PostgreSQL database dropped afterwards.
async fn database(items: &[ItemDef], rows: &[ResponseRow], rng: StdRng) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("aggregation-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (url, server) = match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(server_url) => {
            let name = format!("aggregation_bench_{}", std::process::id());
            let server = Database::connect(&server_url).await?;
            server
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await?;
            let (base, _) = server_url.rsplit_once('/').expect("a database name");
            (format!("{base}/{name}"), Some((server, name)))
        }
        None => (
            format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display()),
            None,
        ),
    };
    let settings = worker::Settings {
        data_dir: dir.clone(),
        database_url: Some(url),
        ..worker::Settings::default()
    };
    let db = worker::db::connect(&settings).await?;
    let outcome = timed(&db, items, rows, rng).await;
    db.close().await?;
    if let Some((server, name)) = server {
        server
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn timed(
    db: &DatabaseConnection,
    items: &[ItemDef],
    rows: &[ResponseRow],
    mut rng: StdRng,
) -> anyhow::Result<()> {
    worker::db::migrate(db).await?;
    let backend = format!("{:?}", db.get_database_backend());
    let campaign = seed(db, items).await?;
    let started = Instant::now();
    store(db, &campaign, rows, 1).await?;
    println!(
        "\n{backend}: {RESPONSES} responses stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    worker::jobs::aggregate(db, campaign.id).await?;
    println!(
        "first aggregation, folding every response, right after the import: {}",
        ms(started.elapsed())
    );
    // What a running database has: planner statistics on the new rows.
    db.execute_unprepared("ANALYZE").await?;
    let started = Instant::now();
    worker::jobs::rebuild(db, campaign.id).await?;
    println!(
        "rebuild, folding every response, with planner statistics: {}",
        ms(started.elapsed())
    );

    let mut folds = Vec::with_capacity(NEW);
    for k in 0..NEW {
        let one = [response(&mut rng, items)];
        store(db, &campaign, &one, (RESPONSES + k + 1) as i64).await?;
        let started = Instant::now();
        let results = worker::jobs::aggregate(db, campaign.id).await?;
        folds.push(started.elapsed());
        assert_eq!(results.responses as usize, RESPONSES + k + 1);
    }
    println!(
        "aggregation after one new response (median of {NEW}): {}",
        ms(median(folds))
    );

    let mut full = Vec::with_capacity(3);
    for _ in 0..3 {
        let started = Instant::now();
        let (items, scales) = worker::jobs::load_definition(db, campaign.questionnaire_id).await?;
        let rows = worker::jobs::load_responses(db, campaign.id).await?;
        let input = ResultsInput {
            items: &items,
            scales: &scales,
            responses: &rows,
            invited: 0,
            responded_invitations: 0,
            min_group_size: 5,
        };
        std::hint::black_box(compute_results(&input, Utc::now()));
        full.push(started.elapsed());
    }
    println!(
        "full recomputation, reading every answer (median of 3): {}",
        ms(median(full))
    );
    Ok(())
}

/// An organisation, the questionnaire and a campaign; item and scale ids as
/// in the definition.
async fn seed(db: &DatabaseConnection, items: &[ItemDef]) -> anyhow::Result<campaign::Model> {
    let now = Utc::now();
    let org = organisation::Entity::insert(organisation::ActiveModel {
        slug: Set("bench".into()),
        name: Set("Bench".into()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let q = questionnaire::Entity::insert(questionnaire::ActiveModel {
        organisation_id: Set(org.id),
        key: Set("bench".into()),
        version: Set(1),
        title: Set("Bench".into()),
        description: Set(String::new()),
        audience: Set(Audience::Learners),
        locked_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let mut scale_ids = Vec::new();
    for s in 0..3 {
        let row = scale::Entity::insert(scale::ActiveModel {
            questionnaire_id: Set(q.id),
            code: Set(format!("s{s}")),
            name: Set(format!("Scale {s}")),
            position: Set(s),
            higher_is_better: Set(true),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        scale_ids.push(row.id);
    }
    for (position, i) in items.iter().enumerate() {
        let scale_id = (i.kind == ItemKind::Likert).then(|| scale_ids[(i.id as usize - 1) / 4]);
        item::Entity::insert(item::ActiveModel {
            id: Set(i.id),
            questionnaire_id: Set(q.id),
            scale_id: Set(scale_id),
            position: Set(position as i32),
            code: Set(i.code.clone()),
            prompt: Set(i.prompt.clone()),
            kind: Set(i.kind),
            points: Set(i.points),
            labels: Set(json!(i.labels)),
            reverse_keyed: Set(i.reverse_keyed),
            min_value: Set(None),
            max_value: Set(None),
            required: Set(false),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(campaign::Entity::insert(campaign::ActiveModel {
        organisation_id: Set(org.id),
        questionnaire_id: Set(q.id),
        name: Set("Bench".into()),
        opens_at: Set(now),
        closes_at: Set(now + chrono::Duration::days(30)),
        reminder_offsets_hours: Set(json!([])),
        min_group_size: Set(5),
        low_score_threshold: Set(0.5),
        launched_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?)
}

/// Stores responses with ids from `first_id` on, a thousand per statement.
async fn store(
    db: &DatabaseConnection,
    campaign: &campaign::Model,
    rows: &[ResponseRow],
    first_id: i64,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut answers = Vec::new();
    for (chunk_start, chunk) in rows.chunks(1000).enumerate() {
        let txn = worker::db::begin_write(db).await?;
        let responses = chunk.iter().enumerate().map(|(k, row)| {
            let id = first_id + (chunk_start * 1000 + k) as i64;
            for (item_id, value) in &row.answers {
                let (number, text, choices) = match value {
                    Value::Number(v) => (Some(*v), None, None),
                    Value::Text(t) => (None, Some(t.clone()), None),
                    Value::Choices(c) => (None, None, Some(json!(c))),
                };
                answers.push(answer::ActiveModel {
                    response_id: Set(id),
                    item_id: Set(*item_id),
                    number_value: Set(number),
                    text_value: Set(text),
                    choices: Set(choices),
                    ..Default::default()
                });
            }
            response::ActiveModel {
                id: Set(id),
                organisation_id: Set(campaign.organisation_id),
                campaign_id: Set(campaign.id),
                invitation_id: Set(None),
                external_ref: Set(None),
                source: Set(ResponseSource::Import),
                attributes: Set(json!(row.attributes)),
                digest: Set(String::new()),
                person_id: Set(None),
                submitted_at: Set(now),
                folded: Set(false),
                interviewer_id: Set(None),
                notes: Set(None),
            }
        });
        response::Entity::insert_many(responses.collect::<Vec<_>>())
            .exec_without_returning(&txn)
            .await?;
        for slice in answers.chunks(1000) {
            answer::Entity::insert_many(slice.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        answers.clear();
        txn.commit().await?;
    }
    Ok(())
}
