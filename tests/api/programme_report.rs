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
    // Only those two compare.
    let comparable = &report["data"]["comparable"];
    assert_eq!(
        comparable["criteria"],
        json!(["satisfaction", "participation"])
    );
    assert_eq!(comparable["current"], 80.0);
    assert_eq!(comparable["previous"], 80.0);

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

    // The same tables download as files.
    let id = report["id"].as_str().unwrap();
    let file = |name: &str| format!("{}/exports/programme-reports/{id}/{name}", app.url);
    let scores = app
        .http()
        .get(file("report.csv?table=scores"))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(scores.status(), reqwest::StatusCode::OK);
    assert!(scores.text().await?.contains("course_score"));
    let workbook = app
        .http()
        .get(file("report.xlsx"))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(workbook.status(), reqwest::StatusCode::OK);
    assert!(
        workbook.bytes().await?.starts_with(b"PK"),
        "a zip container"
    );
    let anonymous = app.http().get(file("report.xlsx")).send().await?;
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);

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
    let data = app.ok(REPORT, programme.clone(), Some(&token)).await?;
    let edges = data["programmeReports"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(edges[0]["node"]["version"], 2);
    // Dates outside the calendar a report can reason about, or a period
    // that has not begun, are refused before anything is queued.
    for (from, to) in [
        ("-262143-01-01", "-262143-01-10"),
        ("2300-01-01", "2300-01-02"),
    ] {
        let odd = json!({ "i": { "programmeId": programme["p"], "gridId": grid, "from": from, "to": to } });
        let code = app
            .error_code(
                "mutation($i: GenerateProgrammeReportInput!) { generateProgrammeReport(input: $i) { queued } }",
                odd,
                Some(&token),
            )
            .await?;
        assert_eq!(code, "BAD_USER_INPUT", "{from}");
    }
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
    // Another organisation's programme is not found, as one that does not exist.
    assert_eq!(
        app.error_code(REPORT, programme.clone(), Some(&stranger))
            .await?,
        "NOT_FOUND"
    );

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
    let again = app.ok(REPORT, programme.clone(), Some(&token)).await?;
    let stored = &again["programmeReports"]["edges"][0]["node"]["recommendations"][0];
    assert_eq!(
        stored["text"],
        "Hold a first session with every learner before the month ends."
    );
    // The evidence is the rule's, whatever the wording became.
    assert_eq!(stored["evidence"]["subject"], "sessions");
    // The version's page shows the decision, and drops a rejected one.
    let html = again["programmeReports"]["edges"][0]["node"]["html"]
        .as_str()
        .unwrap();
    assert!(html.contains("Hold a first session with every learner") && html.contains("accepted"));
    let reject = json!({ "i": { "recommendationId": rec, "status": "REJECTED" } });
    app.ok(decide, reject, Some(&token)).await?;
    let after = app.ok(REPORT, programme, Some(&token)).await?;
    let node = &after["programmeReports"]["edges"][0]["node"];
    assert!(
        !node["html"]
            .as_str()
            .unwrap()
            .contains("Hold a first session")
    );
    assert_eq!(node["data"]["recommendations"], json!([]));
    assert_eq!(node["recommendations"][0]["status"], "REJECTED");
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

/// Tutors' and learners' scores on the same scale for the same relations:
/// six relations, each side answering a two-item scale, compared pair by
/// pair as numpy computes it (`r` = 0.6092, see below).
#[tokio::test]
async fn the_two_views_of_each_relation_are_compared_and_hidden_below_the_minimum()
-> anyhow::Result<()> {
    use chrono::{Duration, Utc};
    use entities::{
        Anonymity, Audience, ItemKind, MatchingStatus, PersonKind, RoleKind, analytical_grid,
        answer, campaign, item, matching, person, programme, questionnaire, response, scale,
        tutor_role,
    };
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

    let app = TestApp::spawn().await?;
    let db = &app.state.db;
    let (org, _) = tests::organisation_with_questionnaire(db).await?;
    let now = Utc::now();
    let today = now.date_naive();
    let p = programme::Entity::insert(programme::ActiveModel {
        organisation_id: Set(org),
        name: Set("Pairs".into()),
        description: Set(String::new()),
        starts_on: Set(today - Duration::days(60)),
        ends_on: Set(today + Duration::days(60)),
        goals: Set(json!([])),
        budget: Set(0.0),
        currency: Set("EUR".into()),
        expected_learners: Set(6),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let role = tutor_role::Entity::insert(tutor_role::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(p.id),
        name: Set("Tutor".into()),
        kind: Set(RoleKind::Tutor),
        functions: Set(json!([])),
        hourly_cost: Set(0.0),
        expected_learners: Set(1),
        expected_hours_per_month: Set(1.0),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let someone = |kind: PersonKind, name: String| person::ActiveModel {
        organisation_id: Set(org),
        external_ref: Set(None),
        name: Set(name),
        email: Set(None),
        kind: Set(kind),
        language: Set("en".into()),
        time_zone: Set("UTC".into()),
        created_at: Set(now),
        ..Default::default()
    };
    // Scale scores (mean of two items): tutors first, learners second.
    let pairs = [
        (4.0, 3.5),
        (3.0, 3.0),
        (5.0, 4.0),
        (2.0, 3.5),
        (4.5, 4.5),
        (3.5, 2.0),
    ];
    let mut relations = Vec::new();
    for i in 0..pairs.len() {
        let tutor = person::Entity::insert(someone(PersonKind::Tutor, format!("T{i}")))
            .exec_with_returning(db)
            .await?;
        let learner = person::Entity::insert(someone(PersonKind::Learner, format!("L{i}")))
            .exec_with_returning(db)
            .await?;
        matching::Entity::insert(matching::ActiveModel {
            organisation_id: Set(org),
            programme_id: Set(p.id),
            role_id: Set(role.id),
            learner_id: Set(learner.id),
            tutor_id: Set(tutor.id),
            run_id: Set(None),
            status: Set(MatchingStatus::Active),
            score: Set(1.0),
            breakdown: Set(json!({})),
            decided_by: Set(None),
            reason: Set(String::new()),
            proposed_at: Set(now - Duration::days(20)),
            activated_at: Set(Some(now - Duration::days(20))),
            ended_at: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        relations.push((tutor.id, learner.id));
    }
    // One questionnaire per side with the same scale code, and a campaign
    // of each in the period; each score is given as two equal answers.
    let mut min_group = 5;
    let mut campaigns = Vec::new();
    for (side, audience) in [("tutor", Audience::Tutors), ("learner", Audience::Learners)] {
        let q = questionnaire::Entity::insert(questionnaire::ActiveModel {
            organisation_id: Set(org),
            key: Set(format!("rq-{side}")),
            version: Set(1),
            title: Set(format!("Relationship, {side}")),
            description: Set(String::new()),
            audience: Set(audience),
            locked_at: Set(Some(now)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        let s = scale::Entity::insert(scale::ActiveModel {
            questionnaire_id: Set(q.id),
            code: Set("RQ".into()),
            name: Set("Relationship quality".into()),
            position: Set(0),
            higher_is_better: Set(true),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        let mut items = Vec::new();
        for position in 0..2 {
            items.push(
                item::Entity::insert(item::ActiveModel {
                    questionnaire_id: Set(q.id),
                    scale_id: Set(Some(s.id)),
                    position: Set(position),
                    code: Set(format!("rq{position}")),
                    prompt: Set("How it goes".into()),
                    kind: Set(ItemKind::Likert),
                    points: Set(Some(5)),
                    labels: Set(json!([])),
                    reverse_keyed: Set(false),
                    min_value: Set(None),
                    max_value: Set(None),
                    required: Set(false),
                    ..Default::default()
                })
                .exec_with_returning(db)
                .await?,
            );
        }
        let c = campaign::Entity::insert(campaign::ActiveModel {
            organisation_id: Set(org),
            questionnaire_id: Set(q.id),
            name: Set(format!("Relationship, {side}s")),
            opens_at: Set(now - Duration::days(10)),
            closes_at: Set(now + Duration::days(10)),
            reminder_offsets_hours: Set(json!([])),
            min_group_size: Set(min_group),
            low_score_threshold: Set(0.5),
            launched_at: Set(Some(now - Duration::days(10))),
            anonymity: Set(Anonymity::Confidential),
            programme_id: Set(Some(p.id)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        campaigns.push(c.id);
        for ((tutor, learner), (t, l)) in relations.iter().zip(pairs) {
            let (who, score) = if side == "tutor" {
                (*tutor, t)
            } else {
                (*learner, l)
            };
            let r = response::Entity::insert(response::ActiveModel {
                organisation_id: Set(org),
                campaign_id: Set(c.id),
                invitation_id: Set(None),
                external_ref: Set(None),
                source: Set(entities::ResponseSource::Import),
                attributes: Set(json!({})),
                digest: Set(String::new()),
                person_id: Set(Some(who)),
                submitted_at: Set(now - Duration::days(5)),
                ..Default::default()
            })
            .exec_with_returning(db)
            .await?;
            for i in &items {
                answer::Entity::insert(answer::ActiveModel {
                    response_id: Set(r.id),
                    item_id: Set(i.id),
                    number_value: Set(Some(score)),
                    text_value: Set(None),
                    choices: Set(None),
                    ..Default::default()
                })
                .exec_without_returning(db)
                .await?;
            }
        }
        min_group = 7;
    }
    let definition = json!({ "criteria": [{ "code": "c", "name": "C", "weight": 1,
        "indicators": [{ "code": "rq", "name": "RQ", "source": { "kind": "scale_mean", "scale": "RQ" },
                         "bands": [{ "level": "good", "from": null, "to": null, "score": 80 }] }] }] });
    let grid = analytical_grid::Entity::insert(analytical_grid::ActiveModel {
        organisation_id: Set(org),
        name: Set("RQ".into()),
        description: Set(String::new()),
        definition: Set(definition),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let request = worker::programme_report::Request {
        programme_id: p.id,
        grid_id: grid.id,
        period: worker::programme_report::Period {
            from: today - Duration::days(29),
            to: today,
        },
        requested_by: None,
    };

    // The learners' campaign asks for groups of 7: six pairs are too few.
    let data = worker::programme_report::build(db, &request, 1).await?;
    assert_eq!(data.dyadic.len(), 1);
    assert_eq!(data.dyadic[0].pairs, 6);
    assert!(data.dyadic[0].suppressed);
    assert!(data.dyadic[0].comparison.is_none());

    // With a minimum of 5 everywhere the comparison is given. By hand:
    // tutors' mean 22 / 6, learners' 20.5 / 6, differences
    // [0.5, 0, 1, -1.5, 0, 1.5] with mean 0.25; within one point: 4 of 6;
    // Python's statistics.correlation gives r = 0.44793.
    campaign::Entity::update_many()
        .col_expr(
            campaign::Column::MinGroupSize,
            sea_orm::sea_query::Expr::value(5),
        )
        .filter(campaign::Column::Id.is_in(campaigns))
        .exec(db)
        .await?;
    let data = worker::programme_report::build(db, &request, 1).await?;
    let c = data.dyadic[0]
        .comparison
        .expect("six pairs of five or more");
    assert_eq!(c.n, 6);
    assert!((c.mean_first.unwrap() - 22.0 / 6.0).abs() < 1e-9);
    assert!((c.mean_second.unwrap() - 20.5 / 6.0).abs() < 1e-9);
    assert!((c.mean_difference.unwrap() - 0.25).abs() < 1e-9);
    assert!((c.within_one_point.unwrap() - 4.0 / 6.0).abs() < 1e-9);
    assert!((c.r.unwrap() - 0.44793).abs() < 5e-4, "{:?}", c.r);
    app.stop().await
}
