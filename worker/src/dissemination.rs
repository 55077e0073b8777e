//! Dissemination plans: each audience of a plan gets its report version on
//! its date. An `EMAIL_LINK` audience gets one email per member, each with a
//! personal link that expires; a `PUBLIC_LINK` audience one shared link,
//! made once, for a coordinator to post.
//!
//! Members are read when the audience is sent: the organisation's
//! coordinators, tutors or learners as they are then, or the addresses
//! listed with the plan. Each member gets a delivery row (unique per
//! audience and member) before anything is sent, holding the nonce its
//! link's token is derived from; the email goes through the one sending
//! path under the key `dissemination:{audience}:{member}`. A second run,
//! a retry or a second worker therefore sends nothing twice, and an email
//! deferred and sent later carries the same link. An audience is done once
//! every member's email is settled; a plan cannot be cancelled once it has
//! started.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::{
    AudienceKind, DisseminationChannel, EmailStatus, PersonKind, ReportKind, campaign,
    dissemination_audience as audience, dissemination_delivery as delivery,
    dissemination_plan as plan, email_message, person, report, report_share,
};
use futures::StreamExt;
use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::sea_query::{ExprTrait as _, QueryStatementBuilder};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::delivery::{Claimed, Sent, send_claimed_all};
use crate::jobs::{Context, JobError};
use crate::mail::Outgoing;
use crate::templates::{Lang, ReportLinkEmail};
use crate::tokens::{TokenKey, hash_token, random_token, report_link_token};

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Disseminated {
    /// Audiences whose date had come.
    pub audiences: usize,
    pub sent: usize,
    pub failed: usize,
    /// Not sent: the address is on the suppression list.
    pub suppressed: usize,
    /// Not sent for a passing reason; the next run tries again.
    pub deferred: usize,
    /// Public links made.
    pub links: usize,
}

/// One address of a listed audience (management, funders, outside).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// The addresses stored with an audience; none when they do not read.
pub fn recipients(audience: &audience::Model) -> Vec<Recipient> {
    serde_json::from_value(audience.recipients.clone()).unwrap_or_default()
}

/// The key of the email a member of an audience gets.
pub fn email_key(audience_id: i64, member_key: &str) -> String {
    format!("dissemination:{audience_id}:{member_key}")
}

/// The path of a report link, under the public URL.
pub fn link_path(token: &str) -> String {
    format!("/reports/shared/{token}")
}

/// When a link made at `at` for `audience` stops working.
pub fn link_expiry(audience: &audience::Model, at: DateTime<Utc>) -> DateTime<Utc> {
    Ord::max(at, audience.send_at) + Duration::days(i64::from(audience.link_lifetime_days))
}

