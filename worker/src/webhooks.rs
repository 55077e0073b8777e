//! Webhooks: the events of an organisation sent to the endpoints it
//! registers, signed per the Standard Webhooks specification.
//!
//! An event is recorded as one delivery per enabled endpoint subscribed to
//! its type, in the transaction that makes it happen (a response stored, a
//! report written), so that a rollback neither loses nor invents one. The
//! worker claims the deliveries due, posts each to its endpoint with the
//! `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, and
//! records every attempt: a 2xx answer delivers it, anything else is tried
//! again after the waits of `WEBHOOK_RETRY_SECS`, and after the last it is
//! given up. A claim keeps a delivery to one worker at a time; a worker
//! that stops mid-way leaves its claim to lapse, and the delivery goes out
//! again under the same `webhook-id`, by which receivers deduplicate.
//!
//! Payloads are thin: the event's `type`, `timestamp` and `data` holding
//! global IDs only. A response to an anonymous campaign names its campaign
//! and nothing else.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, SecondsFormat, Utc};
use entities::{
    WebhookStatus, campaign, matching, relation_alert, webhook_attempt,
    webhook_delivery as delivery, webhook_endpoint as endpoint,
};
use futures::StreamExt;
use hmac::{Hmac, Mac};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tracing::{error, info, warn};

use crate::db::begin_write;
use crate::jobs::{Context, JobError};
use crate::settings::Settings;
use crate::tokens::{TokenKey, hex, random_token};

/// What happened, as an event type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A respondent submitted their answers through an invitation link.
    ResponseSubmitted,
    /// A launched campaign closed: at its closing time, or earlier by
    /// `closeCampaign`.
    CampaignClosed,
    /// A new version of a campaign's or a programme's report was written.
    ReportGenerated,
    /// A matching became active: a proposal accepted, or a coordinator's
    /// own pairing.
    MatchingActivated,
    /// The monitoring of relations raised an alert: a standard breached.
    AlertRaised,
}

