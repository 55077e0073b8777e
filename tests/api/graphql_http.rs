//! The endpoint against the GraphQL over HTTP specification: the
//! `graphql-http` audit suite (`tests/browser/graphql-http-audit.mjs`), and
//! the same rules checked here without Node.js.

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestApp;

const MODERN: &str = "application/graphql-response+json";

async fn post(
    app: &TestApp,
    accept: &str,
    body: Value,
) -> anyhow::Result<(StatusCode, String, Value)> {
    let response = app
        .http()
        .post(app.graphql_url())
        .header("accept", accept)
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let content_type = response.headers()["content-type"].to_str()?.to_owned();
    Ok((status, content_type, response.json().await?))
}

#[tokio::test]
async fn a_request_that_never_runs_is_a_400_without_data_for_graphql_response_clients()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    for (query, why) in [
        ("{ campaigns {", "does not parse"),
        ("{ noSuchField }", "does not validate"),
    ] {
        let (status, content_type, body) = post(&app, MODERN, json!({ "query": query })).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert!(content_type.starts_with(MODERN), "{content_type}");
        assert!(body.get("data").is_none(), "{why}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

        // Plain JSON clients get the same errors with 200, as before.
        let (status, content_type, body) =
            post(&app, "application/json", json!({ "query": query })).await?;
        assert_eq!(status, StatusCode::OK, "{why}: {body}");
        assert!(content_type.starts_with("application/json"));
        assert!(body["errors"].is_array());
    }
    // Variables that do not fit their types: the request never runs either.
    let coerce = json!({ "query": "query($n: Int) { campaigns(first: $n) { totalCount } }",
                         "variables": { "n": "many" } });
    let (status, _, body) = post(&app, MODERN, coerce).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A request that ran answers 200, errors in its fields or not.
    let (status, content_type, body) =
        post(&app, MODERN, json!({ "query": "{ __typename }" })).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with(MODERN));
    assert_eq!(body["data"]["__typename"], "Query");
    let (status, _, body) = post(
        &app,
        MODERN,
        json!({ "query": "{ campaigns { edges { node { id } } } }" }),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // Introspection is on by default.
    let (status, _, body) = post(
        &app,
        MODERN,
        json!({ "query": r#"{ __type(name: "Campaign") { name } }"# }),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["__type"]["name"], "Campaign");
    app.stop().await
}

#[tokio::test]
#[ignore = "needs Node.js and npm ci in tests/browser: .ci/run runs it"]
async fn the_graphql_http_audit_finds_every_must_and_should_met() -> anyhow::Result<()> {
    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser");
    anyhow::ensure!(
        scripts.join("node_modules/graphql-http").is_dir(),
        "run `npm ci` in {} first",
        scripts.display()
    );
    let app = TestApp::spawn().await?;
    let url = app.graphql_url();
    let run = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("graphql-http-audit.mjs")
            .arg(url)
            .current_dir(&scripts)
            .output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&run.stdout);
    println!("{stdout}");
    assert!(
        run.status.success(),
        "the audit failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    app.stop().await
}

#[tokio::test]
async fn fragment_and_alias_bombs_are_refused_before_they_run() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    // Each fragment spreads the one before twice: written out, 2^25 fields,
    // which validation alone would take minutes to walk.
    let mut bomb = String::from("{ ...F25 }\nfragment F0 on Query { __typename }\n");
    for i in 1..=25 {
        bomb.push_str(&format!(
            "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    let aliases: Vec<String> = (0..5_000).map(|i| format!("a{i}: __typename")).collect();
    let alias_bomb = format!("{{ {} }}", aliases.join(" "));
    let too_deep = format!(
        "{{ {}__typename{} }}",
        "node(id: \"x\") { ... on Campaign { questionnaire { ".repeat(8),
        " } } }".repeat(8)
    );
    // Parsing takes time in proportion to the text, comments too: a long
    // document is refused before it is parsed.
    let long = format!("{{ __typename }}\n{}", "# a comment\n".repeat(50_000));
    for (query, what) in [
        (bomb.as_str(), "fields"),
        (alias_bomb.as_str(), "aliases"),
        (too_deep.as_str(), "nested too deep"),
        (long.as_str(), "600015 bytes"),
    ] {
        let (status, _, body) = post(&app, MODERN, json!({ "query": query })).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(what) || what == "nested too deep",
            "{what}: {message}"
        );
        assert!(body.get("data").is_none());
    }

    // A refused document runs none of its mutations.
    let admin = app
        .account("bombs", "admin@bombs.test", entities::Role::Admin)
        .await?;
    let create = r#"createProgramme(input: { name: "P", startsOn: "2026-09-01",
        endsOn: "2027-06-30", budget: 0, currency: "EUR" }) { programme { id } }"#;
    let aliased: Vec<String> = (0..101).map(|i| format!("p{i}: {create}")).collect();
    let wide: Vec<String> = (0..26).map(|i| format!("p{i}: {create}")).collect();
    let mut spread = format!("mutation {{ ...M20 }}\nfragment M0 on Mutation {{ {create} }}\n");
    for i in 1..=20 {
        spread.push_str(&format!(
            "fragment M{i} on Mutation {{ ...M{p} ...M{p} }}\n",
            p = i - 1
        ));
    }
    for (query, what) in [
        (
            format!("mutation {{ {} }}", aliased.join(" ")),
            "101 aliases",
        ),
        (
            format!("mutation {{ {} }}", wide.join(" ")),
            "26 root fields",
        ),
        (spread, "1048576 root fields"),
    ] {
        let response = app
            .http()
            .post(app.graphql_url())
            .bearer_auth(&admin)
            .header("accept", MODERN)
            .json(&json!({ "query": query }))
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{what}");
        let body: Value = response.json().await?;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(what), "{what}: {body}");
    }
    let one = format!("mutation {{ {create} }}");
    app.ok(&one, json!({}), Some(&admin)).await?;
    let listed = app
        .ok("{ programmes { nodes { id } } }", json!({}), Some(&admin))
        .await?;
    assert_eq!(
        listed["programmes"]["nodes"].as_array().map(Vec::len),
        Some(1)
    );
    app.stop().await
}

#[tokio::test]
async fn a_json_body_over_a_mebibyte_is_refused_before_it_is_parsed() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    // Parsed, each `[]` of these 2 MB would take tens of bytes of memory.
    let nested = vec![json!([]); 700_000];
    let (status, _, body) = post(
        &app,
        MODERN,
        json!({ "query": "{ __typename }", "variables": { "x": nested } }),
    )
    .await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let padding = "x".repeat(900_000);
    let (status, _, body) = post(
        &app,
        MODERN,
        json!({ "query": "{ __typename }", "variables": { "x": padding } }),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["__typename"], "Query");
    app.stop().await
}

