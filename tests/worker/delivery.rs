//! Delivery is keyed: however many sweeps run, at once or again, each
//! invitee gets one email per step.

use chrono::{Duration, Utc};
use entities::{PersonKind, Role, campaign, email_message, invitation, person};
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
use tests::TestApp;
use worker::tokens::{TokenKey, hash_token};
use worker::{Context, delivery};

/// A launched campaign with `n` French-speaking invitees, opened an hour
/// ago, reminding after 24 h.
async fn campaign_with_invitees(app: &TestApp, n: usize) -> anyhow::Result<campaign::Model> {
    let people: Vec<Invitee> = (0..n)
        .map(|i| Invitee {
            name: format!("Zo\u{eb} N\u{b0}{i}"),
            email: format!("learner{i}@org.test"),
            language: "fr",
            time_zone: "Europe/Paris",
        })
        .collect();
    campaign_for(app, "Spring survey: \u{e9}t\u{e9}", &people).await
}

struct Invitee {
    name: String,
    email: String,
    language: &'static str,
    time_zone: &'static str,
}

/// A launched campaign called `name` with these invitees, opened an hour
/// ago, reminding after 24 h.
async fn campaign_for(
    app: &TestApp,
    name: &str,
    people: &[Invitee],
) -> anyhow::Result<campaign::Model> {
    campaign_with(app, name, people, |_| {}).await
}

