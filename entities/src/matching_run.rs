//! One run of the matching engine over a programme role.

use crate::enums::RunStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "matching_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub programme_id: i64,
    pub role_id: i64,
    pub status: RunStatus,
    #[sea_orm(column_type = "Json")]
    pub weights: Json,
    pub requested_by: i64,
    /// Learners waiting for a tutor in the role when the run started.
    pub learners: i32,
    pub proposed: i32,
    pub total_score: f64,
    /// How many pairs each constraint ruled out.
    #[sea_orm(column_type = "Json")]
    pub ruled_out: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
