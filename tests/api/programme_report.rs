//! Programme reports: the demo's grid scored on its real data, checked
//! against an independent computation (pandas and scipy,
//! `tests/reference/programme_reference.py`), read over GraphQL, as HTML
//! and as CSV; grids that do not hold together; recommendations decided.

use entities::Role;
use serde_json::{Value, json};
use tests::TestApp;

const REFERENCE: &str = include_str!("../reference/programme_reference.json");

const REPORT: &str = r#"query($p: ID!) { programmeReports(programmeId: $p, first: 5) { edges { node {
    id version periodFrom periodTo previousPeriodFrom grid totalScore level previousTotalScore
    criteria { code score level previousScore
               indicators { code value n level score previous basis } }
    recommendations { id rule priority audience text evidence status }
    data html csv } } } }"#;

async fn demo_admin(app: &TestApp) -> anyhow::Result<(api::demo::Demo, String)> {
    let demo = api::demo::seed(&app.state)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let token = app
        .ok(
            "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }",
            json!({ "e": api::demo::ADMIN_EMAIL, "p": api::demo::ADMIN_PASSWORD }),
            None,
        )
        .await?["signIn"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok((demo, token))
}

fn indicator<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["indicators"].as_array().unwrap())
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no indicator {code}"))
}

fn assert_close(actual: &Value, expected: &Value, what: &str) {
    let (a, e) = (actual.as_f64(), expected.as_f64());
    assert!(
        matches!((a, e), (Some(a), Some(e)) if (a - e).abs() < 5e-4),
        "{what}: {actual} against {expected}"
    );
}