/// Sends every audience due at `at` of the plans not cancelled, or of one
/// plan only.
pub async fn disseminate(
    ctx: &Context,
    plan_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Disseminated, JobError> {
    let due = Query::select()
        .column(audience::Column::PlanId)
        .from(audience::Entity)
        .and_where(audience::Column::DoneAt.is_null())
        .and_where(audience::Column::SendAt.lte(at))
        .to_owned();
    let mut query = plan::Entity::find()
        .filter(plan::Column::CancelledAt.is_null())
        .filter(plan::Column::Id.in_subquery(due))
        .order_by_asc(plan::Column::Id);
    if let Some(id) = plan_id {
        query = query.filter(plan::Column::Id.eq(id));
    }
    let plans = query.all(&ctx.db).await?;

    let mut total = Disseminated::default();
    for plan in plans {
        let done = send_plan(ctx, &plan, at).await?;
        total.audiences += done.audiences;
        total.sent += done.sent;
        total.failed += done.failed;
        total.suppressed += done.suppressed;
        total.deferred += done.deferred;
        total.links += done.links;
    }
    Ok(total)
}

/// What is sent: the report's title and id in its own table.
struct Target {
    report_id: i64,
    title: String,
}

async fn target(ctx: &Context, plan: &plan::Model) -> Result<Option<Target>, JobError> {
    match plan.report_kind {
        ReportKind::Campaign => {
            let Some(report) = report::Entity::find_by_id(plan.report_id)
                .filter(report::Column::OrganisationId.eq(plan.organisation_id))
                .one(&ctx.db)
                .await?
            else {
                return Ok(None);
            };
            let campaign = campaign::Entity::find_by_id(report.campaign_id)
                .one(&ctx.db)
                .await?
                .map(|c| c.name)
                .unwrap_or_default();
            Ok(Some(Target {
                report_id: report.id,
                title: format!("{campaign}, version {}", report.version),
            }))
        }
        ReportKind::Programme => {
            let Some(report) = entities::programme_report::Entity::find_by_id(plan.report_id)
                .filter(entities::programme_report::Column::OrganisationId.eq(plan.organisation_id))
                .one(&ctx.db)
                .await?
            else {
                return Ok(None);
            };
            let programme = entities::programme::Entity::find_by_id(report.programme_id)
                .one(&ctx.db)
                .await?
                .map(|p| p.name)
                .unwrap_or_default();
            Ok(Some(Target {
                report_id: report.id,
                title: format!(
                    "{programme}, {} to {}, version {}",
                    report.period_from, report.period_to, report.version
                ),
            }))
        }
    }
}

async fn send_plan(
    ctx: &Context,
    plan: &plan::Model,
    at: DateTime<Utc>,
) -> Result<Disseminated, JobError> {
    // Marks the plan started unless it was cancelled meanwhile. Both write
    // the plan's row, so a cancellation and a start never both succeed.
    let started = plan::Entity::update_many()
        .col_expr(
            plan::Column::StartedAt,
            Func::coalesce([
                Expr::col(plan::Column::StartedAt),
                Expr::value(Some(Utc::now())),
            ])
            .into(),
        )
        .filter(plan::Column::Id.eq(plan.id))
        .filter(plan::Column::CancelledAt.is_null())
        .exec(&ctx.db)
        .await?;
    if started.rows_affected == 0 {
        return Ok(Disseminated::default());
    }
    let Some(target) = target(ctx, plan).await? else {
        // The report was deleted with its campaign: nothing left to send.
        warn!(plan_id = plan.id, "the plan's report is gone");
        audience::Entity::update_many()
            .col_expr(audience::Column::DoneAt, Expr::value(Some(Utc::now())))
            .filter(audience::Column::PlanId.eq(plan.id))
            .filter(audience::Column::DoneAt.is_null())
            .exec(&ctx.db)
            .await?;
        return Ok(Disseminated::default());
    };
    let audiences = audience::Entity::find()
        .filter(audience::Column::PlanId.eq(plan.id))
        .filter(audience::Column::DoneAt.is_null())
        .filter(audience::Column::SendAt.lte(at))
        .order_by_asc(audience::Column::Position)
        .all(&ctx.db)
        .await?;

    let mut done = Disseminated::default();
    for a in &audiences {
        done.audiences += 1;
        match a.channel {
            DisseminationChannel::PublicLink => {
                public_link(ctx, plan, a, &target, at).await?;
                done.links += 1;
            }
            DisseminationChannel::EmailLink => {
                let sent = email_audience(ctx, plan, a, &target, at).await?;
                done.sent += sent.sent;
                done.failed += sent.failed;
                done.suppressed += sent.suppressed;
                done.deferred += sent.deferred;
            }
        }
    }
    info!(
        plan_id = plan.id,
        audiences = done.audiences,
        emails_sent = done.sent,
        emails_failed = done.failed,
        emails_suppressed = done.suppressed,
        emails_deferred = done.deferred,
        "dissemination plan sent"
    );
    Ok(done)
}

/// Makes the audience's public link, once: its token comes from the
/// audience's nonce, so a second run finds the share it made.
async fn public_link(
    ctx: &Context,
    plan: &plan::Model,
    a: &audience::Model,
    target: &Target,
    at: DateTime<Utc>,
) -> Result<(), JobError> {
    let token_hash = hash_token(&report_link_token(&ctx.tokens, &a.link_nonce));
    let share = report_share::ActiveModel {
        organisation_id: Set(plan.organisation_id),
        report_id: Set(target.report_id),
        token_hash: Set(token_hash.clone()),
        audience: Set(format!("{} ({})", plan.name, kind_label(a.kind))),
        expires_at: Set(link_expiry(a, at)),
        created_by: Set(plan.created_by),
        created_at: Set(Utc::now()),
        first_opened_at: Set(None),
        open_count: Set(0),
        revoked_at: Set(None),
        ..Default::default()
    };
    report_share::Entity::insert(share)
        .on_conflict(
            OnConflict::column(report_share::Column::TokenHash)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&ctx.db)
        .await?;
    let share = report_share::Entity::find()
        .filter(report_share::Column::TokenHash.eq(token_hash))
        .one(&ctx.db)
        .await?
        .ok_or(JobError::NotFound("report share"))?;
    audience::Entity::update_many()
        .col_expr(audience::Column::ShareId, Expr::value(Some(share.id)))
        .col_expr(audience::Column::DoneAt, Expr::value(Some(Utc::now())))
        .filter(audience::Column::Id.eq(a.id))
        .exec(&ctx.db)
        .await?;
    Ok(())
}

fn kind_label(kind: AudienceKind) -> &'static str {
    match kind {
        AudienceKind::Coordinators => "coordinators",
        AudienceKind::Tutors => "tutors",
        AudienceKind::Learners => "learners",
        AudienceKind::Management => "management",
        AudienceKind::Funders => "funders",
        AudienceKind::Outside => "outside",
    }
}

