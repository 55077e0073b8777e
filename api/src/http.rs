//! The HTTP surface: GraphQL over HTTP, GraphiQL, health, readiness and
//! metrics, and the pages people open from emails.
//!
//! Mutations are accepted only by POST with a JSON body, or a multipart
//! upload carrying a preflight header: a browser cannot send either
//! cross-site without the server's consent, which closes the CSRF hole of
//! GET and form posts. The pages' own forms post to URLs holding a secret
//! token, which a third-party site cannot know.

use std::time::Duration;

use async_graphql::http::{
    GraphiQLSource, MultipartOptions, parse_query_string, receive_batch_body,
};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_poem::GraphQLBatchResponse;
use poem::http::{Method, StatusCode};
use poem::middleware::{CatchPanic, Cors};
use poem::web::{Data, Html};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use tracing::Instrument;

use crate::audit::StaffReads;
use crate::auth::{Caller, ClientAddress};
use crate::error::Code;
use crate::loaders::DbLoader;
use crate::metrics::Metrics;
use crate::pages;
use crate::schema::{AppSchema, Schemas};
use crate::state::AppState;

/// Largest request body accepted: a multipart upload, with its file.
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;
/// Largest JSON request body accepted. Parsed JSON takes many times its
/// length in memory (24 MB of `[]` held over half a gigabyte), so a body
/// without a file stays small; files go as multipart uploads.
pub const MAX_JSON_BODY_BYTES: usize = 1024 * 1024;
/// Most operations in one batch request.
pub const MAX_BATCH: usize = 10;

/// Shared by the operations of one HTTP request: a request may sign in once,
/// so that aliases or batches cannot try many passwords at a time.
#[derive(Clone, Default)]
pub struct SignInBudget(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

impl SignInBudget {
    /// True the first time only.
    pub fn take(&self) -> bool {
        !self.0.swap(true, std::sync::atomic::Ordering::SeqCst)
    }
}

/// Headers that mark a multipart request as not sent by a plain HTML form.
const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-graphql-preflight"];

pub fn routes(
    schemas: Schemas,
    state: AppState,
    cors_origins: &[String],
) -> impl poem::Endpoint + use<> {
    // Browsers on these origins may call the API; without any, only same-origin pages.
    let cors = (!cors_origins.is_empty()).then(|| {
        Cors::new()
            .allow_origins(cors_origins.iter().map(String::as_str))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(["authorization", "content-type", "apollo-require-preflight"])
            .expose_headers(["x-request-id", "content-disposition"])
    });
    let metrics = state.metrics.clone();
    Route::new()
        .at("/", get(graphiql).post(graphql))
        .at("/graphql", get(graphql).post(graphql))
        .at("/graphql/ws", get(crate::live::serve))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(prometheus))
        .at("/calendar/:name", get(crate::calendar::feed))
        .at(
            "/exports/campaigns/:id/:file",
            get(crate::exports::campaign),
        )
        .at("/exports/reports/:id/:file", get(crate::exports::report))
        .at(
            "/exports/programme-reports/:id/:file",
            get(crate::exports::programme_report),
        )
        .at("/exports/people/:id/:file", get(crate::exports::person))
        .at(
            "/respond/:token",
            get(pages::respond::show).post(pages::respond::post),
        )
        .at(
            "/unsubscribe/:token",
            get(pages::unsubscribe::show).post(pages::unsubscribe::confirm),
        )
        .at(
            "/reset-password/:token",
            get(pages::reset_password::show).post(pages::reset_password::post),
        )
        .at(
            "/reports/shared/:token",
            get(pages::shared_report::show).head(pages::shared_report::peek),
        )
        .catch_error(|_: poem::error::NotFoundError| async {
            refuse(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "no such path: GraphQL is served at /graphql",
            )
        })
        .catch_error(|_: poem::error::MethodNotAllowedError| async {
            refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "BAD_USER_INPUT",
                "use GET or POST",
            )
        })
        .data(schemas)
        .data(state)
        .with(
            CatchPanic::new().with_handler(|_: Box<dyn std::any::Any + Send>| {
                // The panic itself is logged by the panic hook; the client gets our contract.
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "internal error",
                )
            }),
        )
        .around(move |next, req| with_request_id(next, req, metrics.clone()))
        .with_if(cors.is_some(), cors.unwrap_or_default())
}

