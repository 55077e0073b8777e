//! A questionnaire sent to a set of people between two times.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub questionnaire_id: i64,
    pub name: String,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    #[sea_orm(column_type = "Json")]
    pub reminder_offsets_hours: Json,
    /// How reminders are timed beyond their offsets; see the worker's
    /// `reminders` module.
    #[sea_orm(column_type = "Json", nullable)]
    pub reminder_policy: Option<Json>,
    pub min_group_size: i32,
    pub low_score_threshold: f64,
    pub launched_at: Option<DateTimeUtc>,
    /// How far results may point back to a person; fixed once responses exist.
    pub anonymity: crate::Anonymity,
    /// The programme this campaign evaluates, if any.
    pub programme_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