/// The same, with `adjust` applied to the campaign before it is stored.
async fn campaign_with(
    app: &TestApp,
    name: &str,
    people: &[Invitee],
    adjust: impl FnOnce(&mut campaign::ActiveModel),
) -> anyhow::Result<campaign::Model> {
    let (org, questionnaire) = tests::organisation_with_questionnaire(&app.state.db).await?;
    let now = Utc::now();
    let mut c = campaign::ActiveModel {
        organisation_id: Set(org),
        questionnaire_id: Set(questionnaire.id),
        name: Set(name.into()),
        opens_at: Set(now - Duration::hours(1)),
        closes_at: Set(now + Duration::days(7)),
        reminder_offsets_hours: Set(serde_json::json!([24])),
        min_group_size: Set(5),
        low_score_threshold: Set(0.5),
        launched_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    };
    adjust(&mut c);
    let c = campaign::Entity::insert(c)
        .exec_with_returning(&app.state.db)
        .await?;
    for invitee in people {
        let p = person::Entity::insert(person::ActiveModel {
            organisation_id: Set(org),
            external_ref: Set(None),
            name: Set(invitee.name.clone()),
            email: Set(Some(invitee.email.clone())),
            kind: Set(PersonKind::Learner),
            language: Set(invitee.language.into()),
            time_zone: Set(invitee.time_zone.into()),
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
        message_id.starts_with(&format!("<invitation.{}.step.0.", c.id))
            && message_id.ends_with("@localhost>"),
        "{message_id}"
    );
    // Another installation, with its own key, numbers its emails the same
    // way but never sends the same Message-ID.
    let elsewhere = TestApp::spawn().await?;
    let theirs = campaign_with_invitees(&elsewhere, 1).await?;
    assert_eq!(theirs.id, c.id);
    delivery::sweep(&context(&elsewhere)?, Some(theirs.id), Utc::now()).await?;
    let their_id = elsewhere.mail.messages()[0].header("Message-ID").unwrap();
    assert_ne!(their_id, message_id);
    elsewhere.stop().await?;
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

/// Parses a message as a mail client would.
fn parse(raw: &str) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a parsable message")
}

#[tokio::test]
async fn line_breaks_in_names_and_subjects_cannot_add_headers() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let people = [
        Invitee {
            name: "Zo\u{eb} Ng\u{1ef5}\u{1ec5}n\r\nBcc: victim@elsewhere.test".into(),
            email: "learner0@org.test".into(),
            language: "fr-CA",
            time_zone: "America/Montreal",
        },
        Invitee {
            name: "\u{674e}\u{534e}\nX-Injected: yes".into(),
            email: "learner1@org.test".into(),
            language: "en",
            time_zone: "Asia/Shanghai",
        },
    ];
    let c = campaign_for(&app, "\u{c9}t\u{e9} 2027\r\nX-Priority: 1", &people).await?;
    let ctx = context(&app)?;

    let done = delivery::sweep(&ctx, Some(c.id), Utc::now()).await?;

    assert_eq!(done.sent, 2);
    let mut messages = app.mail.messages();
    messages.sort_by(|a, b| a.recipients.cmp(&b.recipients));
    for (message, invitee) in messages.iter().zip(&people) {
        assert_eq!(message.recipients, std::slice::from_ref(&invitee.email));
        let parsed = parse(&message.raw);
        for header in parsed.headers() {
            let name = header.name().to_ascii_lowercase();
            assert!(
                !["bcc", "cc", "x-injected", "x-priority"].contains(&name.as_str()),
                "injected header {name} in\n{}",
                message.raw
            );
        }
        let to = parsed.to().and_then(|a| a.first()).expect("a To address");
        assert_eq!(to.address(), Some(invitee.email.as_str()));
        assert_eq!(
            to.name(),
            Some(invitee.name.replace(['\r', '\n'], " ").as_str()),
            "the display name decodes to the stored name"
        );
        let subject = parsed.subject().expect("a subject");
        assert!(
            subject.ends_with("\u{c9}t\u{e9} 2027  X-Priority: 1"),
            "{subject}"
        );
        // Both parts, each with the personal link and the opt-out link.
        let text = parsed.body_text(0).expect("a text part");
        let html = parsed.body_html(0).expect("an HTML part");
        for part in [&text, &html] {
            assert!(part.contains("/respond/"), "{part}");
            assert!(part.contains("/unsubscribe/"), "{part}");
        }
        assert!(
            parsed
                .message_id()
                .is_some_and(|id| id.ends_with("@localhost"))
        );
        assert!(parsed.header_raw("List-Unsubscribe").is_some());
    }
    let french = parse(&messages[0].raw);
    assert!(
        french
            .subject()
            .is_some_and(|s| s.starts_with("Votre avis compte"))
    );
    let text = french.body_text(0).expect("a text part");
    assert!(
        text.contains("(America/Montreal)"),
        "closing time in the reader's zone: {text}"
    );
    assert!(
        french
            .body_html(0)
            .is_some_and(|h| h.contains("lang=\"fr\"") && h.contains("Bcc: victim@elsewhere.test"))
    );
    app.stop().await
}

#[tokio::test]
async fn suppressed_addresses_get_nothing_and_hard_bounces_are_suppressed() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let people: Vec<Invitee> = ["kept@org.test", "Opted.Out@org.test", "gone@org.test"]
        .into_iter()
        .map(|email| Invitee {
            name: "Sam".into(),
            email: email.into(),
            language: "en",
            time_zone: "Europe/London",
        })
        .collect();
    let c = campaign_for(&app, "Survey", &people).await?;
    let ctx = context(&app)?;
    worker::suppression::suppress(
        &app.state.db,
        c.organisation_id,
        " opted.out@ORG.test ",
        entities::SuppressionReason::OptOut,
        None,
        None,
    )
    .await?;

    let first = delivery::sweep(&ctx, Some(c.id), Utc::now()).await?;

    // Only the kept address reached the server; the refused one is now suppressed.
    let recipients: Vec<Vec<String>> = app
        .mail
        .messages()
        .iter()
        .map(|m| m.recipients.clone())
        .collect();
    assert_eq!(recipients, [vec!["kept@org.test".to_owned()]]);
    assert_eq!((first.sent, first.failed, first.suppressed), (1, 1, 1));
    let bounced =
        worker::suppression::is_suppressed(&app.state.db, c.organisation_id, "GONE@org.test")
            .await?;
    assert_eq!(bounced, Some(entities::SuppressionReason::HardBounce));
    let log: Vec<(String, entities::EmailStatus)> = email_message::Entity::find()
        .all(&app.state.db)
        .await?
        .into_iter()
        .map(|m| (m.recipient, m.status))
        .collect();
    assert!(log.contains(&(
        "Opted.Out@org.test".into(),
        entities::EmailStatus::Suppressed
    )));
    assert!(log.contains(&("gone@org.test".into(), entities::EmailStatus::Failed)));

    // The reminder goes to the kept address only: the bounce is suppressed now.
    let later = c.opens_at + Duration::hours(25);
    let second = delivery::sweep(&ctx, Some(c.id), later).await?;
    assert_eq!((second.sent, second.failed, second.suppressed), (1, 0, 2));
    assert_eq!(app.mail.messages().len(), 2);

    // Lifted, the address is written to at the next step, not before.
    worker::suppression::lift(&app.state.db, c.organisation_id, "OPTED.OUT@org.test").await?;
    let again = delivery::sweep(&ctx, Some(c.id), later).await?;
    assert_eq!((again.sent, again.suppressed), (0, 0));
    app.stop().await
}

