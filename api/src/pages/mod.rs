//! Pages people open from an email, without an account and without
//! JavaScript: the questionnaire form, the unsubscribe page, shared
//! reports and the password reset form. Everything is rendered on the server; every piece of user text
//! goes through [`esc`].

mod lang;
pub mod reset_password;
pub mod respond;
pub mod shared_report;
pub mod unsubscribe;

use poem::http::StatusCode;
use poem::{Body, Request, Response};
use std::fmt::Write;

pub use lang::Lang;
pub use worker::report::escape as esc;

/// Largest form body accepted: every free-text answer at its longest fits.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// No scripts, no outside resources, no framing; forms post back here only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// An HTML page with the headers every page carries. The URLs hold secret
/// tokens: nothing is cached and no referrer leaves the page.
pub fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header("content-security-policy", CSP)
        .header("referrer-policy", "no-referrer")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .header("x-frame-options", "DENY")
        .body(body)
}

/// A 303 to `location`, so that reloading the next page posts nothing again.
pub fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("location", location)
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .finish()
}

/// A whole page: `title` is plain text, `main` is HTML already escaped.
pub fn layout(lang: Lang, title: &str, main: &str) -> String {
    let mut h = String::with_capacity(main.len() + 4096);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{CSS}</style></head><body><main id=\"main\">{main}</main></body></html>\n",
        lang.tag(),
        esc(title),
    );
    h
}

/// A page that only explains where a link stands.
pub fn notice(status: StatusCode, lang: Lang, title: &str, text: &str) -> Response {
    let main = format!("<h1>{}</h1><p>{}</p>", esc(title), esc(text));
    html(status, layout(lang, title, &main))
}

/// The page shown when something failed on our side.
pub fn failure(lang: Lang) -> Response {
    let t = lang.texts();
    notice(
        StatusCode::INTERNAL_SERVER_ERROR,
        lang,
        t.failure_title,
        t.failure_text,
    )
}

/// The language a browser asks for, for pages shown before we know who is
/// reading.
pub fn browser_lang(req: &Request) -> Lang {
    Lang::from_accept_language(req.header("accept-language").unwrap_or_default())
}

/// Reads an `application/x-www-form-urlencoded` body as its pairs, in
/// order, or says with which status it cannot be read.
pub async fn form_pairs(req: &Request, body: Body) -> Result<Vec<(String, String)>, StatusCode> {
    let content_type = req.header("content-type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let bytes = body
        .into_bytes_limit(MAX_FORM_BYTES)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?;
    serde_urlencoded::from_bytes(&bytes).map_err(|_| StatusCode::BAD_REQUEST)
}

/// Shared by every page: readable on a phone, large targets, visible focus,
/// and a print layout.
const CSS: &str = "*,*::before,*::after{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%}\
body{overflow-wrap:anywhere;margin:0;font:17px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;background:#fff}\
main{max-width:42rem;margin:0 auto;padding:1rem 1rem 3rem}\
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}\
a{color:#0b5394}\
.lead{color:#444}\
fieldset,.field{border:0;margin:0 0 1.75rem;padding:0}\
legend,.field>label{display:block;font-weight:600;margin-bottom:.5rem;padding:0}\
.req{font-weight:400;color:#555}\
.hint{display:block;color:#555;font-size:.95rem;margin:-.25rem 0 .5rem}\
.choices{display:flex;flex-wrap:wrap;gap:.5rem}\
.choices label{display:flex;align-items:center;gap:.5rem;min-height:44px;padding:.4rem .75rem;\
border:1px solid #8a8a8a;border-radius:6px;cursor:pointer;background:#fff}\
.choices.scale{display:grid;grid-template-columns:repeat(auto-fit,minmax(3.25rem,1fr))}\
.choices.scale label{justify-content:center;flex-direction:column;gap:.15rem;text-align:center}\
.choices.list{flex-direction:column}\
input[type=radio],input[type=checkbox]{flex-shrink:0;width:1.25rem;height:1.25rem;margin:0;accent-color:#0b5394}\
.likert .point{font-weight:600;min-width:1ch}\
input[type=text],input[type=password],textarea{width:100%;font:inherit;padding:.5rem;border:1px solid #6b6b6b;border-radius:6px}\
input[type=text]{max-width:12rem}\
input[type=password]{max-width:24rem}\
textarea{min-height:7rem}\
:focus-visible{outline:3px solid #fd0;outline-offset:2px;box-shadow:0 0 0 5px #1b1b1b}\
.choices label:focus-within{outline:3px solid #fd0;box-shadow:0 0 0 5px #1b1b1b}\
.error{color:#a4161a;font-weight:600;margin:0 0 .5rem}\
.invalid input[type=text],.invalid input[type=password],.invalid textarea,.invalid .choices label{border-color:#a4161a;border-width:2px}\
.summary{border:3px solid #a4161a;padding:1rem;margin:0 0 1.5rem}\
.summary h2{margin-top:0;font-size:1.2rem}\
.saved{border-left:6px solid #1d6b3a;background:#eef6f0;padding:.75rem 1rem;margin:0 0 1.5rem}\
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:2rem 0 1.5rem}\
button{font:inherit;font-weight:600;min-height:48px;padding:.6rem 1.25rem;border-radius:6px;cursor:pointer}\
button.primary{background:#0b5394;color:#fff;border:2px solid #0b5394}\
button.secondary{background:#fff;color:#0b5394;border:2px solid #0b5394}\
@media (min-width:40rem){h1{font-size:2rem}}\
@media print{.actions{display:none}main{max-width:none}}";
