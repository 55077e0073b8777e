//! The pages people open from an email, through plain HTTP as a browser
//! without JavaScript would use them.

use chrono::{Duration, Utc};
use entities::{Role, invitation, report_share, response};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use tests::TestApp;
use worker::Job;

use crate::fixtures;

/// A browser that does not follow redirects, so each step can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The item ids of the fixture questionnaire, by code, read from the form.
fn field_names(page: &str) -> std::collections::HashMap<String, String> {
    let mut names = std::collections::HashMap::new();
    for (code, prompt) in [
        ("s1", "My tutor helps me"),
        ("s2", "I feel left alone"),
        ("mode", "Preferred mode"),
        ("topics", "Topics"),
        ("hours", "Hours per week"),
        ("nps", "Would you recommend"),
        ("comment", "Anything else"),
    ] {
        let at = page.find(prompt).expect(prompt);
        let rest = &page[at..];
        let start = rest.find("name=\"").unwrap() + 6;
        let name: String = rest[start..].chars().take_while(|c| *c != '"').collect();
        names.insert(code.to_owned(), name);
    }
    names
}

async fn responses(app: &TestApp) -> anyhow::Result<u64> {
    Ok(response::Entity::find().count(&app.state.db).await?)
}

#[tokio::test]
async fn the_form_saves_a_draft_shows_errors_in_the_readers_language_and_submits_once()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (admin, campaign, mail) = fixtures::launched(&app, &["fr"]).await?;
    let token = mail[0].token().unwrap();
    let url = format!("{}/respond/{token}", app.url);
    let web = browser();
    assert!(
        mail[0]
            .header("Subject")
            .unwrap()
            .contains("Votre avis compte")
    );
    assert!(mail[0].body().contains("Bonjour"));

    // The form: French, every item, no caching, no referrer, no scripts.
    let page = web.get(&url).send().await?;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(
        page.headers()["content-security-policy"]
            .to_str()?
            .contains("default-src 'none'")
    );
    let html = page.text().await?;
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("Envoyer mes réponses"));
    assert!(!html.contains("<script"));
    let names = field_names(&html);

    // Half done, with markup typed in: saved, then shown again as text.
    let saved = web
        .post(&url)
        .form(&[
            (names["s1"].as_str(), "4"),
            (names["topics"].as_str(), "maths"),
            (names["topics"].as_str(), "wellbeing"),
            (names["comment"].as_str(), "<b>later</b>"),
            ("action", "save"),
        ])
        .send()
        .await?;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved.headers()["location"],
        format!("/respond/{token}?saved=1").as_str()
    );
    let again = web
        .get(format!("{url}?saved=1"))
        .send()
        .await?
        .text()
        .await?;
    assert!(again.contains("Vos réponses sont enregistrées"));
    assert!(again.contains("value=\"4\" checked"));
    assert!(
        again.contains("value=\"maths\" checked") && again.contains("value=\"wellbeing\" checked")
    );
    assert!(again.contains("&lt;b&gt;later&lt;/b&gt;</textarea>"));
    assert!(!again.contains("<b>later</b>"));
    let form = app
        .ok(
            "query($t: String!) { respondentForm(token: $t) { draft { item text choices } draftSavedAt } }",
            json!({ "t": token }),
            None,
        )
        .await?;
    let draft = &form["respondentForm"]["draft"];
    assert!(
        draft.as_array().unwrap().contains(
            &json!({ "item": "topics", "text": null, "choices": ["maths", "wellbeing"] })
        )
    );

    // A wrong number is refused next to its field, in French; nothing is stored.
    let wrong = web
        .post(&url)
        .form(&[
            (names["s1"].as_str(), "4"),
            (names["s2"].as_str(), "2"),
            (names["hours"].as_str(), "beaucoup"),
            ("action", "submit"),
        ])
        .send()
        .await?;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = wrong.text().await?;
    let hours_id = names["hours"].trim_start_matches('i');
    let error_at = wrong
        .find(&format!("id=\"q-{hours_id}-error\""))
        .expect("an error next to the field");
    assert!(wrong[error_at..].starts_with(&format!(
        "id=\"q-{hours_id}-error\">Saisissez un nombre, par exemple 12 ou 2,5.</p>"
    )));
    assert!(wrong.contains("value=\"beaucoup\""));
    assert!(wrong.contains("<title>Erreur"));
    assert_eq!(responses(&app).await?, 0);

    // A body that is not a form is refused for what it is; nothing is lost.
    let json = web
        .post(&url)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await?;
    assert_eq!(json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let still = web.get(&url).send().await?.text().await?;
    assert!(
        still.contains("value=\"maths\" checked"),
        "the draft is intact"
    );

    // Every kind answered: stored once, the draft gone, a thank-you page.
    let answers = [
        (names["s1"].as_str(), "4"),
        (names["s2"].as_str(), "2"),
        (names["mode"].as_str(), "video"),
        (names["topics"].as_str(), "maths"),
        (names["topics"].as_str(), "method"),
        (names["hours"].as_str(), "2,5"),
        (names["nps"].as_str(), "9"),
        (names["comment"].as_str(), "Très bien"),
        ("action", "submit"),
    ];
    let sent = web.post(&url).form(&answers).send().await?;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let thanks = web
        .get(format!("{url}?done=1"))
        .send()
        .await?
        .text()
        .await?;
    assert!(thanks.contains("<h1>Merci</h1>"));
    assert_eq!(responses(&app).await?, 1);
    assert_eq!(
        entities::response_draft::Entity::find()
            .count(&app.state.db)
            .await?,
        0
    );
    let stored = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { responseCount } } }",
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    assert_eq!(stored["node"]["responseCount"], 1);

    // The link explains itself afterwards, and a second post stores nothing.
    let used = web.get(&url).send().await?.text().await?;
    assert!(used.contains("Vous avez déjà répondu"));
    let twice = web.post(&url).form(&answers).send().await?;
    assert_eq!(twice.status(), StatusCode::OK);
    assert!(twice.text().await?.contains("Vous avez déjà répondu"));
    assert_eq!(responses(&app).await?, 1);
    Ok(())
}