/// The (recipient, step, subject) of each email recorded since `seen`.
async fn new_emails(app: &TestApp, seen: &mut usize) -> anyhow::Result<Vec<(String, i32, String)>> {
    use sea_orm::QueryOrder;
    let all = email_message::Entity::find()
        .order_by_asc(email_message::Column::Id)
        .all(&app.state.db)
        .await?;
    let fresh = all[*seen..]
        .iter()
        .map(|m| (m.recipient.clone(), m.step.unwrap_or(-1), m.subject.clone()))
        .collect();
    *seen = all.len();
    Ok(fresh)
}

#[tokio::test]
async fn a_daily_reminder_keeps_its_local_hour_across_daylight_saving_and_quiet_hours_defer_it()
-> anyhow::Result<()> {
    use chrono::TimeZone;
    let app = TestApp::spawn().await?;
    let people = [
        Invitee {
            name: "Paris".into(),
            email: "paris@org.test".into(),
            language: "fr",
            time_zone: "Europe/Paris",
        },
        Invitee {
            name: "New York".into(),
            email: "ny@org.test".into(),
            language: "en",
            time_zone: "America/New_York",
        },
    ];
    let utc = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2027, 3, d, h, m, 0).unwrap();
    // Opens at 09:00 in Paris, 04:00 in New York; daily reminders at 09:00
    // local for four days; nothing between 20:00 and 08:00 local.
    let c = campaign_with(&app, "Spring", &people, |c| {
        c.opens_at = Set(utc(25, 8, 0));
        c.closes_at = Set(utc(31, 22, 0));
        c.reminder_offsets_hours = Set(serde_json::json!([24, 48, 72, 96]));
        c.reminder_policy = Set(Some(serde_json::json!({
            "sendAt": "09:00:00",
            "quiet": { "from": "20:00:00", "to": "08:00:00" }
        })));
    })
    .await?;
    let ctx = context(&app)?;
    let mut seen = 0;
    let paris = |step: i32| ("paris@org.test".to_owned(), step);
    let ny = |step: i32| ("ny@org.test".to_owned(), step);

    // Each sweep, at the instant the clock is set to, and what it sends.
    let expected = [
        (utc(25, 8, 0), vec![paris(0)]),
        // 04:00 in New York is quiet: the invitation waits until 08:00 there.
        (utc(25, 11, 59), vec![]),
        (utc(25, 12, 0), vec![ny(0)]),
        (utc(26, 8, 0), vec![paris(1)]),
        (utc(26, 12, 59), vec![]),
        (utc(26, 13, 0), vec![ny(1)]),
        (utc(27, 8, 0), vec![paris(2)]),
        (utc(27, 13, 0), vec![ny(2)]),
        // Paris moves to summer time on the 28th: 09:00 is now 07:00 UTC.
        (utc(28, 6, 59), vec![]),
        (utc(28, 7, 0), vec![paris(3)]),
        // After a day without sweeps, each catches up once, with the latest step.
        (utc(30, 13, 0), vec![paris(4), ny(4)]),
        (utc(30, 13, 0), vec![]),
    ];
    for (at, want) in expected {
        delivery::sweep(&ctx, Some(c.id), at).await?;
        let mut got: Vec<(String, i32)> = new_emails(&app, &mut seen)
            .await?
            .into_iter()
            .map(|(to, step, _)| (to, step))
            .collect();
        got.sort();
        let mut want = want;
        want.sort();
        assert_eq!(got, want, "sweep at {at}");
    }
    let subjects: Vec<String> = app
        .mail
        .messages()
        .iter()
        .filter_map(|m| m.header("Subject"))
        .collect();
    assert_eq!(subjects.len(), 9);
    let log = email_message::Entity::find().all(&app.state.db).await?;
    let subject_of = |to: &str, step: i32| {
        log.iter()
            .find(|m| m.recipient == to && m.step == Some(step))
            .map(|m| m.subject.clone())
            .unwrap_or_default()
    };
    assert_eq!(subject_of("paris@org.test", 3), "Rappel : Spring");
    assert_eq!(subject_of("paris@org.test", 4), "Dernier rappel : Spring");
    assert_eq!(subject_of("ny@org.test", 4), "Last reminder: Spring");
    app.stop().await
}

