//! Live subscriptions, over WebSocket in the graphql-ws protocol (the
//! older subscriptions-transport-ws too): a campaign's figures as
//! responses come in, and the alerts raised on a programme's relations.
//!
//! A client signs in with its access token or API key, either in the
//! upgrade request's `Authorization` header or in the `connection_init`
//! payload (`{"authorization": "Bearer <token>"}`); a token that is not
//! valid closes the connection. Each subscription checks again, at every
//! change and at least every [`RECHECK`], that the token is still valid and
//! the role still allows it: a revoked or expired token, or a role taken
//! away, ends it with UNAUTHENTICATED or FORBIDDEN. The worker and every api
//! replica signal what changed (see `worker::live`); a subscription then
//! reads the figures itself, so a lost signal delays an update by
//! [`RECHECK`] at most and never loses an alert.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::http::WebSocketProtocols;
use async_graphql::parser::types::OperationType;
use async_graphql::{Context, Data, ID, Result, SimpleObject, Subscription};
use async_graphql_poem::GraphQLProtocol;
use chrono::Utc;
use entities::{Role, relation_alert};
use futures::Stream;
use poem::web::Data as Shared;
use poem::web::websocket::{WebSocket, WebSocketConfig};
use poem::{IntoResponse, Request, handler};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::broadcast::{self, error::RecvError};
use worker::live::Signal;

use crate::auth::{Caller, MANAGERS, READERS};
use crate::campaigns::service;
use crate::campaigns::types::CampaignStatus;
use crate::error::{ApiError, Code};
use crate::http::{coded, with_codes};
use crate::ids;
use crate::loaders::{CountsOf, DbLoader};
use crate::running::RelationAlert;
use crate::schema::{AppSchema, Schemas};
use crate::state::{AppState, ContextExt};

mod socket;

pub use socket::{INIT_WAIT, PING_EVERY};

/// Longest a subscription goes without reading afresh and checking its
/// caller's token.
pub const RECHECK: Duration = Duration::from_secs(15);
/// Longest a graphql-transport-ws client may stay silent: the server pings
/// it every [`PING_EVERY`], and its `pong` (or any message) keeps the
/// connection.
pub const IDLE_CLIENT: Duration = Duration::from_secs(30);
/// Longest message a client may send: a subscription's document is held to
/// [`crate::limits::MAX_DOCUMENT_BYTES`] as over HTTP, and its variables
/// are few. Parsed JSON takes many times its length in memory, and the
/// first message is read before the client has signed in.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Signals gathered into one read: a burst of responses costs each
/// subscriber one read, not one per response.
const SETTLE: Duration = Duration::from_millis(200);

/// Subscriptions one connection may hold at once.
pub const MAX_SUBSCRIPTIONS: usize = 20;

/// Alerts sent at most per read; the rest follow at once.
const ALERTS_PER_READ: u64 = 100;

/// The token a connection signed in with, checked again as it lives.
#[derive(Clone)]
struct Token(String);

/// Subscriptions open on one connection.
#[derive(Clone, Default)]
struct Open(Arc<AtomicUsize>);

/// One of a connection's subscriptions: gives its place back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The WebSocket endpoint: upgrades, signs the connection in, and serves
/// subscriptions until the client leaves or the server stops.
#[handler]
pub async fn serve(
    req: &Request,
    protocol: GraphQLProtocol,
    socket: WebSocket,
    schemas: Shared<&Schemas>,
    state: Shared<&AppState>,
) -> impl IntoResponse {
    // A connection's caller is known only at `connection_init`: its
    // operations all run with the scope check of API keys.
    let schema = Subscriptions {
        schema: schemas.keys.clone(),
        introspection: state.introspection,
    };
    let state = state.clone();
    // A graphql-transport-ws client that sent nothing for this long (not
    // even a `ping`) is gone. Clients of the older protocol send nothing
    // after `start`, so for them no such time applies.
    let idle = match protocol.0 {
        WebSocketProtocols::GraphQLWS => Some(IDLE_CLIENT),
        WebSocketProtocols::SubscriptionsTransportWS => None,
    };
    let header_token = crate::http::bearer(req).map(str::to_owned);
    let client = crate::http::client_address(req, state.auth.settings.client_ip_header.as_deref());
    let limits = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    socket
        .protocols(["graphql-transport-ws", "graphql-ws"])
        .config(limits)
        .on_upgrade(move |stream| async move {
            let mut stopping = state.stopping();
            let init_state = state.clone();
            let on_init = move |payload| async move {
                let token = payload_token(&payload)?.or(header_token);
                connection_data(&init_state, token, client).await
            };
            let served = socket::serve(stream, schema, protocol.0, on_init, idle);
            tokio::select! {
                () = served => {}
                _ = stopping.wait_for(|s| *s) => {}
            }
        })
}

