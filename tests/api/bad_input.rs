//! Bad input gets a clear error with a stable code, and stores nothing.

use chrono::{Duration, Utc};
use entities::{Role, campaign};
use reqwest::multipart::{Form, Part};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{self, CampaignSpec, SUBMIT};

const IMPORT: &str = r#"mutation($input: ImportResponsesInput!) {
    importResponses(input: $input) { imported campaign { responseCount } }
}"#;

/// Sends an import as a GraphQL multipart request.
async fn import(
    app: &TestApp,
    token: &str,
    campaign: &str,
    csv: &str,
    columns: Value,
) -> anyhow::Result<Value> {
    let operations = json!({
        "query": IMPORT,
        "variables": { "input": {
            "campaignId": campaign, "file": null, "respondentColumn": "id",
            "columns": columns, "attributes": [{ "column": "group", "name": "group" }]
        }}
    });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.input.file"] }).to_string())
        .part(
            "0",
            Part::bytes(csv.as_bytes().to_vec())
                .file_name("answers.csv")
                .mime_str("text/csv")?,
        );
    Ok(app
        .http()
        .post(app.graphql_url())
        .bearer_auth(token)
        .header("Apollo-Require-Preflight", "true")
        .multipart(form)
        .send()
        .await?
        .json()
        .await?)
}

fn likert_columns() -> Value {
    json!([{ "column": "a", "item": "s1" }, { "column": "b", "item": "s2" }])
}

async fn response_count(app: &TestApp, token: &str, campaign: &str) -> anyhow::Result<Value> {
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { responseCount } } }",
            json!({ "id": campaign }),
            Some(token),
        )
        .await?;
    Ok(data["node"]["responseCount"].clone())
}

#[tokio::test]
async fn a_bad_file_imports_nothing_and_names_the_row_and_column() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("imp", "coord@imp.test", Role::Coordinator)
        .await?;
    let q = fixtures::questionnaire(&app, &admin).await?;
    let c = fixtures::campaign(&app, &admin, &q, CampaignSpec::default()).await?;

    let out_of_range = import(
        &app,
        &admin,
        &c,
        "id,a,b,group\n1,4,2,x\n2,9,1,y\n",
        likert_columns(),
    )
    .await?;
    let ragged = import(
        &app,
        &admin,
        &c,
        "id,a,b,group\n1,4,2,x\n2,3\n",
        likert_columns(),
    )
    .await?;
    let unknown_item = import(
        &app,
        &admin,
        &c,
        "id,a,b,group\n1,4,2,x\n",
        json!([{ "column": "a", "item": "zz" }]),
    )
    .await?;
    let unknown_column = import(
        &app,
        &admin,
        &c,
        "id,a,b,group\n1,4,2,x\n",
        json!([{ "column": "q", "item": "s1" }]),
    )
    .await?;

    let problem = &out_of_range["errors"][0]["extensions"]["problems"][0];
    assert_eq!(
        out_of_range["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        (problem["row"].clone(), problem["field"].clone()),
        (json!(2), json!("a"))
    );
    assert!(
        out_of_range["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("row 2, column a")
    );
    assert_eq!(ragged["errors"][0]["extensions"]["problems"][0]["row"], 2);
    assert!(
        unknown_item["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`zz`")
    );
    assert_eq!(
        unknown_column["errors"][0]["extensions"]["problems"][0]["field"],
        "q"
    );
    assert_eq!(response_count(&app, &admin, &c).await?, 0);

    // The same file, corrected, goes in whole; an empty cell stays missing.
    let good = import(
        &app,
        &admin,
        &c,
        "id,a,b,group\n1,4,2,x\n2,5,,y\n",
        likert_columns(),
    )
    .await?;
    assert_eq!(good["data"]["importResponses"]["imported"], 2, "{good}");
    assert_eq!(response_count(&app, &admin, &c).await?, 2);
    app.stop().await
}

#[tokio::test]
async fn submissions_with_bad_answers_unknown_links_or_after_closing_are_refused()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("sub", "coord@sub.test", Role::Admin).await?;
    let q = fixtures::questionnaire(&app, &admin).await?;
    let c = fixtures::campaign(&app, &admin, &q, CampaignSpec::default()).await?;
    let people = fixtures::learners(&app, &admin, &["x@sub.test"]).await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": c, "personIds": people } }),
        Some(&admin),
    )
    .await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": c } }),
        Some(&admin),
    )
    .await?;
    app.jobs_done("send_invitations", 1).await?;
    let token = app.mail.messages()[0].token().unwrap();
    let submit =
        |answers: Value, token: &str| json!({ "input": { "token": token, "answers": answers } });

    let unknown_token = app
        .error_code(SUBMIT, submit(fixtures::answers(3.0), "not-a-token"), None)
        .await?;
    let unknown_item = app
        .error_code(
            SUBMIT,
            submit(json!([{ "item": "nope", "number": 1 }]), &token),
            None,
        )
        .await?;
    let out_of_range = app
        .error_code(
            SUBMIT,
            submit(json!([{ "item": "s1", "number": 6 }]), &token),
            None,
        )
        .await?;
    let wrong_kind = app
        .error_code(
            SUBMIT,
            submit(json!([{ "item": "mode", "number": 1 }]), &token),
            None,
        )
        .await?;
    let bad_choice = app
        .error_code(
            SUBMIT,
            submit(json!([{ "item": "topics", "choices": ["x"] }]), &token),
            None,
        )
        .await?;
    assert_eq!(unknown_token, "NOT_FOUND");
    for code in [unknown_item, out_of_range, wrong_kind, bad_choice] {
        assert_eq!(code, "BAD_USER_INPUT");
    }
    assert_eq!(
        response_count(&app, &admin, &c).await?,
        0,
        "a refused submission stores nothing"
    );

    // Once the campaign has closed, even a valid answer is refused.
    let id = api::ids::decode(&api::ids::ID(c.clone()), "Campaign")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    campaign::Entity::update(campaign::ActiveModel {
        id: Set(id),
        closes_at: Set(Utc::now() - Duration::minutes(1)),
        ..Default::default()
    })
    .exec(&app.state.db)
    .await?;
    let closed = app
        .error_code(SUBMIT, submit(fixtures::answers(3.0), &token), None)
        .await?;
    assert_eq!(closed, "CONFLICT");
    assert_eq!(response_count(&app, &admin, &c).await?, 0);
    app.stop().await
}

