//! A versioned questionnaire; immutable once a campaign uses it.

use crate::enums::{Audience, QuestionnaireMode};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "questionnaire")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub key: String,
    pub version: i32,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub audience: Audience,
    /// Interview guides are answered by an interviewer, and send no email.
    pub mode: QuestionnaireMode,
    pub locked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