/// What a WebSocket connection runs: subscriptions only, refused as HTTP
/// refuses them when too large, too deep or too wide, with a code on every
/// error. Queries and mutations go over HTTP, where each request checks its
/// token; over a long-lived connection they would outlive a sign-out.
#[derive(Clone)]
struct Subscriptions {
    schema: AppSchema,
    introspection: bool,
}

impl Subscriptions {
    /// Why `request` is not run over WebSocket, if it is not.
    fn refusal(&self, request: &mut async_graphql::Request) -> Option<(Code, String)> {
        if let Some(refused) = crate::http::refusal(request, self.introspection) {
            return Some(refused);
        }
        let name = request.operation_name.clone();
        // A document that does not parse is left to the schema, which says why.
        let doc = request.parsed_query().ok()?;
        match crate::http::operation(doc, name.as_deref()).map(|op| op.ty) {
            Some(OperationType::Subscription) | None => None,
            Some(_) => Some((
                Code::BadUserInput,
                "only subscriptions are served over WebSocket: send queries and mutations over HTTP"
                    .to_owned(),
            )),
        }
    }
}

impl async_graphql::Executor for Subscriptions {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        let mut request = request;
        if let Some((code, message)) = self.refusal(&mut request) {
            return coded(code, message);
        }
        let mut response = self.schema.execute(request).await;
        with_codes(&mut response);
        response
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> futures::stream::BoxStream<'static, async_graphql::Response> {
        use futures::StreamExt;
        let mut request = request;
        if let Some((code, message)) = self.refusal(&mut request) {
            return futures::stream::once(async move { coded(code, message) }).boxed();
        }
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(|mut response| {
                with_codes(&mut response);
                response
            })
            .boxed()
    }
}

/// The token of a `connection_init` payload: `authorization` (or
/// `Authorization`) as `Bearer <token>`, or a bare `token`; none in an
/// empty payload. Anything else there is refused, as a token that is not
/// valid is, rather than taken for an anonymous caller.
fn payload_token(payload: &serde_json::Value) -> Result<Option<String>, ApiError> {
    use serde_json::Value;
    let fields = match payload {
        Value::Null => return Ok(None),
        Value::Object(fields) => fields,
        _ => return Err(ApiError::Unauthenticated),
    };
    let given = ["authorization", "Authorization", "token"]
        .iter()
        .find_map(|key| fields.get(*key).map(|value| (*key, value)));
    let Some((key, value)) = given else {
        return Ok(None);
    };
    let text = value.as_str().ok_or(ApiError::Unauthenticated)?;
    let token = if key == "token" {
        text.trim()
    } else {
        crate::http::bearer_token(text).ok_or(ApiError::Unauthenticated)?
    };
    if token.is_empty() {
        return Err(ApiError::Unauthenticated);
    }
    Ok(Some(token.to_owned()))
}

