//! GraphQL types of campaigns, invitations, results and reports.

use std::borrow::Cow;
use std::sync::OnceLock;

use async_graphql::{Context, Enum, ID, InputType, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{campaign, invitation, invitation_listing, person_card, report, response};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, Condition, DbErr, EntityTrait, Order, QueryFilter, QueryResult, QueryTrait, Select,
};
use worker::report::ReportData;
use worker::results::CampaignResults;

use super::service::{self, Status};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::loaders::{
    CampaignById, CountsOf, DeliveryOf, PersonById, QuestionnaireById, ResultOf, SharesOf,
};
use crate::pagination::{
    Companion, Nested, Page, PageArgs, Positional, Sort, nested_page, nested_page_with,
};
use crate::questionnaires::types::Questionnaire;
use crate::state::ContextExt;

/// A questionnaire sent to a set of people between two times: its id, and
/// its row once read.
pub struct Campaign {
    id: i64,
    row: OnceLock<campaign::Model>,
}

impl From<campaign::Model> for Campaign {
    fn from(row: campaign::Model) -> Self {
        Self {
            id: row.id,
            row: OnceLock::from(row),
        }
    }
}

impl Campaign {
    /// Campaign `id`, known to be of the caller's organisation; its row is
    /// read when a field first needs it.
    fn known(id: i64) -> Self {
        Self {
            id,
            row: OnceLock::new(),
        }
    }

    /// The campaign's row, read with the request's other campaigns if not
    /// read yet.
    async fn row(&self, ctx: &Context<'_>) -> Result<&campaign::Model> {
        if let Some(row) = self.row.get() {
            return Ok(row);
        }
        let row = ctx.loader().load_one(CampaignById(self.id)).await?;
        let row = row.ok_or(ApiError::NotFound("campaign"))?;
        Ok(self.row.get_or_init(|| row))
    }

    /// Campaign `id` of the caller's organisation, or none. When the
    /// query asks for one page of its invitations (as a screen of the
    /// campaign does), the page comes in the same statement.
    pub async fn find(ctx: &Context<'_>, caller: &Caller, id: i64) -> Result<Option<Self>> {
        let mine = Condition::all()
            .add(campaign::Column::Id.eq(id))
            .add(campaign::Column::OrganisationId.eq(caller.organisation_id));
        let loader = ctx.loader().loader();
        let asked = invitations_asked(ctx)
            .filter(|_| caller.may(crate::auth::MANAGERS))
            .and_then(|(list, args)| Some((list.sort().within(id).window(args).ok()?, list)));
        let found = match asked {
            Some((window, list)) => {
                // Its row only if a field of the query needs it.
                let row = ctx
                    .field()
                    .selection_set()
                    .any(|field| !matches!(field.name(), "invitations" | "id" | "__typename"));
                let found = loader
                    .node_with_page::<campaign::Entity, _>(mine, id, list, window, row)
                    .await;
                found.map(|found| found.map(|row| row.map_or(Self::known(id), Self::from)))
            }
            None => {
                let found = campaign::Entity::find().filter(mine).one(&loader.db).await;
                found.map(|row| row.map(Self::from))
            }
        };
        Ok(found.map_err(ApiError::from)?)
    }
}

/// The list and page of the one `invitations` field the query asks under
/// the current one, with its arguments read as the field reads them; none
/// when the field is not asked, asked twice, or asked with arguments that
/// the field will refuse.
fn invitations_asked(ctx: &Context<'_>) -> Option<(InvitationsOf, PageArgs)> {
    fn parse<T: InputType>(value: async_graphql::Value) -> Option<T> {
        T::parse(Some(value)).ok()
    }
    let asked = ctx.look_ahead().field("invitations").selection_fields();
    let [field] = asked.as_slice() else {
        return None;
    };
    let mut list = InvitationsOf {
        order: InvitationOrder::default(),
    };
    let mut args = PageArgs::default();
    for (name, value) in field.arguments().ok()? {
        match name.as_str() {
            "first" => args.first = parse(value)?,
            "after" => args.after = parse(value)?,
            "last" => args.last = parse(value)?,
            "before" => args.before = parse(value)?,
            "orderBy" => list.order = parse(value)?,
            _ => return None,
        }
    }
    Some((list, args))
}

