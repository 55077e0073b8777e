//! The connection itself: async-graphql runs the operations, and this
//! loop holds the connection to the graphql-ws protocol where the library
//! does not. It pings a quiet client, refuses a second subscription under
//! an id in use (4409), closes a connection not initialised in time (4408),
//! answers a subscription refused before it ran with `error`, sends
//! nothing more for a subscription the client completed, and closes
//! with the protocol's own codes: 4400 for a message that is
//! not one of the protocol's, 4401 for a subscription before the
//! acknowledgement, 4403 for a refused `connection_init`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_graphql::Executor;
use async_graphql::http::{WebSocketProtocols, WsMessage};
use futures::{SinkExt, StreamExt, future};
use poem::web::websocket::{Message, WebSocketStream};
use serde_json::Value;

/// How often a quiet graphql-transport-ws client is pinged. Its `pong`
/// keeps the connection; a client that neither answers nor sends anything
/// for [`super::IDLE_CLIENT`] is gone.
pub const PING_EVERY: Duration = Duration::from_secs(10);
/// Longest a graphql-transport-ws client may take to send
/// `connection_init`.
pub const INIT_WAIT: Duration = Duration::from_secs(10);

/// Why the connection is closed, when the loop decides rather than the
/// library.
#[derive(Clone, Debug, PartialEq)]
struct Closing(u16, String);

/// What the loop knows of the connection, shared with the screen of the
/// client's messages.
#[derive(Default)]
struct Ledger {
    /// Ids of the subscriptions running.
    running: HashSet<String>,
    /// Ids whose `complete` from the library is left out: subscriptions
    /// answered with `error`, and, in graphql-transport-ws, those the
    /// client completed (the server sends nothing more for them).
    silenced: HashSet<String>,
    /// Set when a client message ends the connection.
    closing: Option<Closing>,
}

type Shared = Arc<Mutex<Ledger>>;

fn ledger(shared: &Shared) -> std::sync::MutexGuard<'_, Ledger> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The message types of each protocol a client may send.
fn client_types(protocol: WebSocketProtocols) -> &'static [&'static str] {
    match protocol {
        WebSocketProtocols::GraphQLWS => {
            &["connection_init", "ping", "pong", "subscribe", "complete"]
        }
        WebSocketProtocols::SubscriptionsTransportWS => {
            &["connection_init", "start", "stop", "connection_terminate"]
        }
    }
}

/// Checks a client message before the library reads it: `Err` closes the
/// connection with the code the protocol gives.
fn screen(protocol: WebSocketProtocols, ledger: &mut Ledger, text: &[u8]) -> Result<(), Closing> {
    let invalid = |why: &str| Closing(4400, format!("invalid message: {why}"));
    let message: Value = serde_json::from_slice(text).map_err(|_| invalid("not JSON"))?;
    let kind = message
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("no `type`"))?;
    if !client_types(protocol).contains(&kind) {
        return Err(invalid("unknown `type`"));
    }
    let id = || {
        message
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("no `id`"))
    };
    match kind {
        "subscribe" | "start" => {
            let id = id()?;
            let payload = &message["payload"];
            if !payload["query"].is_string() {
                return Err(invalid("no `payload.query`"));
            }
            let fits = |field: &str, kind: fn(&Value) -> bool| {
                payload.get(field).is_none_or(|v| v.is_null() || kind(v))
            };
            if !fits("variables", Value::is_object)
                || !fits("extensions", Value::is_object)
                || !fits("operationName", Value::is_string)
            {
                return Err(invalid("`payload` fields of the wrong type"));
            }
            if protocol == WebSocketProtocols::GraphQLWS && !ledger.running.insert(id.to_owned()) {
                return Err(Closing(4409, format!("Subscriber for {id} already exists")));
            }
            ledger.silenced.remove(id);
        }
        "complete" | "stop" => {
            let id = id()?;
            if ledger.running.remove(id) && protocol == WebSocketProtocols::GraphQLWS {
                ledger.silenced.insert(id.to_owned());
            }
        }
        _ => {}
    }
    Ok(())
}

