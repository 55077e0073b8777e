//! The loop from invitation to report, through the real queue and SMTP.

use chrono::Duration;
use entities::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use tests::TestApp;
use worker::Job;
use worker::results::{CampaignResults, ResultsInput, compute_results, first_difference};

use crate::fixtures::{self, CampaignSpec, SUBMIT};

#[tokio::test]
async fn reminders_reach_each_non_respondent_once_and_the_link_answers_once() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let admin = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let spec = CampaignSpec::default();
    let opens_at = spec.opens_at;
    let campaign = fixtures::campaign(&app, &admin, &questionnaire, spec).await?;
    let people = fixtures::learners(
        &app,
        &admin,
        &["ada@north.test", "bo@north.test", "cy@north.test"],
    )
    .await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": campaign, "personIds": people } }),
        Some(&admin),
    )
    .await?;

    // Launching sends the three invitations.
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { status } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    assert_eq!(app.jobs_done("send_invitations", 1).await?, 0);
    let invitations = app.mail.messages();
    assert_eq!(invitations.len(), 3, "one invitation each");

    // Ada answers through the link in her invitation.
    let ada = invitations
        .iter()
        .find(|m| m.recipients.iter().any(|r| r.contains("ada@")))
        .unwrap();
    let submitted = app
        .ok(SUBMIT, json!({ "input": { "token": ada.token().unwrap(), "answers": fixtures::answers(4.0) } }), None)
        .await?;
    assert_eq!(submitted["submitResponse"]["alreadySubmitted"], false);

    // The only reminder, so the last, falls due 72 hours after opening: two
    // emails, not to Ada.
    let due = opens_at + Duration::hours(73);
    app.state
        .enqueue(Job::ReminderSweep { at: due })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(app.jobs_done("reminder_sweep", 1).await?, 0);
    let reminders: Vec<_> = app.mail.messages().into_iter().skip(3).collect();
    assert_eq!(reminders.len(), 2);
    assert!(
        reminders
            .iter()
            .all(|m| !m.recipients.iter().any(|r| r.contains("ada@")))
    );
    assert!(
        reminders
            .iter()
            .all(|m| m.header("Subject").unwrap().starts_with("Last reminder: "))
    );

    // A second sweep of the same step sends nothing.
    app.state
        .enqueue(Job::ReminderSweep { at: due })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(app.jobs_done("reminder_sweep", 2).await?, 0);
    assert_eq!(app.mail.messages().len(), 5);

    // The reminder's link answers once; the same answers again change nothing;
    // other answers through a used link are refused.
    let token = reminders[0].token().unwrap();
    let input = |s1: f64| json!({ "input": { "token": token, "answers": fixtures::answers(s1) } });
    let first = app.ok(SUBMIT, input(5.0), None).await?;
    let again = app.ok(SUBMIT, input(5.0), None).await?;
    let other = app.error_code(SUBMIT, input(1.0), None).await?;
    assert_eq!(first["submitResponse"]["alreadySubmitted"], false);
    assert_eq!(again["submitResponse"]["alreadySubmitted"], true);
    assert_eq!(other, "CONFLICT");

    let counts = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { responseCount invitationCount responseRate } } }",
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    assert_eq!(counts["node"]["responseCount"], 2);
    assert_eq!(counts["node"]["invitationCount"], 3);
    app.stop().await
}

