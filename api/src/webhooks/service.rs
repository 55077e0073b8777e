//! Webhook endpoints: registering one (its secret shown once), disabling
//! it, rotating its secret, and sending a delivery again.

use chrono::{DateTime, Utc};
use entities::{WebhookStatus, webhook_delivery as delivery, webhook_endpoint as endpoint};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use tracing::warn;
use worker::Job;
use worker::webhooks::{
    EventType, check_url, new_secret_nonce, rotation_grace, secret_text, signing_key,
};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::validate;

/// Enabled endpoints an organisation may have: each event goes to every
/// one of them.
pub const MAX_ENDPOINTS: u64 = 20;
/// Longest description, in characters.
pub const DESCRIPTION: usize = 500;

/// An endpoint as asked for, before it is checked.
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
}

/// The event types asked for, known and each once, in their usual order.
fn event_list(problems: &mut Vec<Problem>, asked: &[String]) -> Vec<&'static str> {
    if asked.is_empty() {
        problems.push(Problem::field("events", "name at least one event type"));
    }
    for (i, name) in asked.iter().enumerate() {
        if EventType::parse(name.trim()).is_none() {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
            problems.push(Problem::field(
                format!("events[{i}]"),
                format!("is not an event type; they are {}", known.join(", ")),
            ));
        }
    }
    EventType::ALL
        .iter()
        .map(|t| t.as_str())
        .filter(|t| asked.iter().any(|a| a.trim() == *t))
        .collect()
}

/// Everything wrong with an endpoint, and its URL as it will be stored.
pub fn check(new: &NewEndpoint, allow_loopback: bool) -> ApiResult<(String, Vec<&'static str>)> {
    let mut problems = Vec::new();
    let url = match check_url(&new.url, allow_loopback) {
        Ok(url) => url.to_string(),
        Err(why) => {
            problems.push(Problem::field("url", why));
            String::new()
        }
    };
    let events = event_list(&mut problems, &new.events);
    if !new.description.is_empty() {
        validate::name(&mut problems, "description", &new.description, DESCRIPTION);
    }
    if problems.is_empty() {
        Ok((url, events))
    } else {
        Err(ApiError::invalid(problems))
    }
}

/// A new endpoint and its signing secret, shown this once.
pub struct Created {
    pub endpoint: endpoint::Model,
    pub secret: String,
}

/// Registers an endpoint for the caller's organisation.
pub async fn create(state: &AppState, caller: &Caller, new: NewEndpoint) -> ApiResult<Created> {
    let (url, events) = check(&new, state.webhook_allow_loopback)?;
    let txn = worker::db::begin_write(&state.db).await?;
    let enabled = endpoint::Entity::find()
        .filter(endpoint::Column::OrganisationId.eq(caller.organisation_id))
        .filter(endpoint::Column::Enabled.eq(true))
        .count(&txn)
        .await?;
    if enabled >= MAX_ENDPOINTS {
        return Err(ApiError::Conflict(format!(
            "an organisation has at most {MAX_ENDPOINTS} enabled webhook endpoints; disable one first"
        )));
    }
    let nonce = new_secret_nonce();
    let row = endpoint::ActiveModel {
        organisation_id: Set(caller.organisation_id),
        url: Set(url),
        description: Set(new.description.trim().to_owned()),
        event_types: Set(serde_json::json!(events)),
        secret_nonce: Set(nonce.clone()),
        previous_secret_nonce: Set(None),
        previous_secret_until: Set(None),
        enabled: Set(true),
        created_by: Set(Some(caller.user_id)),
        created_at: Set(Utc::now()),
        disabled_at: Set(None),
        ..Default::default()
    };
    let created = endpoint::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(Created {
        endpoint: created,
        secret: secret_text(&signing_key(&state.tokens, &nonce)),
    })
}

/// An endpoint of the organisation, or NOT_FOUND.
pub async fn find(
    db: &DatabaseConnection,
    organisation_id: i64,
    id: i64,
) -> ApiResult<endpoint::Model> {
    endpoint::Entity::find_by_id(id)
        .filter(endpoint::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))
}

