//! How long an organisation keeps what it no longer needs. A missing limit
//! keeps the data for good.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "retention_policy")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub organisation_id: i64,
    /// Days after a campaign closes that its free-text answers and
    /// interview notes are kept.
    pub free_text_days: Option<i32>,
    /// Days the record of a sent email (address, subject) is kept.
    pub email_log_days: Option<i32>,
    /// Days an audit event is kept.
    pub audit_days: Option<i32>,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