impl EventType {
    pub const ALL: [Self; 5] = [
        Self::ResponseSubmitted,
        Self::CampaignClosed,
        Self::ReportGenerated,
        Self::MatchingActivated,
        Self::AlertRaised,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResponseSubmitted => "response.submitted",
            Self::CampaignClosed => "campaign.closed",
            Self::ReportGenerated => "report.generated",
            Self::MatchingActivated => "matching.activated",
            Self::AlertRaised => "alert.raised",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The global ID the API gives an object: `base64url("Type:id")`.
pub fn global_id(kind: &str, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// One occurrence of an event, as sent to every endpoint subscribed.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Sent as `webhook-id`: the same to every endpoint, at every attempt.
    pub id: String,
    pub kind: EventType,
    pub organisation_id: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    pub data: Value,
}

impl Event {
    fn new(kind: EventType, organisation_id: i64, at: DateTime<Utc>, data: Value) -> Self {
        Self {
            id: format!("evt_{}", random_token(18)),
            kind,
            organisation_id,
            at,
            data,
        }
    }

    /// A response submitted to `campaign_id` through `invitation_id`. An
    /// anonymous campaign's names no invitation: nothing in it may point
    /// back to the respondent.
    pub fn response_submitted(
        organisation_id: i64,
        campaign_id: i64,
        invitation_id: i64,
        anonymous: bool,
        at: DateTime<Utc>,
    ) -> Self {
        let mut data = json!({
            "campaignId": global_id("Campaign", campaign_id),
            "anonymous": anonymous,
        });
        if !anonymous {
            data["invitationId"] = json!(global_id("Invitation", invitation_id));
        }
        Self::new(EventType::ResponseSubmitted, organisation_id, at, data)
    }

    /// A campaign closed at `closes_at`. Its id comes from the campaign and
    /// that time, so the close recorded by `closeCampaign` and the one the
    /// sweep finds are one event.
    pub fn campaign_closed(
        organisation_id: i64,
        campaign_id: i64,
        closes_at: DateTime<Utc>,
    ) -> Self {
        let key = format!(
            "campaign.closed:{campaign_id}:{}",
            closes_at.timestamp_millis()
        );
        let digest = hex(&Sha256::digest(key.as_bytes()));
        Self {
            id: format!("evt_{}", &digest[..32]),
            ..Self::new(
                EventType::CampaignClosed,
                organisation_id,
                closes_at,
                json!({ "campaignId": global_id("Campaign", campaign_id) }),
            )
        }
    }

    /// Version `version` of a campaign's report.
    pub fn campaign_report_generated(
        organisation_id: i64,
        report_id: i64,
        campaign_id: i64,
        version: i32,
        at: DateTime<Utc>,
    ) -> Self {
        let data = json!({
            "reportId": global_id("Report", report_id),
            "reportKind": "CAMPAIGN",
            "campaignId": global_id("Campaign", campaign_id),
            "version": version,
        });
        Self::new(EventType::ReportGenerated, organisation_id, at, data)
    }

    /// Version `version` of a programme's report.
    pub fn programme_report_generated(
        organisation_id: i64,
        report_id: i64,
        programme_id: i64,
        version: i32,
        at: DateTime<Utc>,
    ) -> Self {
        let data = json!({
            "reportId": global_id("ProgrammeReport", report_id),
            "reportKind": "PROGRAMME",
            "programmeId": global_id("Programme", programme_id),
            "version": version,
        });
        Self::new(EventType::ReportGenerated, organisation_id, at, data)
    }

    /// A matching that has just become active.
    pub fn matching_activated(m: &matching::Model, at: DateTime<Utc>) -> Self {
        let data = json!({
            "matchingId": global_id("Matching", m.id),
            "programmeId": global_id("Programme", m.programme_id),
            "roleId": global_id("TutorRole", m.role_id),
            "learnerId": global_id("Person", m.learner_id),
            "tutorId": global_id("Person", m.tutor_id),
        });
        Self::new(EventType::MatchingActivated, m.organisation_id, at, data)
    }

    /// An alert just raised. Its message stays out: it may name people.
    pub fn alert_raised(a: &relation_alert::Model) -> Self {
        let severity = match a.severity {
            entities::Severity::Low => "LOW",
            entities::Severity::Medium => "MEDIUM",
            entities::Severity::High => "HIGH",
        };
        let data = json!({
            "alertId": global_id("RelationAlert", a.id),
            "matchingId": global_id("Matching", a.matching_id),
            "programmeId": global_id("Programme", a.programme_id),
            "standardId": global_id("Standard", a.standard_id),
            "severity": severity,
            "day": a.day.to_string(),
        });
        Self::new(
            EventType::AlertRaised,
            a.organisation_id,
            a.created_at,
            data,
        )
    }

    /// The body sent: `type`, `timestamp` and `data`.
    pub fn payload(&self) -> Value {
        json!({
            "type": self.kind.as_str(),
            "timestamp": self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": self.data,
        })
    }
}

/// The event types an endpoint subscribed to; none when they do not read.
pub fn event_types(e: &endpoint::Model) -> Vec<String> {
    serde_json::from_value(e.event_types.clone()).unwrap_or_default()
}

fn subscribes(e: &endpoint::Model, kind: EventType) -> bool {
    e.enabled && event_types(e).iter().any(|t| t == kind.as_str())
}

/// The enabled endpoints subscribed to `kind`, of one organisation or all.
async fn subscribed(
    conn: &impl ConnectionTrait,
    organisation_id: Option<i64>,
    kind: EventType,
) -> Result<Vec<endpoint::Model>, DbErr> {
    let mut query = endpoint::Entity::find().filter(endpoint::Column::Enabled.eq(true));
    if let Some(org) = organisation_id {
        query = query.filter(endpoint::Column::OrganisationId.eq(org));
    }
    let all = query.all(conn).await?;
    Ok(all.into_iter().filter(|e| subscribes(e, kind)).collect())
}

/// The organisations with an enabled endpoint subscribed to `kind`, for
/// work that records events only where someone listens.
pub async fn organisations_listening(
    conn: &impl ConnectionTrait,
    kind: EventType,
) -> Result<HashSet<i64>, DbErr> {
    let endpoints = subscribed(conn, None, kind).await?;
    Ok(endpoints.into_iter().map(|e| e.organisation_id).collect())
}

/// Records `event` for every enabled endpoint of its organisation that
/// subscribed to its type, on `conn`: the transaction of the event itself.
/// Returns the deliveries recorded; an endpoint holding the event already
/// keeps the one it has.
pub async fn record(conn: &impl ConnectionTrait, event: &Event) -> Result<u64, DbErr> {
    let endpoints = subscribed(conn, Some(event.organisation_id), event.kind).await?;
    let ids: Vec<i64> = endpoints.iter().map(|e| e.id).collect();
    record_for(conn, event, &ids).await
}

async fn record_for(
    conn: &impl ConnectionTrait,
    event: &Event,
    endpoint_ids: &[i64],
) -> Result<u64, DbErr> {
    if endpoint_ids.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let payload = event.payload();
    let rows = endpoint_ids.iter().map(|id| delivery::ActiveModel {
        organisation_id: Set(event.organisation_id),
        endpoint_id: Set(*id),
        event_id: Set(event.id.clone()),
        event_type: Set(event.kind.as_str().to_owned()),
        payload: Set(payload.clone()),
        attempts: Set(0),
        attempts_before_redelivery: Set(0),
        status: Set(WebhookStatus::Pending),
        last_status_code: Set(None),
        last_error: Set(None),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        created_at: Set(now),
        last_attempt_at: Set(None),
        delivered_at: Set(None),
        ..Default::default()
    });
    let inserted = delivery::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([delivery::Column::EndpointId, delivery::Column::EventId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await;
    match inserted {
        Ok(n) => Ok(n),
        Err(DbErr::RecordNotInserted) => Ok(0),
        Err(e) => Err(e),
    }
}

/// How far back the sweep looks for campaigns that closed: longer than
/// any downtime worth catching up on, short enough to stay cheap.
const CLOSED_LOOKBACK_DAYS: i64 = 7;

/// Records `campaign.closed` for the launched campaigns that reached their
/// closing time within the week before `at`, for the endpoints subscribed
/// before it; each once, as the event's id comes from the campaign and its
/// closing time. Run by the reminder sweep; `closeCampaign` records its own
/// close at once. Returns the deliveries recorded.
pub async fn record_closed_campaigns(
    db: &DatabaseConnection,
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let endpoints = subscribed(db, None, EventType::CampaignClosed).await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let mut by_org: HashMap<i64, Vec<&endpoint::Model>> = HashMap::new();
    for e in &endpoints {
        by_org.entry(e.organisation_id).or_default().push(e);
    }
    let closed = campaign::Entity::find()
        .filter(campaign::Column::OrganisationId.is_in(by_org.keys().copied()))
        .filter(campaign::Column::LaunchedAt.is_not_null())
        .filter(campaign::Column::ClosesAt.lte(at))
        .filter(campaign::Column::ClosesAt.gt(at - chrono::Duration::days(CLOSED_LOOKBACK_DAYS)))
        .all(db)
        .await?;
    if closed.is_empty() {
        return Ok(0);
    }
    let events: Vec<Event> = closed
        .iter()
        .map(|c| Event::campaign_closed(c.organisation_id, c.id, c.closes_at))
        .collect();
    let known: HashSet<(i64, String)> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::EndpointId)
        .column(delivery::Column::EventId)
        .filter(delivery::Column::EndpointId.is_in(endpoints.iter().map(|e| e.id)))
        .filter(delivery::Column::EventId.is_in(events.iter().map(|e| e.id.clone())))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();

    let mut recorded = 0;
    for event in &events {
        let owed: Vec<i64> = by_org
            .get(&event.organisation_id)
            .into_iter()
            .flatten()
            .filter(|e| e.created_at <= event.at)
            .filter(|e| !known.contains(&(e.id, event.id.clone())))
            .map(|e| e.id)
            .collect();
        recorded += record_for(db, event, &owed).await?;
    }
    Ok(recorded)
}

/// How secrets are shown: `whsec_` and the key in base64.
pub const SECRET_PREFIX: &str = "whsec_";

/// How long the secret before a rotation still signs: time for the
/// receiver to switch to the new one without missing a webhook.
pub fn rotation_grace() -> chrono::Duration {
    chrono::Duration::hours(24)
}

/// A nonce for a new signing secret.
pub fn new_secret_nonce() -> String {
    random_token(24)
}

/// The signing key a nonce stands for: 32 bytes derived with the
/// installation's secret key, so the database alone cannot sign.
pub fn signing_key(tokens: &TokenKey, nonce: &str) -> [u8; 32] {
    tokens.secret(&format!("webhook:{nonce}"))
}

/// A key as the receiver is given it.
pub fn secret_text(key: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key behind a secret as shown (with or without its prefix).
pub fn key_of_secret(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD.decode(encoded).ok()
}

/// One signature, `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The keys an endpoint signs with at `at`: its secret, and during the
/// grace after a rotation the one before.
pub fn signing_keys(tokens: &TokenKey, e: &endpoint::Model, at: DateTime<Utc>) -> Vec<[u8; 32]> {
    let mut keys = vec![signing_key(tokens, &e.secret_nonce)];
    if let (Some(nonce), Some(until)) = (&e.previous_secret_nonce, e.previous_secret_until)
        && at < until
    {
        keys.push(signing_key(tokens, nonce));
    }
    keys
}

/// Longest endpoint URL accepted.
pub const MAX_URL_LENGTH: usize = 2000;

/// Where an address or a host name leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The internet.
    Public,
    /// This machine.
    Loopback,
    /// A private network, a link-local address (cloud metadata services
    /// sit there), or a range that routes nowhere public.
    Internal,
}

/// Where an IPv4 address leads.
fn reach_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, c, _] = ip.octets();
    let internal = a == 0
        || a == 10
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224;
    if a == 127 {
        Reach::Loopback
    } else if internal {
        Reach::Internal
    } else {
        Reach::Public
    }
}

/// Where an address leads. IPv6 forms that carry an IPv4 address (mapped,
/// NAT64, 6to4) lead where that address does.
pub fn reach(ip: IpAddr) -> Reach {
    let v6 = match ip {
        IpAddr::V4(v4) => return reach_v4(v4),
        IpAddr::V6(v6) => v6,
    };
    let s = v6.segments();
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        reach_v4(Ipv4Addr::new(a, b, c, d))
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return reach_v4(v4);
    }
    if v6 == Ipv6Addr::LOCALHOST {
        return Reach::Loopback;
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return embedded(s[6], s[7]);
    }
    if s[0] == 0x2002 {
        return embedded(s[1], s[2]);
    }
    let internal = s[..6] == [0, 0, 0, 0, 0, 0]
        || (s[0] == 0x100 && s[1..4] == [0, 0, 0])
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] & 0xff00) == 0xff00
        || (s[0] == 0x2001 && s[1] < 0x200)
        || (s[0] == 0x2001 && s[1] == 0xdb8);
    if internal {
        Reach::Internal
    } else {
        Reach::Public
    }
}

