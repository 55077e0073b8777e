//! Privacy in results: small groups and the groups that would give them
//! away by subtraction show no figures in GraphQL, in the report page or
//! in the exports; anonymous campaigns keep nothing that leads back to a
//! person, and anonymity cannot be lifted once answers exist.

use entities::{Role, invitation, response};
use reqwest::multipart::{Form, Part};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{self, CampaignSpec};

/// Twelve respondents: six in the north, four in the east, two in the
/// south. With a minimum group of 3 the south is hidden, and the east with
/// it: the overall figures less the north's and the east's would give the
/// south's. In the north only two answered `s2`: too few for its mean.
const ANSWERS: &str = "id,a,b,site\n\
    1,3,1,north\n2,3,2,north\n3,3,,north\n4,3,,north\n5,3,,north\n6,3,,north\n\
    7,5,4,east\n8,5,4,east\n9,5,4,east\n10,4,4,east\n\
    11,1,5,south\n12,2,5,south\n";

/// Imports `csv` (columns `id`, `a` → s1, `b` → s2, then `attributes`),
/// with the respondent column or without; returns the response body.
async fn import_csv(
    app: &TestApp,
    token: &str,
    campaign: &str,
    csv: &str,
    attributes: &[&str],
    with_ids: bool,
) -> anyhow::Result<Value> {
    let attributes: Vec<Value> = attributes
        .iter()
        .map(|a| json!({ "column": a, "name": a }))
        .collect();
    let operations = json!({
        "query": "mutation($input: ImportResponsesInput!) { importResponses(input: $input) { imported } }",
        "variables": { "input": {
            "campaignId": campaign, "file": null,
            "respondentColumn": if with_ids { json!("id") } else { Value::Null },
            "columns": [{ "column": "a", "item": "s1" }, { "column": "b", "item": "s2" }],
            "attributes": attributes
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

async fn import(
    app: &TestApp,
    token: &str,
    campaign: &str,
    with_ids: bool,
) -> anyhow::Result<Value> {
    import_csv(app, token, campaign, ANSWERS, &["site"], with_ids).await
}

#[tokio::test]
async fn a_small_group_and_the_group_that_would_reveal_it_show_no_figures_anywhere()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("priv", "admin@priv.test", Role::Admin).await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let campaign =
        fixtures::campaign(&app, &admin, &questionnaire, CampaignSpec::default()).await?;
    let imported = import(&app, &admin, &campaign, true).await?;
    assert_eq!(
        imported["data"]["importResponses"]["imported"], 12,
        "{imported}"
    );
    app.ok(
        "mutation($input: CampaignInput!) { generateReport(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    assert_eq!(app.jobs_done("generate_report", 1).await?, 0);

    let data = app
        .ok(
            r#"query($id: ID!) { node(id: $id) { ... on Campaign {
                results { items { code mean }
                  breakdowns { attribute groups { value n suppressed
                    scaleMeans { code n mean } itemMeans { code n mean } } } }
                reports(first: 1) { edges { node { id html } } } } } }"#,
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    let results = &data["node"]["results"];
    // The overall figures are there: 40 / 12 for s1.
    let s1 = results["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "s1")
        .unwrap();
    assert!((s1["mean"].as_f64().unwrap() - 40.0 / 12.0).abs() < 1e-9);

    let groups = results["breakdowns"][0]["groups"].as_array().unwrap();
    let group = |value: &str| groups.iter().find(|g| g["value"] == value).unwrap();
    for hidden in ["south", "east"] {
        let g = group(hidden);
        assert_eq!(g["suppressed"], true, "{hidden} must be hidden: {g}");
        assert_eq!(g["scaleMeans"], json!([]), "{hidden}");
        assert_eq!(g["itemMeans"], json!([]), "{hidden}");
    }
    let north = group("north");
    assert_eq!(north["suppressed"], false);
    let item = |code: &str| {
        north["itemMeans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(item("s1")["mean"], 3.0);
    // Two answers to s2 in the north: counted, not averaged.
    assert_eq!(item("s2")["n"], 2);
    assert!(item("s2")["mean"].is_null(), "{north}");

    // The report page: the east's mean of s1 (4.75) and the south's (1.5)
    // appear nowhere, nor the north's s2 (1.5).
    let html = data["node"]["reports"]["edges"][0]["node"]["html"]
        .as_str()
        .unwrap();
    assert!(html.contains("north"), "the breakdown is on the page");
    for figure in ["4.75", "1.50"] {
        assert!(!html.contains(figure), "the page shows {figure}");
    }

    // The exports: the same groups without figures.
    let id = campaign.as_str();
    let csv = app
        .http()
        .get(format!(
            "{}/exports/campaigns/{id}/results.csv?table=breakdowns",
            app.url
        ))
        .bearer_auth(&admin)
        .send()
        .await?
        .text()
        .await?;
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers()?.clone();
    let mean = header.iter().position(|h| h.ends_with("mean")).unwrap();
    let value = header.iter().position(|h| h == "group").unwrap();
    let mut seen = 0;
    for row in reader.records() {
        let row = row?;
        match &row[value] {
            "south" | "east" => {
                assert_eq!(&row[mean], "", "{row:?}");
                seen += 1;
            }
            // Scale S: s1 with s2 turned round, (4 + 3.5 + 3 × 4) / 6.
            "north" => assert_eq!(&row[mean], "3.25"),
            other => panic!("unexpected group {other}"),
        }
    }
    assert_eq!(seen, 2);
    app.stop().await
}

#[tokio::test]
async fn an_anonymous_campaign_keeps_no_link_to_the_respondent_and_stays_anonymous()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (admin, campaign, mail) = fixtures::launched(&app, &["en", "en"]).await?;
    let set = "mutation($i: SetCampaignAnonymityInput!) { setCampaignAnonymity(input: $i) { campaign { anonymity } } }";
    let anonymous = json!({ "i": { "campaignId": campaign, "anonymity": "ANONYMOUS" } });
    let done = app.ok(set, anonymous, Some(&admin)).await?;
    assert_eq!(
        done["setCampaignAnonymity"]["campaign"]["anonymity"],
        "ANONYMOUS"
    );

    let token = mail[0].token().unwrap();
    let submit = |t: &str| json!({ "input": { "token": t, "answers": fixtures::answers(4.0) } });
    let accepted = app.ok(fixtures::SUBMIT, submit(&token), None).await?;
    assert_eq!(accepted["submitResponse"]["accepted"], true);

    // Nothing stored leads back to the person or to when they answered.
    let opens_at = entities::campaign::Entity::find()
        .all(&app.state.db)
        .await?
        .into_iter()
        .find(|c| api::campaigns::global_id(c.id).0 == campaign)
        .unwrap()
        .opens_at;
    let stored = response::Entity::find().all(&app.state.db).await?;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].person_id, None);
    assert_eq!(stored[0].invitation_id, None);
    assert_eq!(stored[0].submitted_at, opens_at);
    assert_eq!(stored[0].digest, "");
    let answered: Vec<_> = invitation::Entity::find()
        .all(&app.state.db)
        .await?
        .into_iter()
        .filter_map(|i| i.responded_at)
        .collect();
    assert_eq!(
        answered,
        [opens_at],
        "the invitation knows it was used, not when"
    );

    // While the campaign is open its figures are held back: refreshed
    // answer by answer, they would give each answer away.
    assert_eq!(app.jobs_done("aggregate_campaign", 1).await?, 0);
    let figures = r#"query($id: ID!) { node(id: $id) { ... on Campaign {
        results { responses withheldUntilClose items { code n mean } } } } }"#;
    let open = app
        .ok(figures, json!({ "id": campaign }), Some(&admin))
        .await?;
    let results = &open["node"]["results"];
    assert_eq!(results["withheldUntilClose"], true);
    assert_eq!(results["responses"], 1);
    assert!(
        results["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["mean"].is_null())
    );

    // The link is spent, and the answers cannot be found again to change.
    assert_eq!(
        app.error_code(fixtures::SUBMIT, submit(&token), None)
            .await?,
        "CONFLICT"
    );
    // Anonymity cannot be lifted now, nor anything else changed.
    for anonymity in ["IDENTIFIED", "CONFIDENTIAL"] {
        let lift = json!({ "i": { "campaignId": campaign, "anonymity": anonymity } });
        assert_eq!(app.error_code(set, lift, Some(&admin)).await?, "CONFLICT");
    }
    // Imports cannot bring respondent references in.
    let imported = import(&app, &admin, &campaign, true).await?;
    assert_eq!(
        imported["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    let imported = import(&app, &admin, &campaign, false).await?;
    assert_eq!(
        imported["data"]["importResponses"]["imported"], 12,
        "{imported}"
    );
    assert!(
        response::Entity::find()
            .all(&app.state.db)
            .await?
            .iter()
            .all(|r| r.person_id.is_none() && r.external_ref.is_none()),
    );

    // Once closed, the figures are given.
    app.ok(
        "mutation($input: CampaignInput!) { closeCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    let closed = app
        .ok(figures, json!({ "id": campaign }), Some(&admin))
        .await?;
    let results = &closed["node"]["results"];
    assert_eq!(results["withheldUntilClose"], false);
    assert_eq!(results["responses"], 13);
    let s1 = results["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "s1")
        .unwrap();
    assert_eq!(s1["n"], 13);
    assert!(s1["mean"].is_number());

    // Another organisation cannot touch it.
    let stranger = app
        .account("south", "c@south.test", Role::Coordinator)
        .await?;
    let attempt = json!({ "i": { "campaignId": campaign, "anonymity": "IDENTIFIED" } });
    assert_eq!(
        app.error_code(set, attempt, Some(&stranger)).await?,
        "NOT_FOUND"
    );
    app.stop().await
}

/// Fifteen respondents in two breakdowns: sites A (7), B (6), C (2), and
/// cohorts X (the seven of A and one of B), Y (the other five of B) and
/// W (the two of C). Cohort X less site A is one person.
const TWO_BREAKDOWNS: &str = "id,a,b,site,cohort\n\
    1,5,1,A,X\n2,4,1,A,X\n3,4,2,A,X\n4,5,1,A,X\n5,4,1,A,X\n6,3,1,A,X\n7,4,1,A,X\n\
    8,1,5,B,X\n9,3,3,B,Y\n10,3,3,B,Y\n11,2,3,B,Y\n12,3,3,B,Y\n13,3,3,B,Y\n\
    14,2,2,C,W\n15,2,2,C,W\n";

#[tokio::test]
async fn a_group_that_holds_a_group_of_another_breakdown_but_for_a_few_is_hidden()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("priv", "admin@priv.test", Role::Admin).await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let spec = CampaignSpec {
        min_group_size: 5,
        ..Default::default()
    };
    let campaign = fixtures::campaign(&app, &admin, &questionnaire, spec).await?;
    let imported = import_csv(
        &app,
        &admin,
        &campaign,
        TWO_BREAKDOWNS,
        &["site", "cohort"],
        true,
    )
    .await?;
    assert_eq!(
        imported["data"]["importResponses"]["imported"], 15,
        "{imported}"
    );
    assert_eq!(app.jobs_done("aggregate_campaign", 1).await?, 0);
    let data = app
        .ok(
            r#"query($id: ID!) { node(id: $id) { ... on Campaign { results {
                breakdowns { attribute groups { value n suppressed itemMeans { code mean } } } } } } }"#,
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    let shown: Vec<String> = data["node"]["results"]["breakdowns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["groups"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["suppressed"] == false)
                .map(move |g| {
                    format!(
                        "{}={}",
                        b["attribute"].as_str().unwrap(),
                        g["value"].as_str().unwrap()
                    )
                })
        })
        .collect();
    // Site A stays; cohort X goes, since X's figures less A's would be
    // respondent 8's answers, and with it the rest of the cohorts.
    assert_eq!(shown, ["site=A"]);
    app.stop().await
}
