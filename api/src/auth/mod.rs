//! Who is calling and how they prove it: passwords, sessions of
//! short-lived access tokens and rotating refresh tokens, API keys,
//! password resets, and the limits on guessing.

pub mod api_keys;
pub mod graphql;
pub mod password_reset;
pub mod sessions;
pub mod throttle;

use std::sync::Arc;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::Utc;
use entities::{Role, access_token, membership, organisation, user_account};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use worker::tokens::hash_token;

use crate::error::{ApiError, ApiResult, Problem};

pub use api_keys::{ApiKeyGrant, Scope};
pub use throttle::Throttle;

/// Who is calling: one membership of one organisation, or an API key.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: i64,
    pub organisation_id: i64,
    pub role: Role,
    /// The session of the request's access token.
    pub session_id: Option<i64>,
    /// The API key of the request, with its scopes; its role is
    /// [`Role::Integration`] and `user_id` the admin who made it.
    pub api_key: Option<ApiKeyGrant>,
}

/// Roles that design and run the programme.
pub const MANAGERS: &[Role] = &[Role::Admin, Role::Coordinator];
/// Roles that may read results and reports.
pub const READERS: &[Role] = &[Role::Admin, Role::Coordinator, Role::Observer];

impl Caller {
    /// A member signed in with a session.
    pub fn member(m: &membership::Model, session_id: Option<i64>) -> Self {
        Self {
            user_id: m.user_id,
            organisation_id: m.organisation_id,
            role: m.role,
            session_id,
            api_key: None,
        }
    }

    /// Whether a check that admits `roles` admits the caller. An API key
    /// passes the checks that admit coordinators or observers (work over
    /// the whole organisation), never those for admins only or for tutors
    /// and learners in their own relations; its scopes narrow it further
    /// (see [`api_keys::ScopeCheck`]).
    pub fn may(&self, roles: &[Role]) -> bool {
        if self.role == Role::Integration {
            roles.contains(&Role::Coordinator) || roles.contains(&Role::Observer)
        } else {
            roles.contains(&self.role)
        }
    }

    /// The account whose own records (the person it is, its calendar, its
    /// development) the caller reaches: an API key has none.
    pub fn own_account(&self) -> ApiResult<i64> {
        match self.api_key {
            Some(_) => Err(ApiError::Forbidden),
            None => Ok(self.user_id),
        }
    }

    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if self.may(roles) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Settings of sign-in, sessions and resets, read once at start.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub access_lifetime: chrono::Duration,
    pub refresh_lifetime: chrono::Duration,
    pub reset_lifetime: chrono::Duration,
    pub failures_per_account: u32,
    pub failures_per_client: u32,
    pub sign_in_window: std::time::Duration,
    pub client_ip_header: Option<String>,
}

impl From<&worker::Settings> for AuthSettings {
    fn from(s: &worker::Settings) -> Self {
        let secs = |n: u64| chrono::Duration::seconds(i64::try_from(n).unwrap_or(i64::MAX / 1000));
        Self {
            access_lifetime: secs(s.access_token_secs),
            refresh_lifetime: secs(s.refresh_token_secs),
            reset_lifetime: secs(s.password_reset_secs),
            failures_per_account: s.sign_in_failures_per_account,
            failures_per_client: s.sign_in_failures_per_client,
            sign_in_window: std::time::Duration::from_secs(s.sign_in_window_secs),
            client_ip_header: s.client_ip_header.clone(),
        }
    }
}

/// What the auth services share: their settings and the attempt counters.
#[derive(Clone)]
pub struct Auth {
    pub settings: Arc<AuthSettings>,
    pub throttle: Throttle,
}

/// The address a request comes from, as far as it can be told: the
/// connection's, or the one a trusted load balancer names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientAddress(pub String);

