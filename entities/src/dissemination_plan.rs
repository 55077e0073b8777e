//! Who gets which report version, how and when.

use crate::enums::ReportKind;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dissemination_plan")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    /// Which table `report_id` points into.
    pub report_kind: ReportKind,
    pub report_id: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    /// When the first audience began to be sent; a started plan cannot be
    /// cancelled.
    pub started_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
