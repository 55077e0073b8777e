//! Interviews: coded answers recorded by an interviewer enter a campaign's
//! figures, their notes do not, and the campaign sends no email.

use chrono::Duration;
use entities::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::TestApp;
use worker::Job;
use worker::results::{CampaignResults, ResultsInput, compute_results, first_difference};

use crate::fixtures::{self, CampaignSpec};
use crate::templates::FROM_TEMPLATE;

const RECORD: &str = r#"mutation($input: RecordInterviewInput!) {
    recordInterview(input: $input) { interview {
        id interviewer notes interviewee { name } answers { item number text } } } }"#;

const EDIT: &str = r#"mutation($input: EditInterviewInput!) {
    editInterview(input: $input) { interview { id notes answers { item number } } } }"#;

const FIGURES: &str = r#"query($id: ID!) { node(id: $id) { ... on Campaign { results {
    responses responseRate
    items { code n mean distribution { value count } }
    scales { code n mean reversedItemCodes } } } } }"#;

/// Answers to the relationship guide's seven items, then a comment.
fn answers(rq: [i32; 7], comment: &str) -> Value {
    let mut answers: Vec<Value> = rq
        .iter()
        .enumerate()
        .map(|(i, v)| json!({ "item": format!("rq{}", i + 1), "number": v }))
        .collect();
    answers.push(json!({ "item": "comment", "text": comment }));
    json!(answers)
}

/// An open, launched campaign of the learners' relationship guide.
async fn guide_campaign(app: &TestApp, coordinator: &str) -> anyhow::Result<String> {
    let guide = app
        .ok(
            FROM_TEMPLATE,
            json!({ "input": { "key": "relationship-learner", "mode": "INTERVIEW_GUIDE" } }),
            Some(coordinator),
        )
        .await?["createQuestionnaireFromTemplate"]["questionnaire"]["id"]
        .clone();
    let spec = CampaignSpec {
        min_group_size: 1,
        ..CampaignSpec::default()
    };
    let campaign = fixtures::campaign(app, coordinator, guide.as_str().unwrap_or(""), spec).await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(coordinator),
    )
    .await?;
    Ok(campaign)
}

fn record(campaign: &str, person: &str, answers: Value, notes: &str) -> Value {
    json!({ "input": { "campaignId": campaign, "intervieweeId": person,
                       "answers": answers, "notes": notes } })
}