/// Runs each request in a span carrying a fresh request id, returned to the
/// client as `x-request-id` so a report can be matched with the logs.
async fn with_request_id<E: Endpoint>(
    next: E,
    req: Request,
    metrics: Metrics,
) -> poem::Result<Response> {
    let id = worker::tokens::random_token(9);
    let path = loggable_path(req.uri().path());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), %path);
    let route = route_label(req.uri().path());
    async move {
        let started = std::time::Instant::now();
        let mut response = next.call(req).await?.into_response();
        if let Ok(value) = id.parse() {
            response.headers_mut().insert("x-request-id", value);
        }
        let operation = response
            .extensions()
            .get::<Operation>()
            .map_or(route, |o| o.0.as_str());
        metrics.observe(operation, response.status().as_u16(), started.elapsed());
        let elapsed_ms = started.elapsed().as_millis() as u64;
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms,
            "request served"
        );
        Ok(response)
    }
    .instrument(span)
    .await
}

#[handler]
fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// The operation a GraphQL response answered, for the request metrics.
#[derive(Clone)]
struct Operation(String);

/// The path as logged: the secret token of a link is left out, since
/// whoever reads the logs must not be able to use the links.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const SECRET: [&str; 5] = [
        "/respond/",
        "/unsubscribe/",
        "/reports/shared/",
        "/calendar/",
        "/reset-password/",
    ];
    match SECRET.iter().find(|prefix| path.starts_with(*prefix)) {
        Some(prefix) => format!("{prefix}…").into(),
        None => path.into(),
    }
}

/// The metrics label of a path that is not a GraphQL operation: its first
/// segment, from a fixed list, so paths holding tokens never become labels.
fn route_label(path: &str) -> &'static str {
    match path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
    {
        "" => "graphiql",
        "graphql" => "graphql",
        "respond" => "page:respond",
        "unsubscribe" => "page:unsubscribe",
        "reports" => "page:shared_report",
        "calendar" => "calendar",
        "reset-password" => "page:reset_password",
        "exports" => "exports",
        "healthz" => "healthz",
        "readyz" => "readyz",
        "metrics" => "metrics",
        _ => "unknown",
    }
}

/// `query:campaigns`, `mutation:submitResponse`: the kind and first root
/// field of the operation a request runs, or `graphql` when unreadable.
/// The parse is kept in the request, so the query is parsed once.
fn operation_label(request: &mut async_graphql::Request) -> String {
    use async_graphql::parser::types::Selection;
    let operation_name = request.operation_name.clone();
    let Ok(doc) = request.parsed_query() else {
        return "graphql".into();
    };
    let Some(operation) = operation(doc, operation_name.as_deref()) else {
        return "graphql".into();
    };
    let kind = match operation.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    let field = operation
        .selection_set
        .node
        .items
        .iter()
        .find_map(|s| match &s.node {
            Selection::Field(f) => Some(f.node.name.node.to_string()),
            _ => None,
        });
    match field {
        Some(field) => format!("{kind}:{field}"),
        None => kind.into(),
    }
}

/// The label of an operation that never ran: its kind alone. A document
/// that did not validate may name any field, and each name would make new
/// metric series without end.
fn unchecked_label(label: &str) -> String {
    label.split(':').next().unwrap_or(label).to_owned()
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database and the job queue answer.
#[handler]
async fn readyz(state: Data<&AppState>) -> Response {
    let database = state.db.ping().await.is_ok();
    let queue = state.queue.depth().await.is_ok();
    let status = if database && queue {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "database": if database { "ok" } else { "unavailable" },
        "queue": if queue { "ok" } else { "unavailable" },
    });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .header("cache-control", "no-store")
        .body(body.to_string())
}

