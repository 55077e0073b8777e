//! Sessions, password resets, API keys and sign-in limits, over HTTP.

use std::time::{Duration, Instant};

use chrono::Utc;
use entities::Role;
use serde_json::{Value, json};
use tests::{PASSWORD, TestApp};

const SIGN_IN: &str = "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token expiresAt refreshToken refreshExpiresAt } }";
const REFRESH: &str =
    "mutation($r: String!) { refreshSession(input: {refreshToken: $r}) { token refreshToken } }";
const VIEWER: &str = "{ viewer { email } }";
const SIGN_OUT: &str = "mutation { signOut { sessionsEnded } }";
const SIGN_OUT_EVERYWHERE: &str = "mutation { signOutEverywhere { sessionsEnded } }";
const REQUEST_RESET: &str =
    "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { accepted } }";
const RESET: &str = "mutation($t: String!, $p: String!) { resetPassword(input: {token: $t, newPassword: $p}) { email } }";
const CREATE_KEY: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id prefix scopes lastUsedAt active } } }";
const KEYS: &str = "{ apiKeys { edges { node { id name prefix lastUsedAt revokedAt active } } } }";
const REVOKE_KEY: &str =
    "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { revokedAt active } } }";
const PEOPLE: &str = "{ people { edges { node { name } } } }";
const CREATE_PEOPLE: &str = "mutation($name: String!) { createPeople(input: {people: [{name: $name, kind: LEARNER}]}) { people { id } } }";

/// A member of `org` who has not signed in yet.
async fn member(app: &TestApp, org: &str, email: &str, role: Role) -> anyhow::Result<()> {
    api::auth::add_member(&app.state.db, (org, org), email, email, PASSWORD, role)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(())
}

/// Signs in and returns `(access token, refresh token)`.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> anyhow::Result<(String, String)> {
    let data = app
        .ok(SIGN_IN, json!({ "e": email, "p": password }), None)
        .await?;
    let pair = &data["signIn"];
    Ok((text(&pair["token"]), text(&pair["refreshToken"])))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The code of the first error of a response body.
fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// Sleeps until just past `at`, an RFC 3339 time: the few tests of expiry
/// wait for the real clock, over lifetimes of seconds.
async fn sleep_past(at: &Value) {
    let at = chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap_or_default())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let wait = (at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(100)).await;
}

/// The `retryAfter` of a refusal, in seconds.
fn wait(body: &Value) -> u64 {
    body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_default()
}

/// A body's errors without their `retryAfter`, which depends on when
/// each window started.
fn without_wait(body: &Value) -> Value {
    let mut errors = body["errors"].clone();
    errors[0]["extensions"]["retryAfter"] = Value::Null;
    errors
}

async fn refresh(app: &TestApp, refresh_token: &str) -> anyhow::Result<Value> {
    app.post(REFRESH, json!({ "r": refresh_token }), None).await
}

async fn viewer_code(app: &TestApp, token: &str) -> anyhow::Result<String> {
    let body = app.post(VIEWER, json!({}), Some(token)).await?;
    Ok(match code(&body) {
        "" => "OK".to_owned(),
        code => code.to_owned(),
    })
}

#[tokio::test]
async fn a_refresh_token_is_exchanged_once_for_a_new_pair() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    member(&app, "fam", "ada@fam.test", Role::Coordinator).await?;

    let signed_in = app
        .ok(SIGN_IN, json!({ "e": "ada@fam.test", "p": PASSWORD }), None)
        .await?["signIn"]
        .clone();
    let first_refresh = text(&signed_in["refreshToken"]);
    let refreshed = refresh(&app, &first_refresh).await?;

    // The access token lasts minutes (15 by default), the refresh token days.
    let expires = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(signed_in[field].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc)
            - Utc::now()
    };
    assert!((14..=15).contains(&expires("expiresAt").num_minutes()));
    assert!((29..=30).contains(&expires("refreshExpiresAt").num_days()));
    let pair = &refreshed["data"]["refreshSession"];
    let (access, next_refresh) = (text(&pair["token"]), text(&pair["refreshToken"]));
    assert!(
        !access.is_empty() && !next_refresh.is_empty(),
        "{refreshed}"
    );
    assert_ne!(access, text(&signed_in["token"]));
    assert_ne!(next_refresh, first_refresh);
    assert_eq!(viewer_code(&app, &access).await?, "OK");
    assert_eq!(viewer_code(&app, &text(&signed_in["token"])).await?, "OK");
    let again = refresh(&app, &next_refresh).await?;
    assert!(
        again["data"]["refreshSession"]["token"].is_string(),
        "{again}"
    );
    assert_eq!(
        code(&refresh(&app, "not-a-refresh-token").await?),
        "UNAUTHENTICATED"
    );
    app.stop().await
}

