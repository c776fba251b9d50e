//! The router and the server's life: start-up, serving, graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{BoxError, Router};
use sla_contracts::DeploymentFile;
use sla_dashboard::{DashboardState, Source};
use sla_protocol::aggregate::EpochConfig;
use sla_protocol::Deployment;
use sla_storage::Database;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

use crate::body::BodyLimits;
use crate::committer::{self, CommitSettings};
use crate::config::Config;
use crate::load::{self, Admission};
use crate::metrics::{Metrics, RequestLabels};
use crate::problem::ApiError;
use crate::routes::{ingest, maintenance, ops, read, rollups, subscriptions};
use crate::state::{AppState, Limits};
use sla_serve::ConnectionLimits;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database could not be opened, migrated or closed, or belongs to another deployment.
    #[error("storage: {0}")]
    Storage(#[from] sla_storage::StorageError),
    /// The deployment file, or the chain id, contract and epoch flags, do not describe a
    /// deployment; it holds why.
    #[error("deployment: {0}")]
    Deployment(String),
    /// A flag's value is not acceptable; it names the flag and the rule.
    #[error("configuration: {0}")]
    Config(String),
    /// The listener failed (its address, or accepting connections).
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// The dashboard's settings (see `--dashboard-path`, `--public-url`).
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// Base path of the pages; `None`: no pages (the JSON routes are served regardless).
    pub pages: Option<String>,
    /// Public base URL of this API, for the `sla audit` command the pages show.
    pub public_url: String,
}

/// Request-level limits of the service.
#[derive(Debug, Clone, Copy)]
pub struct ServiceLimits {
    /// Longest time a request may take, body included (then 408).
    pub request_timeout: Duration,
    /// Requests served at once; more are refused at once with 503.
    pub max_in_flight: usize,
    /// Requests served at once for one client address (0: no per-address share).
    pub max_in_flight_per_ip: usize,
}

/// The routes: the API behind load shedding and timeouts, health, readiness and metrics outside
/// them (they must answer while the API sheds load), all with tracing and request metrics, and
/// every refusal (unknown route, wrong method, malformed parameter) as problem+json.
pub fn app(state: AppState, limits: ServiceLimits) -> Router {
    app_with_dashboard(state, limits, None)
}

/// [`app`] with the dashboard: its JSON routes join the API (behind the same load shedding and
/// timeout), and its pages are served under the dashboard's base path, to which `/` redirects.
pub fn app_with_dashboard(
    state: AppState,
    limits: ServiceLimits,
    dashboard: Option<Dashboard>,
) -> Router {
    let dashboard = dashboard.unwrap_or_default();
    let views = DashboardState::new(
        Source {
            db: state.db.clone(),
            public_url: dashboard.public_url.clone(),
        },
        dashboard.pages.as_deref().unwrap_or(""),
    );
    let timeout_ms = limits.request_timeout.as_millis() as u64;
    let metrics = state.metrics.clone();
    let timeout = ServiceBuilder::new()
        // The routes never fail, so the timeout's elapsing is the only error there is.
        .layer(HandleErrorLayer::new(move |_: BoxError| {
            let metrics = metrics.clone();
            async move {
                metrics.shed("timeout");
                ApiError::Timeout(timeout_ms).into_response()
            }
        }))
        .timeout(limits.request_timeout);
    // One admission state, shared by every route (`Router::layer` wraps each route on its own).
    let admission = Admission::new(
        limits.max_in_flight,
        limits.max_in_flight_per_ip,
        state.metrics.clone(),
    );
    let api = Router::new()
        .route("/v1/reports", post(ingest::post_report).get(read::feed))
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
        .route(
            "/v1/alert-subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        )
        .route(
            "/v1/alert-subscriptions/{id}",
            delete(subscriptions::remove),
        )
        .route(
            "/v1/maintenance-windows",
            get(maintenance::list).post(maintenance::declare),
        )
        .route("/v1/maintenance-windows/{id}", delete(maintenance::cancel))
        .merge(sla_dashboard::api_router(views.clone()));
    let api = match &dashboard.pages {
        Some(base) => {
            let (to, again) = (base.clone(), base.clone());
            api.nest(base, sla_dashboard::pages_router(views))
                .route("/", get(move || async move { Redirect::to(&to) }))
                .route(
                    &format!("{base}/"),
                    get(move || async move { Redirect::to(&again) }),
                )
        }
        None => api,
    }
    .layer(timeout);
    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(crate::openapi::serve_json))
        .route("/api", get(crate::openapi::serve_page));
    Router::new()
        .merge(api)
        .merge(ops)
        .fallback(|| async { ApiError::NotFound("route") })
        .layer(middleware::from_fn(method_not_allowed_as_problem))
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(
            TraceLayer::new_for_http()
                // A 503 or 408 is load being shed: counted and logged by reason, at most once per
                // ten seconds; errors of our own are logged where they happen.
                .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
        )
        .layer(middleware::from_fn_with_state(admission, load::admit))
        .with_state(state)
}

