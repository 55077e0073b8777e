//! Dissemination plans: each audience member gets one email on the plan's
//! date, with a personal link that counts its openings and ends when it
//! expires; nothing is sent twice, nothing before the date, and nothing
//! crosses organisations.

use anyhow::Context as _;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use entities::{
    Audience, EmailStatus, Role, campaign, dissemination_audience,
    dissemination_delivery as delivery, dissemination_plan, organisation, questionnaire, report,
};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::{Value, json};
use tests::TestApp;
use tests::smtp::Received;
use worker::dissemination::{Member, disseminate, record};
use worker::{Context, Job};

const CREATE: &str = r#"mutation($input: CreateDisseminationPlanInput!) {
    createDisseminationPlan(input: $input) { plan { id name status audiences { kind channel } } } }"#;

const PLAN: &str = r#"query($id: ID!) { node(id: $id) { ... on DisseminationPlan {
    status report { id }
    deliveryCounts { pending sent failed suppressed deferred opened }
    audiences { kind channel sentAt publicUrl publicLink { openCount expiresAt } }
    deliveries(first: 50) { edges { node {
        address name status sentAt firstOpenedAt openCount expiresAt person { id } } } } } } }"#;

const CANCEL: &str = r#"mutation($input: DisseminationPlanInput!) {
    cancelDisseminationPlan(input: $input) { plan { status cancelledAt } } }"#;