#[tokio::test]
async fn reminders_stop_at_the_target_response_rate() -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = TestApp::spawn().await?;
    let people: Vec<Invitee> = (0..4)
        .map(|i| Invitee {
            name: format!("Learner {i}"),
            email: format!("l{i}@org.test"),
            language: "en",
            time_zone: "Europe/London",
        })
        .collect();
    let c = campaign_with(&app, "Target", &people, |c| {
        c.reminder_offsets_hours = Set(serde_json::json!([24, 48]));
        c.reminder_policy = Set(Some(serde_json::json!({ "targetResponseRate": 0.5 })));
    })
    .await?;
    let ctx = context(&app)?;
    assert_eq!(delivery::sweep(&ctx, Some(c.id), Utc::now()).await?.sent, 4);

    // One answer in four: the reminder goes to the three others.
    let answered = |n: u64| {
        let db = app.state.db.clone();
        let campaign = c.id;
        async move {
            let ids: Vec<i64> = invitation::Entity::find()
                .filter(invitation::Column::CampaignId.eq(campaign))
                .all(&db)
                .await?
                .into_iter()
                .map(|i| i.id)
                .take(n as usize)
                .collect();
            invitation::Entity::update_many()
                .col_expr(
                    invitation::Column::RespondedAt,
                    sea_orm::sea_query::Expr::value(Some(Utc::now())),
                )
                .filter(invitation::Column::Id.is_in(ids))
                .exec(&db)
                .await?;
            anyhow::Ok(())
        }
    };
    answered(1).await?;
    let later = c.opens_at + Duration::hours(25);
    assert_eq!(delivery::sweep(&ctx, Some(c.id), later).await?.sent, 3);

    // Two in four reach the target: the second reminder goes to nobody.
    answered(2).await?;
    let done = delivery::sweep(&ctx, Some(c.id), c.opens_at + Duration::hours(49)).await?;
    assert_eq!(done.sent, 0);
    assert_eq!(app.mail.messages().len(), 7);
    app.stop().await
}

#[tokio::test]
async fn an_unreachable_server_defers_the_invitation_and_a_sender_refusal_suppresses_no_one()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let people: Vec<Invitee> = ["a@org.test", "b@org.test"]
        .into_iter()
        .map(|email| Invitee {
            name: "Sam".into(),
            email: email.into(),
            language: "en",
            time_zone: "Europe/London",
        })
        .collect();
    let c = campaign_for(&app, "Survey", &people).await?;
    let with = |smtp_url: String, from: &str| {
        let mut settings = app.env.settings.clone();
        settings.smtp_url = Some(smtp_url);
        settings.mail_from = from.into();
        Context::new(&settings, app.state.db.clone(), app.state.tokens.clone())
    };
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        format!("smtp://127.0.0.1:{}", listener.local_addr()?.port())
    };

    // The server is down at opening: both invitations wait.
    let down = with(closed, "Programme <noreply@localhost>")?;
    let first = delivery::sweep(&down, Some(c.id), Utc::now()).await?;
    assert_eq!((first.sent, first.failed, first.deferred), (0, 0, 2));

    // The server refuses our sender for good: a failure, and no address is blamed.
    let refused = with(app.mail.url(), "unauthorised@localhost")?;
    let second = delivery::sweep(&refused, Some(c.id), Utc::now()).await?;
    assert_eq!((second.sent, second.failed, second.deferred), (0, 2, 0));
    for address in ["a@org.test", "b@org.test"] {
        let blamed =
            worker::suppression::is_suppressed(&app.state.db, c.organisation_id, address).await?;
        assert_eq!(blamed, None, "{address}");
    }
    assert!(app.mail.messages().is_empty());

    // The reminder, the first email that reaches them, reads as an invitation.
    let ctx = context(&app)?;
    let later = c.opens_at + Duration::hours(25);
    let third = delivery::sweep(&ctx, Some(c.id), later).await?;
    assert_eq!(third.sent, 2);
    for message in app.mail.messages() {
        let subject = message.header("Subject").unwrap_or_default();
        assert_eq!(subject, "Your opinion counts: Survey");
    }
    app.stop().await
}

