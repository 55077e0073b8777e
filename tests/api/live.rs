//! Live subscriptions over WebSocket, in the graphql-ws protocol: a
//! client signs in at `connection_init`, subscribes, and hears of changes
//! as they happen, within its rights.

use std::time::{Duration, Instant};

use chrono::Utc;
use entities::Role;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tests::TestApp;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use worker::Job;

use crate::fixtures;
use crate::running::{pair_by_hand, scenario};

/// Longest wait for a message that a change should bring at once: well
/// under the subscriptions' own periodic look (15 s), so an update that
/// came only from that look fails the test.
const PROMPT: Duration = Duration::from_secs(5);

const PROGRESS: &str = "subscription($id: ID!) { campaignProgress(campaignId: $id) {
    campaignId status invitationCount answeredCount responseCount responseRate } }";

const ALERTS: &str = "subscription($id: ID!) { relationAlerts(programmeId: $id) {
    id severity message matching { id } } }";

/// A graphql-ws client.
struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Socket {
    /// Connects and signs in with `token` in the `connection_init` payload;
    /// fails unless the server acknowledges.
    async fn open(app: &TestApp, token: Option<&str>) -> anyhow::Result<Self> {
        let mut socket = Self::connect(app).await?;
        let payload = token.map_or(
            json!({}),
            |t| json!({ "authorization": format!("Bearer {t}") }),
        );
        socket
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await?;
        let ack = socket.receive().await?;
        anyhow::ensure!(ack["type"] == "connection_ack", "not acknowledged: {ack}");
        Ok(socket)
    }

    async fn connect(app: &TestApp) -> anyhow::Result<Self> {
        Self::connect_speaking(app, "graphql-transport-ws").await
    }

    /// Connects in `protocol`, which the server must accept.
    async fn connect_speaking(app: &TestApp, protocol: &str) -> anyhow::Result<Self> {
        let url = format!("{}/graphql/ws", app.url.replacen("http", "ws", 1));
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse()?);
        let (ws, response) = tokio_tungstenite::connect_async(request).await?;
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        Ok(Self(ws))
    }

    async fn send(&mut self, message: Value) -> anyhow::Result<()> {
        self.0.send(Message::text(message.to_string())).await?;
        Ok(())
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) -> anyhow::Result<()> {
        self.send(json!({ "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables } }))
            .await
    }

    /// The next protocol message, answering pings on the way; an error if
    /// none comes within [`PROMPT`] or the server closes.
    async fn receive(&mut self) -> anyhow::Result<Value> {
        loop {
            let message = tokio::time::timeout(PROMPT, self.0.next())
                .await
                .map_err(|_| anyhow::anyhow!("nothing within {PROMPT:?}"))?
                .ok_or_else(|| anyhow::anyhow!("the server closed the connection"))??;
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(text.as_str())?;
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await?;
                        continue;
                    }
                    return Ok(value);
                }
                Message::Close(frame) => anyhow::bail!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// Ends subscription `id`; the server sends nothing more for it.
    async fn complete(&mut self, id: &str) -> anyhow::Result<()> {
        self.send(json!({ "type": "complete", "id": id })).await
    }

    /// The code the server closes the connection with, past any other
    /// message; an error if it does not close within [`PROMPT`].
    async fn close_code(&mut self) -> anyhow::Result<u16> {
        loop {
            let message = tokio::time::timeout(PROMPT, self.0.next())
                .await
                .map_err(|_| anyhow::anyhow!("not closed within {PROMPT:?}"))?;
            match message {
                Some(Ok(Message::Close(Some(frame)))) => return Ok(frame.code.into()),
                Some(Ok(Message::Close(None))) | None => anyhow::bail!("closed without a code"),
                Some(Err(error)) => anyhow::bail!("{error}"),
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next message for subscription `id`, past the server's
    /// confirmations that others ended.
    async fn receive_for(&mut self, id: &str) -> anyhow::Result<Value> {
        loop {
            let message = self.receive().await?;
            if message["id"] != id && message["type"] == "complete" {
                continue;
            }
            anyhow::ensure!(message["id"] == id, "not for {id}: {message}");
            return Ok(message);
        }
    }

    /// The next payload of subscription `id`.
    async fn next(&mut self, id: &str) -> anyhow::Result<Value> {
        let message = self.receive_for(id).await?;
        anyhow::ensure!(message["type"] == "next", "not a result: {message}");
        Ok(message["payload"].clone())
    }

    /// The code of the error subscription `id` ends with; it must end.
    async fn error_code(&mut self, id: &str) -> anyhow::Result<String> {
        let message = self.receive_for(id).await?;
        let errors = match message["type"].as_str() {
            Some("error") => message["payload"].clone(),
            Some("next") => {
                let done = self.receive_for(id).await?;
                anyhow::ensure!(done["type"] == "complete", "not ended: {done}");
                message["payload"]["errors"].clone()
            }
            _ => anyhow::bail!("not an error: {message}"),
        };
        Ok(errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
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

#[tokio::test]
async fn a_campaigns_figures_come_at_once_then_with_each_change() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, mail) = fixtures::launched(&app, &["en", "en"]).await?;
    let mut socket = Socket::open(&app, Some(&coordinator)).await?;
    socket
        .subscribe("1", PROGRESS, json!({ "id": campaign }))
        .await?;

    let now = socket.next("1").await?;
    assert_eq!(
        now["data"]["campaignProgress"],
        json!({ "campaignId": campaign, "status": "OPEN", "invitationCount": 2,
                "answeredCount": 0, "responseCount": 0, "responseRate": 0.0 })
    );

    let answered = Instant::now();
    submit(&app, &mail[0].token().unwrap()).await?;
    let after = socket.next("1").await?;
    assert!(answered.elapsed() < PROMPT);
    let figures = &after["data"]["campaignProgress"];
    assert_eq!(figures["answeredCount"], 1);
    assert_eq!(figures["responseCount"], 1);
    assert_eq!(figures["responseRate"], 0.5);

    app.ok(
        "mutation($input: CampaignInput!) { closeCampaign(input: $input) { campaign { id } } }",
        json!({ "input": { "campaignId": campaign } }),
        Some(&coordinator),
    )
    .await?;
    let closed = socket.next("1").await?;
    assert_eq!(closed["data"]["campaignProgress"]["status"], "CLOSED");
    assert_eq!(closed["data"]["campaignProgress"]["answeredCount"], 1);

    // Unsubscribed, nothing more comes, not even a `complete`; the
    // connection still serves.
    socket.complete("1").await?;
    socket
        .subscribe("2", PROGRESS, json!({ "id": campaign }))
        .await?;
    let next = socket.receive().await?;
    assert_eq!((&next["type"], &next["id"]), (&json!("next"), &json!("2")));
    assert_eq!(
        next["payload"]["data"]["campaignProgress"]["status"],
        "CLOSED"
    );
    Ok(())
}

#[tokio::test]
async fn alerts_raised_by_the_nightly_check_reach_the_coordinator_as_they_are_raised()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let s = scenario(&app, "watch").await?;
    app.ok(
        "mutation($input: SetStandardInput!) { setStandard(input: $input) { standard { kind } } }",
        json!({ "input": { "programmeId": s.programme, "kind": "FIRST_CONTACT_DAYS", "threshold": 7, "severity": "HIGH" } }),
        Some(&s.token),
    )
    .await?;
    let matching = pair_by_hand(&app, &s).await?;

    let mut socket = Socket::open(&app, Some(&s.token)).await?;
    socket
        .subscribe("a", ALERTS, json!({ "id": s.programme }))
        .await?;
    // The subscription is in place once it answers; a first, quiet wait
    // shows nothing is sent before an alert is raised.
    assert!(socket.receive().await.is_err());

    app.state
        .enqueue(Job::MonitorRelations {
            at: Utc::now() + chrono::Duration::days(8),
            organisation_id: None,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let alert = socket.next("a").await?["data"]["relationAlerts"].clone();
    assert_eq!(alert["severity"], "HIGH");
    assert_eq!(alert["matching"]["id"], matching);
    assert!(
        alert["message"]
            .as_str()
            .unwrap()
            .contains("no first contact")
    );
    Ok(())
}

#[tokio::test]
async fn subscriptions_are_for_signed_in_readers_of_their_own_organisation() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (_, campaign, _) = fixtures::launched(&app, &["en"]).await?;

    // Anonymous: connected, but nothing to read.
    let mut anonymous = Socket::open(&app, None).await?;
    anonymous
        .subscribe("1", PROGRESS, json!({ "id": campaign }))
        .await?;
    assert_eq!(anonymous.error_code("1").await?, "UNAUTHENTICATED");

    // A learner reads no campaign's figures; a tutor no programme's alerts.
    let learner = app
        .account("north", "learner@north.test", Role::Learner)
        .await?;
    let mut socket = Socket::open(&app, Some(&learner)).await?;
    socket
        .subscribe("1", PROGRESS, json!({ "id": campaign }))
        .await?;
    assert_eq!(socket.error_code("1").await?, "FORBIDDEN");

    // Another organisation's coordinator finds no such campaign.
    let other = app
        .account("south", "coord@south.test", Role::Coordinator)
        .await?;
    let mut socket = Socket::open(&app, Some(&other)).await?;
    socket
        .subscribe("1", PROGRESS, json!({ "id": campaign }))
        .await?;
    assert_eq!(socket.error_code("1").await?, "NOT_FOUND");
    socket
        .subscribe("2", PROGRESS, json!({ "id": "not-an-id" }))
        .await?;
    assert_eq!(socket.error_code("2").await?, "BAD_USER_INPUT");

    // A token that is not valid is refused at sign-in: no acknowledgement.
    let mut refused = Socket::connect(&app).await?;
    refused
        .send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer nope" } }))
        .await?;
    assert_eq!(
        refused.close_code().await?,
        4403,
        "Forbidden, unacknowledged"
    );
    Ok(())
}

#[tokio::test]
async fn an_api_key_subscribes_only_with_its_read_scope() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (_, campaign, _) = fixtures::launched(&app, &["en"]).await?;
    let admin = app
        .account("north", "admin@north.test", Role::Admin)
        .await?;
    let key = async |scope: &str| -> anyhow::Result<String> {
        let made = app
            .ok(
                "mutation($s: [ApiKeyScope!]!) { createApiKey(input: {name: \"k\", scopes: $s}) { key } }",
                json!({ "s": [scope] }),
                Some(&admin),
            )
            .await?;
        Ok(made["createApiKey"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    };

    for scope in ["WRITE", "IMPORT_PEOPLE"] {
        let mut socket = Socket::open(&app, Some(&key(scope).await?)).await?;
        socket
            .subscribe("1", PROGRESS, json!({ "id": campaign }))
            .await?;
        assert_eq!(socket.error_code("1").await?, "FORBIDDEN", "{scope}");
    }
    let mut reader = Socket::open(&app, Some(&key("READ").await?)).await?;
    reader
        .subscribe("1", PROGRESS, json!({ "id": campaign }))
        .await?;
    let first = reader.next("1").await?;
    assert_eq!(
        first["data"]["campaignProgress"]["invitationCount"], 1,
        "{first}"
    );
    Ok(())
}

#[tokio::test]
async fn a_message_too_long_ends_the_connection_unread() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    // Two megabytes of `[]` would take tens of megabytes once parsed, and
    // a connection's first message comes before anyone signs in.
    let padding = vec![json!([]); 700_000];
    let mut socket = Socket::connect(&app).await?;
    let sent = socket
        .send(json!({ "type": "connection_init", "payload": { "x": padding } }))
        .await;
    let answer = match sent {
        Ok(()) => socket.receive().await,
        Err(e) => Err(e),
    };
    assert!(answer.is_err(), "{answer:?}");

    // A message of ordinary length is read as before.
    let mut fine = Socket::connect(&app).await?;
    fine.send(json!({ "type": "connection_init", "payload": { "x": "x".repeat(100_000) } }))
        .await?;
    assert_eq!(fine.receive().await?["type"], "connection_ack");
    Ok(())
}

#[tokio::test]
async fn a_subscription_ends_when_its_token_is_revoked() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, mail) = fixtures::launched(&app, &["en"]).await?;
    let mut socket = Socket::open(&app, Some(&coordinator)).await?;
    socket
        .subscribe("1", PROGRESS, json!({ "id": campaign }))
        .await?;
    socket.next("1").await?;

    app.ok(
        "mutation { signOut { sessionsEnded } }",
        json!({}),
        Some(&coordinator),
    )
    .await?;
    // The next change finds the token revoked: the subscription ends.
    submit(&app, &mail[0].token().unwrap()).await?;
    assert_eq!(socket.error_code("1").await?, "UNAUTHENTICATED");
    Ok(())
}

#[tokio::test]
async fn a_connection_holds_a_bounded_number_of_subscriptions() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, _) = fixtures::launched(&app, &["en"]).await?;
    let mut socket = Socket::open(&app, Some(&coordinator)).await?;
    for i in 0..api::live::MAX_SUBSCRIPTIONS {
        let id = i.to_string();
        socket
            .subscribe(&id, PROGRESS, json!({ "id": campaign }))
            .await?;
        socket.next(&id).await?;
    }
    socket
        .subscribe("over", PROGRESS, json!({ "id": campaign }))
        .await?;
    assert_eq!(socket.error_code("over").await?, "RATE_LIMITED");

    // One given back, one more may start.
    socket
        .send(json!({ "id": "0", "type": "complete" }))
        .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    socket
        .subscribe("again", PROGRESS, json!({ "id": campaign }))
        .await?;
    socket.next("again").await?;
    Ok(())
}

#[tokio::test]
async fn over_http_a_subscription_is_refused_with_a_code() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, _) = fixtures::launched(&app, &["en"]).await?;
    let code = app
        .error_code(PROGRESS, json!({ "id": campaign }), Some(&coordinator))
        .await?;
    assert_eq!(code, "BAD_USER_INPUT");
    Ok(())
}

