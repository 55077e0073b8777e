//! Webhooks: a receiver on loopback checks every request as a consumer of
//! the Standard Webhooks specification would, with its own HMAC, and
//! answers as each test scripts it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use entities::Role;
use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Request, Route, Server, handler, post};
use serde_json::{Value, json};
use sha2::Sha256;
use tests::TestApp;

use crate::fixtures::{self, CampaignSpec};

/// One request as the receiver got it.
#[derive(Clone, Debug)]
struct Hook {
    id: String,
    timestamp: i64,
    signatures: String,
    content_type: String,
    body: Vec<u8>,
    /// What the receiver answered.
    answered: u16,
    at: Instant,
}

impl Hook {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

/// How far a webhook's timestamp may be from the receiver's clock.
const TOLERANCE_SECS: i64 = 300;

/// Checks a webhook as the specification tells consumers to: its timestamp
/// within the tolerance of `now`, and one of its `v1` signatures equal to
/// the HMAC-SHA256, under the secret's key, of `{id}.{timestamp}.{body}`,
/// compared in constant time.
fn verify_at(secret: &str, hook: &Hook, now: i64) -> bool {
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|k| STANDARD.decode(k).ok())
    else {
        return false;
    };
    if (now - hook.timestamp).abs() > TOLERANCE_SECS || hook.id.contains('.') {
        return false;
    }
    hook.signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        .any(|signature| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
            mac.update(format!("{}.{}.", hook.id, hook.timestamp).as_bytes());
            mac.update(&hook.body);
            mac.verify_slice(&signature).is_ok()
        })
}

fn verify(secret: &str, hook: &Hook) -> bool {
    verify_at(secret, hook, chrono::Utc::now().timestamp())
}

#[derive(Default)]
struct Inbox {
    /// Secrets a request must be signed with, one at least; else 401.
    secrets: Vec<String>,
    /// Statuses to answer verified requests with, in turn; then 200.
    script: VecDeque<u16>,
    /// How long each answer takes.
    delay: Duration,
    hooks: Vec<Hook>,
}

/// An HTTP server on loopback that receives webhooks.
struct Receiver {
    url: String,
    inbox: Arc<Mutex<Inbox>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[handler]
async fn receive(
    req: &Request,
    body: Vec<u8>,
    inbox: Data<&Arc<Mutex<Inbox>>>,
) -> poem::http::StatusCode {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut hook = Hook {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp").parse().unwrap_or_default(),
        signatures: header("webhook-signature"),
        content_type: header("content-type"),
        body,
        answered: 0,
        at: Instant::now(),
    };
    let (answered, delay) = {
        let mut inbox = inbox.lock().unwrap();
        let verified = inbox.secrets.iter().any(|s| verify(s, &hook));
        hook.answered = if verified {
            inbox.script.pop_front().unwrap_or(200)
        } else {
            401
        };
        let answered = hook.answered;
        inbox.hooks.push(hook);
        (answered, inbox.delay)
    };
    tokio::time::sleep(delay).await;
    poem::http::StatusCode::from_u16(answered).unwrap()
}

impl Receiver {
    async fn start() -> anyhow::Result<Self> {
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let app = Route::new().at("/hook", post(receive)).data(inbox.clone());
        let server = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Ok(Self {
            url: format!("http://{addr}/hook"),
            inbox,
            server,
        })
    }

    fn trust(&self, secret: &str) {
        self.inbox.lock().unwrap().secrets = vec![secret.to_owned()];
    }

    fn script(&self, answers: &[u16]) {
        self.inbox.lock().unwrap().script = answers.iter().copied().collect();
    }

    fn slow(&self, delay: Duration) {
        self.inbox.lock().unwrap().delay = delay;
    }

    fn hooks(&self) -> Vec<Hook> {
        self.inbox.lock().unwrap().hooks.clone()
    }

