//! A report opened through a shared link, or through the personal link of
//! a dissemination plan's email.

use chrono::Utc;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use tracing::warn;

use super::{browser_lang, failure, html, notice};
use crate::campaigns::shares::{self, Opened};
use crate::dissemination;
use crate::state::AppState;

/// GET: the report, counted as an opening.
#[handler]
pub async fn show(req: &Request, Path(token): Path<String>, state: Data<&AppState>) -> Response {
    page(req, &token, &state, true).await
}

/// HEAD, as link checkers send: the same answer, not counted.
#[handler]
pub async fn peek(req: &Request, Path(token): Path<String>, state: Data<&AppState>) -> Response {
    page(req, &token, &state, false).await
}

async fn page(req: &Request, token: &str, state: &AppState, counted: bool) -> Response {
    let lang = browser_lang(req);
    let t = lang.texts();
    let now = Utc::now();
    // A shared link, or else the personal link of a dissemination plan.
    let opened = match shares::open(&state.db, token, now, counted).await {
        Ok(Opened::Unknown) => dissemination::service::open(&state.db, token, now, counted).await,
        other => other,
    };
    match opened {
        Ok(Opened::Report(page)) => html(StatusCode::OK, page),
        Ok(Opened::Expired) => notice(
            StatusCode::GONE,
            lang,
            t.report_expired_title,
            t.report_expired_text,
        ),
        Ok(Opened::Revoked) => notice(
            StatusCode::GONE,
            lang,
            t.report_revoked_title,
            t.report_revoked_text,
        ),
        Ok(Opened::Unknown) => notice(StatusCode::NOT_FOUND, lang, t.invalid_title, t.invalid_text),
        Err(e) => {
            warn!(error = ?e, "shared report not loaded");
            failure(lang)
        }
    }
}
