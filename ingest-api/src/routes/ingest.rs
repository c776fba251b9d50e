//! `POST /v1/reports` and `POST /v1/reports/batch`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sla_storage::{Ack, Outcome};

use crate::body::{read_batch, read_signed_report};
use crate::problem::ApiError;
use crate::state::AppState;

pub fn ack_json(ack: &Ack) -> Value {
    json!({
        "report_hash": ack.report_hash.to_hex(),
        "data_unit": ack.data_unit,
        "sequence": ack.sequence,
        "received_at_ms": ack.received_at_ms,
    })
}

/// Accepts one signed report: 201 when newly stored, 200 with the original acknowledgement for an
/// exact resend, a problem otherwise. Answers only after the commit.
pub async fn post_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let signed = read_signed_report(&headers, body, state.limits.max_body_bytes)
        .await
        .map_err(|e| state.rejected(e))?;
    let verified = state.verify(signed).map_err(|e| state.rejected(e))?;
    let outcome = state
        .queue
        .submit(vec![verified])
        .await
        .map_err(|e| state.rejected(e))?
        .pop()
        .expect("one outcome per report");
    match outcome_to_result(&state, outcome) {
        Ok((status, ack)) => Ok((status, Json(ack)).into_response()),
        Err(err) => Err(err),
    }
}

fn outcome_to_result(state: &AppState, outcome: Outcome) -> Result<(StatusCode, Value), ApiError> {
    match outcome {
        Outcome::Accepted(ack) => {
            state.metrics.reports_accepted.inc();
            Ok((StatusCode::CREATED, ack_json(&ack)))
        }
        Outcome::Duplicate(ack) => {
            state.metrics.reports_duplicate.inc();
            Ok((StatusCode::OK, ack_json(&ack)))
        }
        Outcome::Rejected(rejection) => Err(state.rejected(ApiError::Rejected(rejection))),
    }
}

/// Accepts a batch of signed reports. The answer is 200 with one result per report, in order:
/// `{"status": 201|200, "ack": {...}}` or `{"status": 4xx, "problem": {...}}`. Reports that fail
/// verification do not stop the others.
pub async fn post_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let items = read_batch(&headers, body, state.limits.max_body_bytes)
        .await
        .map_err(|e| state.rejected(e))?;
    if items.len() > state.limits.max_batch_reports {
        return Err(state.rejected(ApiError::TooMany {
            what: "reports",
            got: items.len(),
            limit: state.limits.max_batch_reports,
        }));
    }
    let mut results: Vec<Option<Value>> = vec![None; items.len()];
    let mut verified = Vec::with_capacity(items.len());
    let mut positions = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match item
            .decode(Some(index))
            .and_then(|signed| state.verify(signed))
        {
            Ok(v) => {
                verified.push(v);
                positions.push(index);
            }
            Err(err) => results[index] = Some(item_problem(&state, err)),
        }
    }
    if !verified.is_empty() {
        let outcomes = state
            .queue
            .submit(verified)
            .await
            .map_err(|e| state.rejected(e))?;
        for (index, outcome) in positions.into_iter().zip(outcomes) {
            results[index] = Some(match outcome_to_result(&state, outcome) {
                Ok((status, ack)) => json!({ "status": status.as_u16(), "ack": ack }),
                Err(err) => json!({ "status": err.status().as_u16(), "problem": err.to_problem() }),
            });
        }
    }
    Ok(Json(json!({ "results": results })).into_response())
}

fn item_problem(state: &AppState, err: ApiError) -> Value {
    let err = state.rejected(err);
    json!({ "status": err.status().as_u16(), "problem": err.to_problem() })
}
