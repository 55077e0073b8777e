//! One event owed to one webhook endpoint, and where its delivery stands.

use crate::enums::WebhookStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub endpoint_id: i64,
    /// The `webhook-id` header: the same for every attempt, unique per
    /// endpoint.
    pub event_id: String,
    pub event_type: String,
    /// The body sent: `type`, `timestamp` and `data`.
    pub payload: Json,
    pub attempts: i32,
    /// Attempts made before the latest redelivery; the retry schedule
    /// counts from there.
    pub attempts_before_redelivery: i32,
    pub status: WebhookStatus,
    pub last_status_code: Option<i32>,
    /// What went wrong at the last attempt, in a few words.
    pub last_error: Option<String>,
    pub next_attempt_at: DateTimeUtc,
    /// Set while a worker sends it; a claim past this time was abandoned.
    pub claimed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