/// Where a host name leads, as far as its name tells: `localhost` is this
/// machine; a name without a dot, or under a suffix kept for private
/// networks, is internal. Where the rest leads, resolving says.
fn name_reach(name: &str) -> Reach {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let private_suffix = [".local", ".internal", ".localdomain", ".home.arpa", ".lan"]
        .iter()
        .any(|s| name.ends_with(s));
    if name == "localhost" || name.ends_with(".localhost") {
        Reach::Loopback
    } else if !name.contains('.') || private_suffix {
        Reach::Internal
    } else {
        Reach::Public
    }
}

fn allowed(reach: Reach, allow_loopback: bool) -> bool {
    match reach {
        Reach::Public => true,
        Reach::Loopback => allow_loopback,
        Reach::Internal => false,
    }
}

/// Checks an endpoint URL: `https://` to a public host, with no user name
/// or password in it. With `allow_loopback`, a loopback host may be named
/// too, over `http://` as well. Says what is wrong otherwise.
pub fn check_url(raw: &str, allow_loopback: bool) -> Result<Url, &'static str> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LENGTH {
        return Err("is longer than 2,000 characters");
    }
    let url = Url::parse(raw).map_err(|_| "is not an absolute URL")?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err("must be an https:// URL"),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold a user name or password");
    }
    // The parser writes IPv4 addresses in every form (`2852039166`,
    // `0xa9.254.169.254`) as dotted quads, and IPv6 ones in brackets.
    let host = url.host_str().ok_or("is not an absolute URL")?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let reach = match bare.parse::<IpAddr>() {
        Ok(ip) => reach(ip),
        Err(_) => name_reach(host),
    };
    if !allowed(reach, allow_loopback) {
        return Err("must lead to a public host, not a private, loopback or link-local address");
    }
    if !https && reach != Reach::Loopback {
        return Err("must use https://");
    }
    Ok(url)
}

