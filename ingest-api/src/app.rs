//! The router and the server's life: start-up, serving, graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{BoxError, Router};
use sla_contracts::DeploymentFile;
use sla_protocol::aggregate::EpochConfig;
use sla_protocol::Deployment;
use sla_storage::Database;
use tokio::net::TcpListener;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

use crate::committer::{self, CommitSettings};
use crate::config::Config;
use crate::metrics::{Metrics, RequestLabels};
use crate::problem::ApiError;
use crate::routes::{ingest, ops, read, rollups};
use crate::state::{AppState, Limits};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("storage: {0}")]
    Storage(#[from] sla_storage::StorageError),
    #[error("deployment: {0}")]
    Deployment(String),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// The routes, with limits, load shedding, timeouts, tracing and metrics around them.
pub fn app(state: AppState, request_timeout: Duration, max_in_flight: usize) -> Router {
    let timeout_ms = request_timeout.as_millis() as u64;
    let overload = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(move |err: BoxError| async move {
            if err.is::<tower::timeout::error::Elapsed>() {
                ApiError::Timeout(timeout_ms).into_response()
            } else {
                ApiError::Overloaded("too many requests in flight; retry later").into_response()
            }
        }))
        .load_shed()
        // Global: `Router::layer` applies layers per route, and the limit must span them all.
        .layer(GlobalConcurrencyLimitLayer::new(max_in_flight))
        .timeout(request_timeout);
    Router::new()
        .route("/v1/reports", post(ingest::post_report))
        .route("/v1/reports/batch", post(ingest::post_batch))
        .route("/v1/reports/{hash}", get(read::get_report))
        .route("/v1/data-units/{id}/reports", get(read::list_reports))
        .route(
            "/v1/reporters/{key}/data-units/{id}",
            get(read::reporter_status),
        )
        .route(
            "/v1/reporters/{key}/data-units/{id}/equivocations",
            get(read::equivocations),
        )
        .route("/v1/data-units/{id}/rollups", get(rollups::list_rollups))
        .route("/v1/data-units/{id}/window", get(rollups::window))
        .route("/v1/data-units/{id}/uncounted", get(rollups::uncounted))
        .route(
            "/v1/data-units/{id}/epochs/{epoch}/proofs/{hash}",
            get(rollups::proof),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(|| async { ApiError::NotFound("route") })
        .layer(DefaultBodyLimit::disable())
        .layer(overload)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The deployment reports must be bound to, and the epoch configuration when it is known: from
/// the deployment file, or from `--chain-id`, `--contract` and (for rolling windows)
/// `--epoch-length` with `--genesis-time`.
pub fn deployment_from_config(
    config: &Config,
) -> Result<(Deployment, Option<EpochConfig>), ServeError> {
    let invalid = |e: &dyn std::fmt::Display| ServeError::Deployment(e.to_string());
    if let Some(path) = &config.deployment {
        let file = DeploymentFile::read(path).map_err(|e| invalid(&e))?;
        let epochs = file
            .epochs()
            .map_err(|e| invalid(&format!("epoch configuration: {e}")))?;
        return Ok((file.deployment(), Some(epochs)));
    }
    let epochs = config
        .epoch_length
        .map(|len| EpochConfig::new(config.genesis_time, len))
        .transpose()
        .map_err(|e| invalid(&format!("epoch configuration: {e}")))?;
    let mut contract = [0u8; 20];
    hex::decode_to_slice(config.contract.trim_start_matches("0x"), &mut contract).map_err(
        |_| {
            invalid(&format!(
                "contract {:?} is not a 20-byte hex address",
                config.contract
            ))
        },
    )?;
    Ok((
        Deployment {
            chain_id: config.chain_id,
            contract,
        },
        epochs,
    ))
}

/// Serves on `listener` until `shutdown` completes, then stops accepting, finishes in-flight
/// requests, commits everything queued and closes the database.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (deployment, epochs) = deployment_from_config(&config)?;
    let db = Database::connect(&config.database_url).await?;
    db.bind_deployment(&deployment).await?;
    let metrics = Arc::new(Metrics::default());
    let (queue, committer) = committer::spawn(
        db.reports(),
        metrics.clone(),
        CommitSettings {
            max_reports: config.commit_max_reports,
            queue_reports: config.commit_queue,
            max_future_skew_ms: config.max_future_skew_ms,
        },
    );
    let state = AppState {
        db: db.clone(),
        reports: db.reports(),
        rollups: db.rollups(),
        queue,
        metrics,
        deployment,
        epochs,
        limits: Limits {
            max_body_bytes: config.max_body_bytes,
            max_records_per_report: config.max_records_per_report,
            max_batch_reports: config.max_batch_reports,
        },
        keys: Arc::default(),
    };
    let router = app(state, config.request_timeout(), config.max_in_flight);
    tracing::info!(addr = %listener.local_addr()?, db = %redact(&config.database_url), "serving");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    // The router (and with it every queue handle) is gone: the committer drains and stops.
    let _ = committer.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