#[tokio::test]
async fn a_report_aggregates_submitted_answers_with_reverse_keys_and_suppression()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("south", "coord@south.test", Role::Admin)
        .await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let spec = CampaignSpec {
        min_group_size: 2,
        ..CampaignSpec::default()
    };
    let campaign = fixtures::campaign(&app, &admin, &questionnaire, spec).await?;
    let people = fixtures::learners(&app, &admin, &["a@south.test", "b@south.test"]).await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": campaign, "personIds": people } }),
        Some(&admin),
    )
    .await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    app.jobs_done("send_invitations", 1).await?;
    let report =
        "mutation($input: CampaignInput!) { generateReport(input: $input) { campaign { id } } }";
    let results = "query($id: ID!) { node(id: $id) { ... on Campaign { results { suppressed responses items { code n mean } } } } }";
    for (i, (message, s1)) in app.mail.messages().iter().zip([5.0, 3.0]).enumerate() {
        let input = json!({ "input": { "token": message.token().unwrap(), "answers": fixtures::answers(s1) } });
        app.ok(SUBMIT, input, None).await?;
        app.ok(
            report,
            json!({ "input": { "campaignId": campaign } }),
            Some(&admin),
        )
        .await?;
        assert_eq!(app.jobs_done("generate_report", i as u64 + 1).await?, 0);
        if i == 0 {
            // One response of a minimum of two: its answers must not show.
            let alone = app
                .ok(results, json!({ "id": campaign }), Some(&admin))
                .await?;
            let alone = &alone["node"]["results"];
            assert_eq!(
                (alone["suppressed"].clone(), alone["responses"].clone()),
                (json!(true), json!(1))
            );
            assert!(
                alone["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|i| i["mean"].is_null() && i["n"] == 1)
            );
        }
    }
    let data = app
        .ok(
            r#"query($id: ID!) { node(id: $id) { ... on Campaign { reports(first: 1) { edges { node {
                version html
                results { responseRate
                  scales { code n mean alpha reversedItemCodes }
                  items { code n missing mean nps distribution { value count } } } } } } } } }"#,
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    let report = &data["node"]["reports"]["edges"][0]["node"];
    let results = &report["results"];

    // s2 = 2 reversed on 5 points is 4: scores (5+4)/2 = 4.5 and (3+4)/2 = 3.5.
    assert_eq!(results["scales"][0]["mean"], 4.0);
    assert_eq!(results["scales"][0]["reversedItemCodes"], json!(["s2"]));
    assert_eq!(results["responseRate"], 1.0);
    let item = |code: &str| {
        results["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(item("s1")["mean"], 4.0);
    assert_eq!(item("nps")["nps"], 100.0);
    assert_eq!(
        item("topics")["distribution"],
        json!([
            { "value": "method", "count": 2 }, { "value": "maths", "count": 2 }, { "value": "wellbeing", "count": 0 }
        ])
    );
    let html = report["html"].as_str().unwrap();
    assert!(html.contains("<svg") && html.contains("Autumn check-in"));
    assert!(
        !html.contains("<b>thanks</b>"),
        "free text never reaches the report unescaped"
    );
    app.stop().await
}

#[tokio::test]
async fn each_submission_updates_the_figures_and_a_rebuild_gives_the_same() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("east", "coord@east.test", Role::Coordinator)
        .await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let spec = CampaignSpec {
        min_group_size: 2,
        ..CampaignSpec::default()
    };
    let campaign = fixtures::campaign(&app, &admin, &questionnaire, spec).await?;
    let emails = [
        "a@east.test",
        "b@east.test",
        "c@east.test",
        "d@east.test",
        "e@east.test",
    ];
    let people = fixtures::learners(&app, &admin, &emails).await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": campaign, "personIds": people } }),
        Some(&admin),
    )
    .await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    app.jobs_done("send_invitations", 1).await?;

    let figures = r#"query($id: ID!) { node(id: $id) { ... on Campaign { results {
        responses suppressed responseRate
        items { code n missing mean sd min q1 median q3 max nps distribution { value label count } }
        scales { code n mean sd alpha }
        breakdowns { attribute groups { value n suppressed scaleMeans { code n mean } } } } } } }"#;
    let s1 = [5.0, 2.0, 4.0, 1.0, 4.0];
    let hours = [2.5, 10.0, 0.0, 7.25, 3.0];
    let nps = [10, 3, 8, 9, 6];
    let mut latest = json!(null);
    for (i, message) in app.mail.messages().iter().enumerate() {
        // Each response differs; the third skips the optional items.
        let mut answers = vec![
            json!({ "item": "s1", "number": s1[i] }),
            json!({ "item": "nps", "number": nps[i] }),
            json!({ "item": "hours", "number": hours[i] }),
        ];
        if i != 2 {
            answers.push(json!({ "item": "s2", "number": 1 + i }));
            let mode = ["video", "in person"][i % 2];
            let topics = [&["maths"][..], &["method", "wellbeing"][..]][i % 2];
            answers.push(json!({ "item": "mode", "text": mode }));
            answers.push(json!({ "item": "topics", "choices": topics }));
        }
        let input = json!({ "input": { "token": message.token().unwrap(), "answers": answers } });
        app.ok(SUBMIT, input, None).await?;
        assert_eq!(app.jobs_done("aggregate_campaign", i as u64 + 1).await?, 0);

        let data = app
            .ok(figures, json!({ "id": campaign }), Some(&admin))
            .await?;
        latest = data["node"]["results"].clone();
        let n = i + 1;
        assert_eq!(latest["responses"], n, "{}", app.env.backend());
        assert_eq!(latest["suppressed"], n < 2);
        let item = |code: &str| {
            latest["items"]
                .as_array()
                .and_then(|items| items.iter().find(|i| i["code"] == code))
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(item("s1")["n"], n);
        assert_eq!(item("s2")["missing"], usize::from(n >= 3));
        if n >= 2 {
            let mean = s1[..n].iter().sum::<f64>() / n as f64;
            assert_eq!(item("s1")["mean"], mean);
        }
    }
    // 5, 2, 4, 1, 4: type 7 quartiles 2 and 4, median 4; NPS: promoters
    // 10 and 9, detractors 3 and 6 → 0.
    let s1_figures = &latest["items"][0];
    assert_eq!(
        (
            s1_figures["q1"].clone(),
            s1_figures["median"].clone(),
            s1_figures["q3"].clone()
        ),
        (json!(2.0), json!(4.0), json!(4.0))
    );
    assert_eq!(latest["items"][5]["nps"], 0.0);
    assert_eq!(latest["responseRate"], 1.0);

    // The stored figures are those of a full pass over every answer, and
    // throwing the running totals away to fold everything again changes
    // nothing that is served.
    let id = api::ids::decode(&api::ids::ID(campaign.clone()), "Campaign")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let db = &app.state.db;
    let stored = entities::campaign_result::Entity::find()
        .filter(entities::campaign_result::Column::CampaignId.eq(id))
        .one(db)
        .await?
        .unwrap();
    let stored: CampaignResults = serde_json::from_value(stored.data)?;
    let c = entities::campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .unwrap();
    let (items, scales) = worker::jobs::load_definition(db, c.questionnaire_id).await?;
    let rows = worker::jobs::load_responses(db, id).await?;
    let full = compute_results(
        &ResultsInput {
            items: &items,
            scales: &scales,
            responses: &rows,
            invited: 5,
            responded_invitations: 5,
            min_group_size: 2,
        },
        chrono::Utc::now(),
    );
    assert_eq!(first_difference(&stored, &full), None);
    // Every response went into the running totals, once.
    let totals = entities::campaign_accumulator::Entity::find()
        .filter(entities::campaign_accumulator::Column::CampaignId.eq(id))
        .one(db)
        .await?
        .unwrap();
    let unfolded = entities::response::Entity::find()
        .filter(entities::response::Column::CampaignId.eq(id))
        .filter(entities::response::Column::Folded.eq(false))
        .count(db)
        .await?;
    assert_eq!((totals.responses, unfolded), (5, 0));
    let rebuilt = worker::jobs::rebuild(db, id).await?;
    assert_eq!(first_difference(&rebuilt, &stored), None);
    let served = app
        .ok(figures, json!({ "id": campaign }), Some(&admin))
        .await?;
    assert_eq!(served["node"]["results"], latest);
    app.stop().await
}
