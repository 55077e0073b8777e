//! The error type every service returns, and its mapping to GraphQL errors
//! with a stable `code` extension. Internal causes are logged, never sent.

use async_graphql::ErrorExtensionValues;
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;

/// The codes clients may rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    RateLimited,
    /// A link's token is unknown, used or expired.
    InvalidToken,
    /// The request ran past its time limit and was cut.
    Timeout,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::Timeout => "TIMEOUT",
            Self::Internal => "INTERNAL",
        }
    }

    /// The HTTP status of a refusal with this code, where the protocol
    /// lets the status speak (exports, `application/graphql-response+json`).
    pub fn status(self) -> poem::http::StatusCode {
        use poem::http::StatusCode;
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadUserInput => StatusCode::BAD_REQUEST,
            Self::Conflict => StatusCode::CONFLICT,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::InvalidToken => StatusCode::BAD_REQUEST,
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// One problem with the input: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Problem {
    /// 1-based data row of an imported file (the header is row 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// Column of a file, or input field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row: None,
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

/// Deliberately not `Display`: conversion to a GraphQL error goes through
/// [`From`] below, which keeps the code and hides internal detail.
#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    Forbidden,
    NotFound(&'static str),
    BadInput(String, Vec<Problem>),
    Conflict(String),
    RateLimited(&'static str),
    /// Too many attempts; the next may come after this long.
    TooManyAttempts(std::time::Duration),
    /// The token of a link is unknown, used or expired.
    InvalidToken,
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadInput(message.into(), Vec::new())
    }

    pub fn invalid(problems: Vec<Problem>) -> Self {
        let message = match problems.as_slice() {
            [one] => one.to_string(),
            many => format!(
                "{} problems in the input; the first: {}",
                many.len(),
                many[0]
            ),
        };
        Self::BadInput(message, problems)
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    pub fn code(&self) -> Code {
        match self {
            Self::Unauthenticated => Code::Unauthenticated,
            Self::Forbidden => Code::Forbidden,
            Self::NotFound(_) => Code::NotFound,
            Self::BadInput(..) => Code::BadUserInput,
            Self::Conflict(_) => Code::Conflict,
            Self::RateLimited(_) | Self::TooManyAttempts(_) => Code::RateLimited,
            Self::InvalidToken => Code::InvalidToken,
            Self::Internal(_) => Code::Internal,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "sign in first".into(),
            Self::Forbidden => "your role does not allow this".into(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadInput(message, _) | Self::Conflict(message) => message.clone(),
            Self::RateLimited(message) => (*message).to_owned(),
            Self::TooManyAttempts(_) => "too many attempts: try again later".into(),
            Self::InvalidToken => "this link is not valid: it was used, or it expired".into(),
            Self::Internal(_) => "internal error".into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, &self.field) {
            (Some(row), Some(field)) => write!(f, "row {row}, column {field}: {}", self.message),
            (Some(row), None) => write!(f, "row {row}: {}", self.message),
            (None, Some(field)) => write!(f, "{field}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::Conflict("that already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                Self::Conflict("that refers to something missing or still in use".into())
            }
            _ => Self::Internal(err.into()),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        if let ApiError::Internal(cause) = &err {
            let chain: Vec<String> = cause.chain().map(ToString::to_string).collect();
            tracing::error!(error.message = %cause, error.cause_chain = ?chain, "request failed");
        }
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", err.code().as_str());
        if let ApiError::TooManyAttempts(wait) = &err {
            extensions.set("retryAfter", retry_after_secs(*wait));
        }
        if let ApiError::BadInput(_, problems) = &err
            && !problems.is_empty()
            && let Ok(value) = async_graphql::to_value(problems)
        {
            extensions.set("problems", value);
        }
        async_graphql::Error {
            message: err.message(),
            source: None,
            extensions: Some(extensions),
        }
    }
}

/// Whole seconds to wait, rounded up, at least one.
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

pub type ApiResult<T> = Result<T, ApiError>;