#[tokio::test]
async fn invalid_designs_are_refused_with_every_problem_listed() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("des", "coord@des.test", Role::Admin).await?;
    let q = fixtures::questionnaire(&app, &admin).await?;

    let bad_questionnaire = app
        .post(
            "mutation($input: CreateQuestionnaireInput!) { createQuestionnaire(input: $input) { questionnaire { id } } }",
            json!({ "input": { "key": "bad", "title": "Bad", "audience": "TUTORS", "items": [
                { "code": "a", "prompt": "Likert without points", "kind": "LIKERT" },
                { "code": "a", "prompt": "Twice the same code", "kind": "NPS" },
                { "code": "c", "prompt": "One option", "kind": "SINGLE_CHOICE", "labels": ["only"] },
                { "code": "d", "prompt": "No such scale", "kind": "FREE_TEXT", "scale": "Z" }
            ]}}),
            Some(&admin),
        )
        .await?;
    let spec = CampaignSpec {
        offsets: vec![24 * 30],
        min_group_size: 0,
        ..CampaignSpec::default()
    };
    let bad_campaign = app
        .post(
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } } }",
            json!({ "input": {
                "questionnaireId": q, "name": " ",
                "opensAt": spec.opens_at.to_rfc3339(), "closesAt": spec.closes_at.to_rfc3339(),
                "reminderOffsetsHours": spec.offsets, "minGroupSize": spec.min_group_size
            }}),
            Some(&admin),
        )
        .await?;

    assert_eq!(
        bad_questionnaire["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        bad_questionnaire["errors"][0]["extensions"]["problems"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let fields: Vec<&str> = bad_campaign["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "reminderOffsetsHours[0]", "minGroupSize"]);
    let listed = app
        .ok(
            "{ questionnaires { edges { node { key } } } campaigns { edges { node { id } } } }",
            json!({}),
            Some(&admin),
        )
        .await?;
    assert_eq!(
        listed["questionnaires"]["edges"].as_array().unwrap().len(),
        1
    );
    assert_eq!(listed["campaigns"]["edges"].as_array().unwrap().len(), 0);
    app.stop().await
}