    /// Waits until `n` requests have come in, and returns them all.
    async fn wait_for(&self, n: usize) -> anyhow::Result<Vec<Hook>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let hooks = self.hooks();
            if hooks.len() >= n {
                return Ok(hooks);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{} of {n} webhooks came within 30 s",
                hooks.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// An app whose endpoints may be on loopback, retrying after `retries`.
async fn app(retries: &[f64]) -> anyhow::Result<TestApp> {
    let retries = retries.to_vec();
    TestApp::spawn_with(move |s| {
        s.webhook_allow_loopback = true;
        s.webhook_retry_secs = retries;
    })
    .await
}

const CREATE: &str = r#"mutation($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { endpoint { id url events enabled } secret }
}"#;

/// Registers `url` for `events`; returns the endpoint's id and secret.
async fn endpoint(
    app: &TestApp,
    token: &str,
    url: &str,
    events: &[&str],
) -> anyhow::Result<(String, String)> {
    let data = app
        .ok(
            CREATE,
            json!({ "input": { "url": url, "events": events, "description": "CRM" } }),
            Some(token),
        )
        .await?;
    let created = &data["createWebhookEndpoint"];
    Ok((
        created["endpoint"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    ))
}

const LOG: &str = r#"query($e: ID!) {
    webhookDeliveries(endpointId: $e) { edges { node {
        id eventId eventType status attemptCount lastStatusCode lastError payload
        attempts { number statusCode error }
    } } }
}"#;

/// The deliveries of an endpoint, newest first.
async fn log(app: &TestApp, token: &str, endpoint: &str) -> anyhow::Result<Vec<Value>> {
    let data = app.ok(LOG, json!({ "e": endpoint }), Some(token)).await?;
    Ok(data["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect())
}

/// Waits until the endpoint's newest delivery is settled, and returns the log.
async fn settled(app: &TestApp, token: &str, endpoint: &str) -> anyhow::Result<Vec<Value>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let deliveries = log(app, token, endpoint).await?;
        if deliveries.first().is_some_and(|d| d["status"] != "PENDING") {
            return Ok(deliveries);
        }
        anyhow::ensure!(Instant::now() < deadline, "not settled: {deliveries:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn submit(app: &TestApp, token: &str) -> anyhow::Result<()> {
    app.ok(
        fixtures::SUBMIT,
        json!({ "input": { "token": token, "answers": fixtures::answers(4.0) } }),
        None,
    )
    .await?;
    Ok(())
}

async fn close(app: &TestApp, token: &str, campaign: &str) -> anyhow::Result<()> {
    app.ok(
        "mutation($input: CampaignInput!) { closeCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(token),
    )
    .await?;
    Ok(())
}

#[test]
fn the_receivers_check_accepts_the_example_of_the_specification() {
    let hook = Hook {
        id: "msg_p5jXN8AQM9LWM0D4loKWxJek".into(),
        timestamp: 1614265330,
        signatures: "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into(),
        content_type: String::new(),
        body: br#"{"test": 2432232314}"#.to_vec(),
        answered: 0,
        at: Instant::now(),
    };
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    assert!(verify_at(secret, &hook, 1614265330 + 10));
    assert!(!verify_at(secret, &hook, 1614265330 + 301), "too old");
    assert!(!verify_at(
        "whsec_bm90IHRoZSBrZXkgYXQgYWxs",
        &hook,
        1614265330
    ));
    let tampered = Hook {
        body: br#"{"test": 2432232315}"#.to_vec(),
        ..hook
    };
    assert!(!verify_at(secret, &tampered, 1614265330));
}

#[tokio::test]
async fn events_reach_a_subscribed_endpoint_signed_so_that_the_receiver_verifies_them()
-> anyhow::Result<()> {
    let app = app(&[1.0]).await?;
    let (admin, campaign, mail) = fixtures::launched(&app, &["en"]).await?;
    let receiver = Receiver::start().await?;
    let events = ["response.submitted", "campaign.closed", "report.generated"];
    let (endpoint, secret) = endpoint(&app, &admin, &receiver.url, &events).await?;
    receiver.trust(&secret);
    assert!(secret.starts_with("whsec_"));
    assert_eq!(STANDARD.decode(&secret["whsec_".len()..])?.len(), 32);

    submit(&app, &mail[0].token().unwrap()).await?;
    let hooks = receiver.wait_for(1).await?;
    close(&app, &admin, &campaign).await?;
    let hooks_after_close = receiver.wait_for(2).await?;
    app.ok(
        "mutation($input: CampaignInput!) { generateReport(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&admin),
    )
    .await?;
    let all = receiver.wait_for(3).await?;

    // Each verified by the receiver's own check, and answered 200.
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks_after_close.len(), 2);
    for hook in &all {
        assert!(verify(&secret, hook), "{hook:?}");
        assert_eq!(hook.answered, 200);
        assert_eq!(hook.content_type, "application/json");
        assert!(hook.id.starts_with("evt_"));
    }
    let bodies: Vec<Value> = all.iter().map(Hook::json).collect();
    let types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(types, events);
    // Thin payloads: ids only. A confidential campaign's response names
    // its invitation, as the coordinators' list of invitations does.
    let submitted = &bodies[0]["data"];
    assert_eq!(submitted["campaignId"], campaign.as_str());
    assert_eq!(submitted["anonymous"], false);
    assert!(submitted["invitationId"].is_string());
    assert!(chrono::DateTime::parse_from_rfc3339(bodies[0]["timestamp"].as_str().unwrap()).is_ok());
    assert_eq!(bodies[1]["data"], json!({ "campaignId": campaign }));
    assert_eq!(bodies[2]["data"]["campaignId"], campaign.as_str());
    assert_eq!(bodies[2]["data"]["reportKind"], "CAMPAIGN");
    assert_eq!(bodies[2]["data"]["version"], 1);
    let report = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Campaign { reports { edges { node { id } } } } } }",
            json!({ "id": campaign }),
            Some(&admin),
        )
        .await?;
    assert_eq!(
        report["node"]["reports"]["edges"][0]["node"]["id"],
        bodies[2]["data"]["reportId"]
    );
    for body in &bodies {
        let text = body.to_string();
        assert!(!text.contains("l0@north.test") && !text.contains("Learner 0"));
    }

