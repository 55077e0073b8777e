//! Settings, layered: built-in defaults, then an optional TOML file, then the
//! environment. With nothing set, everything runs embedded under `./data/`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Every setting of the api and the worker.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// PostgreSQL or SQLite URL; unset means a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Redis URL for the job queues; unset means an embedded job store in
    /// `data_dir`, with the job handlers running inside the api.
    pub redis_url: Option<String>,
    /// SMTP URL (`smtp://host:port`, `smtps://user:pass@host`); unset means
    /// mail is written as `.eml` files to `data_dir/outbox`.
    pub smtp_url: Option<String>,
    /// Seconds one email may take at the SMTP server, from connecting to
    /// the server's answer to its content. A slower answer counts as none:
    /// the email is tried again later, under the same Message-ID.
    pub smtp_timeout_secs: u64,
    /// Folder for the embedded database, job store, outbox and generated secret.
    pub data_dir: PathBuf,
    /// Address the api listens on.
    pub bind: SocketAddr,
    /// Public base URL of the api, used in links sent by email.
    pub public_url: String,
    /// Sender of every email.
    pub mail_from: String,
    /// Key that derives invitation tokens; required when several processes
    /// share a database. Unset in embedded mode: generated once in `data_dir`.
    pub secret_key: Option<String>,
    /// `pretty` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// How often a worker tells the job queue it is alive, in seconds. A
    /// worker silent for three of these is taken for dead, and the jobs it
    /// held go back to the queue for the others.
    pub job_heartbeat_secs: u64,
    /// How often the reminder sweep, and the sending of dissemination
    /// plans due, run, in seconds; 0 runs them only when asked for.
    pub sweep_interval_secs: u64,
    /// Hour of the day (UTC, 0–23) at which tutorial relations are checked
    /// against the guide's standards and coordinators get their digest.
    pub monitor_hour_utc: u32,
    /// Maximum number of database connections.
    pub db_max_connections: u32,
    /// Seconds to wait for a database connection, when opening one or
    /// taking one from the pool, before giving up.
    pub db_timeout_secs: u64,
    /// When set, `/metrics` answers only requests carrying
    /// `Authorization: Bearer <metrics_token>`.
    pub metrics_token: Option<String>,
    /// Matching runs over at most this many learner × tutor pairs run at
    /// once in the api; larger ones are queued for the worker.
    pub matching_inline_pairs: usize,
    /// Web origins (`https://app.example.org`) whose pages may call the API;
    /// none by default. Tokens travel in headers, never cookies.
    pub cors_origins: Vec<String>,
    /// Seconds a webhook endpoint has to answer an attempt, connection
    /// included; a slower answer counts as a failed attempt.
    pub webhook_timeout_secs: u64,
    /// Seconds to wait before each retry of a webhook delivery that
    /// failed: after the first attempt, the first wait, and so on. A
    /// delivery is given up after one attempt more than there are waits.
    pub webhook_retry_secs: Vec<f64>,
    /// Lets webhook endpoints on the loopback interface (`127.0.0.1`,
    /// `::1`, `localhost`) in, over plain `http://` too: for development
    /// and tests. Off, endpoints must be `https://` and public.
    pub webhook_allow_loopback: bool,
    /// Seconds an access token (the bearer token of requests) stays valid.
    pub access_token_secs: u64,
    /// Seconds a refresh token stays valid; each refresh issues a new one,
    /// so a session lasts while it is refreshed within this time.
    pub refresh_token_secs: u64,
    /// Seconds a password reset link stays valid.
    pub password_reset_secs: u64,
    /// Failed sign-ins one address (account or not) may have per window.
    pub sign_in_failures_per_account: u32,
    /// Failed sign-ins one client address may have per window.
    pub sign_in_failures_per_client: u32,
    /// Length of the sign-in window, in seconds, counted from its first failure.
    pub sign_in_window_secs: u64,
    /// Header a trusted load balancer puts the client's address in (e.g.
    /// `x-forwarded-for`; its last address is taken). Unset: the address
    /// of the connection.
    pub client_ip_header: Option<String>,
    /// Seconds a GraphQL request may run before it is cut and answered
    /// with a `TIMEOUT` error.
    pub request_timeout_secs: u64,
    /// Whether the GraphQL schema answers introspection (`__schema`,
    /// `__type`). On for local use; production turns it off, since the
    /// schema is published as `schema.graphql`.
    pub graphql_introspection: bool,
    /// Milliseconds a GraphQL request gathers the rows its fields ask for
    /// before reading each kind in one statement, 1–100. Fields resolved
    /// within the window share a statement; a longer one saves statements
    /// to a distant database at that much latency per level of nesting.
    pub graphql_batch_ms: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: None,
            redis_url: None,
            smtp_url: None,
            smtp_timeout_secs: 30,
            data_dir: PathBuf::from("data"),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            mail_from: "Tutorial programme <noreply@localhost>".into(),
            secret_key: None,
            log_format: LogFormat::Pretty,
            sweep_interval_secs: 300,
            job_heartbeat_secs: 10,
            monitor_hour_utc: 2,
            db_max_connections: 10,
            db_timeout_secs: 10,
            metrics_token: None,
            matching_inline_pairs: 50_000,
            cors_origins: Vec::new(),
            webhook_timeout_secs: 10,
            // The schedule of the Standard Webhooks specification: ten
            // attempts over about three days.
            webhook_retry_secs: vec![
                5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0,
            ],
            webhook_allow_loopback: false,
            access_token_secs: 15 * 60,
            refresh_token_secs: 30 * 24 * 3600,
            password_reset_secs: 3600,
            sign_in_failures_per_account: 5,
            sign_in_failures_per_client: 50,
            sign_in_window_secs: 15 * 60,
            client_ip_header: None,
            request_timeout_secs: 30,
            graphql_introspection: true,
            graphql_batch_ms: 1,
        }
    }
}