#[tokio::test]
async fn roles_and_tenants_bound_every_resolver() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("one", "admin@one.test", Role::Admin).await?;
    let observer = app
        .account("one", "observer@one.test", Role::Observer)
        .await?;
    let stranger = app.account("two", "admin@two.test", Role::Admin).await?;
    let q = fixtures::questionnaire(&app, &admin).await?;
    let c = fixtures::campaign(&app, &admin, &q, CampaignSpec::default()).await?;
    let node = "query($id: ID!) { node(id: $id) { id } }";
    let launch =
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }";

    assert_eq!(
        app.error_code("{ campaigns { edges { node { id } } } }", json!({}), None)
            .await?,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.ok(node, json!({ "id": c }), Some(&observer)).await?["node"]["id"],
        json!(c)
    );
    assert_eq!(
        app.error_code(
            launch,
            json!({ "input": { "campaignId": c } }),
            Some(&observer)
        )
        .await?,
        "FORBIDDEN"
    );
    assert_eq!(
        app.ok(node, json!({ "id": c }), Some(&stranger)).await?["node"],
        Value::Null
    );
    assert_eq!(
        app.error_code(
            launch,
            json!({ "input": { "campaignId": c } }),
            Some(&stranger)
        )
        .await?,
        "NOT_FOUND"
    );
    let invitations = "query($id: ID!) { node(id: $id) { ... on Campaign { invitations { edges { node { id } } } } } }";
    assert_eq!(
        app.error_code(invitations, json!({ "id": c }), Some(&observer))
            .await?,
        "FORBIDDEN"
    );
    let theirs = app
        .ok(
            "{ campaigns { edges { node { id } } } }",
            json!({}),
            Some(&stranger),
        )
        .await?;
    assert_eq!(theirs["campaigns"]["edges"], json!([]));

    // Wrong password and unknown address get the same answer.
    let sign_in = "mutation($e: String!) { signIn(input: {email: $e, password: \"wrong password\"}) { token } }";
    let wrong = app
        .post(sign_in, json!({ "e": "admin@one.test" }), None)
        .await?;
    let unknown = app
        .post(sign_in, json!({ "e": "nobody@one.test" }), None)
        .await?;
    assert_eq!(wrong["errors"], unknown["errors"]);
    app.stop().await
}

#[tokio::test]
async fn the_http_layer_refuses_csrf_shapes_deep_queries_and_bad_tokens() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("web", "admin@web.test", Role::Admin).await?;
    let http = app.http();
    let mutation = "mutation { signIn(input: {email: \"a@b.c\", password: \"x\"}) { token } }";

    let by_get = http
        .get(app.graphql_url())
        .query(&[("query", mutation)])
        .send()
        .await?;
    let as_text = http
        .post(app.graphql_url())
        .header("content-type", "text/plain")
        .body(json!({ "query": mutation }).to_string())
        .send()
        .await?;
    let form = reqwest::multipart::Form::new()
        .text("operations", json!({ "query": mutation }).to_string())
        .text("map", "{}");
    let bare_multipart = http.post(app.graphql_url()).multipart(form).send().await?;
    let bad_token = http
        .post(app.graphql_url())
        .bearer_auth("forged")
        .json(&json!({ "query": "{ viewer { email } }" }))
        .send()
        .await?;
    let query_by_get = http
        .get(app.graphql_url())
        .query(&[("query", "{ viewer { email } }")])
        .bearer_auth(&admin)
        .send()
        .await?;

    assert_eq!(by_get.status(), 405);
    assert_eq!(as_text.status(), 415);
    assert_eq!(bare_multipart.status(), 400);
    assert_eq!(bad_token.status(), 401);
    assert_eq!(query_by_get.status(), 200);

    let mut nested = String::from("name");
    for _ in 0..12 {
        nested = format!("ofType {{ {nested} }}");
    }
    let too_deep = format!("{{ __schema {{ types {{ fields {{ type {{ {nested} }} }} }} }} }}");
    let body = app.post(&too_deep, json!({}), Some(&admin)).await?;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
    let syntax = app
        .error_code("{ viewer { ", json!({}), Some(&admin))
        .await?;
    assert_eq!(syntax, "BAD_USER_INPUT");
    app.stop().await
}