/// How the connection closes after a message that could not be read:
/// 1009 when it is too large, 1002 when it breaks the WebSocket protocol;
/// none when the connection itself failed.
fn unreadable(error: &std::io::Error) -> Option<Closing> {
    // The WebSocket layer's errors come as `Other`, with its wording.
    if error.kind() != std::io::ErrorKind::Other {
        return None;
    }
    Some(if error.to_string().starts_with("Space limit exceeded") {
        let most = super::MAX_MESSAGE_BYTES;
        Closing(1009, format!("message too big: at most {most} bytes"))
    } else {
        Closing(1002, "WebSocket protocol error".to_owned())
    })
}

/// What the loop does with a message the library sends.
#[derive(Debug, PartialEq)]
enum Relay {
    Send(String),
    /// Send it: it acknowledges the connection.
    Acknowledge(String),
    /// Leave it out.
    Drop,
}

/// Passes on what the library sends, noting that a subscription that ended
/// frees its id. A subscription refused before it ran (a document that
/// does not parse or validate, or that the socket does not serve) is
/// answered with the protocol's `error` rather than a result followed by
/// `complete`, which the protocol does not send after an `error`.
fn relay(protocol: WebSocketProtocols, ledger: &mut Ledger, text: String) -> Relay {
    let Ok(message) = serde_json::from_str::<Value>(&text) else {
        return Relay::Send(text);
    };
    let id = message.get("id").and_then(Value::as_str);
    match (message.get("type").and_then(Value::as_str), id) {
        (Some("connection_ack"), _) => Relay::Acknowledge(text),
        (Some("next"), Some(id))
            if protocol == WebSocketProtocols::GraphQLWS
                && refused_before_running(&message["payload"]) =>
        {
            ledger.running.remove(id);
            ledger.silenced.insert(id.to_owned());
            let errors = &message["payload"]["errors"];
            Relay::Send(
                serde_json::json!({ "type": "error", "id": id, "payload": errors }).to_string(),
            )
        }
        (Some("complete"), Some(id)) if ledger.silenced.remove(id) => Relay::Drop,
        (Some("complete" | "error"), Some(id)) => {
            ledger.running.remove(id);
            Relay::Send(text)
        }
        _ => Relay::Send(text),
    }
}

/// Whether a result holds only errors raised before anything ran: no data,
/// and no error with a path into it.
fn refused_before_running(payload: &Value) -> bool {
    let unplaced = |error: &Value| {
        error
            .get("path")
            .is_none_or(|path| path.as_array().is_none_or(Vec::is_empty))
    };
    payload.get("data").is_none_or(Value::is_null)
        && payload["errors"]
            .as_array()
            .is_some_and(|errors| !errors.is_empty() && errors.iter().all(unplaced))
}

/// The code a close the library decided is sent with. The library closes
/// with 1002 on a message it cannot read (screened out before, so here
/// only on a refused `connection_init`) and 1011 on a subscription before
/// the acknowledgement.
fn protocol_code(protocol: WebSocketProtocols, code: u16) -> u16 {
    match (protocol, code) {
        (WebSocketProtocols::GraphQLWS, 1002) => 4403,
        // Either protocol: a subscription before the acknowledgement.
        (_, 1011) => 4401,
        _ => code,
    }
}

