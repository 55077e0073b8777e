//! Members, people and the edges of the HTTP contract.

use entities::Role;
use serde_json::json;
use tests::TestApp;

const ADD: &str = "mutation($input: AddMemberInput!) { addMember(input: $input) { email role } }";

#[tokio::test]
async fn admins_add_members_who_then_act_in_their_role() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("team", "admin@team.test", Role::Admin).await?;
    let elsewhere = app
        .account("other", "admin@other.test", Role::Admin)
        .await?;
    let member = |email: &str, role: &str| json!({ "input": { "email": email, "displayName": "Someone", "role": role, "password": tests::PASSWORD } });

    let added = app
        .ok(ADD, member("Coord@Team.test", "COORDINATOR"), Some(&admin))
        .await?;
    let bad = app
        .post(ADD, member("coord@team.", "TUTOR"), Some(&admin))
        .await?;
    let again = app
        .error_code(ADD, member("coord@team.test", "TUTOR"), Some(&admin))
        .await?;
    // An address with an account elsewhere is added just the same; the password given
    // is this membership's own.
    let shared = app
        .ok(ADD, member("admin@team.test", "OBSERVER"), Some(&elsewhere))
        .await?;

    assert_eq!(
        added["addMember"],
        json!({ "email": "coord@team.test", "role": "COORDINATOR" })
    );
    assert_eq!(
        bad["errors"][0]["extensions"]["problems"][0]["field"],
        "email"
    );
    assert_eq!(again, "CONFLICT");
    assert_eq!(shared["addMember"]["role"], "OBSERVER");
    let sign_in = "mutation($o: String) { signIn(input: {email: \"coord@team.test\", password: \"correct horse battery\", organisation: $o}) { token } }";
    let coordinator = app.ok(sign_in, json!({ "o": "team" }), None).await?["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let viewer = app
        .ok(
            "{ viewer { role organisationSlug } }",
            json!({}),
            Some(&coordinator),
        )
        .await?;
    assert_eq!(
        viewer["viewer"],
        json!({ "role": "COORDINATOR", "organisationSlug": "team" })
    );
    assert_eq!(
        app.error_code(ADD, member("x@team.test", "ADMIN"), Some(&coordinator))
            .await?,
        "FORBIDDEN"
    );
    app.stop().await
}

#[tokio::test]
async fn people_are_checked_field_by_field() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("ppl", "admin@ppl.test", Role::Admin).await?;

    let body = app
        .post(
            "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
            json!({ "input": { "people": [
                { "name": "Ok", "email": "ok@ppl.test", "kind": "LEARNER" },
                { "name": "Bad\u{0}", "email": "a@b.", "kind": "LEARNER", "language": "<xx>", "timeZone": "nowhere" }
            ] } }),
            Some(&admin),
        )
        .await?;

    let fields: Vec<&str> = body["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "people[1].name",
            "people[1].email",
            "people[1].language",
            "people[1].timeZone"
        ]
    );
    let people = app
        .ok(
            "{ people { edges { node { id } } } }",
            json!({}),
            Some(&admin),
        )
        .await?;
    assert_eq!(people["people"]["edges"], json!([]), "nothing stored");
    app.stop().await
}

#[tokio::test]
async fn every_http_answer_speaks_the_contract() -> anyhow::Result<()> {
    let app =
        TestApp::spawn_with(|s| s.cors_origins = vec!["https://app.example.org".into()]).await?;
    let http = app.http();

    let missing = http.get(format!("{}/nowhere", app.url)).send().await?;
    let (missing_status, missing_body): (u16, serde_json::Value) =
        (missing.status().as_u16(), missing.json().await?);
    let near_json = http
        .post(app.graphql_url())
        .header("content-type", "application/jsonfoo")
        .body("{}")
        .send()
        .await?;
    let garbage = http
        .post(app.graphql_url())
        .header("content-type", "application/json")
        .body("{\"nope\": 1}")
        .send()
        .await?;
    let garbage: serde_json::Value = garbage.json().await?;
    let preflight = http
        .request(reqwest::Method::OPTIONS, app.graphql_url())
        .header("origin", "https://app.example.org")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await?;
    let stranger = http
        .request(reqwest::Method::OPTIONS, app.graphql_url())
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await?;

    assert_eq!(
        (
            missing_status,
            missing_body["errors"][0]["extensions"]["code"].clone()
        ),
        (404, json!("NOT_FOUND"))
    );
    assert_eq!(near_json.status(), 415);
    assert_eq!(garbage["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        !garbage["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("enum"),
        "{garbage}"
    );
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example.org"
    );
    assert!(
        stranger
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    app.stop().await
}
