//! The committee endpoint (`--committee-listen`): `POST /committee/v1/proposals` takes a leader's
//! proposal, signed in the `x-sla-leader-signature` header, and answers the follower's
//! signatures (200) or its refusal as problem+json (409; 401 when the signature is missing or
//! does not recover; 400 when the body is not a proposal; 503 when this node's database fails).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::proposal::{body_signer, Proposal, Refusal, Signatures, SIGNATURE_HEADER};
use super::Committee;

/// Largest proposal read, bytes (10,000 results are about 1.5 MB of hex).
const MAX_PROPOSAL_BYTES: usize = 64 * 1024 * 1024;

/// The committee endpoint's routes.
pub fn router(committee: Arc<Committee>) -> Router {
    Router::new()
        .route("/committee/v1/proposals", post(proposal))
        .layer(DefaultBodyLimit::max(MAX_PROPOSAL_BYTES))
        .with_state(committee)
}

fn problem(status: StatusCode, refusal: &Refusal) -> Response {
    let mut body = serde_json::to_value(refusal).expect("a refusal serializes");
    body["type"] = format!(
        "https://sla-oracle.dev/problems/committee/{}",
        refusal.reason
    )
    .into();
    body["title"] = refusal.reason.clone().into();
    body["status"] = status.as_u16().into();
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/problem+json"),
    );
    response
}

async fn proposal(
    State(committee): State<Arc<Committee>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(sender) = headers
        .get(SIGNATURE_HEADER)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| body_signer(h, &body))
    else {
        committee.metrics.refused("unauthenticated");
        return problem(
            StatusCode::UNAUTHORIZED,
            &Refusal::new(
                "unauthenticated",
                format!("`{SIGNATURE_HEADER}` must be the leader's signature of the body"),
            ),
        );
    };
    let proposal: Proposal = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            committee.metrics.refused("malformed");
            return problem(
                StatusCode::BAD_REQUEST,
                &Refusal::new("malformed", format!("not a proposal: {e}")),
            );
        }
    };
    match committee
        .follow(&proposal, sender, sla_runtime::now_ms())
        .await
    {
        Ok(signatures) => {
            committee.metrics.proposals_signed.inc();
            tracing::info!(epoch = proposal.epoch, attempt = proposal.attempt, leader = %sender, batches = signatures.len(), "signed a proposal");
            Json(Signatures { signatures }).into_response()
        }
        Err(refusal) => {
            committee.metrics.refused(&refusal.reason);
            if refusal.reason != "not-ready" {
                tracing::warn!(epoch = proposal.epoch, attempt = proposal.attempt, leader = %sender, reason = %refusal.reason, data_unit = ?refusal.data_unit, report = ?refusal.report, "refused a proposal");
            }
            let status = match refusal.reason.as_str() {
                "malformed" => StatusCode::BAD_REQUEST,
                "unavailable" => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::CONFLICT,
            };
            problem(status, &refusal)
        }
    }
}
