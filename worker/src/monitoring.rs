//! The health of tutorial relations against the standards of the guide, the
//! alerts their breaches raise, and the digest coordinators receive.
//!
//! Standards are checked as they stand at a given time, so that a relation
//! that recovers stops raising alerts: a first contact still missing N days
//! after matching, no session for more than N days since the last one, a
//! held session whose notes are still missing N hours later. The reply-time
//! standard needs a message log the system does not keep, and is not checked.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{
    ItemKind, MatchingStatus, Role, SessionStatus, Severity, StandardKind, answer, campaign,
    email_message, item, matching, membership, person, plan_item, relation_alert, response,
    standard, tutoring_session, user_account,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;
use tracing::info;

use crate::delivery::send_claimed;
use crate::jobs::{Context, JobError};
use crate::mail::Outgoing;
use crate::webhooks::{Event, EventType};

/// How a relation is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum HealthStatus {
    Healthy,
    /// At least one standard is breached.
    AtRisk,
    /// No first contact past the standard, or no contact for twice the
    /// session interval.
    Inactive,
}

/// A standard as the check needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    pub standard_id: i64,
    pub kind: StandardKind,
    pub threshold: i32,
    pub severity: Severity,
}

impl From<&standard::Model> for Rule {
    fn from(s: &standard::Model) -> Self {
        Rule {
            standard_id: s.id,
            kind: s.kind,
            threshold: s.threshold,
            severity: s.severity,
        }
    }
}

/// What is known of a relation.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub activated_at: DateTime<Utc>,
    /// Held sessions: when, and when their notes were written.
    pub held: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// Sessions the plan schedules up to today, and in all.
    pub planned_to_date: i64,
    pub planned: i64,
    /// Latest satisfaction of the learner, 0–1.
    pub satisfaction: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Breach {
    pub standard_id: i64,
    pub kind: StandardKind,
    pub severity: Severity,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Health {
    pub status: HealthStatus,
    pub first_contact: Option<DateTime<Utc>>,
    pub last_contact: Option<DateTime<Utc>>,
    pub sessions_held: i64,
    pub sessions_planned_to_date: i64,
    pub sessions_planned: i64,
    pub satisfaction: Option<f64>,
    pub breaches: Vec<Breach>,
}

/// Checks a relation against the standards at `now`.
pub fn assess(facts: &Facts, rules: &[Rule], now: DateTime<Utc>) -> Health {
    let first_contact = facts.held.iter().map(|(at, _)| *at).min();
    let last_contact = facts.held.iter().map(|(at, _)| *at).max();
    let mut breaches = Vec::new();
    let mut inactive = false;
    for rule in rules {
        let n = i64::from(rule.threshold);
        let breach = |message: String| Breach {
            standard_id: rule.standard_id,
            kind: rule.kind,
            severity: rule.severity,
            message,
        };
        match rule.kind {
            StandardKind::FirstContactDays => {
                let waited = now - facts.activated_at;
                if first_contact.is_none() && waited > Duration::days(n) {
                    inactive = true;
                    breaches.push(breach(format!(
                        "no first contact {} days after matching (standard: within {n})",
                        waited.num_days()
                    )));
                }
            }
            StandardKind::SessionIntervalDays => {
                if let Some(last) = last_contact {
                    let gap = now - last;
                    if gap > Duration::days(n) {
                        inactive |= gap > Duration::days(2 * n);
                        breaches.push(breach(format!(
                            "no session for {} days (standard: at least every {n})",
                            gap.num_days()
                        )));
                    }
                }
            }
            StandardKind::NotesWithinHours => {
                let missing = facts
                    .held
                    .iter()
                    .filter(|(at, notes)| notes.is_none() && now - *at > Duration::hours(n))
                    .count();
                if missing > 0 {
                    breaches.push(breach(format!(
                        "{missing} session(s) without notes after {n} hours"
                    )));
                }
            }
            StandardKind::ReplyWithinHours => {}
        }
    }
    let status = if inactive {
        HealthStatus::Inactive
    } else if breaches.is_empty() {
        HealthStatus::Healthy
    } else {
        HealthStatus::AtRisk
    };
    Health {
        status,
        first_contact,
        last_contact,
        sessions_held: facts.held.len() as i64,
        sessions_planned_to_date: facts.planned_to_date,
        sessions_planned: facts.planned,
        satisfaction: facts.satisfaction,
        breaches,
    }
}

/// Sessions of a plan item due on or before `day`.
pub fn due_by(item: &plan_item::Model, day: NaiveDate) -> i64 {
    if day < item.starts_on || item.every_days <= 0 {
        return 0;
    }
    let elapsed = (day - item.starts_on).num_days();
    (elapsed / i64::from(item.every_days) + 1).min(i64::from(item.sessions.max(0)))
}

/// The facts of each of `matchings`, as of `now`.
pub async fn facts_of(
    db: &impl ConnectionTrait,
    matchings: &[matching::Model],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Facts>, DbErr> {
    let mut facts: HashMap<i64, Facts> = matchings
        .iter()
        .map(|m| {
            let facts = Facts {
                activated_at: m.activated_at.unwrap_or(m.proposed_at),
                ..Facts::default()
            };
            (m.id, facts)
        })
        .collect();
    for ids in matchings.chunks(500) {
        let ids: Vec<i64> = ids.iter().map(|m| m.id).collect();
        for s in tutoring_session::Entity::find()
            .filter(tutoring_session::Column::MatchingId.is_in(ids.clone()))
            .filter(tutoring_session::Column::Status.eq(SessionStatus::Held))
            .all(db)
            .await?
        {
            if let Some(f) = s.matching_id.and_then(|m| facts.get_mut(&m)) {
                f.held.push((s.held_at, s.notes_at));
            }
        }
        for p in plan_item::Entity::find()
            .filter(plan_item::Column::MatchingId.is_in(ids))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&p.matching_id) {
                f.planned_to_date += due_by(&p, now.date_naive());
                f.planned += i64::from(p.sessions.max(0));
            }
        }
    }
    for chunk in matchings.chunks(500) {
        let latest = latest_satisfaction(db, chunk).await?;
        for m in chunk {
            if let Some(f) = facts.get_mut(&m.id) {
                f.satisfaction = latest.get(&m.id).copied();
            }
        }
    }
    Ok(facts)
}

