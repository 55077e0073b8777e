//! One audience of a dissemination plan.

use crate::enums::{AudienceKind, DisseminationChannel};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dissemination_audience")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    /// Order within the plan, from 0.
    pub position: i32,
    pub kind: AudienceKind,
    pub channel: DisseminationChannel,
    pub send_at: DateTimeUtc,
    pub link_lifetime_days: i32,
    /// Language of the emails to listed addresses (`en`, `fr`); people of
    /// the organisation get their own.
    pub language: String,
    /// For address lists: `[{"name": …, "email": …}]`.
    #[sea_orm(column_type = "Json")]
    pub recipients: Json,
    /// Derives the token of the public link with the secret key.
    pub link_nonce: String,
    /// The public link, once made.
    pub share_id: Option<i64>,
    /// When every member's email was settled (sent, failed or suppressed),
    /// or the public link made.
    pub done_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
