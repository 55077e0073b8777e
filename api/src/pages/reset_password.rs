//! The page behind the link of a password reset email: a form for the new
//! password. Opening the link changes nothing (mail scanners open links
//! too); posting the form sets the password, once, as `resetPassword` does.

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use std::fmt::Write;
use tracing::warn;

use super::{Lang, browser_lang, esc, failure, form_pairs, html, layout, notice};
use crate::auth::{MIN_PASSWORD, password_reset};
use crate::error::ApiError;
use crate::state::AppState;

/// The page's wording.
struct Wording {
    title: &'static str,
    label: &'static str,
    button: &'static str,
    too_short: &'static str,
    done_title: &'static str,
    done_text: &'static str,
    invalid_title: &'static str,
    invalid_text: &'static str,
}

fn wording(lang: Lang) -> Wording {
    match lang {
        Lang::En => Wording {
            title: "Choose a new password",
            label: "New password (at least 10 characters)",
            button: "Set the password",
            too_short: "The password needs at least 10 characters.",
            done_title: "Your password is set",
            done_text: "Sign in with it. Every device that was signed in has been signed out.",
            invalid_title: "This link does not work",
            invalid_text: "It was used already, or it has expired. Ask for a new one where you sign in.",
        },
        Lang::Fr => Wording {
            title: "Choisir un nouveau mot de passe",
            label: "Nouveau mot de passe (au moins 10 caractères)",
            button: "Enregistrer le mot de passe",
            too_short: "Le mot de passe doit compter au moins 10 caractères.",
            done_title: "Votre mot de passe est enregistré",
            done_text: "Connectez-vous avec lui. Tous les appareils connectés ont été déconnectés.",
            invalid_title: "Ce lien ne fonctionne pas",
            invalid_text: "Il a déjà servi, ou il a expiré. Demandez-en un nouveau là où vous vous connectez.",
        },
    }
}

fn form(lang: Lang, token: &str, error: Option<&str>) -> Response {
    let w = wording(lang);
    let mut main = String::new();
    let _ = write!(main, "<h1>{}</h1>", w.title);
    if let Some(error) = error {
        let _ = write!(
            main,
            "<div class=\"summary\" role=\"alert\"><p class=\"error\">{}</p></div>",
            esc(error)
        );
    }
    let invalid = if error.is_some() { " invalid" } else { "" };
    let _ = write!(
        main,
        "<form method=\"post\" action=\"/reset-password/{token}\">\
         <div class=\"field{invalid}\"><label for=\"password\">{label}</label>\
         <input type=\"password\" id=\"password\" name=\"password\" required \
         minlength=\"{MIN_PASSWORD}\" autocomplete=\"new-password\"></div>\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\">{button}</button></div>\
         </form>",
        token = esc(token),
        label = w.label,
        button = w.button,
    );
    html(StatusCode::OK, layout(lang, w.title, &main))
}

fn invalid(lang: Lang) -> Response {
    let w = wording(lang);
    notice(StatusCode::NOT_FOUND, lang, w.invalid_title, w.invalid_text)
}

/// GET: the form, if the link still works.
#[handler]
pub async fn show(req: &Request, Path(token): Path<String>, state: Data<&AppState>) -> Response {
    let lang = browser_lang(req);
    match password_reset::usable(&state.db, &token).await {
        Ok(true) => form(lang, &token, None),
        Ok(false) => invalid(lang),
        Err(e) => {
            warn!(error = ?e, "reset page not loaded");
            failure(lang)
        }
    }
}

/// POST: sets the password.
#[handler]
pub async fn post(
    req: &Request,
    Path(token): Path<String>,
    body: Body,
    state: Data<&AppState>,
) -> Response {
    let lang = browser_lang(req);
    let pairs = match form_pairs(req, body).await {
        Ok(pairs) => pairs,
        Err(status) => return Response::builder().status(status).finish(),
    };
    let password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let w = wording(lang);
    match password_reset::reset(&state, &token, password).await {
        Ok(_) => notice(StatusCode::OK, lang, w.done_title, w.done_text),
        Err(ApiError::BadInput(..)) => form(lang, &token, Some(w.too_short)),
        Err(ApiError::InvalidToken) => invalid(lang),
        Err(e) => {
            warn!(error = ?e, "password not reset");
            failure(lang)
        }
    }
}
