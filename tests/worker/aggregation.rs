//! A campaign's running totals against the database: aggregations racing
//! each other and new responses count each response once, totals that do not
//! read are rebuilt, and the figures always end where a full pass does.

use chrono::{Duration, Utc};
use entities::{
    Audience, ItemKind, ResponseSource, Role, answer, campaign, campaign_accumulator, item,
    questionnaire, response, scale,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;
use tests::TestApp;
use worker::jobs;
use worker::results::{CampaignResults, ResultsInput, compute_results, first_difference};

struct Survey {
    campaign: campaign::Model,
    items: Vec<item::Model>,
}

/// A campaign on a questionnaire with an item of every kind, three of them
/// forming a scale with one reverse-keyed.
async fn survey(app: &TestApp) -> anyhow::Result<Survey> {
    let db = &app.state.db;
    let admin = api::auth::add_member(
        db,
        ("org", "Org"),
        "a@org.test",
        "A",
        tests::PASSWORD,
        Role::Admin,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let now = Utc::now();
    let q = questionnaire::Entity::insert(questionnaire::ActiveModel {
        organisation_id: Set(admin.organisation_id),
        key: Set("q".into()),
        version: Set(1),
        title: Set("Q".into()),
        description: Set(String::new()),
        audience: Set(Audience::Learners),
        locked_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let s = scale::Entity::insert(scale::ActiveModel {
        questionnaire_id: Set(q.id),
        code: Set("S".into()),
        name: Set("Support".into()),
        position: Set(0),
        higher_is_better: Set(true),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    // s1 to s3 form the scale, s2 reverse-keyed, s3 on seven points.
    let specs: [(&str, ItemKind, &[&str]); 8] = [
        ("s1", ItemKind::Likert, &[]),
        ("s2", ItemKind::Likert, &[]),
        ("s3", ItemKind::Likert, &[]),
        ("nps", ItemKind::Nps, &[]),
        ("hours", ItemKind::Number, &[]),
        ("mode", ItemKind::SingleChoice, &["a", "b"]),
        ("topics", ItemKind::MultipleChoice, &["x", "y", "z"]),
        ("comment", ItemKind::FreeText, &[]),
    ];
    let mut items = Vec::new();
    for (position, (code, kind, labels)) in specs.into_iter().enumerate() {
        let likert = kind == ItemKind::Likert;
        let row = item::Entity::insert(item::ActiveModel {
            questionnaire_id: Set(q.id),
            scale_id: Set(likert.then_some(s.id)),
            position: Set(position as i32),
            code: Set(code.into()),
            prompt: Set(format!("About {code}")),
            kind: Set(kind),
            points: Set(likert.then_some(if code == "s3" { 7 } else { 5 })),
            labels: Set(json!(labels)),
            reverse_keyed: Set(code == "s2"),
            min_value: Set(None),
            max_value: Set(None),
            required: Set(false),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        items.push(row);
    }
    let c = campaign::Entity::insert(campaign::ActiveModel {
        organisation_id: Set(admin.organisation_id),
        questionnaire_id: Set(q.id),
        name: Set("Totals".into()),
        opens_at: Set(now - Duration::hours(1)),
        closes_at: Set(now + Duration::days(7)),
        reminder_offsets_hours: Set(json!([])),
        min_group_size: Set(3),
        low_score_threshold: Set(0.5),
        launched_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok(Survey { campaign: c, items })
}

/// Stores `n` random responses, `per_transaction` at a time: most items
/// answered, an attribute now and then.
async fn respond(
    db: &DatabaseConnection,
    survey: &Survey,
    rng: &mut StdRng,
    n: usize,
    per_transaction: usize,
) -> anyhow::Result<()> {
    let mut left = n;
    while left > 0 {
        let batch = left.min(per_transaction);
        left -= batch;
        let txn = worker::db::begin_write(db).await?;
        let mut answers = Vec::new();
        for _ in 0..batch {
            let mut attributes = serde_json::Map::new();
            if rng.random_bool(0.7) {
                let site = ["north", "south", "east"].choose(rng).copied();
                attributes.insert("site".into(), json!(site));
            }
            if rng.random_bool(0.5) {
                attributes.insert("year".into(), json!(rng.random_range(1..=12).to_string()));
            }
            let stored = response::Entity::insert(response::ActiveModel {
                organisation_id: Set(survey.campaign.organisation_id),
                campaign_id: Set(survey.campaign.id),
                invitation_id: Set(None),
                external_ref: Set(None),
                source: Set(ResponseSource::Import),
                attributes: Set(serde_json::Value::Object(attributes)),
                digest: Set(String::new()),
                person_id: Set(None),
                submitted_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            for item in &survey.items {
                if rng.random_bool(0.2) {
                    continue;
                }
                let (mut number, mut text, mut choices) = (None, None, None);
                match item.kind {
                    ItemKind::Likert => {
                        number = Some(f64::from(rng.random_range(1..=item.points.unwrap_or(5))))
                    }
                    ItemKind::Nps => number = Some(f64::from(rng.random_range(0..=10))),
                    ItemKind::Number => number = Some(f64::from(rng.random_range(0..=80)) / 4.0),
                    ItemKind::SingleChoice => text = Some(["a", "b"][rng.random_range(0..2)]),
                    ItemKind::MultipleChoice => {
                        let picked: Vec<&str> = ["x", "y", "z"]
                            .into_iter()
                            .filter(|_| rng.random_bool(0.5))
                            .collect();
                        choices = Some(json!(picked));
                    }
                    ItemKind::FreeText => text = Some("fine"),
                }
                answers.push(answer::ActiveModel {
                    response_id: Set(stored.last_insert_id),
                    item_id: Set(item.id),
                    number_value: Set(number),
                    text_value: Set(text.map(str::to_owned)),
                    choices: Set(choices),
                    ..Default::default()
                });
            }
        }
        for chunk in answers.chunks(500) {
            answer::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

/// The figures of a full pass over every response, as aggregation used to
/// compute them.
async fn full_pass(
    db: &DatabaseConnection,
    c: &campaign::Model,
) -> anyhow::Result<CampaignResults> {
    let (items, scales) = jobs::load_definition(db, c.questionnaire_id).await?;
    let rows = jobs::load_responses(db, c.id).await?;
    let input = ResultsInput {
        items: &items,
        scales: &scales,
        responses: &rows,
        invited: 0,
        responded_invitations: 0,
        min_group_size: usize::try_from(c.min_group_size)?,
    };
    Ok(compute_results(&input, Utc::now()))
}

async fn unfolded(db: &DatabaseConnection, c: &campaign::Model) -> anyhow::Result<u64> {
    Ok(response::Entity::find()
        .filter(response::Column::CampaignId.eq(c.id))
        .filter(response::Column::Folded.eq(false))
        .count(db)
        .await?)
}

async fn totals(
    db: &DatabaseConnection,
    c: &campaign::Model,
) -> anyhow::Result<campaign_accumulator::Model> {
    campaign_accumulator::Entity::find()
        .filter(campaign_accumulator::Column::CampaignId.eq(c.id))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no totals"))
}

#[tokio::test]
async fn racing_aggregations_and_new_responses_count_each_response_once() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let db = app.state.db.clone();
    let survey = survey(&app).await?;
    let c = survey.campaign.clone();
    let mut rng = StdRng::seed_from_u64(7);
    // More than one chunk of responses before the first aggregation.
    respond(&db, &survey, &mut rng, 2_300, 250).await?;

    let mut racers = Vec::new();
    for _ in 0..4 {
        let db = db.clone();
        racers.push(tokio::spawn(async move {
            for _ in 0..3 {
                jobs::aggregate(&db, c.id).await?;
            }
            anyhow::Ok(())
        }));
    }
    // Responses keep coming, one per transaction, while they race.
    respond(&db, &survey, &mut rng, 40, 1).await?;
    for racer in racers {
        racer.await??;
    }
    let results = jobs::aggregate(&db, c.id).await?;

    assert_eq!(results.responses, 2_340, "{}", app.env.backend());
    assert_eq!(totals(&db, &c).await?.responses, 2_340);
    assert_eq!(unfolded(&db, &c).await?, 0);
    let full = full_pass(&db, &c).await?;
    assert_eq!(
        first_difference(&results, &full),
        None,
        "{}",
        app.env.backend()
    );
    let rebuilt = jobs::rebuild(&db, c.id).await?;
    assert_eq!(first_difference(&rebuilt, &results), None);
    assert_eq!(totals(&db, &c).await?.responses, 2_340);
    app.stop().await
}

#[tokio::test]
async fn totals_that_do_not_read_or_are_missing_are_rebuilt_from_every_response()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let db = app.state.db.clone();
    let survey = survey(&app).await?;
    let c = survey.campaign.clone();
    let mut rng = StdRng::seed_from_u64(11);
    respond(&db, &survey, &mut rng, 30, 30).await?;
    let first = jobs::aggregate(&db, c.id).await?;
    respond(&db, &survey, &mut rng, 5, 1).await?;

    // Unreadable totals: every response is folded again, the new ones too.
    campaign_accumulator::Entity::update_many()
        .col_expr(
            campaign_accumulator::Column::Data,
            Expr::value("{\"format\":"),
        )
        .filter(campaign_accumulator::Column::CampaignId.eq(c.id))
        .exec(&db)
        .await?;
    let after_garbage = jobs::aggregate(&db, c.id).await?;
    assert_eq!((first.responses, after_garbage.responses), (30, 35));
    assert_eq!(
        first_difference(&after_garbage, &full_pass(&db, &c).await?),
        None
    );

    // No totals at all while every response is marked folded, as a
    // restored backup could leave it: rebuilt, not taken for nothing new.
    campaign_accumulator::Entity::delete_many()
        .filter(campaign_accumulator::Column::CampaignId.eq(c.id))
        .exec(&db)
        .await?;
    let again = jobs::aggregate(&db, c.id).await?;
    assert_eq!(again.responses, 35);
    assert_eq!(first_difference(&again, &after_garbage), None);
    assert_eq!(totals(&db, &c).await?.responses, 35);
    assert_eq!(unfolded(&db, &c).await?, 0);
    app.stop().await
}