/// A host that resolved to no address webhooks may go to.
#[derive(Debug, thiserror::Error)]
#[error("the host has no public address")]
struct NoPublicAddress;

/// Resolves host names to the addresses webhooks may go to only, so that a
/// name pointing into a private network (at once, or after the endpoint
/// was checked) leads nowhere.
struct PublicResolver {
    allow_loopback: bool,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let kept: Vec<SocketAddr> = found
                .filter(|a| allowed(reach(a.ip()), allow_loopback))
                .collect();
            if kept.is_empty() {
                return Err(Box::new(NoPublicAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// How webhooks are sent: the HTTP client, the retry schedule, and the
/// signal that wakes the delivery loop.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    retries: Vec<Duration>,
    timeout: Duration,
    allow_loopback: bool,
    wake: Arc<tokio::sync::Notify>,
}

impl Sender {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.webhook_timeout_secs.max(1));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .dns_resolver(Arc::new(PublicResolver {
                allow_loopback: settings.webhook_allow_loopback,
            }))
            .user_agent(concat!("tutorial-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            retries: settings
                .webhook_retry_secs
                .iter()
                .map(|s| Duration::from_secs_f64(s.clamp(0.0, 1e7)))
                .collect(),
            timeout,
            allow_loopback: settings.webhook_allow_loopback,
            wake: Arc::default(),
        })
    }

    /// Has the delivery loop of this process look for due deliveries now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Attempts a delivery gets before it is given up.
    pub fn attempts(&self) -> i32 {
        i32::try_from(self.retries.len()).unwrap_or(i32::MAX - 1) + 1
    }

    /// The wait after failed attempt `n` (1-based) of a delivery.
    pub fn delay(&self, n: i32) -> Duration {
        let i = usize::try_from(n.max(1) - 1).unwrap_or(0);
        self.retries
            .get(i)
            .or(self.retries.last())
            .copied()
            .unwrap_or_default()
    }

    /// How long a claim holds: one endpoint's longest answer, twice, and
    /// the database waits around it. A claim older than this belongs to a
    /// worker that stopped.
    fn lease(&self, db_timeout: Duration) -> chrono::Duration {
        chrono::Duration::from_std(self.timeout * 2 + db_timeout * 3)
            .unwrap_or(chrono::Duration::MAX)
    }
}

/// What a run of the deliveries due did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub delivered: usize,
    /// Failed attempts to be tried again later.
    pub retrying: usize,
    /// Given up: out of attempts, or their endpoint disabled.
    pub failed: usize,
}

