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
    for (query, what) in [
        (bomb.as_str(), "fields"),
        (alias_bomb.as_str(), "aliases"),
        (too_deep.as_str(), "nested too deep"),
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
    app.stop().await
}
