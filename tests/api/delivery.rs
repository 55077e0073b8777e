//! The suppression list and a campaign's delivery counts, over GraphQL.

use chrono::{Duration, Utc};
use entities::Role;
use serde_json::{Value, json};
use tests::TestApp;
use worker::Job;

use crate::fixtures;

const SUPPRESS: &str = r#"mutation($input: SuppressAddressInput!) {
    suppressAddress(input: $input) { suppression { id address reason detail } }
}"#;

async fn delivery(app: &TestApp, token: &str, campaign: &str) -> anyhow::Result<Value> {
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { delivery { pending sent failed suppressed } } } }",
            json!({ "id": campaign }),
            Some(token),
        )
        .await?;
    Ok(data["node"]["delivery"].clone())
}

#[tokio::test]
async fn a_suppressed_address_gets_no_reminder_and_the_counts_say_so() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, mail) = fixtures::launched(&app, &["en", "fr"]).await?;
    assert_eq!(
        delivery(&app, &coordinator, &campaign).await?,
        json!({ "pending": 0, "sent": 2, "failed": 0, "suppressed": 0 })
    );

    let added = app
        .ok(
            SUPPRESS,
            json!({ "input": { "address": " L1@North.test ", "reason": "OPT_OUT", "detail": "asked by phone" } }),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        added["suppressAddress"]["suppression"]["address"],
        "l1@north.test"
    );
    // Adding it again keeps the first entry.
    let again = app
        .ok(
            SUPPRESS,
            json!({ "input": { "address": "l1@north.test", "reason": "MANUAL" } }),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(again["suppressAddress"]["suppression"]["reason"], "OPT_OUT");

    let due = Utc::now() + Duration::hours(72);
    app.state
        .enqueue(Job::ReminderSweep { at: due })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(app.jobs_done("reminder_sweep", 1).await?, 0);
    let reminders: Vec<_> = app.mail.messages().into_iter().skip(2).collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].recipients, mail[0].recipients);
    assert_eq!(
        delivery(&app, &coordinator, &campaign).await?,
        json!({ "pending": 0, "sent": 3, "failed": 0, "suppressed": 1 })
    );

    // The email log: one entry per email, newest first, filtered by status.
    let log = |status: &str| {
        let query = format!(
            "query($id: ID!) {{ node(id: $id) {{ ... on Campaign {{ emails(first: 10{status}) {{ \
             edges {{ node {{ recipient step status error sentAt }} }} }} }} }} }}"
        );
        let (app, campaign, coordinator) = (&app, campaign.clone(), coordinator.clone());
        async move {
            app.ok(&query, json!({ "id": campaign }), Some(&coordinator))
                .await
        }
    };
    let all = log("").await?;
    let edges = all["node"]["emails"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 4, "{all}");
    assert_eq!(edges[0]["node"]["step"], 1);
    let suppressed = log(", status: SUPPRESSED").await?;
    assert_eq!(
        suppressed["node"]["emails"]["edges"],
        json!([{ "node": { "recipient": "l1@north.test", "step": 1, "status": "SUPPRESSED",
                           "error": "suppressed: opt_out", "sentAt": null } }])
    );
    let observer = app
        .account("north", "obs@north.test", Role::Observer)
        .await?;
    let hidden = app
        .post(
            "query($id: ID!) { node(id: $id) { ... on Campaign { emails { edges { node { recipient } } } } } }",
            json!({ "id": campaign }),
            Some(&observer),
        )
        .await?;
    assert_eq!(
        hidden["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{hidden}"
    );

    let listed = app
        .ok(
            "{ suppressions(first: 10) { edges { node { address reason detail createdAt } } } }",
            json!({}),
            Some(&coordinator),
        )
        .await?;
    let edges = listed["suppressions"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["detail"], "asked by phone");

    let lifted = app
        .ok(
            "mutation { liftSuppression(input: { address: \"l1@NORTH.test\" }) { lifted } }",
            json!({}),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(lifted["liftSuppression"]["lifted"], true);
    let listed = app
        .ok(
            "{ suppressions { edges { node { address } } } }",
            json!({}),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(listed["suppressions"]["edges"], json!([]));
    Ok(())
}

#[tokio::test]
async fn people_invited_to_an_open_campaign_get_their_email_without_waiting_for_a_sweep()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (admin, campaign, first) = fixtures::launched(&app, &["en"]).await?;
    assert_eq!(first.len(), 1);

    // No sweep runs in tests: only the invitation itself can send it.
    let late = json!([{ "name": "Late Learner", "email": "late@north.test", "kind": "LEARNER" }]);
    let created = app
        .ok(
            "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
            json!({ "input": { "people": late } }),
            Some(&admin),
        )
        .await?;
    let late = created["createPeople"]["people"][0]["id"].clone();
    let invited = app
        .ok(
            "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
            json!({ "input": { "campaignId": campaign, "personIds": [late] } }),
            Some(&admin),
        )
        .await?;
    assert_eq!(invited["inviteToCampaign"]["invited"], 1);
    assert_eq!(app.jobs_done("send_invitations", 2).await?, 0);

    let mail = app.mail.messages();
    assert_eq!(mail.len(), 2);
    assert!(
        mail.iter()
            .any(|m| m.recipients.iter().any(|r| r.contains("late@north.test")))
    );
    app.stop().await
}

#[tokio::test]
async fn invitees_without_an_address_are_counted_apart_from_the_emails() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let questionnaire = fixtures::questionnaire(&app, &coordinator).await?;
    let spec = fixtures::CampaignSpec::default();
    let campaign = fixtures::campaign(&app, &coordinator, &questionnaire, spec).await?;
    let people = json!([
        { "name": "With an address", "email": "a@north.test", "kind": "LEARNER" },
        { "name": "Without one", "kind": "LEARNER" },
        { "name": "Nor this one", "kind": "LEARNER" },
    ]);
    fixtures::invite_and_launch(&app, &coordinator, &campaign, people).await?;

    let counts = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { invitationCount delivery { sent pending withoutAddress } } } }",
            json!({ "id": campaign }),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        counts["node"],
        json!({ "invitationCount": 3, "delivery": { "sent": 1, "pending": 0, "withoutAddress": 2 } })
    );
    assert_eq!(app.mail.messages().len(), 1);
    app.stop().await
}