/// Prometheus metrics; behind a bearer token when one is configured.
#[handler]
async fn prometheus(req: &Request, state: Data<&AppState>) -> Response {
    if let Some(expected) = &state.metrics_token {
        let given = bearer(req).unwrap_or_default();
        // Compared as digests, so the comparison time says nothing of the token.
        if worker::tokens::hash_token(given) != worker::tokens::hash_token(expected) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "metrics need the metrics token",
            );
        }
    }
    match crate::metrics::render(&state.metrics, &state.db, &state.queue).await {
        Ok(text) => Response::builder()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .header("cache-control", "no-store")
            .body(text),
        Err(e) => {
            tracing::warn!(error.message = %e, "metrics not read");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                "try again later",
            )
        }
    }
}

/// A JSON error body in the shape of GraphQL errors, with a stable code.
pub(crate) fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body =
        serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    match doc.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => ops.iter().any(|(name, op)| {
            op.node.ty == OperationType::Mutation
                && request
                    .operation_name
                    .as_deref()
                    .is_none_or(|wanted| wanted == name.as_str())
        }),
    }
}

#[handler]
async fn graphql(
    req: &Request,
    body: Body,
    schemas: Data<&Schemas>,
    state: Data<&AppState>,
) -> Response {
    let batch = match read_batch(req, body).await {
        Ok(batch) => batch,
        Err(refusal) => return refusal,
    };
    if let BatchRequest::Batch(requests) = &batch
        && !(1..=MAX_BATCH).contains(&requests.len())
    {
        let message = format!("a batch holds 1 to {MAX_BATCH} operations");
        return refuse(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &message);
    }

    let mut batch = batch;
    state.documents.prepare(&mut batch);
    let caller = match bearer(req) {
        Some(token) => match state.callers.of(&state.db, token).await {
            Ok(Some(caller)) => Some(caller),
            // A client that signs in again, or refreshes its session, often
            // still sends the access token that ran out: those need none.
            Ok(None) if needs_no_caller(&mut batch) => None,
            Ok(None) => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHENTICATED",
                    "the token is invalid or expired",
                );
            }
            Err(_) => {
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "INTERNAL",
                    "try again later",
                );
            }
        },
        None => None,
    };
    let modern = accepts_graphql_response(req);
    if let Some((code, message)) = refused(&mut batch, state.introspection) {
        return match batch {
            BatchRequest::Single(_) => {
                let refused = coded(code, message);
                let mut response = encode(BatchResponse::Single(refused), modern);
                if modern {
                    response.set_status(code.status());
                }
                response
            }
            BatchRequest::Batch(_) => refuse(StatusCode::BAD_REQUEST, code.as_str(), &message),
        };
    }
    let operation = match &mut batch {
        BatchRequest::Single(r) => operation_label(r),
        BatchRequest::Batch(_) => "batch".into(),
    };
    let client = client_address(req, state.auth.settings.client_ip_header.as_deref());
    let schema = schemas.of(caller.as_ref()).clone();
    let (batch, reads) = attach(batch, caller, client, &state);

    let limit = state.request_timeout;
    let (mut response, cut) = execute(&schema, batch, limit).await;
    record_reads(&state.db, &reads, &mut response).await;
    if cut {
        tracing::warn!(
            %operation,
            limit_secs = limit.as_secs(),
            "request cut at its time limit"
        );
    }
    match &mut response {
        BatchResponse::Single(r) => with_codes(r),
        BatchResponse::Batch(rs) => rs.iter_mut().for_each(with_codes),
    }
    let operation = match &response {
        BatchResponse::Single(r) if never_ran(r) => unchecked_label(&operation),
        _ => operation,
    };
    let single = matches!(response, BatchResponse::Single(_));
    let mut response = encode(response, modern);
    if cut && single && modern {
        response.set_status(Code::Timeout.status());
    }
    response.extensions_mut().insert(Operation(operation));
    response
}

/// Root fields that run for anyone: signing in, the session and password
/// entries, and a respondent's own form.
const OPEN_FIELDS: [&str; 8] = [
    "signIn",
    "refreshSession",
    "requestPasswordReset",
    "resetPassword",
    "respondentForm",
    "saveResponseDraft",
    "submitResponse",
    "__typename",
];

