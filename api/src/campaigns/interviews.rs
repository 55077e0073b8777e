//! Interviews: an interviewer (a coordinator or tutor) answers a campaign's
//! interview guide for one interviewee (a learner or tutor).
//!
//! An interview is stored as the interviewee's response, answered through
//! their invitation, so its coded answers enter the campaign's figures like
//! any other response. The interviewer's notes stay on the response row,
//! which aggregation never reads.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entities::{
    Audience, PersonKind, QuestionnaireMode, ResponseSource, Role, campaign, campaign_accumulator,
    invitation, item, person, questionnaire, response,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use tracing::{instrument, warn};
use worker::Job;

use super::answers;
use super::service::{self, RawAnswer, Status};
use crate::auth::{Caller, MANAGERS};
use crate::error::{ApiError, ApiResult, Problem};
use crate::loaders::{AccountName, AnswersOf, ItemsOf, PersonById};
use crate::state::{AppState, ContextExt};
use crate::validate;

pub fn global_id(id: i64) -> ID {
    crate::ids::encode("Interview", id)
}

/// Coordinators, admins and tutors conduct interviews.
fn interviewer(caller: &Caller) -> ApiResult<()> {
    if caller.may(MANAGERS) || caller.role == Role::Tutor {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Whether a questionnaire is an interview guide.
pub async fn is_guide(db: &impl ConnectionTrait, questionnaire_id: i64) -> ApiResult<bool> {
    let q = questionnaire::Entity::find_by_id(questionnaire_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("questionnaire"))?;
    Ok(q.mode == QuestionnaireMode::InterviewGuide)
}

/// Refuses answers outside an open campaign.
fn open(c: &campaign::Model, now: DateTime<Utc>) -> ApiResult<()> {
    match service::status(c, now) {
        Status::Open => Ok(()),
        Status::Closed => Err(ApiError::Conflict(
            "the campaign is closed: interviews can no longer be recorded or edited".into(),
        )),
        Status::Draft | Status::Scheduled => {
            Err(ApiError::Conflict("the campaign is not open yet".into()))
        }
    }
}

/// An interview as the interviewer gives it.
pub struct NewInterview {
    pub campaign_id: i64,
    pub interviewee_id: i64,
    pub answers: Vec<RawAnswer>,
    pub notes: String,
}

/// Records an interview, once per interviewee and campaign. Coordinators
/// may interview anyone of the organisation, who is then added to the
/// campaign's audience; tutors only people already in it.
#[instrument(skip_all, fields(campaign_id = new.campaign_id))]
pub async fn record(
    state: &AppState,
    caller: &Caller,
    new: NewInterview,
    now: DateTime<Utc>,
) -> ApiResult<response::Model> {
    interviewer(caller)?;
    let db = &state.db;
    let org = caller.organisation_id;
    let c = service::find(db, org, new.campaign_id).await?;
    let q = questionnaire::Entity::find_by_id(c.questionnaire_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("questionnaire"))?;
    if q.mode != QuestionnaireMode::InterviewGuide {
        return Err(ApiError::invalid(vec![Problem::field(
            "campaignId",
            "this campaign's questionnaire is not an interview guide",
        )]));
    }
    if c.anonymity == entities::Anonymity::Anonymous {
        return Err(ApiError::invalid(vec![Problem::field(
            "campaignId",
            "an interview names its interviewee: an anonymous campaign holds none",
        )]));
    }
    open(&c, now)?;
    let interviewee = person::Entity::find_by_id(new.interviewee_id)
        .filter(person::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("person"))?;
    let expected = match q.audience {
        Audience::Learners => PersonKind::Learner,
        Audience::Tutors => PersonKind::Tutor,
    };
    let mut problems = Vec::new();
    if interviewee.kind != expected {
        problems.push(Problem::field(
            "intervieweeId",
            match expected {
                PersonKind::Learner => "this interview guide is for learners",
                PersonKind::Tutor => "this interview guide is for tutors",
            },
        ));
    }
    validate::text(&mut problems, "notes", &new.notes, validate::TEXT);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let items = items_of(db, q.id).await?;
    let checked = service::check_answers(&items, new.answers)?;

    let mut inv = invitation_of(db, c.id, interviewee.id).await?;
    if inv.is_none() {
        if !caller.may(MANAGERS) {
            return Err(ApiError::Forbidden);
        }
        service::invite(state, org, c.id, &[interviewee.id]).await?;
        inv = invitation_of(db, c.id, interviewee.id).await?;
    }
    let inv = inv.ok_or(ApiError::NotFound("invitation"))?;
    let already = || {
        ApiError::Conflict(
            "this person has already been interviewed in this campaign: edit that interview".into(),
        )
    };
    if inv.responded_at.is_some() {
        return Err(already());
    }

    let txn = worker::db::begin_write(db).await?;
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::RespondedAt, Expr::value(Some(now)))
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::RespondedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(already());
    }
    let stored = response::Entity::insert(response::ActiveModel {
        organisation_id: Set(org),
        campaign_id: Set(c.id),
        invitation_id: Set(Some(inv.id)),
        external_ref: Set(None),
        source: Set(ResponseSource::Interview),
        attributes: Set(serde_json::json!({})),
        digest: Set(service::digest(&checked)),
        person_id: Set(Some(interviewee.id)),
        submitted_at: Set(now),
        interviewer_id: Set(Some(caller.user_id)),
        notes: Set(notes(new.notes)),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let rows: Vec<_> = checked
        .into_iter()
        .map(|(item_id, value)| answers::to_row(stored.id, item_id, value))
        .collect();
    if !rows.is_empty() {
        entities::answer::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;

    queue_aggregation(state, c.id).await;
    Ok(stored)
}

/// Replaces the answers and notes of an interview while its campaign is
/// open: its interviewer, or a coordinator. The campaign's running totals
/// are started again, since answers already folded in cannot be taken out.
#[instrument(skip_all, fields(response_id = id))]
pub async fn edit(
    state: &AppState,
    caller: &Caller,
    id: i64,
    raw: Vec<RawAnswer>,
    new_notes: String,
    now: DateTime<Utc>,
) -> ApiResult<response::Model> {
    interviewer(caller)?;
    let db = &state.db;
    let interview = find(db, caller.organisation_id, id).await?;
    if !may_read_notes(caller, &interview) {
        return Err(ApiError::Forbidden);
    }
    let c = service::find(db, caller.organisation_id, interview.campaign_id).await?;
    open(&c, now)?;
    let mut problems = Vec::new();
    validate::text(&mut problems, "notes", &new_notes, validate::TEXT);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let items = items_of(db, c.questionnaire_id).await?;
    let checked = service::check_answers(&items, raw)?;

    let txn = worker::db::begin_write(db).await?;
    // Blank totals are rebuilt from every response by the next aggregation.
    // The totals are locked first, as aggregation locks them: taken in the
    // other order, an aggregation under way and this edit would each hold
    // what the other waits for.
    campaign_accumulator::Entity::update_many()
        .col_expr(campaign_accumulator::Column::Data, Expr::value(""))
        .filter(campaign_accumulator::Column::CampaignId.eq(c.id))
        .exec(&txn)
        .await?;
    entities::answer::Entity::delete_many()
        .filter(entities::answer::Column::ResponseId.eq(interview.id))
        .exec(&txn)
        .await?;
    let digest = service::digest(&checked);
    let rows: Vec<_> = checked
        .into_iter()
        .map(|(item_id, value)| answers::to_row(interview.id, item_id, value))
        .collect();
    if !rows.is_empty() {
        entities::answer::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    response::Entity::update_many()
        .col_expr(response::Column::Digest, Expr::value(digest))
        .col_expr(response::Column::Notes, Expr::value(notes(new_notes)))
        .col_expr(response::Column::Folded, Expr::value(false))
        .filter(response::Column::Id.eq(interview.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;

    queue_aggregation(state, c.id).await;
    find(db, caller.organisation_id, id).await
}

/// An interview its caller may read: coordinators and admins read every
/// interview of the organisation, tutors those they recorded.
pub async fn visible(db: &DatabaseConnection, caller: &Caller, id: i64) -> ApiResult<Interview> {
    interviewer(caller)?;
    let response = find(db, caller.organisation_id, id).await?;
    if !may_read_notes(caller, &response) {
        return Err(ApiError::NotFound("interview"));
    }
    let c = service::find(db, caller.organisation_id, response.campaign_id).await?;
    Ok(Interview {
        response,
        questionnaire_id: c.questionnaire_id,
    })
}

/// An interview of the organisation, or NOT_FOUND.
pub async fn find(db: &DatabaseConnection, org: i64, id: i64) -> ApiResult<response::Model> {
    response::Entity::find_by_id(id)
        .filter(response::Column::OrganisationId.eq(org))
        .filter(response::Column::Source.eq(ResponseSource::Interview))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("interview"))
}

/// Coordinators, admins and the interviewer read an interview's notes.
pub fn may_read_notes(caller: &Caller, interview: &response::Model) -> bool {
    caller.may(MANAGERS) || interview.interviewer_id == Some(caller.user_id)
}

fn notes(text: String) -> Option<String> {
    (!text.trim().is_empty()).then_some(text)
}

async fn items_of(db: &DatabaseConnection, questionnaire_id: i64) -> ApiResult<Vec<item::Model>> {
    Ok(item::Entity::find()
        .filter(item::Column::QuestionnaireId.eq(questionnaire_id))
        .all(db)
        .await?)
}

async fn invitation_of(
    db: &DatabaseConnection,
    campaign_id: i64,
    person_id: i64,
) -> ApiResult<Option<invitation::Model>> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::CampaignId.eq(campaign_id))
        .filter(invitation::Column::PersonId.eq(person_id))
        .one(db)
        .await?)
}

async fn queue_aggregation(state: &AppState, campaign_id: i64) {
    if let Err(e) = state.enqueue(Job::AggregateCampaign { campaign_id }).await {
        // The interview is safe; the figures catch up at the next aggregation.
        warn!(campaign_id, error.message = ?e, "aggregation not queued");
    }
}

/// An interview recorded for one interviewee.
pub struct Interview {
    pub response: response::Model,
    /// The campaign's interview guide.
    pub questionnaire_id: i64,
}

/// One coded answer: the field that fits the item's kind is set.
#[derive(async_graphql::SimpleObject)]
pub struct RecordedAnswer {
    /// The item's code.
    pub item: String,
    /// The value of a Likert, number or NPS item.
    pub number: Option<f64>,
    /// The option picked for a single-choice item, or a free-text answer.
    pub text: Option<String>,
    /// The options picked for a multiple-choice item, in alphabetical order.
    pub choices: Option<Vec<String>>,
}

/// An interview of a campaign's interview guide, recorded for one
/// interviewee. Coordinators and admins read every interview, tutors those
/// they recorded.
#[Object]
impl Interview {
    /// Global ID of the interview; use with `node(id:)` and `editInterview`.
    pub async fn id(&self) -> ID {
        global_id(self.response.id)
    }
    /// Global ID of the campaign the interview belongs to.
    async fn campaign_id(&self) -> ID {
        super::global_id(self.response.campaign_id)
    }
    /// The person interviewed.
    async fn interviewee(&self, ctx: &Context<'_>) -> Result<crate::accounts::Person> {
        let id = self
            .response
            .person_id
            .ok_or(ApiError::NotFound("person"))?;
        let p = ctx.loader().load_one(PersonById(id)).await?;
        Ok(crate::accounts::Person::from(
            p.ok_or(ApiError::NotFound("person"))?,
        ))
    }
    /// The display name of the account that recorded it.
    async fn interviewer(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(id) = self.response.interviewer_id else {
            return Ok(None);
        };
        ctx.loader().load_one(AccountName(id)).await
    }
    /// When the interview was first recorded (UTC); edits keep it.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.response.submitted_at
    }
    /// The coded answers, by item code.
    async fn answers(&self, ctx: &Context<'_>) -> Result<Vec<RecordedAnswer>> {
        let items = ctx
            .loader()
            .load_one(ItemsOf(self.questionnaire_id))
            .await?
            .unwrap_or_default();
        let answers = ctx
            .loader()
            .load_one(AnswersOf(self.response.id))
            .await?
            .unwrap_or_default();
        Ok(answers
            .into_iter()
            .filter_map(|a| {
                let code = items.iter().find(|i| i.id == a.item_id)?.code.clone();
                Some(RecordedAnswer {
                    item: code,
                    number: a.number_value,
                    text: a.text_value,
                    choices: a.choices.and_then(|c| serde_json::from_value(c).ok()),
                })
            })
            .collect())
    }
    /// The interviewer's notes: never part of the campaign's figures, and
    /// readable only by coordinators, admins and the interviewer.
    async fn notes(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let caller = ctx.caller()?;
        if !may_read_notes(caller, &self.response) {
            return Err(ApiError::Forbidden.into());
        }
        Ok(self.response.notes.clone())
    }
}
