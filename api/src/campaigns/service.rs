//! Campaign rules: creation, invitations, launch, submission and import.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::{
    Anonymity, ResponseSource, campaign, invitation, item, person, questionnaire, response,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};
use sha2::{Digest, Sha256};
use tracing::warn;
use worker::results::Value;
use worker::tokens::{TokenKey, hash_token};
use worker::{Job, tokens, webhooks};

use super::answers;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// Where a campaign stands at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Draft,
    Scheduled,
    Open,
    Closed,
}

pub fn status(c: &campaign::Model, now: DateTime<Utc>) -> Status {
    match c.launched_at {
        _ if now >= c.closes_at => Status::Closed,
        None => Status::Draft,
        Some(_) if now < c.opens_at => Status::Scheduled,
        Some(_) => Status::Open,
    }
}

/// Rows written or looked up per statement: SQLite bounds the parameters of one.
const CHUNK: usize = 1000;
/// Most people one call may invite.
pub const MAX_INVITED_AT_ONCE: usize = 20_000;

/// Most reminder steps a campaign may have.
pub const MAX_REMINDERS: usize = 20;

pub struct NewCampaign {
    pub questionnaire_id: i64,
    pub name: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub reminder_offsets_hours: Vec<i64>,
    pub reminder_policy: Option<worker::reminders::ReminderPolicy>,
    pub min_group_size: i32,
    pub low_score_threshold: f64,
    pub anonymity: Anonymity,
    /// The programme evaluated, checked to be the organisation's.
    pub programme_id: Option<i64>,
}

pub fn check_new(c: &NewCampaign) -> Vec<Problem> {
    let mut problems = Vec::new();
    crate::validate::name(&mut problems, "name", &c.name, crate::validate::NAME);
    if c.closes_at <= c.opens_at {
        problems.push(Problem::field("closesAt", "must be after opensAt"));
    }
    if c.reminder_offsets_hours.len() > MAX_REMINDERS {
        let message = format!("at most {MAX_REMINDERS} reminders");
        problems.push(Problem::field("reminderOffsetsHours", message));
    }
    let mut previous = 0;
    for (i, hours) in c.reminder_offsets_hours.iter().enumerate() {
        let field = format!("reminderOffsetsHours[{i}]");
        if *hours <= previous {
            problems.push(Problem::field(
                field,
                "offsets must be positive and increasing",
            ));
        } else if chrono::Duration::try_hours(*hours)
            .and_then(|d| c.opens_at.checked_add_signed(d))
            .is_none_or(|due| due >= c.closes_at)
        {
            problems.push(Problem::field(
                field,
                "this reminder would fall after closing",
            ));
        }
        previous = *hours;
    }
    if let Some(hours) = c
        .reminder_policy
        .as_ref()
        .and_then(|p| p.escalate_after_hours)
    {
        let field = "reminderPolicy.escalateAfterHours";
        let last_reminder = c.reminder_offsets_hours.last().copied().unwrap_or(0);
        if hours <= last_reminder {
            problems.push(Problem::field(
                field,
                "must come after the opening and the last reminder",
            ));
        } else if chrono::Duration::try_hours(hours)
            .and_then(|d| c.opens_at.checked_add_signed(d))
            .is_none_or(|due| due >= c.closes_at)
        {
            problems.push(Problem::field(field, "this would fall after closing"));
        }
    }
    if !(1..=1000).contains(&c.min_group_size) {
        problems.push(Problem::field("minGroupSize", "must be from 1 to 1000"));
    }
    if !(0.0..=1.0).contains(&c.low_score_threshold) {
        problems.push(Problem::field(
            "lowScoreThreshold",
            "must be a fraction from 0 to 1",
        ));
    }
    problems
}

