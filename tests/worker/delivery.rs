//! Delivery is keyed: however many sweeps run, at once or again, each
//! invitee gets one email per step.

use chrono::{Duration, Utc};
use entities::{PersonKind, Role, campaign, email_message, invitation, person};
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
use tests::TestApp;
use worker::tokens::{TokenKey, hash_token};
use worker::{Context, delivery};

/// A launched campaign with `n` invitees, opened an hour ago, reminding after 24 h.
async fn campaign_with_invitees(app: &TestApp, n: usize) -> anyhow::Result<campaign::Model> {
    let admin = api::auth::add_member(
        &app.state.db,
        ("org", "Org"),
        "a@org.test",
        "A",
        tests::PASSWORD,
        Role::Admin,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let org = admin.organisation_id;
    let questionnaire =
        entities::questionnaire::Entity::insert(entities::questionnaire::ActiveModel {
            organisation_id: Set(org),
            key: Set("q".into()),
            version: Set(1),
            title: Set("Q".into()),
            description: Set(String::new()),
            audience: Set(entities::Audience::Learners),
            locked_at: Set(Some(Utc::now())),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&app.state.db)
        .await?;
    let now = Utc::now();
    let c = campaign::Entity::insert(campaign::ActiveModel {
        organisation_id: Set(org),
        questionnaire_id: Set(questionnaire.id),
        name: Set("Spring survey: \u{e9}t\u{e9}".into()),
        opens_at: Set(now - Duration::hours(1)),
        closes_at: Set(now + Duration::days(7)),
        reminder_offsets_hours: Set(serde_json::json!([24])),
        min_group_size: Set(5),
        low_score_threshold: Set(0.5),
        launched_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&app.state.db)
    .await?;
    for i in 0..n {
        let p = person::Entity::insert(person::ActiveModel {
            organisation_id: Set(org),
            external_ref: Set(None),
            name: Set(format!("Zo\u{eb} N\u{b0}{i}")),
            email: Set(Some(format!("learner{i}@org.test"))),
            kind: Set(PersonKind::Learner),
            language: Set("fr".into()),
            time_zone: Set("Europe/Paris".into()),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&app.state.db)
        .await?;
        let nonce = TokenKey::new_nonce();
        invitation::Entity::insert(invitation::ActiveModel {
            organisation_id: Set(org),
            campaign_id: Set(c.id),
            person_id: Set(p.id),
            token_hash: Set(hash_token(&app.state.tokens.token(&nonce))),
            token_nonce: Set(nonce),
            responded_at: Set(None),
            opted_out_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(&app.state.db)
        .await?;
    }
    Ok(c)
}

fn context(app: &TestApp) -> anyhow::Result<Context> {
    Context::new(
        &app.env.settings,
        app.state.db.clone(),
        app.state.tokens.clone(),
    )
}

#[tokio::test]
async fn concurrent_sweeps_send_each_step_once() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let c = campaign_with_invitees(&app, 20).await?;
    let ctx = context(&app)?;
    let now = Utc::now();

    let (a, b) = tokio::join!(
        delivery::sweep(&ctx, None, now),
        delivery::sweep(&ctx, None, now)
    );
    let (a, b) = (a?, b?);
    let later = c.opens_at + Duration::hours(25);
    let (x, y, z) = tokio::join!(
        delivery::sweep(&ctx, None, later),
        delivery::sweep(&ctx, None, later),
        delivery::sweep(&ctx, None, later)
    );

    assert_eq!(a.sent + b.sent, 20);
    assert_eq!(x?.sent + y?.sent + z?.sent, 20);
    assert_eq!(app.mail.messages().len(), 40);
    assert_eq!(
        email_message::Entity::find().count(&app.state.db).await?,
        40
    );
    let mut recipients: Vec<String> = app
        .mail
        .messages()
        .iter()
        .flat_map(|m| m.recipients.clone())
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 20);
    app.stop().await
}

#[tokio::test]
async fn non_ascii_names_are_encoded_and_the_link_opens_the_invitation() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let c = campaign_with_invitees(&app, 1).await?;
    let ctx = context(&app)?;

    delivery::sweep(&ctx, Some(c.id), Utc::now()).await?;

    let message = &app.mail.messages()[0];
    let to = message.header("To").unwrap();
    assert!(
        to.is_ascii() && to.contains("=?utf-8?"),
        "encoded display name: {to}"
    );
    assert!(message.header("Subject").unwrap().is_ascii());
    let message_id = message.header("Message-ID").unwrap();
    assert!(
        message_id.starts_with("<invitation.") && message_id.ends_with("@localhost>"),
        "{message_id}"
    );
    let token = message.token().unwrap();
    let opened = api::campaigns::service::invitation_for_token(&app.state.db, &token)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(opened.campaign_id, c.id);
    app.stop().await
}

#[tokio::test]
async fn without_smtp_mail_lands_in_the_outbox_folder() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let c = campaign_with_invitees(&app, 2).await?;
    let mut settings = app.env.settings.clone();
    settings.smtp_url = None;
    let ctx = Context::new(&settings, app.state.db.clone(), app.state.tokens.clone())?;

    let done = delivery::sweep(&ctx, Some(c.id), Utc::now()).await?;

    let outbox = settings.data_dir.join("outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox)?.collect::<Result<_, _>>()?;
    assert_eq!((done.sent, files.len()), (2, 2));
    assert!(app.mail.messages().is_empty());
    app.stop().await
}