#[tokio::test]
async fn with_redis_a_response_taken_by_another_replica_reaches_the_subscriber()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    if app.env.settings.redis_url.is_none() {
        // Embedded, the api is one process: there is no other replica.
        return Ok(());
    }
    let (coordinator, campaign, mail) = fixtures::launched(&app, &["en", "en"]).await?;
    let other = app.sibling().await?;
    let mut socket = Socket::open(&app, Some(&coordinator)).await?;
    socket
        .subscribe("1", PROGRESS, json!({ "id": campaign }))
        .await?;
    socket.next("1").await?;

    submit(&other, &mail[1].token().unwrap()).await?;
    let after = socket.next("1").await?;
    assert_eq!(after["data"]["campaignProgress"]["answeredCount"], 1);
    Ok(())
}

#[tokio::test]
async fn clients_of_the_older_subscriptions_transport_protocol_are_served_too() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, _) = fixtures::launched(&app, &["en"]).await?;
    let mut socket = Socket::connect_speaking(&app, "graphql-ws").await?;
    socket
        .send(json!({ "type": "connection_init",
            "payload": { "authorization": format!("Bearer {coordinator}") } }))
        .await?;
    assert_eq!(socket.receive().await?["type"], "connection_ack");
    socket
        .send(json!({ "id": "1", "type": "start",
            "payload": { "query": PROGRESS, "variables": { "id": campaign } } }))
        .await?;
    let message = loop {
        let message = socket.receive().await?;
        // Keep-alives come unasked in this protocol.
        if message["type"] != "ka" {
            break message;
        }
    };
    assert_eq!(message["type"], "data");
    assert_eq!(message["id"], "1");
    assert_eq!(
        message["payload"]["data"]["campaignProgress"]["invitationCount"],
        1
    );
    // The client ends the connection; the server closes it in turn.
    socket
        .send(json!({ "type": "connection_terminate" }))
        .await?;
    assert_eq!(socket.close_code().await?, 1000);

    // A refused sign-in is told with `connection_error`, then the
    // connection is closed rather than dropped.
    let mut refused = Socket::connect_speaking(&app, "graphql-ws").await?;
    refused
        .send(json!({ "type": "connection_init",
            "payload": { "authorization": "Bearer not-a-token" } }))
        .await?;
    assert_eq!(refused.receive().await?["type"], "connection_error");
    assert_eq!(refused.close_code().await?, 1000);

    // A `start` before the acknowledgement closes as in the newer protocol.
    let mut early = Socket::connect_speaking(&app, "graphql-ws").await?;
    early
        .send(json!({ "id": "1", "type": "start", "payload": { "query": PROGRESS } }))
        .await?;
    assert_eq!(early.close_code().await?, 4401);
    Ok(())
}