/// A questionnaire whose creation writes three tables in one transaction:
/// the questionnaire, its scale, then its items.
const CREATE_QUESTIONNAIRE: &str = r#"mutation($input: CreateQuestionnaireInput!) {
    createQuestionnaire(input: $input) { questionnaire { key version } } }"#;

fn questionnaire_input(key: &str) -> Value {
    json!({ "input": { "key": key, "title": "Slow", "audience": "LEARNERS",
        "scales": [{ "code": "S", "name": "Support" }],
        "items": [{ "code": "s1", "prompt": "Fine?", "kind": "LIKERT", "points": 5, "scale": "S" }] } })
}

#[tokio::test]
async fn a_request_past_its_time_limit_is_cut_with_timeout_and_writes_nothing() -> anyhow::Result<()>
{
    use sea_orm::{ConnectionTrait, DbBackend};
    let app = TestApp::spawn_with(|s| s.request_timeout_secs = 1).await?;
    let admin = app
        .account("slow", "admin@slow.test", entities::Role::Admin)
        .await?;
    // Another connection holds what the mutation needs: on PostgreSQL the
    // items table, which the mutation writes after the questionnaire; on
    // SQLite the database's write lock, which it waits for at its start.
    let other = sea_orm::Database::connect(app.env.settings.effective_database_url()).await?;
    let lock = worker::db::begin_write(&other).await?;
    if other.get_database_backend() == DbBackend::Postgres {
        lock.execute_unprepared("LOCK TABLE item IN EXCLUSIVE MODE")
            .await?;
    }

    let started = std::time::Instant::now();
    let modern = app
        .http()
        .post(app.graphql_url())
        .bearer_auth(&admin)
        .header("accept", MODERN)
        .json(&json!({ "query": CREATE_QUESTIONNAIRE, "variables": questionnaire_input("slow") }))
        .send()
        .await?;
    let (status, body): (StatusCode, Value) = (modern.status(), modern.json().await?);
    let waited = started.elapsed();
    let legacy = app
        .http()
        .post(app.graphql_url())
        .bearer_auth(&admin)
        .json(&json!({ "query": CREATE_QUESTIONNAIRE, "variables": questionnaire_input("slower") }))
        .send()
        .await?;
    let (legacy_status, legacy_body): (StatusCode, Value) = (legacy.status(), legacy.json().await?);
    lock.rollback().await?;

    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
    assert!(body.get("data").is_none(), "{body}");
    assert!(
        waited >= std::time::Duration::from_secs(1) && waited < std::time::Duration::from_secs(20),
        "cut after {waited:?}"
    );
    // Plain JSON clients get the same error with 200, as the specification asks.
    assert_eq!(legacy_status, StatusCode::OK, "{legacy_body}");
    assert_eq!(legacy_body["errors"][0]["extensions"]["code"], "TIMEOUT");
    assert!(legacy_body["data"].is_null());

    // Nothing of the cut transactions stayed: the same key makes version 1,
    // and the server answers as before.
    let again = app
        .ok(
            CREATE_QUESTIONNAIRE,
            questionnaire_input("slow"),
            Some(&admin),
        )
        .await?;
    assert_eq!(again["createQuestionnaire"]["questionnaire"]["version"], 1);
    let listed = app
        .ok(
            "{ questionnaires { edges { node { key version } } } }",
            json!({}),
            Some(&admin),
        )
        .await?;
    assert_eq!(
        listed["questionnaires"]["edges"],
        json!([{ "node": { "key": "slow", "version": 1 } }])
    );
    other.close().await?;
    app.stop().await
}

