//! Links that show one report version without an account, for people
//! outside the programme (management, funders). A link expires, can be
//! revoked, and records when it was first opened and how often.

use async_graphql::{ID, Object};
use chrono::{DateTime, Duration, Utc};
use entities::{report, report_share};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use worker::tokens::{hash_token, random_token};

use crate::error::{ApiError, ApiResult, Problem};
use crate::ids;
use crate::validate;

/// Longest time a link may stay valid.
pub const MAX_VALIDITY_DAYS: i64 = 366;

/// The path of a shared report, under the public URL.
pub fn path(token: &str) -> String {
    format!("/reports/shared/{token}")
}

/// A new link for a report of the caller's organisation. The token is
/// returned once; only its hash is kept.
pub async fn share(
    db: &DatabaseConnection,
    organisation_id: i64,
    created_by: Option<i64>,
    report_id: i64,
    audience: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<(report_share::Model, String)> {
    let mut problems = Vec::new();
    validate::name(&mut problems, "audience", audience, 200);
    if expires_at <= now {
        problems.push(Problem::field("expiresAt", "must be in the future"));
    } else if expires_at > now + Duration::days(MAX_VALIDITY_DAYS) {
        problems.push(Problem::field(
            "expiresAt",
            format!("must be within {MAX_VALIDITY_DAYS} days"),
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    report::Entity::find_by_id(report_id)
        .filter(report::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("report"))?;
    let token = random_token(24);
    let row = report_share::ActiveModel {
        organisation_id: Set(organisation_id),
        report_id: Set(report_id),
        token_hash: Set(hash_token(&token)),
        audience: Set(audience.trim().to_owned()),
        expires_at: Set(expires_at),
        created_by: Set(created_by),
        created_at: Set(now),
        first_opened_at: Set(None),
        open_count: Set(0),
        revoked_at: Set(None),
        ..Default::default()
    };
    let stored = report_share::Entity::insert(row)
        .exec_with_returning(db)
        .await?;
    Ok((stored, token))
}

/// Ends a link now; revoking twice keeps the first time.
pub async fn revoke(
    db: &DatabaseConnection,
    organisation_id: i64,
    share_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<report_share::Model> {
    report_share::Entity::update_many()
        .col_expr(report_share::Column::RevokedAt, Expr::value(Some(now)))
        .filter(report_share::Column::Id.eq(share_id))
        .filter(report_share::Column::OrganisationId.eq(organisation_id))
        .filter(report_share::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    report_share::Entity::find_by_id(share_id)
        .filter(report_share::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("report share"))
}

/// Where a link stands when someone opens it.
pub enum Opened {
    Report(String),
    Expired,
    Revoked,
    Unknown,
}

/// Why a link cannot open now, if it cannot: revoked or expired links never
/// show their report.
pub fn closed(
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Opened> {
    if revoked_at.is_some() {
        Some(Opened::Revoked)
    } else if now >= expires_at {
        Some(Opened::Expired)
    } else {
        None
    }
}

/// Records one opening of the link with id `id` in `E`'s table: the first
/// opening is kept, every opening counted.
pub async fn count_opening<E: EntityTrait>(
    db: &DatabaseConnection,
    (id, first_opened_at, open_count): (E::Column, E::Column, E::Column),
    link: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    E::update_many()
        .col_expr(
            first_opened_at,
            Func::coalesce([Expr::col(first_opened_at), Expr::value(Some(now))]).into(),
        )
        .col_expr(
            open_count,
            sea_orm::sea_query::ExprTrait::add(Expr::col(open_count), 1),
        )
        .filter(id.eq(link))
        .exec(db)
        .await?;
    Ok(())
}

/// The report HTML behind a token, counting the visit if `counted`.
pub async fn open(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
    counted: bool,
) -> ApiResult<Opened> {
    let Some(share) = report_share::Entity::find()
        .filter(report_share::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(Opened::Unknown);
    };
    if let Some(closed) = closed(share.revoked_at, share.expires_at, now) {
        return Ok(closed);
    }
    let Some(report) = report::Entity::find_by_id(share.report_id).one(db).await? else {
        return Ok(Opened::Unknown);
    };
    if counted {
        use report_share::Column as C;
        let columns = (C::Id, C::FirstOpenedAt, C::OpenCount);
        count_opening::<report_share::Entity>(db, columns, share.id, now).await?;
    }
    Ok(Opened::Report(report.html))
}

/// A link to a report version, as its coordinators see it.
pub struct ReportShare(pub report_share::Model);

/// A link that shows one report version without an account, to people
/// outside the programme. Coordinators and admins manage links.
#[Object]
impl ReportShare {
    /// Global ID of the link, as `revokeReportShare` takes it.
    async fn id(&self) -> ID {
        ids::encode("ReportShare", self.0.id)
    }
    /// Who the link is for.
    async fn audience(&self) -> &str {
        &self.0.audience
    }
    /// When the link stops showing the report (UTC); at most 366 days after
    /// it was made.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// When the link was made (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the report was first opened through the link.
    async fn first_opened_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_opened_at
    }
    /// How many times the link was opened.
    async fn open_count(&self) -> i32 {
        self.0.open_count
    }
    /// When the link was revoked (UTC); null while it is not.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// Whether the link shows the report now.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && Utc::now() < self.0.expires_at
    }
}