#[tokio::test]
async fn unknown_closed_and_unopened_links_explain_themselves() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (_, _, mail) = fixtures::launched(&app, &["en"]).await?;
    let web = browser();

    let unknown = web
        .get(format!("{}/respond/not-a-token", app.url))
        .header("accept-language", "fr-FR,fr;q=0.9")
        .send()
        .await?;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.text().await?.contains("Ce lien ne fonctionne pas"));

    let token = mail[0].token().unwrap();
    let url = format!("{}/respond/{token}", app.url);
    entities::campaign::Entity::update_many()
        .col_expr(
            entities::campaign::Column::OpensAt,
            Expr::value(Utc::now() + Duration::hours(2)),
        )
        .exec(&app.state.db)
        .await?;
    let early = web.get(&url).send().await?.text().await?;
    assert!(early.contains("This questionnaire is not open yet"));
    assert!(!early.contains("<form"));
    let too_early = web.post(&url).form(&[("action", "save")]).send().await?;
    assert_eq!(too_early.status(), StatusCode::CONFLICT);

    entities::campaign::Entity::update_many()
        .col_expr(
            entities::campaign::Column::OpensAt,
            Expr::value(Utc::now() - Duration::hours(2)),
        )
        .col_expr(
            entities::campaign::Column::ClosesAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .exec(&app.state.db)
        .await?;
    let closed = web.get(&url).send().await?;
    assert_eq!(closed.status(), StatusCode::GONE);
    assert!(
        closed
            .text()
            .await?
            .contains("This questionnaire is closed")
    );
    let late = web.post(&url).form(&[("action", "save")]).send().await?;
    assert_eq!(late.status(), StatusCode::GONE);
    assert_eq!(
        entities::response_draft::Entity::find()
            .count(&app.state.db)
            .await?,
        0
    );
    Ok(())
}

#[tokio::test]
async fn every_email_carries_a_one_click_unsubscribe_that_stops_the_reminders() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let (_, _, mail) = fixtures::launched(&app, &["en", "en"]).await?;
    let header = mail[0].header("List-Unsubscribe").unwrap();
    assert_eq!(
        mail[0].header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let link = header.trim_start_matches('<').trim_end_matches('>');
    assert!(link.starts_with(&format!("{}/unsubscribe/", app.env.settings.public_url)));
    assert!(
        mail[0].body().contains(link),
        "the link is also in the text"
    );
    let path = &link[link.find("/unsubscribe/").unwrap()..];
    let url = format!("{}{path}", app.url);
    let web = browser();

    // Opening the link only asks.
    let asked = web.get(&url).send().await?.text().await?;
    assert!(asked.contains("Stop the reminders"));
    assert!(asked.contains("Autumn check-in"));
    let opted_out = || async {
        invitation::Entity::find()
            .filter(invitation::Column::OptedOutAt.is_not_null())
            .count(&app.state.db)
            .await
    };
    assert_eq!(opted_out().await?, 0);

    // The mail client's one-click POST stops them; repeating changes nothing.
    for _ in 0..2 {
        let done = web
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await?;
        assert_eq!(done.status(), StatusCode::OK);
        assert!(done.text().await?.contains("Reminders stopped"));
    }
    assert_eq!(opted_out().await?, 1);

    // A token for one invitation does not open another, nor answer.
    let (id, mac) = path
        .trim_start_matches("/unsubscribe/")
        .split_once('.')
        .unwrap();
    let other: i64 = id.parse::<i64>()? + 1;
    let forged = web
        .post(format!("{}/unsubscribe/{other}.{mac}", app.url))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await?;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    let answer = web.get(format!("{}/respond/{mac}", app.url)).send().await?;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert_eq!(opted_out().await?, 1);

    // The next reminder goes to the other learner only.
    let due = Utc::now() + Duration::hours(72);
    app.state
        .enqueue(Job::ReminderSweep { at: due })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(app.jobs_done("reminder_sweep", 1).await?, 0);
    let reminders: Vec<_> = app.mail.messages().into_iter().skip(2).collect();
    assert_eq!(reminders.len(), 1);
    assert_ne!(reminders[0].recipients, mail[0].recipients);
    Ok(())
}

