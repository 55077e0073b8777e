//! A slot of a periodic job that a worker fired; the key keeps every other
//! worker from firing it again.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clock_slot")]
pub struct Model {
    /// Which periodic job: `reminder_sweep`, `monitor_relations`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub clock: String,
    /// The start of the slot.
    #[sea_orm(primary_key, auto_increment = false)]
    pub slot: DateTimeUtc,
    pub fired_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
