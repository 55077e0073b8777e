//! The GraphQL types of dissemination plans.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{
    EmailStatus as Stored, dissemination_audience as audience, dissemination_delivery as delivery,
    dissemination_plan as plan,
};
use worker::dissemination::{link_path, recipients};
use worker::tokens::report_link_token;

use crate::accounts::Person;
use crate::campaigns::delivery::EmailStatus;
use crate::campaigns::shares::ReportShare;
use crate::campaigns::types::Report;
use crate::ids;
use crate::loaders::{AudiencesOf, DeliveriesOf, PersonById, ReportById, ShareById};
use crate::pagination::{Page, PageArgs, nested_page};
use crate::state::ContextExt;

/// Who an audience is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::AudienceKind")]
pub enum AudienceKind {
    /// The organisation's coordinators (its admins when it has none).
    Coordinators,
    /// The organisation's tutors with an address, as they are when it is sent.
    Tutors,
    /// The organisation's learners with an address, as they are when it is sent.
    Learners,
    /// The programme's management: addresses listed with the plan.
    Management,
    /// Its funders: addresses listed with the plan.
    Funders,
    /// Anyone else: addresses listed with the plan.
    Outside,
}

/// How an audience gets the report.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::DisseminationChannel")]
pub enum DisseminationChannel {
    /// Each member gets an email with a personal link that expires.
    EmailLink,
    /// One link that expires, made on the date, for a coordinator to post.
    PublicLink,
}

/// Where a plan stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DisseminationStatus {
    /// Nothing sent yet.
    Scheduled,
    /// Some audiences sent, others waiting for their date or for the
    /// mail server.
    Sending,
    /// Every audience sent, every email delivered.
    Sent,
    /// Every audience sent, but some emails failed or went to suppressed
    /// addresses.
    PartlyFailed,
    Cancelled,
}

/// A dissemination plan: a report version, its audiences, and each
/// member's delivery.
pub struct DisseminationPlan(pub plan::Model);