#[tokio::test]
async fn a_stale_access_token_sent_along_does_not_stop_a_sign_in_or_a_refresh() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    member(&app, "stale", "ada@stale.test", Role::Coordinator).await?;
    let (access, refresh_token) = sign_in(&app, "ada@stale.test", PASSWORD).await?;
    app.ok(SIGN_OUT, json!({}), Some(&access)).await?;

    // Apps send their stored token with every request, the one that ran
    // out too: the entries that need no caller still answer.
    let again = app
        .post(
            SIGN_IN,
            json!({ "e": "ada@stale.test", "p": PASSWORD }),
            Some(&access),
        )
        .await?;
    let pair = &again["data"]["signIn"];
    assert!(pair["token"].is_string(), "{again}");
    let refreshed = app
        .post(
            REFRESH,
            json!({ "r": text(&pair["refreshToken"]) }),
            Some(&access),
        )
        .await?;
    assert!(
        refreshed["data"]["refreshSession"]["token"].is_string(),
        "{refreshed}"
    );
    // The spent refresh token is still refused for what it is.
    let spent = app
        .post(REFRESH, json!({ "r": refresh_token }), Some(&access))
        .await?;
    assert_eq!(code(&spent), "UNAUTHENTICATED", "{spent}");

    // Anything else with that token is refused as before, at the door.
    let response = app
        .http()
        .post(app.graphql_url())
        .bearer_auth(&access)
        .json(&json!({ "query": "{ __typename viewer { email } }" }))
        .send()
        .await?;
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    let mixed = app
        .http()
        .post(app.graphql_url())
        .bearer_auth(&access)
        .json(&json!([
            { "query": SIGN_IN, "variables": { "e": "ada@stale.test", "p": PASSWORD } },
            { "query": VIEWER },
        ]))
        .send()
        .await?;
    assert_eq!(mixed.status(), reqwest::StatusCode::UNAUTHORIZED);
    app.stop().await
}

#[tokio::test]
async fn a_spent_refresh_token_presented_again_ends_its_whole_family() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    member(&app, "fam", "ada@fam.test", Role::Coordinator).await?;
    let (first_access, first_refresh) = sign_in(&app, "ada@fam.test", PASSWORD).await?;
    let (other_access, other_refresh) = sign_in(&app, "ada@fam.test", PASSWORD).await?;
    let pair = refresh(&app, &first_refresh).await?["data"]["refreshSession"].clone();
    let (access, current_refresh) = (text(&pair["token"]), text(&pair["refreshToken"]));
    assert_eq!(viewer_code(&app, &access).await?, "OK");

    // Someone replays the spent token: the thief or the client, it cannot be told.
    let replay = refresh(&app, &first_refresh).await?;

    assert_eq!(code(&replay), "UNAUTHENTICATED", "{replay}");
    assert_eq!(
        code(&refresh(&app, &current_refresh).await?),
        "UNAUTHENTICATED"
    );
    assert_eq!(viewer_code(&app, &access).await?, "UNAUTHENTICATED");
    assert_eq!(viewer_code(&app, &first_access).await?, "UNAUTHENTICATED");
    // Another sign-in of the same account is another family, untouched.
    assert_eq!(viewer_code(&app, &other_access).await?, "OK");
    assert!(refresh(&app, &other_refresh).await?["data"]["refreshSession"].is_object());
    app.stop().await
}

