//! Campaigns: sending a questionnaire, collecting and importing responses,
//! and asking for figures and reports.

pub mod answers;
pub mod delivery;
pub mod import;
pub mod interviews;
pub mod service;
pub mod shares;
pub mod types;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use entities::campaign;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use worker::Job;
use worker::results::Value;

use crate::auth::{MANAGERS, READERS};
use crate::error::ApiError;
use crate::ids;
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::questionnaires::types::Questionnaire;
use crate::state::ContextExt;
use types::Campaign;

/// Largest CSV file accepted for import.
pub const MAX_IMPORT_BYTES: u64 = 20 * 1024 * 1024;

pub fn global_id(id: i64) -> ID {
    ids::encode("Campaign", id)
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// Campaigns of the caller's organisation, newest first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<Campaign>> {
        let caller = ctx.caller_in(READERS)?;
        let query = campaign::Entity::find()
            .filter(campaign::Column::OrganisationId.eq(caller.organisation_id));
        let sort = Sort::by_id("campaigns", campaign::Column::Id, sea_orm::Order::Desc);
        let page = PageArgs::new(first, after, last, before);
        Ok(keyset(&ctx.state().db, query, &sort, page, Campaign::from).await?)
    }

    /// What the holder of an invitation link answers; no account needed.
    async fn respondent_form(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the invitation link; an unknown one is NOT_FOUND.")]
        token: String,
    ) -> Result<RespondentForm> {
        let db = &ctx.state().db;
        let inv = service::invitation_for_token(db, &token).await?;
        let c = campaign::Entity::find_by_id(inv.campaign_id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::NotFound("campaign"))?;
        let q = entities::questionnaire::Entity::find_by_id(c.questionnaire_id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::NotFound("questionnaire"))?;
        let draft = service::draft_of(db, inv.id).await?;
        Ok(RespondentForm {
            draft: draft
                .as_ref()
                .map(|(d, _)| {
                    d.iter()
                        .map(|(item, value)| DraftAnswer::new(item, value))
                        .collect()
                })
                .unwrap_or_default(),
            draft_saved_at: draft.map(|(_, at)| at),
            campaign_name: c.name.clone(),
            closes_at: c.closes_at,
            open: service::status(&c, Utc::now()) == service::Status::Open,
            answered: inv.responded_at.is_some(),
            questionnaire: Questionnaire(q),
        })
    }
}

/// The questionnaire behind an invitation link.
#[derive(SimpleObject)]
pub struct RespondentForm {
    /// The campaign's name, to show the respondent.
    pub campaign_name: String,
    /// When the campaign stops taking answers (UTC).
    pub closes_at: DateTime<Utc>,
    /// Whether answers are accepted now.
    pub open: bool,
    /// Whether this link has been used.
    pub answered: bool,
    /// The questionnaire version to answer: its items and scales.
    pub questionnaire: Questionnaire,
    /// Answers saved so far with `saveResponseDraft`, as typed.
    pub draft: Vec<DraftAnswer>,
    /// When the draft was last saved (UTC); null without a draft.
    pub draft_saved_at: Option<DateTime<Utc>>,
}

/// A saved answer, not yet checked: `text` for one value, `choices` for several.
#[derive(SimpleObject)]
pub struct DraftAnswer {
    /// The item's code.
    pub item: String,
    /// A single value as typed; numbers are given as text.
    pub text: Option<String>,
    /// The options picked for a multiple-choice item.
    pub choices: Option<Vec<String>>,
}

impl DraftAnswer {
    fn new(item: &str, value: &service::DraftValue) -> Self {
        let (text, choices) = match value {
            service::DraftValue::One(t) => (Some(t.clone()), None),
            service::DraftValue::Many(c) => (None, Some(c.clone())),
        };
        Self {
            item: item.to_owned(),
            text,
            choices,
        }
    }
}