/// Axum answers a route called with the wrong method `405` with an empty body: the same as
/// problem+json, with an `Allow` header naming the methods the route takes (the batch ingest
/// route POST; the reports, subscription and maintenance collections GET and POST, their items
/// DELETE, everything else GET).
async fn method_not_allowed_as_problem(request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path();
    let allow = match path {
        "/v1/reports/batch" => "POST",
        "/v1/reports" | "/v1/alert-subscriptions" | "/v1/maintenance-windows" => "GET, POST",
        _ if path.starts_with("/v1/alert-subscriptions/")
            || path.starts_with("/v1/maintenance-windows/") =>
        {
            "DELETE"
        }
        _ => "GET",
    };
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    ApiError::MethodNotAllowed {
        method,
        allow: allow.to_owned(),
    }
    .into_response()
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
    if let Some(limit) = sla_serve::raise_open_files_limit() {
        tracing::info!(open_files = limit, "open files limit");
    }
    let (queue, committer) = committer::spawn(
        db.reports(),
        metrics.clone(),
        CommitSettings {
            max_reports: config.commit_max_reports,
            queue_reports: config.commit_queue,
            max_future_skew_ms: config.max_future_skew_ms,
        },
    );
    let mirror = Arc::new(crate::state::MirrorWatch::default());
    let watching = tokio::spawn(mirror.clone().watch(db.mirror()));
    let state = AppState {
        mirror,
        db: db.clone(),
        reports: db.reports(),
        rollups: db.rollups(),
        queue,
        metrics: metrics.clone(),
        deployment,
        epochs,
        limits: Limits {
            body: BodyLimits {
                max_bytes: config.max_body_bytes,
                min_rate: config.min_body_rate,
                grace: Duration::from_millis(config.body_grace_ms),
            },
            max_records_per_report: config.max_records_per_report,
            max_batch_reports: config.max_batch_reports,
            allow_private_targets: config.subscriptions_allow_private_targets,
            max_subscriptions: config.subscriptions_max_total,
        },
        keys: Arc::default(),
    };
    let dashboard = Dashboard {
        pages: config.dashboard_base().map_err(ServeError::Config)?,
        public_url: config.public_url.trim_end_matches('/').to_owned(),
    };
    if let Some(base) = &dashboard.pages {
        tracing::info!(path = %base, "dashboard");
    }
    let router = app_with_dashboard(
        state,
        ServiceLimits {
            request_timeout: config.request_timeout(),
            max_in_flight: config.max_in_flight,
            max_in_flight_per_ip: config.max_in_flight_per_ip,
        },
        Some(dashboard),
    );
    let connections = ConnectionLimits {
        max_connections: config.max_connections,
        max_connections_per_ip: config.max_connections_per_ip,
        header_read_timeout: Duration::from_millis(config.header_read_timeout_ms),
    };
    tracing::info!(addr = %listener.local_addr()?, db = %redact(&config.database_url), "serving");
    // Requests in flight at shutdown get their full time to finish.
    let drain = config.request_timeout() + Duration::from_secs(1);
    let refused = move |reason| metrics.connection_refused(reason);
    sla_serve::serve(listener, router, connections, refused, drain, shutdown).await?;
    watching.abort();
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