#[tokio::test]
async fn sign_out_ends_one_session_and_sign_out_everywhere_ends_them_all() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    member(&app, "one", "ada@one.test", Role::Coordinator).await?;
    member(&app, "two", "ada@one.test", Role::Observer).await?;
    member(&app, "one", "bob@one.test", Role::Coordinator).await?;
    let (phone, phone_refresh) = sign_in(&app, "ada@one.test", PASSWORD).await?;
    let (laptop, laptop_refresh) = sign_in(&app, "ada@one.test", PASSWORD).await?;
    let elsewhere = app
        .ok(
            "mutation($p: String!) { signIn(input: {email: \"ada@one.test\", password: $p, organisation: \"two\"}) { token } }",
            json!({ "p": PASSWORD }),
            None,
        )
        .await?["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (bob, _) = sign_in(&app, "bob@one.test", PASSWORD).await?;
    assert_eq!(viewer_code(&app, &phone).await?, "OK");

    let out = app.ok(SIGN_OUT, json!({}), Some(&phone)).await?;

    assert_eq!(out["signOut"]["sessionsEnded"], 1);
    assert_eq!(viewer_code(&app, &phone).await?, "UNAUTHENTICATED");
    assert_eq!(
        code(&refresh(&app, &phone_refresh).await?),
        "UNAUTHENTICATED"
    );
    assert_eq!(viewer_code(&app, &laptop).await?, "OK");
    assert_eq!(viewer_code(&app, &elsewhere).await?, "OK");

    let everywhere = app
        .ok(SIGN_OUT_EVERYWHERE, json!({}), Some(&laptop))
        .await?;

    assert_eq!(everywhere["signOutEverywhere"]["sessionsEnded"], 2);
    assert_eq!(viewer_code(&app, &laptop).await?, "UNAUTHENTICATED");
    assert_eq!(viewer_code(&app, &elsewhere).await?, "UNAUTHENTICATED");
    assert_eq!(
        code(&refresh(&app, &laptop_refresh).await?),
        "UNAUTHENTICATED"
    );
    assert_eq!(viewer_code(&app, &bob).await?, "OK");
    assert_eq!(
        app.error_code(SIGN_OUT, json!({}), None).await?,
        "UNAUTHENTICATED"
    );
    app.stop().await
}

#[tokio::test]
async fn an_access_token_stops_working_at_its_expiry_and_a_refresh_renews_it() -> anyhow::Result<()>
{
    let app = TestApp::spawn_with(|s| s.access_token_secs = 3).await?;
    member(&app, "short", "ada@short.test", Role::Coordinator).await?;
    let signed_in = app
        .ok(
            SIGN_IN,
            json!({ "e": "ada@short.test", "p": PASSWORD }),
            None,
        )
        .await?["signIn"]
        .clone();
    let (access, refresh_token) = (text(&signed_in["token"]), text(&signed_in["refreshToken"]));
    assert_eq!(viewer_code(&app, &access).await?, "OK");

    // Expiry is compared with the clock: wait until it has passed.
    sleep_past(&signed_in["expiresAt"]).await;

    assert_eq!(viewer_code(&app, &access).await?, "UNAUTHENTICATED");
    let renewed = refresh(&app, &refresh_token).await?;
    let fresh = text(&renewed["data"]["refreshSession"]["token"]);
    assert_eq!(viewer_code(&app, &fresh).await?, "OK", "{renewed}");
    app.stop().await
}

/// The token of the reset link in the only message sent to `to`.
fn reset_link(app: &TestApp, to: &str) -> anyhow::Result<(String, String)> {
    let messages: Vec<_> = app
        .mail
        .messages()
        .into_iter()
        .filter(|m| m.recipients.iter().any(|r| r.contains(to)))
        .collect();
    anyhow::ensure!(messages.len() == 1, "{} messages to {to}", messages.len());
    let body = messages[0].body();
    let start = body
        .find("http")
        .ok_or_else(|| anyhow::anyhow!("no link in {body}"))?;
    let link: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    let token = link
        .rsplit_once("/reset-password/")
        .map(|(_, t)| t.to_owned())
        .ok_or_else(|| anyhow::anyhow!("not a reset link: {link}"))?;
    Ok((link, token))
}

