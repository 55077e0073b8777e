//! What a learner brings to matching besides their needs: languages, availability and preferred modes.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "learner_profile")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub programme_id: i64,
    pub person_id: i64,
    #[sea_orm(column_type = "Json")]
    pub languages: Json,
    #[sea_orm(column_type = "Json")]
    pub availability: Json,
    #[sea_orm(column_type = "Json")]
    pub modes: Json,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