/// One member of an audience as it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub key: String,
    pub name: String,
    pub address: String,
    pub person_id: Option<i64>,
    pub language: String,
    pub time_zone: String,
}

/// The members of an audience now.
pub async fn members(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    a: &audience::Model,
) -> Result<Vec<Member>, DbErr> {
    let people = |kind: PersonKind| {
        person::Entity::find()
            .filter(person::Column::OrganisationId.eq(organisation_id))
            .filter(person::Column::Kind.eq(kind))
            .filter(person::Column::Email.is_not_null())
            .order_by_asc(person::Column::Id)
    };
    let of_people = |rows: Vec<person::Model>| -> Vec<Member> {
        rows.into_iter()
            .filter_map(|p| {
                Some(Member {
                    key: format!("person:{}", p.id),
                    address: p.email.filter(|e| !e.trim().is_empty())?,
                    name: p.name,
                    person_id: Some(p.id),
                    language: p.language,
                    time_zone: p.time_zone,
                })
            })
            .collect()
    };
    Ok(match a.kind {
        AudienceKind::Tutors => of_people(people(PersonKind::Tutor).all(db).await?),
        AudienceKind::Learners => of_people(people(PersonKind::Learner).all(db).await?),
        AudienceKind::Coordinators => {
            let users = crate::escalation::coordinators(db, organisation_id).await?;
            // A coordinator known as a person of the organisation reads
            // in their own language and time zone.
            let known: HashMap<i64, person::Model> = person::Entity::find()
                .filter(person::Column::OrganisationId.eq(organisation_id))
                .filter(person::Column::UserId.is_in(users.iter().map(|u| u.id)))
                .all(db)
                .await?
                .into_iter()
                .filter_map(|p| Some((p.user_id?, p)))
                .collect();
            users
                .into_iter()
                .map(|u| {
                    let p = known.get(&u.id);
                    Member {
                        key: format!("user:{}", u.id),
                        name: u.display_name,
                        address: u.email,
                        person_id: p.map(|p| p.id),
                        language: p.map_or_else(|| "en".to_owned(), |p| p.language.clone()),
                        time_zone: p.map_or_else(|| "UTC".to_owned(), |p| p.time_zone.clone()),
                    }
                })
                .collect()
        }
        AudienceKind::Management | AudienceKind::Funders | AudienceKind::Outside => {
            let mut seen = std::collections::HashSet::new();
            recipients(a)
                .into_iter()
                .filter_map(|r| {
                    let address = crate::suppression::normalise(&r.email);
                    seen.insert(address.clone()).then(|| Member {
                        key: format!("address:{address}"),
                        name: r.name,
                        address,
                        person_id: None,
                        language: a.language.clone(),
                        time_zone: "UTC".to_owned(),
                    })
                })
                .collect()
        }
    })
}

/// Rows written per statement: each carries a score of parameters.
const INSERT_CHUNK: usize = 200;
/// Emails claimed together, as for invitations.
const BATCH: usize = 16;

