//! Downloads of a campaign's figures and a report's tables as CSV and
//! XLSX: what they hold, and who may have them.

use calamine::Data;
use entities::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{self, CampaignSpec};

#[path = "../common/spreadsheets.rs"]
mod spreadsheets;

/// Four responses: three from the north, one from a site whose name a
/// spreadsheet would take for a formula, a group below the minimum of 3.
const ANSWERS: &str = "id,a,b,m,site\n\
    1,5,1,video,north\n\
    2,4,2,\"in person\",north\n\
    3,3,3,video,north\n\
    4,1,5,video,=south\n";

async fn import(app: &TestApp, token: &str, campaign: &str) -> anyhow::Result<Value> {
    let operations = json!({
        "query": "mutation($input: ImportResponsesInput!) { importResponses(input: $input) { imported } }",
        "variables": { "input": {
            "campaignId": campaign, "file": null, "respondentColumn": "id",
            "columns": [
                { "column": "a", "item": "s1" },
                { "column": "b", "item": "s2" },
                { "column": "m", "item": "mode" }
            ],
            "attributes": [{ "column": "site", "name": "site" }]
        }}
    });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.input.file"] }).to_string())
        .part(
            "0",
            Part::bytes(ANSWERS.as_bytes().to_vec())
                .file_name("answers.csv")
                .mime_str("text/csv")?,
        );
    let body: Value = app
        .http()
        .post(app.graphql_url())
        .bearer_auth(token)
        .header("Apollo-Require-Preflight", "true")
        .multipart(form)
        .send()
        .await?
        .json()
        .await?;
    Ok(body["data"]["importResponses"]["imported"].clone())
}

struct Download {
    status: StatusCode,
    content_type: String,
    disposition: String,
    body: Vec<u8>,
}

impl Download {
    fn error_code(&self) -> String {
        let body: Value = serde_json::from_slice(&self.body).unwrap_or_default();
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn download(app: &TestApp, path: &str, token: Option<&str>) -> anyhow::Result<Download> {
    let mut request = app.http().get(format!("{}{path}", app.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    Ok(Download {
        status: response.status(),
        content_type: header("content-type"),
        disposition: header("content-disposition"),
        body: response.bytes().await?.to_vec(),
    })
}

/// The value of `column` in each record after the header.
fn column(records: &[Vec<String>], name: &str) -> Vec<String> {
    let i = records[0].iter().position(|h| h == name).unwrap();
    records[1..].iter().map(|r| r[i].clone()).collect()
}

#[tokio::test]
async fn results_download_as_csv_and_xlsx_with_the_figures_graphql_shows() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app.account("exp", "admin@exp.test", Role::Admin).await?;
    let observer = app.account("exp", "obs@exp.test", Role::Observer).await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let campaign =
        fixtures::campaign(&app, &admin, &questionnaire, CampaignSpec::default()).await?;
    assert_eq!(import(&app, &admin, &campaign).await?, 4);
    assert_eq!(app.jobs_done("aggregate_campaign", 1).await?, 0);
    let results = app
        .ok(
            r#"query($id: ID!) { node(id: $id) { ... on Campaign { results {
                items { code n missing mean sd median }
                scales { code n mean alpha } } } } }"#,
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    let results = &results["node"]["results"];
    let base = format!("/exports/campaigns/{campaign}");

    let items = download(
        &app,
        &format!("{base}/results.csv?table=items"),
        Some(&observer),
    )
    .await?;
    let groups = download(
        &app,
        &format!("{base}/results.csv?table=breakdowns"),
        Some(&admin),
    )
    .await?;
    let workbook = download(&app, &format!("{base}/results.xlsx"), Some(&admin)).await?;
    let scales = download(
        &app,
        &format!("{base}/results.xlsx?table=scales"),
        Some(&admin),
    )
    .await?;