#[tokio::test]
async fn suppressions_are_checked_kept_to_coordinators_and_to_their_organisation()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let observer = app
        .account("north", "obs@north.test", Role::Observer)
        .await?;
    let outsider = app
        .account("south", "coord@south.test", Role::Coordinator)
        .await?;

    for (input, field) in [
        (
            json!({ "address": "not an address", "reason": "MANUAL" }),
            "address",
        ),
        (
            json!({ "address": "a@b.test", "reason": "HARD_BOUNCE" }),
            "reason",
        ),
        (
            json!({ "address": "a..b@b.test", "reason": "MANUAL" }),
            "address",
        ),
        (
            json!({ "address": ".a@b.test", "reason": "MANUAL" }),
            "address",
        ),
    ] {
        let body = app
            .post(SUPPRESS, json!({ "input": input }), Some(&coordinator))
            .await?;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(
            body["errors"][0]["extensions"]["problems"][0]["field"], field,
            "{body}"
        );
    }
    let lift = app
        .post(
            "mutation($a: String!) { liftSuppression(input: { address: $a }) { lifted } }",
            json!({ "a": "a\u{0}@b.test" }),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(lift["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let zone = app
        .post(
            "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
            json!({ "input": { "people": [{ "name": "Sam", "kind": "LEARNER", "timeZone": "europe/paris" }] } }),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        zone["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{zone}"
    );
    let input = json!({ "input": { "address": "a@b.test", "reason": "COMPLAINT" } });
    assert_eq!(
        app.error_code(SUPPRESS, input.clone(), Some(&observer))
            .await?,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(SUPPRESS, input.clone(), None).await?,
        "UNAUTHENTICATED"
    );
    app.ok(SUPPRESS, input, Some(&coordinator)).await?;

    // Another organisation neither sees nor lifts it.
    let theirs = app
        .ok(
            "{ suppressions { edges { node { address } } } }",
            json!({}),
            Some(&outsider),
        )
        .await?;
    assert_eq!(theirs["suppressions"]["edges"], json!([]));
    let lifted = app
        .ok(
            "mutation { liftSuppression(input: { address: \"a@b.test\" }) { lifted } }",
            json!({}),
            Some(&outsider),
        )
        .await?;
    assert_eq!(lifted["liftSuppression"]["lifted"], false);
    let ours = app
        .ok(
            "{ suppressions { edges { node { address reason } } } }",
            json!({}),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        ours["suppressions"]["edges"],
        json!([{ "node": { "address": "a@b.test", "reason": "COMPLAINT" } }])
    );
    Ok(())
}

const CREATE: &str = r#"mutation($input: CreateCampaignInput!) {
    createCampaign(input: $input) { campaign {
        reminderOffsetsHours
        reminderPolicy { sendAt quietHours { from to } targetResponseRate escalateAfterHours }
    } }
}"#;

#[tokio::test]
async fn a_reminder_policy_is_checked_kept_and_read_back() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let questionnaire = fixtures::questionnaire(&app, &coordinator).await?;
    let opens = Utc::now();
    let base = json!({
        "questionnaireId": questionnaire,
        "name": "Weekly",
        "opensAt": opens.to_rfc3339(),
        "closesAt": (opens + Duration::days(20)).to_rfc3339(),
    });
    let with = |extra: Value| {
        let mut input = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };

    let created = app
        .ok(
            CREATE,
            with(json!({
                "reminderEveryDays": 7,
                "maxReminders": 2,
                "reminderPolicy": { "sendAt": "09:30", "quietHours": { "from": "20:00", "to": "08:00" },
                                    "targetResponseRate": 0.8, "escalateAfterHours": 400 }
            })),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        created["createCampaign"]["campaign"],
        json!({
            "reminderOffsetsHours": [168, 336],
            "reminderPolicy": { "sendAt": "09:30", "quietHours": { "from": "20:00", "to": "08:00" },
                                "targetResponseRate": 0.8, "escalateAfterHours": 400 }
        })
    );
    let plain = app.ok(CREATE, with(json!({})), Some(&coordinator)).await?;
    assert_eq!(
        plain["createCampaign"]["campaign"]["reminderPolicy"],
        json!({ "sendAt": null, "quietHours": null, "targetResponseRate": null,
                "escalateAfterHours": null })
    );

    for (extra, field) in [
        (
            json!({ "reminderPolicy": { "sendAt": "9h" } }),
            "reminderPolicy.sendAt",
        ),
        (
            json!({ "reminderPolicy": { "sendAt": "9:5" } }),
            "reminderPolicy.sendAt",
        ),
        (
            json!({ "name": "Spring\r\nBcc: someone@elsewhere.test" }),
            "name",
        ),
        (json!({ "name": "x".repeat(201) }), "name"),
        (
            json!({ "reminderPolicy": { "quietHours": { "from": "22:00", "to": "25:00" } } }),
            "reminderPolicy.quietHours.to",
        ),
        (
            json!({ "reminderPolicy": { "quietHours": { "from": "22:00", "to": "22:00" } } }),
            "reminderPolicy.quietHours",
        ),
        (
            json!({ "reminderPolicy": { "targetResponseRate": 1.5 } }),
            "reminderPolicy.targetResponseRate",
        ),
        (
            json!({ "reminderPolicy": { "sendAt": "21:00",
                                        "quietHours": { "from": "20:00", "to": "08:00" } } }),
            "reminderPolicy.sendAt",
        ),
        (json!({ "reminderEveryDays": 7 }), "maxReminders"),
        // Escalation comes after the last reminder (hour 336) and before closing.
        (
            json!({ "reminderEveryDays": 7, "maxReminders": 2,
                    "reminderPolicy": { "escalateAfterHours": 300 } }),
            "reminderPolicy.escalateAfterHours",
        ),
        (
            json!({ "reminderPolicy": { "escalateAfterHours": 480 } }),
            "reminderPolicy.escalateAfterHours",
        ),
        (
            json!({ "reminderPolicy": { "escalateAfterHours": 0 } }),
            "reminderPolicy.escalateAfterHours",
        ),
        (
            json!({ "reminderEveryDays": 7, "maxReminders": 2, "reminderOffsetsHours": [24] }),
            "reminderOffsetsHours",
        ),
        // The third weekly reminder would fall after closing, on day 21.
        (
            json!({ "reminderEveryDays": 7, "maxReminders": 3 }),
            "maxReminders",
        ),
    ] {
        let body = app
            .post(CREATE, with(extra.clone()), Some(&coordinator))
            .await?;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{extra}: {body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["problems"][0]["field"], field,
            "{extra}: {body}"
        );
    }
    // Problems of the campaign and of its policy come together.
    let body = app
        .post(
            CREATE,
            with(json!({ "name": "", "reminderPolicy": { "sendAt": "99:99" } })),
            Some(&coordinator),
        )
        .await?;
    let fields: Vec<&str> = body["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(fields, ["reminderPolicy.sendAt", "name"], "{body}");
    Ok(())
}

#[tokio::test]
async fn a_campaigns_invitations_list_their_people_page_by_page() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, _) = fixtures::launched(&app, &["en", "fr", "en"]).await?;
    let query = "query($id: ID!, $after: String) { node(id: $id) { ... on Campaign {
        invitations(first: 2, after: $after) {
            edges { cursor node { respondedAt optedOut person { name email language } } }
            pageInfo { hasNextPage }
        } } } }";
    let first = app
        .ok(query, json!({ "id": campaign }), Some(&coordinator))
        .await?;
    let page = &first["node"]["invitations"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let mut people: Vec<Value> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["person"].clone())
        .collect();
    assert_eq!(people.len(), 2);
    assert_eq!(page["edges"][0]["node"]["respondedAt"], Value::Null);
    assert_eq!(page["edges"][0]["node"]["optedOut"], false);
    let cursor = page["edges"][1]["cursor"].clone();
    let second = app
        .ok(
            query,
            json!({ "id": campaign, "after": cursor }),
            Some(&coordinator),
        )
        .await?;
    let page = &second["node"]["invitations"];
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    people.extend(
        page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["person"].clone()),
    );
    // Each learner once over the two pages, with their own details.
    people.sort_by_key(|p| p["email"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        people,
        [
            json!({ "name": "Learner 0", "email": "l0@north.test", "language": "en" }),
            json!({ "name": "Learner 1", "email": "l1@north.test", "language": "fr" }),
            json!({ "name": "Learner 2", "email": "l2@north.test", "language": "en" }),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_campaign_closed_early_sends_no_more_reminders_and_takes_no_more_answers()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, mail) = fixtures::launched(&app, &["en", "fr"]).await?;
    const CLOSE: &str = "mutation($id: ID!) { closeCampaign(input: { campaignId: $id }) { campaign { status closesAt } } }";

    let observer = app
        .account("north", "obs@north.test", Role::Observer)
        .await?;
    let code = app
        .error_code(CLOSE, json!({ "id": campaign }), Some(&observer))
        .await?;
    assert_eq!(code, "FORBIDDEN");

    let closed = app
        .ok(CLOSE, json!({ "id": campaign }), Some(&coordinator))
        .await?;
    assert_eq!(closed["closeCampaign"]["campaign"]["status"], "CLOSED");
    let closes_at = closed["closeCampaign"]["campaign"]["closesAt"].clone();
    // Closing again changes nothing.
    let again = app
        .ok(CLOSE, json!({ "id": campaign }), Some(&coordinator))
        .await?;
    assert_eq!(again["closeCampaign"]["campaign"]["closesAt"], closes_at);

    // The reminder falls due, but the campaign is closed.
    let due = Utc::now() + Duration::hours(72);
    app.state
        .enqueue(Job::ReminderSweep { at: due })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(app.jobs_done("reminder_sweep", 1).await?, 0);
    assert_eq!(app.mail.messages().len(), mail.len());
    // The figures were brought up to date at closing.
    assert_eq!(app.jobs_done("aggregate_campaign", 1).await?, 0);

    // The invitation link no longer takes answers.
    let token = mail[0].token().expect("a link");
    let refused = app
        .post(
            "mutation($t: String!) { submitResponse(input: { token: $t, answers: [] }) { accepted } }",
            json!({ "t": token }),
            None,
        )
        .await?;
    assert!(
        refused["errors"][0]["extensions"]["code"].is_string(),
        "{refused}"
    );
    assert_ne!(refused["data"]["submitResponse"]["accepted"], true);
    app.stop().await
}