/// What the connection's operations run with: its caller, if signed in.
async fn connection_data(
    state: &AppState,
    token: Option<String>,
    client: crate::auth::ClientAddress,
) -> Result<Data> {
    let mut data = Data::default();
    data.insert(Open::default());
    data.insert(client);
    data.insert(DbLoader::per_request(state));
    if let Some(token) = token {
        let caller = state
            .callers
            .of(&state.db, &token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        data.insert(caller);
        data.insert(Token(token));
    }
    Ok(data)
}

/// A subscription's hold on its caller and on the signals.
struct Watch {
    state: AppState,
    caller: Caller,
    token: Option<String>,
    roles: &'static [Role],
    signals: broadcast::Receiver<Signal>,
    _slot: Slot,
}

impl Watch {
    /// Starts watching for a caller in `roles`, within the connection's
    /// limit of subscriptions.
    fn begin(ctx: &Context<'_>, roles: &'static [Role]) -> Result<Self, ApiError> {
        let caller = ctx.caller_in(roles)?.clone();
        // The scope check of HTTP requests does not see a subscription's
        // root field, so its rule is applied here.
        let needed = crate::auth::Scope::needed("Subscription", ctx.field().name());
        if let (Some(key), Some(scope)) = (&caller.api_key, needed)
            && !key.allows(scope)
        {
            return Err(ApiError::Forbidden);
        }
        let open = ctx
            .data_opt::<Open>()
            .cloned()
            .ok_or_else(|| ApiError::bad_input("subscriptions are served over WebSocket"))?;
        if open.0.fetch_add(1, Ordering::SeqCst) >= MAX_SUBSCRIPTIONS {
            open.0.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::RateLimited(
                "too many subscriptions on this connection",
            ));
        }
        let state = ctx.state().clone();
        Ok(Self {
            signals: state.live.subscribe(),
            token: ctx.data_opt::<Token>().map(|t| t.0.clone()),
            state,
            caller,
            roles,
            _slot: Slot(open.0),
        })
    }

    /// Waits for a signal `wanted` picks (or for [`RECHECK`] to pass), then
    /// checks the caller again.
    async fn next(&mut self, wanted: impl Fn(&Signal) -> bool) -> Result<(), ApiError> {
        let heard = tokio::time::timeout(RECHECK, async {
            loop {
                match self.signals.recv().await {
                    Ok(signal) if wanted(&signal) => return true,
                    Ok(_) => {}
                    // Fell behind: whatever was missed, read afresh.
                    Err(RecvError::Lagged(_)) => return true,
                    // The process is ending.
                    Err(RecvError::Closed) => return false,
                }
            }
        })
        .await;
        match heard {
            Ok(true) => {
                tokio::time::sleep(SETTLE).await;
                // Signals of the same burst are all read below.
                while !matches!(
                    self.signals.try_recv(),
                    Err(broadcast::error::TryRecvError::Empty
                        | broadcast::error::TryRecvError::Closed)
                ) {}
            }
            Ok(false) => return Err(ApiError::internal(anyhow::anyhow!("shutting down"))),
            Err(_) => {}
        }
        self.recheck().await
    }

    /// The caller's token still valid and their role still allowed.
    async fn recheck(&mut self) -> Result<(), ApiError> {
        let Some(token) = &self.token else {
            return Err(ApiError::Unauthenticated);
        };
        let caller = self
            .state
            .callers
            .of(&self.state.db, token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        caller.require(self.roles)?;
        self.caller = caller;
        Ok(())
    }
}

/// A campaign's figures at one moment.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct CampaignProgress {
    /// Global ID of the campaign.
    pub campaign_id: ID,
    /// Whether the campaign is in draft, open or closed, at this moment.
    pub status: CampaignStatus,
    /// Invitations made so far.
    pub invitation_count: u64,
    /// Invitations answered.
    pub answered_count: u64,
    /// Responses received, invited or imported.
    pub response_count: u64,
    /// Invitations answered ÷ invitations; null without invitations.
    pub response_rate: Option<f64>,
}

/// Subscriptions, served over WebSocket at `/graphql/ws`.
#[derive(Default)]
pub struct LiveSubscription;

