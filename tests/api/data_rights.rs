//! Data-protection rights: a person's data exported whole, a person
//! erased while the figures their answers went into stay the same, the
//! retention policy applied by the worker, and the audit log of it all.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use entities::{Role, answer, api_key, email_message, suppression};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::TestApp;
use worker::personal_data::{IMPERSONAL_COLUMNS, PERSONAL_COLUMNS, looks_personal};
use worker::{Context, Job};

use crate::fixtures::{self, CampaignSpec, SUBMIT};

/// `(table, column)` of every entity, read from the entities' source.
fn entity_columns() -> anyhow::Result<Vec<(String, String)>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../entities/src");
    let mut out = Vec::new();
    for file in std::fs::read_dir(dir)? {
        let source = std::fs::read_to_string(file?.path())?;
        let Some(table) = source
            .split("table_name = \"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let Some(model) = source
            .split("pub struct Model {")
            .nth(1)
            .and_then(|rest| rest.split("\n}").next())
        else {
            continue;
        };
        for line in model.lines() {
            if let Some(field) = line.trim().strip_prefix("pub ")
                && let Some((name, _)) = field.split_once(':')
            {
                out.push((table.to_owned(), name.trim().to_owned()));
            }
        }
    }
    Ok(out)
}

#[test]
fn every_column_that_looks_personal_is_listed_as_personal_or_not() -> anyhow::Result<()> {
    let columns = entity_columns()?;
    assert!(columns.len() > 300, "the entities were not found");
    let listed = |t: &str, c: &str| {
        PERSONAL_COLUMNS.contains(&(t, c))
            || IMPERSONAL_COLUMNS
                .iter()
                .any(|(it, ic, _)| (*it, *ic) == (t, c))
    };

    let unlisted: Vec<String> = columns
        .iter()
        .filter(|(t, c)| looks_personal(c) && !listed(t, c))
        .map(|(t, c)| format!("{t}.{c}"))
        .collect();
    let stale: Vec<String> = PERSONAL_COLUMNS
        .iter()
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .chain(
            IMPERSONAL_COLUMNS
                .iter()
                .map(|(t, c, _)| (t.to_string(), c.to_string())),
        )
        .filter(|tc| !columns.contains(tc))
        .map(|(t, c)| format!("{t}.{c}"))
        .collect();

    assert!(
        unlisted.is_empty(),
        "columns that may hold personal data, in neither list of worker::personal_data: {unlisted:?}"
    );
    assert!(stale.is_empty(), "listed columns no entity has: {stale:?}");
    Ok(())
}

const PEOPLE: &str = "query { people(first: 100) { edges { node { id name email erasedAt } } } }";
const EXPORT: &str =
    "mutation($id: ID!) { exportPersonData(input: { personId: $id }) { document downloadPath } }";
const ERASE: &str = "mutation($id: ID!) { erasePerson(input: { personId: $id }) {
    erased apiKeysRevoked sessionsEnded textsCleared outboxCopiesDeleted
    person { id name email erasedAt } } }";
const AUDIT: &str = "query($action: AuditAction, $target: ID) { auditLog(first: 50, action: $action, targetId: $target) {
    edges { node { action actorName apiKeyId targetKind targetId clientAddress at detail } } } }";
/// Every figure of a campaign, and of its latest report.
const FIGURES: &str = r#"query($id: ID!) { node(id: $id) { ... on Campaign {
    results { responses suppressed responseRate
      items { code n missing mean sd median nps distribution { value count } }
      scales { code n mean sd alpha } }
    reports(first: 1) { edges { node { version results { responses responseRate
      items { code n missing mean sd nps distribution { value count } }
      scales { code n mean alpha } } } } } } } }"#;