/// Deliveries claimed at once.
const BATCH: u64 = 8;
/// Batches one run sends at most, so that a run ends.
const BATCHES_PER_RUN: usize = 50;

/// Sends the deliveries due now, a batch at a time, until none is left
/// (or the run has sent its share; the loop runs again at once).
pub async fn deliver_due(ctx: &Context) -> Result<Delivered, JobError> {
    let mut done = Delivered::default();
    for _ in 0..BATCHES_PER_RUN {
        let claimed = claim(ctx).await?;
        if claimed.is_empty() {
            break;
        }
        let endpoints: HashMap<i64, endpoint::Model> = endpoint::Entity::find()
            .filter(endpoint::Column::Id.is_in(claimed.iter().map(|d| d.endpoint_id)))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let outcomes: Vec<Result<WebhookStatus, JobError>> = futures::stream::iter(claimed)
            .map(|d| {
                let e = endpoints.get(&d.endpoint_id).cloned();
                async move { attempt(ctx, d, e).await }
            })
            .buffer_unordered(BATCH as usize)
            .collect()
            .await;
        // Every outcome is counted before an error is passed on: the
        // deliveries whose record failed were released for another try.
        let mut first_error = None;
        for outcome in outcomes {
            match outcome {
                Ok(WebhookStatus::Delivered) => done.delivered += 1,
                Ok(WebhookStatus::Pending) => done.retrying += 1,
                Ok(WebhookStatus::Failed) => done.failed += 1,
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
    }
    if done != Delivered::default() {
        info!(
            delivered = done.delivered,
            retrying = done.retrying,
            failed = done.failed,
            "webhooks sent"
        );
    }
    Ok(done)
}

/// Claims up to a batch of the deliveries due, for this worker alone: the
/// update takes only rows still unclaimed (or whose claim lapsed) when it
/// writes them, so two workers never hold the same one.
async fn claim(ctx: &Context) -> Result<Vec<delivery::Model>, DbErr> {
    let now = Utc::now();
    let free = || {
        Condition::any()
            .add(delivery::Column::ClaimedUntil.is_null())
            .add(delivery::Column::ClaimedUntil.lt(now))
    };
    let due = Query::select()
        .column(delivery::Column::Id)
        .from(delivery::Entity)
        .and_where(delivery::Column::Status.eq(WebhookStatus::Pending))
        .and_where(delivery::Column::NextAttemptAt.lte(now))
        .cond_where(free())
        .order_by(delivery::Column::NextAttemptAt, sea_orm::Order::Asc)
        .limit(BATCH)
        .to_owned();
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::ClaimedUntil,
            Expr::value(Some(now + ctx.webhooks.lease(ctx.db_timeout))),
        )
        .filter(delivery::Column::Id.in_subquery(due))
        .filter(delivery::Column::Status.eq(WebhookStatus::Pending))
        .filter(free())
        .exec_with_returning(&ctx.db)
        .await
}

/// When the next delivery falls due, if one is pending: its next attempt,
/// or, while another sender holds it, the moment that claim lapses.
async fn next_due(db: &DatabaseConnection) -> Result<Option<DateTime<Utc>>, DbErr> {
    let now = Utc::now();
    let earliest = |column: delivery::Column, held: bool| {
        let claim = if held {
            Condition::all().add(delivery::Column::ClaimedUntil.gte(now))
        } else {
            Condition::any()
                .add(delivery::Column::ClaimedUntil.is_null())
                .add(delivery::Column::ClaimedUntil.lt(now))
        };
        delivery::Entity::find()
            .select_only()
            .column_as(column.min(), "next")
            .filter(delivery::Column::Status.eq(WebhookStatus::Pending))
            .filter(claim)
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
    };
    let free = earliest(delivery::Column::NextAttemptAt, false)
        .await?
        .flatten();
    let lapse = earliest(delivery::Column::ClaimedUntil, true)
        .await?
        .flatten();
    Ok(free.into_iter().chain(lapse).min())
}

/// What an endpoint made of one attempt.
struct Answer {
    status: Option<u16>,
    error: Option<String>,
    /// A `Retry-After` in seconds, if the endpoint sent one.
    retry_after: Option<Duration>,
}

/// Longest `Retry-After` followed: an endpoint cannot push its retries
/// past a day.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Posts one delivery to its endpoint, signed.
async fn post(ctx: &Context, e: &endpoint::Model, d: &delivery::Model) -> Answer {
    let failed = |error: String| Answer {
        status: None,
        error: Some(error),
        retry_after: None,
    };
    let sender = &ctx.webhooks;
    // Checked again at each attempt: the settings may have changed since.
    let Ok(url) = check_url(&e.url, sender.allow_loopback) else {
        return failed("the URL is not allowed".into());
    };
    let Ok(body) = serde_json::to_vec(&d.payload) else {
        return failed("the payload does not serialise".into());
    };
    let now = Utc::now();
    let timestamp = now.timestamp();
    let signature = signing_keys(&ctx.tokens, e, now)
        .iter()
        .map(|key| sign(key, &d.event_id, timestamp, &body))
        .collect::<Vec<_>>()
        .join(" ");
    let sent = sender
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
            let error = (!status.is_success()).then(|| match status.as_u16() {
                300..=399 => format!("answered {} (redirects are not followed)", status.as_u16()),
                code => format!("answered {code}"),
            });
            Answer {
                status: Some(status.as_u16()),
                error,
                retry_after,
            }
        }
        Err(err) => failed(describe(&err, sender.timeout)),
    }
}

