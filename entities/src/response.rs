//! A submitted (or imported) set of answers.

use crate::enums::ResponseSource;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "response")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub campaign_id: i64,
    #[sea_orm(unique)]
    pub invitation_id: Option<i64>,
    pub external_ref: Option<String>,
    pub source: ResponseSource,
    #[sea_orm(column_type = "Json")]
    pub attributes: Json,
    pub digest: String,
    /// The person who answered, when known (identified imports).
    pub person_id: Option<i64>,
    pub submitted_at: DateTimeUtc,
    /// Whether the answers are in the campaign's running totals.
    pub folded: bool,
    /// The account that recorded an interview.
    pub interviewer_id: Option<i64>,
    /// The interviewer's notes: never aggregated, shown only to
    /// coordinators and the interviewer.
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
