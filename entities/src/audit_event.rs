//! A sensitive read or write, recorded with the write it describes.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    /// The account that acted, or that made the API key that did.
    pub actor_user_id: Option<i64>,
    pub actor_api_key_id: Option<i64>,
    /// What was done, e.g. `person.export`; see the API's `AuditAction`.
    pub action: String,
    /// The kind of object acted on, as in global IDs (`Person`, `ApiKey`…).
    pub target_kind: String,
    pub target_id: Option<i64>,
    /// What else the action needs to be understood (never personal data).
    pub detail: Json,
    /// The address the request came from.
    pub client_address: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
