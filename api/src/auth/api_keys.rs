//! API keys for third-party systems. A key is `tpk_` + 8 hex characters
//! (its prefix, shown in lists) + `_` + a random secret; only its SHA-256
//! hash is stored, and it is shown once, when made. It is sent like an
//! access token, as `Authorization: Bearer <key>`, and acts in its
//! organisation with the role [`Role::Integration`], within its scopes:
//! reading, importing people, or writing what coordinators may.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{Enum, ServerError, ServerResult, Value};
use chrono::{DateTime, Utc};
use entities::{Role, api_key};
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
};
use worker::tokens::{hash_token, hex, random_token};

use super::{Caller, Callers};
use crate::error::{ApiError, ApiResult, Problem};
use crate::pagination::{Page, PageArgs, Sort, keyset};

/// How every key starts, so that a bearer value is recognised as one.
pub const KEY_PREFIX: &str = "tpk_";

/// How often, at most, a key's `lastUsedAt` is written.
const LAST_USED_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// What a key may do.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash)]
#[graphql(name = "ApiKeyScope")]
pub enum Scope {
    /// Every query: people, campaigns, results, reports; and the exports.
    Read,
    /// `createPeople`: add learners and tutors.
    ImportPeople,
    /// Every mutation a coordinator may run (importing people included);
    /// never an admin's (members, keys, dead letters).
    Write,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::ImportPeople => "import_people",
            Self::Write => "write",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [Self::Read, Self::ImportPeople, Self::Write]
            .into_iter()
            .find(|s| s.name() == name)
    }

    /// The scope a root field of an operation needs.
    pub fn needed(operation: &str, field: &str) -> Option<Self> {
        match (operation, field) {
            ("Query" | "Subscription", _) => Some(Self::Read),
            ("Mutation", "createPeople") => Some(Self::ImportPeople),
            ("Mutation", _) => Some(Self::Write),
            _ => None,
        }
    }
}

/// A key's identity and scopes, as its caller carries them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyGrant {
    pub id: i64,
    pub scopes: Vec<Scope>,
}

impl ApiKeyGrant {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
            || (scope == Scope::ImportPeople && self.scopes.contains(&Scope::Write))
    }
}

pub fn parse_scopes(stored: &str) -> Vec<Scope> {
    stored.split(',').filter_map(Scope::parse).collect()
}

/// A key just made: the key itself, shown this once, and its record.
pub struct NewKey {
    pub key: String,
    pub row: api_key::Model,
}

/// Longest key name.
const MAX_NAME: usize = 200;

/// Makes a key in the caller's organisation, recorded in the audit log.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    client: &super::ClientAddress,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<DateTime<Utc>>,
) -> ApiResult<NewKey> {
    let name = name.trim();
    let mut problems = Vec::new();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        problems.push(Problem::field(
            "name",
            "must be 1 to 200 characters, without control characters",
        ));
    }
    if scopes.is_empty() {
        problems.push(Problem::field("scopes", "give the key at least one scope"));
    }
    if expires_at.is_some_and(|at| at <= Utc::now()) {
        problems.push(Problem::field("expiresAt", "must be in the future"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }

    let mut rand = [0u8; 4];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut rand);
    let prefix = format!("{KEY_PREFIX}{}", hex(&rand));
    let key = format!("{prefix}_{}", random_token(32));
    let mut names: Vec<&str> = scopes.iter().map(|s| s.name()).collect();
    names.sort_unstable();
    names.dedup();
    let txn = worker::db::begin_write(db).await?;
    let row = api_key::Entity::insert(api_key::ActiveModel {
        organisation_id: Set(caller.organisation_id),
        name: Set(name.to_owned()),
        prefix: Set(prefix),
        key_hash: Set(hash_token(&key)),
        scopes: Set(names.join(",")),
        created_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    crate::audit::record(
        &txn,
        &crate::audit::Actor::new(caller, client),
        crate::audit::AuditAction::ApiKeyCreated,
        ("ApiKey", Some(row.id)),
        serde_json::json!({ "scopes": row.scopes }),
    )
    .await?;
    txn.commit().await?;
    Ok(NewKey { key, row })
}

/// The organisation's keys, newest first.
pub async fn list<T: async_graphql::OutputType>(
    db: &DatabaseConnection,
    organisation_id: i64,
    page: PageArgs,
    node: impl Fn(api_key::Model) -> T,
) -> ApiResult<Page<T>> {
    let query = api_key::Entity::find().filter(api_key::Column::OrganisationId.eq(organisation_id));
    keyset(
        db,
        query,
        &Sort::by_id("apiKeys", api_key::Column::Id, Order::Desc),
        page,
        node,
    )
    .await
}

/// Revokes a key of the organisation; revoking it again changes nothing.
pub async fn revoke(
    db: &DatabaseConnection,
    callers: &Callers,
    actor: &crate::audit::Actor,
    id: i64,
) -> ApiResult<api_key::Model> {
    let organisation_id = actor.organisation_id;
    let txn = worker::db::begin_write(db).await?;
    let revoked = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Some(Utc::now())))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::OrganisationId.eq(organisation_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected > 0 {
        crate::audit::record(
            &txn,
            actor,
            crate::audit::AuditAction::ApiKeyRevoked,
            ("ApiKey", Some(id)),
            serde_json::json!({}),
        )
        .await?;
    }
    let row = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrganisationId.eq(organisation_id))
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("API key"))?;
    txn.commit().await?;
    callers.forget(|c| c.api_key.as_ref().is_some_and(|k| k.id == id));
    Ok(row)
}

