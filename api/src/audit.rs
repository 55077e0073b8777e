//! The audit log: sensitive reads and writes (exports and erasures of
//! people, staff reading a learner's needs, plan or alerts, roles given,
//! API keys made, retention changed), each with who did it, from where and
//! when. A write's event is recorded in the write's own transaction, so
//! neither is kept without the other.

use std::sync::{Arc, Mutex};

use async_graphql::{Context, Enum, ID, Json, Object, Result};
use chrono::{DateTime, Utc};
use entities::{Role, audit_event};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::auth::{Caller, ClientAddress};
use crate::error::ApiResult;
use crate::ids;
use crate::loaders::AccountName;
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;

/// What an audit event records.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash)]
pub enum AuditAction {
    /// Every row about a person was exported.
    PersonExported,
    /// A person was erased.
    PersonErased,
    /// Staff read the learners' needs of a programme.
    NeedsRead,
    /// Staff read the tutoring plan of a relation.
    PlanRead,
    /// Staff read the alerts raised on a programme's relations.
    AlertsRead,
    /// A member was given a role.
    RoleGranted,
    /// An API key was made.
    ApiKeyCreated,
    /// An API key was revoked.
    ApiKeyRevoked,
    /// The retention policy was changed.
    RetentionChanged,
}

impl AuditAction {
    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            Self::PersonExported => "person.exported",
            Self::PersonErased => "person.erased",
            Self::NeedsRead => "needs.read",
            Self::PlanRead => "plan.read",
            Self::AlertsRead => "alerts.read",
            Self::RoleGranted => "role.granted",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::RetentionChanged => "retention.changed",
        }
    }

    const ALL: [Self; 9] = [
        Self::PersonExported,
        Self::PersonErased,
        Self::NeedsRead,
        Self::PlanRead,
        Self::AlertsRead,
        Self::RoleGranted,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
        Self::RetentionChanged,
    ];

    fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Who acts, for the record: a member, or an API key (with the account
/// that made it), and the address the request came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Actor {
    pub organisation_id: i64,
    pub user_id: i64,
    pub api_key_id: Option<i64>,
    pub client: String,
}

impl Actor {
    pub fn new(caller: &Caller, client: &ClientAddress) -> Self {
        Self {
            organisation_id: caller.organisation_id,
            user_id: caller.user_id,
            api_key_id: caller.api_key.as_ref().map(|k| k.id),
            client: client.0.clone(),
        }
    }

    /// The request's caller and address.
    pub fn of(ctx: &Context<'_>) -> ApiResult<Self> {
        let caller = ctx.caller()?;
        let client = ctx.data_opt::<ClientAddress>().cloned().unwrap_or_default();
        Ok(Self::new(caller, &client))
    }
}

/// Records that `actor` did `action` to the `kind` object `target`.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: AuditAction,
    (kind, target): (&str, Option<i64>),
    detail: Value,
) -> ApiResult<()> {
    let event = Event {
        actor: actor.clone(),
        action,
        kind: kind.to_owned(),
        target,
        detail,
    };
    insert(db, vec![event]).await
}

/// Records a read of a learner's records by staff: coordinators, admins,
/// observers and API keys. Tutors and learners reading their own
/// relations are not staff reads.
///
/// Within a request served over HTTP the read joins the request's
/// [`StaffReads`], written once the request has run; elsewhere it is
/// written at once.
pub async fn staff_read(
    ctx: &Context<'_>,
    action: AuditAction,
    target: (&str, Option<i64>),
    detail: Value,
) -> ApiResult<()> {
    let caller = ctx.caller()?;
    if matches!(caller.role, Role::Tutor | Role::Learner) {
        return Ok(());
    }
    let read = Event {
        actor: Actor::of(ctx)?,
        action,
        kind: target.0.to_owned(),
        target: target.1,
        detail,
    };
    match ctx.data_opt::<StaffReads>() {
        Some(reads) => {
            reads.push(read);
            Ok(())
        }
        None => insert(&ctx.state().db, vec![read]).await,
    }
}

/// An event of the audit log, to record.
#[derive(Clone, Debug, PartialEq)]
struct Event {
    actor: Actor,
    action: AuditAction,
    kind: String,
    target: Option<i64>,
    detail: Value,
}