#[tokio::test]
async fn the_demo_programme_report_scores_its_real_data_as_an_independent_computation_does()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (demo, token) = demo_admin(&app).await?;
    let programme = json!({ "p": api::ids::encode("Programme", demo.programme_id) });
    let data = app.ok(REPORT, programme.clone(), Some(&token)).await?;
    let edges = data["programmeReports"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "the demo ships one report");
    let report = &edges[0]["node"];
    let reference: Value = serde_json::from_str(REFERENCE)?;

    // Indicator values, this period and the one before, to 3 decimals.
    for code in ["course_score", "course_response"] {
        let i = indicator(report, code);
        assert_close(&i["value"], &reference[code]["current"]["mean"], code);
        assert_close(&i["previous"], &reference[code]["previous"]["mean"], code);
        assert_eq!(i["n"], reference[code]["current"]["n"]);
    }
    for code in ["stress", "study_habits"] {
        let i = indicator(report, code);
        assert_close(&i["value"], &reference[code]["mean"], code);
        assert_eq!(i["n"], reference[code]["n"]);
        // Learners answered in this period only.
        assert!(i["previous"].is_null(), "{code} had no earlier answers");
    }
    // Welch's tests of the trends, as scipy computes them.
    let trends = report["data"]["trends"].as_array().unwrap();
    for code in ["course_score", "course_response"] {
        let trend = trends.iter().find(|t| t["code"] == code).unwrap();
        let expected = &reference[code]["welch"];
        for key in ["t", "df", "p"] {
            assert_close(
                &trend["test"][key],
                &expected[key],
                &format!("{code} {key}"),
            );
        }
        assert_close(
            &trend["change"],
            &expected["difference"],
            &format!("{code} change"),
        );
    }

    // Bands and weights: the levels follow from the values above, and the
    // scores from the levels.
    assert_eq!(indicator(report, "course_score")["level"], "GOOD");
    assert_eq!(indicator(report, "stress")["level"], "GOOD");
    assert_eq!(indicator(report, "sessions")["value"], 0.0);
    assert_eq!(indicator(report, "sessions")["level"], "INSUFFICIENT");
    assert_eq!(indicator(report, "compliance")["value"], 100.0);
    let criterion = |code: &str| {
        report["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()
            .clone()
    };
    // Delivery: sessions 25 and compliance 100, equally weighted.
    assert_eq!(criterion("delivery")["score"], 62.5);
    // Satisfaction 80 ×3, effectiveness 80 ×3, participation 80 ×2,
    // delivery 62.5 ×2, over 10.
    assert_close(&report["totalScore"], &json!(76.5), "total");
    assert_eq!(report["level"], "GOOD");
    // The period before had course evaluations only: satisfaction and
    // participation at 80, nothing else scored.
    assert_close(
        &report["previousTotalScore"],
        &json!(80.0),
        "previous total",
    );

    // One rule fired, on the evidence that triggered it.
    let recommendations = report["recommendations"].as_array().unwrap();
    assert_eq!(recommendations.len(), 1, "{recommendations:?}");
    let rec = &recommendations[0];
    assert_eq!(rec["priority"], "HIGH");
    assert_eq!(rec["audience"], "coordinators");
    assert_eq!(rec["status"], "PROPOSED");
    assert_eq!(rec["evidence"]["subject"], "sessions");
    assert_eq!(rec["evidence"]["level"], "insufficient");
    let basis = rec["evidence"]["basis"].as_str().unwrap();
    assert!(basis.starts_with("0 sessions held for "), "{basis}");

    // Readable as a printable page with its charts, and as CSV.
    let html = report["html"].as_str().unwrap();
    for part in [
        "<svg",
        "Criterion scores out of 100",
        "Get the first sessions held",
        "Trends",
        "Tutor evaluations (course_evals)",
    ] {
        assert!(html.contains(part), "the page lacks {part:?}");
    }
    assert!(!html.contains("<script"), "the page runs no script");
    let csv = report["csv"].as_str().unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers()?.clone();
    let value_column = header.iter().position(|h| h == "value").unwrap();
    let code_column = header.iter().position(|h| h == "indicator").unwrap();
    let row = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[code_column] == "course_score")
        .unwrap();
    assert_close(
        &json!(row[value_column].parse::<f64>()?),
        &reference["course_score"]["current"]["mean"],
        "CSV value",
    );

    // Generating again makes version 2; the first stays as it was.
    let grid = app
        .ok("{ analyticalGrids { id name } }", json!({}), Some(&token))
        .await?["analyticalGrids"][0]["id"]
        .clone();
    let today = chrono::Utc::now().date_naive();
    app.ok(
        "mutation($i: GenerateProgrammeReportInput!) { generateProgrammeReport(input: $i) { queued } }",
        json!({ "i": {
            "programmeId": programme["p"], "gridId": grid,
            "from": (today - chrono::Duration::days(api::demo::REPORT_DAYS - 1)).to_string(),
            "to": today.to_string(),
        } }),
        Some(&token),
    )
    .await?;
    assert_eq!(app.jobs_done("generate_programme_report", 1).await?, 0);
    let data = app.ok(REPORT, programme, Some(&token)).await?;
    let edges = data["programmeReports"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(edges[0]["node"]["version"], 2);
    assert_eq!(edges[1]["node"]["version"], 1);
    assert_eq!(
        edges[0]["node"]["totalScore"],
        edges[1]["node"]["totalScore"]
    );
    app.stop().await
}

fn band(level: &str, from: Option<f64>, to: Option<f64>, score: f64) -> Value {
    json!({ "level": level, "from": from, "to": to, "score": score })
}

