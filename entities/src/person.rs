//! A learner or tutor known to an organisation; may or may not have an account.

use crate::enums::PersonKind;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub external_ref: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub kind: PersonKind,
    pub language: String,
    pub time_zone: String,
    /// The account this person signs in with, if any.
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// When the person was erased: their name, address and free text are
    /// gone, their figures stay in the aggregates.
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