/// For each matching, the learner's satisfaction in their latest identified
/// response since the matching began: the mean of their rating answers, each
/// put on 0–1 with reverse-keyed items turned round. Matchings without such a
/// response are absent. Three queries, however many matchings.
async fn latest_satisfaction(
    db: &impl ConnectionTrait,
    matchings: &[matching::Model],
) -> Result<HashMap<i64, f64>, DbErr> {
    let Some(earliest) = matchings
        .iter()
        .map(|m| m.activated_at.unwrap_or(m.proposed_at))
        .min()
    else {
        return Ok(HashMap::new());
    };
    let responses = response::Entity::find()
        .filter(response::Column::PersonId.is_in(matchings.iter().map(|m| m.learner_id)))
        .filter(response::Column::SubmittedAt.gte(earliest))
        // Only identified campaigns may show one person's answers.
        .filter(
            response::Column::CampaignId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(campaign::Column::Id)
                    .from(campaign::Entity)
                    .and_where(campaign::Column::Anonymity.eq(entities::Anonymity::Identified))
                    .to_owned(),
            ),
        )
        .order_by_desc(response::Column::SubmittedAt)
        .order_by_desc(response::Column::Id)
        .all(db)
        .await?;
    let mut chosen: HashMap<i64, i64> = HashMap::new();
    for m in matchings {
        let since = m.activated_at.unwrap_or(m.proposed_at);
        if let Some(r) = responses
            .iter()
            .find(|r| r.person_id == Some(m.learner_id) && r.submitted_at >= since)
        {
            chosen.insert(m.id, r.id);
        }
    }
    let answers = answer::Entity::find()
        .filter(answer::Column::ResponseId.is_in(chosen.values().copied()))
        .all(db)
        .await?;
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(answers.iter().map(|a| a.item_id)))
        .filter(item::Column::Kind.eq(ItemKind::Likert))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut by_response: HashMap<i64, Vec<f64>> = HashMap::new();
    for a in &answers {
        if let Some(share) = items.get(&a.item_id).and_then(|i| rating_share(i, a)) {
            by_response.entry(a.response_id).or_default().push(share);
        }
    }
    Ok(chosen
        .into_iter()
        .filter_map(|(m, r)| {
            let values = by_response.get(&r)?;
            Some((m, values.iter().sum::<f64>() / values.len() as f64))
        })
        .collect())
}

/// A rating answer on 0–1, reverse-keyed items turned round.
fn rating_share(item: &item::Model, a: &answer::Model) -> Option<f64> {
    let points = f64::from(item.points?);
    let value = a.number_value?;
    if points <= 1.0 {
        return None;
    }
    let share = ((value - 1.0) / (points - 1.0)).clamp(0.0, 1.0);
    Some(if item.reverse_keyed {
        1.0 - share
    } else {
        share
    })
}

/// What a monitoring pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Monitored {
    pub relations: usize,
    pub at_risk: usize,
    pub inactive: usize,
    pub alerts_raised: u64,
    pub digests_sent: usize,
}