/// What a new campaign sends, when, to how many reminders, and how its
/// results are protected.
#[derive(InputObject)]
pub struct CreateCampaignInput {
    /// Global ID of the questionnaire version to send; it cannot change
    /// once a campaign uses it.
    pub questionnaire_id: ID,
    /// Name shown to respondents and in reports: 1 to 200 characters.
    pub name: String,
    /// When invitations go out and answers are first taken (UTC).
    pub opens_at: DateTime<Utc>,
    /// When answers stop being taken (UTC); after `opensAt`.
    pub closes_at: DateTime<Utc>,
    /// Hours after opening at which non-respondents are reminded, increasing.
    #[graphql(default)]
    pub reminder_offsets_hours: Vec<i64>,
    /// Instead of offsets: a reminder every so many days, at most
    /// `maxReminders` of them.
    pub reminder_every_days: Option<i32>,
    /// With `reminderEveryDays`: how many reminders, 1 to 20.
    pub max_reminders: Option<i32>,
    /// When reminders go out in each invitee's time zone, and when they stop.
    pub reminder_policy: Option<ReminderPolicyInput>,
    /// Fewest respondents a figure or a breakdown group may describe, 1 to
    /// 1000; smaller groups are hidden.
    #[graphql(default = 5)]
    pub min_group_size: i32,
    /// From 0 to 1: a scale whose mean lies less than this share of the way
    /// to its favourable end gets a high-priority recommendation.
    #[graphql(default = 0.5)]
    pub low_score_threshold: f64,
    /// How far results may point back to a person; fixed once responses exist.
    #[graphql(default_with = "Anonymity::Confidential")]
    pub anonymity: Anonymity,
    /// The programme this campaign evaluates, for its programme reports.
    pub programme_id: Option<ID>,
}

/// How far a campaign's results may point back to a person.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::Anonymity")]
pub enum Anonymity {
    /// Responses stay linked to their respondent, for coordinators to
    /// follow up; a relation's health shows the learner's latest answers.
    Identified,
    /// Responses are linked inside the system, to compare a tutor's and a
    /// learner's views of one relation, but only groups are ever shown.
    Confidential,
    /// Nothing links a response to a person or to when they answered. A
    /// link can be used once; imports take no respondent column.
    Anonymous,
}

/// A campaign and the anonymity it is to have.
#[derive(InputObject)]
pub struct SetCampaignAnonymityInput {
    /// Global ID of the campaign.
    pub campaign_id: ID,
    /// The new anonymity.
    pub anonymity: Anonymity,
}

/// How reminders are timed beyond their offsets, in each invitee's own
/// time zone.
#[derive(InputObject)]
pub struct ReminderPolicyInput {
    /// Local time, `HH:MM`, at which reminders go out on the day their
    /// offset falls; a reminder this moves past closing is not sent.
    pub send_at: Option<String>,
    /// Local hours without email; an email due inside waits for their end.
    pub quiet_hours: Option<QuietHoursInput>,
    /// No more reminders once this share of invitees has answered, above 0 and at most 1.
    pub target_response_rate: Option<f64>,
    /// Hours after opening, after the last reminder and before closing, at
    /// which the invitees still silent are named to their tutors (learners
    /// without one: to the coordinators), once.
    pub escalate_after_hours: Option<i32>,
}

/// Local hours `[from, to)`, `HH:MM`; the window may span midnight.
#[derive(InputObject)]
pub struct QuietHoursInput {
    /// Local time the quiet hours start, `HH:MM`.
    pub from: String,
    /// Local time the quiet hours end, `HH:MM`; not equal to `from`.
    pub to: String,
}

