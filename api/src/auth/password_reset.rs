//! Password reset by email. A request answers the same whether the address
//! has an account or not, after the same work: a request is recorded and a
//! job queued either way, and only the worker, later, tells them apart
//! (it sends nothing for an address without an account). The link's token
//! works once, within its lifetime; setting the new password ends every
//! session of the account.

use chrono::Utc;
use entities::{membership, password_reset, user_account};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use tracing::instrument;
use worker::Job;
use worker::tokens::{TokenKey, hash_token, password_reset_token};

use super::throttle::{Counter, Limit};
use super::{ClientAddress, check_password, hash_password, normalise_email};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Requests per address (account or not) per hour.
const PER_ACCOUNT: Limit = Limit {
    max: 3,
    window: std::time::Duration::from_secs(3600),
};
/// Requests per client address per hour.
const PER_CLIENT: Limit = Limit {
    max: 20,
    window: std::time::Duration::from_secs(3600),
};

/// Records a reset request for `email` and queues its email. Past the
/// limits (counted the same for addresses with and without an account),
/// RATE_LIMITED.
#[instrument(skip_all)]
pub async fn request(state: &AppState, email: &str, client: &ClientAddress) -> ApiResult<()> {
    let email = normalise_email(email);
    let counters = [
        Counter::new("reset:account", &email, PER_ACCOUNT),
        Counter::new("reset:client", &client.0, PER_CLIENT),
    ];
    if let Some(wait) = state.auth.throttle.take(&counters).await {
        return Err(ApiError::TooManyAttempts(wait));
    }

    let now = Utc::now();
    let user_id: Option<i64> = user_account::Entity::find()
        .select_only()
        .column(user_account::Column::Id)
        .filter(user_account::Column::Email.eq(&email))
        .into_tuple()
        .one(&state.db)
        .await?;
    // Requests past their time have no more use.
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::ExpiresAt.lt(now))
        .exec(&state.db)
        .await?;
    let nonce = TokenKey::new_nonce();
    let token = password_reset_token(&state.tokens, &nonce);
    let row = password_reset::Entity::insert(password_reset::ActiveModel {
        user_id: Set(user_id),
        nonce: Set(nonce),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + state.auth.settings.reset_lifetime),
        ..Default::default()
    })
    .exec_with_returning(&state.db)
    .await?;
    state
        .enqueue(Job::SendPasswordReset { reset_id: row.id })
        .await
}

/// Whether a reset link's token can still set a password.
pub async fn usable(db: &sea_orm::DatabaseConnection, token: &str) -> ApiResult<bool> {
    let found = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(hash_token(token)))
        .filter(password_reset::Column::UserId.is_not_null())
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Sets a new password with the token of a reset link, then ends every
/// session of the account; returns the account's email address. A token unknown, used or expired is
/// INVALID_TOKEN; a password that breaks the rule is BAD_USER_INPUT and
/// leaves the token usable.
#[instrument(skip_all)]
pub async fn reset(state: &AppState, token: &str, new_password: &str) -> ApiResult<String> {
    let mut problems = Vec::new();
    check_password(&mut problems, "newPassword", new_password);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let now = Utc::now();
    let found = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(hash_token(token)))
        .one(&state.db)
        .await?;
    let Some((reset, user_id)) = found
        .filter(|r| r.used_at.is_none() && r.expires_at > now)
        .and_then(|r| r.user_id.map(|u| (r, u)))
    else {
        return Err(ApiError::InvalidToken);
    };
    // Hashed before the transaction: argon2 takes a while.
    let password_hash = hash_password(new_password)?;

    let txn = worker::db::begin_write(&state.db).await?;
    let used = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Some(now)))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected == 0 {
        txn.rollback().await?;
        return Err(ApiError::InvalidToken);
    }
    // The account's other links are spent too: the password they would
    // replace is gone.
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Some(now)))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    let user = user_account::Entity::update_many()
        .col_expr(
            user_account::Column::PasswordHash,
            Expr::value(password_hash),
        )
        .filter(user_account::Column::Id.eq(user_id))
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::InvalidToken)?;
    // Whoever holds the mailbox holds the account: the new password is
    // the one of every membership.
    membership::Entity::update_many()
        .col_expr(
            membership::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .filter(membership::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    super::sessions::end_all(&state.db, &state.callers, user_id).await?;
    tracing::info!(user_id, "password reset; every session ended");
    Ok(user.email)
}
