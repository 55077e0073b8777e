//! Questionnaires: versioned sets of items grouped into scales.

pub mod service;
pub mod templates;
pub mod types;

use async_graphql::{Context, ID, Object, Result};
use entities::questionnaire;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::auth::{MANAGERS, READERS};
use crate::error::{ApiError, Problem};
use crate::pagination::{Page, PageArgs, Sort, keyset};
use crate::state::ContextExt;
use templates::Language;
use types::{
    CreateQuestionnaireFromTemplateInput, CreateQuestionnaireInput, CreateQuestionnairePayload,
    InstrumentTemplate, Questionnaire,
};

/// The language of a template, or BAD_USER_INPUT naming `field`.
fn language(field: &str, code: &str) -> Result<Language, ApiError> {
    Language::parse(code).ok_or_else(|| {
        ApiError::invalid(vec![Problem::field(
            field,
            "templates are written in `en` and `fr`",
        )])
    })
}

#[derive(Default)]
pub struct QuestionnaireQuery;

#[Object]
impl QuestionnaireQuery {
    /// Questionnaires of the caller's organisation, newest first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn questionnaires(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many rows from the start: at most 100, 20 by default.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page starts after it.")] after: Option<String>,
        #[graphql(desc = "How many rows from the end: at most 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of an edge; the page ends before it.")] before: Option<String>,
    ) -> Result<Page<Questionnaire>> {
        let caller = ctx.caller_in(READERS)?;
        let query = questionnaire::Entity::find()
            .filter(questionnaire::Column::OrganisationId.eq(caller.organisation_id));
        let sort = Sort::by_id(
            "questionnaires",
            questionnaire::Column::Id,
            sea_orm::Order::Desc,
        );
        let page = PageArgs::new(first, after, last, before);
        Ok(keyset(&ctx.state().db, query, &sort, page, Questionnaire).await?)
    }

    /// The built-in library of ready instruments, in `en` or `fr`.
    async fn instrument_templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "String::from(\"en\")",
            desc = "`en` or `fr`: the language of the prompts and labels."
        )]
        language: String,
    ) -> Result<Vec<InstrumentTemplate>> {
        ctx.caller_in(READERS)?;
        let language = self::language("language", &language)?;
        Ok(templates::TEMPLATES
            .iter()
            .map(|t| InstrumentTemplate::new(t, language))
            .collect())
    }
}

#[derive(Default)]
pub struct QuestionnaireMutation;

#[Object]
impl QuestionnaireMutation {
    /// Creates a questionnaire, or the next version of one with the same key.
    /// Versions are immutable once a campaign uses them: revise by creating anew.
    async fn create_questionnaire(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key, title, audience, items and scales.")]
        input: CreateQuestionnaireInput,
    ) -> Result<CreateQuestionnairePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let model = service::create(&ctx.state().db, caller.organisation_id, input).await?;
        Ok(CreateQuestionnairePayload {
            questionnaire: Questionnaire(model),
        })
    }

    /// Creates a questionnaire from a template of the library, in the
    /// chosen language, keyed `<template>-<language>`: again, and it is
    /// that questionnaire's next version.
    async fn create_questionnaire_from_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The template, the language, a title and whether it is an interview guide."
        )]
        input: CreateQuestionnaireFromTemplateInput,
    ) -> Result<CreateQuestionnairePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let template = templates::find(&input.key).ok_or_else(|| {
            let message = format!("no template has the key `{}`", input.key.trim());
            ApiError::invalid(vec![Problem::field("key", message)])
        })?;
        let language = language("language", &input.language)?;
        let definition = template.to_input(language, input.name, input.mode);
        let model = service::create(&ctx.state().db, caller.organisation_id, definition).await?;
        Ok(CreateQuestionnairePayload {
            questionnaire: Questionnaire(model),
        })
    }
}

pub fn global_id(id: i64) -> ID {
    crate::ids::encode("Questionnaire", id)
}
