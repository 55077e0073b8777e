//! An organisation: the tenant every other row belongs to.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// The id of the organisation with `slug`, or an error naming it.
    pub async fn find_by_slug(db: &DatabaseConnection, slug: &str) -> Result<i64, DbErr> {
        Self::find()
            .filter(Column::Slug.eq(slug))
            .one(db)
            .await?
            .map(|o| o.id)
            .ok_or_else(|| DbErr::RecordNotFound(format!("organisation `{slug}`")))
    }
}
