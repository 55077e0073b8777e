//! A tutor role of a programme: its functions, cost and expected load.

use crate::enums::RoleKind;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tutor_role")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub programme_id: i64,
    pub name: String,
    pub kind: RoleKind,
    #[sea_orm(column_type = "Json")]
    pub functions: Json,
    pub hourly_cost: f64,
    pub expected_learners: i32,
    pub expected_hours_per_month: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