/// An organisation `rights` with an admin, a launched campaign of the
/// fixture questionnaire for three learners, each of whom answered (`s1`
/// of 5, 3 and 4; a comment each), and a report generated. The first
/// learner has an account of their own. Returns the admin's token, the
/// campaign, the learners and the first learner's token.
async fn answered(app: &TestApp) -> anyhow::Result<(String, String, Vec<String>, String)> {
    let admin = app
        .account("rights", "admin@rights.test", Role::Admin)
        .await?;
    let questionnaire = fixtures::questionnaire(app, &admin).await?;
    let spec = CampaignSpec {
        min_group_size: 2,
        ..CampaignSpec::default()
    };
    let campaign = fixtures::campaign(app, &admin, &questionnaire, spec).await?;
    let emails = ["ada@rights.test", "bo@rights.test", "cy@rights.test"];
    let people = fixtures::learners(app, &admin, &emails).await?;
    let ada = fixtures::member(
        app,
        &admin,
        "rights",
        "ada@rights.test",
        "LEARNER",
        &json!(people[0]),
    )
    .await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": campaign, "personIds": people } }),
        Some(&admin),
    )
    .await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    assert_eq!(app.jobs_done("send_invitations", 1).await?, 0);
    let mut mail = app.mail.messages();
    mail.sort_by_key(|m| m.recipients.join(","));
    for (i, (message, s1)) in mail.iter().zip([5.0, 3.0, 4.0]).enumerate() {
        let mut answers = fixtures::answers(s1);
        answers[6]["text"] = json!(format!("comment {i}: my tutor Zed is kind"));
        let input = json!({ "input": { "token": message.token().unwrap(), "answers": answers } });
        app.ok(SUBMIT, input, None).await?;
    }
    assert_eq!(app.jobs_done("aggregate_campaign", 3).await?, 0);
    report(app, &admin, &campaign, 1).await?;
    Ok((admin, campaign, people, ada))
}

/// Generates the campaign's report and waits for the `n`th.
async fn report(app: &TestApp, admin: &str, campaign: &str, n: u64) -> anyhow::Result<()> {
    app.ok(
        "mutation($input: CampaignInput!) { generateReport(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(admin),
    )
    .await?;
    assert_eq!(app.jobs_done("generate_report", n).await?, 0);
    Ok(())
}

async fn figures(app: &TestApp, admin: &str, campaign: &str) -> anyhow::Result<(Value, Value)> {
    let data = app
        .ok(FIGURES, json!({ "id": campaign }), Some(admin))
        .await?;
    let node = &data["node"];
    let mut report = node["reports"]["edges"][0]["node"].clone();
    let version = report["version"].take();
    assert!(version.is_number(), "a report exists: {data}");
    Ok((node["results"].clone(), report))
}