#[tokio::test]
async fn introspection_turned_off_is_refused_with_forbidden_before_it_runs() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(|s| s.graphql_introspection = false).await?;
    let hidden = "{ ...F }\nfragment F on Query { ... on Query { __schema { types { name } } } }";

    for query in [
        "{ __schema { queryType { name } } }",
        r#"{ t: __type(name: "Campaign") { fields { name } } }"#,
        hidden,
    ] {
        let (status, _, body) = post(&app, MODERN, json!({ "query": query })).await?;
        assert_eq!(status, StatusCode::FORBIDDEN, "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        assert!(body.get("data").is_none(), "{body}");
        let (status, _, body) = post(&app, "application/json", json!({ "query": query })).await?;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    }
    let batch =
        json!([{ "query": "{ __typename }" }, { "query": "{ __schema { types { name } } }" }]);
    let (status, _, body) = post(&app, MODERN, batch).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

    // __typename is not introspection: clients rely on it.
    let (status, _, body) = post(&app, MODERN, json!({ "query": "{ __typename }" })).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["__typename"], "Query");
    app.stop().await
}

/// The introspection query of graphql-js 17 (graphql-core 3.3), which
/// GraphiQL, code generators and fuzzers send: 15 levels deep.
const INTROSPECTION_QUERY: &str = "query IntrospectionQuery { __schema {
  queryType { name kind } mutationType { name kind } subscriptionType { name kind }
  types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef }
    isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { name kind ofType { name kind ofType { name kind
  ofType { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name kind
  ofType { name kind } } } } } } } } } }";

#[tokio::test]
async fn the_introspection_query_of_graphql_tools_is_answered() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;

    let (status, _, body) = post(&app, MODERN, json!({ "query": INTROSPECTION_QUERY })).await?;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Campaign"));
    app.stop().await
}
