//! A link that shows one report version to people without an account.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "report_share")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub report_id: i64,
    /// SHA-256 of the link's token; the token itself is shown once.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Who the link is for, in the coordinator's words.
    pub audience: String,
    pub expires_at: DateTimeUtc,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub first_opened_at: Option<DateTimeUtc>,
    pub open_count: i32,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