/// A version of a report of organisation `slug`, written straight to the
/// database: its global id.
async fn report_of(app: &TestApp, slug: &str, title: &str) -> anyhow::Result<String> {
    let db = &app.state.db;
    let org = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(slug))
        .one(db)
        .await?
        .unwrap();
    let now = Utc::now();
    let q = questionnaire::Entity::insert(questionnaire::ActiveModel {
        organisation_id: Set(org.id),
        key: Set("q".into()),
        version: Set(1),
        title: Set("Q".into()),
        description: Set(String::new()),
        audience: Set(Audience::Learners),
        locked_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let c = campaign::Entity::insert(campaign::ActiveModel {
        organisation_id: Set(org.id),
        questionnaire_id: Set(q.id),
        name: Set(title.into()),
        opens_at: Set(now - Duration::days(30)),
        closes_at: Set(now - Duration::days(1)),
        reminder_offsets_hours: Set(json!([])),
        min_group_size: Set(5),
        low_score_threshold: Set(0.5),
        launched_at: Set(Some(now - Duration::days(30))),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let r = report::Entity::insert(report::ActiveModel {
        organisation_id: Set(org.id),
        campaign_id: Set(c.id),
        version: Set(2),
        data: Set(json!({})),
        html: Set(format!("<!doctype html><h1>{title}</h1><p>Findings</p>")),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok(api::ids::encode("Report", r.id).0)
}

/// People of the caller's organisation: `(name, email, kind, language)`.
async fn people(
    app: &TestApp,
    token: &str,
    people: &[(&str, &str, &str, &str)],
) -> anyhow::Result<()> {
    let people: Vec<Value> = people
        .iter()
        .map(|(name, email, kind, language)| {
            let email = (!email.is_empty()).then_some(*email);
            json!({ "name": name, "email": email, "kind": kind, "language": language })
        })
        .collect();
    app.ok(
        "mutation($input: CreatePeopleInput!) { createPeople(input: $input) { people { id } } }",
        json!({ "input": { "people": people } }),
        Some(token),
    )
    .await?;
    Ok(())
}

/// The one audience of the database and its plan.
async fn only_audience(
    app: &TestApp,
) -> anyhow::Result<(dissemination_audience::Model, dissemination_plan::Model)> {
    let db = &app.state.db;
    let audience = dissemination_audience::Entity::find()
        .one(db)
        .await?
        .context("the audience")?;
    let plan = dissemination_plan::Entity::find_by_id(audience.plan_id)
        .one(db)
        .await?
        .context("the plan")?;
    Ok((audience, plan))
}

fn context(app: &TestApp) -> anyhow::Result<Context> {
    Context::new(
        &app.env.settings,
        app.state.db.clone(),
        app.state.tokens.clone(),
    )
}

/// The path of the report link in an email.
fn link(message: &Received) -> String {
    let body = message.body();
    let start = body.find("/reports/shared/").expect("a report link");
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
        .collect()
}

fn recipients(app: &TestApp) -> Vec<String> {
    let mut all: Vec<String> = app
        .mail
        .messages()
        .iter()
        .flat_map(|m| m.recipients.clone())
        .map(|r| r.trim_matches(['<', '>']).to_owned())
        .collect();
    all.sort();
    all
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

#[tokio::test]
async fn on_its_date_each_member_gets_one_email_whose_link_opens_the_report_once_counted()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Autumn results").await?;
    people(
        &app,
        &coordinator,
        &[
            ("Tess", "tess@north.test", "TUTOR", "en"),
            ("Théo", "theo@north.test", "TUTOR", "fr-FR"),
            ("No Mail", "", "TUTOR", "en"),
            ("Lea", "lea@north.test", "LEARNER", "en"),
        ],
    )
    .await?;
    // A tutor of another organisation is no member of north's audience.
    let south = app
        .account("south", "coord@south.test", Role::Coordinator)
        .await?;
    people(&app, &south, &[("Sam", "sam@south.test", "TUTOR", "en")]).await?;
    let send_at = Utc::now().trunc_subsecs(0) + Duration::hours(2);
    let audience = |kind: &str, channel: &str, recipients: Value| {
        json!({ "kind": kind, "channel": channel, "sendAt": rfc3339(send_at),
                "linkLifetimeDays": 30, "recipients": recipients })
    };
    let input = json!({ "input": { "name": "Autumn to the board", "reportId": report,
        "audiences": [
            audience("TUTORS", "EMAIL_LINK", json!([])),
            audience("FUNDERS", "EMAIL_LINK", json!([
                { "name": "Fund One", "email": "one@fund.test" },
                { "name": "Fund One again", "email": " ONE@fund.test " },
                { "name": "Fund Two", "email": "two@fund.test" }])),
            audience("COORDINATORS", "EMAIL_LINK", json!([])),
            audience("MANAGEMENT", "PUBLIC_LINK", json!([])),
        ] } });
    let created = app.ok(CREATE, input, Some(&coordinator)).await?;
    let plan = created["createDisseminationPlan"]["plan"].clone();
    assert_eq!(plan["status"], "SCHEDULED");
    let ctx = context(&app)?;

    // Before the date: nothing.
    let early = disseminate(&ctx, None, send_at - Duration::seconds(1)).await?;
    assert_eq!((early.audiences, early.sent), (0, 0));
    assert_eq!(app.mail.count(), 0);

    // On the date, twice at once as two workers would, then again.
    let (a, b) = tokio::join!(
        disseminate(&ctx, None, send_at),
        disseminate(&ctx, None, send_at)
    );
    let again = disseminate(&ctx, None, send_at + Duration::minutes(5)).await?;

    assert_eq!(a?.sent + b?.sent, 5);
    assert_eq!(again.sent, 0);
    assert_eq!(
        recipients(&app),
        [
            "coord@north.test",
            "one@fund.test",
            "tess@north.test",
            "theo@north.test",
            "two@fund.test"
        ]
    );
    let theo = app
        .mail
        .messages()
        .into_iter()
        .find(|m| m.recipients.iter().any(|r| r.contains("theo@")))
        .unwrap();
    assert!(theo.body().contains("Lire le rapport"), "in French");

    // Every link opens the report; each opening is counted, a HEAD is not.
    let web = reqwest::Client::new();
    let mut paths: Vec<String> = app.mail.messages().iter().map(link).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 5, "one personal link each");
    for path in &paths {
        let page = web.get(format!("{}{path}", app.url)).send().await?;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await?.contains("<h1>Autumn results</h1>"));
    }
    web.get(format!("{}{}", app.url, paths[0])).send().await?;
    web.head(format!("{}{}", app.url, paths[0])).send().await?;

    let read = app
        .ok(PLAN, json!({ "id": plan["id"] }), Some(&coordinator))
        .await?;
    let read = &read["node"];
    assert_eq!(read["status"], "SENT");
    assert_eq!(read["report"]["id"], report);
    assert_eq!(
        read["deliveryCounts"],
        json!({ "pending": 0, "sent": 5, "failed": 0, "suppressed": 0, "deferred": 0, "opened": 5 })
    );
    let deliveries: Vec<&Value> = read["deliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let mut counts: Vec<i64> = deliveries
        .iter()
        .map(|d| d["openCount"].as_i64().unwrap())
        .collect();
    counts.sort();
    assert_eq!(counts, [1, 1, 1, 1, 2]);
    assert!(deliveries.iter().all(|d| d["sentAt"].is_string()
        && d["firstOpenedAt"].is_string()
        && d["status"] == "SENT"));
    let tess = deliveries
        .iter()
        .find(|d| d["address"] == "tess@north.test")
        .unwrap();
    assert!(tess["person"]["id"].is_string());
    let expires: DateTime<Utc> = tess["expiresAt"].as_str().unwrap().parse()?;
    assert_eq!(expires, send_at + Duration::days(30));

    // The public link, made once on the date, opens the report too.
    let public = &read["audiences"][3];
    assert_eq!(public["channel"], "PUBLIC_LINK");
    let url = public["publicUrl"].as_str().unwrap();
    let path = &url[url.find("/reports/shared/").unwrap()..];
    let page = web.get(format!("{}{path}", app.url)).send().await?;
    assert_eq!(page.status(), StatusCode::OK);
    let read = app
        .ok(PLAN, json!({ "id": plan["id"] }), Some(&coordinator))
        .await?;
    assert_eq!(read["node"]["audiences"][3]["publicLink"]["openCount"], 1);
    assert_eq!(app.mail.count(), 5);
    app.stop().await
}

/// Senders recording one audience at the same moment each find the others'
/// rows, whichever unique index of the delivery sees the overlap first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_recording_an_audience_at_once_record_each_member_once() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Winter results").await?;
    let send_at = Utc::now().trunc_subsecs(0);
    let input = json!({ "input": { "name": "Winter to funders", "reportId": report,
        "audiences": [{ "kind": "FUNDERS", "channel": "EMAIL_LINK", "sendAt": rfc3339(send_at),
                        "linkLifetimeDays": 7,
                        "recipients": [{ "name": "Fund", "email": "fund@fund.test" }] }] } });
    app.ok(CREATE, input, Some(&coordinator)).await?;
    let db = &app.state.db;
    let (audience, plan) = only_audience(&app).await?;
    let members: Vec<Member> = (0..2)
        .map(|i| Member {
            key: format!("address:f{i}@fund.test"),
            name: format!("Funder {i}"),
            address: format!("f{i}@fund.test"),
            person_id: None,
            language: "en".into(),
            time_zone: "UTC".into(),
        })
        .collect();
    let ctx = context(&app)?;

    // Two statements meet only when they start within a few microseconds
    // of each other: it takes many tries.
    for _ in 0..1500 {
        delivery::Entity::delete_many().exec(db).await?;
        let senders = (0..8).map(|_| record(&ctx, &plan, &audience, &members, send_at));
        for recorded in futures::future::join_all(senders).await {
            recorded?;
        }
        assert_eq!(delivery::Entity::find().count(db).await?, 2);
    }
    app.stop().await
}

/// A sender that meets another's unfinished record of a member waits for
/// it to be committed, then keeps it.
#[tokio::test]
async fn a_sender_meeting_another_senders_record_of_a_member_keeps_it() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Winter results").await?;
    people(
        &app,
        &coordinator,
        &[
            ("Tess", "tess@north.test", "TUTOR", "en"),
            ("Tom", "tom@north.test", "TUTOR", "en"),
            ("Tia", "tia@north.test", "TUTOR", "en"),
        ],
    )
    .await?;
    let send_at = Utc::now().trunc_subsecs(0);
    let input = json!({ "input": { "name": "Winter to tutors", "reportId": report,
        "audiences": [{ "kind": "TUTORS", "channel": "EMAIL_LINK",
                        "sendAt": rfc3339(send_at), "linkLifetimeDays": 7 }] } });
    app.ok(CREATE, input, Some(&coordinator)).await?;
    let db = &app.state.db;
    let (audience, plan) = only_audience(&app).await?;
    let organisation_id = plan.organisation_id;
    let members = worker::dissemination::members(db, organisation_id, &audience).await?;
    assert_eq!(members.len(), 3);

    // Another sender has written its row for the first member and not
    // yet committed when this one records the audience.
    let other = db.begin().await?;
    let first = &members[0];
    delivery::Entity::insert(delivery::ActiveModel {
        organisation_id: Set(organisation_id),
        plan_id: Set(audience.plan_id),
        audience_id: Set(audience.id),
        member_key: Set(first.key.clone()),
        address: Set(first.address.clone()),
        name: Set(first.name.clone()),
        person_id: Set(first.person_id),
        language: Set(first.language.clone()),
        token_nonce: Set("another sender's nonce".into()),
        token_hash: Set("another sender's hash".into()),
        email_key: Set(worker::dissemination::email_key(audience.id, &first.key)),
        status: Set(EmailStatus::Pending),
        expires_at: Set(send_at + Duration::days(7)),
        created_at: Set(Utc::now()),
        open_count: Set(0),
        ..Default::default()
    })
    .exec_without_returning(&other)
    .await?;
    let ctx = context(&app)?;
    let sender = tokio::spawn(async move { disseminate(&ctx, None, send_at).await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    other.commit().await?;
    let sent = sender.await??;

    assert_eq!(sent.sent, 3, "the member of the other's row too");
    assert_eq!(
        recipients(&app),
        ["tess@north.test", "tia@north.test", "tom@north.test"]
    );
    let rows = delivery::Entity::find().all(db).await?;
    assert_eq!(rows.len(), 3);
    let kept = rows.iter().find(|d| d.member_key == first.key).unwrap();
    assert_eq!(kept.token_hash, "another sender's hash");
    app.stop().await
}

#[tokio::test]
async fn the_clock_fires_each_slot_once_and_a_second_run_of_the_job_sends_none()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Spring results").await?;
    people(
        &app,
        &coordinator,
        &[
            ("Lea", "lea@north.test", "LEARNER", "en"),
            ("Luc", "luc@north.test", "LEARNER", "fr"),
        ],
    )
    .await?;
    let input = json!({ "input": { "name": "Spring to learners", "reportId": report,
        "audiences": [{ "kind": "LEARNERS", "channel": "EMAIL_LINK",
                        "sendAt": rfc3339(Utc::now().trunc_subsecs(0)), "linkLifetimeDays": 7 }] } });
    app.ok(CREATE, input, Some(&coordinator)).await?;
    let ctx = context(&app)?;
    let slot = Utc::now();

    let first =
        worker::jobs::take_slot(&app.state.db, worker::jobs::DISSEMINATION_CLOCK, slot).await?;
    let second =
        worker::jobs::take_slot(&app.state.db, worker::jobs::DISSEMINATION_CLOCK, slot).await?;
    let job = Job::Disseminate {
        at: slot,
        plan_id: None,
    };
    let (x, y) = tokio::join!(
        worker::jobs::execute(&ctx, job.clone()),
        worker::jobs::execute(&ctx, job.clone())
    );
    let z = worker::jobs::execute(&ctx, job).await?;

    assert!(first && !second, "one worker takes the slot");
    assert_eq!(
        x?["sent"].as_u64().unwrap() + y?["sent"].as_u64().unwrap(),
        2
    );
    assert_eq!(z["sent"], 0);
    assert_eq!(recipients(&app), ["lea@north.test", "luc@north.test"]);
    app.stop().await
}

#[tokio::test]
async fn an_expired_or_revoked_link_is_gone_and_never_shows_the_report() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Winter results").await?;
    let send_at = Utc::now().trunc_subsecs(0) + Duration::minutes(1);
    let input = json!({ "input": { "name": "Winter", "reportId": report,
        "audiences": [{ "kind": "OUTSIDE", "channel": "EMAIL_LINK", "sendAt": rfc3339(send_at),
                        "linkLifetimeDays": 1, "language": "fr",
                        "recipients": [{ "name": "A", "email": "a@out.test" },
                                       { "name": "B", "email": "b@out.test" }] }] } });
    let plan = app.ok(CREATE, input, Some(&coordinator)).await?["createDisseminationPlan"]["plan"]
        ["id"]
        .clone();
    disseminate(&context(&app)?, None, send_at).await?;
    let messages = app.mail.messages();
    let web = reqwest::Client::new();
    let url = |m: &Received| format!("{}{}", app.url, link(m));
    let (a, b) = if messages[0].recipients[0].contains("a@out.test") {
        (&messages[0], &messages[1])
    } else {
        (&messages[1], &messages[0])
    };
    assert!(a.body().contains("Lire le rapport"));

    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::seconds(1)),
        )
        .filter(delivery::Column::Address.eq("a@out.test"))
        .exec(&app.state.db)
        .await?;
    let expired = web.get(url(a)).send().await?;
    let still = web.get(url(b)).send().await?;

    assert_eq!(expired.status(), StatusCode::GONE);
    let page = expired.text().await?;
    assert!(page.contains("This link has expired") && !page.contains("Winter results"));
    assert_eq!(still.status(), StatusCode::OK);
    let opened = delivery::Entity::find()
        .filter(delivery::Column::Address.eq("a@out.test"))
        .one(&app.state.db)
        .await?
        .unwrap();
    assert_eq!((opened.open_count, opened.first_opened_at), (0, None));

    app.ok(
        "mutation($input: DisseminationPlanInput!) { revokeDisseminationLinks(input: $input) { plan { id } } }",
        json!({ "input": { "planId": plan } }),
        Some(&coordinator),
    )
    .await?;
    let revoked = web.get(url(b)).send().await?;
    assert_eq!(revoked.status(), StatusCode::GONE);
    assert!(!revoked.text().await?.contains("Winter results"));
    app.stop().await
}