impl Event {
    fn row(self, at: DateTime<Utc>) -> audit_event::ActiveModel {
        audit_event::ActiveModel {
            organisation_id: Set(self.actor.organisation_id),
            actor_user_id: Set(Some(self.actor.user_id)),
            actor_api_key_id: Set(self.actor.api_key_id),
            action: Set(self.action.key().to_owned()),
            target_kind: Set(self.kind),
            target_id: Set(self.target),
            detail: Set(self.detail),
            client_address: Set(self.actor.client),
            created_at: Set(at),
            ..Default::default()
        }
    }
}

/// The staff reads of one request. They are written together, in one
/// statement, after the request has run, however many objects its lists
/// showed; the same read made twice is written once.
#[derive(Clone, Default)]
pub struct StaffReads(Arc<Mutex<Vec<Event>>>);

impl StaffReads {
    fn push(&self, read: Event) {
        let mut reads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !reads.contains(&read) {
            reads.push(read);
        }
    }

    /// Whether the request made any staff read.
    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    /// Writes the reads of all `requests` in one statement and empties
    /// them.
    pub async fn flush(db: &impl ConnectionTrait, requests: &[StaffReads]) -> ApiResult<()> {
        let reads: Vec<Event> = requests
            .iter()
            .flat_map(|r| std::mem::take(&mut *r.0.lock().unwrap_or_else(|e| e.into_inner())))
            .collect();
        insert(db, reads).await
    }
}

/// Writes `events` in one statement.
async fn insert(db: &impl ConnectionTrait, events: Vec<Event>) -> ApiResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = events.into_iter().map(|e| e.row(now));
    audit_event::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// One event of the audit log.
pub struct AuditEvent(pub audit_event::Model);

/// One event of the audit log: who did what, to what, from where and
/// when. Admins only.
#[Object]
impl AuditEvent {
    /// Global ID of the event.
    async fn id(&self) -> ID {
        ids::encode("AuditEvent", self.0.id)
    }
    /// What was done; none for an action this version does not know.
    async fn action(&self) -> Option<AuditAction> {
        AuditAction::from_key(&self.0.action)
    }
    /// The account that acted, or that made the API key that did; its
    /// display name, as it is now.
    async fn actor_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(user_id) = self.0.actor_user_id else {
            return Ok(None);
        };
        ctx.loader().load_one(AccountName(user_id)).await
    }
    /// The API key that acted, if one did.
    async fn api_key_id(&self) -> Option<ID> {
        self.0.actor_api_key_id.map(|id| ids::encode("ApiKey", id))
    }
    /// The kind of object acted on: `Person`, `Programme`, `Matching`,
    /// `ApiKey`, `Member`, `RetentionPolicy`.
    async fn target_kind(&self) -> &str {
        &self.0.target_kind
    }
    /// The global ID of the object acted on, where it has one.
    async fn target_id(&self) -> Option<ID> {
        self.0
            .target_id
            .map(|id| ids::encode(&self.0.target_kind, id))
    }
    /// What else the action needs to be understood.
    async fn detail(&self) -> Json<&Value> {
        Json(&self.0.detail)
    }
    /// The address the request came from.
    async fn client_address(&self) -> &str {
        &self.0.client_address
    }
    /// When it was done (UTC).
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The organisation's audit log, newest first: admins only.
pub async fn log(
    ctx: &Context<'_>,
    page: PageArgs,
    action: Option<AuditAction>,
    target_id: Option<ID>,
) -> ApiResult<Page<AuditEvent>> {
    let caller = ctx.caller_in(&[Role::Admin])?;
    let mut query = audit_event::Entity::find()
        .filter(audit_event::Column::OrganisationId.eq(caller.organisation_id));
    if let Some(action) = action {
        query = query.filter(audit_event::Column::Action.eq(action.key()));
    }
    if let Some(target) = target_id {
        let (kind, id) = ids::decode_any(&target)?;
        query = query
            .filter(audit_event::Column::TargetKind.eq(kind))
            .filter(audit_event::Column::TargetId.eq(id));
    }
    keyset(
        &ctx.state().db,
        query,
        &Sort::by_id("auditLog", audit_event::Column::Id, sea_orm::Order::Desc),
        page,
        AuditEvent,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_stored_name() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_key(action.key()), Some(action));
        }
        assert_eq!(AuditAction::from_key("unknown"), None);
    }
}
