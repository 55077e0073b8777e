//! One answer; a missing answer has no row.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "answer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub response_id: i64,
    pub item_id: i64,
    pub number_value: Option<f64>,
    #[sea_orm(column_type = "Text")]
    pub text_value: Option<String>,
    #[sea_orm(column_type = "Json")]
    pub choices: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
