//! One email, recorded under a unique key before it is sent.

use crate::enums::EmailStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "email_message")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    #[sea_orm(unique)]
    pub key: String,
    pub campaign_id: Option<i64>,
    pub invitation_id: Option<i64>,
    pub step: Option<i32>,
    pub recipient: String,
    pub subject: String,
    pub status: EmailStatus,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    /// When a sender last took the email on; see `delivery` in the worker.
    pub claimed_at: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
