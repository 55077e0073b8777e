//! Dissemination plans: checking and storing them, cancelling one before
//! it starts, sending one now, and opening a personal link.

use chrono::{DateTime, Duration, Utc};
use entities::{
    AudienceKind, DisseminationChannel, ReportKind, dissemination_audience as audience,
    dissemination_delivery as delivery, dissemination_plan as plan, report, report_share,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use worker::dissemination::{Recipient, new_link_nonce};
use worker::tokens::hash_token;

use crate::campaigns::shares::{self, Opened};
use crate::error::{ApiError, ApiResult, Problem};
use crate::validate;

/// Audiences a plan may have.
pub const MAX_AUDIENCES: usize = 20;
/// Addresses one audience may list.
pub const MAX_RECIPIENTS: usize = 1_000;
/// Days a link may stay valid.
pub const LIFETIME_DAYS: std::ops::RangeInclusive<i32> = 1..=365;
/// How far in the past a date may be given, for a clock slightly behind.
pub const PAST_GRACE_MINUTES: i64 = 5;
/// How far ahead a date may be given.
pub const AHEAD_DAYS: i64 = 2 * 365;

/// A plan as asked for, before it is checked.
pub struct NewPlan {
    pub name: String,
    pub report_kind: ReportKind,
    pub report_id: i64,
    pub audiences: Vec<NewAudience>,
}

pub struct NewAudience {
    pub kind: AudienceKind,
    pub channel: DisseminationChannel,
    pub send_at: DateTime<Utc>,
    pub link_lifetime_days: i32,
    pub language: String,
    pub recipients: Vec<Recipient>,
}

/// Everything wrong with a plan that can be told without the database.
pub fn check(new: &NewPlan, now: DateTime<Utc>) -> Vec<Problem> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "name", &new.name, validate::NAME);
    if new.audiences.is_empty() {
        problems.push(Problem::field("audiences", "give at least one audience"));
    } else if new.audiences.len() > MAX_AUDIENCES {
        problems.push(Problem::field(
            "audiences",
            format!("at most {MAX_AUDIENCES} audiences"),
        ));
    }
    for (i, a) in new.audiences.iter().enumerate() {
        check_audience(&mut problems, i, a, now);
    }
    problems
}

fn check_audience(problems: &mut Vec<Problem>, i: usize, a: &NewAudience, now: DateTime<Utc>) {
    let at = |field: &str| format!("audiences[{i}].{field}");
    if a.send_at < now - Duration::minutes(PAST_GRACE_MINUTES) {
        problems.push(Problem::field(at("sendAt"), "is in the past"));
    } else if a.send_at > now + Duration::days(AHEAD_DAYS) {
        problems.push(Problem::field(
            at("sendAt"),
            format!("must be within {AHEAD_DAYS} days"),
        ));
    }
    if !LIFETIME_DAYS.contains(&a.link_lifetime_days) {
        problems.push(Problem::field(
            at("linkLifetimeDays"),
            format!(
                "must be from {} to {} days",
                LIFETIME_DAYS.start(),
                LIFETIME_DAYS.end()
            ),
        ));
    }
    validate::language(problems, &at("language"), &a.language);

    let listed = a.kind.is_address_list() && a.channel == DisseminationChannel::EmailLink;
    if !listed {
        if !a.recipients.is_empty() {
            let why = if a.channel == DisseminationChannel::PublicLink {
                "a public link is posted, not emailed: give no addresses"
            } else {
                "the organisation's people are found when it is sent: give no addresses"
            };
            problems.push(Problem::field(at("recipients"), why));
        }
        return;
    }
    if a.recipients.is_empty() {
        problems.push(Problem::field(
            at("recipients"),
            "give at least one address",
        ));
    } else if a.recipients.len() > MAX_RECIPIENTS {
        problems.push(Problem::field(
            at("recipients"),
            format!("at most {MAX_RECIPIENTS} addresses"),
        ));
    }
    for (j, r) in a.recipients.iter().enumerate() {
        let field = |f: &str| format!("audiences[{i}].recipients[{j}].{f}");
        if !crate::auth::valid_email(r.email.trim()) {
            problems.push(Problem::field(field("email"), "is not an email address"));
        }
        validate::name(problems, &field("name"), &r.name, validate::NAME);
    }
}