pub fn hash_password(password: &str) -> ApiResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// The membership an email and password sign in to: the one of the named
/// organisation, or else the account's first. Its password is its own
/// where its organisation gave it one, else the account's. Unknown
/// address, unknown organisation and wrong password get the same answer,
/// after the same work.
pub async fn check_credentials(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    organisation_slug: Option<&str>,
) -> ApiResult<membership::Model> {
    let refused = || ApiError::bad_input("email or password is wrong");
    let user = user_account::Entity::find()
        .filter(user_account::Column::Email.eq(normalise_email(email)))
        .one(db)
        .await?;
    let membership = match &user {
        Some(user) => {
            let mut memberships = membership::Entity::find()
                .filter(membership::Column::UserId.eq(user.id))
                .order_by_asc(membership::Column::Id);
            if let Some(slug) = organisation_slug {
                let org = organisation::Entity::find()
                    .filter(organisation::Column::Slug.eq(slug))
                    .one(db)
                    .await?;
                let org = org.map_or(0, |o| o.id);
                memberships = memberships.filter(membership::Column::OrganisationId.eq(org));
            }
            memberships.one(db).await?
        }
        None => None,
    };
    let (Some(user), Some(membership)) = (user, membership) else {
        // Spend the time a real check takes, so timing does not reveal accounts.
        let _ = verify_password(password, DUMMY_HASH);
        return Err(refused());
    };
    let hash = membership
        .password_hash
        .as_deref()
        .unwrap_or(&user.password_hash);
    if !verify_password(password, hash) {
        return Err(refused());
    }
    Ok(membership)
}

/// The form addresses are stored, looked up and counted in.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// How long a token's caller is reused before it is looked up again. An
/// access token or key revoked by this process is forgotten at once; one
/// revoked by another replica stops working here within this time.
pub const CALLER_REUSE: std::time::Duration = std::time::Duration::from_secs(2);
/// Most callers kept; the set is emptied when it is full.
const CALLERS_KEPT: usize = 10_000;

/// A caller kept: when it was looked up, and when its token expires.
type Kept = (Caller, std::time::Instant, chrono::DateTime<Utc>);

/// Callers of recently seen tokens, so that a client's burst of requests
/// looks its token up once: every request starts with this.
#[derive(Clone, Default)]
pub struct Callers(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Kept>>>);

impl Callers {
    /// The caller a bearer token or API key stands for, if it is valid,
    /// unexpired and unrevoked.
    pub async fn of(&self, db: &DatabaseConnection, token: &str) -> ApiResult<Option<Caller>> {
        let digest = hash_token(token);
        let now = std::time::Instant::now();
        if let Ok(kept) = self.0.lock()
            && let Some((caller, at, expires_at)) = kept.get(&digest)
            && now.duration_since(*at) < CALLER_REUSE
            && *expires_at > Utc::now()
        {
            return Ok(Some(caller.clone()));
        }
        let found = if token.starts_with(api_keys::KEY_PREFIX) {
            api_keys::caller_for_digest(db, &digest).await?
        } else {
            caller_for_digest(db, &digest).await?
        };
        if let (Some((caller, expires_at)), Ok(mut kept)) = (&found, self.0.lock()) {
            if kept.len() >= CALLERS_KEPT {
                kept.retain(|_, (_, at, _)| now.duration_since(*at) < CALLER_REUSE);
                if kept.len() >= CALLERS_KEPT {
                    kept.clear();
                }
            }
            kept.insert(digest, (caller.clone(), now, *expires_at));
        }
        Ok(found.map(|(caller, _)| caller))
    }

    /// Forgets the callers `revoked` says were revoked, so that this
    /// process stops accepting their tokens at once.
    pub fn forget(&self, revoked: impl Fn(&Caller) -> bool) {
        if let Ok(mut kept) = self.0.lock() {
            kept.retain(|_, (caller, _, _)| !revoked(caller));
        }
    }
}

/// User, organisation, role, session and expiry of an access token.
type TokenRow = (i64, i64, Role, Option<i64>, chrono::DateTime<Utc>);

