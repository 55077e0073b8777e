//! A designed intervention of a programme's catalogue.

use crate::enums::{CommunicationTool, InterventionFormat};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "intervention")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub programme_id: i64,
    pub axis_id: i64,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub format: InterventionFormat,
    pub tool: CommunicationTool,
    pub sessions_per_month: f64,
    pub session_minutes: i32,
    pub group_size: i32,
    pub session_cost: f64,
    /// The role that delivers it, for costs per role.
    pub role_id: Option<i64>,
    /// Months the intervention runs.
    pub duration_months: f64,
    /// Learners expected to take it: the planned uptake.
    pub planned_learners: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
