//! A recommendation of a programme report: proposed by a rule, with the
//! evidence that triggered it, then edited and decided by a coordinator.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::RecommendationStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "recommendation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub report_id: i64,
    /// Order in the report, most urgent first.
    pub position: i32,
    pub rule: String,
    /// `high`, `medium` or `low`.
    pub priority: String,
    /// Who should act: coordinators, tutors, management…
    pub audience: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    #[sea_orm(column_type = "Json")]
    pub evidence: Json,
    pub status: RecommendationStatus,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