/// Records a delivery for each member of the audience not recorded yet,
/// with its link; senders may record the same audience at once.
pub async fn record(
    ctx: &Context,
    plan: &plan::Model,
    a: &audience::Model,
    members: &[Member],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let expires_at = link_expiry(a, at);
    for chunk in members.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|m| {
            let nonce = TokenKey::new_nonce();
            delivery::ActiveModel {
                organisation_id: Set(plan.organisation_id),
                plan_id: Set(plan.id),
                audience_id: Set(a.id),
                member_key: Set(m.key.clone()),
                address: Set(m.address.clone()),
                name: Set(m.name.clone()),
                person_id: Set(m.person_id),
                language: Set(m.language.clone()),
                token_hash: Set(hash_token(&report_link_token(&ctx.tokens, &nonce))),
                token_nonce: Set(nonce),
                email_key: Set(email_key(a.id, &m.key)),
                status: Set(EmailStatus::Pending),
                error: Set(None),
                expires_at: Set(expires_at),
                created_at: Set(now),
                sent_at: Set(None),
                first_opened_at: Set(None),
                open_count: Set(0),
                revoked_at: Set(None),
                ..Default::default()
            }
        });
        // A member already recorded keeps their row, and so their link.
        // The conflict names no index: when two senders record the same
        // member at once, PostgreSQL may see it on either unique index
        // (the member's, or the email key derived from it), and an
        // arbiter on one alone turns the other into an error.
        let inserted = delivery::Entity::insert_many(rows)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(&ctx.db)
            .await;
        match inserted {
            Ok(_) | Err(DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sends each member of an `EMAIL_LINK` audience the email not settled
/// yet, then records what became of each.
async fn email_audience(
    ctx: &Context,
    plan: &plan::Model,
    a: &audience::Model,
    target: &Target,
    at: DateTime<Utc>,
) -> Result<Disseminated, JobError> {
    let members = members(&ctx.db, plan.organisation_id, a).await?;
    let time_zones: HashMap<String, String> = members
        .iter()
        .map(|m| (m.key.clone(), m.time_zone.clone()))
        .collect();
    record(ctx, plan, a, &members, at).await?;

    let owed = delivery::Entity::find()
        .filter(delivery::Column::AudienceId.eq(a.id))
        .filter(delivery::Column::Status.is_in([EmailStatus::Pending, EmailStatus::Deferred]))
        .order_by_asc(delivery::Column::Id)
        .all(&ctx.db)
        .await?;
    let emails: Vec<Claimed> = owed
        .iter()
        .map(|d| {
            let zone = time_zones.get(&d.member_key).map_or("UTC", String::as_str);
            compose(ctx, plan, target, d, zone)
        })
        .collect();
    let results = futures::stream::iter(emails)
        .chunks(BATCH)
        .map(|batch| send_claimed_all(ctx, plan.organisation_id, batch))
        .buffered(2)
        .collect::<Vec<_>>()
        .await;
    let mut done = Disseminated::default();
    for result in results {
        for sent in result? {
            match sent {
                Sent::Sent => done.sent += 1,
                Sent::Failed => done.failed += 1,
                Sent::Suppressed => done.suppressed += 1,
                Sent::Deferred => done.deferred += 1,
                Sent::Elsewhere => {}
            }
        }
    }

    // The email log says what became of each email, whoever sent it: one
    // statement copies it onto the deliveries not settled before.
    let logged = |column: email_message::Column| {
        let select = Query::select()
            .column(column)
            .from(email_message::Entity)
            .and_where(
                Expr::col((email_message::Entity, email_message::Column::Key))
                    .equals((delivery::Entity, delivery::Column::EmailKey)),
            )
            .to_owned();
        Expr::SubQuery(None, Box::new(select.into_sub_query_statement()))
    };
    let has_log = Query::select()
        .expr(Expr::val(1))
        .from(email_message::Entity)
        .and_where(
            Expr::col((email_message::Entity, email_message::Column::Key))
                .equals((delivery::Entity, delivery::Column::EmailKey)),
        )
        .to_owned();
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            logged(email_message::Column::Status),
        )
        .col_expr(
            delivery::Column::Error,
            logged(email_message::Column::Error),
        )
        .col_expr(
            delivery::Column::SentAt,
            logged(email_message::Column::SentAt),
        )
        .filter(delivery::Column::AudienceId.eq(a.id))
        .filter(delivery::Column::Status.is_in([EmailStatus::Pending, EmailStatus::Deferred]))
        .filter(Expr::exists(has_log))
        .exec(&ctx.db)
        .await?;
    let unsettled = delivery::Entity::find()
        .filter(delivery::Column::AudienceId.eq(a.id))
        .filter(delivery::Column::Status.is_in([EmailStatus::Pending, EmailStatus::Deferred]))
        .count(&ctx.db)
        .await?
        > 0;
    if !unsettled {
        audience::Entity::update_many()
            .col_expr(audience::Column::DoneAt, Expr::value(Some(Utc::now())))
            .filter(audience::Column::Id.eq(a.id))
            .exec(&ctx.db)
            .await?;
    }
    Ok(done)
}

/// The email of one delivery, with the log row that claims its key.
fn compose(
    ctx: &Context,
    plan: &plan::Model,
    target: &Target,
    d: &delivery::Model,
    time_zone: &str,
) -> Claimed {
    let token = report_link_token(&ctx.tokens, &d.token_nonce);
    let link = format!("{}{}", ctx.public_url, link_path(&token));
    let letter = ReportLinkEmail {
        lang: Lang::of(&d.language),
        name: &d.name,
        report: &target.title,
        link: &link,
        expires_at: d.expires_at,
        time_zone,
    }
    .render();
    let claim = email_message::ActiveModel {
        organisation_id: Set(plan.organisation_id),
        key: Set(d.email_key.clone()),
        recipient: Set(d.address.clone()),
        subject: Set(letter.subject.clone()),
        status: Set(EmailStatus::Pending),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let mail = Outgoing {
        key: d.email_key.clone(),
        to_name: d.name.clone(),
        to_address: d.address.clone(),
        subject: letter.subject,
        text: letter.text,
        html: Some(letter.html),
        unsubscribe_url: None,
    };
    Claimed { claim, mail }
}

/// A fresh nonce for a new audience's public link.
pub fn new_link_nonce() -> String {
    random_token(16)
}