/// Live updates, served over WebSocket at `/graphql/ws` (protocol
/// `graphql-transport-ws`, or the older `graphql-ws`); queries and mutations
/// go over HTTP.
#[Subscription(name = "Subscription")]
impl LiveSubscription {
    /// A campaign's invitation and response figures: at once, then each
    /// time they change. For those who read results.
    async fn campaign_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the campaign; one of another organisation is NOT_FOUND.")]
        campaign_id: ID,
    ) -> Result<impl Stream<Item = Result<CampaignProgress>> + use<>> {
        let watch = Watch::begin(ctx, READERS)?;
        let id = ids::decode(&campaign_id, "Campaign")?;
        service::find(&watch.state.db, watch.caller.organisation_id, id).await?;
        let wanted = move |s: &Signal| *s == Signal::Campaign { campaign_id: id };
        let stream = futures::stream::unfold(
            (Some(watch), None::<CampaignProgress>),
            move |(watch, last)| async move {
                let mut watch = watch?;
                loop {
                    if last.is_some()
                        && let Err(e) = watch.next(wanted).await
                    {
                        return Some((Err(e.into()), (None, None)));
                    }
                    match progress(&watch, id).await {
                        Ok(now) if last.as_ref() == Some(&now) => {}
                        Ok(now) => return Some((Ok(now.clone()), (Some(watch), Some(now)))),
                        Err(e) => return Some((Err(e.into()), (None, None))),
                    }
                }
            },
        );
        Ok(stream)
    }

    /// Alerts raised on a programme's relations from now on, oldest first.
    /// Coordinators only.
    async fn relation_alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ID of the programme; one of another organisation is NOT_FOUND.")]
        programme_id: ID,
    ) -> Result<impl Stream<Item = Result<RelationAlert>> + use<>> {
        let watch = Watch::begin(ctx, MANAGERS)?;
        let id = ids::decode(&programme_id, "Programme")?;
        crate::design::service::find_programme(&watch.state.db, watch.caller.organisation_id, id)
            .await?;
        // Alerts raised before the subscription are the query's to list.
        let seen = latest_alert(&watch, id).await?;
        let wanted = move |s: &Signal| *s == Signal::Alert { programme_id: id };
        let stream = futures::stream::unfold(
            (Some(watch), seen, std::collections::VecDeque::new()),
            move |(watch, mut seen, mut ready)| async move {
                let mut watch = watch?;
                loop {
                    if let Some(alert) = ready.pop_front() {
                        return Some((Ok(RelationAlert(alert)), (Some(watch), seen, ready)));
                    }
                    if let Err(e) = watch.next(wanted).await {
                        return Some((Err(e.into()), (None, seen, ready)));
                    }
                    match alerts_after(&watch, id, seen).await {
                        Ok(new) => {
                            seen = new.last().map_or(seen, |a| a.id);
                            ready.extend(new);
                        }
                        Err(e) => return Some((Err(e.into()), (None, seen, ready))),
                    }
                }
            },
        );
        Ok(stream)
    }
}

/// The figures of campaign `id`, read now.
async fn progress(watch: &Watch, id: i64) -> Result<CampaignProgress, ApiError> {
    let c = service::find(&watch.state.db, watch.caller.organisation_id, id).await?;
    let loader = DbLoader::new(watch.state.db.clone());
    let counts = async_graphql::dataloader::Loader::load(&loader, &[CountsOf(id)])
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e.message)))?
        .remove(&CountsOf(id))
        .unwrap_or_default();
    let now = Utc::now();
    Ok(CampaignProgress {
        campaign_id: crate::campaigns::global_id(id),
        status: service::status(&c, now).into(),
        invitation_count: counts.invited,
        answered_count: counts.responded,
        response_count: counts.responses,
        response_rate: (counts.invited > 0)
            .then(|| counts.responded as f64 / counts.invited as f64),
    })
}

/// The newest alert of programme `id`, 0 without any.
async fn latest_alert(watch: &Watch, id: i64) -> Result<i64, ApiError> {
    let latest: Option<i64> = relation_alert::Entity::find()
        .select_only()
        .column_as(relation_alert::Column::Id.max(), "latest")
        .filter(relation_alert::Column::OrganisationId.eq(watch.caller.organisation_id))
        .filter(relation_alert::Column::ProgrammeId.eq(id))
        .into_tuple::<Option<i64>>()
        .one(&watch.state.db)
        .await?
        .flatten();
    Ok(latest.unwrap_or(0))
}

/// Alerts of programme `id` raised after alert `seen`, oldest first.
async fn alerts_after(
    watch: &Watch,
    id: i64,
    seen: i64,
) -> Result<Vec<relation_alert::Model>, ApiError> {
    Ok(relation_alert::Entity::find()
        .filter(relation_alert::Column::OrganisationId.eq(watch.caller.organisation_id))
        .filter(relation_alert::Column::ProgrammeId.eq(id))
        .filter(relation_alert::Column::Id.gt(seen))
        .order_by_asc(relation_alert::Column::Id)
        .limit(ALERTS_PER_READ)
        .all(&watch.state.db)
        .await?)
}
