//! Sessions: a sign-in issues a short-lived access token and a refresh
//! token; refreshing exchanges the refresh token, once, for a new pair.
//! The tokens rotated from one sign-in form a family, the session. A
//! refresh token presented a second time means someone else holds a copy:
//! the whole session is revoked, and the caller must sign in again.
//!
//! Only SHA-256 hashes of tokens are stored. Ending a session deletes its
//! access tokens, so they stop working at once in this process (its
//! caller cache is told) and within [`super::CALLER_REUSE`] in the others.

use chrono::{DateTime, Utc};
use entities::{access_token, auth_session, membership, refresh_token};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use tracing::{instrument, warn};
use worker::tokens::{hash_token, random_token};

use super::throttle::{Counter, Limit};
use super::{AuthSettings, Caller, Callers, ClientAddress};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A new pair of tokens, shown once.
pub struct Tokens {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub caller: Caller,
}

/// Checks an email and password and starts a session. Failures count
/// against the address given (whether it has an account or not, so the
/// limit tells nothing) and against the client's address; past either
/// limit the answer is RATE_LIMITED, before the password is looked at.
#[instrument(skip_all)]
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    organisation: Option<&str>,
    client: &ClientAddress,
) -> ApiResult<Tokens> {
    let settings = &state.auth.settings;
    let window = settings.sign_in_window;
    let counters = [
        Counter::new(
            "sign-in:account",
            &super::normalise_email(email),
            Limit {
                max: settings.failures_per_account,
                window,
            },
        ),
        Counter::new(
            "sign-in:client",
            &client.0,
            Limit {
                max: settings.failures_per_client,
                window,
            },
        ),
    ];
    if let Some(wait) = state.auth.throttle.take(&counters).await {
        return Err(ApiError::TooManyAttempts(wait));
    }
    let membership = super::check_credentials(&state.db, email, password, organisation).await?;
    state.auth.throttle.give_back(&counters).await;
    start(&state.db, settings, &membership).await
}