    // The log holds each delivery with the event id sent and its attempt.
    let deliveries = settled(&app, &admin, &endpoint).await?;
    assert_eq!(deliveries.len(), 3);
    for (delivery, hook) in deliveries.iter().rev().zip(&all) {
        assert_eq!(delivery["eventId"], hook.id.as_str());
        assert_eq!(delivery["status"], "DELIVERED");
        assert_eq!(delivery["attemptCount"], 1);
        assert_eq!(delivery["lastStatusCode"], 200);
        assert_eq!(delivery["payload"], hook.json());
        assert_eq!(
            delivery["attempts"],
            json!([{ "number": 1, "statusCode": 200, "error": null }])
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_response_to_an_anonymous_campaign_names_its_campaign_and_nobody() -> anyhow::Result<()> {
    let app = app(&[1.0]).await?;
    let admin = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let questionnaire = fixtures::questionnaire(&app, &admin).await?;
    let spec = CampaignSpec {
        anonymity: "ANONYMOUS",
        ..CampaignSpec::default()
    };
    let campaign = fixtures::campaign(&app, &admin, &questionnaire, spec).await?;
    let people = fixtures::learners(&app, &admin, &["a@north.test"]).await?;
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
    app.jobs_done("send_invitations", 1).await?;
    let token = app.mail.messages()[0].token().unwrap();
    let receiver = Receiver::start().await?;
    let (_, secret) = endpoint(&app, &admin, &receiver.url, &["response.submitted"]).await?;
    receiver.trust(&secret);

    submit(&app, &token).await?;
    let hooks = receiver.wait_for(1).await?;

    assert!(verify(&secret, &hooks[0]));
    assert_eq!(
        hooks[0].json()["data"],
        json!({ "campaignId": campaign, "anonymous": true })
    );
    Ok(())
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_again_until_it_answers_2xx_and_the_log_shows_each_try()
-> anyhow::Result<()> {
    // Two retries, 0.3 s apart: three attempts in all.
    let app = app(&[0.3, 0.3]).await?;
    let (admin, _, mail) = fixtures::launched(&app, &["en", "en"]).await?;
    let flaky = Receiver::start().await?;
    let down = Receiver::start().await?;
    let (flaky_id, flaky_secret) =
        endpoint(&app, &admin, &flaky.url, &["response.submitted"]).await?;
    let (down_id, down_secret) = endpoint(&app, &admin, &down.url, &["response.submitted"]).await?;
    flaky.trust(&flaky_secret);
    flaky.script(&[500, 500, 200]);
    down.trust(&down_secret);
    down.script(&[503, 500, 502]);

    submit(&app, &mail[0].token().unwrap()).await?;
    let tries = flaky.wait_for(3).await?;
    let delivered = settled(&app, &admin, &flaky_id).await?;
    let given_up = {
        down.wait_for(3).await?;
        settled(&app, &admin, &down_id).await?
    };

    // The same event, signed afresh each time, after the waits asked for.
    assert_eq!(
        tries.iter().map(|h| h.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert!(
        tries
            .iter()
            .all(|h| h.id == tries[0].id && verify(&flaky_secret, h))
    );
    for pair in tries.windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(300));
    }
    let d = &delivered[0];
    assert_eq!(d["status"], "DELIVERED");
    assert_eq!(d["attemptCount"], 3);
    assert_eq!(d["eventId"], tries[0].id.as_str());
    assert_eq!(
        d["attempts"],
        json!([
            { "number": 1, "statusCode": 500, "error": "answered 500" },
            { "number": 2, "statusCode": 500, "error": "answered 500" },
            { "number": 3, "statusCode": 200, "error": null },
        ])
    );
    // Out of attempts: given up, each answer on record.
    let d = &given_up[0];
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["attemptCount"], 3);
    assert_eq!(d["lastStatusCode"], 502);
    let codes: Vec<&Value> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["statusCode"])
        .collect();
    assert_eq!(codes, [&json!(503), &json!(500), &json!(502)]);

    // Sent again by hand, it goes out under the same id and is delivered.
    let again = app
        .ok(
            "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { delivery { status } } }",
            json!({ "input": { "deliveryId": d["id"] } }),
            Some(&admin),
        )
        .await?;
    assert_eq!(again["redeliverWebhook"]["delivery"]["status"], "PENDING");
    let hooks = down.wait_for(4).await?;
    let redelivered = settled(&app, &admin, &down_id).await?;
    assert_eq!(hooks[3].id, hooks[0].id);
    assert_eq!(hooks[3].answered, 200);
    assert_eq!(redelivered[0]["status"], "DELIVERED");
    assert_eq!(redelivered[0]["attemptCount"], 4);

    // A timestamp outside the tolerance would have been refused.
    let mut stale = hooks[3].clone();
    stale.timestamp -= TOLERANCE_SECS + 1;
    assert!(!verify(&down_secret, &stale));
    Ok(())
}

#[tokio::test]
async fn a_disabled_endpoint_gets_nothing_and_a_close_found_by_the_sweep_goes_once()
-> anyhow::Result<()> {
    let app = app(&[1.0]).await?;
    let (admin, campaign, _) = fixtures::launched(&app, &["en"]).await?;
    let kept = Receiver::start().await?;
    let dropped = Receiver::start().await?;
    let (_, kept_secret) = endpoint(&app, &admin, &kept.url, &["campaign.closed"]).await?;
    let (dropped_id, dropped_secret) =
        endpoint(&app, &admin, &dropped.url, &["campaign.closed"]).await?;
    kept.trust(&kept_secret);
    dropped.trust(&dropped_secret);
    let disabled = app
        .ok(
            "mutation($input: WebhookEndpointInput!) { disableWebhookEndpoint(input: $input) { endpoint { enabled disabledAt } } }",
            json!({ "input": { "endpointId": dropped_id } }),
            Some(&admin),
        )
        .await?;
    assert_eq!(
        disabled["disableWebhookEndpoint"]["endpoint"]["enabled"],
        false
    );

    // The campaign reaches its closing time; the reminder sweep finds it.
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let id = api::ids::decode(&api::ids::ID(campaign.clone()), "Campaign").unwrap();
    let mut row: entities::campaign::ActiveModel = entities::campaign::Entity::find_by_id(id)
        .one(&app.state.db)
        .await?
        .unwrap()
        .into();
    row.closes_at = Set(chrono::Utc::now());
    row.update(&app.state.db).await?;
    let sweep = || worker::Job::ReminderSweep {
        at: chrono::Utc::now(),
    };
    app.state.queue.push(sweep()).await?;
    let hooks = kept.wait_for(1).await?;
    app.state.queue.push(sweep()).await?;
    app.jobs_done("reminder_sweep", 2).await?;
    close(&app, &admin, &campaign).await?;

    assert!(verify(&kept_secret, &hooks[0]));
    assert_eq!(hooks[0].json()["type"], "campaign.closed");
    assert_eq!(hooks[0].json()["data"]["campaignId"], campaign.as_str());
    // Recorded with the event, for the enabled endpoint only: the disabled
    // one has nothing, and nothing is owed to it.
    assert!(dropped.hooks().is_empty());
    assert!(log(&app, &admin, &dropped_id).await?.is_empty());
    // Found by a second sweep and closed by hand afterwards, it is still
    // one event.
    use sea_orm::PaginatorTrait;
    let recorded = entities::webhook_delivery::Entity::find()
        .count(&app.state.db)
        .await?;
    assert_eq!(recorded, 1);
    Ok(())
}

#[tokio::test]
async fn after_a_rotation_deliveries_verify_with_the_new_secret_and_for_a_day_the_old()
-> anyhow::Result<()> {
    let app = app(&[1.0]).await?;
    let (admin, _, mail) = fixtures::launched(&app, &["en"]).await?;
    let receiver = Receiver::start().await?;
    let (endpoint_id, old) = endpoint(&app, &admin, &receiver.url, &["response.submitted"]).await?;

    let rotated = app
        .ok(
            "mutation($input: WebhookEndpointInput!) { rotateWebhookSecret(input: $input) {
                secret previousSecretExpiresAt endpoint { previousSecretExpiresAt } } }",
            json!({ "input": { "endpointId": endpoint_id } }),
            Some(&admin),
        )
        .await?;
    let new = rotated["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    receiver.trust(&new);
    submit(&app, &mail[0].token().unwrap()).await?;
    let hooks = receiver.wait_for(1).await?;

    assert_ne!(new, old);
    assert!(new.starts_with("whsec_"));
    let until = rotated["rotateWebhookSecret"]["previousSecretExpiresAt"]
        .as_str()
        .unwrap();
    let until = chrono::DateTime::parse_from_rfc3339(until)?;
    let hours = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours));
    assert_eq!(hooks[0].answered, 200);
    assert!(verify(&new, &hooks[0]));
    // Both secrets sign during the grace: a receiver not yet switched
    // still verifies.
    assert_eq!(hooks[0].signatures.split(' ').count(), 2);
    assert!(verify(&old, &hooks[0]));
    // The secret is never shown again.
    let listed = app
        .post(
            "{ webhookEndpoints { edges { node { id secret } } } }",
            json!({}),
            Some(&admin),
        )
        .await?;
    assert!(listed["errors"].is_array());
    assert!(!listed.to_string().contains(&new[6..]));
    Ok(())
}

