//! The addresses an organisation no longer writes to. Every email goes
//! through [`crate::delivery::send_claimed_all`], which asks
//! [`suppressed_among`] first; a permanent refusal from the mail server adds the address here.

use std::collections::HashMap;

use chrono::Utc;
use entities::{SuppressionReason, suppression};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};

/// The form addresses are kept and compared in.
pub fn normalise(address: &str) -> String {
    address.trim().to_lowercase()
}

/// How the address of an erased person is kept: its SHA-256, so that mail
/// to it is still refused while the address itself is gone.
pub fn hashed(address: &str) -> String {
    format!("sha256:{}", crate::tokens::hash_token(&normalise(address)))
}

/// Whether `organisation_id` must not write to `address`.
pub async fn is_suppressed(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    address: &str,
) -> Result<Option<SuppressionReason>, DbErr> {
    Ok(suppression::Entity::find()
        .filter(suppression::Column::OrganisationId.eq(organisation_id))
        .filter(suppression::Column::Address.is_in([normalise(address), hashed(address)]))
        .one(db)
        .await?
        .map(|s| s.reason))
}

/// Which of `addresses` `organisation_id` must not write to, normalised,
/// with the reason of each.
pub async fn suppressed_among(
    db: &DatabaseConnection,
    organisation_id: i64,
    addresses: &[String],
) -> Result<HashMap<String, String>, DbErr> {
    // Each address is looked up as itself and as its hash, which is all
    // that is left of an erased person's.
    let mut wanted: HashMap<String, String> = HashMap::new();
    for address in addresses {
        let plain = normalise(address);
        wanted.insert(hashed(&plain), plain.clone());
        wanted.insert(plain.clone(), plain);
    }
    let keys: Vec<String> = wanted.keys().cloned().collect();
    let mut out = HashMap::new();
    // Bounded lists: a statement carries a limited number of parameters.
    for chunk in keys.chunks(500) {
        for row in suppression::Entity::find()
            .filter(suppression::Column::OrganisationId.eq(organisation_id))
            .filter(suppression::Column::Address.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            let reason = sea_orm::ActiveEnum::to_value(&row.reason);
            if let Some(plain) = wanted.get(&row.address) {
                out.insert(plain.clone(), format!("suppressed: {reason}"));
            }
        }
    }
    Ok(out)
}

/// Adds `address`; an address already on the list keeps its first reason.
pub async fn suppress(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    address: &str,
    reason: SuppressionReason,
    detail: Option<String>,
    created_by: Option<i64>,
) -> Result<suppression::Model, DbErr> {
    let address = normalise(address);
    suppression::Entity::insert(suppression::ActiveModel {
        organisation_id: Set(organisation_id),
        address: Set(address.clone()),
        reason: Set(reason),
        detail: Set(detail),
        created_by: Set(created_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            suppression::Column::OrganisationId,
            suppression::Column::Address,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    suppression::Entity::find()
        .filter(suppression::Column::OrganisationId.eq(organisation_id))
        .filter(suppression::Column::Address.eq(address))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("suppression".into()))
}

/// Takes `address` off the list; whether it was on it.
pub async fn lift(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    address: &str,
) -> Result<bool, DbErr> {
    let deleted = suppression::Entity::delete_many()
        .filter(suppression::Column::OrganisationId.eq(organisation_id))
        .filter(suppression::Column::Address.eq(normalise(address)))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}