/// Reads a policy, adding what is wrong with it to `problems`.
fn reminder_policy(
    input: ReminderPolicyInput,
    problems: &mut Vec<crate::error::Problem>,
) -> worker::reminders::ReminderPolicy {
    use crate::error::Problem;
    let mut time = |field: &str, value: &str| {
        let value = value.trim();
        let parsed = (value.len() == 5)
            .then(|| chrono::NaiveTime::parse_from_str(value, "%H:%M").ok())
            .flatten();
        if parsed.is_none() {
            problems.push(Problem::field(
                format!("reminderPolicy.{field}"),
                "is not a time of day like 09:00",
            ));
        }
        parsed
    };
    let send_at = input.send_at.as_deref().and_then(|t| time("sendAt", t));
    let quiet = input.quiet_hours.and_then(|q| {
        let from = time("quietHours.from", &q.from);
        let to = time("quietHours.to", &q.to);
        Some(worker::reminders::QuietHours {
            from: from?,
            to: to?,
        })
    });
    if let (Some(at), Some(q)) = (send_at, quiet)
        && q.from != q.to
        && q.contains(at)
    {
        problems.push(Problem::field(
            "reminderPolicy.sendAt",
            "falls in the quiet hours: every reminder would wait for their end",
        ));
    }
    if quiet.is_some_and(|q| q.from == q.to) {
        problems.push(Problem::field(
            "reminderPolicy.quietHours",
            "must not start and end at the same time",
        ));
    }
    if let Some(rate) = input.target_response_rate
        && !(rate > 0.0 && rate <= 1.0)
    {
        problems.push(Problem::field(
            "reminderPolicy.targetResponseRate",
            "must be a fraction above 0 and at most 1",
        ));
    }
    worker::reminders::ReminderPolicy {
        send_at,
        quiet,
        target_response_rate: input.target_response_rate,
        escalate_after_hours: input.escalate_after_hours.map(i64::from),
    }
}

/// Offsets from `every` days and a `max` count; problems otherwise.
fn every_days(input: &CreateCampaignInput, problems: &mut Vec<crate::error::Problem>) -> Vec<i64> {
    use crate::error::Problem;
    match (input.reminder_every_days, input.max_reminders) {
        (None, None) => input.reminder_offsets_hours.clone(),
        (Some(_), Some(_)) if !input.reminder_offsets_hours.is_empty() => {
            problems.push(Problem::field(
                "reminderOffsetsHours",
                "give offsets, or reminderEveryDays and maxReminders, not both",
            ));
            Vec::new()
        }
        (Some(every), Some(max)) => {
            if !(1..=365).contains(&every) {
                problems.push(Problem::field("reminderEveryDays", "must be from 1 to 365"));
            }
            let most = service::MAX_REMINDERS as i32;
            if !(1..=most).contains(&max) {
                problems.push(Problem::field(
                    "maxReminders",
                    format!("must be from 1 to {most}"),
                ));
            }
            if !problems.is_empty() {
                return Vec::new();
            }
            (1..=i64::from(max))
                .map(|k| k * i64::from(every) * 24)
                .collect()
        }
        (None, Some(_)) => {
            problems.push(Problem::field(
                "reminderEveryDays",
                "is needed with maxReminders",
            ));
            Vec::new()
        }
        (Some(_), None) => {
            problems.push(Problem::field(
                "maxReminders",
                "is needed with reminderEveryDays",
            ));
            Vec::new()
        }
    }
}

/// A campaign and the people to invite to it.
#[derive(InputObject)]
pub struct InviteInput {
    /// Global ID of the campaign; a closed one is CONFLICT.
    pub campaign_id: ID,
    /// Global IDs of people of the organisation, at most 20,000; an unknown
    /// one is NOT_FOUND and invites no one. Those already invited are skipped.
    pub person_ids: Vec<ID>,
}

/// The campaign to act on.
#[derive(InputObject)]
pub struct CampaignInput {
    /// Global ID of the campaign; one of another organisation is NOT_FOUND.
    pub campaign_id: ID,
}

/// One answer: give the field that fits the item's kind, or none for "no answer".
#[derive(InputObject)]
pub struct AnswerInput {
    /// The item's code.
    pub item: String,
    /// For a Likert, number or NPS item.
    pub number: Option<f64>,
    /// For a single-choice item (one of its options) or a free-text item
    /// (at most 10,000 characters).
    pub text: Option<String>,
    /// For a multiple-choice item: options of the item.
    pub choices: Option<Vec<String>>,
}

impl AnswerInput {
    /// The one value given, or none for "no answer"; two at once are refused.
    fn into_raw(self) -> Result<service::RawAnswer, ApiError> {
        let value = match (self.number, self.text, self.choices) {
            (Some(n), None, None) => Some(Value::Number(n)),
            (None, Some(t), None) => Some(Value::Text(t)),
            (None, None, Some(c)) => Some(Value::Choices(c)),
            (None, None, None) => None,
            _ => {
                return Err(ApiError::bad_input(format!(
                    "answer to `{}`: give one of number, text or choices",
                    self.item
                )));
            }
        };
        Ok(service::RawAnswer {
            item: self.item,
            value,
        })
    }
}