/// Starts a session for `membership`: its first refresh token and access
/// token. Sessions of the membership that have run out are cleared away.
pub async fn start(
    db: &DatabaseConnection,
    settings: &AuthSettings,
    membership: &membership::Model,
) -> ApiResult<Tokens> {
    let now = Utc::now();
    let txn = worker::db::begin_write(db).await?;
    sweep(&txn, membership.id, now).await?;
    let session = auth_session::Entity::insert(auth_session::ActiveModel {
        membership_id: Set(membership.id),
        user_id: Set(membership.user_id),
        created_at: Set(now),
        expires_at: Set(now + settings.refresh_lifetime),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let tokens = issue(&txn, settings, membership, session.id, now).await?;
    txn.commit().await?;
    Ok(tokens)
}

/// Exchanges a refresh token for a new pair. An unknown, expired or
/// revoked token is UNAUTHENTICATED; a used one revokes its session first.
#[instrument(skip_all)]
pub async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<Tokens> {
    let db = &state.db;
    let now = Utc::now();
    let presented = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(refresh_token)))
        .one(db)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let session = auth_session::Entity::find_by_id(presented.session_id)
        .one(db)
        .await?
        .filter(|s| s.revoked_at.is_none())
        .ok_or(ApiError::Unauthenticated)?;
    if presented.used_at.is_some() {
        return Err(reused(state, session.id).await);
    }
    if presented.expires_at <= now {
        return Err(ApiError::Unauthenticated);
    }
    let membership = membership::Entity::find_by_id(session.membership_id)
        .one(db)
        .await?
        .ok_or(ApiError::Unauthenticated)?;

    let txn = worker::db::begin_write(db).await?;
    // Marked used only if it still was not: of two racing refreshes with
    // the same token, one wins and the other is a reuse.
    let marked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(refresh_token::Column::Id.eq(presented.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        txn.rollback().await?;
        return Err(reused(state, session.id).await);
    }
    let settings = &state.auth.settings;
    auth_session::Entity::update_many()
        .col_expr(
            auth_session::Column::ExpiresAt,
            Expr::value(now + settings.refresh_lifetime),
        )
        .filter(auth_session::Column::Id.eq(session.id))
        .exec(&txn)
        .await?;
    // Spent tokens of the session are kept until they expire, to tell a
    // reuse; expired ones are cleared.
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::SessionId.eq(session.id))
        .filter(refresh_token::Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?;
    access_token::Entity::delete_many()
        .filter(access_token::Column::SessionId.eq(session.id))
        .filter(access_token::Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?;
    let tokens = issue(&txn, settings, &membership, session.id, now).await?;
    txn.commit().await?;
    Ok(tokens)
}

/// A spent refresh token came back: the session ends.
async fn reused(state: &AppState, session_id: i64) -> ApiError {
    warn!(
        session_id,
        "a used refresh token came back; its session is revoked"
    );
    match end(&state.db, &state.callers, session_id).await {
        Ok(_) => ApiError::Unauthenticated,
        Err(e) => e,
    }
}

/// Ends one session: its tokens stop working. Returns how many sessions
/// ended (0 when it had already).
pub async fn end(db: &DatabaseConnection, callers: &Callers, session_id: i64) -> ApiResult<u64> {
    let txn = worker::db::begin_write(db).await?;
    let ended = auth_session::Entity::update_many()
        .col_expr(
            auth_session::Column::RevokedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(auth_session::Column::Id.eq(session_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    access_token::Entity::delete_many()
        .filter(access_token::Column::SessionId.eq(session_id))
        .exec(&txn)
        .await?;
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::SessionId.eq(session_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    callers.forget(|c| c.session_id == Some(session_id));
    Ok(ended)
}

/// Ends every session of a user, in every organisation. Returns how many
/// were still open.
pub async fn end_all(db: &DatabaseConnection, callers: &Callers, user_id: i64) -> ApiResult<u64> {
    let txn = worker::db::begin_write(db).await?;
    let ended = auth_session::Entity::update_many()
        .col_expr(
            auth_session::Column::RevokedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let memberships = Query::select()
        .column(membership::Column::Id)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.eq(user_id))
        .to_owned();
    access_token::Entity::delete_many()
        .filter(access_token::Column::MembershipId.in_subquery(memberships))
        .exec(&txn)
        .await?;
    let sessions = Query::select()
        .column(auth_session::Column::Id)
        .from(auth_session::Entity)
        .and_where(auth_session::Column::UserId.eq(user_id))
        .to_owned();
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::SessionId.in_subquery(sessions))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    callers.forget(|c| c.user_id == user_id && c.api_key.is_none());
    Ok(ended)
}

/// A new refresh token and access token for `session_id`.
async fn issue(
    conn: &impl ConnectionTrait,
    settings: &AuthSettings,
    membership: &membership::Model,
    session_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Tokens> {
    let refresh = random_token(32);
    let refresh_expires_at = now + settings.refresh_lifetime;
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        session_id: Set(session_id),
        token_hash: Set(hash_token(&refresh)),
        created_at: Set(now),
        expires_at: Set(refresh_expires_at),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    let access = random_token(32);
    let access_expires_at = now + settings.access_lifetime;
    access_token::Entity::insert(access_token::ActiveModel {
        token_hash: Set(hash_token(&access)),
        membership_id: Set(membership.id),
        session_id: Set(Some(session_id)),
        created_at: Set(now),
        expires_at: Set(access_expires_at),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(Tokens {
        access_token: access,
        access_expires_at,
        refresh_token: refresh,
        refresh_expires_at,
        caller: Caller::member(membership, Some(session_id)),
    })
}

/// Clears the membership's sessions that have run out and its expired
/// access tokens: sign-ins keep the tables from growing without end.
async fn sweep(
    conn: &impl ConnectionTrait,
    membership_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let over = Query::select()
        .column(auth_session::Column::Id)
        .from(auth_session::Entity)
        .and_where(auth_session::Column::MembershipId.eq(membership_id))
        .and_where(auth_session::Column::ExpiresAt.lte(now))
        .to_owned();
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::SessionId.in_subquery(over))
        .exec(conn)
        .await?;
    auth_session::Entity::delete_many()
        .filter(auth_session::Column::MembershipId.eq(membership_id))
        .filter(auth_session::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    access_token::Entity::delete_many()
        .filter(access_token::Column::MembershipId.eq(membership_id))
        .filter(access_token::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    Ok(())
}