#[tokio::test]
async fn a_password_is_reset_once_through_the_emailed_link_and_old_sessions_end()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    member(&app, "lost", "ada@lost.test", Role::Coordinator).await?;
    let (old_access, old_refresh) = sign_in(&app, "ada@lost.test", PASSWORD).await?;
    let new_password = "a much better passphrase";

    let asked = app
        .ok(REQUEST_RESET, json!({ "e": " Ada@Lost.test " }), None)
        .await?;
    assert_eq!(app.jobs_done("send_password_reset", 1).await?, 0);
    let (link, token) = reset_link(&app, "ada@lost.test")?;
    // The link names PUBLIC_URL; this instance listens on a port of its own.
    let page_url = link.replace(&app.env.settings.public_url, &app.url);
    let page = app.http().get(&page_url).send().await?;
    let too_short = app
        .post(RESET, json!({ "t": token, "p": "short" }), None)
        .await?;
    let reset = app
        .ok(RESET, json!({ "t": token, "p": new_password }), None)
        .await?;

    assert_eq!(asked["requestPasswordReset"]["accepted"], true);
    assert!(link.starts_with(&app.env.settings.public_url), "{link}");
    assert_eq!(page.status(), 200);
    assert!(page.text().await?.contains("type=\"password\""));
    assert_eq!(code(&too_short), "BAD_USER_INPUT", "{too_short}");
    assert_eq!(reset["resetPassword"]["email"], "ada@lost.test");
    assert_eq!(viewer_code(&app, &old_access).await?, "UNAUTHENTICATED");
    assert_eq!(code(&refresh(&app, &old_refresh).await?), "UNAUTHENTICATED");
    let old_password = app
        .post(
            SIGN_IN,
            json!({ "e": "ada@lost.test", "p": PASSWORD }),
            None,
        )
        .await?;
    assert_eq!(code(&old_password), "BAD_USER_INPUT");
    let (fresh, _) = sign_in(&app, "ada@lost.test", new_password).await?;
    assert_eq!(viewer_code(&app, &fresh).await?, "OK");
    // The link works once.
    let again = app
        .post(
            RESET,
            json!({ "t": token, "p": "yet another passphrase" }),
            None,
        )
        .await?;
    assert_eq!(code(&again), "INVALID_TOKEN", "{again}");
    assert_eq!(app.http().get(&page_url).send().await?.status(), 404);
    app.stop().await
}

#[tokio::test]
async fn an_organisation_cannot_choose_the_password_another_signs_in_with() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let add = "mutation($input: AddMemberInput!) { addMember(input: $input) { role } }";
    let member = |password: &str, role: &str| {
        json!({ "input": { "email": "new.coordinator@team.test", "displayName": "New",
                           "role": role, "password": password } })
    };
    let sign_in_to = "mutation($p: String!, $o: String) { signIn(input: {email: \"new.coordinator@team.test\", password: $p, organisation: $o}) { token } }";
    let theirs = app.account("evil", "admin@evil.test", Role::Admin).await?;
    let ours = app.account("team", "admin@team.test", Role::Admin).await?;
    let (planted, real) = ("chosen by the other side", "given by our admin");

    // The other organisation makes the account first, with a password it knows.
    app.ok(add, member(planted, "OBSERVER"), Some(&theirs))
        .await?;
    app.ok(add, member(real, "COORDINATOR"), Some(&ours))
        .await?;

    let attempt = app
        .post(sign_in_to, json!({ "p": planted, "o": "team" }), None)
        .await?;
    assert_eq!(code(&attempt), "BAD_USER_INPUT", "{attempt}");
    let token = app
        .ok(sign_in_to, json!({ "p": real, "o": "team" }), None)
        .await?;
    let coordinator = text(&token["signIn"]["token"]);
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
    // Each keeps the password it gave; neither opens the other.
    app.ok(sign_in_to, json!({ "p": planted, "o": "evil" }), None)
        .await?;
    let crossed = app
        .post(sign_in_to, json!({ "p": real, "o": "evil" }), None)
        .await?;
    assert_eq!(code(&crossed), "BAD_USER_INPUT", "{crossed}");

    // The mailbox's holder sets one password for every membership.
    app.ok(
        REQUEST_RESET,
        json!({ "e": "new.coordinator@team.test" }),
        None,
    )
    .await?;
    assert_eq!(app.jobs_done("send_password_reset", 1).await?, 0);
    let (_, reset) = reset_link(&app, "new.coordinator@team.test")?;
    let chosen = "the holder's own passphrase";
    app.ok(RESET, json!({ "t": reset, "p": chosen }), None)
        .await?;
    for org in ["team", "evil"] {
        app.ok(sign_in_to, json!({ "p": chosen, "o": org }), None)
            .await?;
        let old = app
            .post(sign_in_to, json!({ "p": planted, "o": org }), None)
            .await?;
        assert_eq!(code(&old), "BAD_USER_INPUT", "{org}: {old}");
    }
    app.stop().await
}