/// The environment variables read, each naming one field of [`Settings`].
const ENV_VARS: &[&str] = &[
    "DATABASE_URL",
    "REDIS_URL",
    "SMTP_URL",
    "SMTP_TIMEOUT_SECS",
    "DATA_DIR",
    "BIND",
    "PUBLIC_URL",
    "MAIL_FROM",
    "SECRET_KEY",
    "LOG_FORMAT",
    "SWEEP_INTERVAL_SECS",
    "JOB_HEARTBEAT_SECS",
    "MONITOR_HOUR_UTC",
    "MATCHING_INLINE_PAIRS",
    "DB_MAX_CONNECTIONS",
    "DB_TIMEOUT_SECS",
    "METRICS_TOKEN",
    "CORS_ORIGINS",
    "WEBHOOK_TIMEOUT_SECS",
    "WEBHOOK_RETRY_SECS",
    "WEBHOOK_ALLOW_LOOPBACK",
    "ACCESS_TOKEN_SECS",
    "REFRESH_TOKEN_SECS",
    "PASSWORD_RESET_SECS",
    "SIGN_IN_FAILURES_PER_ACCOUNT",
    "SIGN_IN_FAILURES_PER_CLIENT",
    "SIGN_IN_WINDOW_SECS",
    "CLIENT_IP_HEADER",
    "REQUEST_TIMEOUT_SECS",
    "GRAPHQL_INTROSPECTION",
    "GRAPHQL_BATCH_MS",
];

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read settings file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid settings file {path}, line {line}{}: {reason}", key.as_deref().map(|k| format!(" ({k})")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        line: usize,
        /// The key the line sets, if it reads as one; never its value,
        /// which may be a secret.
        key: Option<String>,
        reason: String,
    },
    #[error("invalid value for {name} ({}): {reason}", name.to_lowercase())]
    Value { name: &'static str, reason: String },
}

