//! One member of an audience: their email and their personal link.

use crate::enums::EmailStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dissemination_delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub plan_id: i64,
    pub audience_id: i64,
    /// The member within the audience: `person:{id}`, `user:{id}` or
    /// `address:{address}`; unique per audience.
    pub member_key: String,
    pub address: String,
    pub name: String,
    pub person_id: Option<i64>,
    pub language: String,
    /// Derives the link's token with the secret key, so a resent email
    /// carries the same link.
    pub token_nonce: String,
    /// SHA-256 of the link's token.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Key of the email in `email_message`.
    #[sea_orm(unique)]
    pub email_key: String,
    pub status: EmailStatus,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub first_opened_at: Option<DateTimeUtc>,
    pub open_count: i32,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