#[tokio::test]
async fn abusive_requests_are_refused_with_a_code_and_no_crash() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("abuse", "admin@abuse.test", Role::Admin)
        .await?;
    let q = fixtures::questionnaire(&app, &admin).await?;

    // An offset far past any date is an input error, not a crash.
    let now = Utc::now();
    let far = app
        .error_code(
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } } }",
            json!({ "input": { "questionnaireId": q, "name": "Far", "opensAt": now.to_rfc3339(),
                "closesAt": (now + Duration::days(3)).to_rfc3339(), "reminderOffsetsHours": [1_000_000_000_000i64] } }),
            Some(&admin),
        )
        .await?;
    assert_eq!(far, "BAD_USER_INPUT");

    // One sign-in per request, however many aliases or batched operations.
    let aliases = app
        .post(
            r#"mutation { a: signIn(input: {email: "admin@abuse.test", password: "guess one"}) { token }
                          b: signIn(input: {email: "admin@abuse.test", password: "correct horse battery"}) { token } }"#,
            json!({}),
            None,
        )
        .await?;
    let codes: Vec<&str> = aliases["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert!(codes.contains(&"RATE_LIMITED"), "{aliases}");
    assert!(
        aliases["data"].is_null()
            || aliases["data"]["b"].is_null()
            || aliases["data"]["a"].is_null()
    );
    let batch: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let too_many = app
        .http()
        .post(app.graphql_url())
        .json(&batch)
        .send()
        .await?;
    assert_eq!(too_many.status(), 400);
    for odd in [json!([]), json!(["{ __typename }"]), json!([[]])] {
        let answer = app.http().post(app.graphql_url()).json(&odd).send().await?;
        assert_eq!(answer.status(), 400, "{odd}");
        let answer: Value = answer.json().await?;
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("a batch holds 1 to 10 operations"),
            "{answer}"
        );
    }
    // A request without a document is told so in our words, not the parser's.
    for empty in [
        json!({}),
        json!({ "query": "" }),
        json!({ "query": "  \n " }),
    ] {
        let answer = app
            .http()
            .post(app.graphql_url())
            .header("accept", "application/graphql-response+json")
            .json(&empty)
            .send()
            .await?;
        assert_eq!(answer.status(), 400, "{empty}");
        let answer: Value = answer.json().await?;
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(
            answer["errors"][0]["message"],
            "the request has no query: send the GraphQL document to run as `query`",
            "{empty}"
        );
        assert!(answer.get("data").is_none(), "{answer}");
    }

    // Lists cost their page size: a query asking for millions of rows is refused before it runs.
    let bomb: String = (0..20)
        .map(|i| format!("a{i}: campaigns(first: 100) {{ edges {{ node {{ reports(first: 100) {{ edges {{ node {{ html }} }} }} }} }} }}"))
        .collect();
    let body = app
        .post(&format!("{{ {bomb} }}"), json!({}), Some(&admin))
        .await?;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("complex") && message.contains("at most 2000"),
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(body["data"].is_null());

    // Large but legitimate inputs work; too large ones are refused by name.
    let items = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "code": format!("q{i}"), "prompt": "How much?", "kind": "NPS" }))
            .collect()
    };
    let create = "mutation($input: CreateQuestionnaireInput!) { createQuestionnaire(input: $input) { questionnaire { items { code } } } }";
    let big = app.ok(create, json!({ "input": { "key": "big", "title": "Big", "audience": "LEARNERS", "items": items(900) } }), Some(&admin)).await?;
    assert_eq!(
        big["createQuestionnaire"]["questionnaire"]["items"]
            .as_array()
            .unwrap()
            .len(),
        900
    );
    let huge = app.post(create, json!({ "input": { "key": "huge", "title": "Huge", "audience": "LEARNERS", "items": items(1001) } }), Some(&admin)).await?;
    assert_eq!(
        huge["errors"][0]["extensions"]["problems"][0]["field"],
        "items"
    );
    let c = fixtures::campaign(&app, &admin, &q, CampaignSpec::default()).await?;
    let mut people = Vec::new();
    for batch in 0..2 {
        let emails: Vec<String> = (0..700)
            .map(|i| format!("p{batch}-{i}@abuse.test"))
            .collect();
        let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
        people.extend(fixtures::learners(&app, &admin, &emails).await?);
    }
    // Given last first, one of them twice: invited once each, and listed
    // in the order given.
    people.reverse();
    let mut given = people.clone();
    given.push(people[1].clone());
    let invited = app
        .ok(
            "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
            json!({ "input": { "campaignId": c, "personIds": given } }),
            Some(&admin),
        )
        .await?;
    assert_eq!(invited["inviteToCampaign"]["invited"], 1400);
    let listed = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign {
               invitations(first: 100) { edges { node { person { id } } } } } } }",
            json!({ "id": c }),
            Some(&admin),
        )
        .await?;
    let listed: Vec<&str> = listed["node"]["invitations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["node"]["person"]["id"].as_str())
        .collect();
    assert_eq!(listed, people[..100]);
    app.stop().await
}

#[tokio::test]
async fn ambiguous_files_are_refused_rather_than_guessed() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("amb", "coord@amb.test", Role::Coordinator)
        .await?;
    let q = fixtures::questionnaire(&app, &admin).await?;
    let c = fixtures::campaign(&app, &admin, &q, CampaignSpec::default()).await?;

    let twice = import(
        &app,
        &admin,
        &c,
        "id,a,a,group\n1,4,2,x\n",
        likert_columns(),
    )
    .await?;
    let one_item = import(
        &app,
        &admin,
        &c,
        "id,a,b,group\n1,4,2,x\n",
        json!([{ "column": "a", "item": "s1" }, { "column": "b", "item": "s1" }]),
    )
    .await?;
    let many_bad = {
        let rows: String = (0..120).map(|i| format!("{i},9,9,x\n")).collect();
        import(
            &app,
            &admin,
            &c,
            &format!("id,a,b,group\n{rows}"),
            likert_columns(),
        )
        .await?
    };

    assert_eq!(
        twice["errors"][0]["extensions"]["problems"][0]["field"],
        "a"
    );
    assert!(
        one_item["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("two columns")
    );
    let message = many_bad["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("240 problems"), "{message}");
    assert_eq!(
        many_bad["errors"][0]["extensions"]["problems"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
    assert_eq!(response_count(&app, &admin, &c).await?, 0);
    app.stop().await
}