#[tokio::test]
async fn grids_that_do_not_hold_together_are_refused_with_every_problem_named() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let token = app
        .account("grids", "c@grids.example", Role::Coordinator)
        .await?;
    let create = "mutation($i: CreateAnalyticalGridInput!) { createAnalyticalGrid(input: $i) { id name criteria { code } } }";
    let indicator = |code: &str, bands: Value, kind: &str, source: Option<&str>| json!({ "code": code, "name": code, "source": { "kind": kind, "code": source }, "bands": bands });
    let bad = json!({ "i": {
        "name": "Broken",
        "criteria": [{
            "code": "c1", "name": "C1", "weight": 0,
            "indicators": [
                indicator("i1", json!([band("GOOD", None, Some(5.0), 80.0), band("EXCELLENT", Some(4.0), None, 100.0)]), "RESPONSE_RATE", None),
                indicator("i1", json!([band("GOOD", None, None, 180.0)]), "SCALE_MEAN", None),
            ],
        }],
        "rules": [{ "subject": "nothing", "levels": ["GOOD"], "priority": "LOW", "audience": "tutors", "text": "x" }],
    } });
    let body = app.post(create, bad, Some(&token)).await?;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let fields: Vec<&str> = body["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "criteria[0].indicators[1].source.code",
            "criteria[0].weight",
            "criteria[0].indicators[0].bands",
            "criteria[0].indicators[1].code",
            "criteria[0].indicators[1].bands[0].score",
            "rules[0].subject",
        ]
    );

    let good = json!({ "i": {
        "name": "Small",
        "criteria": [{
            "code": "c1", "name": "C1", "weight": 1,
            "indicators": [indicator("i1", json!([band("GOOD", None, None, 80.0)]), "RESPONSE_RATE", None)],
        }],
    } });
    let created = app.ok(create, good.clone(), Some(&token)).await?;
    assert_eq!(created["createAnalyticalGrid"]["criteria"][0]["code"], "c1");
    assert_eq!(
        app.error_code(create, good, Some(&token)).await?,
        "CONFLICT"
    );

    // Observers read grids but do not make them; other organisations see none.
    let observer = app
        .account("grids", "o@grids.example", Role::Observer)
        .await?;
    let small = json!({ "i": { "name": "Other", "criteria": [] } });
    assert_eq!(
        app.error_code(create, small, Some(&observer)).await?,
        "FORBIDDEN"
    );
    let listed = app
        .ok("{ analyticalGrids { name } }", json!({}), Some(&observer))
        .await?;
    assert_eq!(listed["analyticalGrids"][0]["name"], "Small");
    let stranger = app
        .account("elsewhere", "c@elsewhere.example", Role::Coordinator)
        .await?;
    let listed = app
        .ok("{ analyticalGrids { name } }", json!({}), Some(&stranger))
        .await?;
    assert_eq!(listed["analyticalGrids"], json!([]));
    app.stop().await
}

#[tokio::test]
async fn coordinators_edit_and_decide_recommendations_of_their_organisation_only()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (demo, token) = demo_admin(&app).await?;
    let programme = json!({ "p": api::ids::encode("Programme", demo.programme_id) });
    let data = app.ok(REPORT, programme.clone(), Some(&token)).await?;
    let rec = data["programmeReports"]["edges"][0]["node"]["recommendations"][0]["id"].clone();
    let decide = "mutation($i: DecideRecommendationInput!) { decideRecommendation(input: $i) { id text priority audience status decidedAt } }";

    let stranger = app
        .account("elsewhere", "c@elsewhere.example", Role::Coordinator)
        .await?;
    let input = json!({ "i": { "recommendationId": rec, "status": "ACCEPTED" } });
    assert_eq!(
        app.error_code(decide, input.clone(), Some(&stranger))
            .await?,
        "NOT_FOUND"
    );
    let reports = app.ok(REPORT, programme.clone(), Some(&stranger)).await?;
    assert_eq!(reports["programmeReports"]["edges"], json!([]));

    let empty = json!({ "i": { "recommendationId": rec, "status": "ACCEPTED", "text": "  " } });
    assert_eq!(
        app.error_code(decide, empty, Some(&token)).await?,
        "BAD_USER_INPUT"
    );

    let edited = json!({ "i": {
        "recommendationId": rec, "status": "ACCEPTED",
        "text": "Hold a first session with every learner before the month ends.",
        "priority": "MEDIUM", "audience": "tutors",
    } });
    let done = &app.ok(decide, edited, Some(&token)).await?["decideRecommendation"];
    assert_eq!(done["status"], "ACCEPTED");
    assert_eq!(done["priority"], "MEDIUM");
    assert_eq!(done["audience"], "tutors");
    assert!(done["decidedAt"].is_string());
    let again = app.ok(REPORT, programme, Some(&token)).await?;
    let stored = &again["programmeReports"]["edges"][0]["node"]["recommendations"][0];
    assert_eq!(
        stored["text"],
        "Hold a first session with every learner before the month ends."
    );
    // The evidence is the rule's, whatever the wording became.
    assert_eq!(stored["evidence"]["subject"], "sessions");
    app.stop().await
}

