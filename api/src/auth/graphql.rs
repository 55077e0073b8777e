//! Signing in and out, sessions, password resets and API keys, as GraphQL.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{Role, api_key};

use super::api_keys::{self, Scope};
use super::{ClientAddress, password_reset, sessions};
use crate::error::ApiError;
use crate::ids;
use crate::pagination::{Page, PageArgs};
use crate::state::ContextExt;

const ADMINS: &[Role] = &[Role::Admin];

/// An account's address and password.
#[derive(InputObject)]
pub struct SignInInput {
    /// The account's address; case and surrounding spaces are ignored.
    pub email: String,
    /// The account's password. A wrong address and a wrong password get
    /// the same refusal, BAD_USER_INPUT.
    pub password: String,
    /// Organisation to act in, by slug; the first membership if omitted.
    pub organisation: Option<String>,
}

/// A new session's tokens, or a refreshed pair; each is shown once.
#[derive(SimpleObject)]
pub struct SignInPayload {
    /// The access token: send it as `Authorization: Bearer <token>`. It
    /// lasts minutes (`expiresAt`); refresh before then.
    pub token: String,
    /// When the access token stops working (UTC).
    pub expires_at: DateTime<Utc>,
    /// Exchanged once, with `refreshSession`, for a new pair. Keep it out
    /// of reach of scripts: whoever holds it holds the session.
    pub refresh_token: String,
    /// When the refresh token stops working (UTC); after it, sign in again.
    pub refresh_expires_at: DateTime<Utc>,
}

impl From<sessions::Tokens> for SignInPayload {
    fn from(t: sessions::Tokens) -> Self {
        Self {
            token: t.access_token,
            expires_at: t.access_expires_at,
            refresh_token: t.refresh_token,
            refresh_expires_at: t.refresh_expires_at,
        }
    }
}

/// The refresh token to exchange.
#[derive(InputObject)]
pub struct RefreshSessionInput {
    /// The `refreshToken` of the latest pair of the session.
    pub refresh_token: String,
}

/// How many sessions a sign-out ended.
#[derive(SimpleObject)]
pub struct SignOutPayload {
    /// Sessions ended by this call (0 if they had already ended).
    pub sessions_ended: u64,
}

/// The address to send a reset link to.
#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    /// The account's address; case and surrounding spaces are ignored.
    pub email: String,
}

/// That the request was taken, whatever the address.
#[derive(SimpleObject)]
pub struct RequestPasswordResetPayload {
    /// Always true: the answer does not tell whether the address has an
    /// account. If it has, a link valid for a limited time (an hour by
    /// default) is on its way.
    pub accepted: bool,
}

/// The token of a reset link and the password to set.
#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The token of the emailed link (the part after `/reset-password/`).
    pub token: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// The account whose password was set.
#[derive(SimpleObject)]
pub struct ResetPasswordPayload {
    /// The account's address, to sign in with the new password.
    pub email: String,
}

/// A key a third-party system calls the API with.
pub struct ApiKey(pub api_key::Model);

/// A key a third-party system calls the API with; only admins see keys.
#[Object]
impl ApiKey {
    /// Global ID of the key, as `revokeApiKey` takes it.
    async fn id(&self) -> ID {
        ids::encode("ApiKey", self.0.id)
    }
    /// What the key is for, as given when it was made.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The key's first characters, to recognise it: `tpk_` and 8 more.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// What the key may do.
    async fn scopes(&self) -> Vec<Scope> {
        api_keys::parse_scopes(&self.0.scopes)
    }
    /// When the key was made (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the key stops working (UTC); null for never.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// When the key was revoked (UTC); null while it is not.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// When the key was last used, to the minute.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// Neither revoked nor expired.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at.is_none_or(|at| at > Utc::now())
    }
}

/// The name, scopes and expiry of a new API key.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// What the key is for, e.g. "Student information system".
    pub name: String,
    /// What the key may do: at least one scope.
    pub scopes: Vec<Scope>,
    /// When the key stops working; never if omitted.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new API key, with its secret.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    /// The key, shown this once: send it as `Authorization: Bearer <key>`.
    pub key: String,
    /// The key as listed from now on, without its secret.
    pub api_key: ApiKey,
}

/// The API key to revoke.
#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    /// Global ID of the key; a key of another organisation is NOT_FOUND.
    pub id: ID,
}