#[tokio::test]
async fn an_expired_reset_link_sets_nothing() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(|s| s.password_reset_secs = 3).await?;
    member(&app, "late", "ada@late.test", Role::Coordinator).await?;

    app.ok(REQUEST_RESET, json!({ "e": "ada@late.test" }), None)
        .await?;
    // The link expires within 3 s of the answer.
    let expires_at = Utc::now() + chrono::Duration::seconds(3);
    app.jobs_done("send_password_reset", 1).await?;
    let (_, token) = reset_link(&app, "ada@late.test")?;
    sleep_past(&json!(expires_at.to_rfc3339())).await;
    let late = app
        .post(
            RESET,
            json!({ "t": token, "p": "a much better passphrase" }),
            None,
        )
        .await?;

    assert_eq!(code(&late), "INVALID_TOKEN", "{late}");
    sign_in(&app, "ada@late.test", PASSWORD).await?;
    app.stop().await
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_email() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    member(&app, "known", "ada@known.test", Role::Coordinator).await?;

    let known = app
        .post(REQUEST_RESET, json!({ "e": "ada@known.test" }), None)
        .await?;
    let unknown = app
        .post(REQUEST_RESET, json!({ "e": "nobody@known.test" }), None)
        .await?;
    // Both are recorded and queued alike; the worker finds nothing to send for one.
    assert_eq!(app.jobs_done("send_password_reset", 2).await?, 0);

    assert_eq!(known, unknown);
    assert_eq!(app.mail.count(), 1);
    assert!(app.mail.messages()[0].recipients[0].contains("ada@known.test"));
    app.stop().await
}

#[tokio::test]
async fn reset_requests_are_limited_per_address_whether_it_has_an_account_or_not()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    member(&app, "many", "ada@many.test", Role::Coordinator).await?;

    let mut answers = Vec::new();
    for email in ["ada@many.test", "nobody@many.test"] {
        for _ in 0..4 {
            answers.push(app.post(REQUEST_RESET, json!({ "e": email }), None).await?);
        }
    }

    let codes: Vec<&str> = answers.iter().map(code).collect();
    assert_eq!(
        codes,
        ["", "", "", "RATE_LIMITED", "", "", "", "RATE_LIMITED"]
    );
    assert_eq!(without_wait(&answers[3]), without_wait(&answers[7]));
    assert!(
        (3_500..=3_600).contains(&wait(&answers[3])),
        "{}",
        answers[3]
    );
    assert!(
        (3_500..=3_600).contains(&wait(&answers[7])),
        "{}",
        answers[7]
    );
    app.stop().await
}

