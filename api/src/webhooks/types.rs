//! The GraphQL types of webhooks.

use async_graphql::{Context, Enum, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{webhook_attempt, webhook_delivery as delivery, webhook_endpoint as endpoint};

use crate::ids;
use crate::loaders::AttemptsOf;
use crate::state::ContextExt;

/// Where a webhook delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::WebhookStatus")]
pub enum WebhookDeliveryStatus {
    /// Not delivered yet: due at `nextAttemptAt`.
    Pending,
    /// The endpoint answered with a 2xx status.
    Delivered,
    /// Given up: every attempt failed, the endpoint answered 410 Gone, or
    /// it was disabled.
    Failed,
}

pub struct WebhookEndpoint(pub endpoint::Model);

/// A URL that receives the organisation's events, signed per the Standard
/// Webhooks specification. Its secret is shown only when it is created or
/// rotated.
#[Object]
impl WebhookEndpoint {
    /// Global ID of the endpoint; use with `node(id:)` and as `endpointId`.
    pub async fn id(&self) -> ID {
        ids::encode("WebhookEndpoint", self.0.id)
    }
    /// The `https://` URL events are posted to.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// What the endpoint is for, as given; empty when none was.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The event types sent to it, such as `response.submitted`.
    async fn events(&self) -> Vec<String> {
        worker::webhooks::event_types(&self.0)
    }
    /// False once disabled: it receives nothing more.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// When the endpoint was registered (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the endpoint was disabled (UTC); null while enabled.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
    /// After a rotation, until when deliveries also carry a signature by
    /// the previous secret; null when only the current one signs.
    async fn previous_secret_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .previous_secret_until
            .filter(|until| *until > Utc::now())
    }
}

pub struct WebhookDelivery(pub delivery::Model);

/// One event owed to one endpoint: what was sent and what became of it.
#[Object]
impl WebhookDelivery {
    /// Global ID of the delivery, as `redeliverWebhook` takes it.
    async fn id(&self) -> ID {
        ids::encode("WebhookDelivery", self.0.id)
    }
    /// Global ID of the endpoint the delivery is owed to.
    async fn endpoint_id(&self) -> ID {
        ids::encode("WebhookEndpoint", self.0.endpoint_id)
    }
    /// The `webhook-id` header: the same at every attempt.
    async fn event_id(&self) -> &str {
        &self.0.event_id
    }
    /// The event's type, such as `response.submitted`: the `type` of the
    /// payload.
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// The body sent: `type`, `timestamp` and `data`.
    async fn payload(&self) -> Json<&serde_json::Value> {
        Json(&self.0.payload)
    }
    /// Pending, delivered or given up.
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }
    /// Attempts made, redeliveries included.
    async fn attempt_count(&self) -> i32 {
        self.0.attempts
    }
    /// The HTTP status of the last answer; null when none came.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }
    /// What went wrong last, in a few words.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When the next attempt is due, while pending.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == entities::WebhookStatus::Pending).then_some(self.0.next_attempt_at)
    }
    /// When the event happened and the delivery was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the latest attempt was made (UTC); null before the first.
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }
    /// When the endpoint accepted it with a 2xx status (UTC); null until
    /// then.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// Every attempt, first to last.
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<WebhookAttempt>> {
        let rows = ctx.loader().load_one(AttemptsOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(WebhookAttempt::from)
            .collect())
    }
}

/// One attempt at a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    /// 1 for the first.
    pub number: i32,
    /// When the attempt started (UTC).
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status answered; null when no answer came.
    pub status_code: Option<i32>,
    /// What went wrong, in a few words; null when the endpoint accepted it.
    pub error: Option<String>,
    /// How long the endpoint took to answer, in milliseconds.
    pub duration_ms: i32,
}

impl From<webhook_attempt::Model> for WebhookAttempt {
    fn from(a: webhook_attempt::Model) -> Self {
        Self {
            number: a.number,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            error: a.error,
            duration_ms: i32::try_from(a.duration_ms).unwrap_or(i32::MAX),
        }
    }
}
