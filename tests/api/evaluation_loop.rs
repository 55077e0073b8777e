//! The loop from invitation to report, through the real queue and SMTP.

use chrono::Duration;
use entities::Role;
use serde_json::json;
use tests::TestApp;
use worker::Job;

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

    // The first reminder falls due 72 hours after opening: two emails, not to Ada.
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
            .all(|m| m.header("Subject").unwrap().starts_with("Reminder"))
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