/// Serves one upgraded connection until either side ends it.
pub async fn serve<E, Init, InitFut>(
    socket: WebSocketStream,
    executor: E,
    protocol: WebSocketProtocols,
    on_init: Init,
    idle: Option<Duration>,
) where
    E: Executor,
    Init: FnOnce(Value) -> InitFut + Send + 'static,
    InitFut: Future<Output = async_graphql::Result<async_graphql::Data>> + Send + 'static,
{
    let shared = Shared::default();
    let (mut sink, source) = socket.split();
    let screened = {
        let shared = shared.clone();
        let reader = shared.clone();
        source
            .take_while(move |message| {
                if let Err(error) = message {
                    ledger(&reader).closing = unreadable(error);
                }
                future::ready(message.is_ok())
            })
            .filter_map(|message| {
                let message = message.ok().filter(|m| m.is_text() || m.is_binary());
                future::ready(message.map(Message::into_bytes))
            })
            .take_while(move |bytes| {
                let mut ledger = ledger(&shared);
                let verdict = screen(protocol, &mut ledger, bytes);
                if let Err(closing) = verdict {
                    ledger.closing = Some(closing);
                }
                future::ready(ledger.closing.is_none())
            })
    };
    let answers = async_graphql::http::WebSocket::new(executor, screened, protocol)
        .on_connection_init(on_init)
        .keepalive_timeout(idle);
    futures::pin_mut!(answers);

    let transport = protocol == WebSocketProtocols::GraphQLWS;
    let mut acknowledged = false;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let init_wait = tokio::time::sleep(INIT_WAIT);
    futures::pin_mut!(init_wait);
    loop {
        let out = tokio::select! {
            answer = answers.next() => match answer {
                Some(WsMessage::Text(text)) => match relay(protocol, &mut ledger(&shared), text) {
                    Relay::Send(text) => Message::text(text),
                    Relay::Acknowledge(text) => {
                        acknowledged = true;
                        Message::text(text)
                    }
                    Relay::Drop => continue,
                },
                Some(WsMessage::Close(code, reason)) => {
                    let _ = sink.send(Message::close_with(protocol_code(protocol, code), reason)).await;
                    break;
                }
                None => {
                    // The client left, broke the protocol, or ended the
                    // older protocol's connection: either way it is told.
                    let closing = ledger(&shared).closing.take();
                    let Closing(code, reason) = closing.unwrap_or(Closing(1000, String::new()));
                    let _ = sink.send(Message::close_with(code, reason)).await;
                    break;
                }
            },
            _ = ping.tick(), if transport && acknowledged => Message::text(r#"{"type":"ping"}"#),
            () = &mut init_wait, if transport && !acknowledged => {
                let reason = "Connection initialisation timeout";
                let _ = sink.send(Message::close_with(4408u16, reason)).await;
                break;
            }
        };
        if sink.send(out).await.is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRANSPORT: WebSocketProtocols = WebSocketProtocols::GraphQLWS;

    fn subscribe(id: &str) -> Vec<u8> {
        format!(
            r#"{{"type":"subscribe","id":"{id}","payload":{{"query":"subscription {{ x }}"}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn an_id_in_use_is_refused_until_its_subscription_ends() {
        let mut ledger = Ledger::default();
        assert_eq!(screen(TRANSPORT, &mut ledger, &subscribe("a")), Ok(()));
        let again = screen(TRANSPORT, &mut ledger, &subscribe("a"));
        assert_eq!(again.map_err(|c| c.0), Err(4409));
        // Ended by the server, the id is free again; ended by the client too.
        let complete = r#"{"type":"complete","id":"a"}"#.to_owned();
        let relayed = relay(TRANSPORT, &mut ledger, complete.clone());
        assert_eq!(relayed, Relay::Send(complete));
        assert_eq!(screen(TRANSPORT, &mut ledger, &subscribe("a")), Ok(()));
        let complete = br#"{"type":"complete","id":"a"}"#;
        assert_eq!(screen(TRANSPORT, &mut ledger, complete), Ok(()));
        assert_eq!(screen(TRANSPORT, &mut ledger, &subscribe("a")), Ok(()));
        relay(
            TRANSPORT,
            &mut ledger,
            r#"{"type":"error","id":"a","payload":[]}"#.into(),
        );
        assert!(ledger.running.is_empty());
    }

    #[test]
    fn a_subscription_the_client_completed_gets_no_complete_back() {
        let mut ledger = Ledger::default();
        let complete = |id: &str| format!(r#"{{"type":"complete","id":"{id}"}}"#);
        assert_eq!(screen(TRANSPORT, &mut ledger, &subscribe("a")), Ok(()));
        assert_eq!(
            screen(TRANSPORT, &mut ledger, complete("a").as_bytes()),
            Ok(())
        );
        assert_eq!(relay(TRANSPORT, &mut ledger, complete("a")), Relay::Drop);
        // Under the same id again, a subscription the server ends is told.
        assert_eq!(screen(TRANSPORT, &mut ledger, &subscribe("a")), Ok(()));
        assert_eq!(
            relay(TRANSPORT, &mut ledger, complete("a")),
            Relay::Send(complete("a"))
        );
        // A `complete` for no running subscription silences nothing.
        assert_eq!(
            screen(TRANSPORT, &mut ledger, complete("b").as_bytes()),
            Ok(())
        );
        assert!(ledger.silenced.is_empty());
        // The older protocol's `stop` is answered with `complete`.
        let older = WebSocketProtocols::SubscriptionsTransportWS;
        let start = br#"{"type":"start","id":"c","payload":{"query":"subscription { x }"}}"#;
        assert_eq!(screen(older, &mut ledger, start), Ok(()));
        assert_eq!(
            screen(older, &mut ledger, br#"{"type":"stop","id":"c"}"#),
            Ok(())
        );
        assert_eq!(
            relay(older, &mut ledger, complete("c")),
            Relay::Send(complete("c"))
        );
    }

    #[test]
    fn messages_outside_the_protocol_close_with_4400() {
        let older = WebSocketProtocols::SubscriptionsTransportWS;
        for (protocol, text) in [
            (TRANSPORT, &b"not json"[..]),
            (TRANSPORT, br#"{"id":"1"}"#),
            (
                TRANSPORT,
                br#"{"type":"start","id":"1","payload":{"query":"{ x }"}}"#,
            ),
            (
                TRANSPORT,
                br#"{"type":"subscribe","payload":{"query":"{ x }"}}"#,
            ),
            (TRANSPORT, br#"{"type":"subscribe","id":"1","payload":{}}"#),
            (TRANSPORT, br#"{"type":"complete"}"#),
            (
                TRANSPORT,
                br#"{"type":"subscribe","id":"1","payload":{"query":"{ x }","variables":"x"}}"#,
            ),
            (
                TRANSPORT,
                br#"{"type":"subscribe","id":"1","payload":{"query":"{ x }","operationName":1}}"#,
            ),
            (
                older,
                br#"{"type":"subscribe","id":"1","payload":{"query":"{ x }"}}"#,
            ),
        ] {
            let verdict = screen(protocol, &mut Ledger::default(), text);
            assert_eq!(
                verdict.map_err(|c| c.0),
                Err(4400),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        // The older protocol may repeat an id: its `start` replaces.
        let mut ledger = Ledger::default();
        let start = br#"{"type":"start","id":"1","payload":{"query":"{ x }"}}"#;
        assert_eq!(screen(older, &mut ledger, start), Ok(()));
        assert_eq!(screen(older, &mut ledger, start), Ok(()));
    }

    #[test]
    fn the_library_closes_get_the_protocol_codes() {
        assert_eq!(protocol_code(TRANSPORT, 1002), 4403);
        assert_eq!(protocol_code(TRANSPORT, 1011), 4401);
        assert_eq!(protocol_code(TRANSPORT, 4429), 4429);
        let ack = r#"{"type":"connection_ack"}"#.to_owned();
        let relayed = relay(TRANSPORT, &mut Ledger::default(), ack.clone());
        assert_eq!(relayed, Relay::Acknowledge(ack));
    }

    #[test]
    fn a_subscription_refused_before_it_ran_gets_an_error_and_no_complete() {
        let mut ledger = Ledger::default();
        let subscribe = subscribe("a");
        assert_eq!(screen(TRANSPORT, &mut ledger, &subscribe), Ok(()));
        let refused = r#"{"type":"next","id":"a","payload":{"data":null,"errors":[{"message":"no","extensions":{"code":"BAD_USER_INPUT"}}]}}"#;
        let Relay::Send(sent) = relay(TRANSPORT, &mut ledger, refused.into()) else {
            panic!("nothing sent");
        };
        let sent: Value = serde_json::from_str(&sent).unwrap_or_default();
        assert_eq!(sent["type"], "error");
        assert_eq!(sent["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let complete = r#"{"type":"complete","id":"a"}"#;
        assert_eq!(relay(TRANSPORT, &mut ledger, complete.into()), Relay::Drop);
        assert_eq!(screen(TRANSPORT, &mut ledger, &subscribe), Ok(()));

        // An error met while running stays a result, then `complete`.
        let failed = r#"{"type":"next","id":"a","payload":{"data":null,"errors":[{"message":"gone","path":["campaignProgress"]}]}}"#;
        assert_eq!(
            relay(TRANSPORT, &mut ledger, failed.into()),
            Relay::Send(failed.into())
        );
        assert_eq!(
            relay(TRANSPORT, &mut ledger, complete.into()),
            Relay::Send(complete.into())
        );
        // The older protocol has no such message.
        let older = WebSocketProtocols::SubscriptionsTransportWS;
        assert_eq!(
            relay(older, &mut ledger, refused.into()),
            Relay::Send(refused.into())
        );
    }
}