fn events(data: &Value) -> Vec<Value> {
    data["auditLog"]["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_export_holds_every_table_of_personal_data_and_is_audited() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (admin, _, people, _) = answered(&app).await?;
    let ada = &people[0];

    let data = app.ok(EXPORT, json!({ "id": ada }), Some(&admin)).await?;

    let document = &data["exportPersonData"]["document"];
    let tables = document["tables"].as_object().unwrap();
    let keys: BTreeSet<&str> = tables.keys().map(String::as_str).collect();
    let wanted: BTreeSet<&str> = PERSONAL_COLUMNS.iter().map(|(t, _)| *t).collect();
    let missing: Vec<_> = wanted.difference(&keys).collect();
    assert!(
        missing.is_empty(),
        "tables missing from the export: {missing:?}"
    );
    let rows = |t: &str| tables[t].as_array().unwrap().clone();
    assert_eq!(rows("person")[0]["email"], "ada@rights.test");
    assert_eq!(rows("user_account")[0]["email"], "ada@rights.test");
    assert_eq!(rows("membership")[0]["role"], "Learner");
    assert_eq!(rows("invitation").len(), 1);
    assert_eq!(rows("response").len(), 1);
    assert_eq!(rows("answer").len(), 7, "every answer of their response");
    assert!(
        rows("answer")
            .iter()
            .any(|a| a["text_value"] == "comment 0: my tutor Zed is kind")
    );
    assert!(
        rows("email_message")
            .iter()
            .all(|m| m["recipient"] == "ada@rights.test")
            && !rows("email_message").is_empty()
    );
    let text = document.to_string();
    assert!(!text.contains("bo@rights.test") && !text.contains("comment 1"));
    assert!(
        !text.contains("password_hash") && !text.contains("token_hash"),
        "secrets stay out"
    );

    // The same document downloads, for admins only.
    let path = data["exportPersonData"]["downloadPath"].as_str().unwrap();
    let download = |token: &str| {
        app.http()
            .get(format!("{}{path}", app.url))
            .bearer_auth(token)
            .send()
    };
    let file = download(&admin).await?;
    assert_eq!(file.status(), 200);
    let file: Value = file.json().await?;
    assert_eq!(file["tables"]["answer"], document["tables"]["answer"]);
    let coordinator = app
        .account("rights", "coord@rights.test", Role::Coordinator)
        .await?;
    assert_eq!(download(&coordinator).await?.status(), 403);

    // Each export is in the audit log, with who, whence and when.
    let log = app
        .ok(AUDIT, json!({ "action": "PERSON_EXPORTED" }), Some(&admin))
        .await?;
    let exports = events(&log);
    assert_eq!(exports.len(), 2, "{log}");
    assert!(exports.iter().all(|e| e["targetId"] == json!(ada)
        && e["targetKind"] == "Person"
        && e["actorName"] == "admin@rights.test"
        && e["clientAddress"] == "127.0.0.1"));
    app.stop().await
}

#[tokio::test]
async fn only_an_admin_of_the_organisation_exports_or_erases_a_person() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("rights", "admin@rights.test", Role::Admin)
        .await?;
    let people = fixtures::learners(&app, &admin, &["ada@rights.test"]).await?;
    let coordinator = app
        .account("rights", "coord@rights.test", Role::Coordinator)
        .await?;
    let stranger = app
        .account("other", "admin@other.test", Role::Admin)
        .await?;
    let ada = json!({ "id": people[0] });

    for op in [EXPORT, ERASE] {
        assert_eq!(
            app.error_code(op, ada.clone(), Some(&coordinator)).await?,
            "FORBIDDEN"
        );
        assert_eq!(
            app.error_code(op, ada.clone(), None).await?,
            "UNAUTHENTICATED"
        );
        assert_eq!(
            app.error_code(op, ada.clone(), Some(&stranger)).await?,
            "NOT_FOUND"
        );
        let bad = json!({ "id": "not-an-id" });
        assert_eq!(
            app.error_code(op, bad, Some(&admin)).await?,
            "BAD_USER_INPUT"
        );
    }
    for query in [
        "query { retentionPolicy { freeTextDays } }",
        "query { auditLog { edges { node { action } } } }",
    ] {
        assert_eq!(
            app.error_code(query, json!({}), Some(&coordinator)).await?,
            "FORBIDDEN"
        );
    }

    let people = app.ok(PEOPLE, json!({}), Some(&admin)).await?;
    assert_eq!(
        people["people"]["edges"][0]["node"]["name"],
        "Learner ada@rights.test"
    );
    app.stop().await
}