#[Object]
impl DisseminationPlan {
    pub async fn id(&self) -> ID {
        ids::encode("DisseminationPlan", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The campaign report version sent, if the plan sends one.
    async fn report(&self, ctx: &Context<'_>) -> Result<Option<Report>> {
        if self.0.report_kind != entities::ReportKind::Campaign {
            return Ok(None);
        }
        let found = ctx.loader().load_one(ReportById(self.0.report_id)).await?;
        Ok(found
            .filter(|r| r.organisation_id == self.0.organisation_id)
            .map(Report))
    }
    /// The programme report version sent, if the plan sends one.
    async fn programme_report(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::evaluation::ProgrammeReport>> {
        if self.0.report_kind != entities::ReportKind::Programme {
            return Ok(None);
        }
        let found = ctx
            .loader()
            .load_one(crate::loaders::ProgrammeReportById(self.0.report_id))
            .await?
            .filter(|r| r.organisation_id == self.0.organisation_id);
        Ok(found.map(crate::evaluation::ProgrammeReport::new))
    }
    async fn status(&self, ctx: &Context<'_>) -> Result<DisseminationStatus> {
        if self.0.cancelled_at.is_some() {
            return Ok(DisseminationStatus::Cancelled);
        }
        if self.0.started_at.is_none() {
            return Ok(DisseminationStatus::Scheduled);
        }
        let audiences = ctx
            .loader()
            .load_one(AudiencesOf(self.0.id))
            .await?
            .unwrap_or_default();
        if audiences.iter().any(|a| a.done_at.is_none()) {
            return Ok(DisseminationStatus::Sending);
        }
        let tally = ctx
            .loader()
            .load_one(DeliveriesOf(self.0.id))
            .await?
            .unwrap_or_default();
        let missed = [Stored::Failed, Stored::Suppressed]
            .iter()
            .any(|s| tally.by_status.get(s).is_some_and(|n| *n > 0));
        Ok(if missed {
            DisseminationStatus::PartlyFailed
        } else {
            DisseminationStatus::Sent
        })
    }
    async fn audiences(&self, ctx: &Context<'_>) -> Result<Vec<DisseminationAudience>> {
        let rows = ctx
            .loader()
            .load_one(AudiencesOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(DisseminationAudience).collect())
    }
    /// Emails of the plan by where they stand, and links opened.
    async fn delivery_counts(&self, ctx: &Context<'_>) -> Result<DisseminationCounts> {
        let tally = ctx
            .loader()
            .load_one(DeliveriesOf(self.0.id))
            .await?
            .unwrap_or_default();
        let n = |s: Stored| tally.by_status.get(&s).copied().unwrap_or(0);
        Ok(DisseminationCounts {
            pending: n(Stored::Pending),
            sent: n(Stored::Sent),
            failed: n(Stored::Failed),
            suppressed: n(Stored::Suppressed),
            deferred: n(Stored::Deferred),
            opened: tally.opened,
        })
    }
    /// One row per member of each `EMAIL_LINK` audience sent, in the order
    /// they were recorded.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<DisseminationDelivery>> {
        let page = PageArgs::new(first, after, last, before);
        nested_page(
            ctx,
            self.0.id,
            DeliveriesOfPlan,
            page,
            DisseminationDelivery,
        )
        .await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the first audience began to be sent.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
}

/// Emails of a plan by where they stand.
#[derive(SimpleObject, Default)]
pub struct DisseminationCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    pub suppressed: u64,
    /// Waiting for the mail server; the next run tries again.
    pub deferred: u64,
    /// Personal links opened at least once.
    pub opened: u64,
}

/// An address listed with an audience.
#[derive(SimpleObject)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// One audience of a plan.
pub struct DisseminationAudience(pub audience::Model);

#[Object]
impl DisseminationAudience {
    async fn id(&self) -> ID {
        ids::encode("DisseminationAudience", self.0.id)
    }
    async fn kind(&self) -> AudienceKind {
        self.0.kind.into()
    }
    async fn channel(&self) -> DisseminationChannel {
        self.0.channel.into()
    }
    async fn send_at(&self) -> DateTime<Utc> {
        self.0.send_at
    }
    async fn link_lifetime_days(&self) -> i32 {
        self.0.link_lifetime_days
    }
    /// Language of the emails to listed addresses.
    async fn language(&self) -> &str {
        &self.0.language
    }
    /// The addresses listed, for management, funders and outside audiences.
    async fn recipients(&self) -> Vec<Recipient> {
        recipients(&self.0)
            .into_iter()
            .map(|r| Recipient {
                name: r.name,
                email: r.email,
            })
            .collect()
    }
    /// When every member's email was settled, or the public link made.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.done_at
    }
    /// The public link of a `PUBLIC_LINK` audience, once made: when it
    /// expires, how often it was opened.
    async fn public_link(&self, ctx: &Context<'_>) -> Result<Option<ReportShare>> {
        let Some(id) = self.0.share_id else {
            return Ok(None);
        };
        Ok(ctx.loader().load_one(ShareById(id)).await?.map(ReportShare))
    }
    /// The address of the public link to post, once made.
    async fn public_url(&self, ctx: &Context<'_>) -> Option<String> {
        self.0.share_id?;
        // The token is derived again from the audience's nonce: only its
        // hash is stored with the link.
        let state = ctx.state();
        let token = report_link_token(&state.tokens, &self.0.link_nonce);
        Some(format!("{}{}", state.public_url, link_path(&token)))
    }
}

/// One member of an audience: the email sent and the use of the link.
pub struct DisseminationDelivery(pub delivery::Model);

#[Object]
impl DisseminationDelivery {
    async fn id(&self) -> ID {
        ids::encode("DisseminationDelivery", self.0.id)
    }
    async fn audience_id(&self) -> ID {
        ids::encode("DisseminationAudience", self.0.audience_id)
    }
    async fn address(&self) -> &str {
        &self.0.address
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The person of the organisation, when the member is one.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.person_id else {
            return Ok(None);
        };
        let found = ctx.loader().load_one(PersonById(id)).await?;
        Ok(found
            .filter(|p| p.organisation_id == self.0.organisation_id)
            .map(Person))
    }
    async fn status(&self) -> EmailStatus {
        self.0.status.into()
    }
    /// What went wrong, or why it waits.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    /// When the personal link stops working.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn first_opened_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_opened_at
    }
    /// How many times the personal link was opened.
    async fn open_count(&self) -> i32 {
        self.0.open_count
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

crate::pagination::children_by_id!(
    /// The deliveries of dissemination plans, for their lists.
    DeliveriesOfPlan: dissemination_delivery by PlanId, "DisseminationPlan.deliveries", Asc
);
