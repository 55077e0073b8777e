//! Webhooks: the endpoints an organisation registers to hear of its events,
//! and the log of what was sent to them. The worker signs and sends them
//! (see `worker::webhooks`); admins and coordinators manage them.

pub mod service;
pub mod types;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{webhook_delivery as delivery, webhook_endpoint as endpoint};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use worker::webhooks::EventType;

use crate::auth::MANAGERS;
use crate::ids;
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;
use types::{WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint};

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The event types an endpoint may subscribe to. Admins and
    /// coordinators only.
    async fn webhook_event_types(&self, ctx: &Context<'_>) -> Result<Vec<&'static str>> {
        ctx.caller_in(MANAGERS)?;
        Ok(EventType::ALL.iter().map(|t| t.as_str()).collect())
    }

    /// The organisation's webhook endpoints, newest first, disabled ones
    /// included. Admins and coordinators only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<WebhookEndpoint>> {
        let caller = ctx.caller_in(MANAGERS)?;
        let query = endpoint::Entity::find()
            .filter(endpoint::Column::OrganisationId.eq(caller.organisation_id));
        Ok(keyset(
            &ctx.state().db,
            query,
            &Sort::by_id(
                "webhookEndpoints",
                endpoint::Column::Id,
                sea_orm::Order::Desc,
            ),
            PageArgs::new(first, after, last, before),
            WebhookEndpoint,
        )
        .await?)
    }

    /// What was sent to one endpoint, newest first, with every attempt;
    /// `status` keeps one kind (`FAILED` to find what to redeliver).
    /// Admins and coordinators only.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the endpoint; one of another organisation is NOT_FOUND.")]
        endpoint_id: ID,
        #[graphql(desc = "Only the deliveries in this state, such as `FAILED`; all when omitted.")]
        status: Option<WebhookDeliveryStatus>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<WebhookDelivery>> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&endpoint_id, "WebhookEndpoint")?;
        let db = &ctx.state().db;
        let found = service::find(db, caller.organisation_id, id).await?;
        let mut query = delivery::Entity::find().filter(delivery::Column::EndpointId.eq(found.id));
        if let Some(status) = status {
            query =
                query.filter(delivery::Column::Status.eq(entities::WebhookStatus::from(status)));
        }
        Ok(keyset(
            db,
            query,
            &Sort::by_id(
                format!("webhookDeliveries@{}", found.id),
                delivery::Column::Id,
                sea_orm::Order::Desc,
            ),
            PageArgs::new(first, after, last, before),
            WebhookDelivery,
        )
        .await?)
    }
}

/// The URL, event types and description of a new webhook endpoint.
#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// Where to post events: `https://` and a public host, with no user
    /// name or password in it.
    pub url: String,
    /// The event types to send, at least one (see `webhookEventTypes`).
    pub events: Vec<String>,
    /// What the endpoint is for, at most 500 characters.
    #[graphql(default)]
    pub description: String,
}

/// A new webhook endpoint, with its secret.
#[derive(SimpleObject)]
pub struct CreateWebhookEndpointPayload {
    /// The endpoint, enabled.
    pub endpoint: WebhookEndpoint,
    /// The signing secret, `whsec_` and the key in base64: shown this once.
    pub secret: String,
}

/// The webhook endpoint to act on.
#[derive(InputObject)]
pub struct WebhookEndpointInput {
    /// Global ID of the endpoint; one of another organisation is NOT_FOUND.
    pub endpoint_id: ID,
}

/// The webhook endpoint acted on.
#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    /// The endpoint as it now stands.
    pub endpoint: WebhookEndpoint,
}

/// An endpoint's new signing secret.
#[derive(SimpleObject)]
pub struct RotateWebhookSecretPayload {
    /// The endpoint, with `previousSecretExpiresAt` set.
    pub endpoint: WebhookEndpoint,
    /// The new signing secret: shown this once.
    pub secret: String,
    /// Until when deliveries also carry a signature by the previous secret.
    pub previous_secret_expires_at: DateTime<Utc>,
}

/// The webhook delivery to send again.
#[derive(InputObject)]
pub struct RedeliverWebhookInput {
    /// Global ID of the delivery; one of another organisation is NOT_FOUND.
    pub delivery_id: ID,
}

/// A webhook delivery queued again.
#[derive(SimpleObject)]
pub struct WebhookDeliveryPayload {
    /// The delivery, pending and due now.
    pub delivery: WebhookDelivery,
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a URL to receive the organisation's events of the types
    /// named. The answer holds its signing secret, never shown again.
    /// Admins and coordinators only.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The URL, the event types and what the endpoint is for.")]
        input: CreateWebhookEndpointInput,
    ) -> Result<CreateWebhookEndpointPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let new = service::NewEndpoint {
            url: input.url,
            events: input.events,
            description: input.description,
        };
        let created = service::create(ctx.state(), caller, new).await?;
        Ok(CreateWebhookEndpointPayload {
            endpoint: WebhookEndpoint(created.endpoint),
            secret: created.secret,
        })
    }

    /// Stops sending to an endpoint; what it still had pending is given up.
    /// Admins and coordinators only.
    async fn disable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint to disable; disabling it again changes nothing.")]
        input: WebhookEndpointInput,
    ) -> Result<WebhookEndpointPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.endpoint_id, "WebhookEndpoint")?;
        let disabled = service::disable(&ctx.state().db, caller.organisation_id, id).await?;
        Ok(WebhookEndpointPayload {
            endpoint: WebhookEndpoint(disabled),
        })
    }

    /// Gives an endpoint a new signing secret, shown this once. For a day,
    /// deliveries carry signatures by both the new and the previous one.
    /// Admins and coordinators only.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint; a rotation racing another is CONFLICT: try again.")]
        input: WebhookEndpointInput,
    ) -> Result<RotateWebhookSecretPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.endpoint_id, "WebhookEndpoint")?;
        let rotated = service::rotate(ctx.state(), caller.organisation_id, id).await?;
        Ok(RotateWebhookSecretPayload {
            endpoint: WebhookEndpoint(rotated.endpoint),
            secret: rotated.secret,
            previous_secret_expires_at: rotated.previous_until,
        })
    }

    /// Sends a delivery again now, under the same event id, whatever became
    /// of it; its retries start over. Admins and coordinators only.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The delivery; CONFLICT if its endpoint is disabled or it is being sent."
        )]
        input: RedeliverWebhookInput,
    ) -> Result<WebhookDeliveryPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.delivery_id, "WebhookDelivery")?;
        let queued = service::redeliver(ctx.state(), caller.organisation_id, id).await?;
        Ok(WebhookDeliveryPayload {
            delivery: WebhookDelivery(queued),
        })
    }
}