/// A questionnaire sent to a set of people between two times, with its
/// invitations, reminders, figures and reports. Admins, coordinators and
/// observers read campaigns; some fields are for coordinators only.
#[Object]
impl Campaign {
    /// Global ID of the campaign; use with `node(id:)` and as `campaignId`.
    pub async fn id(&self) -> ID {
        super::global_id(self.id)
    }
    /// Name shown to respondents and in reports.
    async fn name(&self, ctx: &Context<'_>) -> Result<&str> {
        Ok(&self.row(ctx).await?.name)
    }
    /// The questionnaire version sent; it no longer changes.
    async fn questionnaire(&self, ctx: &Context<'_>) -> Result<Questionnaire> {
        let id = self.row(ctx).await?.questionnaire_id;
        let q = ctx.loader().load_one(QuestionnaireById(id)).await?;
        Ok(Questionnaire(q.ok_or(ApiError::NotFound("questionnaire"))?))
    }
    /// When invitations go out and answers are first taken (UTC).
    async fn opens_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        Ok(self.row(ctx).await?.opens_at)
    }
    /// When answers stop being taken (UTC); brought forward by
    /// `closeCampaign`.
    async fn closes_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        Ok(self.row(ctx).await?.closes_at)
    }
    /// Hours after opening at which non-respondents are reminded.
    async fn reminder_offsets_hours(&self, ctx: &Context<'_>) -> Result<Vec<i64>> {
        Ok(worker::delivery::reminder_offsets(self.row(ctx).await?))
    }
    /// When reminders go out in each invitee's time zone, and when they stop.
    async fn reminder_policy(&self, ctx: &Context<'_>) -> Result<ReminderPolicy> {
        let row = self.row(ctx).await?;
        Ok(ReminderPolicy(worker::delivery::reminder_policy(row)))
    }
    /// Groups smaller than this get no figures in any breakdown.
    async fn min_group_size(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.row(ctx).await?.min_group_size)
    }
    /// How far results may point back to a person.
    async fn anonymity(&self, ctx: &Context<'_>) -> Result<super::Anonymity> {
        Ok(self.row(ctx).await?.anonymity.into())
    }
    /// The programme this campaign evaluates.
    async fn programme_id(&self, ctx: &Context<'_>) -> Result<Option<ID>> {
        let programme = self.row(ctx).await?.programme_id;
        Ok(programme.map(|id| crate::ids::encode("Programme", id)))
    }
    /// Scale means below this fraction of their range trigger a recommendation.
    async fn low_score_threshold(&self, ctx: &Context<'_>) -> Result<f64> {
        Ok(self.row(ctx).await?.low_score_threshold)
    }
    /// Where the campaign stands now, from its launch and its two times.
    async fn status(&self, ctx: &Context<'_>) -> Result<CampaignStatus> {
        Ok(service::status(self.row(ctx).await?, Utc::now()).into())
    }
    /// People invited, whether they answered or not.
    async fn invitation_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(counts(ctx, self.id).await?.invited)
    }
    /// Responses received, invited or imported.
    async fn response_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(counts(ctx, self.id).await?.responses)
    }
    /// Its emails by where they stand. Coordinators only.
    async fn delivery(&self, ctx: &Context<'_>) -> Result<super::delivery::DeliveryCounts> {
        ctx.caller_in(crate::auth::MANAGERS)?;
        let counts = ctx.loader().load_one(DeliveryOf(self.id)).await?;
        Ok(counts.unwrap_or_default())
    }
    /// Its email log, newest first: one entry per email, with its outcome.
    /// Coordinators only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn emails(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only the emails in this state, such as `FAILED`; every email when omitted."
        )]
        status: Option<super::delivery::EmailStatus>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<super::delivery::Email>> {
        ctx.caller_in(crate::auth::MANAGERS)?;
        let list = super::delivery::EmailsOf {
            status: status.map(Into::into),
        };
        let page = PageArgs::new(first, after, last, before);
        nested_page(ctx, self.id, list, page, super::delivery::Email).await
    }
    /// Invitations answered ÷ invitations; null without invitations.
    async fn response_rate(&self, ctx: &Context<'_>) -> Result<Option<f64>> {
        let c = counts(ctx, self.id).await?;
        Ok((c.invited > 0).then(|| c.responded as f64 / c.invited as f64))
    }
    /// Invitations, oldest first, or answered ones first with `orderBy`.
    /// Personal data: coordinators only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
        #[graphql(default, desc = "The order of the list; `OLDEST` by default.")]
        order_by: InvitationOrder,
    ) -> Result<Page<Invitation>> {
        ctx.caller_in(crate::auth::MANAGERS)?;
        let list = InvitationsOf { order: order_by };
        let page = PageArgs::new(first, after, last, before);
        nested_page_with(ctx, self.id, list, page, |(row, person)| {
            Invitation(row, person.0.map(crate::accounts::Person))
        })
        .await
    }
    /// Interviews recorded for an interview guide, oldest first, with
    /// their notes. Coordinators only.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn interviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<super::interviews::Interview>> {
        ctx.caller_in(crate::auth::MANAGERS)?;
        let questionnaire_id = self.row(ctx).await?.questionnaire_id;
        let page = PageArgs::new(first, after, last, before);
        nested_page(ctx, self.id, InterviewsOf, page, |response| {
            super::interviews::Interview {
                response,
                questionnaire_id,
            }
        })
        .await
    }
    /// The latest aggregate; null until the campaign has been aggregated.
    /// Its tables download as files with the same bearer token:
    /// `/exports/campaigns/{id}/results.xlsx`, or one table as
    /// `results.csv?table=` `overview`, `items`, `distributions`, `scales`
    /// or `breakdowns`.
    async fn results(&self, ctx: &Context<'_>) -> Result<Option<Results>> {
        ctx.caller_in(crate::auth::READERS)?;
        let row = ctx.loader().load_one(ResultOf(self.id)).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored: CampaignResults =
            serde_json::from_value(row.data).map_err(ApiError::internal)?;
        // Figures held back while an anonymous campaign was open are
        // computed once it has closed.
        if stored.withheld_until_close && Utc::now() >= self.row(ctx).await?.closes_at {
            let fresh = worker::jobs::aggregate(&ctx.state().db, self.id)
                .await
                .map_err(ApiError::internal)?;
            return Ok(Some(Results(fresh)));
        }
        Ok(Some(Results(stored)))
    }
    /// Reports, newest version first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<Report>> {
        ctx.caller_in(crate::auth::READERS)?;
        let page = PageArgs::new(first, after, last, before);
        nested_page(ctx, self.id, ReportsOf, page, Report).await
    }
}

