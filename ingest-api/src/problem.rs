//! The one error type of the service, rendered as `application/problem+json` (RFC 9457). Every
//! rejection names the field and the rule; internal errors are logged, never echoed.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use sla_protocol::acceptance::Rejection;
use sla_protocol::VerifyError;

/// A problem document (RFC 9457) as every refusal carries it, for the OpenAPI document; the
/// answers themselves are built by [`ApiError::to_problem`]. Refusals by the acceptance rules add
/// members naming what was expected (e.g. `expected_sequence`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `/problems/{rule}`.
    #[serde(rename = "type")]
    #[schema(pattern = "^/problems/[a-z0-9-]+$")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What was wrong, in words.
    pub detail: String,
    /// The stable rule name (the end of `type`).
    #[schema(pattern = "^[a-z0-9-]+$")]
    pub rule: String,
    /// The part of the request at fault, e.g. `payload.sequence`, `reports[3].signature`, `limit`.
    pub field: Option<String>,
}

/// An error answer. Each variant's status code is documented on it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 413: the body is larger than `--max-body-bytes`.
    #[error("request body is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit, bytes.
        limit: usize,
    },
    /// 413: a report holds more records than `--max-records-per-report`, or a batch more reports.
    #[error("{what} holds {got} items, the limit is {limit}")]
    TooMany {
        /// What holds too many items, as the problem `field` (`payload.records`, `reports`).
        what: &'static str,
        /// How many it holds.
        got: usize,
        /// How many are allowed.
        limit: usize,
    },
    /// 415: the content type is neither JSON nor octet-stream.
    #[error("content type must be application/json or application/octet-stream")]
    UnsupportedMediaType,
    /// 400: the body or a query is not well formed.
    #[error("{detail}")]
    Malformed {
        /// The part at fault, as the problem `field`: `body`, `path`, a query parameter, or a
        /// field of the JSON body such as `reports[3].signature`.
        field: String,
        /// What is wrong with it, in words for the client.
        detail: String,
    },
    /// 400: the report's bytes or signature are not acceptable.
    #[error(transparent)]
    Invalid(#[from] VerifyError),
    /// 403, 409 or 422: the report is well formed but the rules refuse it.
    #[error("{0:?}")]
    Rejected(Rejection),
    /// 422 `data-unit-unknown`, while no indexer has written this database's chain mirror: the
    /// same refusal, saying what to run.
    #[error(
        "data unit is not a known allocation: this database's chain mirror is empty, as no \
         indexer has written it yet (run sla-oracle on it, or sla-oracle --index-only beside an \
         ingest API replica with a database of its own)"
    )]
    MirrorEmpty,
    /// 404: nothing at this address.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 405: the route exists, but not for this method; `allow` names the ones it takes.
    #[error("method {method} is not allowed here; use {allow}")]
    MethodNotAllowed {
        /// The method the request used.
        method: String,
        /// The method the route takes, for the `Allow` header.
        allow: String,
    },
    /// 408: the request did not complete in time.
    #[error("request did not complete within {0} ms")]
    Timeout(u64),
    /// 408: the body arrived slower than the minimum rate.
    #[error(
        "the request body arrived slower than {min_rate} bytes/s (after {grace_ms} ms); send it \
         at once"
    )]
    SlowBody {
        /// The minimum rate, bytes per second.
        min_rate: u64,
        /// How long the body may take before the rate counts, milliseconds.
        grace_ms: u64,
    },
    /// 503: too much load; retry later.
    #[error("{}", .0.detail())]
    Overloaded(Shed),
    /// 422: the database refused this report's data (a value or size it cannot store); it was
    /// not stored, sending it again fails the same way, and the reports it came with were
    /// judged without it.
    #[error("the database cannot store this report ({code}); it was not stored")]
    Unstorable {
        /// The database's refusal code, e.g. `SQLSTATE 22021` or `SQLITE 19`.
        code: String,
    },
    /// 503: the database failed; nothing of this request was stored.
    #[error("storage unavailable: nothing was stored, retry later")]
    Unavailable,
    /// 401, 403, 409 or 422: a signed alert-subscription or maintenance-window request refused
    /// (`signed.rs`); nothing of it was stored.
    #[error("{detail}")]
    Refused {
        /// The answer's status.
        status: StatusCode,
        /// The stable rule name, e.g. `bad-signature`.
        rule: &'static str,
        /// The field at fault, e.g. `message.issued_at_ms`.
        field: String,
        /// Why, in words (never quoting a secret).
        detail: String,
    },
}