#[tokio::test]
async fn a_deferred_invitation_goes_out_at_the_next_sweep() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let people = [Invitee {
        name: "Sam".into(),
        email: "sam@org.test".into(),
        language: "en",
        time_zone: "Europe/London",
    }];
    let c = campaign_for(&app, "Survey", &people).await?;
    let mut settings = app.env.settings.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    settings.smtp_url = Some(format!(
        "smtp://127.0.0.1:{}",
        listener.local_addr()?.port()
    ));
    drop(listener);
    let down = Context::new(&settings, app.state.db.clone(), app.state.tokens.clone())?;

    assert_eq!(
        delivery::sweep(&down, Some(c.id), Utc::now())
            .await?
            .deferred,
        1
    );
    let ctx = context(&app)?;
    let again = delivery::sweep(&ctx, Some(c.id), Utc::now()).await?;
    assert_eq!((again.sent, again.deferred), (1, 0));
    let messages = app.mail.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].header("Subject").as_deref(),
        Some("Your opinion counts: Survey")
    );
    // Sent now: a third sweep has nothing to do.
    assert_eq!(delivery::sweep(&ctx, Some(c.id), Utc::now()).await?.sent, 0);
    let log = email_message::Entity::find().all(&app.state.db).await?;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, entities::EmailStatus::Sent);
    app.stop().await
}

