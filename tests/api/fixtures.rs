//! Builders for the objects most tests need.

use chrono::{DateTime, Duration, Utc};
use entities::Role;
use serde_json::{Value, json};
use tests::TestApp;

/// A questionnaire with one item of every kind; `s1` and `s2` form scale `S`.
pub async fn questionnaire(app: &TestApp, token: &str) -> anyhow::Result<String> {
    let data = app
        .ok(
            r#"mutation($input: CreateQuestionnaireInput!) {
                createQuestionnaire(input: $input) { questionnaire { id version locked } }
            }"#,
            json!({ "input": {
                "key": "check-in",
                "title": "Check-in",
                "audience": "LEARNERS",
                "scales": [{ "code": "S", "name": "Support" }],
                "items": [
                    { "code": "s1", "prompt": "My tutor helps me", "kind": "LIKERT", "points": 5, "scale": "S" },
                    { "code": "s2", "prompt": "I feel left alone", "kind": "LIKERT", "points": 5, "scale": "S", "reverseKeyed": true },
                    { "code": "mode", "prompt": "Preferred mode", "kind": "SINGLE_CHOICE", "labels": ["in person", "video"] },
                    { "code": "topics", "prompt": "Topics", "kind": "MULTIPLE_CHOICE", "labels": ["method", "maths", "wellbeing"] },
                    { "code": "hours", "prompt": "Hours per week", "kind": "NUMBER", "min": 0, "max": 40 },
                    { "code": "nps", "prompt": "Would you recommend", "kind": "NPS" },
                    { "code": "comment", "prompt": "Anything else", "kind": "FREE_TEXT" }
                ]
            }}),
            Some(token),
        )
        .await?;
    Ok(data["createQuestionnaire"]["questionnaire"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

pub struct CampaignSpec {
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub offsets: Vec<i64>,
    pub min_group_size: i32,
    /// `IDENTIFIED`, `CONFIDENTIAL` or `ANONYMOUS`.
    pub anonymity: &'static str,
}

impl Default for CampaignSpec {
    fn default() -> Self {
        let now = Utc::now();
        Self {
            opens_at: now - Duration::hours(1),
            closes_at: now + Duration::days(10),
            offsets: vec![72],
            min_group_size: 3,
            anonymity: "CONFIDENTIAL",
        }
    }
}

pub async fn campaign(
    app: &TestApp,
    token: &str,
    questionnaire: &str,
    spec: CampaignSpec,
) -> anyhow::Result<String> {
    let data = app
        .ok(
            r#"mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id status } } }"#,
            json!({ "input": {
                "questionnaireId": questionnaire,
                "name": "Autumn check-in",
                "opensAt": spec.opens_at.to_rfc3339(),
                "closesAt": spec.closes_at.to_rfc3339(),
                "reminderOffsetsHours": spec.offsets,
                "minGroupSize": spec.min_group_size,
                "anonymity": spec.anonymity,
            }}),
            Some(token),
        )
        .await?;
    Ok(data["createCampaign"]["campaign"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Creates learners with the given addresses; returns their ids.
pub async fn learners(app: &TestApp, token: &str, emails: &[&str]) -> anyhow::Result<Vec<String>> {
    let people: Vec<Value> = emails
        .iter()
        .map(|e| json!({ "name": format!("Learner {e}"), "email": e, "kind": "LEARNER" }))
        .collect();
    let data = app
        .ok(
            "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
            json!({ "input": { "people": people } }),
            Some(token),
        )
        .await?;
    Ok(data["createPeople"]["people"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

pub const SUBMIT: &str = r#"mutation($input: SubmitResponseInput!) {
    submitResponse(input: $input) { accepted alreadySubmitted }
}"#;

/// A complete, valid set of answers to [`questionnaire`].
pub fn answers(s1: f64) -> Value {
    json!([
        { "item": "s1", "number": s1 },
        { "item": "s2", "number": 2 },
        { "item": "mode", "text": "video" },
        { "item": "topics", "choices": ["maths", "method"] },
        { "item": "hours", "number": 2.5 },
        { "item": "nps", "number": 9 },
        { "item": "comment", "text": "<b>thanks</b>" }
    ])
}

/// A programme with no budget and no expected learners.
pub async fn programme(app: &TestApp, token: &str) -> anyhow::Result<Value> {
    Ok(app
        .ok(
            r#"mutation { createProgramme(input: { name: "P", startsOn: "2026-09-01", endsOn: "2027-06-30",
                budget: 0, currency: "EUR" }) { programme { id } } }"#,
            json!({}),
            Some(token),
        )
        .await?["createProgramme"]["programme"]["id"]
        .clone())
}

/// Adds a member linked to a person and signs them in.
pub async fn member(
    app: &TestApp,
    admin: &str,
    org: &str,
    email: &str,
    role: &str,
    person: &Value,
) -> anyhow::Result<String> {
    app.ok(
        "mutation($input: AddMemberInput!) { addMember(input: $input) { email } }",
        json!({ "input": { "email": email, "displayName": email, "role": role, "password": tests::PASSWORD, "personId": person } }),
        Some(admin),
    )
    .await?;
    let data = app
        .ok(
            "mutation($e: String!, $o: String) { signIn(input: {email: $e, password: \"correct horse battery\", organisation: $o}) { token } }",
            json!({ "e": email, "o": org }),
            None,
        )
        .await?;
    Ok(data["signIn"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Creates `people` (a `CreatePeopleInput` list), invites them to
/// `campaign`, launches it and waits for its invitations to go out.
pub async fn invite_and_launch(
    app: &TestApp,
    token: &str,
    campaign: &str,
    people: Value,
) -> anyhow::Result<()> {
    let created = app
        .ok(
            "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
            json!({ "input": { "people": people } }),
            Some(token),
        )
        .await?;
    let ids: Vec<Value> = created["createPeople"]["people"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["id"].clone())
        .collect();
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": campaign, "personIds": ids } }),
        Some(token),
    )
    .await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(token),
    )
    .await?;
    assert_eq!(app.jobs_done("send_invitations", 1).await?, 0);
    Ok(())
}

/// A launched campaign of the fixture questionnaire for one learner per
/// language, `l0@north.test`, `l1@north.test`…; returns the coordinator's
/// token, the campaign id and the invitation emails in that order.
pub async fn launched(
    app: &TestApp,
    languages: &[&str],
) -> anyhow::Result<(String, String, Vec<tests::smtp::Received>)> {
    let admin = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let questionnaire = questionnaire(app, &admin).await?;
    let campaign = campaign(app, &admin, &questionnaire, CampaignSpec::default()).await?;
    let people: Vec<_> = languages
        .iter()
        .enumerate()
        .map(|(i, lang)| {
            json!({ "name": format!("Learner {i}"), "email": format!("l{i}@north.test"),
                    "kind": "LEARNER", "language": lang })
        })
        .collect();
    invite_and_launch(app, &admin, &campaign, json!(people)).await?;
    let mut mail = app.mail.messages();
    assert_eq!(mail.len(), languages.len());
    mail.sort_by_key(|m| m.recipients.join(","));
    Ok((admin, campaign, mail))
}