impl Settings {
    /// Loads defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut settings = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.into(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(0, |span| span.start).min(text.len());
            let line = text[..at].matches('\n').count() + 1;
            SettingsError::Parse {
                path: path.into(),
                line,
                key: text
                    .lines()
                    .nth(line - 1)
                    .and_then(|l| l.split_once('='))
                    .map(|(key, _)| key.trim())
                    .filter(|key| {
                        !key.is_empty()
                            && key
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    })
                    .map(str::to_owned),
                reason: e.message().to_owned(),
            }
        })
    }

    /// Overrides fields from variables found by `lookup`, then checks every
    /// field, whether it came from the defaults, the file or a variable; on
    /// error, `self` is left as it was. Empty values count as unset so that
    /// `DATABASE_URL=` in a shell means "embedded".
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), SettingsError> {
        let mut next = self.clone();
        next.read_env(lookup)?;
        next.tidy();
        next.check()?;
        *self = next;
        Ok(())
    }

    fn read_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<(), SettingsError> {
        for &name in ENV_VARS {
            let Some(value) = lookup(name).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let invalid = |reason: String| SettingsError::Value { name, reason };
            match name {
                "DATABASE_URL" => self.database_url = Some(value),
                "REDIS_URL" => self.redis_url = Some(value),
                "SMTP_URL" => self.smtp_url = Some(value),
                "SMTP_TIMEOUT_SECS" => self.smtp_timeout_secs = number(&value).map_err(invalid)?,
                "DATA_DIR" => self.data_dir = value.into(),
                "BIND" => self.bind = value.parse().map_err(|e| invalid(format!("{e}")))?,
                "PUBLIC_URL" => self.public_url = value,
                "MAIL_FROM" => self.mail_from = value,
                "SECRET_KEY" => self.secret_key = Some(value),
                "LOG_FORMAT" => {
                    self.log_format = match value.trim() {
                        "pretty" => LogFormat::Pretty,
                        "json" => LogFormat::Json,
                        other => return Err(invalid(format!("`{other}` is not pretty or json"))),
                    }
                }
                "SWEEP_INTERVAL_SECS" => {
                    self.sweep_interval_secs = number(&value).map_err(invalid)?
                }
                "JOB_HEARTBEAT_SECS" => {
                    self.job_heartbeat_secs = number(&value).map_err(invalid)?
                }
                "MONITOR_HOUR_UTC" => self.monitor_hour_utc = number(&value).map_err(invalid)?,
                "MATCHING_INLINE_PAIRS" => {
                    self.matching_inline_pairs = number(&value).map_err(invalid)?
                }
                "DB_MAX_CONNECTIONS" => {
                    self.db_max_connections = number(&value).map_err(invalid)?
                }
                "DB_TIMEOUT_SECS" => self.db_timeout_secs = number(&value).map_err(invalid)?,
                "METRICS_TOKEN" => self.metrics_token = Some(value),
                "CORS_ORIGINS" => self.cors_origins = value.split(',').map(str::to_owned).collect(),
                "WEBHOOK_TIMEOUT_SECS" => {
                    self.webhook_timeout_secs = number(&value).map_err(invalid)?
                }
                "REQUEST_TIMEOUT_SECS" => {
                    self.request_timeout_secs = number(&value).map_err(invalid)?
                }
                "WEBHOOK_RETRY_SECS" => {
                    self.webhook_retry_secs = value
                        .split(',')
                        .map(|s| s.trim().parse::<f64>().ok())
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            invalid("must list waits in seconds, separated by commas".into())
                        })?
                }
                "WEBHOOK_ALLOW_LOOPBACK" => {
                    self.webhook_allow_loopback = match value.trim() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        other => return Err(invalid(format!("`{other}` is not true or false"))),
                    }
                }
                "GRAPHQL_INTROSPECTION" => {
                    self.graphql_introspection = match value.trim() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        other => return Err(invalid(format!("`{other}` is not true or false"))),
                    }
                }
                "GRAPHQL_BATCH_MS" => self.graphql_batch_ms = number(&value).map_err(invalid)?,
                "ACCESS_TOKEN_SECS" => self.access_token_secs = number(&value).map_err(invalid)?,
                "REFRESH_TOKEN_SECS" => {
                    self.refresh_token_secs = number(&value).map_err(invalid)?
                }
                "PASSWORD_RESET_SECS" => {
                    self.password_reset_secs = number(&value).map_err(invalid)?
                }
                "SIGN_IN_FAILURES_PER_ACCOUNT" => {
                    self.sign_in_failures_per_account = number(&value).map_err(invalid)?
                }
                "SIGN_IN_FAILURES_PER_CLIENT" => {
                    self.sign_in_failures_per_client = number(&value).map_err(invalid)?
                }
                "SIGN_IN_WINDOW_SECS" => {
                    self.sign_in_window_secs = number(&value).map_err(invalid)?
                }
                "CLIENT_IP_HEADER" => self.client_ip_header = Some(value),
                _ => {}
            }
        }
        Ok(())
    }

    /// Refuses values out of their range, named as their variable (the
    /// settings file spells the same name in lower case).
    fn check(&self) -> Result<(), SettingsError> {
        const HOUR: u64 = 3600;
        const DAY: u64 = 24 * HOUR;
        const YEAR: u64 = 365 * DAY;
        // Each from 1 to its most: beyond, a time would overflow the
        // clock's arithmetic, or a pool be allocated for nothing.
        let bounded = [
            ("SMTP_TIMEOUT_SECS", self.smtp_timeout_secs, HOUR),
            ("JOB_HEARTBEAT_SECS", self.job_heartbeat_secs, HOUR),
            ("DB_TIMEOUT_SECS", self.db_timeout_secs, HOUR),
            ("WEBHOOK_TIMEOUT_SECS", self.webhook_timeout_secs, HOUR),
            ("REQUEST_TIMEOUT_SECS", self.request_timeout_secs, DAY),
            ("ACCESS_TOKEN_SECS", self.access_token_secs, YEAR),
            ("REFRESH_TOKEN_SECS", self.refresh_token_secs, 10 * YEAR),
            ("PASSWORD_RESET_SECS", self.password_reset_secs, 30 * DAY),
            ("SIGN_IN_WINDOW_SECS", self.sign_in_window_secs, 30 * DAY),
            ("DB_MAX_CONNECTIONS", self.db_max_connections.into(), 10_000),
            (
                "SIGN_IN_FAILURES_PER_ACCOUNT",
                self.sign_in_failures_per_account.into(),
                1_000_000,
            ),
            (
                "SIGN_IN_FAILURES_PER_CLIENT",
                self.sign_in_failures_per_client.into(),
                1_000_000,
            ),
        ];
        let refuse = |name: &'static str, reason: &str| {
            Err(SettingsError::Value {
                name,
                reason: reason.to_owned(),
            })
        };
        if let Some((name, _, most)) = bounded
            .iter()
            .find(|(_, value, most)| !(1..=*most).contains(value))
        {
            return refuse(name, &format!("must be a whole number from 1 to {most}"));
        }
        if self.sweep_interval_secs > 7 * DAY {
            return refuse(
                "SWEEP_INTERVAL_SECS",
                &format!("must be a whole number from 0 to {}", 7 * DAY),
            );
        }
        if self.access_token_secs > self.refresh_token_secs {
            return refuse(
                "ACCESS_TOKEN_SECS",
                "must not be longer than REFRESH_TOKEN_SECS",
            );
        }
        if self.monitor_hour_utc > 23 {
            return refuse("MONITOR_HOUR_UTC", "must be an hour from 0 to 23");
        }
        if !(1..=100).contains(&self.graphql_batch_ms) {
            return refuse(
                "GRAPHQL_BATCH_MS",
                "must be a whole number of milliseconds, 1 to 100",
            );
        }
        if !self
            .webhook_retry_secs
            .iter()
            .all(|s| (0.0..=1e7).contains(s))
        {
            return refuse(
                "WEBHOOK_RETRY_SECS",
                "must list waits of 0 to 10,000,000 seconds, separated by commas",
            );
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return refuse(
                "MAIL_FROM",
                "must be an email address, with a name before it if you like: \
                 `Tutorial programme <noreply@example.org>`",
            );
        }
        if let Some(url) = &self.smtp_url
            && lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url).is_err()
        {
            return refuse(
                "SMTP_URL",
                "must be an SMTP URL: `smtp://host:25`, `smtp://user:password@host:587?tls=required` \
                 for STARTTLS, or `smtps://user:password@host:465`",
            );
        }
        if !is_public_url(&self.public_url) {
            return refuse(
                "PUBLIC_URL",
                "must be the http:// or https:// address people open, without a query: \
                 `https://tutoring.example.org`",
            );
        }
        Ok(())
    }

    /// Reads every value alike, from the file or the environment: empty
    /// ones are unset, origins and the public URL lose a trailing `/`, the
    /// client address header is compared in lower case.
    fn tidy(&mut self) {
        for value in [
            &mut self.database_url,
            &mut self.redis_url,
            &mut self.smtp_url,
            &mut self.secret_key,
            &mut self.metrics_token,
            &mut self.client_ip_header,
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *value = None;
            }
        }
        self.cors_origins = self
            .cors_origins
            .iter()
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        // Empty is unset, in the file as in the environment.
        let defaults = Self::default();
        self.mail_from = self.mail_from.trim().to_owned();
        if self.mail_from.is_empty() {
            self.mail_from = defaults.mail_from;
        }
        self.public_url = self.public_url.trim().trim_end_matches('/').to_owned();
        if self.public_url.is_empty() {
            self.public_url = defaults.public_url;
        }
        self.client_ip_header = self
            .client_ip_header
            .take()
            .map(|h| h.trim().to_lowercase());
    }

    /// Names of set variables that look like ours but are not read: usually a typo.
    pub fn unknown_env_vars() -> Vec<String> {
        let prefixes = [
            "DATABASE_",
            "REDIS_",
            "SMTP_",
            "CORS_",
            "MAIL_",
            "SECRET_",
            "SWEEP_",
            "JOB_",
            "MONITOR_",
            "MATCHING_",
            "DB_",
            "WEBHOOK_",
            "ACCESS_TOKEN_",
            "REFRESH_TOKEN_",
            "PASSWORD_RESET_",
            "SIGN_IN_",
            "CLIENT_IP_",
            "REQUEST_",
            "GRAPHQL_",
            "METRICS_",
            "LOG_",
        ];
        std::env::vars()
            .map(|(name, _)| name)
            .filter(|name| prefixes.iter().any(|p| name.starts_with(p)))
            .filter(|name| !ENV_VARS.contains(&name.as_str()))
            .collect()
    }

    /// The database URL in force.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tutorial.sqlite").display()
            ),
        }
    }

    /// The folder mail is written to, as `.eml` files, when no SMTP server
    /// is set.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// Whether jobs run inside the api (no Redis configured).
    pub fn embedded_jobs(&self) -> bool {
        self.redis_url.is_none()
    }
}

