//! A learner's need on an axis.

use crate::enums::{NeedSource, NeedStatus};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "need")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub programme_id: i64,
    pub axis_id: i64,
    pub person_id: i64,
    pub severity: i32,
    pub source: NeedSource,
    pub status: NeedStatus,
    #[sea_orm(column_type = "Text")]
    pub evidence: String,
    pub rule_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Severity set by a coordinator: a rule applied again leaves it alone.
    pub set_by_hand: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
