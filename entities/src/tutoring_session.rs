//! A held session of an intervention, as logged by its tutor.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{CommunicationTool, SessionStatus};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tutoring_session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub programme_id: i64,
    pub intervention_id: i64,
    /// The tutor or mentor who held it.
    pub tutor_id: Option<i64>,
    /// When it took place, or is to take place when scheduled.
    pub held_at: DateTimeUtc,
    pub minutes: i32,
    pub mode: CommunicationTool,
    #[sea_orm(column_type = "Text")]
    pub notes: String,
    pub created_at: DateTimeUtc,
    /// The tutorial relation the session belongs to, if any.
    pub matching_id: Option<i64>,
    pub status: SessionStatus,
    /// When the notes were written.
    pub notes_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