#[tokio::test]
async fn api_keys_act_within_their_scopes_until_revoked_or_expired() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("int", "admin@int.test", Role::Admin).await?;
    let coordinator = app
        .account("int", "coord@int.test", Role::Coordinator)
        .await?;
    let other = app.account("else", "admin@else.test", Role::Admin).await?;
    app.ok(CREATE_PEOPLE, json!({ "name": "Ada" }), Some(&admin))
        .await?;
    let key_input =
        |name: &str, scopes: Value| json!({ "input": { "name": name, "scopes": scopes } });

    let reader = app
        .ok(
            CREATE_KEY,
            key_input("Reports site", json!(["READ"])),
            Some(&admin),
        )
        .await?["createApiKey"]
        .clone();
    let importer = app
        .ok(
            CREATE_KEY,
            key_input("Student records", json!(["IMPORT_PEOPLE"])),
            Some(&admin),
        )
        .await?["createApiKey"]
        .clone();
    let (read_key, import_key) = (text(&reader["key"]), text(&importer["key"]));

    assert!(read_key.starts_with(text(&reader["apiKey"]["prefix"]).as_str()));
    assert!(read_key.starts_with("tpk_") && read_key.len() > 50);
    assert_eq!(reader["apiKey"]["lastUsedAt"], Value::Null);
    assert_eq!(reader["apiKey"]["scopes"], json!(["READ"]));
    let people = app.ok(PEOPLE, json!({}), Some(&read_key)).await?;
    assert_eq!(people["people"]["edges"][0]["node"]["name"], "Ada");
    let write_with_reader = app
        .post(CREATE_PEOPLE, json!({ "name": "Eve" }), Some(&read_key))
        .await?;
    assert_eq!(code(&write_with_reader), "FORBIDDEN", "{write_with_reader}");
    app.ok(CREATE_PEOPLE, json!({ "name": "Bob" }), Some(&import_key))
        .await?;
    assert_eq!(
        app.error_code(PEOPLE, json!({}), Some(&import_key)).await?,
        "FORBIDDEN"
    );
    // A key is nobody: no person, calendar or viewer of its own.
    assert_eq!(
        app.error_code("{ myCalendarPath }", json!({}), Some(&read_key))
            .await?,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(VIEWER, json!({}), Some(&read_key)).await?,
        "FORBIDDEN"
    );
    // Admin work stays with admins: not a coordinator's, nor any key's.
    let by_key = app
        .post(
            CREATE_KEY,
            key_input("More", json!(["WRITE"])),
            Some(&read_key),
        )
        .await?;
    assert_eq!(code(&by_key), "FORBIDDEN");
    assert_eq!(
        app.error_code(
            CREATE_KEY,
            key_input("More", json!(["READ"])),
            Some(&coordinator)
        )
        .await?,
        "FORBIDDEN"
    );
    let export = app
        .http()
        .get(format!("{}/exports/campaigns/x/results.csv", app.url))
        .bearer_auth(&import_key)
        .send()
        .await?;
    assert_eq!(export.status(), 403);

    let listed = app.ok(KEYS, json!({}), Some(&admin)).await?;
    let keys = listed["apiKeys"]["edges"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["node"]["name"], "Student records");
    assert!(
        keys.iter().all(|k| k["node"]["lastUsedAt"].is_string()),
        "{listed}"
    );
    assert_eq!(
        app.ok(KEYS, json!({}), Some(&other)).await?["apiKeys"]["edges"],
        json!([])
    );

    let revoked = app
        .ok(
            REVOKE_KEY,
            json!({ "id": reader["apiKey"]["id"] }),
            Some(&admin),
        )
        .await?;
    assert_eq!(revoked["revokeApiKey"]["apiKey"]["active"], false);
    assert_eq!(
        app.error_code(PEOPLE, json!({}), Some(&read_key)).await?,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.error_code(
            REVOKE_KEY,
            json!({ "id": importer["apiKey"]["id"] }),
            Some(&other)
        )
        .await?,
        "NOT_FOUND"
    );

    let soon = (Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let brief = app
        .ok(
            CREATE_KEY,
            json!({ "input": { "name": "Trial", "scopes": ["READ"], "expiresAt": soon } }),
            Some(&admin),
        )
        .await?["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(PEOPLE, json!({}), Some(&brief)).await?;
    sleep_past(&json!(soon)).await;
    assert_eq!(
        app.error_code(PEOPLE, json!({}), Some(&brief)).await?,
        "UNAUTHENTICATED"
    );
    app.stop().await
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_account_alike_for_unknown_addresses() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    member(&app, "lock", "ada@lock.test", Role::Coordinator).await?;
    let attempt = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.post(SIGN_IN, json!({ "e": email, "p": password }), None)
                .await
        }
    };

    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        known.push(attempt("ada@lock.test", "wrong guess").await?);
        unknown.push(attempt("nobody@lock.test", "wrong guess").await?);
    }
    // Past the limit even the right password is refused, before it is checked.
    let right_too_late = attempt("ada@lock.test", PASSWORD).await?;
    let unknown_too_late = attempt("nobody@lock.test", PASSWORD).await?;

    assert!(
        known
            .iter()
            .chain(&unknown)
            .all(|b| code(b) == "BAD_USER_INPUT")
    );
    assert_eq!(code(&right_too_late), "RATE_LIMITED", "{right_too_late}");
    // The same answer but for the wait, each counted from its own first failure.
    assert_eq!(
        without_wait(&right_too_late),
        without_wait(&unknown_too_late)
    );
    assert!(
        (800..=900).contains(&wait(&right_too_late)),
        "{right_too_late}"
    );
    assert!(
        (800..=900).contains(&wait(&unknown_too_late)),
        "{unknown_too_late}"
    );
    // Another account from the same client is not held back by these.
    member(&app, "lock", "bob@lock.test", Role::Coordinator).await?;
    sign_in(&app, "bob@lock.test", PASSWORD).await?;
    app.stop().await
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_client_address() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(|s| s.sign_in_failures_per_client = 3).await?;
    member(&app, "spray", "ada@spray.test", Role::Coordinator).await?;

    let mut codes = Vec::new();
    for email in [
        "a@spray.test",
        "b@spray.test",
        "c@spray.test",
        "ada@spray.test",
    ] {
        let body = app
            .post(SIGN_IN, json!({ "e": email, "p": PASSWORD }), None)
            .await?;
        codes.push(code(&body).to_owned());
    }

    assert_eq!(
        codes,
        [
            "BAD_USER_INPUT",
            "BAD_USER_INPUT",
            "BAD_USER_INPUT",
            "RATE_LIMITED"
        ]
    );
    app.stop().await
}