#[tokio::test]
async fn the_demo_programme_report_reaches_each_audience_member_once_on_the_plan_date()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (demo, token) = demo_admin(&app).await?;
    let programme = json!({ "p": api::ids::encode("Programme", demo.programme_id) });
    let data = app.ok(REPORT, programme, Some(&token)).await?;
    let report = data["programmeReports"]["edges"][0]["node"]["id"].clone();
    let create = r#"mutation($input: CreateDisseminationPlanInput!) {
        createDisseminationPlan(input: $input) { plan { id status programmeReport { version } } } }"#;
    let send_at = chrono::Utc::now() + chrono::Duration::hours(1);
    let audience = |kind: &str, channel: &str, recipients: Value| {
        json!({ "kind": kind, "channel": channel, "sendAt": send_at.to_rfc3339(),
                "linkLifetimeDays": 14, "recipients": recipients })
    };
    // A programme report is not posted as one public link.
    let public = json!({ "input": { "name": "Board", "reportId": report,
        "audiences": [audience("MANAGEMENT", "PUBLIC_LINK", json!([]))] } });
    let body = app.post(create, public, Some(&token)).await?;
    assert_eq!(
        body["errors"][0]["extensions"]["problems"][0]["field"],
        "audiences[0].channel"
    );

    let input = json!({ "input": { "name": "Term report", "reportId": report,
        "audiences": [
            audience("COORDINATORS", "EMAIL_LINK", json!([])),
            audience("FUNDERS", "EMAIL_LINK", json!([
                { "name": "Regional fund", "email": "grants@fund.example" },
                { "name": "City", "email": "education@city.example" }])),
        ] } });
    let created = app.ok(create, input, Some(&token)).await?;
    let plan = &created["createDisseminationPlan"]["plan"];
    assert_eq!(plan["programmeReport"]["version"], 1);

    let ctx = worker::Context::new(
        &app.env.settings,
        app.state.db.clone(),
        app.state.tokens.clone(),
    )?;
    let early =
        worker::dissemination::disseminate(&ctx, None, send_at - chrono::Duration::minutes(1))
            .await?;
    assert_eq!(early.sent, 0);
    let sent = worker::dissemination::disseminate(&ctx, None, send_at).await?;
    let again =
        worker::dissemination::disseminate(&ctx, None, send_at + chrono::Duration::minutes(5))
            .await?;
    assert_eq!((sent.sent, again.sent), (3, 0));
    // The demo's check-in invitations go to the same server: only the
    // emails with a report link are the plan's.
    let reports: Vec<_> = app
        .mail
        .messages()
        .into_iter()
        .filter(|m| m.body().contains("/reports/shared/"))
        .collect();
    let mut to: Vec<String> = reports
        .iter()
        .flat_map(|m| m.recipients.clone())
        .map(|r| r.trim_matches(['<', '>']).to_owned())
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            api::demo::ADMIN_EMAIL,
            "education@city.example",
            "grants@fund.example"
        ]
    );
    // Each personal link opens the programme report's page.
    for message in &reports {
        let body = message.body();
        let start = body.find("/reports/shared/").expect("a report link");
        let path: String = body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
            .collect();
        let page = app.http().get(format!("{}{path}", app.url)).send().await?;
        assert_eq!(page.status(), reqwest::StatusCode::OK);
        assert!(page.text().await?.contains("Criterion scores out of 100"));
    }
    app.stop().await
}