/// Whether every operation of `batch` selects only [`OPEN_FIELDS`] at its
/// root, named directly (not through fragments).
fn needs_no_caller(batch: &mut BatchRequest) -> bool {
    use async_graphql::parser::types::Selection;
    batch.iter_mut().all(|request| {
        if crate::limits::check_length(&request.query).is_err() {
            return false;
        }
        let name = request.operation_name.clone();
        let Ok(doc) = request.parsed_query() else {
            return false;
        };
        operation(doc, name.as_deref()).is_some_and(|op| {
            op.selection_set
                .node
                .items
                .iter()
                .all(|item| match &item.node {
                    Selection::Field(f) => OPEN_FIELDS.contains(&f.node.name.node.as_str()),
                    _ => false,
                })
        })
    })
}

/// Runs the operations of `batch`, one after the other, for `limit` in all.
/// An operation still running then is cut: its future is dropped, so an
/// open transaction rolls back, and it is answered `TIMEOUT`, as is any
/// not yet begun. Also says whether any was cut.
async fn execute(
    schema: &AppSchema,
    batch: BatchRequest,
    limit: Duration,
) -> (BatchResponse, bool) {
    let deadline = tokio::time::Instant::now() + limit;
    let run = async |request: async_graphql::Request| {
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::timeout_at(deadline, schema.execute(request))
            .await
            .ok()
    };
    match batch {
        BatchRequest::Single(request) => match run(request).await {
            Some(response) => (BatchResponse::Single(response), false),
            None => (BatchResponse::Single(timed_out(limit)), true),
        },
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            let mut cut = false;
            for request in requests {
                responses.push(run(request).await.unwrap_or_else(|| {
                    cut = true;
                    timed_out(limit)
                }));
            }
            (BatchResponse::Batch(responses), cut)
        }
    }
}

/// The answer to an operation cut at the time limit.
fn timed_out(limit: Duration) -> async_graphql::Response {
    let message = format!(
        "the request ran past its limit of {} s and was stopped; a mutation stopped \
         this way made all of its changes or none of them",
        limit.as_secs()
    );
    let mut error = async_graphql::ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", Code::Timeout.as_str());
    async_graphql::Response::from_errors(vec![error])
}

/// Why a request of `batch` is refused before it runs, if it is: its
/// document is too costly to look at further (see [`crate::limits`]), or
/// it asks for introspection where that is turned off. Documents that do
/// not parse are left to the schema, which says why.
fn refused(batch: &mut BatchRequest, introspection: bool) -> Option<(Code, String)> {
    batch.iter_mut().find_map(|r| refusal(r, introspection))
}

/// Why `request` is refused before it runs, if it is; over HTTP and over
/// WebSocket alike.
pub(crate) fn refusal(
    request: &mut async_graphql::Request,
    introspection: bool,
) -> Option<(Code, String)> {
    if let Err(message) = crate::limits::check_length(&request.query) {
        return Some((Code::BadUserInput, message));
    }
    let doc = request.parsed_query().ok()?;
    if let Err(message) = crate::limits::check(doc) {
        return Some((Code::BadUserInput, message));
    }
    (!introspection && crate::limits::introspects(doc)).then(|| {
        let message =
            "introspection is turned off on this server; its schema is published as schema.graphql";
        (Code::Forbidden, message.to_owned())
    })
}

/// An answer of one error with `code`.
pub(crate) fn coded(code: Code, message: String) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    async_graphql::Response::from_errors(vec![error])
}

/// The operation of `doc` a request named `name` runs: the only one, or
/// the one named (the first when several are unnamed).
pub(crate) fn operation<'a>(
    doc: &'a async_graphql::parser::types::ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a async_graphql::parser::types::OperationDefinition> {
    match &doc.operations {
        DocumentOperations::Single(op) => Some(&op.node),
        DocumentOperations::Multiple(ops) => match name {
            Some(name) => ops.get(name).map(|op| &op.node),
            None => ops.values().next().map(|op| &op.node),
        },
    }
}

/// The media type of the GraphQL over HTTP specification.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Whether the client accepts `application/graphql-response+json`, and so
/// expects HTTP statuses to tell a refused request from an executed one.
fn accepts_graphql_response(req: &Request) -> bool {
    req.header("accept").is_some_and(|accept| {
        accept.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let kind = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "") == "q=0");
            kind.eq_ignore_ascii_case(GRAPHQL_RESPONSE) && !refused
        })
    })
}