/// The caller of an unexpired access token, and when it expires: one
/// round trip.
async fn caller_for_digest(
    db: &DatabaseConnection,
    digest: &str,
) -> ApiResult<Option<(Caller, chrono::DateTime<Utc>)>> {
    let of_membership = access_token::Entity::belongs_to(membership::Entity)
        .from(access_token::Column::MembershipId)
        .to(membership::Column::Id)
        .into();
    let row: Option<TokenRow> = access_token::Entity::find()
        .select_only()
        .join(sea_orm::JoinType::InnerJoin, of_membership)
        .column(membership::Column::UserId)
        .column(membership::Column::OrganisationId)
        .column(membership::Column::Role)
        .column(access_token::Column::SessionId)
        .column(access_token::Column::ExpiresAt)
        .filter(access_token::Column::TokenHash.eq(digest))
        .filter(access_token::Column::ExpiresAt.gt(Utc::now()))
        .into_tuple()
        .one(db)
        .await?;
    Ok(
        row.map(|(user_id, organisation_id, role, session_id, expires_at)| {
            let caller = Caller {
                user_id,
                organisation_id,
                role,
                session_id,
                api_key: None,
            };
            (caller, expires_at)
        }),
    )
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// The password rule, the same wherever a password is chosen.
pub fn check_password(problems: &mut Vec<Problem>, field: &str, password: &str) {
    if password.chars().count() < MIN_PASSWORD {
        problems.push(Problem::field(
            field,
            format!("needs at least {MIN_PASSWORD} characters"),
        ));
    }
}

/// A plain check of an email address: one `@`, a local part without spaces
/// or angle brackets, and a domain of dot-separated labels.
pub fn valid_email(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && local
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"@".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    local_ok && domain_ok
}

/// Whether `slug` can name an organisation: lower-case letters, digits and dashes.
pub fn valid_slug(slug: &str) -> bool {
    (1..=63).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
}

/// Adds a member to an organisation, creating the organisation if
/// `organisation.1` names a new one, and the user if the address is new.
/// An existing user keeps their password; the answer is the same either way,
/// so it does not tell whether the address had an account.
pub async fn add_member(
    db: &DatabaseConnection,
    organisation: (&str, &str),
    email: &str,
    display_name: &str,
    password: &str,
    role: Role,
) -> ApiResult<Caller> {
    add_member_by(
        db,
        organisation,
        (email, display_name, password),
        role,
        None,
    )
    .await
}

/// [`add_member`], by a member whose act the audit log records with the
/// membership.
pub async fn add_member_by(
    db: &DatabaseConnection,
    organisation: (&str, &str),
    (email, display_name, password): (&str, &str, &str),
    role: Role,
    by: Option<&crate::audit::Actor>,
) -> ApiResult<Caller> {
    let (slug, name) = organisation;
    let email = normalise_email(email);
    let mut problems = Vec::new();
    if !valid_slug(slug) {
        problems.push(Problem::field(
            "organisation",
            "use lower-case letters, digits and dashes",
        ));
    }
    if !valid_email(&email) {
        problems.push(Problem::field("email", "is not an email address"));
    }
    if display_name.trim().is_empty() || display_name.chars().count() > 200 {
        problems.push(Problem::field("displayName", "must be 1 to 200 characters"));
    }
    check_password(&mut problems, "password", password);
    if role == Role::Integration {
        problems.push(Problem::field("role", "is the role of API keys only"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }

    let txn = worker::db::begin_write(db).await?;
    let org = match organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(slug))
        .one(&txn)
        .await?
    {
        Some(org) => org,
        None => {
            organisation::Entity::insert(organisation::ActiveModel {
                slug: Set(slug.to_owned()),
                name: Set(name.trim().to_owned()),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_with_returning(&txn)
            .await?
        }
    };
    // The password is hashed whether or not the address has an account,
    // so the time taken does not tell.
    let password_hash = hash_password(password)?;
    let existing = user_account::Entity::find()
        .filter(user_account::Column::Email.eq(&email))
        .one(&txn)
        .await?;
    // An account made by another organisation keeps its password there;
    // this membership gets the password given here. Otherwise whoever made
    // the account first would know the password of every membership added
    // to it later.
    let (user, own_password) = match existing {
        Some(user) => (user, Some(password_hash)),
        None => {
            let user = user_account::Entity::insert(user_account::ActiveModel {
                email: Set(email),
                display_name: Set(display_name.trim().to_owned()),
                password_hash: Set(password_hash),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_with_returning(&txn)
            .await?;
            (user, None)
        }
    };
    membership::Entity::insert(membership::ActiveModel {
        organisation_id: Set(org.id),
        user_id: Set(user.id),
        role: Set(role),
        created_at: Set(Utc::now()),
        password_hash: Set(own_password),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict("already a member of this organisation".into()),
        other => other,
    })?;
    if let Some(actor) = by {
        let role_name = sea_orm::ActiveEnum::to_value(&role);
        crate::audit::record(
            &txn,
            actor,
            crate::audit::AuditAction::RoleGranted,
            ("Member", Some(user.id)),
            serde_json::json!({ "role": role_name }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Caller {
        user_id: user.id,
        organisation_id: org.id,
        role,
        session_id: None,
        api_key: None,
    })
}

/// A valid argon2id hash of a random string, for constant-work refusals.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4G2d3nOPmJwqgYp0zoHYbb2rR0Wq2xvNOD3OSkoIAyY";
