//! An invitation as a list of a campaign's invitations shows it: the
//! `invitation` table without its token, which a list never needs.

use sea_orm::entity::prelude::*;

/// Read only: rows are written through [`super::invitation`].
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invitation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub person_id: i64,
    pub responded_at: Option<DateTimeUtc>,
    pub opted_out_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person_card::Entity",
        from = "Column::PersonId",
        to = "super::person_card::Column::Id"
    )]
    Person,
}

impl Related<super::person_card::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl From<super::invitation::Model> for Model {
    fn from(row: super::invitation::Model) -> Self {
        Self {
            id: row.id,
            campaign_id: row.campaign_id,
            person_id: row.person_id,
            responded_at: row.responded_at,
            opted_out_at: row.opted_out_at,
        }
    }
}
