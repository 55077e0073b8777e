//! Data-protection rights of the people of an organisation: an export of
//! everything about a person, their erasure, the retention policy and the
//! audit log. Admins only.

pub mod service;

use async_graphql::{Context, ID, InputObject, Json, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{Role, retention_policy};
use serde_json::Value;

use crate::accounts::Person;
use crate::audit::{self, Actor, AuditAction, AuditEvent};
use crate::ids;
use crate::pagination::Page;
use crate::state::ContextExt;

/// Only admins exercise these rights on others' behalf.
const ADMINS: &[Role] = &[Role::Admin];

/// How long the organisation keeps what it no longer needs. A limit left
/// out keeps that data for good.
pub struct RetentionPolicy(Option<retention_policy::Model>);

/// How long the organisation keeps what it no longer needs, in days. A
/// limit left null keeps that data for good.
#[Object]
impl RetentionPolicy {
    /// Days after a campaign closes that its free-text answers, interview
    /// notes and unsent drafts are kept. Free-text answers then read
    /// `[erased]`: they still count as given.
    async fn free_text_days(&self) -> Option<i32> {
        self.0.as_ref().and_then(|p| p.free_text_days)
    }
    /// Days the address on the record of a sent email is kept.
    async fn email_log_days(&self) -> Option<i32> {
        self.0.as_ref().and_then(|p| p.email_log_days)
    }
    /// Days an audit event is kept.
    async fn audit_days(&self) -> Option<i32> {
        self.0.as_ref().and_then(|p| p.audit_days)
    }
    /// When the policy was last set; none while it never was.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.as_ref().map(|p| p.updated_at)
    }
}

#[derive(Default)]
pub struct RightsQuery;

#[Object]
impl RightsQuery {
    /// The organisation's retention policy. Admins only.
    async fn retention_policy(&self, ctx: &Context<'_>) -> Result<RetentionPolicy> {
        let caller = ctx.caller_in(ADMINS)?;
        let row = service::policy(ctx.state(), caller.organisation_id).await?;
        Ok(RetentionPolicy(row))
    }

    /// Sensitive reads and writes in the organisation, newest first,
    /// optionally of one action or on one object. Admins only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
        #[graphql(
            desc = "Only the events of this action, such as `PERSON_ERASED`; all when omitted."
        )]
        action: Option<AuditAction>,
        #[graphql(desc = "Only events on this object, by its global ID (a person, a matching…).")]
        target_id: Option<ID>,
    ) -> Result<Page<AuditEvent>> {
        let page = crate::pagination::PageArgs::new(first, after, last, before);
        Ok(audit::log(ctx, page, action, target_id).await?)
    }
}

/// The person whose data is exported or erased.
#[derive(InputObject)]
pub struct PersonRightsInput {
    /// Global ID of the person; one of another organisation is NOT_FOUND.
    pub person_id: ID,
}

/// Everything stored about a person, as JSON.
#[derive(SimpleObject)]
pub struct ExportPersonDataPayload {
    /// Every row about the person, table by table (`tables.person`,
    /// `tables.response`, `tables.answer`…); secrets and whole reports
    /// are left out.
    pub document: Json<Value>,
    /// Where the same document downloads, with the bearer token.
    pub download_path: String,
}

/// A person erased, and what went with them.
#[derive(SimpleObject)]
pub struct ErasePersonPayload {
    /// The person as now stored: `Erased person`, no address, `erasedAt` set.
    pub person: Person,
    /// False when the person had been erased before: nothing changed.
    pub erased: bool,
    /// API keys the person's account had made that were revoked by this call.
    pub api_keys_revoked: u64,
    /// Sessions of the person's account ended by this call.
    pub sessions_ended: u64,
    /// Free texts by or about the person that were replaced.
    pub texts_cleared: u64,
    /// Copies of mail to the person deleted from the outbox folder, where
    /// mail is written when no SMTP server is set. Mail already handed to
    /// an SMTP server cannot be called back.
    pub outbox_copies_deleted: u64,
}

/// Changes to the retention policy: a limit left out stays as it was, a
/// limit given as null keeps that data for good.
#[derive(InputObject)]
pub struct SetRetentionPolicyInput {
    /// Days after a campaign closes that its free text is kept: 1 to
    /// 36,500; null keeps for good; left out, as it was.
    pub free_text_days: MaybeUndefined<i32>,
    /// Days the address on the record of a sent email is kept: 1 to 36,500;
    /// null keeps for good; left out, as it was.
    pub email_log_days: MaybeUndefined<i32>,
    /// Days an audit event is kept: 1 to 36,500; null keeps for good; left
    /// out, as it was.
    pub audit_days: MaybeUndefined<i32>,
}

/// The retention policy as just set.
#[derive(SimpleObject)]
pub struct SetRetentionPolicyPayload {
    /// The policy now applied by the worker every day.
    pub retention_policy: RetentionPolicy,
}

#[derive(Default)]
pub struct RightsMutation;

#[Object]
impl RightsMutation {
    /// Gathers every row about a person of the organisation: account,
    /// profiles, needs, relations, plans, sessions, invitations, responses
    /// and answers, emails, interviews, posts, alerts. Recorded in the
    /// audit log. Admins only.
    async fn export_person_data(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to export.")] input: PersonRightsInput,
    ) -> Result<ExportPersonDataPayload> {
        ctx.caller_in(ADMINS)?;
        let person_id = ids::decode(&input.person_id, "Person")?;
        let document = service::export(ctx.state(), &Actor::of(ctx)?, person_id).await?;
        Ok(ExportPersonDataPayload {
            document: Json(document),
            download_path: format!("/exports/people/{}/data.json", input.person_id.as_str()),
        })
    }

    /// Erases a person for good: their name, addresses and the free text
    /// by or about them are replaced, their account closed (sessions
    /// ended, API keys they made revoked) and their address suppressed,
    /// kept only as a hash. Their answers still count: campaign results,
    /// statistics and reports stay as they were. Erasing again changes
    /// nothing. Admins only.
    async fn erase_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to erase.")] input: PersonRightsInput,
    ) -> Result<ErasePersonPayload> {
        ctx.caller_in(ADMINS)?;
        let person_id = ids::decode(&input.person_id, "Person")?;
        let (person, erased, outbox_copies) =
            service::erase(ctx.state(), &Actor::of(ctx)?, person_id).await?;
        Ok(ErasePersonPayload {
            person: Person::from(person),
            erased: erased.erased,
            api_keys_revoked: erased.api_keys_revoked,
            sessions_ended: erased.sessions_ended,
            texts_cleared: erased.texts_cleared,
            outbox_copies_deleted: outbox_copies,
        })
    }

    /// Sets how long the organisation keeps free text, email records and
    /// audit events; the worker applies it every day. Admins only.
    async fn set_retention_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The limits to change, in days; null keeps for good, a limit left out stays."
        )]
        input: SetRetentionPolicyInput,
    ) -> Result<SetRetentionPolicyPayload> {
        ctx.caller_in(ADMINS)?;
        let limits = service::Limits {
            free_text_days: input.free_text_days,
            email_log_days: input.email_log_days,
            audit_days: input.audit_days,
        };
        let row = service::set_policy(ctx.state(), &Actor::of(ctx)?, limits).await?;
        Ok(SetRetentionPolicyPayload {
            retention_policy: RetentionPolicy(Some(row)),
        })
    }
}