#[tokio::test]
async fn only_the_organisations_admins_and_coordinators_see_and_manage_its_endpoints()
-> anyhow::Result<()> {
    let app = app(&[0.1]).await?;
    let (admin, _, mail) = fixtures::launched(&app, &["en"]).await?;
    let receiver = Receiver::start().await?;
    let (endpoint_id, secret) =
        endpoint(&app, &admin, &receiver.url, &["response.submitted"]).await?;
    receiver.trust(&secret);
    submit(&app, &mail[0].token().unwrap()).await?;
    receiver.wait_for(1).await?;
    let delivery = settled(&app, &admin, &endpoint_id).await?[0]["id"].clone();
    let other = app
        .account("south", "coord@south.test", Role::Coordinator)
        .await?;
    let by_role = [
        app.account("north", "tutor@north.test", Role::Tutor)
            .await?,
        app.account("north", "learner@north.test", Role::Learner)
            .await?,
        app.account("north", "observer@north.test", Role::Observer)
            .await?,
    ];
    let admin_too = app
        .account("north", "admin@north.test", Role::Admin)
        .await?;
    let endpoint_input = json!({ "input": { "endpointId": endpoint_id } });

    // Another organisation sees none and reaches none.
    let listed = app
        .ok(
            "{ webhookEndpoints { edges { node { id } } } }",
            json!({}),
            Some(&other),
        )
        .await?;
    assert_eq!(listed["webhookEndpoints"]["edges"], json!([]));
    let node = app
        .ok(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": endpoint_id }),
            Some(&other),
        )
        .await?;
    assert_eq!(node["node"], Value::Null);
    for mutation in [
        "mutation($input: WebhookEndpointInput!) { disableWebhookEndpoint(input: $input) { endpoint { id } } }",
        "mutation($input: WebhookEndpointInput!) { rotateWebhookSecret(input: $input) { secret } }",
    ] {
        let code = app
            .error_code(mutation, endpoint_input.clone(), Some(&other))
            .await?;
        assert_eq!(code, "NOT_FOUND", "{mutation}");
    }
    let code = app
        .error_code(LOG, json!({ "e": endpoint_id }), Some(&other))
        .await?;
    assert_eq!(code, "NOT_FOUND");
    let code = app
        .error_code(
            "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { delivery { id } } }",
            json!({ "input": { "deliveryId": delivery } }),
            Some(&other),
        )
        .await?;
    assert_eq!(code, "NOT_FOUND");

    // Tutors, learners and observers of the organisation may do nothing.
    for token in &by_role {
        let create = json!({ "input": { "url": receiver.url, "events": ["alert.raised"] } });
        assert_eq!(
            app.error_code(CREATE, create, Some(token)).await?,
            "FORBIDDEN"
        );
        let list = "{ webhookEndpoints { edges { node { id } } } }";
        assert_eq!(
            app.error_code(list, json!({}), Some(token)).await?,
            "FORBIDDEN"
        );
        let code = app
            .error_code(LOG, json!({ "e": endpoint_id }), Some(token))
            .await?;
        assert_eq!(code, "FORBIDDEN");
    }

    // Its admins manage what its coordinators made; a disabled endpoint's
    // deliveries are not sent again.
    let listed = app
        .ok(
            "{ webhookEndpoints { edges { node { id url events description } } } }",
            json!({}),
            Some(&admin_too),
        )
        .await?;
    assert_eq!(
        listed["webhookEndpoints"]["edges"][0]["node"],
        json!({ "id": endpoint_id, "url": receiver.url, "events": ["response.submitted"], "description": "CRM" })
    );
    let disabled = app
        .ok(
            "mutation($input: WebhookEndpointInput!) { disableWebhookEndpoint(input: $input) { endpoint { enabled } } }",
            endpoint_input,
            Some(&admin_too),
        )
        .await?;
    assert_eq!(
        disabled["disableWebhookEndpoint"]["endpoint"]["enabled"],
        false
    );
    let code = app
        .error_code(
            "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { delivery { id } } }",
            json!({ "input": { "deliveryId": delivery } }),
            Some(&admin),
        )
        .await?;
    assert_eq!(code, "CONFLICT");
    assert_eq!(receiver.hooks().len(), 1);
    Ok(())
}