/// The answers of an invitation link.
#[derive(InputObject)]
pub struct SubmitResponseInput {
    /// The token of the invitation link.
    pub token: String,
    /// Every answer, at most one per item; each problem is reported under
    /// the item's code.
    pub answers: Vec<AnswerInput>,
}

/// The answers typed so far on an invitation link.
#[derive(InputObject)]
pub struct SaveResponseDraftInput {
    /// The token of the invitation link.
    pub token: String,
    /// Every answer typed so far; replaces the previous draft.
    pub answers: Vec<AnswerInput>,
}

/// When a draft was saved.
#[derive(SimpleObject)]
pub struct SaveResponseDraftPayload {
    /// When the draft was saved (UTC).
    pub saved_at: DateTime<Utc>,
}

/// The report version to share, with whom and until when.
#[derive(InputObject)]
pub struct ShareReportInput {
    /// Global ID of the report version; one of another organisation is
    /// NOT_FOUND.
    pub report_id: ID,
    /// Who the link is for, e.g. "Funders 2026".
    pub audience: String,
    /// When the link stops working; at most a year ahead.
    pub expires_at: DateTime<Utc>,
}

/// A new report link, with its URL.
#[derive(SimpleObject)]
pub struct ShareReportPayload {
    /// The link as listed from now on, without its URL.
    pub share: shares::ReportShare,
    /// The link to send; it is shown only now.
    pub url: String,
}

/// The report link to end.
#[derive(InputObject)]
pub struct RevokeReportShareInput {
    /// Global ID of the link; one of another organisation is NOT_FOUND.
    pub share_id: ID,
}

/// The report link just ended.
#[derive(SimpleObject)]
pub struct RevokeReportSharePayload {
    /// The link, with `revokedAt` set; revoking it again keeps the first time.
    pub share: shares::ReportShare,
}

/// A column of the file holding the answers to one item.
#[derive(InputObject)]
pub struct ColumnMappingInput {
    /// The column's name in the header row.
    pub column: String,
    /// The item's code.
    pub item: String,
}

/// A column of the file holding an attribute of the respondents (site,
/// cohort, age…), for breakdowns of the results.
#[derive(InputObject)]
pub struct AttributeMappingInput {
    /// The column's name in the header row.
    pub column: String,
    /// Attribute name used in breakdowns.
    pub name: String,
    /// Bounds grouping numbers into bands: `[18, 25]` gives `<18`, `18-24`, `25+`.
    #[graphql(default)]
    pub bands: Vec<f64>,
}

/// A CSV file of responses, and which of its columns hold what.
#[derive(InputObject)]
pub struct ImportResponsesInput {
    /// Global ID of the campaign the responses belong to.
    pub campaign_id: ID,
    /// A CSV file with a header row.
    pub file: Upload,
    /// Column holding each respondent's own reference, kept with their
    /// response; not allowed for an anonymous campaign.
    pub respondent_column: Option<String>,
    /// The columns holding answers, with their items: at least one.
    pub columns: Vec<ColumnMappingInput>,
    /// The columns holding respondent attributes, for breakdowns.
    #[graphql(default)]
    pub attributes: Vec<AttributeMappingInput>,
    /// Link each response to the learner whose external reference is in
    /// `respondentColumn`, creating the learners not yet known.
    #[graphql(default)]
    pub link_people: bool,
}

/// The campaign acted on.
#[derive(SimpleObject)]
pub struct CampaignPayload {
    /// The campaign as it now stands.
    pub campaign: Campaign,
}

/// The campaign people were invited to.
#[derive(SimpleObject)]
pub struct InvitePayload {
    /// The campaign, with its invitations.
    pub campaign: Campaign,
    /// People newly invited; those already invited are not counted.
    pub invited: u64,
}

/// That a response was taken.
#[derive(SimpleObject)]
pub struct SubmitResponsePayload {
    /// Always true: a response refused is an error instead.
    pub accepted: bool,
    /// The same answers had already been received; nothing changed.
    pub already_submitted: bool,
}

