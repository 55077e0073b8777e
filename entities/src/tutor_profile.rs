//! A tutor's profile in a programme: roles, competences, capacity, languages, availability and modes.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tutor_profile")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub programme_id: i64,
    pub person_id: i64,
    /// Tutor roles of the programme this person takes.
    #[sea_orm(column_type = "Json")]
    pub role_ids: Json,
    /// Most learners at once; 0 means not accepting.
    pub capacity: i32,
    /// Active matchings; the database keeps it within the capacity.
    pub active_count: i32,
    #[sea_orm(column_type = "Json")]
    pub languages: Json,
    #[sea_orm(column_type = "Json")]
    pub availability: Json,
    #[sea_orm(column_type = "Json")]
    pub modes: Json,
    /// Competence (1–5) per support axis.
    #[sea_orm(column_type = "Json")]
    pub competences: Json,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
