//! A learner and a tutor in a role: the score that proposed them, and every decision since.

use crate::enums::MatchingStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "matching")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub programme_id: i64,
    pub role_id: i64,
    pub learner_id: i64,
    pub tutor_id: i64,
    /// The run that proposed it; none when a coordinator set it by hand.
    pub run_id: Option<i64>,
    pub status: MatchingStatus,
    pub score: f64,
    /// Each criterion's value, weight and points.
    #[sea_orm(column_type = "Json")]
    pub breakdown: Json,
    /// The account that made the latest decision.
    pub decided_by: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub proposed_at: DateTimeUtc,
    pub activated_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
