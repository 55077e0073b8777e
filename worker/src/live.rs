//! Signals that something subscribers watch has changed: a campaign's
//! figures, a programme's alerts.
//!
//! A signal carries ids only; a subscription reads what changed from the
//! database itself, with its caller's rights. Within one process signals go
//! through a broadcast channel. With Redis they are published on a channel
//! named after the job queue, and each api process forwards what it hears
//! to its own subscribers, so a response taken by one replica or an alert
//! raised by a separate worker reaches subscribers everywhere.
//!
//! Signals are hints, not a log: one lost while Redis is away is made up
//! by the subscriptions' own periodic look.

use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tracing::{info, warn};

use crate::{JobQueue, Settings};

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// A campaign's invitations, responses or status.
    Campaign { campaign_id: i64 },
    /// An alert was raised on one of a programme's relations.
    Alert { programme_id: i64 },
}

/// Signals a subscriber may fall behind by before it is told it lagged
/// (it then reads afresh, losing nothing).
const BACKLOG: usize = 1024;

/// Wait before listening again after Redis went away.
const RECONNECT: Duration = Duration::from_secs(1);

/// Where signals are published and heard.
#[derive(Clone)]
pub struct Live {
    local: broadcast::Sender<Signal>,
    redis: Option<Shared>,
}

#[derive(Clone)]
struct Shared {
    url: String,
    channel: String,
    conn: redis::aio::ConnectionManager,
}

impl Default for Live {
    fn default() -> Self {
        Self::in_process()
    }
}

impl Live {
    /// Signals for this process's subscribers only.
    pub fn in_process() -> Self {
        Self {
            local: broadcast::channel(BACKLOG).0,
            redis: None,
        }
    }

    /// Signals shared through Redis when `queue` is on Redis, else kept in
    /// this process. `name` is the queue's name: separate queues never
    /// hear each other's signals.
    pub fn for_queue(settings: &Settings, queue: &JobQueue, name: &str) -> Self {
        match (&settings.redis_url, queue.redis()) {
            (Some(url), Some(conn)) => Self::shared(url, name, conn),
            _ => Self::in_process(),
        }
    }

    /// Signals shared through Redis at `url`, on the channel of `queue`.
    pub fn shared(url: &str, queue: &str, conn: redis::aio::ConnectionManager) -> Self {
        Self {
            local: broadcast::channel(BACKLOG).0,
            redis: Some(Shared {
                url: url.to_owned(),
                channel: format!("{queue}:live"),
                conn,
            }),
        }
    }

    /// Tells every subscriber that may care. Never fails: should Redis be
    /// away, this process's subscribers still hear it, the others catch up
    /// at their next look.
    pub async fn publish(&self, signal: Signal) {
        let Some(shared) = &self.redis else {
            // No subscriber is no error.
            let _ = self.local.send(signal);
            return;
        };
        let published = match serde_json::to_string(&signal) {
            Ok(text) => {
                let mut conn = shared.conn.clone();
                redis::cmd("PUBLISH")
                    .arg(&shared.channel)
                    .arg(text)
                    .query_async::<i64>(&mut conn)
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = published {
            warn!(error.message = %e, "live signal not shared");
            let _ = self.local.send(signal);
        }
    }

    /// Signals from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.local.subscribe()
    }

    /// With Redis, forwards the signals every process publishes to this
    /// process's subscribers, reconnecting whenever the link drops, until
    /// the runtime ends. Without Redis there is nothing to listen to.
    pub fn listen(&self) -> Option<tokio::task::JoinHandle<()>> {
        let shared = self.redis.clone()?;
        let local = self.local.clone();
        Some(tokio::spawn(async move {
            loop {
                match forward(&shared, &local).await {
                    Ok(()) => info!("live signals: Redis closed the subscription"),
                    Err(e) => warn!(error.message = %e, "live signals: not listening"),
                }
                tokio::time::sleep(RECONNECT).await;
            }
        }))
    }
}

/// Subscribes to the shared channel and forwards until the link drops.
async fn forward(shared: &Shared, local: &broadcast::Sender<Signal>) -> redis::RedisResult<()> {
    let client = redis::Client::open(shared.url.as_str())?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(&shared.channel).await?;
    let mut messages = pubsub.into_on_message();
    while let Some(message) = messages.next().await {
        let Ok(text) = message.get_payload::<String>() else {
            continue;
        };
        match serde_json::from_str::<Signal>(&text) {
            Ok(signal) => {
                let _ = local.send(signal);
            }
            Err(e) => warn!(error.message = %e, "live signal not understood"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_signal_reaches_every_subscriber_of_the_process() {
        let live = Live::in_process();
        let mut a = live.subscribe();
        let mut b = live.subscribe();
        live.publish(Signal::Campaign { campaign_id: 7 }).await;
        assert_eq!(
            a.recv().await.ok(),
            Some(Signal::Campaign { campaign_id: 7 })
        );
        assert_eq!(
            b.recv().await.ok(),
            Some(Signal::Campaign { campaign_id: 7 })
        );
    }

    #[test]
    fn signals_read_back_from_what_is_published() {
        for signal in [
            Signal::Campaign { campaign_id: 1 },
            Signal::Alert { programme_id: 2 },
        ] {
            let text = serde_json::to_string(&signal).unwrap();
            assert_eq!(serde_json::from_str::<Signal>(&text).unwrap(), signal);
        }
        assert_eq!(
            serde_json::to_string(&Signal::Alert { programme_id: 2 }).unwrap(),
            r#"{"kind":"alert","programme_id":2}"#
        );
    }
}