/// How a campaign's invitations are listed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Hash, Debug, Default)]
pub enum InvitationOrder {
    /// In the order they were sent.
    #[default]
    Oldest,
    /// Answered ones first, in the order the answers came; the others
    /// after them, in the order they were sent.
    RespondedFirst,
}

/// The invitations of campaigns, in the order asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct InvitationsOf {
    order: InvitationOrder,
}

impl Nested for InvitationsOf {
    type Entity = invitation_listing::Entity;
    type With = InvitedPerson;

    fn parent(&self) -> invitation_listing::Column {
        invitation_listing::Column::CampaignId
    }
    fn rows(&self, parents: &[i64]) -> Select<invitation_listing::Entity> {
        invitation_listing::Entity::find()
            .filter(invitation_listing::Column::CampaignId.is_in(parents.iter().copied()))
    }
    fn sort(&self) -> Sort<invitation_listing::Entity> {
        let id = (invitation_listing::Column::Id, Order::Asc);
        match self.order {
            InvitationOrder::Oldest => Sort::by_id("Campaign.invitations", id.0, id.1),
            InvitationOrder::RespondedFirst => Sort::by_key(
                "Campaign.invitations.RESPONDED_FIRST",
                (invitation_listing::Column::RespondedAt, Order::Asc),
                id,
            ),
        }
    }
}

/// The person of an invitation, read with it: a page's people are what its
/// clients ask for.
#[derive(Clone)]
pub struct InvitedPerson(Option<person_card::Model>);

impl Companion<invitation_listing::Entity> for InvitedPerson {
    /// The invitation's columns, then the person's, each in its entity's
    /// order.
    fn statement(rows: Select<invitation_listing::Entity>) -> SelectStatement {
        rows.find_also_related(person_card::Entity).into_query()
    }
    /// Read by position: by name, every column of every row would cost a
    /// formatted name and a lookup, most of a page's reading time.
    fn read(row: QueryResult) -> Result<(invitation_listing::Model, Self), DbErr> {
        let mut at = 0..;
        let invitation = invitation_at(&row, &mut at)?;
        // The person's id is null when the join found none.
        let person = match <Option<i64> as Positional>::at(&row, at.start)? {
            Some(_) => Some(person_at(&row, &mut at)?),
            None => None,
        };
        Ok((invitation, Self(person)))
    }
}

