//! The dashboard's one error type: problem+json (RFC 9457, the shape of the ingest API's) on the
//! JSON routes, a page saying the same in words on the HTML routes. Internal errors are logged,
//! never echoed.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a view could not be built.
#[derive(Debug)]
pub enum DashboardError {
    /// 503: the database failed (logged).
    Storage(sla_storage::StorageError),
    /// 404: no such thing (`what` names it).
    NotFound(String),
    /// 503: the indexer has not mirrored what the view needs yet (`what` names it).
    NotYet(&'static str),
    /// 400: a path or query parameter is malformed.
    Malformed {
        /// The parameter.
        field: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// 500: a bug or an impossible configuration (logged).
    Internal(String),
}

impl From<sla_storage::StorageError> for DashboardError {
    fn from(e: sla_storage::StorageError) -> Self {
        tracing::error!(error = %e, "dashboard read failed");
        DashboardError::Storage(e)
    }
}

impl DashboardError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            DashboardError::Storage(_) | DashboardError::NotYet(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            DashboardError::NotFound(_) => StatusCode::NOT_FOUND,
            DashboardError::Malformed { .. } => StatusCode::BAD_REQUEST,
            DashboardError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem's rule name (its `type` is `/problems/{rule}`).
    pub fn rule(&self) -> &'static str {
        match self {
            DashboardError::Storage(_) => "unavailable",
            DashboardError::NotFound(_) => "not-found",
            DashboardError::NotYet(_) => "not-indexed-yet",
            DashboardError::Malformed { .. } => "malformed",
            DashboardError::Internal(_) => "internal",
        }
    }

    /// What went wrong, for the client.
    pub fn detail(&self) -> String {
        match self {
            DashboardError::Storage(_) => "the database is unavailable; retry shortly".into(),
            DashboardError::NotFound(what) => format!("{what} not found"),
            DashboardError::NotYet(what) => format!(
                "{what} is not mirrored from the chain yet; the indexer (sla-oracle) fills it"
            ),
            DashboardError::Malformed { detail, .. } => detail.clone(),
            DashboardError::Internal(_) => "internal error (logged)".into(),
        }
    }

    /// The field at fault, for [`DashboardError::Malformed`].
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DashboardError::Malformed { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        if let DashboardError::Internal(e) = &self {
            tracing::error!(error = %e, "dashboard failed");
        }
        let status = self.status();
        let mut doc = json!({
            "type": format!("/problems/{}", self.rule()),
            "title": status.canonical_reason().unwrap_or("error"),
            "status": status.as_u16(),
            "detail": self.detail(),
            "rule": self.rule(),
        });
        if let Some(field) = self.field() {
            doc["field"] = json!(field);
        }
        let mut response = (status, doc.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