#[tokio::test]
async fn an_erased_person_is_gone_by_name_and_address_but_their_answers_still_count()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (admin, campaign, people, ada_token) = answered(&app).await?;
    let ada = &people[0];
    let db = &app.state.db;
    // A key made by Ada's account, as if she had been an admin once.
    let ada_user = entities::person::Entity::find()
        .filter(entities::person::Column::Email.eq("ada@rights.test"))
        .one(db)
        .await?
        .and_then(|p| p.user_id)
        .unwrap();
    let org = entities::organisation::Entity::find()
        .one(db)
        .await?
        .unwrap()
        .id;
    api_key::Entity::insert(api_key::ActiveModel {
        organisation_id: Set(org),
        name: Set("old key".into()),
        prefix: Set("tpk_00000000".into()),
        key_hash: Set("x".into()),
        scopes: Set("read".into()),
        created_by: Set(ada_user),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    let before = figures(&app, &admin, &campaign).await?;
    // Copies of mail in the outbox folder, as written when no SMTP server
    // is set: two to Ada (her address in another case), one to someone else.
    let outbox = app.state.outbox.clone();
    let mailer = worker::mail::Mailer::new(
        None,
        outbox.clone(),
        "Tutoring <noreply@rights.test>",
        std::time::Duration::from_secs(5),
        "rights",
    )?;
    for (key, address) in [
        ("old-invitation", "ada@rights.test"),
        ("old-reminder", "ADA@rights.test"),
        ("old-other", "someone@rights.test"),
    ] {
        let mail = worker::mail::Outgoing {
            key: key.into(),
            to_name: "Ada".into(),
            to_address: address.into(),
            subject: "Your questionnaire".into(),
            text: "Dear Ada".into(),
            html: None,
            unsubscribe_url: None,
        };
        mailer.send(&mail).await?;
    }

    // Her invitation email as if the mail server had been unreachable:
    // owed, to be tried again by the next sweep.
    let deferred = email_message::Entity::update_many()
        .col_expr(
            email_message::Column::Status,
            sea_orm::sea_query::Expr::value(entities::EmailStatus::Deferred),
        )
        .filter(email_message::Column::Recipient.eq("ada@rights.test"))
        .exec(db)
        .await?
        .rows_affected;
    assert!(deferred > 0);

    let data = app.ok(ERASE, json!({ "id": ada }), Some(&admin)).await?;

    // What was owed to her will never go: it is suppressed, not left owed.
    let owed = email_message::Entity::find()
        .filter(email_message::Column::Status.eq(entities::EmailStatus::Deferred))
        .count(db)
        .await?;
    assert_eq!(owed, 0);
    let suppressed = email_message::Entity::find()
        .filter(email_message::Column::Recipient.starts_with("erased-person-"))
        .filter(email_message::Column::Status.eq(entities::EmailStatus::Suppressed))
        .filter(email_message::Column::Error.eq("suppressed: erased"))
        .count(db)
        .await?;
    assert_eq!(suppressed, deferred);
    let erased = &data["erasePerson"];
    assert_eq!(erased["erased"], true);
    assert_eq!(erased["apiKeysRevoked"], 1);
    assert_eq!(erased["outboxCopiesDeleted"], 2);
    assert!(!outbox.join("old-invitation.eml").exists());
    assert!(!outbox.join("old-reminder.eml").exists());
    assert!(outbox.join("old-other.eml").exists());
    assert_eq!(erased["person"]["name"], "Erased person");
    assert_eq!(erased["person"]["email"], Value::Null);
    assert!(erased["person"]["erasedAt"].is_string());

    // The figures, as they stand and as computed again from the database
    // for a new report, are those from before.
    report(&app, &admin, &campaign, 2).await?;
    let after = figures(&app, &admin, &campaign).await?;
    assert_eq!(after.0, before.0, "campaign results");
    assert_eq!(after.1, before.1, "report figures");

    // Nowhere by name or address: people, the export, the database's answers.
    let listed = app.ok(PEOPLE, json!({}), Some(&admin)).await?.to_string();
    assert!(!listed.contains("ada@rights.test") && !listed.contains("Learner ada"));
    let export = app.ok(EXPORT, json!({ "id": ada }), Some(&admin)).await?;
    let text = export.to_string();
    assert!(
        !text.contains("ada@rights.test") && !text.contains("comment 0"),
        "{text}"
    );
    let comments = answer::Entity::find()
        .filter(answer::Column::TextValue.like("comment%"))
        .count(db)
        .await?;
    assert_eq!(comments, 2, "the others' comments stay");
    assert_eq!(
        email_message::Entity::find()
            .filter(email_message::Column::Recipient.eq("ada@rights.test"))
            .count(db)
            .await?,
        0
    );

    // The account is closed: its token and its password no longer work.
    assert_eq!(
        app.error_code("query { viewer { email } }", json!({}), Some(&ada_token))
            .await?,
        "UNAUTHENTICATED"
    );
    let sign_in =
        "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }";
    let refused = app
        .error_code(
            sign_in,
            json!({ "e": "ada@rights.test", "p": tests::PASSWORD }),
            None,
        )
        .await?;
    assert_eq!(refused, "BAD_USER_INPUT");

    // Their link no longer opens the questionnaire.
    let mut mail = app.mail.messages();
    mail.sort_by_key(|m| m.recipients.join(","));
    let link = json!({ "input": { "token": mail[0].token().unwrap(), "answers": fixtures::answers(1.0) } });
    assert_eq!(app.error_code(SUBMIT, link, None).await?, "NOT_FOUND");

    // No mail reaches the address again; the list holds only its hash.
    let reason = worker::suppression::is_suppressed(db, org, "Ada@Rights.test ").await?;
    assert_eq!(reason, Some(entities::SuppressionReason::Erased));
    let plain = suppression::Entity::find()
        .filter(suppression::Column::Address.contains("ada"))
        .count(db)
        .await?;
    assert_eq!(plain, 0);
    let sent = app.mail.messages().len();
    let again = fixtures::learners(&app, &admin, &["ADA@rights.test"]).await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let second = fixtures::campaign(&app, &admin, &questionnaire, CampaignSpec::default()).await?;
    app.ok(
        "mutation($input: InviteInput!) { inviteToCampaign(input: $input) { invited } }",
        json!({ "input": { "campaignId": second, "personIds": again } }),
        Some(&admin),
    )
    .await?;
    app.ok(
        "mutation($input: CampaignInput!) { launchCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": second } }),
        Some(&admin),
    )
    .await?;
    assert_eq!(app.jobs_done("send_invitations", 2).await?, 0);
    assert_eq!(
        app.mail.messages().len(),
        sent,
        "no mail to the erased address"
    );
    let refused = email_message::Entity::find()
        .filter(email_message::Column::Status.eq(entities::EmailStatus::Suppressed))
        .count(db)
        .await?;
    assert_eq!(
        refused,
        1 + deferred,
        "the new invitation, and what was owed"
    );

    // Once is for good: a second erasure changes and records nothing.
    let again = app.ok(ERASE, json!({ "id": ada }), Some(&admin)).await?;
    assert_eq!(again["erasePerson"]["erased"], false);
    assert_eq!(again["erasePerson"]["person"]["name"], "Erased person");
    let log = app
        .ok(
            AUDIT,
            json!({ "action": "PERSON_ERASED", "target": ada }),
            Some(&admin),
        )
        .await?;
    assert_eq!(events(&log).len(), 1);
    app.stop().await
}