/// The field a BAD_USER_INPUT error names, and its message.
async fn refusal(app: &TestApp, token: &str, url: &str, events: &[&str]) -> anyhow::Result<String> {
    let body = app
        .post(
            CREATE,
            json!({ "input": { "url": url, "events": events } }),
            Some(token),
        )
        .await?;
    let error = &body["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "BAD_USER_INPUT",
        "{url}: {body}"
    );
    let problem = &error["extensions"]["problems"][0];
    Ok(format!(
        "{}: {}",
        problem["field"].as_str().unwrap_or_default(),
        problem["message"].as_str().unwrap_or_default()
    ))
}

#[tokio::test]
async fn urls_that_are_not_public_https_and_unknown_events_are_refused() -> anyhow::Result<()> {
    let app = app(&[1.0]).await?;
    let admin = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let events = ["alert.raised"];

    for url in [
        "not a url",
        "/relative/hook",
        "ftp://hooks.example.org/in",
        "http://hooks.example.org/in",
        "https://user:secret@hooks.example.org/in",
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://10.0.0.8/hook",
        "https://192.168.1.20/hook",
        "https://metadata.google.internal/",
        "https://intranet/hook",
    ] {
        let refused = refusal(&app, &admin, url, &events).await?;
        assert!(refused.starts_with("url: "), "{url}: {refused}");
    }
    let refused = refusal(&app, &admin, "http://127.0.0.1:9/hook", &["user.created"]).await?;
    assert!(refused.starts_with("events[0]: "), "{refused}");
    assert!(
        refusal(&app, &admin, "http://127.0.0.1:9/hook", &[])
            .await?
            .starts_with("events: ")
    );
    // Loopback is allowed here, as the settings say; nothing was stored
    // for the refused ones.
    let (_, _) = endpoint(&app, &admin, "http://127.0.0.1:9/hook", &events).await?;
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        entities::webhook_endpoint::Entity::find()
            .count(&app.state.db)
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn by_default_only_public_https_endpoints_are_accepted() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let admin = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;

    for url in [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1:9/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
    ] {
        let refused = refusal(&app, &admin, url, &["alert.raised"]).await?;
        assert!(refused.starts_with("url: "), "{url}: {refused}");
    }
    // Accepted without being called: no event is raised here.
    let (_, secret) = endpoint(
        &app,
        &admin,
        "https://hooks.example.org/tutorial?key=abc",
        &["alert.raised"],
    )
    .await?;
    assert!(secret.starts_with("whsec_"));
    Ok(())
}