/// A request that never ran: it did not parse, did not validate, or its
/// variables did not fit. Errors met while running carry a path.
fn never_ran(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The HTTP response. As `application/json`, every request that reached the
/// schema answers 200; as `application/graphql-response+json`, one that
/// never ran answers 400 without a `data` entry.
fn encode(response: BatchResponse, graphql_response: bool) -> Response {
    let refused = match &response {
        BatchResponse::Single(r) if graphql_response && never_ran(r) => {
            let mut body = serde_json::to_value(r).unwrap_or_default();
            if let Some(fields) = body.as_object_mut() {
                fields.remove("data");
            }
            Some(body.to_string())
        }
        _ => None,
    };
    let mut http = GraphQLBatchResponse(response).into_response();
    if graphql_response {
        http.headers_mut().insert(
            poem::http::header::CONTENT_TYPE,
            poem::http::HeaderValue::from_static(
                "application/graphql-response+json; charset=utf-8",
            ),
        );
    }
    if let Some(body) = refused {
        http.set_status(StatusCode::BAD_REQUEST);
        http.set_body(body);
    }
    http
}

/// Gives each request its caller, its client's address, its own batching
/// loader and its own record of staff reads, returned in the order of the
/// requests.
fn attach(
    batch: BatchRequest,
    caller: Option<Caller>,
    client: ClientAddress,
    state: &AppState,
) -> (BatchRequest, Vec<StaffReads>) {
    let sign_in = SignInBudget::default();
    let mut reads = Vec::new();
    let mut with = |mut r: async_graphql::Request| {
        if let Some(caller) = caller.clone() {
            r = r.data(caller);
        }
        let staff_reads = StaffReads::default();
        reads.push(staff_reads.clone());
        r.data(sign_in.clone())
            .data(client.clone())
            .data(staff_reads)
            .data(DbLoader::per_request(state))
    };
    let batch = match batch {
        BatchRequest::Single(r) => BatchRequest::Single(with(r)),
        BatchRequest::Batch(rs) => BatchRequest::Batch(rs.into_iter().map(with).collect()),
    };
    (batch, reads)
}

/// Writes the staff reads the requests made, in one statement. Should that
/// fail, no answer that made one is given: each becomes an `INTERNAL`
/// error, so nothing audited is read without its record.
async fn record_reads(
    db: &sea_orm::DatabaseConnection,
    reads: &[StaffReads],
    response: &mut BatchResponse,
) {
    let made: Vec<bool> = reads.iter().map(|r| !r.is_empty()).collect();
    let Err(error) = StaffReads::flush(db, reads).await else {
        return;
    };
    tracing::error!(
        ?error,
        "staff reads not recorded; their answers are withheld"
    );
    let answers: Vec<&mut async_graphql::Response> = match response {
        BatchResponse::Single(r) => vec![r],
        BatchResponse::Batch(rs) => rs.iter_mut().collect(),
    };
    for (answer, made) in answers.into_iter().zip(made) {
        if made {
            *answer = coded(Code::Internal, "internal error".to_owned());
        }
    }
}

/// Errors raised before our resolvers run (syntax, validation, limits)
/// carry no code of ours: they are the client's to fix. The library's
/// refusal of a costly document says what the limit is and how to meet it.
pub(crate) fn with_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        if error.message == "Query is too complex." {
            error.message = format!(
                "the document is too complex: it may cost at most {}, where each field costs 1 \
                 and each field under a list costs as many times the list's page size (`first` \
                 or `last`, 20 when omitted); ask for smaller pages, or page the outer list",
                crate::schema::MAX_COMPLEXITY
            );
        }
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", crate::error::Code::BadUserInput.as_str());
        }
    }
}

