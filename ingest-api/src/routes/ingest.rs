//! `POST /v1/reports` and `POST /v1/reports/batch`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use sla_protocol::acceptance::{Ack, Outcome, Rejection};
use sla_storage::reports::Ingested;

use crate::body::{read_batch, read_signed_report};
use crate::problem::ApiError;
use crate::state::AppState;

/// The acknowledgement of a stored report, as the API answers it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AckBody {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    report_hash: String,
    data_unit: u64,
    sequence: u64,
    /// When the report was first stored, Unix ms (the same on a resend).
    received_at_ms: u64,
}

impl From<&Ack> for AckBody {
    fn from(ack: &Ack) -> Self {
        AckBody {
            report_hash: ack.report_hash.to_hex(),
            data_unit: ack.data_unit,
            sequence: ack.sequence,
            received_at_ms: ack.received_at_ms,
        }
    }
}

/// One report's result in a batch answer: `{"status", "ack"}` or `{"status", "problem"}`.
/// Typed rather than built as `serde_json::Value` trees: a batch answer serializes one per report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BatchItem {
    /// Stored (201) or already stored (200).
    Stored {
        /// 201 or 200, as for a single report.
        status: u16,
        /// The acknowledgement.
        ack: AckBody,
    },
    /// Refused: the status a single report would have had, and the problem document.
    Refused {
        /// The 4xx or 5xx status.
        status: u16,
        /// The problem.
        #[schema(value_type = crate::problem::Problem)]
        problem: Value,
    },
}

impl BatchItem {
    fn refused(err: &ApiError) -> Self {
        BatchItem::Refused {
            status: err.status().as_u16(),
            problem: err.to_problem(),
        }
    }
}

/// The answer to a batch: one result per report, in the order sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchAnswer {
    results: Vec<BatchItem>,
}

/// Accepts one signed report: 201 when newly stored, 200 with the original acknowledgement for an
/// exact resend, a problem otherwise. Answers only after the commit.
#[utoipa::path(post, path = "/v1/reports", tag = "ingest",
    request_body(description = "The signed report: JSON `{payload, signature}` (hex), or the raw \
        bytes `payload ‖ signature` (the last 64 bytes are the signature)",
        content((crate::body::JsonSignedReport = "application/json"),
                (Vec<u8> = "application/octet-stream"))),
    responses((status = 201, description = "Stored", body = AckBody),
              (status = 200, description = "Already stored: the original acknowledgement", body = AckBody)))]
pub async fn post_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let signed = read_signed_report(&headers, body, &state.limits.body)
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

fn outcome_to_result(
    state: &AppState,
    ingested: Ingested,
) -> Result<(StatusCode, AckBody), ApiError> {
    let outcome = ingested.map_err(|err| {
        state.rejected(ApiError::Unstorable {
            code: err.refusal_code().unwrap_or_default(),
        })
    })?;
    match outcome {
        Outcome::Accepted(ack) => {
            state.metrics.reports_accepted.inc();
            Ok((StatusCode::CREATED, AckBody::from(&ack)))
        }
        Outcome::Duplicate(ack) => {
            state.metrics.reports_duplicate.inc();
            Ok((StatusCode::OK, AckBody::from(&ack)))
        }
        Outcome::Rejected(Rejection::DataUnitUnknown) if !state.mirror.is_indexed() => {
            Err(state.rejected(ApiError::MirrorEmpty))
        }
        Outcome::Rejected(rejection) => Err(state.rejected(ApiError::Rejected(rejection))),
    }
}

/// Accepts a batch of signed reports. The answer is 200 with one result per report, in order:
/// `{"status": 201|200, "ack": {...}}` or `{"status": 4xx, "problem": {...}}`. Reports that fail
/// verification do not stop the others.
#[utoipa::path(post, path = "/v1/reports/batch", tag = "ingest",
    request_body(content = crate::body::JsonBatch, content_type = "application/json"),
    responses((status = 200, description = "One result per report, in order", body = BatchAnswer)))]
pub async fn post_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let items = read_batch(&headers, body, &state.limits.body)
        .await
        .map_err(|e| state.rejected(e))?;
    if items.len() > state.limits.max_batch_reports {
        return Err(state.rejected(ApiError::TooMany {
            what: "reports",
            got: items.len(),
            limit: state.limits.max_batch_reports,
        }));
    }
    let mut results: Vec<Option<BatchItem>> = (0..items.len()).map(|_| None).collect();
    let mut decoded = Vec::with_capacity(items.len());
    let mut decoded_positions = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match item.decode(Some(index)) {
            Ok(signed) => {
                decoded.push(signed);
                decoded_positions.push(index);
            }
            Err(err) => results[index] = Some(BatchItem::refused(&state.rejected(err))),
        }
    }
    let mut verified = Vec::with_capacity(decoded.len());
    let mut positions = Vec::with_capacity(decoded.len());
    for (index, result) in decoded_positions
        .into_iter()
        .zip(state.verify_batch(decoded))
    {
        match result {
            Ok(v) => {
                verified.push(v);
                positions.push(index);
            }
            Err(err) => results[index] = Some(BatchItem::refused(&state.rejected(err))),
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
                Ok((status, ack)) => BatchItem::Stored {
                    status: status.as_u16(),
                    ack,
                },
                Err(err) => BatchItem::refused(&err),
            });
        }
    }
    let results = results
        .into_iter()
        .map(|item| item.expect("every report has a result"))
        .collect();
    Ok(Json(BatchAnswer { results }).into_response())
}