/// Hides passwords in URLs and the secret key, so settings can be logged.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("smtp_timeout_secs", &self.smtp_timeout_secs)
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("mail_from", &self.mail_from)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("log_format", &self.log_format)
            .field("sweep_interval_secs", &self.sweep_interval_secs)
            .field("job_heartbeat_secs", &self.job_heartbeat_secs)
            .field("monitor_hour_utc", &self.monitor_hour_utc)
            .field("db_max_connections", &self.db_max_connections)
            .field("db_timeout_secs", &self.db_timeout_secs)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("matching_inline_pairs", &self.matching_inline_pairs)
            .field("cors_origins", &self.cors_origins)
            .field("webhook_timeout_secs", &self.webhook_timeout_secs)
            .field("webhook_retry_secs", &self.webhook_retry_secs)
            .field("webhook_allow_loopback", &self.webhook_allow_loopback)
            .field("access_token_secs", &self.access_token_secs)
            .field("refresh_token_secs", &self.refresh_token_secs)
            .field("password_reset_secs", &self.password_reset_secs)
            .field(
                "sign_in_failures_per_account",
                &self.sign_in_failures_per_account,
            )
            .field(
                "sign_in_failures_per_client",
                &self.sign_in_failures_per_client,
            )
            .field("sign_in_window_secs", &self.sign_in_window_secs)
            .field("client_ip_header", &self.client_ip_header)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("graphql_introspection", &self.graphql_introspection)
            .field("graphql_batch_ms", &self.graphql_batch_ms)
            .finish()
    }
}