fn context(app: &TestApp) -> anyhow::Result<Context> {
    Context::new(
        &app.env.settings,
        app.state.db.clone(),
        app.state.tokens.clone(),
    )
}

#[tokio::test]
async fn the_retention_policy_clears_free_text_email_addresses_and_old_audit_events()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (admin, campaign, _, _) = answered(&app).await?;
    let db = &app.state.db;
    let set = "mutation($input: SetRetentionPolicyInput!) { setRetentionPolicy(input: $input) {
        retentionPolicy { freeTextDays emailLogDays auditDays updatedAt } } }";
    let bad = json!({ "input": { "freeTextDays": 0, "auditDays": 40000 } });
    assert_eq!(
        app.error_code(set, bad, Some(&admin)).await?,
        "BAD_USER_INPUT"
    );
    let unset = app
        .ok(
            "query { retentionPolicy { freeTextDays updatedAt } }",
            json!({}),
            Some(&admin),
        )
        .await?;
    assert_eq!(
        unset["retentionPolicy"],
        json!({ "freeTextDays": null, "updatedAt": null })
    );

    let limits = json!({ "input": { "freeTextDays": 30, "emailLogDays": 10, "auditDays": 60 } });
    app.ok(set, limits, Some(&admin)).await?;
    let policy = app
        .ok(
            "query { retentionPolicy { freeTextDays emailLogDays auditDays } }",
            json!({}),
            Some(&admin),
        )
        .await?;
    assert_eq!(
        policy["retentionPolicy"],
        json!({ "freeTextDays": 30, "emailLogDays": 10, "auditDays": 60 })
    );
    // A limit left out stays as it was; one given as null keeps for good.
    let changes = [
        (json!({ "emailLogDays": 12 }), json!([30, 12, 60])),
        (
            json!({ "freeTextDays": null, "emailLogDays": 10 }),
            json!([null, 10, 60]),
        ),
        (json!({ "freeTextDays": 30 }), json!([30, 10, 60])),
    ];
    for (input, expected) in changes {
        let changed = app.ok(set, json!({ "input": input }), Some(&admin)).await?;
        let policy = &changed["setRetentionPolicy"]["retentionPolicy"];
        let limits = json!([
            policy["freeTextDays"],
            policy["emailLogDays"],
            policy["auditDays"]
        ]);
        assert_eq!(limits, expected, "after {input}");
    }
    let before = figures(&app, &admin, &campaign).await?;
    let comments = || {
        answer::Entity::find()
            .filter(answer::Column::TextValue.like("comment%"))
            .count(db)
    };
    let addresses = || {
        email_message::Entity::find()
            .filter(email_message::Column::Recipient.like("%@rights.test"))
            .count(db)
    };
    let audit = || entities::audit_event::Entity::find().count(db);
    let ctx = context(&app)?;
    let run = |days: i64| Job::ApplyRetention {
        at: Utc::now() + Duration::days(days),
        organisation_id: None,
    };
    assert_eq!((comments().await?, addresses().await?), (3, 3));
    let events = audit().await?;
    assert!(events >= 2, "role grant and retention change");

    // The campaign closes in ten days. Twenty days on, the emails' records
    // are past their ten days; the free text, closed ten days, is not.
    worker::jobs::execute(&ctx, run(20)).await?;
    assert_eq!((comments().await?, addresses().await?), (3, 0));
    assert_eq!(audit().await?, events);

    // Fifty days on, the campaign closed forty days ago: its free text goes,
    // the figures stay. Running again finds nothing more.
    let cleared = worker::jobs::execute(&ctx, run(50)).await?;
    assert_eq!(cleared["free_texts_cleared"], 3, "{cleared}");
    assert_eq!(comments().await?, 0);
    let again = worker::jobs::execute(&ctx, run(50)).await?;
    assert_eq!(again["free_texts_cleared"], 0);
    assert_eq!(audit().await?, events);
    report(&app, &admin, &campaign, 2).await?;
    assert_eq!(figures(&app, &admin, &campaign).await?, before);

    // Seventy days on, the audit events are past their sixty days.
    worker::jobs::execute(&ctx, run(70)).await?;
    assert_eq!(audit().await?, 0);
    app.stop().await
}

