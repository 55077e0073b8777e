//! One decision on a matching: from which status to which, by whom, why.

use crate::enums::MatchingStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "matching_decision")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub matching_id: i64,
    /// None when the decision created the matching.
    pub from_status: Option<MatchingStatus>,
    pub to_status: MatchingStatus,
    /// The account that decided; none for a matching run or the system.
    pub decided_by: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub decided_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