impl ApiError {
    /// The HTTP status code of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BodyTooLarge { .. } | ApiError::TooMany { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Malformed { .. } | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Rejected(r) => rejection_status(r),
            ApiError::MirrorEmpty => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unstorable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Timeout(_) | ApiError::SlowBody { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Overloaded(_) | ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Refused { status, .. } => *status,
        }
    }

    /// The stable rule name: the last segment of the problem `type` and the metric label.
    pub fn rule(&self) -> &'static str {
        match self {
            ApiError::BodyTooLarge { .. } => "body-too-large",
            ApiError::TooMany { .. } => "too-many-items",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::Malformed { .. } => "malformed",
            ApiError::Invalid(e) => e.rule(),
            ApiError::Rejected(r) => r.rule(),
            ApiError::MirrorEmpty => "data-unit-unknown",
            ApiError::Unstorable { .. } => "unstorable",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::Timeout(_) => "timeout",
            ApiError::SlowBody { .. } => "body-too-slow",
            ApiError::Overloaded(_) => "overloaded",
            ApiError::Unavailable => "storage-unavailable",
            ApiError::Refused { rule, .. } => rule,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::TooMany { what, .. } => Some((*what).to_owned()),
            ApiError::Malformed { field, .. } | ApiError::Refused { field, .. } => {
                Some(field.clone())
            }
            ApiError::Invalid(e) => Some(e.field().to_owned()),
            ApiError::Rejected(r) => Some(rejection_field(r).to_owned()),
            ApiError::MirrorEmpty => Some("payload.data_unit".to_owned()),
            _ => None,
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Rejected(r) => rejection_detail(r),
            other => other.to_string(),
        }
    }

    /// The problem document as JSON (used alone, and per item in batch answers).
    pub fn to_problem(&self) -> Value {
        let status = self.status();
        let mut doc = Map::new();
        doc.insert("type".into(), json!(format!("/problems/{}", self.rule())));
        doc.insert(
            "title".into(),
            json!(status.canonical_reason().unwrap_or("error")),
        );
        doc.insert("status".into(), json!(status.as_u16()));
        doc.insert("detail".into(), json!(self.detail()));
        doc.insert("rule".into(), json!(self.rule()));
        if let Some(field) = self.field() {
            doc.insert("field".into(), json!(field));
        }
        if let ApiError::Rejected(r) = self {
            rejection_extensions(r, &mut doc);
        }
        Value::Object(doc)
    }
}

impl From<sla_storage::StorageError> for ApiError {
    /// A read or write the database failed: logged here, answered as 503 without the details.
    fn from(err: sla_storage::StorageError) -> Self {
        tracing::error!(error = %err, "storage failed");
        ApiError::Unavailable
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = problem_response(self.status(), &self.to_problem());
        if let ApiError::MethodNotAllowed { allow, .. } = &self {
            if let Ok(value) = HeaderValue::from_str(allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
        }
        response
    }
}

/// Why a request was refused for load (the `reason` label of `sla_ingest_requests_shed_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    /// Every in-flight slot of the server is taken.
    InFlight,
    /// This client address holds its share of the in-flight slots.
    Address,
    /// The group commit's queue is full.
    Queue,
    /// The server is shutting down.
    ShuttingDown,
}

impl Shed {
    /// The metric label.
    pub fn reason(self) -> &'static str {
        match self {
            Shed::InFlight => "in-flight",
            Shed::Address => "address",
            Shed::Queue => "queue",
            Shed::ShuttingDown => "shutting-down",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Shed::InFlight => "too many requests in flight; retry later",
            Shed::Address => "too many requests in flight from your address; retry later",
            Shed::Queue => "ingest queue is full; retry later",
            Shed::ShuttingDown => "server is shutting down; retry on another replica or later",
        }
    }
}

