//! A person as the API shows them: the `person` table without what only
//! the organisation's own records use (its organisation, time zone,
//! account and creation time).

use crate::enums::PersonKind;
use sea_orm::entity::prelude::*;

/// Read only: rows are written through [`super::person`].
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub external_ref: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub kind: PersonKind,
    pub language: String,
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<super::person::Model> for Model {
    fn from(row: super::person::Model) -> Self {
        Self {
            id: row.id,
            external_ref: row.external_ref,
            name: row.name,
            email: row.email,
            kind: row.kind,
            language: row.language,
            erased_at: row.erased_at,
        }
    }
}
