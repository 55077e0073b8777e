//! Dissemination plans: who gets which report version, how and when. The
//! worker sends each audience on its date (see `worker::dissemination`);
//! coordinators follow who received and opened it.

pub mod service;
pub mod types;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::dissemination_plan as plan;
use worker::Job;
use worker::dissemination::Recipient;

use crate::auth::MANAGERS;
use crate::error::ApiError;
use crate::ids;
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;
use types::{AudienceKind, DisseminationChannel, DisseminationPlan};

#[derive(Default)]
pub struct DisseminationQuery;

#[Object]
impl DisseminationQuery {
    /// Dissemination plans of the caller's organisation, newest first.
    /// Coordinators only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn dissemination_plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<DisseminationPlan>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let caller = ctx.caller_in(MANAGERS)?;
        let query =
            plan::Entity::find().filter(plan::Column::OrganisationId.eq(caller.organisation_id));
        Ok(keyset(
            &ctx.state().db,
            query,
            &Sort::by_id("disseminationPlans", plan::Column::Id, sea_orm::Order::Desc),
            PageArgs::new(first, after, last, before),
            DisseminationPlan,
        )
        .await?)
    }
}

/// An address outside the organisation's people.
#[derive(InputObject)]
pub struct RecipientInput {
    /// The name to address the email to: not blank, at most 200
    /// characters.
    pub name: String,
    /// A valid email address.
    pub email: String,
}

/// One audience of a plan.
#[derive(InputObject)]
pub struct DisseminationAudienceInput {
    /// Who the audience is.
    pub kind: AudienceKind,
    /// How it gets the report; a programme report goes by `EMAIL_LINK` only.
    pub channel: DisseminationChannel,
    /// When the audience gets the report; the worker sends it on the
    /// first run at or after this time.
    pub send_at: DateTime<Utc>,
    /// Days each link works after it is sent, from 1 to 365.
    pub link_lifetime_days: i32,
    /// Language of the emails to listed addresses; the organisation's
    /// people get theirs.
    #[graphql(default_with = "String::from(\"en\")")]
    pub language: String,
    /// For `MANAGEMENT`, `FUNDERS` and `OUTSIDE` by `EMAIL_LINK`: the
    /// addresses, at most 1,000. Empty for the other audiences.
    #[graphql(default)]
    pub recipients: Vec<RecipientInput>,
}

/// A plan to send a report version to audiences.
#[derive(InputObject)]
pub struct CreateDisseminationPlanInput {
    /// A name for coordinators: not blank, at most 200 characters.
    pub name: String,
    /// The report version to send.
    pub report_id: ID,
    /// At least one, at most 20.
    pub audiences: Vec<DisseminationAudienceInput>,
}

/// The dissemination plan to act on.
#[derive(InputObject)]
pub struct DisseminationPlanInput {
    /// Global ID of a plan of the caller's organisation; NOT_FOUND
    /// otherwise.
    pub plan_id: ID,
}

/// The dissemination plan created or changed.
#[derive(SimpleObject)]
pub struct DisseminationPlanPayload {
    /// The plan, as it stands after the change.
    pub plan: DisseminationPlan,
}

#[derive(Default)]
pub struct DisseminationMutation;

#[Object]
impl DisseminationMutation {
    /// Plans who gets a report version, how and when. Every problem with
    /// the input is reported at once, named after its field.
    /// Coordinators only.
    async fn create_dissemination_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's name, the report version and its audiences.")]
        input: CreateDisseminationPlanInput,
    ) -> Result<DisseminationPlanPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let not_a_report = || {
            ApiError::invalid(vec![crate::error::Problem::field(
                "reportId",
                "is not the id of a report",
            )])
        };
        let (report_kind, report_id) = match ids::decode_any(&input.report_id) {
            Ok((kind, id)) if kind == "Report" => (entities::ReportKind::Campaign, id),
            Ok((kind, id)) if kind == "ProgrammeReport" => (entities::ReportKind::Programme, id),
            _ => return Err(not_a_report().into()),
        };
        let new = service::NewPlan {
            name: input.name,
            report_kind,
            report_id,
            audiences: input
                .audiences
                .into_iter()
                .map(|a| service::NewAudience {
                    kind: a.kind.into(),
                    channel: a.channel.into(),
                    send_at: a.send_at,
                    link_lifetime_days: a.link_lifetime_days,
                    language: a.language,
                    recipients: a
                        .recipients
                        .into_iter()
                        .map(|r| Recipient {
                            name: r.name,
                            email: r.email,
                        })
                        .collect(),
                })
                .collect(),
        };
        let (created, _) = service::create(
            &ctx.state().db,
            caller.organisation_id,
            Some(caller.user_id),
            new,
            Utc::now(),
        )
        .await?;
        Ok(DisseminationPlanPayload {
            plan: DisseminationPlan(created),
        })
    }

    /// Calls a plan off before it sends anything; once it has started,
    /// CONFLICT. Coordinators only.
    async fn cancel_dissemination_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan to call off.")] input: DisseminationPlanInput,
    ) -> Result<DisseminationPlanPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.plan_id, "DisseminationPlan")?;
        let cancelled =
            service::cancel(&ctx.state().db, caller.organisation_id, id, Utc::now()).await?;
        Ok(DisseminationPlanPayload {
            plan: DisseminationPlan(cancelled),
        })
    }

    /// Sends every audience of a plan not sent yet now, rather than on its
    /// date. Coordinators only.
    async fn send_dissemination_plan_now(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan to send.")] input: DisseminationPlanInput,
    ) -> Result<DisseminationPlanPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.plan_id, "DisseminationPlan")?;
        let state = ctx.state();
        let now = Utc::now();
        let found = service::bring_forward(&state.db, caller.organisation_id, id, now).await?;
        state
            .enqueue(Job::Disseminate {
                at: now,
                plan_id: Some(id),
            })
            .await?;
        Ok(DisseminationPlanPayload {
            plan: DisseminationPlan(found),
        })
    }

    /// Ends every link a plan has given out, personal and public, now.
    /// Coordinators only.
    async fn revoke_dissemination_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan whose links end.")] input: DisseminationPlanInput,
    ) -> Result<DisseminationPlanPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.plan_id, "DisseminationPlan")?;
        let found =
            service::revoke_links(&ctx.state().db, caller.organisation_id, id, Utc::now()).await?;
        Ok(DisseminationPlanPayload {
            plan: DisseminationPlan(found),
        })
    }
}