    assert_eq!(items.status, StatusCode::OK, "{}", app.env.backend());
    assert_eq!(
        items.content_type,
        "text/csv; charset=utf-8; header=present"
    );
    assert_eq!(
        items.disposition,
        "attachment; filename=\"autumn-check-in-items.csv\""
    );
    let records = spreadsheets::read_csv(&items.body)?;
    assert_eq!(column(&records, "code")[..2], ["s1", "s2"]);
    // s1: 5, 4, 3, 1 → mean 13/4, median 3.5.
    assert_eq!(column(&records, "mean")[0], "3.25");
    assert_eq!(column(&records, "median")[0], "3.5");
    for (i, item) in results["items"].as_array().unwrap().iter().enumerate() {
        let record = &records[i + 1];
        assert_eq!(record[0], item["code"].as_str().unwrap());
        assert_eq!(record[3], item["n"].to_string());
        assert_eq!(record[4], item["missing"].to_string());
        for (at, figure) in [(5, "mean"), (6, "sd"), (9, "median")] {
            assert_eq!(
                record[at].parse::<f64>().ok(),
                item[figure].as_f64(),
                "{item}"
            );
        }
    }

    // The site of one keeps its count and shows no mean; its name cannot
    // run as a formula. North is hidden with it: the overall mean less
    // north's would give the lone answer away.
    let groups = spreadsheets::read_csv(&groups.body)?;
    assert_eq!(
        groups[0],
        ["attribute", "group", "n", "suppressed", "S mean"]
    );
    assert_eq!(groups[1], ["site", "'=south", "1", "yes", ""]);
    assert_eq!(groups[2], ["site", "north", "3", "yes", ""]);

    assert_eq!(workbook.status, StatusCode::OK);
    assert_eq!(
        workbook.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        workbook.disposition,
        "attachment; filename=\"autumn-check-in.xlsx\""
    );
    let sheets = spreadsheets::read_xlsx(workbook.body)?;
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["overview", "items", "distributions", "scales", "breakdowns"]
    );
    assert!(sheets.iter().all(|s| !s.has_formulas));
    assert_eq!(
        scales.disposition,
        "attachment; filename=\"autumn-check-in-scales.xlsx\""
    );
    let only = spreadsheets::read_xlsx(scales.body)?;
    assert_eq!((only.len(), only[0].name.as_str()), (1, "scales"));
    assert_eq!(only[0].rows, sheets[3].rows);
    assert_eq!(sheets[1].rows[1][5], Data::Float(3.25));
    let scale_mean = results["scales"][0]["mean"].as_f64().unwrap();
    assert_eq!(sheets[3].rows[1][3], Data::Float(scale_mean));
    assert_eq!(
        sheets[4].rows[1],
        [
            Data::String("site".into()),
            Data::String("=south".into()),
            Data::Float(1.0),
            Data::String("yes".into()),
            Data::Empty,
        ]
    );
    app.stop().await
}