/// Checks and stores a plan of the caller's organisation. The report must
/// be one of the organisation's; anything else is refused as bad input.
pub async fn create(
    db: &DatabaseConnection,
    organisation_id: i64,
    created_by: Option<i64>,
    new: NewPlan,
    now: DateTime<Utc>,
) -> ApiResult<(plan::Model, Vec<audience::Model>)> {
    let mut problems = check(&new, now);
    let found = match new.report_kind {
        ReportKind::Campaign => report::Entity::find_by_id(new.report_id)
            .filter(report::Column::OrganisationId.eq(organisation_id))
            .one(db)
            .await?
            .is_some(),
        ReportKind::Programme => entities::programme_report::Entity::find_by_id(new.report_id)
            .filter(entities::programme_report::Column::OrganisationId.eq(organisation_id))
            .one(db)
            .await?
            .is_some(),
    };
    if new.report_kind == ReportKind::Programme {
        for (i, a) in new.audiences.iter().enumerate() {
            if a.channel == DisseminationChannel::PublicLink {
                problems.push(Problem::field(
                    format!("audiences[{i}].channel"),
                    "a programme report goes by personal links only",
                ));
            }
        }
    }
    if !found {
        problems.insert(
            0,
            Problem::field("reportId", "is not a report of your organisation"),
        );
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }

    let txn = db.begin().await?;
    let stored = plan::Entity::insert(plan::ActiveModel {
        organisation_id: Set(organisation_id),
        name: Set(new.name.trim().to_owned()),
        report_kind: Set(new.report_kind),
        report_id: Set(new.report_id),
        created_by: Set(created_by),
        created_at: Set(now),
        started_at: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let mut audiences = Vec::with_capacity(new.audiences.len());
    for (position, a) in new.audiences.into_iter().enumerate() {
        let recipients: Vec<Recipient> = a
            .recipients
            .into_iter()
            .map(|r| Recipient {
                name: r.name.trim().to_owned(),
                email: worker::suppression::normalise(&r.email),
            })
            .collect();
        let row = audience::ActiveModel {
            plan_id: Set(stored.id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            kind: Set(a.kind),
            channel: Set(a.channel),
            send_at: Set(a.send_at),
            link_lifetime_days: Set(a.link_lifetime_days),
            language: Set(a.language),
            recipients: Set(serde_json::to_value(recipients).map_err(ApiError::internal)?),
            link_nonce: Set(new_link_nonce()),
            share_id: Set(None),
            done_at: Set(None),
            ..Default::default()
        };
        audiences.push(
            audience::Entity::insert(row)
                .exec_with_returning(&txn)
                .await?,
        );
    }
    txn.commit().await?;
    Ok((stored, audiences))
}

/// A plan of the organisation, or NOT_FOUND.
pub async fn find(
    db: &DatabaseConnection,
    organisation_id: i64,
    plan_id: i64,
) -> ApiResult<plan::Model> {
    plan::Entity::find_by_id(plan_id)
        .filter(plan::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("dissemination plan"))
}

/// Cancels a plan that has not started; cancelling twice keeps the first
/// time. A plan started is CONFLICT: its emails are out.
pub async fn cancel(
    db: &DatabaseConnection,
    organisation_id: i64,
    plan_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<plan::Model> {
    // One statement on the plan's row, which the worker's start writes
    // too: of the two, one wins.
    plan::Entity::update_many()
        .col_expr(plan::Column::CancelledAt, Expr::value(Some(now)))
        .filter(plan::Column::Id.eq(plan_id))
        .filter(plan::Column::OrganisationId.eq(organisation_id))
        .filter(plan::Column::StartedAt.is_null())
        .filter(plan::Column::CancelledAt.is_null())
        .exec(db)
        .await?;
    let found = find(db, organisation_id, plan_id).await?;
    if found.cancelled_at.is_none() {
        return Err(ApiError::Conflict(
            "the plan has started sending and cannot be cancelled".into(),
        ));
    }
    Ok(found)
}

/// Brings the audiences of a plan not sent yet forward to `now`. A
/// cancelled plan is CONFLICT.
pub async fn bring_forward(
    db: &DatabaseConnection,
    organisation_id: i64,
    plan_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<plan::Model> {
    let found = find(db, organisation_id, plan_id).await?;
    if found.cancelled_at.is_some() {
        return Err(ApiError::Conflict("the plan was cancelled".into()));
    }
    audience::Entity::update_many()
        .col_expr(audience::Column::SendAt, Expr::value(now))
        .filter(audience::Column::PlanId.eq(plan_id))
        .filter(audience::Column::DoneAt.is_null())
        .filter(audience::Column::SendAt.gt(now))
        .exec(db)
        .await?;
    Ok(found)
}

/// Ends every link a plan has given out: the personal links of its
/// emails and its public links. A plan not started is CONFLICT: cancel it.
pub async fn revoke_links(
    db: &DatabaseConnection,
    organisation_id: i64,
    plan_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<plan::Model> {
    let found = find(db, organisation_id, plan_id).await?;
    if found.started_at.is_none() {
        return Err(ApiError::Conflict(
            "the plan has not sent anything: cancel it instead".into(),
        ));
    }
    let txn = db.begin().await?;
    delivery::Entity::update_many()
        .col_expr(delivery::Column::RevokedAt, Expr::value(Some(now)))
        .filter(delivery::Column::PlanId.eq(plan_id))
        .filter(delivery::Column::OrganisationId.eq(organisation_id))
        .filter(delivery::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let shares = sea_orm::sea_query::Query::select()
        .column(audience::Column::ShareId)
        .from(audience::Entity)
        .and_where(audience::Column::PlanId.eq(plan_id))
        .and_where(audience::Column::ShareId.is_not_null())
        .to_owned();
    report_share::Entity::update_many()
        .col_expr(report_share::Column::RevokedAt, Expr::value(Some(now)))
        .filter(report_share::Column::Id.in_subquery(shares))
        .filter(report_share::Column::OrganisationId.eq(organisation_id))
        .filter(report_share::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(found)
}

/// The report behind a personal link, counting the visit if `counted`:
/// the first opening is kept, every opening counted.
pub async fn open(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
    counted: bool,
) -> ApiResult<Opened> {
    let Some(d) = delivery::Entity::find()
        .filter(delivery::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(Opened::Unknown);
    };
    if let Some(closed) = shares::closed(d.revoked_at, d.expires_at, now) {
        return Ok(closed);
    }
    let Some(p) = plan::Entity::find_by_id(d.plan_id).one(db).await? else {
        return Ok(Opened::Unknown);
    };
    let html = match p.report_kind {
        ReportKind::Campaign => report::Entity::find_by_id(p.report_id)
            .filter(report::Column::OrganisationId.eq(p.organisation_id))
            .one(db)
            .await?
            .map(|r| r.html),
        ReportKind::Programme => entities::programme_report::Entity::find_by_id(p.report_id)
            .filter(entities::programme_report::Column::OrganisationId.eq(p.organisation_id))
            .one(db)
            .await?
            .map(|r| r.html),
    };
    let Some(html) = html else {
        return Ok(Opened::Unknown);
    };
    if counted {
        use delivery::Column as C;
        let columns = (C::Id, C::FirstOpenedAt, C::OpenCount);
        shares::count_opening::<delivery::Entity>(db, columns, d.id, now).await?;
    }
    Ok(Opened::Report(html))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn audience(kind: AudienceKind, channel: DisseminationChannel) -> NewAudience {
        NewAudience {
            kind,
            channel,
            send_at: now() + Duration::days(1),
            link_lifetime_days: 30,
            language: "en".into(),
            recipients: Vec::new(),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap()
    }

    fn fields(new: &NewPlan) -> Vec<String> {
        check(new, now())
            .into_iter()
            .filter_map(|p| p.field)
            .collect()
    }

    #[test]
    fn a_plan_of_people_and_a_public_link_is_accepted() {
        let new = NewPlan {
            report_kind: ReportKind::Campaign,
            name: "Autumn results".into(),
            report_id: 1,
            audiences: vec![
                audience(AudienceKind::Tutors, DisseminationChannel::EmailLink),
                audience(AudienceKind::Funders, DisseminationChannel::PublicLink),
            ],
        };

        assert!(fields(&new).is_empty());
    }

    #[test]
    fn every_problem_is_named_after_its_field() {
        let mut past = audience(AudienceKind::Learners, DisseminationChannel::EmailLink);
        past.send_at = now() - Duration::hours(1);
        past.link_lifetime_days = 0;
        past.recipients = vec![Recipient {
            name: "X".into(),
            email: "x@org.test".into(),
        }];
        let mut listed = audience(AudienceKind::Outside, DisseminationChannel::EmailLink);
        listed.link_lifetime_days = 366;
        listed.language = "French".into();
        listed.recipients = vec![
            Recipient {
                name: "Board".into(),
                email: "board@org.test".into(),
            },
            Recipient {
                name: " ".into(),
                email: "not an address".into(),
            },
        ];
        let empty_list = audience(AudienceKind::Management, DisseminationChannel::EmailLink);
        let new = NewPlan {
            report_kind: ReportKind::Campaign,
            name: "".into(),
            report_id: 1,
            audiences: vec![past, listed, empty_list],
        };

        assert_eq!(
            fields(&new),
            [
                "name",
                "audiences[0].sendAt",
                "audiences[0].linkLifetimeDays",
                "audiences[0].recipients",
                "audiences[1].linkLifetimeDays",
                "audiences[1].language",
                "audiences[1].recipients[1].email",
                "audiences[1].recipients[1].name",
                "audiences[2].recipients",
            ]
        );
    }

    #[test]
    fn a_plan_needs_an_audience() {
        let new = NewPlan {
            report_kind: ReportKind::Campaign,
            name: "Nobody".into(),
            report_id: 1,
            audiences: Vec::new(),
        };

        assert_eq!(fields(&new), ["audiences"]);
    }
}
