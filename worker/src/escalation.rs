//! The last step of a campaign's reminders: once its policy's
//! `escalate_after_hours` have passed, the invitees who have still not
//! answered are named to whoever can reach them in person. Each tutor with
//! an active matching gets the list of their own learners; the learners
//! without a tutor go to the organisation's coordinators (its admins when
//! it has none). One email per recipient per campaign, keyed like every
//! other, so later sweeps only add recipients who had nothing yet.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entities::{
    EmailStatus, MatchingStatus, Role, campaign, email_message, invitation, matching, membership,
    person, user_account,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
};

use crate::delivery::{Claimed, Sent, send_claimed_all};
use crate::jobs::{Context, JobError};
use crate::mail::Outgoing;
use crate::reminders::{self, ReminderPolicy};
use crate::templates::{Escalation, Lang};

/// Whether the escalation of `campaign` is due at `at`.
pub fn due(campaign: &campaign::Model, policy: &ReminderPolicy, at: DateTime<Utc>) -> bool {
    policy
        .escalate_after_hours
        .and_then(chrono::Duration::try_hours)
        .and_then(|h| campaign.opens_at.checked_add_signed(h))
        .is_some_and(|due| at >= due && at < campaign.closes_at)
}

/// Sends the escalation emails not sent yet; returns how many went out.
pub async fn escalate(
    ctx: &Context,
    campaign: &campaign::Model,
    policy: &ReminderPolicy,
    at: DateTime<Utc>,
) -> Result<usize, JobError> {
    let silent = || {
        Query::select()
            .column(invitation::Column::PersonId)
            .from(invitation::Entity)
            .and_where(invitation::Column::CampaignId.eq(campaign.id))
            .and_where(invitation::Column::RespondedAt.is_null())
            .and_where(invitation::Column::OptedOutAt.is_null())
            .to_owned()
    };
    // Only learners whose every reminder has been due by now, in their own
    // time zone: a reminder placed at a local hour or out of quiet hours
    // can fall after the escalation's own hour.
    let mut last_reminder: HashMap<String, Option<DateTime<Utc>>> = HashMap::new();
    let learners: BTreeMap<i64, String> = person::Entity::find()
        .filter(person::Column::Id.in_subquery(silent()))
        .all(&ctx.db)
        .await?
        .into_iter()
        .filter(|p| {
            let last = *last_reminder.entry(p.time_zone.clone()).or_insert_with(|| {
                crate::delivery::due_times(campaign, reminders::zone(&p.time_zone))
                    .last()
                    .copied()
            });
            last.is_none_or(|last| last <= at)
        })
        .map(|p| (p.id, p.name))
        .collect();
    if learners.is_empty() {
        return Ok(0);
    }
    // The active matchings of those learners: their pairs, and the tutors.
    let active = Condition::all()
        .add(matching::Column::OrganisationId.eq(campaign.organisation_id))
        .add(matching::Column::Status.eq(MatchingStatus::Active))
        .add(matching::Column::LearnerId.in_subquery(silent()));
    let pairs: Vec<(i64, i64)> = matching::Entity::find()
        .filter(active.clone())
        .select_only()
        .column(matching::Column::TutorId)
        .column(matching::Column::LearnerId)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let tutor_ids = Query::select()
        .column(matching::Column::TutorId)
        .from(matching::Entity)
        .cond_where(active)
        .to_owned();
    let tutors: BTreeMap<i64, person::Model> = person::Entity::find()
        .filter(person::Column::Id.in_subquery(tutor_ids))
        .filter(person::Column::Email.is_not_null())
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();

    let mut by_tutor: BTreeMap<i64, BTreeSet<&str>> = BTreeMap::new();
    let mut reached: BTreeSet<i64> = BTreeSet::new();
    for (tutor, learner) in pairs {
        if let (true, Some(name)) = (tutors.contains_key(&tutor), learners.get(&learner)) {
            by_tutor.entry(tutor).or_default().insert(name);
            reached.insert(learner);
        }
    }
    let without_tutor: Vec<String> = learners
        .iter()
        .filter(|(id, _)| !reached.contains(id))
        .map(|(_, name)| name.clone())
        .collect();

    let quiet_now = |zone: &str| {
        policy
            .quiet
            .is_some_and(|q| q.contains(at.with_timezone(&reminders::zone(zone)).time()))
    };
    let mut emails = Vec::new();
    for (id, names) in &by_tutor {
        let Some(tutor) = tutors.get(id) else {
            continue;
        };
        if quiet_now(&tutor.time_zone) {
            continue;
        }
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let letter = Escalation {
            lang: Lang::of(&tutor.language),
            name: &tutor.name,
            campaign: &campaign.name,
            closes_at: campaign.closes_at,
            time_zone: &tutor.time_zone,
            as_tutor: true,
            learners: &names,
        };
        let address = tutor.email.clone().unwrap_or_default();
        let key = format!("escalation:{}:person:{id}", campaign.id);
        emails.push(claimed(campaign, key, &tutor.name, address, letter));
    }
    if !without_tutor.is_empty() && !quiet_now("UTC") {
        for user in coordinators(&ctx.db, campaign.organisation_id).await? {
            let letter = Escalation {
                lang: Lang::En,
                name: &user.display_name,
                campaign: &campaign.name,
                closes_at: campaign.closes_at,
                time_zone: "UTC",
                as_tutor: false,
                learners: &without_tutor,
            };
            let key = format!("escalation:{}:user:{}", campaign.id, user.id);
            emails.push(claimed(
                campaign,
                key,
                &user.display_name,
                user.email.clone(),
                letter,
            ));
        }
    }
    let sent = send_claimed_all(ctx, campaign.organisation_id, emails).await?;
    Ok(sent.iter().filter(|s| **s == Sent::Sent).count())
}

/// The organisation's coordinators, or its admins when it has none.
pub async fn coordinators(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> Result<Vec<user_account::Model>, DbErr> {
    for role in [Role::Coordinator, Role::Admin] {
        let members = Query::select()
            .column(membership::Column::UserId)
            .from(membership::Entity)
            .and_where(membership::Column::OrganisationId.eq(organisation_id))
            .and_where(membership::Column::Role.eq(role))
            .to_owned();
        let users = user_account::Entity::find()
            .filter(user_account::Column::Id.in_subquery(members))
            .all(db)
            .await?;
        if !users.is_empty() {
            return Ok(users);
        }
    }
    Ok(Vec::new())
}

fn claimed(
    campaign: &campaign::Model,
    key: String,
    name: &str,
    address: String,
    letter: Escalation<'_>,
) -> Claimed {
    let rendered = letter.render();
    let claim = email_message::ActiveModel {
        organisation_id: Set(campaign.organisation_id),
        key: Set(key.clone()),
        campaign_id: Set(Some(campaign.id)),
        recipient: Set(address.clone()),
        subject: Set(rendered.subject.clone()),
        status: Set(EmailStatus::Pending),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let mail = Outgoing {
        key,
        to_name: name.to_owned(),
        to_address: address,
        subject: rendered.subject,
        text: rendered.text,
        html: Some(rendered.html),
        unsubscribe_url: None,
    };
    Claimed { claim, mail }
}