crate::pagination::by_position!(invitation_at, INVITATION_COLUMNS: invitation_listing {
    id, campaign_id, person_id, responded_at, opted_out_at,
});
crate::pagination::by_position!(person_at, PERSON_COLUMNS: person_card {
    id, external_ref, name, email, kind, language, erased_at,
});

/// The interviews of campaigns: their responses recorded by interview.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct InterviewsOf;

impl Nested for InterviewsOf {
    type Entity = response::Entity;
    type With = ();

    fn parent(&self) -> response::Column {
        response::Column::CampaignId
    }
    fn rows(&self, parents: &[i64]) -> Select<response::Entity> {
        response::Entity::find()
            .filter(response::Column::CampaignId.is_in(parents.iter().copied()))
            .filter(response::Column::Source.eq(entities::ResponseSource::Interview))
    }
    fn sort(&self) -> Sort<response::Entity> {
        Sort::by_id("Campaign.interviews", response::Column::Id, Order::Asc)
    }
}

crate::pagination::children_by_id!(
    /// The reports of campaigns, newest version first.
    ReportsOf: report by CampaignId, "Campaign.reports", Desc
);

async fn counts(ctx: &Context<'_>, id: i64) -> Result<crate::loaders::Counts> {
    Ok(ctx
        .loader()
        .load_one(CountsOf(id))
        .await?
        .unwrap_or_default())
}

/// Where a campaign stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum CampaignStatus {
    /// Not launched yet.
    Draft,
    /// Launched, opening later.
    Scheduled,
    /// Launched and between its opening and closing times: links take
    /// answers, reminders go out.
    Open,
    /// Past its closing time, launched or not: no answers are taken.
    Closed,
}

impl From<Status> for CampaignStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Draft => Self::Draft,
            Status::Scheduled => Self::Scheduled,
            Status::Open => Self::Open,
            Status::Closed => Self::Closed,
        }
    }
}

/// A person invited to a campaign, and the person when it was read with
/// the invitation.
pub struct Invitation(invitation_listing::Model, Option<crate::accounts::Person>);

impl Invitation {
    pub fn new(invitation: invitation::Model) -> Self {
        Self(invitation.into(), None)
    }
}

/// A person invited to a campaign, and whether they answered. Personal
/// data: coordinators and admins only.
// Resolved field after field, as `Person` is: only `person` may wait, and
// then on a loader that the other rows of the page share.
#[Object(serial)]
impl Invitation {
    /// Global ID of the invitation; use with `node(id:)`.
    pub async fn id(&self) -> ID {
        crate::ids::encode("Invitation", self.0.id)
    }
    /// The person invited.
    async fn person(&self, ctx: &Context<'_>) -> Result<Cow<'_, crate::accounts::Person>> {
        if let Some(person) = &self.1 {
            return Ok(Cow::Borrowed(person));
        }
        // Boxed: the rows of a page come with their person, and every
        // field's future of each row would otherwise be the loader's size.
        let person = Box::pin(ctx.loader().load_one(PersonById(self.0.person_id)))
            .await?
            .ok_or(ApiError::NotFound("person"))?;
        Ok(Cow::Owned(person.into()))
    }
    /// When the person submitted their answers (UTC); null until then.
    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }
    /// Whether the person followed the unsubscribe link: they get no more
    /// reminders of this campaign.
    async fn opted_out(&self) -> bool {
        self.0.opted_out_at.is_some()
    }
}

/// How a campaign's reminders are timed in each invitee's time zone.
pub struct ReminderPolicy(worker::reminders::ReminderPolicy);

/// How a campaign's reminders are timed in each invitee's time zone, and
/// when they stop.
#[Object]
impl ReminderPolicy {
    /// Local time, `HH:MM`, reminders go out at; null: at their offsets.
    async fn send_at(&self) -> Option<String> {
        self.0.send_at.map(|t| t.format("%H:%M").to_string())
    }
    /// Local hours without email.
    async fn quiet_hours(&self) -> Option<QuietHours> {
        self.0.quiet.map(|q| QuietHours {
            from: q.from.format("%H:%M").to_string(),
            to: q.to.format("%H:%M").to_string(),
        })
    }
    /// Reminders stop once this share of invitees has answered.
    async fn target_response_rate(&self) -> Option<f64> {
        self.0.target_response_rate
    }
    /// Hours after opening at which the invitees still silent are named to
    /// their tutors, or to the coordinators.
    async fn escalate_after_hours(&self) -> Option<i64> {
        self.0.escalate_after_hours
    }
}

