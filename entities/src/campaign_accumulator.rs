//! A campaign's running totals, from which its figures are recomputed
//! without reading every answer again.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaign_accumulator")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub campaign_id: i64,
    /// Responses folded in, for a look at the table; the figures use `data`.
    pub responses: i64,
    /// The totals as JSON; empty, or in a layout no longer read, means they
    /// are rebuilt from every response.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
