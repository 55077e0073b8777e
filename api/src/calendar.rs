//! iCalendar feeds of upcoming sessions, one per person, at a secret URL
//! that calendar applications can subscribe to without signing in.

use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Response, handler};
use worker::tokens::{TokenKey, hash_token};

use crate::state::AppState;

/// One calendar event.
pub struct Event {
    pub uid: String,
    pub starts: DateTime<Utc>,
    pub minutes: i32,
    pub summary: String,
    /// When the event was created.
    pub stamp: DateTime<Utc>,
}

/// The feed token of a person: derived from the key, so nothing is stored
/// and a new key revokes every feed.
pub fn feed_token(key: &TokenKey, person_id: i64) -> String {
    key.token(&format!("calendar:{person_id}"))
}

/// The path of a person's feed.
pub fn feed_path(key: &TokenKey, person_id: i64) -> String {
    format!("/calendar/{person_id}.{}.ics", feed_token(key, person_id))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded at 75 octets as RFC 5545 asks.
fn line(out: &mut String, text: &str) {
    let mut width = 0;
    for c in text.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Renders events as an iCalendar document.
pub fn render(events: &[Event]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Tutorial programme//Sessions//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", stamp(e.stamp)));
        line(&mut out, &format!("DTSTART:{}", stamp(e.starts)));
        line(
            &mut out,
            &format!(
                "DTEND:{}",
                stamp(e.starts + Duration::minutes(i64::from(e.minutes)))
            ),
        );
        line(&mut out, &format!("SUMMARY:{}", escape(&e.summary)));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .content_type("text/plain")
        .body("no such calendar")
}

/// `GET /calendar/{person}.{token}.ics`
#[handler]
pub async fn feed(Path(name): Path<String>, state: Data<&AppState>) -> Response {
    let Some((person_id, token)) = name
        .strip_suffix(".ics")
        .and_then(|rest| rest.split_once('.'))
        .and_then(|(id, token)| Some((id.parse::<i64>().ok()?, token)))
    else {
        return not_found();
    };
    // Compared as digests, so the comparison time says nothing of the token.
    if hash_token(token) != hash_token(&feed_token(&state.tokens, person_id)) {
        return not_found();
    }
    let Ok(Some(person)) =
        <entities::person::Entity as sea_orm::EntityTrait>::find_by_id(person_id)
            .one(&state.db)
            .await
    else {
        return not_found();
    };
    match crate::running::service::calendar(&state.db, person.organisation_id, &person, Utc::now())
        .await
    {
        Ok(body) => Response::builder()
            .content_type("text/calendar; charset=utf-8")
            .header("cache-control", "private, max-age=300")
            .body(body),
        Err(e) => {
            tracing::error!(error.message = ?e, "calendar feed failed");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/plain")
                .body("internal error")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn events_are_escaped_folded_and_timed_in_utc() {
        let at = Utc.with_ymd_and_hms(2026, 10, 5, 14, 30, 0).unwrap();
        let ics = render(&[Event {
            uid: "session-1@tutorial".into(),
            starts: at,
            minutes: 45,
            summary: format!("Study skills, week 1; with {}", "Ana ".repeat(30)),
            stamp: at,
        }]);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART:20261005T143000Z\r\n"));
        assert!(ics.contains("DTEND:20261005T151500Z\r\n"));
        assert!(ics.contains("SUMMARY:Study skills\\, week 1\\; with Ana"));
        assert!(ics.lines().all(|l| l.len() <= 75));
        assert!(ics.contains("\r\n "), "long lines are folded");
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }
}