/// A failed request in a few words: never its URL, which may hold a token.
fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    let refused = std::iter::successors(Some(err as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .any(|e| e.is::<NoPublicAddress>());
    if refused {
        NoPublicAddress.to_string()
    } else if err.is_timeout() {
        format!("no answer within {} s", timeout.as_secs())
    } else if err.is_connect() {
        "could not connect".into()
    } else {
        "the request failed".into()
    }
}

/// Makes one attempt at a claimed delivery and records it; returns where
/// the delivery stands after it.
async fn attempt(
    ctx: &Context,
    d: delivery::Model,
    e: Option<endpoint::Model>,
) -> Result<WebhookStatus, JobError> {
    let Some(e) = e.filter(|e| e.enabled) else {
        give_up(&ctx.db, d.id, "the endpoint is disabled").await?;
        return Ok(WebhookStatus::Failed);
    };
    let started = Instant::now();
    let answer = post(ctx, &e, &d).await;
    let tried = Tried::judge(ctx, &d, answer, started.elapsed());
    if tried.status != WebhookStatus::Delivered {
        warn!(
            delivery_id = d.id,
            endpoint_id = e.id,
            event_type = %d.event_type,
            attempt = tried.number,
            status_code = tried.code,
            error.message = tried.error.as_deref().unwrap_or_default(),
            "webhook attempt failed"
        );
    }
    if let Err(err) = tried.record(&ctx.db, d.id, e.id).await {
        // Unrecorded, the attempt is made again: released now rather than
        // when its claim lapses.
        if let Err(release) = release(&ctx.db, d.id).await {
            error!(delivery_id = d.id, error.message = %release, "webhook claim not released");
        }
        return Err(err.into());
    }
    Ok(tried.status)
}

/// One attempt made, and what it makes of its delivery.
struct Tried {
    number: i32,
    at: DateTime<Utc>,
    elapsed: Duration,
    code: Option<i32>,
    error: Option<String>,
    /// The endpoint answered 410 Gone: it wants nothing more.
    gone: bool,
    status: WebhookStatus,
    next: DateTime<Utc>,
}

impl Tried {
    fn judge(ctx: &Context, d: &delivery::Model, answer: Answer, elapsed: Duration) -> Self {
        let at = Utc::now();
        let number = d.attempts + 1;
        let in_round = number - d.attempts_before_redelivery;
        let gone = answer.status == Some(410);
        let (status, next) = match answer.status {
            Some(code) if (200..300).contains(&code) => (WebhookStatus::Delivered, at),
            _ if gone || in_round >= ctx.webhooks.attempts() => (WebhookStatus::Failed, at),
            _ => {
                let wait = ctx
                    .webhooks
                    .delay(in_round)
                    .max(answer.retry_after.unwrap_or_default());
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1));
                (WebhookStatus::Pending, at + wait)
            }
        };
        let error = if gone {
            Some("answered 410 Gone: the endpoint is disabled".to_owned())
        } else {
            answer.error
        };
        Self {
            number,
            at,
            elapsed,
            code: answer.status.map(i32::from),
            error,
            gone,
            status,
            next,
        }
    }

    /// Logs the attempt and updates its delivery, in one transaction.
    async fn record(
        &self,
        db: &DatabaseConnection,
        delivery_id: i64,
        endpoint_id: i64,
    ) -> Result<(), DbErr> {
        let txn = begin_write(db).await?;
        webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
            delivery_id: Set(delivery_id),
            number: Set(self.number),
            attempted_at: Set(self.at),
            status_code: Set(self.code),
            error: Set(self.error.clone()),
            duration_ms: Set(i64::try_from(self.elapsed.as_millis()).unwrap_or(i64::MAX)),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        // Only while still pending: a disabled endpoint's deliveries, failed
        // meanwhile, stay failed.
        delivery::Entity::update_many()
            .col_expr(delivery::Column::Status, Expr::value(self.status))
            .col_expr(delivery::Column::Attempts, Expr::value(self.number))
            .col_expr(delivery::Column::LastStatusCode, Expr::value(self.code))
            .col_expr(delivery::Column::LastError, Expr::value(self.error.clone()))
            .col_expr(delivery::Column::LastAttemptAt, Expr::value(Some(self.at)))
            .col_expr(delivery::Column::NextAttemptAt, Expr::value(self.next))
            .col_expr(
                delivery::Column::DeliveredAt,
                Expr::value((self.status == WebhookStatus::Delivered).then_some(self.at)),
            )
            .col_expr(
                delivery::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(delivery::Column::Id.eq(delivery_id))
            .filter(delivery::Column::Status.eq(WebhookStatus::Pending))
            .exec(&txn)
            .await?;
        if self.gone {
            // The endpoint says it wants no more: the specification's answer
            // is to stop sending to it.
            disable(&txn, endpoint_id, self.at, "the endpoint answered 410 Gone").await?;
        }
        txn.commit().await
    }
}

