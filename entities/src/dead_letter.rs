//! A background job given up on: it failed for good, or too many times for
//! a passing reason. Kept until an admin retries it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dead_letter")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// None for jobs that span every organisation, or whose target is gone.
    pub organisation_id: Option<i64>,
    /// The campaign the job was about, as its payload named it.
    pub campaign_id: Option<i64>,
    pub kind: String,
    /// The job as it was queued.
    #[sea_orm(column_type = "Json")]
    pub payload: Json,
    /// The last error and its causes, outermost first.
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub attempts: i32,
    pub failed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