/// Local hours `[from, to)`, `HH:MM`.
#[derive(SimpleObject)]
pub struct QuietHours {
    /// Local time the quiet hours start, `HH:MM`.
    pub from: String,
    /// Local time the quiet hours end, `HH:MM`; earlier than `from` when
    /// they span midnight.
    pub to: String,
}

/// The figures of a campaign.
pub struct Results(pub CampaignResults);

/// The figures of a campaign, as last aggregated: groups smaller than the
/// campaign's `minGroupSize` get counts only. Admins, coordinators and
/// observers.
#[Object]
impl Results {
    /// When the figures were computed (UTC).
    async fn computed_at(&self) -> DateTime<Utc> {
        self.0.computed_at
    }
    /// Responses counted, invited or imported.
    async fn responses(&self) -> u64 {
        self.0.responses
    }
    /// Fewer responses than the minimum group size: only counts are given.
    async fn suppressed(&self) -> bool {
        self.0.suppressed
    }
    /// An anonymous campaign still open: only counts are given until it
    /// closes, so that no answer can be worked out from the figures before
    /// and after it.
    async fn withheld_until_close(&self) -> bool {
        self.0.withheld_until_close
    }
    /// Invitations answered ÷ invitations, from 0 to 1; null without
    /// invitations.
    async fn response_rate(&self) -> Option<f64> {
        self.0.response_rate
    }
    /// Statistics of each item, in the questionnaire's order.
    async fn items(&self) -> Vec<ItemStatistics> {
        self.0.items.iter().map(ItemStatistics::from).collect()
    }
    /// Statistics of each scale, in the questionnaire's order.
    async fn scales(&self) -> Vec<ScaleStatistics> {
        self.0.scales.iter().map(ScaleStatistics::from).collect()
    }
    /// Figures per respondent group; small groups are suppressed.
    async fn breakdowns(&self) -> Vec<Breakdown> {
        self.0.breakdowns.iter().map(Breakdown::from).collect()
    }
}

/// Statistics of one item, over raw answers; missing answers excluded.
#[derive(SimpleObject)]
pub struct ItemStatistics {
    /// The item's code.
    pub code: String,
    /// The item's question, as asked.
    pub prompt: String,
    /// Answers given.
    pub n: u64,
    /// Answers missing.
    pub missing: u64,
    /// Mean of the answers of a numeric item (Likert, number, NPS); null for
    /// other kinds, without answers or when suppressed.
    pub mean: Option<f64>,
    /// Sample standard deviation.
    pub sd: Option<f64>,
    /// Lowest answer of a numeric item.
    pub min: Option<f64>,
    /// First quartile of a numeric item's answers (R's type 7 quantile).
    pub q1: Option<f64>,
    /// Median of a numeric item's answers.
    pub median: Option<f64>,
    /// Third quartile of a numeric item's answers (R's type 7 quantile).
    pub q3: Option<f64>,
    /// Highest answer of a numeric item.
    pub max: Option<f64>,
    /// Net promoter score of an NPS item.
    pub nps: Option<f64>,
    /// How many gave each answer: every point of a Likert or NPS item,
    /// every option of a choice item, answered or not; empty when the
    /// results are suppressed.
    pub distribution: Vec<AnswerCount>,
}

/// How many respondents gave one answer to an item.
#[derive(SimpleObject)]
pub struct AnswerCount {
    /// The answer: a number written out, or an option of a choice item.
    pub value: String,
    /// The label of a Likert point; null where the item has none.
    pub label: Option<String>,
    /// Respondents who gave this answer.
    pub count: u64,
    /// The count's percentage (0–100) of those who answered the item, not
    /// of invitees or of all respondents; for multiple choice, of those who
    /// picked at least one option, so the percentages may add up past 100.
    pub percent: Option<f64>,
}