#[tokio::test]
async fn suppressed_and_refused_addresses_leave_the_plan_partly_failed() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Summer results").await?;
    app.ok(
        r#"mutation { suppressAddress(input: {address: "quiet@out.test", reason: OPT_OUT}) { suppression { id } } }"#,
        json!({}),
        Some(&coordinator),
    )
    .await?;
    let send_at = Utc::now().trunc_subsecs(0) + Duration::minutes(1);
    let input = json!({ "input": { "name": "Summer", "reportId": report,
        "audiences": [{ "kind": "OUTSIDE", "channel": "EMAIL_LINK", "sendAt": rfc3339(send_at),
                        "linkLifetimeDays": 30,
                        "recipients": [{ "name": "Ok", "email": "ok@out.test" },
                                       { "name": "Quiet", "email": "quiet@out.test" },
                                       { "name": "Gone", "email": "gone@out.test" }] }] } });
    let plan = app.ok(CREATE, input, Some(&coordinator)).await?["createDisseminationPlan"]["plan"]
        ["id"]
        .clone();

    let done = disseminate(&context(&app)?, None, send_at).await?;

    assert_eq!((done.sent, done.suppressed, done.failed), (1, 1, 1));
    assert_eq!(recipients(&app), ["ok@out.test"]);
    let read = app
        .ok(PLAN, json!({ "id": plan }), Some(&coordinator))
        .await?;
    assert_eq!(read["node"]["status"], "PARTLY_FAILED");
    let statuses: Vec<(String, String)> = read["node"]["deliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["address"].as_str().unwrap().to_owned(),
                e["node"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("ok@out.test".to_owned(), "SENT".to_owned()),
            ("quiet@out.test".to_owned(), "SUPPRESSED".to_owned()),
            ("gone@out.test".to_owned(), "FAILED".to_owned()),
        ]
    );
    app.stop().await
}

