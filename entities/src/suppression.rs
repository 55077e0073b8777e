//! An address an organisation no longer writes to.

use crate::enums::SuppressionReason;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "suppression")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    /// Trimmed and lower-cased.
    pub address: String,
    pub reason: SuppressionReason,
    #[sea_orm(column_type = "Text")]
    pub detail: Option<String>,
    /// The account that added it by hand; none for bounces.
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