#[tokio::test]
async fn a_pairing_and_the_alert_it_raises_reach_the_endpoint_once() -> anyhow::Result<()> {
    let app = app(&[1.0]).await?;
    let s = crate::running::scenario(&app, "watch").await?;
    app.ok(
        "mutation($input: SetStandardInput!) { setStandard(input: $input) { standard { kind } } }",
        json!({ "input": { "programmeId": s.programme, "kind": "FIRST_CONTACT_DAYS", "threshold": 7, "severity": "HIGH" } }),
        Some(&s.token),
    )
    .await?;
    let receiver = Receiver::start().await?;
    let events = ["matching.activated", "alert.raised"];
    let (endpoint_id, secret) = endpoint(&app, &s.token, &receiver.url, &events).await?;
    receiver.trust(&secret);

    let matching = crate::running::pair_by_hand(&app, &s).await?;
    let paired = receiver.wait_for(1).await?;
    // Eight days without a first contact: the nightly check raises an
    // alert, and the same check again raises nothing more.
    let at = chrono::Utc::now() + chrono::Duration::days(8);
    let monitor = || worker::Job::MonitorRelations {
        at,
        organisation_id: None,
    };
    app.state.queue.push(monitor()).await?;
    let alerted = receiver.wait_for(2).await?;
    app.state.queue.push(monitor()).await?;
    app.jobs_done("monitor_relations", 2).await?;
    let deliveries = settled(&app, &s.token, &endpoint_id).await?;

    assert_eq!(paired.len(), 1);
    let body = paired[0].json();
    assert!(verify(&secret, &paired[0]));
    assert_eq!(body["type"], "matching.activated");
    assert_eq!(body["data"]["matchingId"], matching);
    assert_eq!(body["data"]["programmeId"], s.programme);
    assert_eq!(body["data"]["roleId"], s.role);
    assert_eq!(body["data"]["learnerId"], s.learners[0]);
    assert_eq!(body["data"]["tutorId"], s.tutors[0]);
    let alert = alerted[1].json();
    assert!(verify(&secret, &alerted[1]));
    assert_eq!(alert["type"], "alert.raised");
    assert_eq!(alert["data"]["matchingId"], matching);
    assert_eq!(alert["data"]["severity"], "HIGH");
    assert_eq!(alert["data"]["day"], at.date_naive().to_string());
    // Ids only: the alert's message names the learner, and stays home.
    assert!(!alert.to_string().contains("Learner"));
    assert_eq!(deliveries.len(), 2);
    assert_eq!(receiver.hooks().len(), 2);
    Ok(())
}