/// The client's address: the last one in `header` when a trusted load
/// balancer sets it (the one it saw; earlier ones the client may have
/// written), else the connection's.
pub(crate) fn client_address(req: &Request, header: Option<&str>) -> ClientAddress {
    let forwarded = header
        .and_then(|h| req.header(h))
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .filter(|a| !a.is_empty());
    match forwarded {
        Some(address) => ClientAddress(address.to_owned()),
        None => ClientAddress(
            req.remote_addr()
                .as_socket_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
        ),
    }
}

/// The bearer token of the `Authorization` header.
pub(crate) fn bearer(req: &Request) -> Option<&str> {
    bearer_token(req.header("authorization")?)
}

/// The token of an `Authorization` value, `Bearer <token>`.
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

async fn read_batch(req: &Request, body: Body) -> Result<BatchRequest, Response> {
    let bad = |e: &dyn std::fmt::Display| {
        refuse(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &e.to_string())
    };

    if req.method() == Method::GET {
        let request =
            parse_query_string(req.uri().query().unwrap_or_default()).map_err(|e| bad(&e))?;
        if is_mutation(&request) {
            return Err(refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "BAD_USER_INPUT",
                "mutations must be sent by POST",
            ));
        }
        return Ok(BatchRequest::Single(request));
    }

    let content_type = req
        .header("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    let json = media_type == "application/json";
    let multipart = media_type == "multipart/form-data";
    if multipart && !PREFLIGHT_HEADERS.iter().any(|h| req.header(h).is_some()) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "multipart requests need an `Apollo-Require-Preflight` header",
        ));
    }
    if !json && !multipart {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            "send GraphQL requests as application/json",
        ));
    }

    let limit = if multipart {
        MAX_BODY_BYTES
    } else {
        MAX_JSON_BODY_BYTES
    };
    let bytes = body.into_bytes_limit(limit).await.map_err(|_| {
        let message = format!(
            "the request body is too large: at most {limit} bytes are accepted \
             (files go as multipart uploads)"
        );
        refuse(StatusCode::PAYLOAD_TOO_LARGE, "BAD_USER_INPUT", &message)
    })?;
    let options = MultipartOptions::default()
        .max_num_files(4)
        .max_file_size(MAX_BODY_BYTES);
    let batch = receive_batch_body(Some(content_type.clone()), bytes.as_ref(), options)
        .await
        .map_err(|e| match e {
            // Serde's wording is not for clients; multipart errors explain themselves.
            async_graphql::ParseRequestError::InvalidRequest(_) => {
                bad(&"the body is not a GraphQL request: JSON with a `query` string")
            }
            other => bad(&other),
        })?;
    // Serde reads a request from a list as readily as from an object, so
    // `[]`, `["{ x }"]` or `[[]]` would pass for requests.
    if json && bytes.trim_ascii_start().starts_with(b"[") {
        let listed: Vec<serde_json::Value> = serde_json::from_slice(&bytes).unwrap_or_default();
        if listed.is_empty() || !listed.iter().all(serde_json::Value::is_object) {
            return Err(bad(&format!(
                "a batch holds 1 to {MAX_BATCH} operations, each a JSON object with a `query` string"
            )));
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graphql_response_media_type_is_accepted_unless_refused() {
        let with = |accept: &str| {
            let req = Request::builder().header("accept", accept).finish();
            accepts_graphql_response(&req)
        };
        assert!(with("application/graphql-response+json"));
        assert!(with(
            "application/json, Application/GraphQL-Response+JSON;q=0.9"
        ));
        assert!(!with("application/json"));
        assert!(!with(
            "application/graphql-response+json; q=0, application/json"
        ));
        assert!(!accepts_graphql_response(&Request::builder().finish()));
    }

    #[test]
    fn link_tokens_never_reach_the_logs_or_the_metrics() {
        assert_eq!(loggable_path("/respond/s3cr3t"), "/respond/…");
        assert_eq!(loggable_path("/reports/shared/s3cr3t"), "/reports/shared/…");
        assert_eq!(loggable_path("/graphql"), "/graphql");
        assert_eq!(route_label("/unsubscribe/12.s3cr3t"), "page:unsubscribe");
        assert_eq!(route_label("/anything/else"), "unknown");
        assert_eq!(
            route_label("/exports/campaigns/Q2E6MQ/results.csv"),
            "exports"
        );
    }
}