#[tokio::test]
async fn a_deferred_email_goes_out_on_a_later_run_with_the_same_link() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Results").await?;
    let send_at = Utc::now().trunc_subsecs(0) + Duration::minutes(1);
    let input = json!({ "input": { "name": "Later", "reportId": report,
        "audiences": [{ "kind": "COORDINATORS", "channel": "EMAIL_LINK",
                        "sendAt": rfc3339(send_at), "linkLifetimeDays": 30 }] } });
    let plan = app.ok(CREATE, input, Some(&coordinator)).await?["createDisseminationPlan"]["plan"]
        ["id"]
        .clone();
    // A mail server that is not there: a port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = closed.local_addr()?.port();
    drop(closed);
    let mut settings = app.env.settings.clone();
    settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    settings.smtp_timeout_secs = 2;
    let down = Context::new(&settings, app.state.db.clone(), app.state.tokens.clone())?;

    let first = disseminate(&down, None, send_at).await?;
    let waiting = app
        .ok(PLAN, json!({ "id": plan }), Some(&coordinator))
        .await?;
    let second = disseminate(&context(&app)?, None, send_at + Duration::minutes(1)).await?;

    assert_eq!((first.sent, first.deferred), (0, 1));
    assert_eq!(waiting["node"]["status"], "SENDING");
    assert_eq!(waiting["node"]["deliveryCounts"]["deferred"], 1);
    assert_eq!(second.sent, 1);
    let row = delivery::Entity::find().one(&app.state.db).await?.unwrap();
    assert_eq!(row.status, EmailStatus::Sent);
    let path = link(&app.mail.messages()[0]);
    let token = path.trim_start_matches("/reports/shared/");
    assert_eq!(worker::tokens::hash_token(token), row.token_hash);
    assert_eq!(
        delivery::Entity::find().count(&app.state.db).await?,
        1,
        "one delivery for the one coordinator"
    );
    app.stop().await
}

