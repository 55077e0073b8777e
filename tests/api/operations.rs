//! What operators watch: readiness and Prometheus metrics.

use reqwest::StatusCode;
use serde_json::json;
use tests::TestApp;

use crate::fixtures;

#[tokio::test]
async fn readiness_checks_the_database_and_the_queue() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;

    let ready = app.http().get(format!("{}/readyz", app.url)).send().await?;

    assert_eq!(ready.status(), StatusCode::OK);
    let body: serde_json::Value = ready.json().await?;
    assert_eq!(body, json!({ "database": "ok", "queue": "ok" }));
    Ok(())
}

/// The value of one sample line, e.g. `jobs_total{kind="x",outcome="ok"}`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_operation_jobs_queue_and_emails() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (admin, _, _) = fixtures::launched(&app, &["en", "en"]).await?;
    for _ in 0..3 {
        app.ok(
            "{ campaigns { edges { node { id } } } }",
            json!({}),
            Some(&admin),
        )
        .await?;
    }

    let scraped = app
        .http()
        .get(format!("{}/metrics", app.url))
        .send()
        .await?;
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(
        scraped.headers()["content-type"]
            .to_str()?
            .starts_with("text/plain; version=0.0.4")
    );
    let text = scraped.text().await?;

    let campaigns =
        "http_request_duration_seconds_count{operation=\"query:campaigns\",status=\"2xx\"}";
    assert_eq!(sample(&text, campaigns), Some(3.0), "{text}");
    assert!(
        sample(
            &text,
            "http_request_duration_seconds_count{operation=\"mutation:launchCampaign\",status=\"2xx\"}"
        )
        .is_some()
    );
    assert_eq!(
        sample(
            &text,
            "jobs_total{kind=\"send_invitations\",outcome=\"ok\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "job_duration_seconds_bucket{kind=\"send_invitations\",le=\"+Inf\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&text, "emails_total{outcome=\"sent\"}"), Some(2.0));
    // The open campaign has its own series; its id is the only one here.
    let per_campaign: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("campaign_emails{"))
        .collect();
    assert_eq!(per_campaign.len(), 1, "{text}");
    assert!(
        per_campaign[0].ends_with(",status=\"sent\"} 2"),
        "{}",
        per_campaign[0]
    );
    assert!(text.contains("# TYPE campaign_dead_letters gauge\n"));
    assert!(sample(&text, "job_queue_depth{state=\"pending\"}").is_some());
    assert_eq!(sample(&text, "job_queue_up"), Some(1.0));
    // Paths holding tokens are labelled by their route, never by the token.
    app.http()
        .get(format!("{}/respond/some-secret-token", app.url))
        .send()
        .await?;
    let text = app
        .http()
        .get(format!("{}/metrics", app.url))
        .send()
        .await?
        .text()
        .await?;
    assert!(text.contains("operation=\"page:respond\",status=\"4xx\""));
    assert!(!text.contains("some-secret-token"));
    Ok(())
}

#[tokio::test]
async fn a_metrics_token_keeps_metrics_private() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(|s| s.metrics_token = Some("scrape-me".into())).await?;
    let url = format!("{}/metrics", app.url);

    let anonymous = app.http().get(&url).send().await?;
    let wrong = app.http().get(&url).bearer_auth("guess").send().await?;
    let right = app.http().get(&url).bearer_auth("scrape-me").send().await?;

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(right.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn names_in_a_document_that_does_not_validate_make_no_metric_series() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    for i in 0..3 {
        let body = app
            .post(&format!("{{ madeUpField{i} }}"), json!({}), None)
            .await?;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    app.post("{ __typename }", json!({}), None).await?;

    let text = app
        .http()
        .get(format!("{}/metrics", app.url))
        .send()
        .await?
        .text()
        .await?;
    assert!(!text.contains("madeUpField"), "{text}");
    let refused = "http_request_duration_seconds_count{operation=\"query\",status=\"2xx\"}";
    assert_eq!(sample(&text, refused), Some(3.0), "{text}");
    let fine = "http_request_duration_seconds_count{operation=\"query:__typename\",status=\"2xx\"}";
    assert_eq!(sample(&text, fine), Some(1.0), "{text}");
    app.stop().await
}
