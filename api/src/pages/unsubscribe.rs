//! The unsubscribe page behind the link in every invitation and reminder.
//!
//! Opening the link only asks (mail scanners open links too); the button, or
//! a one-click `POST` from the mail client as RFC 8058 describes, stops the
//! reminders of that campaign for that person.

use chrono::Utc;
use entities::{campaign, invitation, person};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::fmt::Write;
use tracing::warn;
use worker::tokens::{hash_token, unsubscribe_token};

use super::{Lang, browser_lang, esc, failure, html, layout, notice};
use crate::state::AppState;

/// The invitation a token stands for, its campaign and the reader's language.
async fn find(
    state: &AppState,
    token: &str,
) -> Result<Option<(invitation::Model, campaign::Model, Lang)>, sea_orm::DbErr> {
    let Some(id) = token
        .split_once('.')
        .and_then(|(id, _)| id.parse::<i64>().ok())
    else {
        return Ok(None);
    };
    let Some(inv) = invitation::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(None);
    };
    // Compared as digests, so the comparison time says nothing of the token.
    let expected = unsubscribe_token(&state.tokens, inv.id, &inv.token_nonce);
    if hash_token(token) != hash_token(&expected) {
        return Ok(None);
    }
    let Some(c) = campaign::Entity::find_by_id(inv.campaign_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let lang = person::Entity::find_by_id(inv.person_id)
        .one(&state.db)
        .await?
        .map_or(Lang::En, |p| Lang::from_tag(&p.language));
    Ok(Some((inv, c, lang)))
}

async fn found_or_page(
    state: &AppState,
    token: &str,
    req: &Request,
) -> Result<(invitation::Model, campaign::Model, Lang), Response> {
    match find(state, token).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => {
            let lang = browser_lang(req);
            let t = lang.texts();
            Err(notice(
                StatusCode::NOT_FOUND,
                lang,
                t.invalid_title,
                t.invalid_text,
            ))
        }
        Err(e) => {
            warn!(error.message = %e, "unsubscribe page not loaded");
            Err(failure(browser_lang(req)))
        }
    }
}

/// GET: asks for confirmation, or says the reminders are already stopped.
#[handler]
pub async fn show(req: &Request, Path(token): Path<String>, state: Data<&AppState>) -> Response {
    let (inv, c, lang) = match found_or_page(&state, &token, req).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let t = lang.texts();
    if inv.opted_out_at.is_some() {
        return notice(
            StatusCode::OK,
            lang,
            t.unsubscribed_title,
            t.unsubscribed_text,
        );
    }
    let mut main = String::new();
    let _ = write!(
        main,
        "<h1>{}</h1><p>{}</p><p><strong>{}</strong></p>\
         <form method=\"post\" action=\"/unsubscribe/{}\"><div class=\"actions\">\
         <button class=\"primary\" type=\"submit\">{}</button></div></form>",
        t.unsubscribe_title,
        t.unsubscribe_text,
        esc(&c.name),
        esc(&token),
        t.unsubscribe_button
    );
    html(StatusCode::OK, layout(lang, t.unsubscribe_title, &main))
}

/// POST: stops the reminders; repeating it changes nothing.
#[handler]
pub async fn confirm(req: &Request, Path(token): Path<String>, state: Data<&AppState>) -> Response {
    let (inv, _, lang) = match found_or_page(&state, &token, req).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let stopped = invitation::Entity::update_many()
        .col_expr(
            invitation::Column::OptedOutAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::OptedOutAt.is_null())
        .exec(&state.db)
        .await;
    if let Err(e) = stopped {
        warn!(error.message = %e, "opt-out not recorded");
        return failure(lang);
    }
    let t = lang.texts();
    notice(
        StatusCode::OK,
        lang,
        t.unsubscribed_title,
        t.unsubscribed_text,
    )
}
