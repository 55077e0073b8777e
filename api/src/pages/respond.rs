//! The questionnaire page behind an invitation link: a plain HTML form that
//! can be saved as a draft, completed later and submitted once.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use entities::{ItemKind, campaign, invitation, item, person, questionnaire};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, handler};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use tracing::warn;
use worker::results::Value;

use super::{Lang, browser_lang, esc, failure, form_pairs, html, layout, notice, see_other};
use crate::campaigns::answers;
use crate::campaigns::service::{self, Draft, DraftValue, RawAnswer, Status};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Everything a visit to the link needs.
struct Visit {
    invitation: invitation::Model,
    campaign: campaign::Model,
    questionnaire: questionnaire::Model,
    items: Vec<item::Model>,
    lang: Lang,
}

async fn visit(state: &AppState, token: &str) -> ApiResult<Visit> {
    let db = &state.db;
    let invitation = service::invitation_for_token(db, token).await?;
    let campaign = campaign::Entity::find_by_id(invitation.campaign_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    let questionnaire = questionnaire::Entity::find_by_id(campaign.questionnaire_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("questionnaire"))?;
    let items = item::Entity::find()
        .filter(item::Column::QuestionnaireId.eq(questionnaire.id))
        .order_by_asc(item::Column::Position)
        .order_by_asc(item::Column::Id)
        .all(db)
        .await?;
    let lang = person::Entity::find_by_id(invitation.person_id)
        .one(db)
        .await?
        .map_or(Lang::En, |p| Lang::from_tag(&p.language));
    Ok(Visit {
        invitation,
        campaign,
        questionnaire,
        items,
        lang,
    })
}

/// Loads the visit, or the page that explains why there is none.
async fn visit_or_page(state: &AppState, token: &str, req: &Request) -> Result<Visit, Response> {
    match visit(state, token).await {
        Ok(v) => Ok(v),
        Err(ApiError::NotFound(_)) => {
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
            warn!(error = ?e, "questionnaire page not loaded");
            Err(failure(browser_lang(req)))
        }
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The page for a link that cannot take answers now, if so.
fn standing(v: &Visit, just_done: bool, posting: bool, now: DateTime<Utc>) -> Option<Response> {
    let (lang, t) = (v.lang, v.lang.texts());
    if let Some(at) = v.invitation.responded_at {
        return Some(if just_done {
            notice(StatusCode::OK, lang, t.thanks_title, t.thanks_text)
        } else {
            let text = format!("{} {}.", t.used_text, when(at));
            notice(StatusCode::OK, lang, t.used_title, &text)
        });
    }
    match service::status(&v.campaign, now) {
        Status::Open => None,
        Status::Closed => {
            let text = format!("{} {}.", t.closed_text, when(v.campaign.closes_at));
            Some(notice(StatusCode::GONE, lang, t.closed_title, &text))
        }
        Status::Draft | Status::Scheduled => {
            let text = format!(
                "{} {}. {}",
                t.not_open_text,
                when(v.campaign.opens_at),
                t.not_open_later
            );
            let status = if posting {
                StatusCode::CONFLICT
            } else {
                StatusCode::OK
            };
            Some(notice(status, lang, t.not_open_title, &text))
        }
    }
}

#[derive(Deserialize)]
pub struct Flags {
    /// Set after a successful submission: the thank-you page.
    done: Option<String>,
    /// Set after saving a draft: a confirmation above the form.
    saved: Option<String>,
}

/// GET: the form, filled with the saved draft if any.
#[handler]
pub async fn show(
    req: &Request,
    Path(token): Path<String>,
    Query(flags): Query<Flags>,
    state: Data<&AppState>,
) -> Response {
    let v = match visit_or_page(&state, &token, req).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    if let Some(page) = standing(&v, flags.done.is_some(), false, Utc::now()) {
        return page;
    }
    let (typed, saved_at) = match service::draft_of(&state.db, v.invitation.id).await {
        Ok(Some((draft, at))) => (from_draft(&v.items, draft), Some(at)),
        Ok(None) => (HashMap::new(), None),
        Err(e) => {
            warn!(error = ?e, "draft not loaded");
            return failure(v.lang);
        }
    };
    let banner = saved_at.filter(|_| flags.saved.is_some());
    html(
        StatusCode::OK,
        form_page(&v, &token, &typed, &HashMap::new(), banner),
    )
}

/// POST: saves a draft, or checks and submits the answers.
#[handler]
pub async fn post(
    req: &Request,
    Path(token): Path<String>,
    body: Body,
    state: Data<&AppState>,
) -> Response {
    let v = match visit_or_page(&state, &token, req).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let now = Utc::now();
    if let Some(page) = standing(&v, false, true, now) {
        return page;
    }
    let t = v.lang.texts();
    let pairs = match form_pairs(req, body).await {
        Ok(pairs) => pairs,
        Err(status) => return notice(status, v.lang, t.form_title, t.form_unreadable),
    };
    let (saving, typed) = read_form(&v.items, pairs);
    let path = format!("/respond/{token}");

    if saving {
        return match service::save_draft(&state.db, &token, to_draft(&v.items, &typed), now).await {
            Ok(_) => see_other(&format!("{path}?saved=1")),
            Err(ApiError::BadInput(_, problems)) => {
                // Only a value too long or too many choices get here.
                let errors = problems
                    .iter()
                    .filter_map(|p| {
                        let item = v.items.iter().find(|i| Some(&i.code) == p.field.as_ref())?;
                        let message = match typed.get(&item.id) {
                            Some(DraftValue::Many(_)) => t.not_an_option.to_owned(),
                            _ => v.lang.answer_error(&answers::AnswerError::TooLong),
                        };
                        Some((item.id, message))
                    })
                    .collect();
                let page = form_page(&v, &token, &typed, &errors, None);
                html(StatusCode::UNPROCESSABLE_ENTITY, page)
            }
            Err(e) => after_refusal(&state, &token, req, e).await,
        };
    }

    let (raw, errors) = to_answers(&v.items, &typed, v.lang);
    if !errors.is_empty() {
        let page = form_page(&v, &token, &typed, &errors, None);
        return html(StatusCode::UNPROCESSABLE_ENTITY, page);
    }
    match service::submit(&state, &token, raw, now).await {
        Ok(_) => see_other(&format!("{path}?done=1")),
        Err(e) => after_refusal(&state, &token, req, e).await,
    }
}

/// After the service refused: the link's standing changed in between (it was
/// used or closed), or something failed.
async fn after_refusal(state: &AppState, token: &str, req: &Request, e: ApiError) -> Response {
    if let ApiError::Conflict(_) = e
        && let Ok(v) = visit(state, token).await
        && let Some(page) = standing(&v, false, true, Utc::now())
    {
        return page;
    }
    warn!(error = ?e, "questionnaire page refused");
    failure(browser_lang(req))
}

/// The form's fields by item id, and whether the person asked to save.
fn read_form(items: &[item::Model], pairs: Vec<(String, String)>) -> (bool, Typed) {
    let by_id: HashMap<i64, &item::Model> = items.iter().map(|i| (i.id, i)).collect();
    let mut saving = false;
    let mut typed = Typed::new();
    for (name, value) in pairs {
        if name == "action" {
            saving = value == "save";
            continue;
        }
        let Some(item) = name
            .strip_prefix('i')
            .and_then(|id| id.parse::<i64>().ok())
            .and_then(|id| by_id.get(&id))
        else {
            continue;
        };
        // Browsers send line breaks as CRLF; the text typed has one
        // character per break, and so does what we keep.
        let value = value.replace("\r\n", "\n");
        if item.kind == ItemKind::MultipleChoice {
            match typed
                .entry(item.id)
                .or_insert_with(|| DraftValue::Many(Vec::new()))
            {
                DraftValue::Many(picked) => picked.push(value),
                one @ DraftValue::One(_) => *one = DraftValue::Many(vec![value]),
            }
        } else if let Some(first) = typed.insert(item.id, DraftValue::One(value.clone())) {
            // One answer expected and several sent: kept as several, which
            // the check refuses, rather than silently keeping either.
            let mut all = match first {
                DraftValue::One(v) => vec![v],
                DraftValue::Many(vs) => vs,
            };
            all.push(value);
            typed.insert(item.id, DraftValue::Many(all));
        }
    }
    (saving, typed)
}

/// What the form holds, by item id.
type Typed = HashMap<i64, DraftValue>;

fn to_draft(items: &[item::Model], typed: &Typed) -> Draft {
    items
        .iter()
        .filter_map(|i| Some((i.code.clone(), typed.get(&i.id)?.clone())))
        .collect()
}

fn from_draft(items: &[item::Model], mut draft: Draft) -> Typed {
    items
        .iter()
        .filter_map(|i| Some((i.id, draft.remove(&i.code)?)))
        .collect()
}

/// A number as people type it in their language: `2.5` in English;
/// `2,5`, `2.5` or `1 000` in French. An English comma is refused rather
/// than guessed: `1,000` could be a thousand or one.
fn parse_number(text: &str, lang: Lang) -> Option<f64> {
    let text = text.trim();
    let normal = match lang {
        Lang::En if text.contains(',') => return None,
        Lang::En => text.to_owned(),
        Lang::Fr => text
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .map(|c| if c == ',' { '.' } else { c })
            .collect(),
    };
    normal.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Turns the form into answers, with an error per item that does not pass.
fn to_answers(
    items: &[item::Model],
    typed: &Typed,
    lang: Lang,
) -> (Vec<RawAnswer>, HashMap<i64, String>) {
    let mut raw = Vec::new();
    let mut errors = HashMap::new();
    for item in items {
        let value = match (item.kind, typed.get(&item.id)) {
            (_, None) => None,
            (ItemKind::MultipleChoice, Some(DraftValue::Many(picked))) => {
                Some(Value::Choices(picked.clone()))
            }
            (_, Some(DraftValue::Many(_))) => {
                errors.insert(item.id, lang.texts().not_an_option.to_owned());
                continue;
            }
            (_, Some(DraftValue::One(text))) if text.trim().is_empty() => None,
            (ItemKind::Likert | ItemKind::Nps | ItemKind::Number, Some(DraftValue::One(text))) => {
                match parse_number(text, lang) {
                    Some(v) => Some(Value::Number(v)),
                    None => {
                        errors.insert(item.id, lang.texts().not_a_number.to_owned());
                        continue;
                    }
                }
            }
            (ItemKind::MultipleChoice, Some(DraftValue::One(text))) => {
                Some(Value::Choices(vec![text.clone()]))
            }
            (ItemKind::SingleChoice | ItemKind::FreeText, Some(DraftValue::One(text))) => {
                Some(Value::Text(text.clone()))
            }
        };
        match answers::check(item, value.clone()) {
            Ok(_) => raw.push(RawAnswer {
                item: item.code.clone(),
                value,
            }),
            Err(e) => {
                errors.insert(item.id, lang.answer_error(&e));
            }
        }
    }
    (raw, errors)
}

fn form_page(
    v: &Visit,
    token: &str,
    typed: &Typed,
    errors: &HashMap<i64, String>,
    saved_at: Option<DateTime<Utc>>,
) -> String {
    let t = v.lang.texts();
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"lead\">{} · {} {}</p>",
        esc(&v.questionnaire.title),
        esc(&v.campaign.name),
        t.answer_before,
        when(v.campaign.closes_at),
    );
    if !v.questionnaire.description.trim().is_empty() {
        let _ = write!(h, "<p>{}</p>", esc(&v.questionnaire.description));
    }
    if !errors.is_empty() {
        let _ = write!(
            h,
            "<div class=\"summary\" role=\"alert\" aria-labelledby=\"summary-title\">\
             <h2 id=\"summary-title\">{}</h2><ul>",
            t.problem
        );
        for item in v.items.iter().filter(|i| errors.contains_key(&i.id)) {
            let _ = write!(
                h,
                "<li><a href=\"#q-{}\">{} – {}</a></li>",
                item.id,
                esc(&item.prompt),
                esc(&errors[&item.id])
            );
        }
        h.push_str("</ul></div>");
    }
    if let Some(at) = saved_at {
        let _ = write!(
            h,
            "<div class=\"saved\" role=\"status\"><p>{} <small>({} {})</small></p></div>",
            t.saved,
            t.saved_at,
            when(at)
        );
    }
    let _ = write!(
        h,
        "<form method=\"post\" action=\"/respond/{}\" novalidate>",
        esc(token)
    );
    for (n, item) in v.items.iter().enumerate() {
        field(
            &mut h,
            v.lang,
            n + 1,
            item,
            typed.get(&item.id),
            errors.get(&item.id),
        );
    }
    let _ = write!(
        h,
        "<div class=\"actions\"><button class=\"primary\" type=\"submit\" name=\"action\" value=\"submit\">{}</button>\
         <button class=\"secondary\" type=\"submit\" name=\"action\" value=\"save\">{}</button></div></form>\
         <p class=\"hint\">{}</p>",
        t.submit, t.save, t.personal_link
    );
    let title = if errors.is_empty() {
        v.questionnaire.title.clone()
    } else {
        format!("{}: {}", t.problem_title, v.questionnaire.title)
    };
    layout(v.lang, &title, &h)
}

/// One question: a fieldset of radios or checkboxes, or a labelled input.
fn field(
    h: &mut String,
    lang: Lang,
    number: usize,
    item: &item::Model,
    value: Option<&DraftValue>,
    error: Option<&String>,
) {
    let t = lang.texts();
    let id = item.id;
    let required = if item.required {
        format!(" <span class=\"req\">{}</span>", t.required)
    } else {
        String::new()
    };
    let prompt = format!("{number}. {}{required}", esc(&item.prompt));
    let invalid = if error.is_some() { " invalid" } else { "" };
    let error_html = error.map_or_else(String::new, |e| {
        format!("<p class=\"error\" id=\"q-{id}-error\">{}</p>", esc(e))
    });
    let one = match value {
        Some(DraftValue::One(v)) => v.as_str(),
        _ => "",
    };

    match item.kind {
        ItemKind::Number | ItemKind::FreeText => {
            let hint = match (item.kind, item.min_value, item.max_value) {
                (ItemKind::Number, Some(lo), Some(hi)) => Some(match lang {
                    Lang::En => format!("{} {lo} to {hi}.", t.number_hint_range),
                    Lang::Fr => format!("{} {lo} à {hi}.", t.number_hint_range),
                }),
                _ => None,
            };
            let mut described = Vec::new();
            if hint.is_some() {
                described.push(format!("q-{id}-hint"));
            }
            if error.is_some() {
                described.push(format!("q-{id}-error"));
            }
            let aria = if described.is_empty() {
                String::new()
            } else {
                format!(" aria-describedby=\"{}\"", described.join(" "))
            };
            let state = format!(
                "{aria}{}{}",
                if error.is_some() {
                    " aria-invalid=\"true\""
                } else {
                    ""
                },
                if item.required { " required" } else { "" }
            );
            let _ = write!(
                h,
                "<div class=\"field{invalid}\"><label for=\"q-{id}\">{prompt}</label>"
            );
            if let Some(hint) = hint {
                let _ = write!(h, "<span class=\"hint\" id=\"q-{id}-hint\">{hint}</span>");
            }
            h.push_str(&error_html);
            if item.kind == ItemKind::Number {
                let _ = write!(
                    h,
                    "<input type=\"text\" inputmode=\"decimal\" autocomplete=\"off\" id=\"q-{id}\" \
                     name=\"i{id}\" value=\"{}\"{state}>",
                    esc(one)
                );
            } else {
                let _ = write!(
                    h,
                    "<textarea id=\"q-{id}\" name=\"i{id}\" rows=\"5\" maxlength=\"{}\"{state}>{}</textarea>",
                    answers::MAX_TEXT,
                    esc(one)
                );
            }
            h.push_str("</div>");
        }
        ItemKind::Likert | ItemKind::Nps | ItemKind::SingleChoice | ItemKind::MultipleChoice => {
            let labels = answers::options(item);
            let (kind, class, hint, options): (&str, &str, Option<&str>, Vec<(String, String)>) =
                match item.kind {
                    ItemKind::Likert => {
                        let points = item.points.unwrap_or(5).max(1);
                        let named = labels.len() == points as usize;
                        let options = (1..=points)
                            .map(|p| {
                                let label = if named {
                                    format!(
                                        "<span class=\"point\">{p}</span><span>{}</span>",
                                        esc(&labels[(p - 1) as usize])
                                    )
                                } else {
                                    format!("<span>{p}</span>")
                                };
                                (p.to_string(), label)
                            })
                            .collect();
                        // Worded points need the width of a line each.
                        let class = if named { "list likert" } else { "scale" };
                        ("radio", class, Some(t.choose_one), options)
                    }
                    ItemKind::Nps => {
                        let options = (0..=10)
                            .map(|p| (p.to_string(), format!("<span>{p}</span>")))
                            .collect();
                        ("radio", "scale", Some(t.nps_hint), options)
                    }
                    ItemKind::SingleChoice => (
                        "radio",
                        "list",
                        Some(t.choose_one),
                        labels.iter().map(|l| (l.clone(), esc(l))).collect(),
                    ),
                    _ => (
                        "checkbox",
                        "list",
                        Some(t.choose_any),
                        labels.iter().map(|l| (l.clone(), esc(l))).collect(),
                    ),
                };
            let mut described = Vec::new();
            if hint.is_some() {
                described.push(format!("q-{id}-hint"));
            }
            if error.is_some() {
                described.push(format!("q-{id}-error"));
            }
            let _ = write!(
                h,
                "<fieldset class=\"{}\"{}{}><legend>{prompt}</legend>",
                invalid.trim(),
                if described.is_empty() {
                    String::new()
                } else {
                    format!(" aria-describedby=\"{}\"", described.join(" "))
                },
                if error.is_some() {
                    " aria-invalid=\"true\""
                } else {
                    ""
                },
            );
            if let Some(hint) = hint {
                let _ = write!(h, "<span class=\"hint\" id=\"q-{id}-hint\">{hint}</span>");
            }
            h.push_str(&error_html);
            let _ = write!(h, "<div class=\"choices {class}\">");
            for (k, (value_text, label)) in options.iter().enumerate() {
                let checked = match value {
                    Some(DraftValue::One(v)) => v == value_text,
                    Some(DraftValue::Many(vs)) => vs.contains(value_text),
                    None => false,
                };
                let input_id = if k == 0 {
                    format!("q-{id}")
                } else {
                    format!("q-{id}-{k}")
                };
                let _ = write!(
                    h,
                    "<label for=\"{input_id}\"><input type=\"{kind}\" id=\"{input_id}\" name=\"i{id}\" \
                     value=\"{}\"{}{}>{label}</label>",
                    esc(value_text),
                    if checked { " checked" } else { "" },
                    if item.required && kind == "radio" {
                        " required"
                    } else {
                        ""
                    },
                );
            }
            h.push_str("</div></fieldset>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, code: &str, kind: ItemKind, labels: &[&str]) -> item::Model {
        item::Model {
            id,
            questionnaire_id: 1,
            scale_id: None,
            position: id as i32,
            code: code.into(),
            prompt: format!("<b>{code}</b>"),
            kind,
            points: Some(5),
            labels: serde_json::json!(labels),
            reverse_keyed: false,
            min_value: Some(0.0),
            max_value: Some(40.0),
            required: false,
        }
    }

    fn items() -> Vec<item::Model> {
        vec![
            item(1, "s1", ItemKind::Likert, &[]),
            item(2, "mode", ItemKind::SingleChoice, &["in person", "video"]),
            item(3, "topics", ItemKind::MultipleChoice, &["a", "b", "c"]),
            item(4, "hours", ItemKind::Number, &[]),
            item(5, "nps", ItemKind::Nps, &[]),
            item(6, "comment", ItemKind::FreeText, &[]),
        ]
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_reads_back_into_answers_of_every_kind() {
        let items = items();
        let (saving, typed) = read_form(
            &items,
            pairs(&[
                ("i1", "4"),
                ("i2", "video"),
                ("i3", "a"),
                ("i3", "c"),
                ("i4", "2.5"),
                ("i5", "9"),
                ("i6", "fine\r\nthanks"),
                ("i99", "ignored"),
                ("action", "submit"),
            ]),
        );

        let (raw, errors) = to_answers(&items, &typed, Lang::En);

        assert!(!saving);
        assert!(errors.is_empty(), "{errors:?}");
        let values: Vec<Option<Value>> = raw.into_iter().map(|a| a.value).collect();
        assert_eq!(
            values,
            vec![
                Some(Value::Number(4.0)),
                Some(Value::Text("video".into())),
                Some(Value::Choices(vec!["a".into(), "c".into()])),
                Some(Value::Number(2.5)),
                Some(Value::Number(9.0)),
                Some(Value::Text("fine\nthanks".into())),
            ]
        );
    }

    #[test]
    fn wrong_values_get_an_error_in_the_page_language_and_keep_what_was_typed() {
        let mut items = items();
        items[0].required = true;
        let (_, typed) = read_form(&items, pairs(&[("i4", "beaucoup"), ("i2", "bus")]));

        let (_, errors) = to_answers(&items, &typed, Lang::Fr);

        assert_eq!(errors[&1], "Merci de répondre à cette question.");
        assert_eq!(errors[&2], "Choisissez l’une des réponses proposées.");
        assert_eq!(errors[&4], "Saisissez un nombre, par exemple 12 ou 2,5.");
        assert_eq!(errors.len(), 3);
        let visit = Visit {
            invitation: invitation::Model {
                id: 1,
                organisation_id: 1,
                campaign_id: 1,
                person_id: 1,
                token_nonce: String::new(),
                token_hash: String::new(),
                responded_at: None,
                opted_out_at: None,
                created_at: Utc::now(),
            },
            campaign: campaign::Model {
                id: 1,
                organisation_id: 1,
                questionnaire_id: 1,
                name: "Autumn <i>check</i>".into(),
                opens_at: Utc::now(),
                closes_at: Utc::now(),
                reminder_offsets_hours: serde_json::json!([]),
                reminder_policy: None,
                min_group_size: 3,
                low_score_threshold: 0.5,
                launched_at: None,
                anonymity: entities::Anonymity::Confidential,
                programme_id: None,
                created_at: Utc::now(),
            },
            questionnaire: questionnaire::Model {
                id: 1,
                organisation_id: 1,
                key: "k".into(),
                version: 1,
                title: "Check-in".into(),
                description: String::new(),
                audience: entities::Audience::Learners,
                mode: entities::QuestionnaireMode::Questionnaire,
                locked_at: None,
                created_at: Utc::now(),
            },
            items,
            lang: Lang::Fr,
        };

        let page = form_page(&visit, "tok", &typed, &errors, None);

        assert!(page.contains("<html lang=\"fr\">"));
        assert!(page.contains("value=\"beaucoup\""), "typed text is kept");
        assert!(page.contains("id=\"q-4-error\""));
        assert!(page.contains("aria-describedby=\"q-4-hint q-4-error\""));
        assert!(
            page.contains("href=\"#q-1\""),
            "the summary links to the field"
        );
        assert!(!page.contains("<b>") && page.contains("&lt;b&gt;s1&lt;/b&gt;"));
        assert!(!page.contains("<i>check</i>"));
    }

    #[test]
    fn numbers_are_read_as_written_in_the_page_language() {
        assert_eq!(parse_number(" 2.5 ", Lang::En), Some(2.5));
        assert_eq!(
            parse_number("1,000", Lang::En),
            None,
            "ambiguous in English"
        );
        assert_eq!(parse_number("2,5", Lang::Fr), Some(2.5));
        assert_eq!(parse_number("1 000", Lang::Fr), Some(1000.0));
        assert_eq!(parse_number("inf", Lang::En), None);
    }

    #[test]
    fn two_values_for_a_one_answer_item_are_refused_not_picked() {
        let items = items();
        let (_, typed) = read_form(&items, pairs(&[("i2", "in person"), ("i2", "video")]));

        let (_, errors) = to_answers(&items, &typed, Lang::En);

        assert_eq!(errors[&2], "Choose one of the options shown.");
    }

    #[test]
    fn a_draft_round_trips_through_item_codes() {
        let items = items();
        let (saving, typed) = read_form(
            &items,
            pairs(&[("i3", "b"), ("i6", "half"), ("action", "save")]),
        );

        let draft = to_draft(&items, &typed);

        assert!(saving);
        assert_eq!(draft["topics"], DraftValue::Many(vec!["b".into()]));
        assert_eq!(from_draft(&items, draft), typed);
    }
}
