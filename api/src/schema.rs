//! The GraphQL schema: the domain objects merged at the root, the Relay
//! `node` field, and the limits every request runs under.

use async_graphql::{Context, ID, Interface, MergedObject, Object, Result, Schema};
use entities::{person, programme, questionnaire, report};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::accounts::{AccountMutation, AccountQuery, MemberMutation, Person};
use crate::auth::graphql::{AuthMutation, AuthQuery};
use crate::auth::{MANAGERS, READERS};
use crate::campaigns::delivery::{DeliveryMutation, DeliveryQuery};
use crate::campaigns::interviews::Interview;
use crate::campaigns::types::{Campaign, Invitation, Report};
use crate::campaigns::{CampaignMutation, CampaignQuery};
use crate::dead_letters::{DeadLetterMutation, DeadLetterQuery};
use crate::design::types::Programme;
use crate::design::{DesignMutation, DesignQuery};
use crate::development::{DevelopmentMutation, DevelopmentQuery};
use crate::dissemination::types::DisseminationPlan;
use crate::dissemination::{DisseminationMutation, DisseminationQuery};
use crate::error::ApiError;
use crate::evaluation::{EvaluationMutation, EvaluationQuery};
use crate::questionnaires::types::{Item, Questionnaire};
use crate::questionnaires::{QuestionnaireMutation, QuestionnaireQuery};
use crate::rights::{RightsMutation, RightsQuery};
use crate::running::{Matching, RunningMutation, RunningQuery};
use crate::state::{AppState, ContextExt};
use crate::webhooks::types::WebhookEndpoint;
use crate::webhooks::{WebhookMutation, WebhookQuery};

/// Deepest selection accepted: enough for the introspection query of
/// graphql-js (which GraphiQL and code generators send: 13 levels, 15 in
/// graphql-js 17); the data graph itself is shallower.
pub const MAX_DEPTH: usize = 15;
/// Largest query complexity accepted (one per field, lists counted once).
pub const MAX_COMPLEXITY: usize = 2_000;