/// Checks every active relation at `at` (of `organisation`, or of all),
/// raises each breach once per matching, standard and day, and sends each
/// organisation's coordinators one digest a day listing the relations at
/// risk or inactive.
pub async fn monitor(
    ctx: &Context,
    at: DateTime<Utc>,
    organisation: Option<i64>,
) -> Result<Monitored, JobError> {
    let db = &ctx.db;
    let day = at.date_naive();
    let mut active = matching::Entity::find()
        .filter(matching::Column::Status.eq(MatchingStatus::Active))
        .order_by_asc(matching::Column::Id);
    if let Some(org) = organisation {
        active = active.filter(matching::Column::OrganisationId.eq(org));
    }
    let active = active.all(db).await?;
    let mut rules: HashMap<i64, Vec<Rule>> = HashMap::new();
    for s in standard::Entity::find()
        .filter(standard::Column::ProgrammeId.is_in(active.iter().map(|m| m.programme_id)))
        .all(db)
        .await?
    {
        rules
            .entry(s.programme_id)
            .or_default()
            .push(Rule::from(&s));
    }
    let facts = facts_of(db, &active, at).await?;
    // Alerts of organisations listening for them are raised one by one,
    // each with its event; the others in one statement each.
    let listening = crate::webhooks::organisations_listening(db, EventType::AlertRaised).await?;

    let mut done = Monitored {
        relations: active.len(),
        ..Monitored::default()
    };
    let mut flagged: BTreeMap<i64, Vec<(&matching::Model, Health)>> = BTreeMap::new();
    // Programmes with a new alert, for live subscribers: told once each,
    // when the alerts are all stored.
    let mut alerted = std::collections::BTreeSet::new();
    for m in &active {
        let Some(f) = facts.get(&m.id) else { continue };
        let health = assess(f, rules.get(&m.programme_id).map_or(&[], Vec::as_slice), at);
        match health.status {
            HealthStatus::Healthy => continue,
            HealthStatus::AtRisk => done.at_risk += 1,
            HealthStatus::Inactive => done.inactive += 1,
        }
        for b in &health.breaches {
            let alert = relation_alert::ActiveModel {
                organisation_id: Set(m.organisation_id),
                programme_id: Set(m.programme_id),
                matching_id: Set(m.id),
                standard_id: Set(b.standard_id),
                day: Set(day),
                severity: Set(b.severity),
                message: Set(b.message.clone()),
                created_at: Set(Utc::now()),
                ..Default::default()
            };
            let once = OnConflict::columns([
                relation_alert::Column::MatchingId,
                relation_alert::Column::StandardId,
                relation_alert::Column::Day,
            ])
            .do_nothing()
            .to_owned();
            if !listening.contains(&m.organisation_id) {
                let raised = relation_alert::Entity::insert(alert)
                    .on_conflict(once)
                    .exec_without_returning(db)
                    .await?;
                if raised > 0 {
                    alerted.insert(m.programme_id);
                }
                done.alerts_raised += raised;
                continue;
            }
            let txn = db.begin().await?;
            let raised = relation_alert::Entity::insert(alert)
                .on_conflict(once)
                .exec_with_returning(&txn)
                .await;
            match raised {
                Ok(raised) => {
                    crate::webhooks::record(&txn, &Event::alert_raised(&raised)).await?;
                    done.alerts_raised += 1;
                    alerted.insert(m.programme_id);
                }
                // Raised already today.
                Err(DbErr::RecordNotInserted) => {}
                Err(e) => return Err(e.into()),
            }
            txn.commit().await?;
        }
        flagged
            .entry(m.organisation_id)
            .or_default()
            .push((m, health));
    }

    for programme_id in alerted {
        ctx.live
            .publish(crate::live::Signal::Alert { programme_id })
            .await;
    }
    for (org, relations) in &flagged {
        done.digests_sent += send_digest(ctx, *org, day, relations).await?;
    }
    info!(
        relations = done.relations,
        at_risk = done.at_risk,
        inactive = done.inactive,
        alerts = done.alerts_raised,
        digests = done.digests_sent,
        "relations monitored"
    );
    Ok(done)
}