fn close_to(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

async fn campaign_id(campaign: &str) -> anyhow::Result<i64> {
    api::ids::decode(&api::ids::ID(campaign.to_owned()), "Campaign")
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// The figures a full pass over every stored answer gives.
async fn full_pass(app: &TestApp, id: i64) -> anyhow::Result<CampaignResults> {
    let db = &app.state.db;
    let c = entities::campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .unwrap();
    let (items, scales) = worker::jobs::load_definition(db, c.questionnaire_id).await?;
    let rows = worker::jobs::load_responses(db, id).await?;
    let input = ResultsInput {
        items: &items,
        scales: &scales,
        responses: &rows,
        invited: 2,
        responded_invitations: 2,
        min_group_size: 1,
    };
    Ok(compute_results(&input, chrono::Utc::now()))
}

async fn stored(app: &TestApp, id: i64) -> anyhow::Result<(String, CampaignResults)> {
    let row = entities::campaign_result::Entity::find()
        .filter(entities::campaign_result::Column::CampaignId.eq(id))
        .one(&app.state.db)
        .await?
        .unwrap();
    Ok((row.data.to_string(), serde_json::from_value(row.data)?))
}

#[tokio::test]
async fn an_interview_enters_the_figures_and_its_notes_stay_with_coordinators_and_the_interviewer()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("west", "c@west.test", Role::Coordinator)
        .await?;
    let tutor = app.account("west", "t@west.test", Role::Tutor).await?;
    let campaign = guide_campaign(&app, &coordinator).await?;
    let people = fixtures::learners(&app, &coordinator, &["ada@west.test", "bo@west.test"]).await?;
    let secret = "Mentions trouble at home; follow up privately.";

    // The coordinator interviews Ada, who joins the audience; the tutor
    // may interview Bo only once a coordinator has added him.
    let ada = app
        .ok(
            RECORD,
            record(
                &campaign,
                &people[0],
                answers([5, 4, 4, 2, 5, 1, 4], "Fine"),
                secret,
            ),
            Some(&coordinator),
        )
        .await?;
    let bo_answers = answers([3, 3, 4, 4, 3, 2, 3], "");
    let outside = app
        .error_code(
            RECORD,
            record(&campaign, &people[1], bo_answers.clone(), "Quiet"),
            Some(&tutor),
        )
        .await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": campaign, "personIds": [people[1]] } }),
        Some(&coordinator),
    )
    .await?;
    let bo = app
        .ok(
            RECORD,
            record(&campaign, &people[1], bo_answers, "Quiet"),
            Some(&tutor),
        )
        .await?;
    assert_eq!(app.jobs_done("aggregate_campaign", 2).await?, 0);

    assert_eq!(outside, "FORBIDDEN");
    let ada = &ada["recordInterview"]["interview"];
    assert_eq!(ada["notes"], secret);
    assert_eq!(ada["interviewer"], "c@west.test");
    assert_eq!(ada["interviewee"]["name"], "Learner ada@west.test");
    assert_eq!(
        ada["answers"][0],
        json!({ "item": "rq1", "number": 5.0, "text": null })
    );
    assert_eq!(bo["recordInterview"]["interview"]["notes"], "Quiet");

    // rq1: (5 + 3) / 2. RQ reverses rq4 and rq6 on five points: Ada
    // 5+4+4+4+5+5+4 = 31, Bo 3+3+4+2+3+4+3 = 22, so (31/7 + 22/7) / 2.
    let data = app
        .ok(FIGURES, json!({ "id": campaign }), Some(&coordinator))
        .await?;
    let results = &data["node"]["results"];
    assert_eq!(results["responses"], 2);
    assert_eq!(results["responseRate"], 1.0);
    let rq1 = &results["items"][0];
    assert_eq!(
        (rq1["code"].clone(), rq1["n"].clone()),
        (json!("rq1"), json!(2))
    );
    assert!(close_to(&rq1["mean"], 4.0), "{rq1}");
    let scale = &results["scales"][0];
    assert_eq!(scale["reversedItemCodes"], json!(["rq4", "rq6"]));
    assert_eq!(scale["n"], 2);
    assert!(close_to(&scale["mean"], 53.0 / 14.0), "{scale}");

    // Notes are nowhere in the figures, which a full pass over the answers
    // gives again, and which folding everything afresh does not change.
    let id = campaign_id(&campaign).await?;
    let (text, figures) = stored(&app, id).await?;
    assert!(!text.contains("trouble at home") && !text.contains("Quiet"));
    assert!(!data.to_string().contains("trouble at home"));
    assert_eq!(
        first_difference(&figures, &full_pass(&app, id).await?),
        None
    );
    let rebuilt = worker::jobs::rebuild(&app.state.db, id).await?;
    assert_eq!(first_difference(&rebuilt, &figures), None);

    // Coordinators list the interviews with their notes; the tutor may not,
    // nor edit the coordinator's interview.
    let listed = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { interviews(first: 10) { edges { node { notes interviewee { name } } } } } } }",
            json!({ "id": campaign }),
            Some(&coordinator),
        )
        .await?;
    let edges = &listed["node"]["interviews"]["edges"];
    assert_eq!(edges[0]["node"]["notes"], secret);
    assert_eq!(edges[1]["node"]["notes"], "Quiet");
    let ada_id = ada["id"].clone();
    let edit = |rq1: i32, notes: &str| {
        json!({ "input": { "interviewId": ada_id, "notes": notes,
                           "answers": answers([rq1, 4, 4, 2, 5, 1, 4], "Fine") } })
    };
    assert_eq!(
        app.error_code(EDIT, edit(1, "mine now"), Some(&tutor))
            .await?,
        "FORBIDDEN"
    );

    // Through node(id:), the tutor reads the interview they recorded, with
    // its notes, and not the coordinator's.
    let read = "query($id: ID!) { node(id: $id) { ... on Interview { notes } } }";
    let own = bo["recordInterview"]["interview"]["id"].clone();
    let mine = app.ok(read, json!({ "id": own }), Some(&tutor)).await?;
    let theirs = app.ok(read, json!({ "id": ada_id }), Some(&tutor)).await?;
    assert_eq!(mine["node"]["notes"], "Quiet");
    assert_eq!(theirs["node"], Value::Null);

    // A second interview of Ada is refused; the coordinator edits the first,
    // and the figures follow: rq1 (3 + 3) / 2.
    let again = app
        .error_code(
            RECORD,
            record(
                &campaign,
                &people[0],
                answers([1, 1, 1, 1, 1, 1, 1], ""),
                "",
            ),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(again, "CONFLICT");
    let edited = app
        .ok(EDIT, edit(3, "Followed up."), Some(&coordinator))
        .await?;
    assert_eq!(
        edited["editInterview"]["interview"]["notes"],
        "Followed up."
    );
    assert_eq!(app.jobs_done("aggregate_campaign", 3).await?, 0);
    let data = app
        .ok(FIGURES, json!({ "id": campaign }), Some(&coordinator))
        .await?;
    let rq1 = &data["node"]["results"]["items"][0];
    assert_eq!(rq1["n"], 2);
    assert!(close_to(&rq1["mean"], 3.0), "{rq1}");
    let (_, figures) = stored(&app, id).await?;
    assert_eq!(
        first_difference(&figures, &full_pass(&app, id).await?),
        None
    );
    app.stop().await
}