/// The campaign, the interviewee, the coded answers and the notes of an
/// interview.
#[derive(InputObject)]
pub struct RecordInterviewInput {
    /// A campaign whose questionnaire is an interview guide.
    pub campaign_id: ID,
    /// The person interviewed: a learner or tutor of the organisation, as
    /// the guide's audience says.
    pub interviewee_id: ID,
    /// Coded answers, checked as a questionnaire's are.
    pub answers: Vec<AnswerInput>,
    /// The interviewer's notes; never part of the figures.
    #[graphql(default)]
    pub notes: String,
}

/// An interview's new answers and notes.
#[derive(InputObject)]
pub struct EditInterviewInput {
    /// Global ID of the interview; one the caller may not read is NOT_FOUND.
    pub interview_id: ID,
    /// Every coded answer; replaces the earlier ones.
    pub answers: Vec<AnswerInput>,
    /// Replaces the earlier notes.
    #[graphql(default)]
    pub notes: String,
}

/// The interview recorded or edited.
#[derive(SimpleObject)]
pub struct InterviewPayload {
    /// The interview as now stored.
    pub interview: interviews::Interview,
}

/// The responses imported.
#[derive(SimpleObject)]
pub struct ImportResponsesPayload {
    /// The campaign; its figures are being computed again.
    pub campaign: Campaign,
    /// Responses imported: one per data row of the file.
    pub imported: u64,
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Creates a campaign; its questionnaire version becomes immutable.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The questionnaire, the dates, the reminders and the protection of results."
        )]
        input: CreateCampaignInput,
    ) -> Result<CampaignPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let mut problems = Vec::new();
        let offsets = every_days(&input, &mut problems);
        let every_days = input.reminder_every_days.is_some();
        let policy = input
            .reminder_policy
            .map(|p| reminder_policy(p, &mut problems));
        let new = service::NewCampaign {
            questionnaire_id: ids::decode(&input.questionnaire_id, "Questionnaire")?,
            name: input.name,
            opens_at: input.opens_at,
            closes_at: input.closes_at,
            reminder_offsets_hours: offsets,
            reminder_policy: policy,
            min_group_size: input.min_group_size,
            low_score_threshold: input.low_score_threshold,
            anonymity: input.anonymity.into(),
            programme_id: input
                .programme_id
                .as_ref()
                .map(|id| ids::decode(id, "Programme"))
                .transpose()?,
        };
        // Every problem at once, named after the fields the caller sent.
        for mut problem in service::check_new(&new) {
            if every_days
                && let Some(i) = problem.field.as_deref().and_then(|f| {
                    f.strip_prefix("reminderOffsetsHours[")?
                        .strip_suffix(']')?
                        .parse::<usize>()
                        .ok()
                })
            {
                problem.field = Some("maxReminders".into());
                problem.message = format!("reminder {} would fall after closing", i + 1);
            }
            problems.push(problem);
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid(problems).into());
        }
        let created = service::create(&ctx.state().db, caller.organisation_id, new).await?;
        Ok(CampaignPayload {
            campaign: Campaign::from(created),
        })
    }

    /// Invites people of the organisation to a campaign. Their emails go
    /// out when it opens, or at once if it is open.
    async fn invite_to_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign and the people to invite.")] input: InviteInput,
    ) -> Result<InvitePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let campaign_id = ids::decode(&input.campaign_id, "Campaign")?;
        let people = input
            .person_ids
            .iter()
            .map(|id| ids::decode(id, "Person"))
            .collect::<Result<Vec<_>, _>>()?;
        let state = ctx.state();
        let invited = service::invite(state, caller.organisation_id, campaign_id, &people).await?;
        let campaign = service::find(&state.db, caller.organisation_id, campaign_id).await?;
        Ok(InvitePayload {
            campaign: Campaign::from(campaign),
            invited,
        })
    }

    /// Launches a campaign: invitations go out when it opens, reminders follow.
    async fn launch_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign; a closed one is CONFLICT, a launched one stays as it is.")]
        input: CampaignInput,
    ) -> Result<CampaignPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.campaign_id, "Campaign")?;
        let launched = service::launch(ctx.state(), caller.organisation_id, id).await?;
        Ok(CampaignPayload {
            campaign: Campaign::from(launched),
        })
    }

    /// Closes a campaign now, before its closing time: reminders stop, its
    /// links take no more answers, and its figures are computed once more.
    /// A campaign not open yet is called off. Coordinators only.
    async fn close_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign to close.")] input: CampaignInput,
    ) -> Result<CampaignPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.campaign_id, "Campaign")?;
        let closed = service::close(ctx.state(), caller.organisation_id, id).await?;
        Ok(CampaignPayload {
            campaign: Campaign::from(closed),
        })
    }

    /// Changes a campaign's anonymity; refused with CONFLICT once it has
    /// responses. Coordinators only.
    async fn set_campaign_anonymity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign and its new anonymity.")] input: SetCampaignAnonymityInput,
    ) -> Result<CampaignPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.campaign_id, "Campaign")?;
        let changed = service::set_anonymity(
            &ctx.state().db,
            caller.organisation_id,
            id,
            input.anonymity.into(),
        )
        .await?;
        Ok(CampaignPayload {
            campaign: Campaign::from(changed),
        })
    }

    /// Submits the answers of an invitation link; no account needed. A repeat
    /// of the same answers is accepted and changes nothing.
    async fn submit_response(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the invitation link and the answers.")]
        input: SubmitResponseInput,
    ) -> Result<SubmitResponsePayload> {
        let raw = input
            .answers
            .into_iter()
            .map(AnswerInput::into_raw)
            .collect::<Result<Vec<_>, _>>()?;
        let submitted = service::submit(ctx.state(), &input.token, raw, Utc::now()).await?;
        Ok(SubmitResponsePayload {
            accepted: true,
            already_submitted: submitted.repeated,
        })
    }

    /// Saves the answers typed so far for an invitation link, to finish
    /// later; no account needed. Values are checked when submitted.
    async fn save_response_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the invitation link and the answers so far.")]
        input: SaveResponseDraftInput,
    ) -> Result<SaveResponseDraftPayload> {
        let mut draft = service::Draft::new();
        for a in input.answers {
            let raw = a.into_raw()?;
            let value = match raw.value {
                Some(Value::Number(n)) => service::DraftValue::One(n.to_string()),
                Some(Value::Text(t)) => service::DraftValue::One(t),
                Some(Value::Choices(c)) => service::DraftValue::Many(c),
                None => continue,
            };
            draft.insert(raw.item, value);
        }
        let saved_at =
            service::save_draft(&ctx.state().db, &input.token, draft, Utc::now()).await?;
        Ok(SaveResponseDraftPayload { saved_at })
    }

    /// Records an interview: the coded answers of the campaign's interview
    /// guide for one interviewee, with the interviewer's notes. Coordinators
    /// and tutors; a coordinator's interviewee joins the campaign's audience,
    /// a tutor's must be in it already. One per interviewee and campaign: a
    /// second is a CONFLICT, `editInterview` changes the first.
    async fn record_interview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign, the interviewee, the coded answers and the notes.")]
        input: RecordInterviewInput,
    ) -> Result<InterviewPayload> {
        let caller = ctx.caller()?;
        let new = interviews::NewInterview {
            campaign_id: ids::decode(&input.campaign_id, "Campaign")?,
            interviewee_id: ids::decode(&input.interviewee_id, "Person")?,
            answers: raw_answers(input.answers)?,
            notes: input.notes,
        };
        let state = ctx.state();
        let recorded = interviews::record(state, caller, new, Utc::now()).await?;
        interview_payload(state, recorded).await
    }

    /// Replaces an interview's answers and notes before its campaign
    /// closes: its interviewer, or a coordinator.
    async fn edit_interview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The interview and its new answers and notes.")] input: EditInterviewInput,
    ) -> Result<InterviewPayload> {
        let caller = ctx.caller()?;
        let id = ids::decode(&input.interview_id, "Interview")?;
        let raw = raw_answers(input.answers)?;
        let state = ctx.state();
        let edited = interviews::edit(state, caller, id, raw, input.notes, Utc::now()).await?;
        interview_payload(state, edited).await
    }

    /// Makes a link that shows a report version to people without an
    /// account until it expires.
    async fn share_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report version, who the link is for, and when it expires.")]
        input: ShareReportInput,
    ) -> Result<ShareReportPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let report_id = ids::decode(&input.report_id, "Report")?;
        let state = ctx.state();
        let (share, token) = shares::share(
            &state.db,
            caller.organisation_id,
            Some(caller.user_id),
            report_id,
            &input.audience,
            input.expires_at,
            Utc::now(),
        )
        .await?;
        Ok(ShareReportPayload {
            share: shares::ReportShare(share),
            url: format!("{}{}", state.public_url, shares::path(&token)),
        })
    }

    /// Ends a report link now.
    async fn revoke_report_share(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The link to end.")] input: RevokeReportShareInput,
    ) -> Result<RevokeReportSharePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.share_id, "ReportShare")?;
        let share = shares::revoke(&ctx.state().db, caller.organisation_id, id, Utc::now()).await?;
        Ok(RevokeReportSharePayload {
            share: shares::ReportShare(share),
        })
    }

    /// Imports responses from a CSV file. A file with any problem imports
    /// nothing; the error lists the rows and columns at fault.
    async fn import_responses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign, the CSV file and what its columns hold.")]
        input: ImportResponsesInput,
    ) -> Result<ImportResponsesPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let campaign_id = ids::decode(&input.campaign_id, "Campaign")?;
        let upload = input
            .file
            .value(ctx)
            .map_err(|_| ApiError::bad_input("the file could not be read"))?;
        let data = upload.content;
        if data.len() as u64 > MAX_IMPORT_BYTES {
            return Err(ApiError::bad_input("the file is larger than 20 MiB").into());
        }
        let mapping = import::Mapping {
            link_people: input.link_people,
            respondent_column: input.respondent_column,
            items: input
                .columns
                .into_iter()
                .map(|c| (c.column, c.item))
                .collect(),
            attributes: input
                .attributes
                .into_iter()
                .map(|a| import::AttributeColumn {
                    column: a.column,
                    name: a.name,
                    bands: a.bands,
                })
                .collect(),
        };
        let state = ctx.state();
        let imported = import::import(
            &state.db,
            caller.organisation_id,
            campaign_id,
            &data,
            &mapping,
        )
        .await?;
        state.campaign_changed(campaign_id).await;
        state
            .enqueue(Job::AggregateCampaign { campaign_id })
            .await?;
        let campaign = service::find(&state.db, caller.organisation_id, campaign_id).await?;
        Ok(ImportResponsesPayload {
            campaign: Campaign::from(campaign),
            imported: imported as u64,
        })
    }

    /// Queues a recomputation of the campaign's figures.
    async fn aggregate_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign whose figures to compute again.")] input: CampaignInput,
    ) -> Result<CampaignPayload> {
        self.queue(ctx, input, |campaign_id| Job::AggregateCampaign {
            campaign_id,
        })
        .await
    }

    /// Queues a new report version for the campaign.
    async fn generate_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign to report on.")] input: CampaignInput,
    ) -> Result<CampaignPayload> {
        self.queue(ctx, input, |campaign_id| Job::GenerateReport {
            campaign_id,
        })
        .await
    }
}

fn raw_answers(answers: Vec<AnswerInput>) -> Result<Vec<service::RawAnswer>, ApiError> {
    answers.into_iter().map(AnswerInput::into_raw).collect()
}

async fn interview_payload(
    state: &crate::state::AppState,
    response: entities::response::Model,
) -> Result<InterviewPayload> {
    let c = service::find(&state.db, response.organisation_id, response.campaign_id).await?;
    Ok(InterviewPayload {
        interview: interviews::Interview {
            response,
            questionnaire_id: c.questionnaire_id,
        },
    })
}

impl CampaignMutation {
    async fn queue(
        &self,
        ctx: &Context<'_>,
        input: CampaignInput,
        job: impl Fn(i64) -> Job,
    ) -> Result<CampaignPayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let id = ids::decode(&input.campaign_id, "Campaign")?;
        let state = ctx.state();
        let campaign = service::find(&state.db, caller.organisation_id, id).await?;
        state.enqueue(job(id)).await?;
        Ok(CampaignPayload {
            campaign: Campaign::from(campaign),
        })
    }
}
