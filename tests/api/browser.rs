//! The questionnaire and report pages in a real browser: headless Chromium
//! driven by `tests/browser/respond.mjs`, against this server on loopback.
//!
//! Needs Node.js, `npm ci` in `tests/browser` and Chromium; `.ci/run`
//! installs them and runs this test with `--ignored`. Screenshots go to
//! `target/browser-screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use chrono::{Duration, Utc};
use entities::{answer, item, response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use tests::TestApp;

use crate::fixtures;

/// A loopback port free now, so the server's public URL (the one in the
/// emails) can name it before the server starts.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn link(body: &str, path: &str) -> Option<String> {
    let start = body.find("http://")?;
    let url: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    if url.contains(path) {
        Some(url)
    } else {
        link(&body[start + 7..], path)
    }
}

#[tokio::test]
#[ignore = "needs Node.js, npm ci in tests/browser and Chromium: .ci/run runs it"]
async fn a_learner_answers_on_a_phone_and_a_funder_reads_the_report_in_chromium()
-> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scripts = root.join("browser");
    anyhow::ensure!(
        scripts.join("node_modules/playwright-core").is_dir(),
        "run `npm ci` in {} first",
        scripts.display()
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    anyhow::ensure!(
        std::path::Path::new(&chromium).exists(),
        "Chromium not found at {chromium}: install Debian's chromium or set CHROMIUM"
    );

    let port = free_port()?;
    let app = TestApp::spawn_with(|s| {
        s.bind = ([127, 0, 0, 1], port).into();
        s.public_url = format!("http://127.0.0.1:{port}");
    })
    .await?;
    // l0 reads English and answers in the browser; l1 reads French.
    let (admin, campaign, mail) = fixtures::launched(&app, &["en", "fr", "en", "en", "en"]).await?;
    let to = |name: &str| {
        mail.iter()
            .find(|m| m.recipients.iter().any(|r| r.starts_with(name)))
            .unwrap()
            .clone()
    };

    // Three others answer first, so the report has figures to show.
    for (name, s1) in [("l2@", 2.0), ("l3@", 3.0), ("l4@", 5.0)] {
        let input = json!({ "input": { "token": to(name).token().unwrap(), "answers": fixtures::answers(s1) } });
        app.ok(fixtures::SUBMIT, input, None).await?;
    }
    app.ok(
        "mutation($input: CampaignInput!) { generateReport(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    assert_eq!(app.jobs_done("generate_report", 1).await?, 0);
    let reports = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { reports(first: 1) { edges { node { id } } } } } }",
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    let shared = app
        .ok(
            "mutation($input: ShareReportInput!) { shareReport(input: $input) { url } }",
            json!({ "input": {
                "reportId": reports["node"]["reports"]["edges"][0]["node"]["id"],
                "audience": "Funders",
                "expiresAt": (Utc::now() + Duration::days(7)).to_rfc3339(),
            }}),
            Some(&admin),
        )
        .await?;

    let form_url = link(&to("l0@").body(), "/respond/").unwrap();
    let form_url_fr = link(&to("l1@").body(), "/respond/").unwrap();
    assert!(form_url.starts_with(&app.url), "{form_url} is this server");
    let shots = root.join("../target/browser-screenshots");
    let run = tokio::task::spawn_blocking({
        let report_url = shared["shareReport"]["url"].as_str().unwrap().to_owned();
        let shots = shots.clone();
        move || {
            Command::new("node")
                .arg("respond.mjs")
                .current_dir(&scripts)
                .env("FORM_URL", form_url)
                .env("FORM_URL_FR", form_url_fr)
                .env("REPORT_URL", report_url)
                .env("SHOTS_DIR", &shots)
                .env("CHROMIUM", chromium)
                .output()
        }
    })
    .await??;
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "the browser run failed:\n{stdout}\n{stderr}"
    );
    println!("browser findings: {stdout}");
    println!("screenshots in {}", shots.display());
    for name in [
        "form-phone",
        "form-desktop",
        "thanks-phone",
        "form-errors-phone-fr",
        "report-desktop",
        "report-print",
        "report-phone",
    ] {
        let size = std::fs::metadata(shots.join(format!("{name}.png")))?.len();
        assert!(size > 5_000, "{name}.png holds a picture ({size} bytes)");
    }

    // The answers given in the browser are stored and counted.
    let counted = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { responseCount } } }",
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    assert_eq!(counted["node"]["responseCount"], 4);
    let browsed = response::Entity::find()
        .order_by_desc(response::Column::Id)
        .one(&app.state.db)
        .await?
        .unwrap();
    let items: std::collections::HashMap<i64, String> = item::Entity::find()
        .all(&app.state.db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.code))
        .collect();
    let answers: std::collections::HashMap<String, answer::Model> = answer::Entity::find()
        .filter(answer::Column::ResponseId.eq(browsed.id))
        .all(&app.state.db)
        .await?
        .into_iter()
        .map(|a| (items[&a.item_id].clone(), a))
        .collect();
    assert_eq!(answers["s1"].number_value, Some(4.0), "chosen by keyboard");
    assert_eq!(answers["s2"].number_value, Some(2.0));
    assert_eq!(answers["mode"].text_value.as_deref(), Some("video"));
    assert_eq!(answers["topics"].choices, Some(json!(["maths", "method"])));
    assert_eq!(answers["hours"].number_value, Some(2.5));
    assert_eq!(answers["nps"].number_value, Some(9.0));
    assert_eq!(
        answers["comment"].text_value.as_deref(),
        Some("<script>alert(1)</script> & merci")
    );
    Ok(())
}