#[tokio::test]
async fn bad_interviews_get_their_codes() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("west", "c@west.test", Role::Coordinator)
        .await?;
    let learner = app.account("west", "l@west.test", Role::Learner).await?;
    let elsewhere = app
        .account("east", "c@east.test", Role::Coordinator)
        .await?;
    let campaign = guide_campaign(&app, &coordinator).await?;
    let people = fixtures::learners(&app, &coordinator, &["ada@west.test"]).await?;
    let stranger = fixtures::learners(&app, &elsewhere, &["eve@east.test"]).await?;
    let tutor = app
        .ok(
            "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
            json!({ "input": { "people": [{ "name": "Tim", "kind": "TUTOR" }] } }),
            Some(&coordinator),
        )
        .await?["createPeople"]["people"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let questionnaire = fixtures::questionnaire(&app, &coordinator).await?;
    let survey =
        fixtures::campaign(&app, &coordinator, &questionnaire, CampaignSpec::default()).await?;
    let good = || answers([5, 4, 4, 2, 5, 1, 4], "");
    let code = |input: Value, token: &str| {
        let (app, token) = (&app, token.to_owned());
        async move { app.error_code(RECORD, input, Some(&token)).await }
    };

    let out_of_range = app
        .post(
            RECORD,
            record(
                &campaign,
                &people[0],
                answers([6, 4, 4, 2, 5, 1, 4], ""),
                "",
            ),
            Some(&coordinator),
        )
        .await?;
    let stranger = code(record(&campaign, &stranger[0], good(), ""), &coordinator).await?;
    let other_tenant = code(record(&campaign, &people[0], good(), ""), &elsewhere).await?;
    let wrong_kind = code(record(&campaign, &tutor, good(), ""), &coordinator).await?;
    let not_a_guide = code(record(&survey, &people[0], good(), ""), &coordinator).await?;
    let by_learner = code(record(&campaign, &people[0], good(), ""), &learner).await?;

    assert_eq!(
        out_of_range["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        out_of_range["errors"][0]["extensions"]["problems"][0]["field"],
        "rq1"
    );
    assert_eq!(stranger, "NOT_FOUND");
    assert_eq!(other_tenant, "NOT_FOUND");
    assert_eq!(wrong_kind, "BAD_USER_INPUT");
    assert_eq!(not_a_guide, "BAD_USER_INPUT");
    assert_eq!(by_learner, "FORBIDDEN");
    // Nothing was stored, nor anyone added to the audience.
    let counts = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { responseCount invitationCount } } }",
            json!({ "id": campaign }),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        counts["node"],
        json!({ "responseCount": 0, "invitationCount": 0 })
    );
    app.stop().await
}

#[tokio::test]
async fn an_interview_campaign_sends_no_invitation_reminder_or_escalation() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("west", "c@west.test", Role::Coordinator)
        .await?;
    let guide = guide_campaign(&app, &coordinator).await?;
    let people = fixtures::learners(&app, &coordinator, &["ada@west.test", "bo@west.test"]).await?;
    let invite =
        |campaign: &str| json!({ "input": { "campaignId": campaign, "personIds": people } });
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        invite(&guide),
        Some(&coordinator),
    )
    .await?;
    app.ok(
        RECORD,
        record(&guide, &people[0], answers([5, 4, 4, 2, 5, 1, 4], ""), ""),
        Some(&coordinator),
    )
    .await?;

    // Launched before its invitees were added, then swept past its reminder.
    let due = chrono::Utc::now() + Duration::hours(73);
    app.state
        .enqueue(Job::SendInvitations {
            campaign_id: campaign_id(&guide).await?,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    app.state
        .enqueue(Job::ReminderSweep { at: due })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // Three sends: at its launch, at the invitation (it is open), and this one.
    assert_eq!(app.jobs_done("send_invitations", 3).await?, 0);
    assert_eq!(app.jobs_done("reminder_sweep", 1).await?, 0);

    assert!(app.mail.messages().is_empty());
    let delivery = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { delivery { pending sent failed suppressed } } } }",
            json!({ "id": guide }),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        delivery["node"]["delivery"],
        json!({ "pending": 0, "sent": 0, "failed": 0, "suppressed": 0 })
    );

    // Nor does the interviewee answer for themselves through their link.
    let bo = entities::invitation::Entity::find()
        .filter(entities::invitation::Column::CampaignId.eq(campaign_id(&guide).await?))
        .filter(entities::invitation::Column::RespondedAt.is_null())
        .one(&app.state.db)
        .await?
        .unwrap();
    let token = app.state.tokens.token(&bo.token_nonce);
    let answered =
        json!({ "input": { "token": token, "answers": [{ "item": "rq1", "number": 4 }] } });
    assert_eq!(
        app.error_code(fixtures::SUBMIT, answered, None).await?,
        "CONFLICT"
    );

    // The same people in a questionnaire's campaign do get their invitations.
    let questionnaire = fixtures::questionnaire(&app, &coordinator).await?;
    let survey =
        fixtures::campaign(&app, &coordinator, &questionnaire, CampaignSpec::default()).await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        invite(&survey),
        Some(&coordinator),
    )
    .await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": survey } }),
        Some(&coordinator),
    )
    .await?;
    assert_eq!(app.jobs_done("send_invitations", 4).await?, 0);
    assert_eq!(app.mail.messages().len(), 2);
    app.stop().await
}
