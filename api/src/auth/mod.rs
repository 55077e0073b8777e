//! Passwords, bearer tokens and the caller of a request.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{Duration, Utc};
use entities::{Role, access_token, membership, organisation, user_account};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use worker::tokens::{hash_token, random_token};

use crate::error::{ApiError, ApiResult, Problem};

/// How long a bearer token stays valid.
pub const TOKEN_LIFETIME_HOURS: i64 = 12;

/// Who is calling: one membership of one organisation.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: i64,
    pub organisation_id: i64,
    pub role: Role,
}

/// Roles that design and run the programme.
pub const MANAGERS: &[Role] = &[Role::Admin, Role::Coordinator];
/// Roles that may read results and reports.
pub const READERS: &[Role] = &[Role::Admin, Role::Coordinator, Role::Observer];

impl Caller {
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

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

/// A signed-in session: the bearer token, shown once.
pub struct Session {
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub caller: Caller,
}

/// Checks credentials and issues a token. Unknown address and wrong password
/// get the same answer, after the same work.
pub async fn sign_in(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    organisation_slug: Option<&str>,
) -> ApiResult<Session> {
    let user = user_account::Entity::find()
        .filter(user_account::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?;
    let refused = || ApiError::bad_input("email or password is wrong");
    let Some(user) = user else {
        // Spend the time a real check takes, so timing does not reveal accounts.
        let _ = verify_password(password, DUMMY_HASH);
        return Err(refused());
    };
    if !verify_password(password, &user.password_hash) {
        return Err(refused());
    }

    let mut memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .order_by_asc(membership::Column::Id);
    if let Some(slug) = organisation_slug {
        let org = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(slug))
            .one(db)
            .await?
            .ok_or_else(refused)?;
        memberships = memberships.filter(membership::Column::OrganisationId.eq(org.id));
    }
    let membership = memberships.one(db).await?.ok_or_else(refused)?;

    let token = random_token(32);
    let expires_at = Utc::now() + Duration::hours(TOKEN_LIFETIME_HOURS);
    access_token::Entity::insert(access_token::ActiveModel {
        token_hash: Set(hash_token(&token)),
        membership_id: Set(membership.id),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;

    Ok(Session {
        token,
        expires_at,
        caller: Caller {
            user_id: user.id,
            organisation_id: membership.organisation_id,
            role: membership.role,
        },
    })
}

/// How long a token's caller is reused before it is looked up again. Roles
/// are never changed in place, so this only delays the end of an expired
/// token by as much.
pub const CALLER_REUSE: std::time::Duration = std::time::Duration::from_secs(2);
/// Most callers kept; the set is emptied when it is full.
const CALLERS_KEPT: usize = 10_000;

/// Callers of recently seen tokens, so that a client's burst of requests
/// looks its token up once: every request starts with this.
#[derive(Clone, Default)]
pub struct Callers(
    std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<String, (Caller, std::time::Instant)>>,
    >,
);

impl Callers {
    /// The caller a bearer token stands for, if it is valid and unexpired.
    pub async fn of(&self, db: &DatabaseConnection, token: &str) -> ApiResult<Option<Caller>> {
        let digest = hash_token(token);
        let now = std::time::Instant::now();
        if let Ok(kept) = self.0.lock()
            && let Some((caller, at)) = kept.get(&digest)
            && now.duration_since(*at) < CALLER_REUSE
        {
            return Ok(Some(caller.clone()));
        }
        let caller = caller_for_digest(db, &digest).await?;
        if let (Some(caller), Ok(mut kept)) = (&caller, self.0.lock()) {
            if kept.len() >= CALLERS_KEPT {
                kept.retain(|_, (_, at)| now.duration_since(*at) < CALLER_REUSE);
                if kept.len() >= CALLERS_KEPT {
                    kept.clear();
                }
            }
            kept.insert(digest, (caller.clone(), now));
        }
        Ok(caller)
    }
}

async fn caller_for_digest(db: &DatabaseConnection, digest: &str) -> ApiResult<Option<Caller>> {
    // One round trip.
    let token_membership = sea_orm::sea_query::Query::select()
        .column(access_token::Column::MembershipId)
        .from(access_token::Entity)
        .and_where(access_token::Column::TokenHash.eq(digest))
        .and_where(access_token::Column::ExpiresAt.gt(Utc::now()))
        .to_owned();
    let membership = membership::Entity::find()
        .filter(membership::Column::Id.in_subquery(token_membership))
        .one(db)
        .await?;
    Ok(membership.map(|m| Caller {
        user_id: m.user_id,
        organisation_id: m.organisation_id,
        role: m.role,
    }))
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

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
    let (slug, name) = organisation;
    let email = email.trim().to_lowercase();
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
    if password.chars().count() < MIN_PASSWORD {
        problems.push(Problem::field(
            "password",
            format!("needs at least {MIN_PASSWORD} characters"),
        ));
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
    let user = match user_account::Entity::find()
        .filter(user_account::Column::Email.eq(&email))
        .one(&txn)
        .await?
    {
        Some(user) => user,
        None => {
            user_account::Entity::insert(user_account::ActiveModel {
                email: Set(email),
                display_name: Set(display_name.trim().to_owned()),
                password_hash: Set(hash_password(password)?),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_with_returning(&txn)
            .await?
        }
    };
    membership::Entity::insert(membership::ActiveModel {
        organisation_id: Set(org.id),
        user_id: Set(user.id),
        role: Set(role),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict("already a member of this organisation".into()),
        other => other,
    })?;
    txn.commit().await?;
    Ok(Caller {
        user_id: user.id,
        organisation_id: org.id,
        role,
    })
}

/// A valid argon2id hash of a random string, for constant-work refusals.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4G2d3nOPmJwqgYp0zoHYbb2rR0Wq2xvNOD3OSkoIAyY";