/// Gives a claimed delivery back, unchanged, to whichever sender comes next.
async fn release(db: &DatabaseConnection, id: i64) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Status.eq(WebhookStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives a delivery up without an attempt.
async fn give_up(db: &DatabaseConnection, id: i64, why: &str) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(WebhookStatus::Failed))
        .col_expr(delivery::Column::LastError, Expr::value(Some(why)))
        .col_expr(
            delivery::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Status.eq(WebhookStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Disables an endpoint and gives up what it still had pending, with
/// `why` as their error. Returns whether it was enabled.
pub async fn disable(
    conn: &impl ConnectionTrait,
    endpoint_id: i64,
    at: DateTime<Utc>,
    why: &str,
) -> Result<bool, DbErr> {
    let changed = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::Enabled, Expr::value(false))
        .col_expr(endpoint::Column::DisabledAt, Expr::value(Some(at)))
        .filter(endpoint::Column::Id.eq(endpoint_id))
        .filter(endpoint::Column::Enabled.eq(true))
        .exec(conn)
        .await?;
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(WebhookStatus::Failed))
        .col_expr(delivery::Column::LastError, Expr::value(Some(why)))
        .filter(delivery::Column::EndpointId.eq(endpoint_id))
        .filter(delivery::Column::Status.eq(WebhookStatus::Pending))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected > 0)
}

/// How long the loop sleeps at most: deliveries recorded by another
/// process, or claims that lapsed, are found within this.
const POLL: Duration = Duration::from_secs(30);
/// How long the loop sleeps at least, so a delivery due but claimed
/// elsewhere does not keep it spinning.
const MIN_WAIT: Duration = Duration::from_millis(50);
/// How long the loop sleeps at least after the database failed it.
const ERROR_WAIT: Duration = Duration::from_secs(1);