/// An object with a global ID.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Global ID of the object: opaque, stable, and the same in every field that \
            names it; `node(id:)` finds the object again."
))]
pub enum Node {
    Campaign(Campaign),
    Questionnaire(Questionnaire),
    Person(Person),
    Report(Report),
    Programme(Programme),
    Invitation(Invitation),
    Item(Item),
    Matching(Matching),
    Interview(Interview),
    DisseminationPlan(DisseminationPlan),
    WebhookEndpoint(WebhookEndpoint),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// An object by its global ID, within the caller's organisation: a
    /// campaign, questionnaire, item, invitation, interview, report,
    /// person, programme, matching, dissemination plan or webhook endpoint.
    /// Null for any other kind of ID, and for one of another organisation.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID, as an `id` field gives it.")] id: ID,
    ) -> Result<Option<Node>> {
        let caller = ctx.caller()?;
        let (kind, id) = crate::ids::decode_any(&id)?;
        let db = &ctx.state().db;
        let org = caller.organisation_id;
        let node = match kind.as_str() {
            "Campaign" => {
                caller.require(READERS)?;
                Campaign::find(ctx, caller, id).await?.map(Node::Campaign)
            }
            "Questionnaire" => {
                caller.require(READERS)?;
                questionnaire::Entity::find_by_id(id)
                    .filter(questionnaire::Column::OrganisationId.eq(org))
                    .one(db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::Questionnaire(Questionnaire(m)))
            }
            "Person" => {
                caller.require(MANAGERS)?;
                person::Entity::find_by_id(id)
                    .filter(person::Column::OrganisationId.eq(org))
                    .one(db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::Person(Person::from(m)))
            }
            "Report" => {
                caller.require(READERS)?;
                report::Entity::find_by_id(id)
                    .filter(report::Column::OrganisationId.eq(org))
                    .one(db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::Report(Report(m)))
            }
            "Invitation" => {
                caller.require(MANAGERS)?;
                entities::invitation::Entity::find_by_id(id)
                    .filter(entities::invitation::Column::OrganisationId.eq(org))
                    .one(db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::Invitation(Invitation::new(m)))
            }
            "Item" => {
                caller.require(READERS)?;
                let item = entities::item::Entity::find_by_id(id)
                    .one(db)
                    .await
                    .map_err(ApiError::from)?;
                match item {
                    Some(item) => questionnaire::Entity::find_by_id(item.questionnaire_id)
                        .filter(questionnaire::Column::OrganisationId.eq(org))
                        .one(db)
                        .await
                        .map_err(ApiError::from)?
                        .map(|_| Node::Item(Item(item))),
                    None => None,
                }
            }
            "Programme" => {
                // Every member may read a programme; its fields check roles of their own.
                programme::Entity::find_by_id(id)
                    .filter(programme::Column::OrganisationId.eq(org))
                    .one(db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::Programme(Programme(m)))
            }
            "Matching" => {
                // Visible to coordinators and to the relation's own tutor and learner.
                match crate::running::service::visible_matching(db, caller, id).await {
                    Ok((m, _)) => Some(Node::Matching(Matching(m))),
                    Err(ApiError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            "Interview" => {
                // Coordinators read every interview, tutors those they recorded.
                match crate::campaigns::interviews::visible(db, caller, id).await {
                    Ok(interview) => Some(Node::Interview(interview)),
                    Err(ApiError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            "DisseminationPlan" => {
                caller.require(MANAGERS)?;
                entities::dissemination_plan::Entity::find_by_id(id)
                    .filter(entities::dissemination_plan::Column::OrganisationId.eq(org))
                    .one(db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::DisseminationPlan(DisseminationPlan(m)))
            }
            "WebhookEndpoint" => {
                caller.require(MANAGERS)?;
                entities::webhook_endpoint::Entity::find_by_id(id)
                    .filter(entities::webhook_endpoint::Column::OrganisationId.eq(org))
                    .one(db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::WebhookEndpoint(WebhookEndpoint(m)))
            }
            _ => None,
        };
        Ok(node)
    }
}

/// What a client may read: each field says who may. Long lists are
/// connections, read a page at a time.
#[derive(MergedObject, Default)]
pub struct Query(
    NodeQuery,
    AccountQuery,
    AuthQuery,
    QuestionnaireQuery,
    CampaignQuery,
    DeliveryQuery,
    DeadLetterQuery,
    DesignQuery,
    DevelopmentQuery,
    RunningQuery,
    EvaluationQuery,
    DisseminationQuery,
    WebhookQuery,
    RightsQuery,
);

/// What a client may change. A refusal carries a stable `code` in the
/// error's extensions: `BAD_USER_INPUT` (with `problems`, each field at
/// fault), `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `UNAUTHENTICATED`,
/// `RATE_LIMITED`…
#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    AccountMutation,
    MemberMutation,
    QuestionnaireMutation,
    CampaignMutation,
    DeliveryMutation,
    DeadLetterMutation,
    DesignMutation,
    DevelopmentMutation,
    RunningMutation,
    EvaluationMutation,
    DisseminationMutation,
    WebhookMutation,
    RightsMutation,
);

pub type AppSchema = Schema<Query, Mutation, crate::live::LiveSubscription>;

/// The schemas a server runs requests on: the same types and limits, with
/// the scope check of API keys on root fields only where a key calls.
#[derive(Clone)]
pub struct Schemas {
    /// For API keys: each root field checked against the key's scopes.
    pub keys: AppSchema,
    /// For people signed in, and anonymous callers: no key, no scope to
    /// check, and no hook run around each of the fields resolved.
    pub members: AppSchema,
}

impl Schemas {
    pub fn new(state: &AppState) -> Self {
        Self {
            keys: build(Some(state.clone()), state.introspection),
            members: build_unscoped(Some(state.clone()), state.introspection),
        }
    }

    /// The schema for `caller`'s requests.
    pub fn of(&self, caller: Option<&crate::auth::Caller>) -> &AppSchema {
        match caller {
            Some(c) if c.api_key.is_some() => &self.keys,
            _ => &self.members,
        }
    }
}

/// The schema, with `state` for serving (none to print the SDL).
/// Without `introspection`, `__schema` and `__type` are unknown fields;
/// `http` refuses them first with a clearer error.
pub fn build(state: Option<AppState>, introspection: bool) -> AppSchema {
    with_state(
        base(introspection)
            // API keys reach only the fields their scopes cover.
            .extension(crate::auth::api_keys::ScopeCheck),
        state,
    )
}

/// The schema without the API keys' scope check, for callers with no key.
fn build_unscoped(state: Option<AppState>, introspection: bool) -> AppSchema {
    with_state(base(introspection), state)
}

fn with_state(
    builder: async_graphql::SchemaBuilder<Query, Mutation, crate::live::LiveSubscription>,
    state: Option<AppState>,
) -> AppSchema {
    match state {
        Some(state) => builder.data(state).finish(),
        None => builder.finish(),
    }
}

fn base(
    introspection: bool,
) -> async_graphql::SchemaBuilder<Query, Mutation, crate::live::LiveSubscription> {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        crate::live::LiveSubscription,
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    // A misspelt field gets no hint at the names around it.
    .disable_suggestions();
    builder = describe_connections(builder);
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder
}

/// The descriptions of the connection types, which async-graphql makes
/// without one. The field that returns a connection says its order.
fn describe_connections(
    builder: async_graphql::SchemaBuilder<Query, Mutation, crate::live::LiveSubscription>,
) -> async_graphql::SchemaBuilder<Query, Mutation, crate::live::LiveSubscription> {
    use crate::pagination::Page;
    builder
        .override_output_type_description::<Page<crate::auth::graphql::ApiKey>>(
            "A page of the organisation's API keys; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::audit::AuditEvent>>(
            "A page of the audit log; `totalCount` counts the events that match.",
        )
        .override_output_type_description::<Page<Campaign>>(
            "A page of campaigns; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::dead_letters::DeadLetter>>(
            "A page of the jobs given up on; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::dissemination::types::DisseminationDelivery>>(
            "A page of a dissemination plan's deliveries; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<DisseminationPlan>>(
            "A page of dissemination plans; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::campaigns::delivery::Email>>(
            "A page of a campaign's email log; `totalCount` counts the emails that match.",
        )
        .override_output_type_description::<Page<Interview>>(
            "A page of a campaign's interviews; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<Invitation>>(
            "A page of a campaign's invitations; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<Matching>>(
            "A page of matchings; `totalCount` counts those that match.",
        )
        .override_output_type_description::<Page<crate::running::MatchingExclusion>>(
            "A page of the pairs ruled out of matching; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::design::types::Need>>(
            "A page of learners' needs; `totalCount` counts those that match.",
        )
        .override_output_type_description::<Page<Person>>(
            "A page of the organisation's people; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::development::Post>>(
            "A page of a community's posts; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<Programme>>(
            "A page of programmes; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::evaluation::ProgrammeReport>>(
            "A page of a programme's reports; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<Questionnaire>>(
            "A page of questionnaires; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::running::RelationAlert>>(
            "A page of alerts raised on relations; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<Report>>(
            "A page of a campaign's report versions; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::campaigns::delivery::Suppression>>(
            "A page of the suppression list; `totalCount` counts the addresses on it.",
        )
        .override_output_type_description::<Page<crate::running::TutorProfile>>(
            "A page of a programme's tutor profiles; `totalCount` counts them all.",
        )
        .override_output_type_description::<Page<crate::webhooks::types::WebhookDelivery>>(
            "A page of an endpoint's webhook deliveries; `totalCount` counts those that match.",
        )
        .override_output_type_description::<Page<WebhookEndpoint>>(
            "A page of webhook endpoints; `totalCount` counts them all.",
        )
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build(None, true).sdl()
}