#[tokio::test]
async fn role_grants_api_keys_and_staff_reads_of_a_learners_records_are_audited()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("rights", "admin@rights.test", Role::Admin)
        .await?;
    let programme = fixtures::programme(&app, &admin).await?;
    let people = fixtures::learners(&app, &admin, &["ada@rights.test"]).await?;

    fixtures::member(
        &app,
        &admin,
        "rights",
        "ada@rights.test",
        "LEARNER",
        &json!(people[0]),
    )
    .await?;
    let key = app
        .ok(
            r#"mutation { createApiKey(input: { name: "sis", scopes: [READ] }) { key apiKey { id } } }"#,
            json!({}),
            Some(&admin),
        )
        .await?;
    let needs = "query($id: ID!) { node(id: $id) { ... on Programme { needs { edges { node { severity } } } } } }";
    app.ok(needs, json!({ "id": programme }), Some(&admin))
        .await?;
    let alerts =
        "query($id: ID!) { relationAlerts(programmeId: $id) { edges { node { message } } } }";
    let key_token = key["createApiKey"]["key"].as_str().unwrap();
    app.ok(alerts, json!({ "id": programme }), Some(key_token))
        .await?;
    // Revoked twice: the second changes nothing and is not on record.
    let revoke = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { active } } }";
    let key_id = json!({ "id": key["createApiKey"]["apiKey"]["id"] });
    for _ in 0..2 {
        app.ok(revoke, key_id.clone(), Some(&admin)).await?;
    }

    let log = app.ok(AUDIT, json!({}), Some(&admin)).await?;
    let actions: Vec<String> = events(&log)
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "API_KEY_REVOKED",
            "ALERTS_READ",
            "NEEDS_READ",
            "API_KEY_CREATED",
            "ROLE_GRANTED"
        ],
        "newest first: {log}"
    );
    let all = events(&log);
    assert_eq!(all[0]["targetId"], key["createApiKey"]["apiKey"]["id"]);
    assert_eq!(all[0]["apiKeyId"], json!(null), "revoked by the admin");
    assert_eq!(all[1]["apiKeyId"], key["createApiKey"]["apiKey"]["id"]);
    assert_eq!(all[1]["actorName"], "admin@rights.test", "the key's maker");
    assert_eq!(all[2]["targetId"], programme);
    assert_eq!(all[4]["detail"], json!({ "role": "learner" }));
    assert!(all.iter().all(|e| e["clientAddress"] == "127.0.0.1"));
    app.stop().await
}