/// Stops sending to an endpoint: what it still had pending is given up.
/// Disabling a disabled endpoint changes nothing.
pub async fn disable(
    db: &DatabaseConnection,
    organisation_id: i64,
    id: i64,
) -> ApiResult<endpoint::Model> {
    let found = find(db, organisation_id, id).await?;
    if found.enabled {
        let txn = worker::db::begin_write(db).await?;
        worker::webhooks::disable(&txn, found.id, Utc::now(), "the endpoint was disabled").await?;
        txn.commit().await?;
    }
    find(db, organisation_id, id).await
}

/// A rotated secret: the new one, shown this once, and until when the one
/// before still signs.
pub struct Rotated {
    pub endpoint: endpoint::Model,
    pub secret: String,
    pub previous_until: DateTime<Utc>,
}

/// Gives an endpoint a new secret. Deliveries are signed with both for a
/// day, so the receiver can switch without missing one; a second rotation
/// within that day retires the oldest at once.
pub async fn rotate(state: &AppState, organisation_id: i64, id: i64) -> ApiResult<Rotated> {
    let found = find(&state.db, organisation_id, id).await?;
    let nonce = new_secret_nonce();
    let previous_until = Utc::now() + rotation_grace();
    let rotated = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::SecretNonce, Expr::value(nonce.clone()))
        .col_expr(
            endpoint::Column::PreviousSecretNonce,
            Expr::value(Some(found.secret_nonce.clone())),
        )
        .col_expr(
            endpoint::Column::PreviousSecretUntil,
            Expr::value(Some(previous_until)),
        )
        .filter(endpoint::Column::Id.eq(found.id))
        // Two rotations at once: one wins, the other is told.
        .filter(endpoint::Column::SecretNonce.eq(found.secret_nonce.as_str()))
        .exec(&state.db)
        .await?;
    if rotated.rows_affected == 0 {
        return Err(ApiError::Conflict(
            "the secret was rotated meanwhile; try again".into(),
        ));
    }
    Ok(Rotated {
        endpoint: find(&state.db, organisation_id, id).await?,
        secret: secret_text(&signing_key(&state.tokens, &nonce)),
        previous_until,
    })
}

/// A delivery of the organisation, or NOT_FOUND.
pub async fn find_delivery(
    db: &DatabaseConnection,
    organisation_id: i64,
    id: i64,
) -> ApiResult<delivery::Model> {
    delivery::Entity::find_by_id(id)
        .filter(delivery::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("webhook delivery"))
}

/// Sends a delivery again now, delivered or given up, under its event id;
/// its retry schedule starts again. A delivery being sent, or one of a
/// disabled endpoint, is a CONFLICT.
pub async fn redeliver(
    state: &AppState,
    organisation_id: i64,
    id: i64,
) -> ApiResult<delivery::Model> {
    let found = find_delivery(&state.db, organisation_id, id).await?;
    let target = find(&state.db, organisation_id, found.endpoint_id).await?;
    if !target.enabled {
        return Err(ApiError::Conflict(
            "the endpoint is disabled: register it again to receive events".into(),
        ));
    }
    let now = Utc::now();
    let queued = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(WebhookStatus::Pending),
        )
        .col_expr(
            delivery::Column::AttemptsBeforeRedelivery,
            Expr::col(delivery::Column::Attempts),
        )
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            delivery::Column::DeliveredAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(delivery::Column::Id.eq(found.id))
        .filter(
            Condition::any()
                .add(delivery::Column::ClaimedUntil.is_null())
                .add(delivery::Column::ClaimedUntil.lt(now)),
        )
        .exec(&state.db)
        .await?;
    if queued.rows_affected == 0 {
        return Err(ApiError::Conflict(
            "the delivery is being sent right now".into(),
        ));
    }
    deliver_soon(state, 1).await;
    find_delivery(&state.db, organisation_id, id).await
}

/// Has a worker send the deliveries just recorded, if any. Should the queue
/// fail, they are safe: the workers look for them every half minute.
pub async fn deliver_soon(state: &AppState, recorded: u64) {
    if recorded == 0 {
        return;
    }
    if let Err(e) = state.queue.push(Job::DeliverWebhooks).await {
        warn!(error.message = %e, "webhook delivery not queued");
    }
}
