//! Jobs given up on, over GraphQL: admins see their organisation's and the
//! installation's, retry them, and a campaign's delivery counts its own.

use entities::Role;
use serde_json::{Value, json};
use tests::TestApp;
use worker::Job;
use worker::jobs::JobError;

use crate::fixtures;

const DEAD_LETTERS: &str = "{ deadLetters(first: 10) { edges { node { id kind payload reason attempts failedAt campaignId campaign { id } } } } }";

const RETRY: &str = "mutation($id: ID!) { retryDeadLetter(id: $id) { deadLetter { id kind } } }";

async fn letters(app: &TestApp, token: &str) -> anyhow::Result<Vec<Value>> {
    let data = app.ok(DEAD_LETTERS, json!({}), Some(token)).await?;
    Ok(data["deadLetters"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect())
}

async fn dead_lettered(app: &TestApp, token: &str, campaign: &str) -> anyhow::Result<Value> {
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { delivery { deadLettered } } } }",
            json!({ "id": campaign }),
            Some(token),
        )
        .await?;
    Ok(data["node"]["delivery"]["deadLettered"].clone())
}

/// Records a dead letter as the worker does when it gives up on `job`.
async fn give_up(app: &TestApp, job: &Job, failure: JobError, attempts: u32) -> anyhow::Result<()> {
    worker::dead_letters::record(&app.state.db, job, &failure, attempts).await?;
    Ok(())
}

#[tokio::test]
async fn admins_see_their_dead_letters_and_retrying_one_queues_its_job_again() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, _) = fixtures::launched(&app, &["en"]).await?;
    let admin = app
        .account("north", "admin@north.test", Role::Admin)
        .await?;
    let other_admin = app
        .account("south", "admin@south.test", Role::Admin)
        .await?;
    let campaign_id = api::ids::decode(&api::ids::ID(campaign.clone()), "Campaign")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let report = Job::GenerateReport { campaign_id };
    give_up(
        &app,
        &report,
        JobError::Corrupt("the totals do not read".into()),
        1,
    )
    .await?;
    let sweep = Job::ReminderSweep {
        at: chrono::Utc::now(),
    };
    let lost = sea_orm::DbErr::Custom("connection reset".into());
    give_up(&app, &sweep, JobError::Database(lost), 5).await?;

    let seen = letters(&app, &admin).await?;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0]["kind"], "reminder_sweep");
    assert_eq!(seen[0]["campaignId"], Value::Null);
    assert_eq!(seen[0]["attempts"], 5);
    assert_eq!(seen[1]["kind"], "generate_report");
    assert_eq!(
        seen[1]["reason"],
        "stored data is not readable: the totals do not read"
    );
    assert_eq!(seen[1]["attempts"], 1);
    assert_eq!(seen[1]["payload"], serde_json::to_value(&report)?);
    assert_eq!(seen[1]["campaignId"], campaign.as_str());
    assert_eq!(seen[1]["campaign"]["id"], campaign.as_str());
    assert_eq!(dead_lettered(&app, &coordinator, &campaign).await?, 1);

    // Another organisation's admin sees only what concerns the installation.
    let theirs = letters(&app, &other_admin).await?;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["kind"], "reminder_sweep");
    let report_letter = seen[1]["id"].clone();
    assert_eq!(
        app.error_code(RETRY, json!({ "id": report_letter }), Some(&other_admin))
            .await?,
        "NOT_FOUND"
    );
    // Coordinators run campaigns, not the installation.
    assert_eq!(
        app.error_code(DEAD_LETTERS, json!({}), Some(&coordinator))
            .await?,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(RETRY, json!({ "id": report_letter }), Some(&coordinator))
            .await?,
        "FORBIDDEN"
    );

    let retried = app
        .ok(RETRY, json!({ "id": report_letter }), Some(&admin))
        .await?;
    assert_eq!(
        retried["retryDeadLetter"]["deadLetter"]["kind"],
        "generate_report"
    );
    assert_eq!(app.jobs_done("generate_report", 1).await?, 0);
    let left = letters(&app, &admin).await?;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["kind"], "reminder_sweep");
    assert_eq!(dead_lettered(&app, &coordinator, &campaign).await?, 0);
    assert_eq!(
        app.error_code(RETRY, json!({ "id": report_letter }), Some(&admin))
            .await?,
        "NOT_FOUND"
    );

    // Recorded while the worker could not read the organisation: still
    // the campaign's organisation's alone.
    <entities::dead_letter::Entity as sea_orm::EntityTrait>::insert(
        entities::dead_letter::ActiveModel {
            organisation_id: sea_orm::ActiveValue::Set(None),
            campaign_id: sea_orm::ActiveValue::Set(Some(campaign_id)),
            kind: sea_orm::ActiveValue::Set("aggregate_campaign".into()),
            payload: sea_orm::ActiveValue::Set(serde_json::to_value(Job::AggregateCampaign {
                campaign_id,
            })?),
            reason: sea_orm::ActiveValue::Set("database error".into()),
            attempts: sea_orm::ActiveValue::Set(5),
            failed_at: sea_orm::ActiveValue::Set(chrono::Utc::now() - chrono::Duration::days(1)),
            ..Default::default()
        },
    )
    .exec_without_returning(&app.state.db)
    .await?;
    assert_eq!(letters(&app, &admin).await?.len(), 2);
    assert_eq!(letters(&app, &other_admin).await?.len(), 1);
    app.stop().await
}

#[tokio::test]
async fn metrics_count_dead_letters_by_kind_and_in_all() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    for at in 0..2 {
        let sweep = Job::ReminderSweep {
            at: chrono::DateTime::from_timestamp(at, 0).unwrap(),
        };
        let lost = sea_orm::DbErr::Custom("connection reset".into());
        give_up(&app, &sweep, JobError::Database(lost), 5).await?;
    }
    give_up(
        &app,
        &Job::AggregateCampaign { campaign_id: 1 },
        JobError::NotFound("campaign"),
        1,
    )
    .await?;

    let text = app
        .http()
        .get(format!("{}/metrics", app.url))
        .send()
        .await?
        .text()
        .await?;

    assert!(
        text.contains("\ndead_letters{kind=\"reminder_sweep\"} 2\n"),
        "{text}"
    );
    assert!(text.contains("\ndead_letters{kind=\"aggregate_campaign\"} 1\n"));
    assert!(text.contains("\ndead_letters_all 3\n"));
    assert!(text.contains("# TYPE dead_letters gauge\n"));
    app.stop().await
}