/// A tutor (a person who may have an email) in an active matching with
/// `learner`, or an ended one when `active` is false.
async fn tutor_of(
    app: &TestApp,
    learner: &person::Model,
    tutor: (&str, Option<&str>, &str),
    active: bool,
) -> anyhow::Result<person::Model> {
    use entities::{MatchingStatus, RoleKind, matching, programme, tutor_role};
    let db = &app.state.db;
    let now = Utc::now();
    let org = learner.organisation_id;
    let programme = programme::Entity::insert(programme::ActiveModel {
        organisation_id: Set(org),
        name: Set("First year".into()),
        description: Set(String::new()),
        starts_on: Set(now.date_naive()),
        ends_on: Set(now.date_naive() + Duration::days(300)),
        goals: Set(serde_json::json!([])),
        budget: Set(0.0),
        currency: Set("EUR".into()),
        expected_learners: Set(10),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let role = tutor_role::Entity::insert(tutor_role::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        name: Set("Tutor".into()),
        kind: Set(RoleKind::Tutor),
        functions: Set(serde_json::json!([])),
        hourly_cost: Set(0.0),
        expected_learners: Set(5),
        expected_hours_per_month: Set(2.0),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let (name, email, language) = tutor;
    let tutor = person::Entity::insert(person::ActiveModel {
        organisation_id: Set(org),
        name: Set(name.into()),
        email: Set(email.map(Into::into)),
        kind: Set(PersonKind::Tutor),
        language: Set(language.into()),
        time_zone: Set("Europe/Paris".into()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    matching::Entity::insert(matching::ActiveModel {
        organisation_id: Set(org),
        programme_id: Set(programme.id),
        role_id: Set(role.id),
        learner_id: Set(learner.id),
        tutor_id: Set(tutor.id),
        status: Set(if active {
            MatchingStatus::Active
        } else {
            MatchingStatus::Ended
        }),
        score: Set(1.0),
        breakdown: Set(serde_json::json!({})),
        reason: Set(String::new()),
        proposed_at: Set(now),
        activated_at: Set(Some(now)),
        ended_at: Set((!active).then_some(now)),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(tutor)
}

#[tokio::test]
async fn after_the_last_reminder_tutors_and_coordinators_learn_who_has_not_answered()
-> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = TestApp::spawn().await?;
    let people: Vec<Invitee> = ["Ana", "Bruno", "Chloe", "Dev"]
        .iter()
        .map(|name| Invitee {
            name: (*name).into(),
            email: format!("{}@org.test", name.to_lowercase()),
            language: "en",
            time_zone: "UTC",
        })
        .collect();
    let c = campaign_with(&app, "Mid-term check", &people, |c| {
        c.reminder_offsets_hours = Set(serde_json::json!([24]));
        c.reminder_policy = Set(Some(serde_json::json!({ "escalateAfterHours": 48 })));
    })
    .await?;
    api::auth::add_member(
        &app.state.db,
        ("org", "Org"),
        "coord@org.test",
        "Cole",
        tests::PASSWORD,
        Role::Coordinator,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let learner = |email: &str| {
        let db = app.state.db.clone();
        let email = email.to_owned();
        async move {
            person::Entity::find()
                .filter(person::Column::Email.eq(email))
                .one(&db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no such learner"))
        }
    };
    // Ana and Bruno share a French-speaking tutor; Chloe's tutor has no
    // address and Dev's relation has ended: both go to the coordinator.
    let (ana, bruno) = (
        learner("ana@org.test").await?,
        learner("bruno@org.test").await?,
    );
    let elise = tutor_of(&app, &ana, ("Élise", Some("elise@org.test"), "fr"), true).await?;
    let db = &app.state.db;
    entities::matching::Entity::insert(entities::matching::ActiveModel {
        organisation_id: Set(bruno.organisation_id),
        learner_id: Set(bruno.id),
        tutor_id: Set(elise.id),
        status: Set(entities::MatchingStatus::Active),
        ..entities::matching::Entity::find()
            .filter(entities::matching::Column::TutorId.eq(elise.id))
            .one(db)
            .await?
            .map(|m| {
                let mut m: entities::matching::ActiveModel = m.into();
                m.id = sea_orm::ActiveValue::NotSet;
                m
            })
            .ok_or_else(|| anyhow::anyhow!("no matching"))?
    })
    .exec_without_returning(db)
    .await?;
    tutor_of(
        &app,
        &learner("chloe@org.test").await?,
        ("Hugo", None, "en"),
        true,
    )
    .await?;
    tutor_of(
        &app,
        &learner("dev@org.test").await?,
        ("Iris", Some("iris@org.test"), "en"),
        false,
    )
    .await?;
    // Bruno answers.
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::RespondedAt,
            sea_orm::sea_query::Expr::value(Some(Utc::now())),
        )
        .filter(invitation::Column::PersonId.eq(bruno.id))
        .exec(db)
        .await?;

    let ctx = context(&app)?;
    let before = delivery::sweep(&ctx, Some(c.id), c.opens_at + Duration::hours(47)).await?;
    assert_eq!(before.escalated, 0, "not before the escalation is due");
    let mut seen = app.mail.messages().len();

    let due = c.opens_at + Duration::hours(49);
    let done = delivery::sweep(&ctx, Some(c.id), due).await?;
    assert_eq!(done.escalated, 2);
    let letters = app.mail.messages()[seen..].to_vec();
    let to = |address: &str| {
        letters
            .iter()
            .find(|m| m.recipients.iter().any(|r| r.contains(address)))
            .map(|m| m.body())
    };
    let elise_letter = to("elise@org.test").expect("the tutor is told");
    assert!(elise_letter.contains("Ana"), "{elise_letter}");
    assert!(!elise_letter.contains("Bruno"), "Bruno answered");
    assert!(
        elise_letter.contains("apprenants"),
        "in the tutor's language"
    );
    let cole_letter = to("coord@org.test").expect("the coordinator is told");
    assert!(
        cole_letter.contains("Dev")
            && cole_letter.contains("Chloe")
            && !cole_letter.contains("Ana")
    );
    assert!(
        letters.iter().all(|m| !m
            .recipients
            .iter()
            .any(|r| r.contains("iris@") || r.contains("a@org"))),
        "an ended relation's tutor and the admin are not written to"
    );
    seen = app.mail.messages().len();

    // Once per recipient, however many sweeps follow.
    let again = delivery::sweep(&ctx, Some(c.id), due + Duration::hours(1)).await?;
    assert_eq!((again.escalated, again.sent), (0, 0));
    assert_eq!(app.mail.messages().len(), seen);
    app.stop().await
}

#[tokio::test]
async fn a_mail_server_dropping_idle_connections_loses_and_delays_nothing() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let c = campaign_with_invitees(&app, 10).await?;
    let relay = tests::proxy::Relay::start(([127, 0, 0, 1], app.mail.port()).into()).await?;
    let mut settings = app.env.settings.clone();
    settings.smtp_url = Some(format!("smtp://127.0.0.1:{}", relay.port()));
    let ctx = Context::new(&settings, app.state.db.clone(), app.state.tokens.clone())?;

    let invited = delivery::sweep(&ctx, Some(c.id), Utc::now()).await?;
    assert_eq!(invited.sent, 10);
    // The connections the sender keeps open are closed under it.
    let before = relay.accepted();
    relay.drop_connections();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let reminded = delivery::sweep(&ctx, Some(c.id), c.opens_at + Duration::hours(25)).await?;
    assert_eq!(
        (reminded.sent, reminded.deferred, reminded.failed),
        (10, 0, 0)
    );
    assert_eq!(app.mail.messages().len(), 20);
    assert!(relay.accepted() > before, "the sender connected again");
    app.stop().await
}

#[tokio::test]
async fn nobody_is_named_before_their_own_last_reminder_has_gone() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let people = [Invitee {
        name: "Noor".into(),
        email: "noor@org.test".into(),
        language: "en",
        time_zone: "Pacific/Auckland",
    }];
    // The reminder goes at 23:00 in Auckland on the day its offset falls,
    // which can be long after the escalation's own hour.
    let c = campaign_with(&app, "Late evening", &people, |c| {
        // 13:00 in Auckland; the reminder's day ends up at 23:00 there,
        // 34 hours after opening.
        let opens = chrono::TimeZone::with_ymd_and_hms(&Utc, 2027, 3, 1, 0, 0, 0).unwrap();
        c.opens_at = Set(opens);
        c.closes_at = Set(opens + Duration::days(10));
        c.reminder_offsets_hours = Set(serde_json::json!([24]));
        c.reminder_policy = Set(Some(
            serde_json::json!({ "sendAt": "23:00", "escalateAfterHours": 25 }),
        ));
    })
    .await?;
    let ctx = context(&app)?;
    let reminder = *delivery::due_times(&c, "Pacific/Auckland".parse()?)
        .last()
        .unwrap();
    let escalation = c.opens_at + Duration::hours(25);
    assert_eq!(reminder, c.opens_at + Duration::hours(34));

    let early = delivery::sweep(&ctx, Some(c.id), escalation).await?;
    assert_eq!(early.escalated, 0, "the reminder has not gone yet");
    let later = delivery::sweep(&ctx, Some(c.id), reminder).await?;
    assert_eq!((later.sent, later.escalated), (1, 1), "{later:?}");
    app.stop().await
}

#[tokio::test]
async fn each_clock_slot_fires_once_however_many_workers_tick() -> anyhow::Result<()> {
    use worker::jobs::{missed_since_last, take_slot};
    let app = TestApp::spawn().await?;
    let db = &app.state.db;
    let slot = chrono::TimeZone::with_ymd_and_hms(&Utc, 2027, 1, 4, 9, 0, 0).unwrap();

    // A clock that never fired has missed nothing: a new installation does
    // not sweep on start.
    assert!(!missed_since_last(db, "reminder_sweep", slot).await);

    // Eight workers tick at once: one takes the slot.
    let ticks = (0..8).map(|_| take_slot(db, "reminder_sweep", slot));
    let taken = futures::future::join_all(ticks).await;
    let winners = taken.iter().filter(|t| matches!(t, Ok(true))).count();
    assert_eq!(winners, 1, "{taken:?}");
    assert!(taken.iter().all(Result::is_ok));
    // Another clock's slot at the same time is its own.
    assert!(take_slot(db, "monitor_relations", slot).await?);

    // Down over three slots: on start, the current slot is owed, once.
    let later = slot + Duration::minutes(20);
    assert!(missed_since_last(db, "reminder_sweep", later).await);
    assert!(take_slot(db, "reminder_sweep", later).await?);
    assert!(!missed_since_last(db, "reminder_sweep", later).await);
    assert!(!take_slot(db, "reminder_sweep", later).await?);
    app.stop().await
}