/// The key just revoked.
#[derive(SimpleObject)]
pub struct RevokeApiKeyPayload {
    /// The key, with `revokedAt` set; revoking it again keeps the first time.
    pub api_key: ApiKey,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The organisation's API keys, newest first: admins only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<ApiKey>> {
        let caller = ctx.caller_in(ADMINS)?;
        let db = &ctx.state().db;
        let page = PageArgs::new(first, after, last, before);
        Ok(api_keys::list(db, caller.organisation_id, page, ApiKey).await?)
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Exchanges an email and password for an access token and a refresh
    /// token. After too many failures for one address, or from one client,
    /// RATE_LIMITED with `retryAfter` (seconds) in the error's extensions.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address, the password and the organisation to act in.")]
        input: SignInInput,
    ) -> Result<SignInPayload> {
        if !ctx
            .data_opt::<crate::http::SignInBudget>()
            .is_some_and(|b| b.take())
        {
            return Err(ApiError::RateLimited("one sign-in per request").into());
        }
        let tokens = sessions::sign_in(
            ctx.state(),
            &input.email,
            &input.password,
            input.organisation.as_deref(),
            &client(ctx),
        )
        .await?;
        Ok(tokens.into())
    }

    /// Exchanges a refresh token for a new pair; the old one is spent.
    /// Presenting a spent refresh token again ends its whole session
    /// (someone else holds a copy) and answers UNAUTHENTICATED.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token to spend.")] input: RefreshSessionInput,
    ) -> Result<SignInPayload> {
        let tokens = sessions::refresh(ctx.state(), &input.refresh_token).await?;
        Ok(tokens.into())
    }

    /// Ends the session of the request's access token: its access and
    /// refresh tokens stop working.
    async fn sign_out(&self, ctx: &Context<'_>) -> Result<SignOutPayload> {
        let session = ctx.caller()?.session_id.ok_or(ApiError::Forbidden)?;
        let state = ctx.state();
        let ended = sessions::end(&state.db, &state.callers, session).await?;
        Ok(SignOutPayload {
            sessions_ended: ended,
        })
    }

    /// Ends every session of the signed-in account, in every organisation.
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> Result<SignOutPayload> {
        let caller = ctx.caller()?;
        if caller.api_key.is_some() {
            return Err(ApiError::Forbidden.into());
        }
        let state = ctx.state();
        let ended = sessions::end_all(&state.db, &state.callers, caller.user_id).await?;
        Ok(SignOutPayload {
            sessions_ended: ended,
        })
    }

    /// Emails a password reset link if the address has an account. The
    /// answer is the same either way; requests are limited per address and
    /// per client (RATE_LIMITED with `retryAfter`).
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address of the account.")] input: RequestPasswordResetInput,
    ) -> Result<RequestPasswordResetPayload> {
        password_reset::request(ctx.state(), &input.email, &client(ctx)).await?;
        Ok(RequestPasswordResetPayload { accepted: true })
    }

    /// Sets a new password with the token of a reset link, and ends every
    /// session of the account. A token used, expired or unknown is
    /// INVALID_TOKEN.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the emailed link and the new password.")]
        input: ResetPasswordInput,
    ) -> Result<ResetPasswordPayload> {
        let email = password_reset::reset(ctx.state(), &input.token, &input.new_password).await?;
        Ok(ResetPasswordPayload { email })
    }

    /// Makes an API key for the organisation: admins only. The key is in
    /// the answer, and nowhere else ever.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The name, scopes and expiry of the key.")] input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload> {
        let caller = ctx.caller_in(ADMINS)?;
        let made = api_keys::create(
            &ctx.state().db,
            caller,
            &client(ctx),
            &input.name,
            &input.scopes,
            input.expires_at,
        )
        .await?;
        Ok(CreateApiKeyPayload {
            key: made.key,
            api_key: ApiKey(made.row),
        })
    }

    /// Revokes an API key: it stops working at once. Admins only.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key to revoke.")] input: RevokeApiKeyInput,
    ) -> Result<RevokeApiKeyPayload> {
        ctx.caller_in(ADMINS)?;
        let id = ids::decode(&input.id, "ApiKey")?;
        let state = ctx.state();
        let actor = crate::audit::Actor::of(ctx)?;
        let row = api_keys::revoke(&state.db, &state.callers, &actor, id).await?;
        Ok(RevokeApiKeyPayload {
            api_key: ApiKey(row),
        })
    }
}

fn client(ctx: &Context<'_>) -> ClientAddress {
    ctx.data_opt::<ClientAddress>().cloned().unwrap_or_default()
}
