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
    /// Called off before anything was sent; nothing will be.
    Cancelled,
}

pub struct DisseminationPlan(pub plan::Model);

/// A dissemination plan: a report version, its audiences, and each
/// member's delivery.
#[Object]
impl DisseminationPlan {
    /// Global ID of the plan; use with the plan's mutations.
    pub async fn id(&self) -> ID {
        ids::encode("DisseminationPlan", self.0.id)
    }
    /// The name coordinators gave the plan.
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
    /// Where the plan stands, worked out from its audiences and emails.
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
    /// The plan's audiences, in the order they were given.
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
        #[graphql(desc = "Rows from the start, or after `after`: at most 100; 20 when \
                          neither `first` nor `last` is given. Not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of a row from a page of this list: the rows after it.")]
        after: Option<String>,
        #[graphql(desc = "Rows from the end, or before `before`: at most 100. Not with \
                          `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of a row from a page of this list: the rows before it.")]
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
    /// When the plan was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the first audience began to be sent.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    /// When the plan was called off; null unless `CANCELLED`.
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
}

/// Emails of a plan by where they stand.
#[derive(SimpleObject, Default)]
pub struct DisseminationCounts {
    /// Emails waiting to be sent.
    pub pending: u64,
    /// Emails the mail server accepted.
    pub sent: u64,
    /// Emails that could not be delivered.
    pub failed: u64,
    /// Emails not sent because the address is on the suppression list.
    pub suppressed: u64,
    /// Waiting for the mail server; the next run tries again.
    pub deferred: u64,
    /// Personal links opened at least once.
    pub opened: u64,
}

/// An address listed with an audience.
#[derive(SimpleObject)]
pub struct Recipient {
    /// The name the email is addressed to.
    pub name: String,
    /// The email address.
    pub email: String,
}

pub struct DisseminationAudience(pub audience::Model);

/// One audience of a plan.
#[Object]
impl DisseminationAudience {
    /// Global ID of the audience; deliveries name it in `audienceId`.
    async fn id(&self) -> ID {
        ids::encode("DisseminationAudience", self.0.id)
    }
    /// Who the audience is.
    async fn kind(&self) -> AudienceKind {
        self.0.kind.into()
    }
    /// How the audience gets the report.
    async fn channel(&self) -> DisseminationChannel {
        self.0.channel.into()
    }
    /// When the audience is due: the worker sends it on its first run at
    /// or after this time. `sendDisseminationPlanNow` moves it to now.
    async fn send_at(&self) -> DateTime<Utc> {
        self.0.send_at
    }
    /// Days each link works after it is sent, 1–365.
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

pub struct DisseminationDelivery(pub delivery::Model);

/// One member of an audience: the email sent and the use of the link.
#[Object]
impl DisseminationDelivery {
    /// Global ID of the delivery.
    async fn id(&self) -> ID {
        ids::encode("DisseminationDelivery", self.0.id)
    }
    /// Global ID of the audience the member belongs to; see the plan's
    /// `audiences`.
    async fn audience_id(&self) -> ID {
        ids::encode("DisseminationAudience", self.0.audience_id)
    }
    /// The email address written to.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// The member's name, as the email addresses them.
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
            .map(Person::from))
    }
    /// Where the email stands.
    async fn status(&self) -> EmailStatus {
        self.0.status.into()
    }
    /// What went wrong, or why it waits.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// When the mail server accepted the email; null until then.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    /// When the personal link stops working.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// When the personal link was first opened; null while never opened.
    async fn first_opened_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_opened_at
    }
    /// How many times the personal link was opened.
    async fn open_count(&self) -> i32 {
        self.0.open_count
    }
    /// When `revokeDisseminationLinks` ended the personal link; null while
    /// it is not revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

crate::pagination::children_by_id!(
    /// The deliveries of dissemination plans, for their lists.
    DeliveriesOfPlan: dissemination_delivery by PlanId, "DisseminationPlan.deliveries", Asc
);