#[tokio::test]
async fn instances_share_the_limits_and_revocations_through_redis_and_the_cache_bound()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let other = app.sibling().await?;
    member(&app, "pair", "ada@pair.test", Role::Coordinator).await?;
    let (access, _) = sign_in(&app, "ada@pair.test", PASSWORD).await?;
    assert_eq!(viewer_code(&other, &access).await?, "OK");

    for _ in 0..5 {
        let body = app
            .post(SIGN_IN, json!({ "e": "ada@pair.test", "p": "wrong" }), None)
            .await?;
        assert_eq!(code(&body), "BAD_USER_INPUT");
    }
    let on_other = other
        .post(
            SIGN_IN,
            json!({ "e": "ada@pair.test", "p": PASSWORD }),
            None,
        )
        .await?;

    if app.env.settings.redis_url.is_some() {
        assert_eq!(code(&on_other), "RATE_LIMITED", "{on_other}");
    } else {
        // Without Redis each process counts for itself.
        assert!(
            on_other["data"]["signIn"]["token"].is_string(),
            "{on_other}"
        );
    }

    // A session ended on one instance is refused by the other within the
    // time it keeps callers (it saw this token a moment ago).
    app.ok(SIGN_OUT, json!({}), Some(&access)).await?;
    let ended = Instant::now();
    while viewer_code(&other, &access).await? == "OK" {
        assert!(ended.elapsed() < api::auth::CALLER_REUSE + Duration::from_millis(500));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(viewer_code(&app, &access).await?, "UNAUTHENTICATED");
    other.stop().await?;
    app.stop().await
}
