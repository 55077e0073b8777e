//! Where an organisation wants its events sent, signed per the Standard
//! Webhooks specification.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_endpoint")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    pub description: String,
    /// The event types subscribed to, a list of strings.
    pub event_types: Json,
    /// Derives the signing secret with the installation's secret key; the
    /// secret itself is never stored.
    pub secret_nonce: String,
    /// The nonce before the latest rotation: it signs too until
    /// `previous_secret_until`.
    pub previous_secret_nonce: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    pub enabled: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
