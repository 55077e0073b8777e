//! Jobs given up on: a job whose target is gone stops at once, a job that
//! meets database trouble is tried again with growing waits, and either
//! leaves one dead letter saying why.

use std::time::{Duration, Instant};

use chrono::Utc;
use entities::{campaign, dead_letter, job_run};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use tests::TestApp;
use worker::jobs::{self, Retries};
use worker::{Context, Job};

/// A campaign of a fresh organisation, not launched.
async fn campaign(app: &TestApp) -> anyhow::Result<campaign::Model> {
    let db = &app.state.db;
    let (organisation_id, q) = tests::organisation_with_questionnaire(db).await?;
    let now = Utc::now();
    Ok(campaign::Entity::insert(campaign::ActiveModel {
        organisation_id: Set(organisation_id),
        questionnaire_id: Set(q.id),
        name: Set("Survey".into()),
        opens_at: Set(now),
        closes_at: Set(now + chrono::Duration::days(7)),
        reminder_offsets_hours: Set(serde_json::json!([])),
        min_group_size: Set(1),
        low_score_threshold: Set(0.5),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?)
}

/// Waits briefly between attempts, so that the test does not.
fn quick(app: &TestApp, attempts: u32) -> anyhow::Result<Context> {
    let mut ctx = Context::new(
        &app.env.settings,
        app.state.db.clone(),
        app.state.tokens.clone(),
    )?;
    ctx.retries = Retries {
        attempts,
        first_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(80),
    };
    Ok(ctx)
}

async fn runs(app: &TestApp, kind: &str) -> anyhow::Result<u64> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Kind.eq(kind))
        .count(&app.state.db)
        .await?)
}

#[tokio::test]
async fn a_job_for_a_deleted_campaign_becomes_one_dead_letter_at_once() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let c = campaign(&app).await?;
    campaign::Entity::delete_by_id(c.id)
        .exec(&app.state.db)
        .await?;
    let job = Job::AggregateCampaign { campaign_id: c.id };

    app.state
        .enqueue(job.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;

    assert_eq!(app.jobs_done("aggregate_campaign", 1).await?, 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while dead_letter::Entity::find().count(&app.state.db).await? == 0 {
        assert!(Instant::now() < deadline, "no dead letter was written");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Long enough for either job store to have run a failed job again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(runs(&app, "aggregate_campaign").await?, 1, "tried again");
    let letters = dead_letter::Entity::find().all(&app.state.db).await?;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.kind, "aggregate_campaign");
    assert_eq!(letter.attempts, 1);
    assert_eq!(letter.reason, "campaign not found");
    assert_eq!(letter.campaign_id, Some(c.id));
    assert_eq!(
        letter.organisation_id, None,
        "the campaign, gone, cannot tell"
    );
    assert_eq!(letter.payload, serde_json::to_value(&job)?);
    app.stop().await
}

#[tokio::test]
async fn a_database_error_is_tried_again_with_growing_waits_then_dead_lettered()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let c = campaign(&app).await?;
    // Every aggregation now fails in the database, as on a lost table.
    app.state
        .db
        .execute_unprepared("ALTER TABLE campaign_accumulator RENAME TO campaign_accumulator_away")
        .await?;
    let ctx = quick(&app, 4)?;
    let started = Instant::now();

    let outcome = jobs::process(&ctx, Job::AggregateCampaign { campaign_id: c.id }).await;

    let elapsed = started.elapsed();
    let error = outcome.expect_err("the aggregation failed");
    assert!(error.is_transient(), "{error:?}");
    // Waits of 50, 80 and 80 ms between the four attempts.
    assert!(elapsed >= Duration::from_millis(210), "{elapsed:?}");
    assert_eq!(runs(&app, "aggregate_campaign").await?, 4);
    let letters = dead_letter::Entity::find().all(&app.state.db).await?;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.attempts, 4);
    assert_eq!(letter.organisation_id, Some(c.organisation_id));
    assert_eq!(letter.campaign_id, Some(c.id));
    assert!(
        letter.reason.starts_with("database error: ")
            && letter.reason.contains("campaign_accumulator"),
        "{}",
        letter.reason
    );

    // Each attempt reads the database again: with the table back, the same
    // job goes through.
    app.state
        .db
        .execute_unprepared("ALTER TABLE campaign_accumulator_away RENAME TO campaign_accumulator")
        .await?;
    jobs::process(&ctx, Job::AggregateCampaign { campaign_id: c.id }).await?;
    assert_eq!(dead_letter::Entity::find().count(&app.state.db).await?, 1);
    app.stop().await
}

#[tokio::test]
async fn with_the_database_gone_the_job_gives_up_without_a_dead_letter_and_without_panicking()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let c = campaign(&app).await?;
    let closed = worker::db::connect(&app.env.settings).await?;
    closed.close_by_ref().await?;
    let mut ctx = quick(&app, 3)?;
    ctx.db = closed;

    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        jobs::process(&ctx, Job::GenerateReport { campaign_id: c.id }),
    )
    .await?;

    let error = outcome.expect_err("the database is closed");
    assert!(error.is_transient(), "{error:?}");
    assert_eq!(dead_letter::Entity::find().count(&app.state.db).await?, 0);
    app.stop().await
}