/// Answers the fixture questionnaire through GraphQL for each email.
async fn answer_all(app: &TestApp, mail: &[tests::smtp::Received]) -> anyhow::Result<()> {
    for (i, m) in mail.iter().enumerate() {
        let input = json!({ "input": { "token": m.token().unwrap(),
                            "answers": fixtures::answers(1.0 + i as f64) } });
        app.ok(fixtures::SUBMIT, input, None).await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_shared_report_link_counts_its_visits_and_ends_when_revoked_or_expired()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (admin, campaign, mail) = fixtures::launched(&app, &["en", "en", "en"]).await?;
    answer_all(&app, &mail).await?;
    app.ok(
        "mutation($input: CampaignInput!) { generateReport(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    assert_eq!(app.jobs_done("generate_report", 1).await?, 0);
    let reports = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { reports(first: 1) { edges { node { id } } } } } }",
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    let report = reports["node"]["reports"]["edges"][0]["node"]["id"].clone();
    let share = r#"mutation($input: ShareReportInput!) {
        shareReport(input: $input) { url share { id audience openCount active } } }"#;

    // Only coordinators share, only into the future.
    let observer = app
        .account("north", "observer@north.test", Role::Observer)
        .await?;
    let until = (Utc::now() + Duration::days(30)).to_rfc3339();
    let input =
        json!({ "input": { "reportId": report, "audience": "Funders", "expiresAt": until } });
    assert_eq!(
        app.error_code(share, input.clone(), Some(&observer))
            .await?,
        "FORBIDDEN"
    );
    let past = json!({ "input": { "reportId": report, "audience": "Funders",
                       "expiresAt": (Utc::now() - Duration::days(1)).to_rfc3339() } });
    assert_eq!(
        app.error_code(share, past, Some(&admin)).await?,
        "BAD_USER_INPUT"
    );
    let outsider = app
        .account("south", "coord@south.test", Role::Coordinator)
        .await?;
    assert_eq!(
        app.error_code(share, input.clone(), Some(&outsider))
            .await?,
        "NOT_FOUND"
    );

    let shared = app.ok(share, input, Some(&admin)).await?;
    let link = shared["shareReport"]["url"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&app.env.settings.public_url));
    let path = &link[link.find("/reports/shared/").unwrap()..];
    let url = format!("{}{path}", app.url);
    let web = browser();
    for _ in 0..2 {
        let page = web.get(&url).send().await?;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()["referrer-policy"], "no-referrer");
        let html = page.text().await?;
        assert!(html.contains("<h1>Autumn check-in</h1>"));
        assert!(html.contains("<svg") && html.contains("Answer distributions"));
    }
    let listed = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Report { shares { audience openCount firstOpenedAt active } } } }",
            json!({ "id": report }),
            Some(&admin),
        )
        .await?;
    let listed = &listed["node"]["shares"][0];
    assert_eq!(listed["openCount"], 2);
    // A link checker's HEAD shows the page but is not an opening.
    assert_eq!(web.head(&url).send().await?.status(), StatusCode::OK);
    let listed = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Report { shares { audience openCount firstOpenedAt active } } } }",
            json!({ "id": report }),
            Some(&admin),
        )
        .await?;
    let listed = &listed["node"]["shares"][0];
    assert_eq!(listed["openCount"], 2);
    assert!(listed["firstOpenedAt"].is_string());

    // Expired, then revoked: gone either way.
    report_share::Entity::update_many()
        .col_expr(
            report_share::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::seconds(1)),
        )
        .exec(&app.state.db)
        .await?;
    let expired = web.get(&url).send().await?;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(expired.text().await?.contains("This link has expired"));
    let shared = app
        .ok(
            share,
            json!({ "input": { "reportId": report, "audience": "Board", "expiresAt": until } }),
            Some(&admin),
        )
        .await?;
    let second = shared["shareReport"]["url"].as_str().unwrap();
    let second = format!(
        "{}{}",
        app.url,
        &second[second.find("/reports/shared/").unwrap()..]
    );
    assert_eq!(web.get(&second).send().await?.status(), StatusCode::OK);
    app.ok(
        "mutation($input: RevokeReportShareInput!) { revokeReportShare(input: $input) { share { active revokedAt } } }",
        json!({ "input": { "shareId": shared["shareReport"]["share"]["id"] } }),
        Some(&admin),
    )
    .await?;
    let revoked = web.get(&second).send().await?;
    assert_eq!(revoked.status(), StatusCode::GONE);
    assert!(
        revoked
            .text()
            .await?
            .contains("<h1>This link has been withdrawn</h1>")
    );
    assert_eq!(
        web.get(format!("{}/reports/shared/nothing", app.url))
            .send()
            .await?
            .status(),
        StatusCode::NOT_FOUND
    );
    Ok(())
}
