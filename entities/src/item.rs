//! One question of a questionnaire.

use crate::enums::ItemKind;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub questionnaire_id: i64,
    pub scale_id: Option<i64>,
    pub position: i32,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub prompt: String,
    pub kind: ItemKind,
    pub points: Option<i32>,
    #[sea_orm(column_type = "Json")]
    pub labels: Json,
    pub reverse_keyed: bool,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub required: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