async fn send_digest(
    ctx: &Context,
    org: i64,
    day: NaiveDate,
    relations: &[(&matching::Model, Health)],
) -> Result<usize, JobError> {
    let db = &ctx.db;
    let coordinators: Vec<i64> = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(org))
        .filter(membership::Column::Role.is_in([Role::Admin, Role::Coordinator]))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let recipients = user_account::Entity::find()
        .filter(user_account::Column::Id.is_in(coordinators))
        .all(db)
        .await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let names: HashMap<i64, String> = person::Entity::find()
        .filter(
            person::Column::Id.is_in(
                relations
                    .iter()
                    .flat_map(|(m, _)| [m.learner_id, m.tutor_id]),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let name = |id: i64| names.get(&id).map_or("(unknown)", String::as_str);

    let mut ordered: Vec<&(&matching::Model, Health)> = relations.iter().collect();
    ordered.sort_by_key(|(m, h)| (std::cmp::Reverse(h.status), m.id));
    let mut text = format!(
        "Tutorial relations needing attention on {day}: {} inactive, {} at risk.\n\n",
        relations
            .iter()
            .filter(|(_, h)| h.status == HealthStatus::Inactive)
            .count(),
        relations
            .iter()
            .filter(|(_, h)| h.status == HealthStatus::AtRisk)
            .count(),
    );
    for (m, health) in ordered {
        let status = match health.status {
            HealthStatus::Inactive => "INACTIVE",
            HealthStatus::AtRisk => "AT RISK",
            HealthStatus::Healthy => "healthy",
        };
        text.push_str(&format!(
            "- {status}: {} with {} (matching {})\n",
            name(m.learner_id),
            name(m.tutor_id),
            m.id
        ));
        for b in &health.breaches {
            text.push_str(&format!("    {}\n", b.message));
        }
    }

    let mut sent = 0;
    for user in recipients {
        let key = format!("relations-digest:{org}:{day}:{}", user.id);
        let subject = format!("Tutorial relations to follow up ({day})");
        let claim = email_message::ActiveModel {
            organisation_id: Set(org),
            key: Set(key.clone()),
            recipient: Set(user.email.clone()),
            subject: Set(subject.clone()),
            status: Set(entities::EmailStatus::Pending),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        let mail = Outgoing {
            key,
            to_name: user.display_name.clone(),
            to_address: user.email.clone(),
            subject,
            text: format!("Hello {},\n\n{text}", user.display_name),
            html: None,
            unsubscribe_url: None,
        };
        let email = crate::delivery::Claimed { claim, mail };
        if send_claimed(ctx, org, email).await? == crate::delivery::Sent::Sent {
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rules() -> Vec<Rule> {
        [
            (StandardKind::FirstContactDays, 7),
            (StandardKind::SessionIntervalDays, 14),
            (StandardKind::NotesWithinHours, 48),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (kind, threshold))| Rule {
            standard_id: i as i64 + 1,
            kind,
            threshold,
            severity: Severity::High,
        })
        .collect()
    }

    #[test]
    fn standards_are_checked_as_they_stand_now() {
        let start = Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).unwrap();
        let mut facts = Facts {
            activated_at: start,
            ..Facts::default()
        };
        let day = |d: i64| start + Duration::days(d);

        // Within the first week nothing is due; after it, the first contact is.
        assert_eq!(
            assess(&facts, &rules(), day(7)).status,
            HealthStatus::Healthy
        );
        let late = assess(&facts, &rules(), day(8));
        assert_eq!(late.status, HealthStatus::Inactive);
        assert_eq!(late.breaches.len(), 1);
        assert_eq!(late.breaches[0].kind, StandardKind::FirstContactDays);

        // A session with notes on day 3 makes it healthy until day 17.
        facts.held.push((day(3), Some(day(3))));
        assert_eq!(
            assess(&facts, &rules(), day(17)).status,
            HealthStatus::Healthy
        );
        let quiet = assess(&facts, &rules(), day(18));
        assert_eq!(quiet.status, HealthStatus::AtRisk);
        assert_eq!(quiet.breaches[0].kind, StandardKind::SessionIntervalDays);
        assert_eq!(
            assess(&facts, &rules(), day(32)).status,
            HealthStatus::Inactive
        );

        // Notes missing for more than 48 hours.
        facts.held.push((day(10), None));
        let h = assess(&facts, &rules(), day(12) + Duration::hours(1));
        assert_eq!(h.status, HealthStatus::AtRisk);
        assert_eq!(h.breaches[0].kind, StandardKind::NotesWithinHours);
        assert_eq!(h.first_contact, Some(day(3)));
        assert_eq!(h.last_contact, Some(day(10)));
        assert_eq!(h.sessions_held, 2);
    }

    #[test]
    fn plan_items_fall_due_one_interval_at_a_time() {
        let item = plan_item::Model {
            id: 1,
            organisation_id: 1,
            matching_id: 1,
            intervention_id: 1,
            starts_on: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            every_days: 7,
            sessions: 3,
        };
        let on = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(due_by(&item, on(8, 31)), 0);
        assert_eq!(due_by(&item, on(9, 1)), 1);
        assert_eq!(due_by(&item, on(9, 7)), 1);
        assert_eq!(due_by(&item, on(9, 8)), 2);
        assert_eq!(due_by(&item, on(12, 1)), 3);
    }
}