/// Delivers webhooks as they fall due, until `stop` turns true: at once
/// when woken (an event recorded in this process), at each delivery's next
/// attempt, and every [`POLL`] for what other processes recorded.
pub async fn run(ctx: Arc<Context>, mut stop: tokio::sync::watch::Receiver<bool>) {
    while !*stop.borrow() {
        let least = match deliver_due(&ctx).await {
            Ok(_) => MIN_WAIT,
            Err(e) => {
                error!(error.message = %e, "webhooks not sent");
                ERROR_WAIT
            }
        };
        let wait = match next_due(&ctx.db).await {
            Ok(Some(next)) => (next - Utc::now())
                .to_std()
                .unwrap_or_default()
                .clamp(least, POLL),
            Ok(None) => POLL,
            Err(e) => {
                error!(error.message = %e, "cannot read when the next webhook is due");
                ERROR_WAIT
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.webhooks.wake.notified() => {}
            _ = stop.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_example_of_the_standard_webhooks_specification() {
        // The vector the specification's reference libraries test against.
        let key = key_of_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();

        let signature = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );

        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_32_bytes_shown_with_their_prefix_and_differ_by_nonce() {
        let tokens = TokenKey::new(b"k");

        let key = signing_key(&tokens, "n");
        let shown = secret_text(&key);

        assert!(shown.starts_with("whsec_"));
        assert_eq!(key_of_secret(&shown).as_deref(), Some(&key[..]));
        assert_ne!(key, signing_key(&tokens, "m"));
        assert_ne!(key, signing_key(&TokenKey::new(b"other"), "n"));
    }

    #[test]
    fn the_previous_secret_signs_until_its_grace_ends() {
        let tokens = TokenKey::new(b"k");
        let now = Utc::now();
        let mut e = endpoint::Model {
            id: 1,
            organisation_id: 1,
            url: "https://hooks.example.org/in".into(),
            description: String::new(),
            event_types: json!(["alert.raised"]),
            secret_nonce: "new".into(),
            previous_secret_nonce: Some("old".into()),
            previous_secret_until: Some(now + chrono::Duration::hours(1)),
            enabled: true,
            created_by: None,
            created_at: now,
            disabled_at: None,
        };

        let during = signing_keys(&tokens, &e, now);
        e.previous_secret_until = Some(now - chrono::Duration::seconds(1));
        let after = signing_keys(&tokens, &e, now);

        assert_eq!(
            during,
            [signing_key(&tokens, "new"), signing_key(&tokens, "old")]
        );
        assert_eq!(after, [signing_key(&tokens, "new")]);
    }

    #[test]
    fn public_https_urls_pass_and_the_rest_is_refused() {
        let ok = |u: &str| check_url(u, false).is_ok();

        assert!(ok("https://hooks.example.org/in?token=abc"));
        assert!(ok("https://93.184.216.34/in"));
        assert!(ok("https://[2606:4700::6810:85e5]/in"));
        for refused in [
            "http://hooks.example.org/in",
            "ftp://hooks.example.org/in",
            "hooks.example.org/in",
            "https://user:pass@hooks.example.org/in",
            "https://user@hooks.example.org/in",
            "https://127.0.0.1/in",
            "https://localhost/in",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00:ec2::254]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://2852039166/",
            "https://10.1.2.3/",
            "https://172.20.0.1/",
            "https://192.168.1.1/",
            "https://100.100.100.200/",
            "https://0.0.0.0/",
            "https://[::]/",
            "https://[fe80::1]/",
            "https://metadata.google.internal/",
            "https://db/",
        ] {
            assert!(!ok(refused), "{refused} passed");
        }
        assert!(!ok(&format!("https://example.org/{}", "a".repeat(2000))));
    }

    #[test]
    fn loopback_endpoints_pass_only_when_allowed_and_then_over_http_too() {
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(check_url("http://[::1]:8080/hook", true).is_ok());
        assert!(check_url("http://localhost:8080/hook", true).is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook", false).is_err());
        // Allowing loopback opens neither plain http elsewhere nor the
        // private ranges.
        assert!(check_url("http://hooks.example.org/in", true).is_err());
        assert!(check_url("https://169.254.169.254/", true).is_err());
        assert!(check_url("https://10.0.0.1/", true).is_err());
    }

    #[test]
    fn retries_follow_the_schedule_and_then_give_up() {
        let settings = Settings {
            webhook_retry_secs: vec![5.0, 300.0, 0.25],
            ..Settings::default()
        };
        let sender = Sender::new(&settings).unwrap();

        assert_eq!(sender.attempts(), 4);
        assert_eq!(sender.delay(1), Duration::from_secs(5));
        assert_eq!(sender.delay(2), Duration::from_secs(300));
        assert_eq!(sender.delay(3), Duration::from_millis(250));
        assert_eq!(Settings::default().webhook_retry_secs.len() + 1, 10);
    }

    #[test]
    fn event_types_read_back_from_their_names() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventType::parse("response.deleted"), None);
    }

    #[test]
    fn a_response_to_an_anonymous_campaign_names_nobody() {
        let at = Utc::now();

        let anonymous = Event::response_submitted(1, 7, 42, true, at);
        let identified = Event::response_submitted(1, 7, 42, false, at);

        assert_eq!(
            anonymous.data,
            json!({ "campaignId": global_id("Campaign", 7), "anonymous": true })
        );
        assert_eq!(
            identified.data["invitationId"],
            json!(global_id("Invitation", 42))
        );
        assert_ne!(anonymous.id, identified.id);
        assert_eq!(anonymous.payload()["type"], "response.submitted");
    }

    #[test]
    fn a_campaign_close_has_one_id_however_often_it_is_found() {
        let at = Utc::now();

        let one = Event::campaign_closed(1, 7, at);
        let again = Event::campaign_closed(1, 7, at);
        let reopened = Event::campaign_closed(1, 7, at + chrono::Duration::days(1));

        assert_eq!(one.id, again.id);
        assert_ne!(one.id, reopened.id);
        assert!(!one.id.contains('.'));
    }
}