/// Writes a problem document with its media type.
pub fn problem_response(status: StatusCode, problem: &Value) -> Response {
    let mut response = (status, problem.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn rejection_status(r: &Rejection) -> StatusCode {
    match r {
        Rejection::KeyNotRegistered
        | Rejection::KeyNotValidForPeriod { .. }
        | Rejection::KeyNotOfParty { .. } => StatusCode::FORBIDDEN,
        Rejection::SequenceGap { .. }
        | Rejection::PrevHashMismatch { .. }
        | Rejection::Equivocation { .. } => StatusCode::CONFLICT,
        Rejection::DataUnitUnknown
        | Rejection::DataUnitNotActive { .. }
        | Rejection::PeriodInFuture { .. }
        | Rejection::PeriodOverlapsPrevious { .. } => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn rejection_field(r: &Rejection) -> &'static str {
    match r {
        Rejection::DataUnitUnknown | Rejection::DataUnitNotActive { .. } => "payload.data_unit",
        Rejection::KeyNotRegistered
        | Rejection::KeyNotValidForPeriod { .. }
        | Rejection::KeyNotOfParty { .. } => "payload.reporter_key",
        Rejection::PeriodInFuture { .. } => "payload.period_end",
        Rejection::PeriodOverlapsPrevious { .. } => "payload.period_start",
        Rejection::SequenceGap { .. } | Rejection::Equivocation { .. } => "payload.sequence",
        Rejection::PrevHashMismatch { .. } => "payload.prev_hash",
    }
}

fn rejection_detail(r: &Rejection) -> String {
    match r {
        Rejection::DataUnitUnknown => "data unit is not a known allocation".into(),
        Rejection::DataUnitNotActive { status } => {
            format!("data unit is {}, not active", status.as_str())
        }
        Rejection::KeyNotRegistered => "reporter key is not registered on chain".into(),
        Rejection::KeyNotValidForPeriod { .. } => {
            "reporter key was not valid for the whole report period".into()
        }
        Rejection::KeyNotOfParty { role, account, party } => format!(
            "reporter key belongs to {account:#x}, but the data unit's {} is {party:#x}",
            role.as_str()
        ),
        Rejection::PeriodInFuture { period_end_ms, latest_allowed_ms } => format!(
            "period ends at {period_end_ms} ms, later than the allowed {latest_allowed_ms} ms"
        ),
        Rejection::PeriodOverlapsPrevious { last_period_end_ms } => format!(
            "period starts before the previous report's end at {last_period_end_ms} ms"
        ),
        Rejection::SequenceGap { expected_sequence, .. } => {
            format!("sequence gap: expected sequence {expected_sequence}")
        }
        Rejection::PrevHashMismatch { expected_sequence, expected_prev_hash } => format!(
            "prev_hash does not match: sequence {expected_sequence} must chain to {expected_prev_hash}"
        ),
        Rejection::Equivocation { accepted_hash } => format!(
            "another report with this key, data unit and sequence was accepted ({accepted_hash}); \
             this one is kept as equivocation evidence"
        ),
    }
}

fn rejection_extensions(r: &Rejection, doc: &mut Map<String, Value>) {
    match r {
        Rejection::SequenceGap {
            expected_sequence,
            expected_prev_hash,
        }
        | Rejection::PrevHashMismatch {
            expected_sequence,
            expected_prev_hash,
        } => {
            doc.insert("expected_sequence".into(), json!(expected_sequence));
            doc.insert(
                "expected_prev_hash".into(),
                json!(expected_prev_hash.to_hex()),
            );
        }
        Rejection::Equivocation { accepted_hash } => {
            doc.insert("accepted_hash".into(), json!(accepted_hash.to_hex()));
        }
        Rejection::KeyNotValidForPeriod {
            valid_from_ms,
            valid_until_ms,
        } => {
            doc.insert("valid_from_ms".into(), json!(valid_from_ms));
            doc.insert("valid_until_ms".into(), json!(valid_until_ms));
        }
        _ => {}
    }
}
