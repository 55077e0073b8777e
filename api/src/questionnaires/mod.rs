//! Questionnaires: versioned sets of items grouped into scales.

pub mod service;
pub mod types;

use async_graphql::{Context, ID, Object, Result};
use entities::questionnaire;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::auth::{MANAGERS, READERS};
use crate::pagination::{Page, connection, page};
use crate::state::ContextExt;
use types::{CreateQuestionnaireInput, CreateQuestionnairePayload, Questionnaire};

#[derive(Default)]
pub struct QuestionnaireQuery;

#[Object]
impl QuestionnaireQuery {
    /// Questionnaires of the caller's organisation, newest first.
    #[graphql(complexity = "crate::pagination::cost(first, child_complexity)")]
    async fn questionnaires(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Questionnaire>> {
        let caller = ctx.caller_in(READERS)?;
        let (size, after) = page(first, after)?;
        let mut query = questionnaire::Entity::find()
            .filter(questionnaire::Column::OrganisationId.eq(caller.organisation_id))
            .order_by_desc(questionnaire::Column::Id)
            .limit(size + 1);
        if let Some(after) = after {
            query = query.filter(questionnaire::Column::Id.lt(after));
        }
        let rows = query
            .all(&ctx.state().db)
            .await
            .map_err(crate::error::ApiError::from)?;
        Ok(connection(rows, size, after, |r| r.id, Questionnaire))
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
        input: CreateQuestionnaireInput,
    ) -> Result<CreateQuestionnairePayload> {
        let caller = ctx.caller_in(MANAGERS)?;
        let model = service::create(&ctx.state().db, caller.organisation_id, input).await?;
        Ok(CreateQuestionnairePayload {
            questionnaire: Questionnaire(model),
        })
    }
}

pub fn global_id(id: i64) -> ID {
    crate::ids::encode("Questionnaire", id)
}