impl From<&worker::results::ItemResult> for ItemStatistics {
    fn from(i: &worker::results::ItemResult) -> Self {
        let s = &i.summary;
        Self {
            code: i.code.clone(),
            prompt: i.prompt.clone(),
            n: s.n as u64,
            missing: s.missing as u64,
            mean: s.mean,
            sd: s.sd,
            min: s.min,
            q1: s.q1,
            median: s.median,
            q3: s.q3,
            max: s.max,
            nps: i.nps,
            distribution: i
                .distribution
                .iter()
                .map(|c| AnswerCount {
                    value: c.value.clone(),
                    label: c.label.clone(),
                    count: c.count as u64,
                    percent: c.percent,
                })
                .collect(),
        }
    }
}

/// Statistics of a scale: per-respondent scores are the mean of answered
/// items after reverse keying.
#[derive(SimpleObject)]
pub struct ScaleStatistics {
    /// The scale's code.
    pub code: String,
    /// The scale's name.
    pub name: String,
    /// Codes of the scale's items.
    pub item_codes: Vec<String>,
    /// Codes of the items scored in reverse before the mean is taken.
    pub reversed_item_codes: Vec<String>,
    /// Whether a high score is the good end of the scale.
    pub higher_is_better: bool,
    /// Respondents with a score.
    pub n: u64,
    /// Mean of the respondents' scores, on the items' range; null without
    /// scores or when suppressed.
    pub mean: Option<f64>,
    /// Sample standard deviation of the respondents' scores.
    pub sd: Option<f64>,
    /// Cronbach's alpha, pairwise deletion of missing answers.
    pub alpha: Option<f64>,
    /// Feldt's 95 % confidence interval of alpha over the respondents with a
    /// score (F distribution with n − 1 and (n − 1)(k − 1) degrees of
    /// freedom).
    pub alpha_ci: Option<ConfidenceInterval>,
    /// Each item of the scale against the others, in the scale's order;
    /// empty when the results are suppressed.
    pub item_analysis: Vec<ScaleItemStatistics>,
}

/// A confidence interval.
#[derive(SimpleObject)]
pub struct ConfidenceInterval {
    /// The lower bound.
    pub lower: f64,
    /// The upper bound.
    pub upper: f64,
}

/// How one item of a scale holds with the scale's other items, from the
/// pairwise covariances alpha is made of.
#[derive(SimpleObject)]
pub struct ScaleItemStatistics {
    /// The item's code.
    pub code: String,
    /// The scale's alpha without this item: higher than the scale's alpha
    /// when the item weakens it.
    pub alpha_if_deleted: Option<f64>,
    /// Correlation of the item with the sum of the scale's other items, after
    /// reverse keying (the corrected item-total correlation).
    pub item_rest_correlation: Option<f64>,
}

impl From<&worker::results::ScaleResult> for ScaleStatistics {
    fn from(s: &worker::results::ScaleResult) -> Self {
        Self {
            code: s.code.clone(),
            name: s.name.clone(),
            item_codes: s.item_codes.clone(),
            reversed_item_codes: s.reversed_item_codes.clone(),
            higher_is_better: s.higher_is_better,
            n: s.score.n as u64,
            mean: s.score.mean,
            sd: s.score.sd,
            alpha: s.alpha,
            alpha_ci: s.alpha_ci.map(|ci| ConfidenceInterval {
                lower: ci.lower,
                upper: ci.upper,
            }),
            item_analysis: s
                .item_analysis
                .iter()
                .map(|i| ScaleItemStatistics {
                    code: i.code.clone(),
                    alpha_if_deleted: i.alpha_if_deleted,
                    item_rest_correlation: i.item_rest_correlation,
                })
                .collect(),
        }
    }
}

/// The figures of a campaign split by one respondent attribute (site,
/// cohort, age band…).
#[derive(SimpleObject)]
pub struct Breakdown {
    /// The attribute's name, as given when importing.
    pub attribute: String,
    /// One entry per value of the attribute.
    pub groups: Vec<GroupStatistics>,
}

/// The figures of the respondents sharing one value of an attribute.
#[derive(SimpleObject)]
pub struct GroupStatistics {
    /// The attribute's value, or its band such as `18-24`.
    pub value: String,
    /// Respondents in the group.
    pub n: u64,
    /// Below the campaign's minimum group size: no figures.
    pub suppressed: bool,
    /// The group's mean score on each scale; empty when suppressed.
    pub scale_means: Vec<Figure>,
    /// The group's mean answer to each numeric item; empty when suppressed.
    pub item_means: Vec<Figure>,
}

