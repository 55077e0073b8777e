//! One execution of a background job, for operators and tests.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "job_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    #[sea_orm(column_type = "Json")]
    pub payload: Json,
    pub outcome: String,
    #[sea_orm(column_type = "Json")]
    pub detail: Json,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    /// Milliseconds the job ran.
    pub duration_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