#[tokio::test]
async fn another_organisation_can_neither_see_nor_cancel_a_plan_and_a_started_plan_stays()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let north = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let south = app
        .account("south", "coord@south.test", Role::Coordinator)
        .await?;
    let observer = app
        .account("north", "observer@north.test", Role::Observer)
        .await?;
    let report = report_of(&app, "north", "Results").await?;
    let send_at = Utc::now().trunc_subsecs(0) + Duration::hours(1);
    let input = |report: &str| {
        json!({ "input": { "name": "Plan", "reportId": report,
            "audiences": [{ "kind": "COORDINATORS", "channel": "EMAIL_LINK",
                            "sendAt": rfc3339(send_at), "linkLifetimeDays": 30 }] } })
    };
    let plan = app.ok(CREATE, input(&report), Some(&north)).await?["createDisseminationPlan"]
        ["plan"]["id"]
        .clone();
    let other = app.ok(CREATE, input(&report), Some(&north)).await?["createDisseminationPlan"]
        ["plan"]["id"]
        .clone();
    let cancel = json!({ "input": { "planId": plan } });
    let list = "{ disseminationPlans(first: 10) { edges { node { id } } } }";

    let theirs = app.ok(list, json!({}), Some(&south)).await?;
    let node = app.ok(PLAN, json!({ "id": plan }), Some(&south)).await?;
    let foreign_report = app.post(CREATE, input(&report), Some(&south)).await?;

    assert_eq!(theirs["disseminationPlans"]["edges"], json!([]));
    assert!(node["node"].is_null());
    assert_eq!(
        app.error_code(CANCEL, cancel.clone(), Some(&south)).await?,
        "NOT_FOUND"
    );
    assert_eq!(
        app.error_code(
            "mutation($input: DisseminationPlanInput!) { sendDisseminationPlanNow(input: $input) { plan { id } } }",
            cancel.clone(),
            Some(&south)
        )
        .await?,
        "NOT_FOUND"
    );
    assert_eq!(
        foreign_report["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        foreign_report["errors"][0]["extensions"]["problems"][0]["field"],
        "reportId"
    );
    assert_eq!(
        app.error_code(list, json!({}), Some(&observer)).await?,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(CREATE, input(&report), Some(&observer))
            .await?,
        "FORBIDDEN"
    );

    // Cancelled before its date, it sends nothing; the other, sent, stays.
    let cancelled = app.ok(CANCEL, cancel.clone(), Some(&north)).await?;
    assert_eq!(
        cancelled["cancelDisseminationPlan"]["plan"]["status"],
        "CANCELLED"
    );
    let done = disseminate(&context(&app)?, None, send_at).await?;
    assert_eq!((done.audiences, done.sent), (1, 1));
    assert_eq!(app.mail.count(), 1);
    assert_eq!(
        app.error_code(
            CANCEL,
            json!({ "input": { "planId": other } }),
            Some(&north)
        )
        .await?,
        "CONFLICT"
    );
    let mine = app.ok(list, json!({}), Some(&north)).await?;
    assert_eq!(
        mine["disseminationPlans"]["edges"],
        json!([{ "node": { "id": other } }, { "node": { "id": plan } }])
    );
    app.stop().await
}

