//! A key a third-party system calls the API with, in one organisation and
//! within its scopes. Only its SHA-256 hash is kept; its prefix names it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    /// The key's first characters, shown in lists to tell keys apart.
    #[sea_orm(unique)]
    pub prefix: String,
    #[sea_orm(unique)]
    pub key_hash: String,
    /// Scope names, comma-separated (`read,import_people`).
    pub scopes: String,
    /// The admin who made it; the key's changes are recorded in their name.
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