#[tokio::test]
async fn an_older_protocol_client_that_sends_nothing_more_keeps_its_subscription()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, mail) = fixtures::launched(&app, &["en"]).await?;
    let mut socket = Socket::connect_speaking(&app, "graphql-ws").await?;
    socket
        .send(json!({ "type": "connection_init",
            "payload": { "authorization": format!("Bearer {coordinator}") } }))
        .await?;
    assert_eq!(socket.receive().await?["type"], "connection_ack");
    socket
        .send(json!({ "id": "1", "type": "start",
            "payload": { "query": PROGRESS, "variables": { "id": campaign } } }))
        .await?;

    // Such clients never write after `start`: past the time a silent
    // graphql-transport-ws client is given, the figures still come.
    tokio::time::sleep(api::live::IDLE_CLIENT + Duration::from_secs(3)).await;
    submit(&app, &mail[0].token().unwrap()).await?;
    loop {
        let message = socket.receive().await?;
        assert_ne!(message["type"], "connection_error", "{message}");
        if message["type"] == "data"
            && message["payload"]["data"]["campaignProgress"]["responseCount"] == 1
        {
            break;
        }
    }
    Ok(())
}

#[tokio::test]
async fn queries_and_mutations_go_over_http_and_the_socket_refuses_them() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (coordinator, campaign, _) = fixtures::launched(&app, &["en"]).await?;
    let mut socket = Socket::open(&app, Some(&coordinator)).await?;
    socket
        .subscribe("q", "{ people(first: 1) { totalCount } }", json!({}))
        .await?;
    assert_eq!(socket.error_code("q").await?, "BAD_USER_INPUT");
    socket
        .subscribe("m", "mutation { signOut { sessionsEnded } }", json!({}))
        .await?;
    assert_eq!(socket.error_code("m").await?, "BAD_USER_INPUT");
    // Still signed in: the refused mutation did not run.
    app.ok("{ viewer { email } }", json!({}), Some(&coordinator))
        .await?;

    // The limits of HTTP hold here too, with their codes.
    let aliases: String = (0..150).map(|i| format!("a{i}: status ")).collect();
    let wide =
        format!("subscription($id: ID!) {{ campaignProgress(campaignId: $id) {{ {aliases} }} }}");
    socket
        .subscribe("w", &wide, json!({ "id": campaign }))
        .await?;
    assert_eq!(socket.error_code("w").await?, "BAD_USER_INPUT");
    socket
        .subscribe(
            "v",
            "subscription { campaignProgress { status } }",
            json!({}),
        )
        .await?;
    assert_eq!(socket.error_code("v").await?, "BAD_USER_INPUT");

    // A malformed sign-in is refused as a wrong token is, not taken for
    // an anonymous caller.
    for payload in [
        json!({ "authorization": "Basic dXNlcjpwYXNz" }),
        json!({ "authorization": "Bearer " }),
        json!({ "authorization": 42 }),
        json!("Bearer something"),
    ] {
        let mut refused = Socket::connect(&app).await?;
        refused
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await?;
        assert_eq!(refused.close_code().await?, 4403, "{payload}");
    }
    Ok(())
}