#[tokio::test]
async fn several_workers_at_once_send_each_delivery_once() -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use worker::webhooks::{Event, deliver_due, record};
    let app = app(&[0.1]).await?;
    let admin = app
        .account("north", "coord@north.test", Role::Coordinator)
        .await?;
    let receiver = Receiver::start().await?;
    receiver.slow(Duration::from_millis(30));
    let (_, secret) = endpoint(&app, &admin, &receiver.url, &["report.generated"]).await?;
    receiver.trust(&secret);
    let db = &app.state.db;
    let org = entities::webhook_endpoint::Entity::find()
        .one(db)
        .await?
        .unwrap()
        .organisation_id;
    // Forty events recorded straight into the database, where no worker
    // is told of them: two workers of their own go at them together.
    for report in 1..=40 {
        let event = Event::campaign_report_generated(org, report, 1, 1, chrono::Utc::now());
        assert_eq!(record(db, &event).await?, 1);
    }
    let worker = || worker::Context::new(&app.env.settings, db.clone(), app.state.tokens.clone());
    let (one, two) = (worker()?, worker()?);

    let (a, b) = futures::join!(deliver_due(&one), deliver_due(&two));
    let (a, b) = (a?, b?);
    // The app's own worker may have joined in: wait for every delivery.
    let delivered = || {
        entities::webhook_delivery::Entity::find()
            .filter(
                entities::webhook_delivery::Column::Status.eq(entities::WebhookStatus::Delivered),
            )
            .count(db)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while delivered().await? < 40 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let hooks = receiver.hooks();
    let ids: std::collections::HashSet<&str> = hooks.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(
        hooks.len(),
        40,
        "{} sent by one, {} by the other",
        a.delivered,
        b.delivered
    );
    assert_eq!(ids.len(), 40);
    assert!(a.delivered + b.delivered <= 40);
    assert!(hooks.iter().all(|h| verify(&secret, h)));
    assert_eq!(delivered().await?, 40);
    let attempts = entities::webhook_attempt::Entity::find().count(db).await?;
    assert_eq!(attempts, 40);
    Ok(())
}
