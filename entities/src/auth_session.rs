//! A signed-in session: one sign-in and the refresh tokens rotated from it
//! (a token family). Revoking it ends every token of the family.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "auth_session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub membership_id: i64,
    /// The member's account, so that all of a user's sessions end at once.
    pub user_id: i64,
    pub created_at: DateTimeUtc,
    /// When its latest refresh token expires: past that, the session is over.
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