#[tokio::test]
async fn the_socket_closes_with_the_codes_of_the_graphql_ws_protocol() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let (token, campaign, _) = fixtures::launched(&app, &["en"]).await?;
    let variables = json!({ "id": campaign });

    // A subscription refused before it runs gets the protocol's `error`,
    // and no `complete` after it: the next message is another's.
    let mut socket = Socket::open(&app, Some(&token)).await?;
    socket
        .subscribe("0", "subscription { nope }", json!({}))
        .await?;
    let refused = socket.receive().await?;
    assert_eq!(
        (&refused["type"], &refused["id"]),
        (&json!("error"), &json!("0"))
    );
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    socket.subscribe("1", PROGRESS, variables.clone()).await?;
    let next = socket.receive().await?;
    assert_eq!((&next["type"], &next["id"]), (&json!("next"), &json!("1")));
    socket.complete("1").await?;

    // A second subscription under an id in use: 4409. Once that
    // subscription has ended, its id may be used again.
    socket.subscribe("1", PROGRESS, variables.clone()).await?;
    socket.next("1").await?;
    socket.complete("1").await?;
    socket.subscribe("1", PROGRESS, variables.clone()).await?;
    socket.next("1").await?;
    socket.subscribe("1", PROGRESS, variables.clone()).await?;
    assert_eq!(socket.close_code().await?, 4409);

    // Messages that are not the protocol's: 4400.
    for message in [
        json!({ "id": "1" }),
        json!({ "type": "start", "id": "1", "payload": { "query": PROGRESS } }),
        json!({ "type": "subscribe", "id": "1", "payload": {} }),
        json!({ "type": "subscribe", "payload": { "query": PROGRESS } }),
    ] {
        let mut socket = Socket::open(&app, Some(&token)).await?;
        socket.send(message.clone()).await?;
        assert_eq!(socket.close_code().await?, 4400, "{message}");
    }
    let mut socket = Socket::connect(&app).await?;
    socket.0.send(Message::text("{not json")).await?;
    assert_eq!(socket.close_code().await?, 4400);

    // A message over the size limit: 1009, the WebSocket code for it.
    let mut socket = Socket::open(&app, Some(&token)).await?;
    let huge = "x".repeat(api::live::MAX_MESSAGE_BYTES + 1);
    socket.0.send(Message::text(huge)).await?;
    assert_eq!(socket.close_code().await?, 1009);

    // A subscription before the acknowledgement: 4401.
    let mut early = Socket::connect(&app).await?;
    early.subscribe("1", PROGRESS, variables.clone()).await?;
    assert_eq!(early.close_code().await?, 4401);

    // A client that never initialises is closed with 4408; one that did
    // is pinged while quiet, and stays.
    let mut silent = Socket::connect(&app).await?;
    let mut quiet = Socket::open(&app, Some(&token)).await?;
    let started = Instant::now();
    let wait = api::live::INIT_WAIT.max(api::live::PING_EVERY) + PROMPT;
    let pinged = loop {
        let message = tokio::time::timeout(wait, quiet.0.next()).await;
        match message {
            Ok(Some(Ok(Message::Text(text)))) => {
                let value: Value = serde_json::from_str(text.as_str())?;
                if value["type"] == "ping" {
                    break started.elapsed();
                }
            }
            Ok(Some(Ok(_))) => {}
            other => anyhow::bail!("no ping from the server: {other:?}"),
        }
    };
    assert!(
        pinged >= api::live::PING_EVERY.saturating_sub(Duration::from_secs(1)),
        "{pinged:?}"
    );
    quiet.send(json!({ "type": "pong" })).await?;
    quiet.subscribe("2", PROGRESS, variables).await?;
    quiet.next("2").await?;
    let code = tokio::time::timeout(PROMPT, silent.close_code()).await??;
    assert_eq!(code, 4408);
    Ok(())
}