/// Costs and priorities of a programme: figures that count a learner's
/// needs and sessions, without the names they are shown under.
const PROGRAMME_FIGURES: &str = r#"query($id: ID!) { node(id: $id) { ... on Programme {
    costs { budget planned { total learners perLearner } actual { total learners perLearner
      byAxis { amount } byLearner { id amount } } }
    priorities { population axes { rank score prevalence meanSeverity learnersWithNeed } } } } }"#;

#[tokio::test]
async fn an_erased_learners_relation_keeps_its_figures_and_loses_its_words() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let s = crate::running::scenario(&app, "care").await?;
    let admin = app.account("care", "admin@care.test", Role::Admin).await?;
    let learner = &s.learners[0];
    app.ok(
        "mutation($input: CreateNeedInput!) { createNeed(input: $input) { need { id } } }",
        json!({ "input": { "axisId": s.method, "learnerId": learner, "severity": 4,
            "source": "COORDINATOR", "evidence": "Told us of trouble at home" } }),
        Some(&s.token),
    )
    .await?;
    let matching = crate::running::pair_by_hand(&app, &s).await?;
    app.ok(
        "mutation($input: AddPlanGoalInput!) { addPlanGoal(input: $input) { id } }",
        json!({ "input": { "matchingId": matching, "description": "Sleep before exams",
            "measure": "Hours slept", "targetDate": "2027-01-31" } }),
        Some(&s.token),
    )
    .await?;
    app.ok(
        "mutation($input: RecordSessionInput!) { recordSession(input: $input) { status } }",
        json!({ "input": { "matchingId": matching, "interventionId": s.coaching,
            "heldAt": Utc::now().to_rfc3339(), "minutes": 40, "attended": true,
            "notes": "Spoke of the divorce at home." } }),
        Some(&s.token),
    )
    .await?;
    let plan = "query($id: ID!) { node(id: $id) { ... on Matching { reason learner { name }
        plan { goals { description } } sessions { minutes notes } } } }";
    let seen = app
        .ok(plan, json!({ "id": matching }), Some(&admin))
        .await?;
    assert_eq!(
        seen["node"]["plan"]["goals"][0]["description"],
        "Sleep before exams"
    );
    let figures = || {
        app.ok(
            PROGRAMME_FIGURES,
            json!({ "id": s.programme }),
            Some(&admin),
        )
    };
    let before = figures().await?;
    let node = &before["node"];
    assert_eq!(
        node["costs"]["actual"]["total"], 10.0,
        "one session of 10: {before}"
    );
    assert_eq!(node["priorities"]["axes"][0]["learnersWithNeed"], 1);
    let exported = app
        .ok(EXPORT, json!({ "id": learner }), Some(&admin))
        .await?;
    let tables = &exported["exportPersonData"]["document"]["tables"];
    for table in [
        "need",
        "matching",
        "matching_decision",
        "plan_goal",
        "plan_item",
    ] {
        assert!(tables[table].is_array(), "{table}");
    }
    assert_eq!(tables["need"][0]["evidence"], "Told us of trouble at home");
    assert_eq!(tables["plan_goal"][0]["description"], "Sleep before exams");
    assert_eq!(
        tables["tutoring_session"][0]["notes"],
        "Spoke of the divorce at home."
    );
    assert_eq!(
        tables["session_participant"].as_array().map(Vec::len),
        Some(1)
    );

    let erased = app
        .ok(ERASE, json!({ "id": learner }), Some(&admin))
        .await?;

    assert!(
        erased["erasePerson"]["textsCleared"].as_u64().unwrap() >= 4,
        "{erased}"
    );
    let after = figures().await?;
    assert_eq!(after, before, "costs and priorities");
    let seen = app
        .ok(plan, json!({ "id": matching }), Some(&admin))
        .await?;
    let node = &seen["node"];
    assert_eq!(node["learner"]["name"], "Erased person");
    assert_eq!(node["reason"], "");
    assert_eq!(node["plan"]["goals"][0]["description"], "[erased]");
    assert_eq!(node["sessions"], json!([{ "minutes": 40, "notes": "" }]));
    let text = app
        .ok(EXPORT, json!({ "id": learner }), Some(&admin))
        .await?
        .to_string();
    for word in [
        "trouble at home",
        "Sleep before",
        "divorce",
        "Asked for by",
        "l1@care",
    ] {
        assert!(!text.contains(word), "{word} in {text}");
    }

    // Each read of the plan by staff is on record.
    let log = app
        .ok(
            AUDIT,
            json!({ "action": "PLAN_READ", "target": matching }),
            Some(&admin),
        )
        .await?;
    assert_eq!(events(&log).len(), 2);
    app.stop().await
}