/// A mean over a group of respondents.
#[derive(SimpleObject)]
pub struct Figure {
    /// The code of the scale or item.
    pub code: String,
    /// Respondents of the group with a value.
    pub n: u64,
    /// Their mean; null when none has a value, or when it is hidden because
    /// it would give a small group away.
    pub mean: Option<f64>,
}

impl From<&worker::results::Breakdown> for Breakdown {
    fn from(b: &worker::results::Breakdown) -> Self {
        let figures = |f: &[worker::results::Figure]| {
            f.iter()
                .map(|f| Figure {
                    code: f.code.clone(),
                    n: f.n as u64,
                    mean: f.mean,
                })
                .collect()
        };
        Self {
            attribute: b.attribute.clone(),
            groups: b
                .groups
                .iter()
                .map(|g| GroupStatistics {
                    value: g.value.clone(),
                    n: g.n as u64,
                    suppressed: g.suppressed,
                    scale_means: figures(&g.scale_means),
                    item_means: figures(&g.item_means),
                })
                .collect(),
        }
    }
}

/// A generated report version.
pub struct Report(pub report::Model);

impl Report {
    fn data(&self) -> Result<ReportData> {
        serde_json::from_value(self.0.data.clone()).map_err(|e| ApiError::internal(e).into())
    }
}

/// A generated report version of a campaign: its figures, its
/// recommendations and an HTML page. Its tables download as files with the
/// same bearer token: `/exports/reports/{id}/report.xlsx`, or one table as
/// `report.csv?table=`, the results' tables or `recommendations`.
#[Object]
impl Report {
    /// Global ID of the report version; use with `node(id:)` and
    /// `shareReport`.
    pub async fn id(&self) -> ID {
        crate::ids::encode("Report", self.0.id)
    }
    /// The version's number within its campaign: 1 for the first, then
    /// increasing.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the version was generated (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The figures the report was made from.
    async fn results(&self) -> Result<Results> {
        Ok(Results(self.data()?.results))
    }
    /// What to do given the figures, most urgent first.
    async fn recommendations(&self) -> Result<Vec<Recommendation>> {
        Ok(self
            .data()?
            .recommendations
            .into_iter()
            .map(|r| Recommendation {
                priority: match r.priority {
                    worker::report::Priority::High => Priority::High,
                    worker::report::Priority::Medium => Priority::Medium,
                    worker::report::Priority::Low => Priority::Low,
                },
                rule: r.rule,
                subject: r.subject,
                text: r.text,
                evidence: r.evidence,
            })
            .collect())
    }
    /// Links that show this version without an account, newest first.
    async fn shares(&self, ctx: &Context<'_>) -> Result<Vec<super::shares::ReportShare>> {
        ctx.caller_in(crate::auth::MANAGERS)?;
        let rows = ctx.loader().load_one(SharesOf(self.0.id)).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(super::shares::ReportShare)
            .collect())
    }
    /// A self-contained HTML page with SVG charts.
    #[graphql(complexity = 50)]
    async fn html(&self) -> &str {
        &self.0.html
    }
    /// The whole report as JSON.
    #[graphql(complexity = 50)]
    async fn json(&self) -> &serde_json::Value {
        &self.0.data
    }
}

/// How urgent a recommendation of a campaign report is; reports list the
/// most urgent first.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Priority {
    /// Most urgent: listed first.
    High,
    /// Listed after the high ones.
    Medium,
    /// Least urgent: listed last.
    Low,
}

/// What to do, and the figure that says so.
#[derive(SimpleObject)]
pub struct Recommendation {
    /// How urgent it is.
    pub priority: Priority,
    /// The rule that fired, stable for clients.
    pub rule: String,
    /// The scale or item concerned.
    pub subject: Option<String>,
    /// What to do, in English.
    pub text: String,
    /// The figures that triggered it, such as a response rate against its
    /// threshold.
    pub evidence: String,
}

#[cfg(test)]
mod tests {
    use sea_orm::{IdenStatic, Iterable};

    use super::*;

    /// The positions read are those of the statement: each entity's
    /// columns in their order.
    #[test]
    fn rows_are_read_in_the_order_of_the_entities_columns() {
        let invitation: Vec<_> = invitation_listing::Column::iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(INVITATION_COLUMNS, invitation);
        let person: Vec<_> = person_card::Column::iter().map(|c| c.as_str()).collect();
        assert_eq!(PERSON_COLUMNS, person);
    }
}