/// A whole number; its range is checked with the other settings'.
fn number<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .trim()
        .parse::<T>()
        .map_err(|_| format!("`{}` is not a whole number in range", value.trim()))
}

/// `scheme://user:secret@host` becomes `scheme://user:***@host`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = credentials.split(':').next().unwrap_or_default();
    format!("{scheme}://{user}:***@{host}")
}

/// Whether `url` is an absolute http(s) address with a host and neither
/// query nor fragment, to which a path can be added, written as it will
/// appear in links: no space or control character, no user or password
/// (which every email would carry), and the host right after `//`.
fn is_public_url(url: &str) -> bool {
    let written_plainly = !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && ["http://", "https://"].iter().any(|scheme| {
            url.get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
                && !url[scheme.len()..].starts_with('/')
        });
    written_plainly
        && reqwest::Url::parse(url).is_ok_and(|u| {
            u.host_str().is_some_and(|h| !h.is_empty())
                && u.username().is_empty()
                && u.password().is_none()
                && u.query().is_none()
                && u.fragment().is_none()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults_and_empty_values_are_unset() {
        let mut settings = Settings::default();
        let env = |name: &str| match name {
            "REDIS_URL" => Some("redis://127.0.0.1:6379".to_owned()),
            "DATABASE_URL" => Some(String::new()),
            "BIND" => Some("127.0.0.1:9000".to_owned()),
            _ => None,
        };

        settings.apply_env(env).unwrap();

        assert_eq!(
            settings.redis_url.as_deref(),
            Some("redis://127.0.0.1:6379")
        );
        assert_eq!(settings.database_url, None);
        assert_eq!(settings.bind.port(), 9000);
    }

    #[test]
    fn the_production_switches_read_from_the_environment() {
        let mut settings = Settings::default();
        assert!(settings.graphql_introspection);
        assert_eq!(settings.request_timeout_secs, 30);
        assert_eq!(settings.graphql_batch_ms, 1);
        let env = |name: &str| match name {
            "GRAPHQL_INTROSPECTION" => Some("false".to_owned()),
            "REQUEST_TIMEOUT_SECS" => Some("5".to_owned()),
            "GRAPHQL_BATCH_MS" => Some("4".to_owned()),
            _ => None,
        };

        settings.apply_env(env).unwrap();

        assert!(!settings.graphql_introspection);
        assert_eq!(settings.request_timeout_secs, 5);
        assert_eq!(settings.graphql_batch_ms, 4);
        for wrong in ["0", "101", "1.5", "soon"] {
            let refused = settings.apply_env(|n| (n == "GRAPHQL_BATCH_MS").then(|| wrong.into()));
            assert!(
                refused
                    .unwrap_err()
                    .to_string()
                    .contains("GRAPHQL_BATCH_MS"),
                "{wrong} was taken"
            );
        }
        assert_eq!(settings.graphql_batch_ms, 4);
        let mut settings = Settings::default();
        let zero = settings.apply_env(|n| (n == "REQUEST_TIMEOUT_SECS").then(|| "0".into()));
        assert!(
            zero.unwrap_err()
                .to_string()
                .contains("REQUEST_TIMEOUT_SECS")
        );
        let maybe = settings.apply_env(|n| (n == "GRAPHQL_INTROSPECTION").then(|| "off".into()));
        assert!(
            maybe
                .unwrap_err()
                .to_string()
                .contains("GRAPHQL_INTROSPECTION")
        );
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let mut settings = Settings::default();

        let err = settings.apply_env(|n| (n == "BIND").then(|| "nowhere".into()));

        assert!(err.unwrap_err().to_string().contains("BIND"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let settings = Settings {
            database_url: Some("postgres://app:hunter2@db/app".into()),
            secret_key: Some("s3cret".into()),
            ..Settings::default()
        };

        let shown = format!("{settings:?}");

        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"));
        assert!(shown.contains("postgres://app:***@db/app"));
    }

    #[test]
    fn webhook_retries_read_as_a_list_of_waits() {
        let mut settings = Settings::default();

        settings
            .apply_env(|n| (n == "WEBHOOK_RETRY_SECS").then(|| "0.5, 2,60".into()))
            .unwrap();
        let bad = settings.apply_env(|n| (n == "WEBHOOK_RETRY_SECS").then(|| "5,soon".into()));

        assert_eq!(settings.webhook_retry_secs, [0.5, 2.0, 60.0]);
        assert!(bad.unwrap_err().to_string().contains("WEBHOOK_RETRY_SECS"));
    }

    #[test]
    fn values_out_of_range_in_the_file_are_refused_as_in_the_environment() {
        for (line, name) in [
            (
                "graphql_batch_ms = 0",
                "GRAPHQL_BATCH_MS (graphql_batch_ms)",
            ),
            (
                "graphql_batch_ms = 101",
                "GRAPHQL_BATCH_MS (graphql_batch_ms)",
            ),
            ("request_timeout_secs = 0", "REQUEST_TIMEOUT_SECS"),
            ("job_heartbeat_secs = 0", "JOB_HEARTBEAT_SECS"),
            ("db_max_connections = 0", "DB_MAX_CONNECTIONS"),
            ("monitor_hour_utc = 24", "MONITOR_HOUR_UTC"),
            ("webhook_retry_secs = [5.0, -1.0]", "WEBHOOK_RETRY_SECS"),
        ] {
            // What `load` does with this file and no variable set.
            let mut settings: Settings = toml::from_str(line).unwrap();
            let refused = settings.apply_env(|_| None);

            let message = refused.expect_err(line).to_string();
            assert!(message.contains(name), "{line}: {message}");
        }
        let mut fine: Settings = toml::from_str("graphql_batch_ms = 100").unwrap();
        fine.apply_env(|_| None).unwrap();
        assert_eq!(fine.graphql_batch_ms, 100);
    }

    #[test]
    fn values_past_their_most_are_refused_before_they_overflow_a_clock() {
        let max = u64::MAX.to_string();
        for name in [
            "DB_TIMEOUT_SECS",
            "REQUEST_TIMEOUT_SECS",
            "SMTP_TIMEOUT_SECS",
            "WEBHOOK_TIMEOUT_SECS",
            "SIGN_IN_WINDOW_SECS",
            "REFRESH_TOKEN_SECS",
            "PASSWORD_RESET_SECS",
            "SWEEP_INTERVAL_SECS",
        ] {
            let mut settings = Settings::default();
            let refused = settings.apply_env(|n| (n == name).then(|| max.clone()));
            let message = refused.expect_err(name).to_string();
            assert!(message.contains(name), "{message}");
        }
        let mut settings = Settings::default();
        let pool = settings.apply_env(|n| (n == "DB_MAX_CONNECTIONS").then(|| "4294967295".into()));
        assert!(pool.unwrap_err().to_string().contains("from 1 to 10000"));
        // An access token may not outlive the session it belongs to.
        let longer = settings.apply_env(|n| match n {
            "ACCESS_TOKEN_SECS" => Some("7200".into()),
            "REFRESH_TOKEN_SECS" => Some("3600".into()),
            _ => None,
        });
        assert!(
            longer
                .unwrap_err()
                .to_string()
                .contains("REFRESH_TOKEN_SECS")
        );
        settings
            .apply_env(|n| (n == "SIGN_IN_WINDOW_SECS").then(|| "86400".into()))
            .unwrap();
        assert_eq!(settings.sign_in_window_secs, 86_400);
    }

    #[test]
    fn mail_and_public_addresses_are_checked_when_read_and_named_when_wrong() {
        for (name, value) in [
            ("MAIL_FROM", "noreply"),
            ("MAIL_FROM", "Programme <noreply@>"),
            ("SMTP_URL", "mail.example.org:25"),
            ("SMTP_URL", "http://mail.example.org"),
            ("PUBLIC_URL", "tutoring.example.org"),
            ("PUBLIC_URL", "ftp://tutoring.example.org"),
            ("PUBLIC_URL", "https://tutoring.example.org/?x=1"),
            ("PUBLIC_URL", "https://"),
            ("PUBLIC_URL", "http:///path"),
            ("PUBLIC_URL", "https://tutoring.example.org/a\tb"),
            ("PUBLIC_URL", "https://tutoring .example.org"),
            ("PUBLIC_URL", "https://user:secret@tutoring.example.org"),
        ] {
            let mut settings = Settings::default();
            let refused = settings.apply_env(|n| (n == name).then(|| value.to_owned()));
            let message = refused.expect_err(value).to_string();
            assert!(message.contains(name), "{value}: {message}");
            assert!(message.contains('`'), "with an example: {message}");
        }
        let mut settings = Settings::default();
        settings
            .apply_env(|n| match n {
                "MAIL_FROM" => Some("Programme <noreply@example.org>".into()),
                "SMTP_URL" => Some("smtp://user:pass@127.0.0.1:2525?tls=required".into()),
                "PUBLIC_URL" => Some(" https://example.org/tutoring/ ".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(settings.public_url, "https://example.org/tutoring");
        // Empty is unset, in the file as in the environment.
        let mut empty: Settings = toml::from_str("mail_from = \"\"\npublic_url = \" \"").unwrap();
        empty.apply_env(|_| None).unwrap();
        assert_eq!(empty.mail_from, Settings::default().mail_from);
        assert_eq!(empty.public_url, Settings::default().public_url);
    }

    #[test]
    fn a_file_is_read_as_the_environment_is() {
        let text = "database_url = \"\"\ncors_origins = [\"https://app.example.org/\"]\n\
                    public_url = \"https://tutoring.example.org/\"\nclient_ip_header = \"X-Forwarded-For\"\n";
        let mut settings: Settings = toml::from_str(text).unwrap();
        settings.apply_env(|_| None).unwrap();

        assert_eq!(settings.database_url, None);
        assert_eq!(settings.cors_origins, ["https://app.example.org"]);
        assert_eq!(settings.public_url, "https://tutoring.example.org");
        assert_eq!(
            settings.client_ip_header.as_deref(),
            Some("x-forwarded-for")
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_in_the_file_is_named_in_one_line() {
        let path = std::env::temp_dir().join(format!("settings-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9000\"\nmonitor_hour_utc = \"5\"\n",
        )
        .unwrap();
        let refused = Settings::from_file(&path);
        std::fs::remove_file(&path).ok();

        let message = refused.err().unwrap().to_string();
        assert!(!message.contains('\n'), "{message}");
        assert!(message.contains("line 2 (monitor_hour_utc)"), "{message}");
    }

    #[test]
    fn a_line_of_the_file_that_does_not_parse_is_named_without_its_value() {
        let path = std::env::temp_dir().join(format!("secret-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9000\"\nsecret_key = \"my-very-secret-key\n",
        )
        .unwrap();
        let refused = Settings::from_file(&path);
        std::fs::remove_file(&path).ok();

        let message = refused.err().unwrap().to_string();
        assert!(message.contains("line 2 (secret_key)"), "{message}");
        assert!(!message.contains("my-very-secret"), "{message}");
    }

    #[test]
    fn a_file_with_an_unknown_key_is_refused() {
        let parsed: Result<Settings, _> = toml::from_str("databse_url = \"x\"");

        assert!(parsed.is_err());
    }
}