/// Creates a campaign and freezes its questionnaire version.
pub async fn create(
    db: &DatabaseConnection,
    organisation_id: i64,
    new: NewCampaign,
) -> ApiResult<campaign::Model> {
    let problems = check_new(&new);
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let txn = worker::db::begin_write(db).await?;
    let q = questionnaire::Entity::find_by_id(new.questionnaire_id)
        .filter(questionnaire::Column::OrganisationId.eq(organisation_id))
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("questionnaire"))?;
    if let Some(programme) = new.programme_id {
        entities::programme::Entity::find_by_id(programme)
            .filter(entities::programme::Column::OrganisationId.eq(organisation_id))
            .one(&txn)
            .await?
            .ok_or(ApiError::NotFound("programme"))?;
    }
    if q.locked_at.is_none() {
        questionnaire::Entity::update_many()
            .col_expr(
                questionnaire::Column::LockedAt,
                Expr::value(Some(Utc::now())),
            )
            .filter(questionnaire::Column::Id.eq(q.id))
            .exec(&txn)
            .await?;
    }
    let created = campaign::Entity::insert(campaign::ActiveModel {
        organisation_id: Set(organisation_id),
        questionnaire_id: Set(q.id),
        name: Set(new.name.trim().to_owned()),
        opens_at: Set(new.opens_at),
        closes_at: Set(new.closes_at),
        reminder_offsets_hours: Set(serde_json::json!(new.reminder_offsets_hours)),
        reminder_policy: Set(new
            .reminder_policy
            .and_then(|p| serde_json::to_value(p).ok())),
        min_group_size: Set(new.min_group_size),
        low_score_threshold: Set(new.low_score_threshold),
        launched_at: Set(None),
        anonymity: Set(new.anonymity),
        programme_id: Set(new.programme_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A campaign of the organisation, or NOT_FOUND (also for other tenants').
pub async fn find(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    id: i64,
) -> ApiResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .filter(campaign::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("campaign"))
}

/// Invites people; those already invited are left as they are. Returns how many were new.
pub async fn invite(
    state: &AppState,
    organisation_id: i64,
    campaign_id: i64,
    person_ids: &[i64],
) -> ApiResult<u64> {
    let db = &state.db;
    let c = find(db, organisation_id, campaign_id).await?;
    if status(&c, Utc::now()) == Status::Closed {
        return Err(ApiError::Conflict("the campaign is closed".into()));
    }
    // In the order given, each once: invitations are listed in that order.
    let mut seen = HashSet::with_capacity(person_ids.len());
    let wanted: Vec<i64> = person_ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect();
    if wanted.len() > MAX_INVITED_AT_ONCE {
        let message = format!("invite at most {MAX_INVITED_AT_ONCE} people at a time");
        return Err(ApiError::invalid(vec![Problem::field(
            "personIds",
            message,
        )]));
    }
    let mut found: HashSet<i64> = HashSet::with_capacity(wanted.len());
    for chunk in wanted.chunks(CHUNK) {
        let ids: Vec<i64> = person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(person::Column::OrganisationId.eq(organisation_id))
            .filter(person::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(ids);
    }
    if found.len() != wanted.len() {
        return Err(ApiError::NotFound("person"));
    }
    let rows = wanted.into_iter().map(|person_id| {
        let nonce = TokenKey::new_nonce();
        let token_hash = hash_token(&state.tokens.token(&nonce));
        invitation::ActiveModel {
            organisation_id: Set(organisation_id),
            campaign_id: Set(campaign_id),
            person_id: Set(person_id),
            token_hash: Set(token_hash),
            token_nonce: Set(nonce),
            responded_at: Set(None),
            opted_out_at: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
    });
    let invited = invite_rows(db, rows.collect()).await?;
    if invited > 0 {
        // People invited to a campaign already open hear of it now, not at
        // the next sweep; before it opens, its opening sends to all alike.
        if status(&c, Utc::now()) == Status::Open {
            state.enqueue(Job::SendInvitations { campaign_id }).await?;
        }
        state.campaign_changed(campaign_id).await;
    }
    Ok(invited)
}

/// Inserts the invitations in one transaction: a request cut half-way
/// leaves none of them.
async fn invite_rows(
    db: &DatabaseConnection,
    rows: Vec<invitation::ActiveModel>,
) -> ApiResult<u64> {
    let txn = worker::db::begin_write(db).await?;
    let mut inserted = 0;
    for chunk in rows.chunks(CHUNK) {
        inserted += invitation::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([invitation::Column::CampaignId, invitation::Column::PersonId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(inserted)
}

/// Launches a campaign: its invitations go out when it opens.
pub async fn launch(
    state: &AppState,
    organisation_id: i64,
    campaign_id: i64,
) -> ApiResult<campaign::Model> {
    let c = find(&state.db, organisation_id, campaign_id).await?;
    match status(&c, Utc::now()) {
        Status::Closed => return Err(ApiError::Conflict("the campaign is closed".into())),
        Status::Scheduled | Status::Open => return Ok(c),
        Status::Draft => {}
    }
    campaign::Entity::update_many()
        .col_expr(campaign::Column::LaunchedAt, Expr::value(Some(Utc::now())))
        .filter(campaign::Column::Id.eq(c.id))
        .filter(campaign::Column::LaunchedAt.is_null())
        .exec(&state.db)
        .await?;
    state
        .enqueue(Job::SendInvitations { campaign_id: c.id })
        .await?;
    state.campaign_changed(c.id).await;
    find(&state.db, organisation_id, campaign_id).await
}

/// Closes a campaign now: no reminder or escalation goes out after this,
/// its links stop taking answers, and its figures are brought up to date
/// once more. A campaign not open yet is called off. Closing a closed
/// campaign changes nothing.
pub async fn close(
    state: &AppState,
    organisation_id: i64,
    campaign_id: i64,
) -> ApiResult<campaign::Model> {
    let c = find(&state.db, organisation_id, campaign_id).await?;
    let now = Utc::now();
    if status(&c, now) == Status::Closed {
        return Ok(c);
    }
    let txn = worker::db::begin_write(&state.db).await?;
    let closed = campaign::Entity::update_many()
        .col_expr(campaign::Column::ClosesAt, Expr::value(now))
        .col_expr(campaign::Column::OpensAt, Expr::value(c.opens_at.min(now)))
        .filter(campaign::Column::Id.eq(c.id))
        .filter(campaign::Column::ClosesAt.gt(now))
        .exec(&txn)
        .await?;
    // The event of a campaign that closes at its own time is recorded by
    // the reminder sweep, under the same id.
    let mut events = 0;
    if closed.rows_affected == 1 && c.launched_at.is_some() {
        let event = webhooks::Event::campaign_closed(c.organisation_id, c.id, now);
        events = webhooks::record(&txn, &event).await?;
    }
    txn.commit().await?;
    crate::webhooks::service::deliver_soon(state, events).await;
    state.campaign_changed(c.id).await;
    if c.launched_at.is_some() {
        state
            .enqueue(Job::AggregateCampaign { campaign_id: c.id })
            .await?;
    }
    find(&state.db, organisation_id, campaign_id).await
}

/// Changes how far a campaign's results may point back to a person. Only
/// while it has no response: afterwards, lifting anonymity would expose
/// answers given under its promise, and raising it would leave links behind.
pub async fn set_anonymity(
    db: &DatabaseConnection,
    organisation_id: i64,
    campaign_id: i64,
    anonymity: Anonymity,
) -> ApiResult<campaign::Model> {
    let txn = worker::db::begin_write(db).await?;
    let c = campaign::Entity::find_by_id(campaign_id)
        .filter(campaign::Column::OrganisationId.eq(organisation_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    if c.anonymity == anonymity {
        return Ok(c);
    }
    let answered = response::Entity::find()
        .filter(response::Column::CampaignId.eq(c.id))
        .count(&txn)
        .await?;
    if answered > 0 {
        let plural = if answered == 1 { "" } else { "s" };
        return Err(ApiError::Conflict(format!(
            "the campaign has {answered} response{plural}: its anonymity can no longer change"
        )));
    }
    campaign::Entity::update_many()
        .col_expr(campaign::Column::Anonymity, Expr::value(anonymity))
        .filter(campaign::Column::Id.eq(c.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    find(db, organisation_id, campaign_id).await
}

/// A submitted answer, before checking.
pub struct RawAnswer {
    pub item: String,
    pub value: Option<Value>,
}

/// The outcome of a submission.
pub struct Submitted {
    pub response_id: i64,
    /// The same answers had already been received: nothing changed.
    pub repeated: bool,
}

/// The invitation a token opens, or NOT_FOUND.
pub async fn invitation_for_token(
    db: &DatabaseConnection,
    token: &str,
) -> ApiResult<invitation::Model> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash_token(token.trim())))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("invitation"))
}

/// Stores a response for the invitation behind `token`, once.
pub async fn submit(
    state: &AppState,
    token: &str,
    raw: Vec<RawAnswer>,
    now: DateTime<Utc>,
) -> ApiResult<Submitted> {
    let db = &state.db;
    let inv = invitation_for_token(db, token).await?;
    let c = campaign::Entity::find_by_id(inv.campaign_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    match status(&c, now) {
        Status::Closed => {
            return Err(ApiError::Conflict(
                "the campaign is closed: answers are no longer accepted".into(),
            ));
        }
        Status::Draft | Status::Scheduled => {
            return Err(ApiError::Conflict("the campaign is not open yet".into()));
        }
        Status::Open => {}
    }

    if super::interviews::is_guide(db, c.questionnaire_id).await? {
        return Err(ApiError::Conflict(
            "this campaign's answers are recorded by interviewers".into(),
        ));
    }
    let items = item::Entity::find()
        .filter(item::Column::QuestionnaireId.eq(c.questionnaire_id))
        .all(db)
        .await?;
    let answers = check_answers(&items, raw)?;
    let digest = digest(&answers);

    if inv.responded_at.is_some() && c.anonymity == Anonymity::Anonymous {
        return Err(ApiError::Conflict(
            "this link has already been used; answers to an anonymous campaign cannot be traced back to change them".into(),
        ));
    }
    if inv.responded_at.is_some() {
        let existing = response::Entity::find()
            .filter(response::Column::InvitationId.eq(inv.id))
            .one(db)
            .await?
            .ok_or(ApiError::Conflict("this link has already been used".into()))?;
        if existing.digest == digest {
            return Ok(Submitted {
                response_id: existing.id,
                repeated: true,
            });
        }
        return Err(ApiError::Conflict("this link has already been used".into()));
    }

    let txn = worker::db::begin_write(db).await?;
    // Read again under a shared lock: a change of anonymity waits for this
    // response, and this response is stored as the campaign now says.
    let anonymous = campaign::Entity::find_by_id(c.id)
        .lock_shared()
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?
        .anonymity
        == Anonymity::Anonymous;
    // In an anonymous campaign neither the invitation nor the response
    // keeps the time of answering: matching the two would name the
    // respondent. Both carry the opening time instead.
    let answered_at = if anonymous { c.opens_at } else { now };
    let claimed = invitation::Entity::update_many()
        .col_expr(
            invitation::Column::RespondedAt,
            Expr::value(Some(answered_at)),
        )
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::RespondedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ApiError::Conflict("this link has already been used".into()));
    }
    let stored = response::Entity::insert(response::ActiveModel {
        organisation_id: Set(inv.organisation_id),
        campaign_id: Set(c.id),
        invitation_id: Set((!anonymous).then_some(inv.id)),
        external_ref: Set(None),
        source: Set(ResponseSource::Invitation),
        attributes: Set(serde_json::json!({})),
        digest: Set(if anonymous { String::new() } else { digest }),
        person_id: Set((!anonymous).then_some(inv.person_id)),
        submitted_at: Set(answered_at),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    entities::response_draft::Entity::delete_many()
        .filter(entities::response_draft::Column::InvitationId.eq(inv.id))
        .exec(&txn)
        .await?;
    let rows: Vec<_> = answers
        .into_iter()
        .map(|(item_id, value)| answers::to_row(stored.id, item_id, value))
        .collect();
    if !rows.is_empty() {
        entities::answer::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    let event =
        webhooks::Event::response_submitted(inv.organisation_id, c.id, inv.id, anonymous, now);
    let events = webhooks::record(&txn, &event).await?;
    txn.commit().await?;
    crate::webhooks::service::deliver_soon(state, events).await;
    state.campaign_changed(c.id).await;

    if let Err(e) = state
        .enqueue(Job::AggregateCampaign { campaign_id: c.id })
        .await
    {
        // The response is safe; the figures catch up at the next aggregation.
        warn!(campaign_id = c.id, error.message = ?e, "aggregation not queued");
    }
    Ok(Submitted {
        response_id: stored.id,
        repeated: false,
    })
}

/// Answers kept between visits: item code → the value as typed, a string,
/// or a list of strings for several choices.
pub type Draft = BTreeMap<String, DraftValue>;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum DraftValue {
    One(String),
    Many(Vec<String>),
}

/// Longest value kept in a draft, in characters.
const MAX_DRAFT_VALUE: usize = answers::MAX_TEXT;

/// Keeps the answers typed so far for the invitation behind `token`,
/// replacing any earlier draft. Only while the campaign is open and the link
/// unused; values are checked when the response is submitted.
pub async fn save_draft(
    db: &DatabaseConnection,
    token: &str,
    draft: Draft,
    now: DateTime<Utc>,
) -> ApiResult<DateTime<Utc>> {
    let inv = invitation_for_token(db, token).await?;
    let c = campaign::Entity::find_by_id(inv.campaign_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    if inv.responded_at.is_some() {
        return Err(ApiError::Conflict("this link has already been used".into()));
    }
    if status(&c, now) != Status::Open {
        return Err(ApiError::Conflict(
            "the campaign is not open: answers cannot be saved".into(),
        ));
    }
    if super::interviews::is_guide(db, c.questionnaire_id).await? {
        return Err(ApiError::Conflict(
            "this campaign's answers are recorded by interviewers".into(),
        ));
    }
    let codes: HashSet<String> = item::Entity::find()
        .select_only()
        .column(item::Column::Code)
        .filter(item::Column::QuestionnaireId.eq(c.questionnaire_id))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut problems = Vec::new();
    for (code, value) in &draft {
        if !codes.contains(code) {
            problems.push(Problem::field(code.clone(), "no item has this code"));
        }
        let too_long = match value {
            DraftValue::One(v) => v.chars().count() > MAX_DRAFT_VALUE,
            DraftValue::Many(vs) => {
                vs.len() > 1000 || vs.iter().any(|v| v.chars().count() > MAX_DRAFT_VALUE)
            }
        };
        if too_long {
            problems.push(Problem::field(code.clone(), "the value is too long"));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let row = entities::response_draft::ActiveModel {
        invitation_id: Set(inv.id),
        answers: Set(serde_json::to_value(&draft).map_err(ApiError::internal)?),
        saved_at: Set(now),
        ..Default::default()
    };
    entities::response_draft::Entity::insert(row)
        .on_conflict(
            OnConflict::column(entities::response_draft::Column::InvitationId)
                .update_columns([
                    entities::response_draft::Column::Answers,
                    entities::response_draft::Column::SavedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(now)
}

/// The draft of an invitation and when it was saved, if any.
pub async fn draft_of(
    db: &DatabaseConnection,
    invitation_id: i64,
) -> ApiResult<Option<(Draft, DateTime<Utc>)>> {
    let Some(row) = entities::response_draft::Entity::find()
        .filter(entities::response_draft::Column::InvitationId.eq(invitation_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // A draft that no longer reads is as good as none: the person types again.
    let draft = serde_json::from_value(row.answers).unwrap_or_default();
    Ok(Some((draft, row.saved_at)))
}

pub(crate) fn check_answers(
    items: &[item::Model],
    raw: Vec<RawAnswer>,
) -> ApiResult<BTreeMap<i64, Value>> {
    let by_code: HashMap<&str, &item::Model> = items.iter().map(|i| (i.code.as_str(), i)).collect();
    let mut problems = Vec::new();
    let mut given: HashMap<i64, Option<Value>> = HashMap::new();
    for (i, answer) in raw.into_iter().enumerate() {
        let field = format!("answers[{i}]");
        let Some(item) = by_code.get(answer.item.as_str()) else {
            problems.push(Problem::field(
                field,
                format!("no item has the code `{}`", answer.item),
            ));
            continue;
        };
        if given.insert(item.id, answer.value).is_some() {
            problems.push(Problem::field(
                field,
                format!("item `{}` is answered twice", item.code),
            ));
        }
    }
    let mut out = BTreeMap::new();
    for item in items {
        match answers::check(item, given.remove(&item.id).flatten()) {
            Ok(Some(value)) => {
                out.insert(item.id, value);
            }
            Ok(None) => {}
            Err(e) => problems.push(Problem::field(item.code.clone(), e.to_string())),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::invalid(problems))
    }
}

/// A fingerprint of a set of answers, to recognise a repeated submission.
pub(crate) fn digest(answers: &BTreeMap<i64, Value>) -> String {
    let mut hasher = Sha256::new();
    for (item, value) in answers {
        hasher.update(format!("{item}={value:?};").as_bytes());
    }
    tokens::hex(&hasher.finalize())
}