#[tokio::test]
async fn bad_plans_are_refused_with_every_field_at_fault() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Results").await?;
    let soon = rfc3339(Utc::now().trunc_subsecs(0) + Duration::days(1));
    let past = rfc3339(Utc::now() - Duration::days(1));
    let input = json!({ "input": { "name": " ", "reportId": report, "audiences": [
        { "kind": "TUTORS", "channel": "EMAIL_LINK", "sendAt": past, "linkLifetimeDays": 0,
          "recipients": [{ "name": "X", "email": "x@org.test" }] },
        { "kind": "OUTSIDE", "channel": "EMAIL_LINK", "sendAt": soon, "linkLifetimeDays": 366,
          "recipients": [{ "name": "Ok", "email": "ok@org.test" },
                         { "name": "Bad", "email": "not-an-address" }] },
        { "kind": "FUNDERS", "channel": "EMAIL_LINK", "sendAt": soon, "linkLifetimeDays": 365 },
    ] } });

    let body = app.post(CREATE, input, Some(&coordinator)).await?;
    let none = app
        .post(
            CREATE,
            json!({ "input": { "name": "Empty", "reportId": report, "audiences": [] } }),
            Some(&coordinator),
        )
        .await?;
    let bad_id = app
        .post(
            CREATE,
            json!({ "input": { "name": "Bad id", "reportId": "nonsense", "audiences": [] } }),
            Some(&coordinator),
        )
        .await?;

    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let fields: Vec<&str> = body["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "audiences[0].sendAt",
            "audiences[0].linkLifetimeDays",
            "audiences[0].recipients",
            "audiences[1].linkLifetimeDays",
            "audiences[1].recipients[1].email",
            "audiences[2].recipients",
        ]
    );
    assert_eq!(none["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        none["errors"][0]["extensions"]["problems"][0]["field"],
        "audiences"
    );
    assert_eq!(bad_id["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let plans = entities::dissemination_plan::Entity::find()
        .count(&app.state.db)
        .await?;
    assert_eq!(plans, 0, "nothing stored");
    app.stop().await
}

#[tokio::test]
async fn sending_a_plan_now_brings_its_date_forward_and_the_worker_sends_it() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let coordinator = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let report = report_of(&app, "north", "Results").await?;
    let next_week = Utc::now().trunc_subsecs(0) + Duration::days(7);
    let input = json!({ "input": { "name": "Now", "reportId": report,
        "audiences": [{ "kind": "MANAGEMENT", "channel": "EMAIL_LINK", "sendAt": rfc3339(next_week),
                        "linkLifetimeDays": 30,
                        "recipients": [{ "name": "Head", "email": "head@north.test" }] }] } });
    let plan = app.ok(CREATE, input, Some(&coordinator)).await?["createDisseminationPlan"]["plan"]
        ["id"]
        .clone();

    app.ok(
        "mutation($input: DisseminationPlanInput!) { sendDisseminationPlanNow(input: $input) { plan { id } } }",
        json!({ "input": { "planId": plan } }),
        Some(&coordinator),
    )
    .await?;
    assert_eq!(app.jobs_done("disseminate", 1).await?, 0);

    assert_eq!(recipients(&app), ["head@north.test"]);
    let read = app
        .ok(PLAN, json!({ "id": plan }), Some(&coordinator))
        .await?;
    assert_eq!(read["node"]["status"], "SENT");
    let sent_at: DateTime<Utc> = read["node"]["audiences"][0]["sentAt"]
        .as_str()
        .unwrap()
        .parse()?;
    assert!(sent_at < next_week);
    assert_eq!(
        app.error_code(
            CANCEL,
            json!({ "input": { "planId": plan } }),
            Some(&coordinator)
        )
        .await?,
        "CONFLICT"
    );
    app.stop().await
}