#[tokio::test]
async fn exports_need_a_token_a_reading_role_and_the_campaigns_organisation() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let admin = app.account("exp", "admin@exp.test", Role::Admin).await?;
    let tutor = app.account("exp", "tutor@exp.test", Role::Tutor).await?;
    let stranger = app
        .account("other", "admin@other.test", Role::Admin)
        .await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let campaign =
        fixtures::campaign(&app, &admin, &questionnaire, CampaignSpec::default()).await?;
    let base = format!("/exports/campaigns/{campaign}");
    let csv = format!("{base}/results.csv?table=items");

    // Before any aggregation there is nothing to export.
    let early = download(&app, &csv, Some(&admin)).await?;
    assert_eq!(import(&app, &admin, &campaign).await?, 4);
    assert_eq!(app.jobs_done("aggregate_campaign", 1).await?, 0);
    let anonymous = download(&app, &csv, None).await?;
    let forged = download(&app, &csv, Some("not-a-token")).await?;
    let tutor = download(&app, &csv, Some(&tutor)).await?;
    let elsewhere = download(&app, &csv, Some(&stranger)).await?;
    let elsewhere_xlsx = download(&app, &format!("{base}/results.xlsx"), Some(&stranger)).await?;
    let unknown_table = download(
        &app,
        &format!("{base}/results.csv?table=answers"),
        Some(&admin),
    )
    .await?;
    let no_table = download(&app, &format!("{base}/results.csv"), Some(&admin)).await?;
    let unknown_format = download(&app, &format!("{base}/results.pdf"), Some(&admin)).await?;
    let missing_id = api::ids::encode("Campaign", 999_999).0;
    let missing = download(
        &app,
        &format!("/exports/campaigns/{missing_id}/results.xlsx"),
        Some(&admin),
    )
    .await?;
    let garbage = download(&app, "/exports/campaigns/%25%25/results.xlsx", Some(&admin)).await?;
    let allowed = download(&app, &csv, Some(&admin)).await?;

    let outcome = |d: &Download| (d.status, d.error_code());
    let refused = |status, code: &str| (status, code.to_owned());
    assert_eq!(outcome(&early), refused(StatusCode::NOT_FOUND, "NOT_FOUND"));
    assert_eq!(
        outcome(&anonymous),
        refused(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );
    assert_eq!(
        outcome(&forged),
        refused(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );
    assert_eq!(outcome(&tutor), refused(StatusCode::FORBIDDEN, "FORBIDDEN"));
    assert_eq!(
        outcome(&elsewhere),
        refused(StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert_eq!(
        outcome(&elsewhere_xlsx),
        refused(StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert_eq!(
        outcome(&missing),
        refused(StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert_eq!(
        elsewhere.body, missing.body,
        "another organisation's campaign looks like none"
    );
    assert_eq!(
        outcome(&garbage),
        refused(StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert_eq!(
        outcome(&unknown_table),
        refused(StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert_eq!(
        outcome(&unknown_format),
        refused(StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert_eq!(
        outcome(&no_table),
        refused(StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    assert_eq!(allowed.status, StatusCode::OK);
    assert!(anonymous.content_type.starts_with("application/json"));
    app.stop().await
}

#[tokio::test]
async fn a_reports_tables_download_with_its_recommendations() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("exp", "admin@exp.test", Role::Coordinator)
        .await?;
    let stranger = app
        .account("other", "admin@other.test", Role::Admin)
        .await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let campaign =
        fixtures::campaign(&app, &admin, &questionnaire, CampaignSpec::default()).await?;
    assert_eq!(import(&app, &admin, &campaign).await?, 4);
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
                reports(first: 1) { edges { node { id recommendations { rule } } } } } } }"#,
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    let report = &data["node"]["reports"]["edges"][0]["node"];
    let base = format!("/exports/reports/{}", report["id"].as_str().unwrap());

    let csv = download(
        &app,
        &format!("{base}/report.csv?table=recommendations"),
        Some(&admin),
    )
    .await?;
    let workbook = download(&app, &format!("{base}/report.xlsx"), Some(&admin)).await?;
    let elsewhere = download(&app, &format!("{base}/report.xlsx"), Some(&stranger)).await?;

    assert_eq!(csv.status, StatusCode::OK, "{}", app.env.backend());
    assert_eq!(
        csv.disposition,
        "attachment; filename=\"autumn-check-in-report-v1-recommendations.csv\""
    );
    let records = spreadsheets::read_csv(&csv.body)?;
    let rules: Vec<Value> = report["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].clone())
        .collect();
    assert!(!rules.is_empty());
    assert_eq!(
        records[0],
        ["priority", "rule", "subject", "text", "evidence"]
    );
    assert_eq!(
        column(&records, "rule")
            .into_iter()
            .map(Value::from)
            .collect::<Vec<_>>(),
        rules
    );
    let sheets = spreadsheets::read_xlsx(workbook.body)?;
    assert_eq!(sheets.len(), 6);
    assert_eq!(sheets[5].name, "recommendations");
    assert_eq!(sheets[5].rows.len(), rules.len() + 1);
    assert_eq!(
        (elsewhere.status, elsewhere.error_code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND".to_owned())
    );
    app.stop().await
}