/// The caller of a valid key, and until when the key holds (for the
/// caller cache). Records the use, at most once a minute.
pub(super) async fn caller_for_digest(
    db: &DatabaseConnection,
    digest: &str,
) -> ApiResult<Option<(Caller, DateTime<Utc>)>> {
    let now = Utc::now();
    let Some(key) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(digest))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(api_key::Column::ExpiresAt.is_null())
                .add(api_key::Column::ExpiresAt.gt(now)),
        )
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if key
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_EVERY)
    {
        // Conditional, so that replicas racing on it write it once.
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(api_key::Column::Id.eq(key.id))
            .filter(
                Condition::any()
                    .add(api_key::Column::LastUsedAt.is_null())
                    .add(api_key::Column::LastUsedAt.lt(now - LAST_USED_EVERY)),
            )
            .exec(db)
            .await?;
    }
    let caller = Caller {
        user_id: key.created_by,
        organisation_id: key.organisation_id,
        role: Role::Integration,
        session_id: None,
        api_key: Some(ApiKeyGrant {
            id: key.id,
            scopes: parse_scopes(&key.scopes),
        }),
    };
    Ok(Some((
        caller,
        key.expires_at.unwrap_or(DateTime::<Utc>::MAX_UTC),
    )))
}

/// Refuses, as FORBIDDEN, every root field an API key's scopes do not
/// cover, before it runs: queries (and subscriptions, which
/// [`crate::live`] checks when they start) need `READ`, `createPeople` needs
/// `IMPORT_PEOPLE` or `WRITE`, other mutations `WRITE`. Role checks apply
/// on top, as for any caller.
pub struct ScopeCheck;

impl ExtensionFactory for ScopeCheck {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ScopeCheck)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ScopeCheck {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let grant = ctx.data_opt::<Caller>().and_then(|c| c.api_key.as_ref());
        if let Some(grant) = grant
            && !info.is_for_introspection
            && Scope::needed(info.parent_type, info.name).is_some_and(|s| !grant.allows(s))
        {
            let refused = async_graphql::Error::from(ApiError::Forbidden);
            let mut error = ServerError::new(refused.message, None);
            error.extensions = refused.extensions;
            error.path = info
                .path_node
                .to_string_vec()
                .into_iter()
                .map(async_graphql::PathSegment::Field)
                .collect();
            return Err(error);
        }
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_need_read_and_mutations_write_or_their_own_scope() {
        let importer = ApiKeyGrant {
            id: 1,
            scopes: vec![Scope::ImportPeople],
        };
        let writer = ApiKeyGrant {
            id: 2,
            scopes: vec![Scope::Write],
        };

        assert_eq!(Scope::needed("Query", "people"), Some(Scope::Read));
        assert_eq!(
            Scope::needed("Mutation", "createPeople"),
            Some(Scope::ImportPeople)
        );
        assert_eq!(
            Scope::needed("Mutation", "launchCampaign"),
            Some(Scope::Write)
        );
        assert_eq!(Scope::needed("Campaign", "name"), None);
        assert!(importer.allows(Scope::ImportPeople) && !importer.allows(Scope::Read));
        assert!(writer.allows(Scope::ImportPeople) && !writer.allows(Scope::Read));
    }

    #[test]
    fn scopes_read_back_as_stored_and_unknown_names_are_dropped() {
        assert_eq!(
            parse_scopes("import_people,read,nonsense"),
            vec![Scope::ImportPeople, Scope::Read]
        );
    }
}
