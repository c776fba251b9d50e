//! The committee endpoint (`--committee-listen`): `POST /committee/v1/proposals` takes a leader's
//! proposal, signed in the `x-sla-leader-signature` header, and answers the follower's
//! signatures (200) or its refusal as problem+json (409; 401 when the signature is missing or
//! does not recover; 400 when the body is not a proposal; 503 when this node's database fails).
//!
//! It sits on the same connection layer as the ingest API (`sla_serve`: connections capped in
//! all and per address, header and idle timeouts), and admits few proposals at once: members are
//! few and a follower answers one leader at a time, so small caps carry every honest member's
//! traffic and bound what anyone else can take. A proposal over [`EndpointLimits::max_in_flight`]
//! is answered 503 `overloaded` before its body is read; one not done (body included) within
//! [`EndpointLimits::request_timeout`] is answered 408 `timeout`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use sla_serve::ConnectionLimits;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::proposal::{body_signer, Proposal, Refusal, Signatures, SIGNATURE_HEADER};
use super::Committee;

/// Largest proposal read, bytes: a part of the default 20,000 results is about 3 MB of JSON, so
/// this leaves room for leaders configured with parts twenty times larger.
const MAX_PROPOSAL_BYTES: usize = 64 * 1024 * 1024;

/// What the committee endpoint admits.
#[derive(Debug, Clone, Copy)]
pub struct EndpointLimits {
    /// Connections in all and per client address, and how long an idle one is kept.
    pub connections: ConnectionLimits,
    /// Proposals read and checked at once.
    pub max_in_flight: usize,
    /// Longest a proposal may take, its body included.
    pub request_timeout: Duration,
}

impl Default for EndpointLimits {
    /// Four members' leaders at once with room to spare; a proposal of 10,000 results is read
    /// and checked in about a second.
    fn default() -> Self {
        EndpointLimits {
            connections: ConnectionLimits {
                max_connections: 64,
                max_connections_per_ip: 8,
                header_read_timeout: Duration::from_secs(5),
            },
            max_in_flight: 4,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves the committee endpoint on `listener` until `shutdown` completes, then lets the
/// proposals in flight finish.
pub async fn serve(
    listener: TcpListener,
    committee: Arc<Committee>,
    limits: EndpointLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = committee.metrics.clone();
    let refused = move |reason: &'static str| metrics.connection_refused(reason);
    let drain = limits.request_timeout + Duration::from_secs(1);
    sla_serve::serve(
        listener,
        router(committee, &limits),
        limits.connections,
        refused,
        drain,
        shutdown,
    )
    .await
}

/// The committee endpoint's routes, behind the admission of proposals.
fn router(committee: Arc<Committee>, limits: &EndpointLimits) -> Router {
    let admission = Admission {
        slots: Arc::new(Semaphore::new(limits.max_in_flight)),
        timeout: limits.request_timeout,
        committee: committee.clone(),
    };
    Router::new()
        .route("/committee/v1/proposals", post(proposal))
        .layer(DefaultBodyLimit::max(MAX_PROPOSAL_BYTES))
        .layer(axum::middleware::from_fn_with_state(admission, admit))
        .with_state(committee)
}

/// The in-flight cap and the request timeout.
#[derive(Clone)]
struct Admission {
    slots: Arc<Semaphore>,
    timeout: Duration,
    committee: Arc<Committee>,
}

/// Admits a request if a slot is free (before its body is read), and bounds its time.
async fn admit(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    let refuse = |status, reason: &str, detail: String| {
        admission.committee.metrics.refused(reason);
        problem(status, &Refusal::new(reason, detail))
    };
    let Ok(_slot) = admission.slots.clone().try_acquire_owned() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many proposals in flight; retry later".into(),
        );
    };
    match tokio::time::timeout(admission.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => refuse(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the proposal was not done within {} ms, body included",
                admission.timeout.as_millis()
            ),
        ),
    }
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