#[tokio::test]
async fn an_erasure_stays_within_its_organisation() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("rights", "admin@rights.test", Role::Admin)
        .await?;
    let other = app
        .account("other", "admin@other.test", Role::Admin)
        .await?;
    let here = fixtures::learners(&app, &admin, &["ada@rights.test"]).await?;
    fixtures::learners(&app, &other, &["ada@rights.test"]).await?;
    fixtures::member(
        &app,
        &admin,
        "rights",
        "ada@rights.test",
        "LEARNER",
        &json!(here[0]),
    )
    .await?;
    // The same account is a member of the other organisation too.
    app.account("other", "ada@rights.test", Role::Learner)
        .await?;

    app.ok(ERASE, json!({ "id": here[0] }), Some(&admin))
        .await?;

    let theirs = app.ok(PEOPLE, json!({}), Some(&other)).await?;
    assert_eq!(
        theirs["people"]["edges"][0]["node"]["email"],
        "ada@rights.test"
    );
    let db = &app.state.db;
    let orgs = entities::organisation::Entity::find().all(db).await?;
    let org = |slug: &str| orgs.iter().find(|o| o.slug == slug).map(|o| o.id).unwrap();
    let suppressed = |slug| worker::suppression::is_suppressed(db, org(slug), "ada@rights.test");
    assert!(suppressed("rights").await?.is_some());
    assert!(suppressed("other").await?.is_none());
    // The account still signs in to the other organisation, not to this one.
    let sign_in = "mutation($o: String) { signIn(input: {email: \"ada@rights.test\",
        password: \"correct horse battery\", organisation: $o}) { token } }";
    app.ok(sign_in, json!({ "o": "other" }), None).await?;
    let refused = app
        .error_code(sign_in, json!({ "o": "rights" }), None)
        .await?;
    assert_eq!(refused, "BAD_USER_INPUT");
    app.stop().await
}
