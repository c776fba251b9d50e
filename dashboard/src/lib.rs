//! The SLA oracle's dashboard, served by the ingest API from the same database: an overview of
//! every provider and the epoch clock, a page per provider and per data unit (terms in words,
//! both views side by side against the thresholds, verdicts explained from their numbers,
//! penalties with their transactions, the slot timeline, reports with their signed bytes and
//! proofs), a page per report, a public status page and an SVG badge per provider, and CSV/JSON
//! exports. Read-only: nothing here changes state, and every value a reporter signed is escaped.
//! The JSON the pages are built from is public read API (`api.rs`). See `docs/dashboard.md`.

#![warn(missing_docs)]

pub mod api;
mod assets;
pub mod badge;
pub mod chart;
pub mod data;
pub mod error;
mod live;
pub mod openapi;
mod pages;
mod params;
mod security;
pub mod words;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tokio::sync::Mutex;

pub use data::Source;
pub use error::DashboardError;

use data::overview::Overview;

/// How long one computed overview is served as fresh (it is the same for every viewer).
const OVERVIEW_TTL: Duration = Duration::from_secs(5);

/// What the routes share.
#[derive(Debug, Clone)]
pub struct DashboardState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: Source,
    base: String,
    overview: Mutex<Option<(tokio::time::Instant, Arc<Overview>)>>,
    refreshing: AtomicBool,
    computing: Mutex<()>,
}

impl DashboardState {
    /// A dashboard over `source`, its pages under `base` (e.g. `/dashboard`, no trailing slash).
    pub fn new(source: Source, base: &str) -> Self {
        DashboardState {
            inner: Arc::new(Inner {
                source,
                base: base.trim_end_matches('/').to_owned(),
                overview: Mutex::new(None),
                refreshing: AtomicBool::new(false),
                computing: Mutex::new(()),
            }),
        }
    }

    /// The database and deployment facts.
    pub fn source(&self) -> &Source {
        &self.inner.source
    }

    /// Where the pages are mounted.
    pub fn base(&self) -> &str {
        &self.inner.base
    }

    /// The overview, the same for every viewer: computed by one request at a time, and served
    /// from the last computation while it is younger than [`OVERVIEW_TTL`]; an older one is
    /// still served while a single background task computes the next (so no viewer waits for
    /// the scan of every provider's results but the very first).
    pub async fn overview(&self) -> Result<Arc<Overview>, DashboardError> {
        let cached = self.inner.overview.lock().await.clone();
        match cached {
            Some((at, overview)) => {
                if at.elapsed() >= OVERVIEW_TTL
                    && !self.inner.refreshing.swap(true, Ordering::AcqRel)
                {
                    let state = self.clone();
                    tokio::spawn(async move {
                        let _ = state.compute_overview().await;
                        state.inner.refreshing.store(false, Ordering::Release);
                    });
                }
                Ok(overview)
            }
            None => self.compute_overview().await,
        }
    }

    async fn compute_overview(&self) -> Result<Arc<Overview>, DashboardError> {
        // One computation at a time: whoever waited here finds the one just made.
        let _computing = self.inner.computing.lock().await;
        if let Some((at, overview)) = self.inner.overview.lock().await.as_ref() {
            if at.elapsed() < OVERVIEW_TTL {
                return Ok(overview.clone());
            }
        }
        let fresh = Arc::new(data::overview::overview(self.source(), sla_runtime::now_ms()).await?);
        *self.inner.overview.lock().await = Some((tokio::time::Instant::now(), fresh.clone()));
        Ok(fresh)
    }
}

/// The pages, to be nested under [`DashboardState::base`]: HTML, the badge, the live-update
/// probe and the assets, with the security headers.
pub fn pages_router<S: Clone + Send + Sync + 'static>(state: DashboardState) -> Router<S> {
    Router::new()
        .route("/", get(pages::overview::page))
        .route("/providers/{address}", get(pages::provider::page))
        .route("/data-units/{id}", get(pages::data_unit::page))
        .route("/reports/{hash}", get(pages::report::page))
        .route("/status/{address}", get(pages::status::page))
        .route("/badge/providers/{file}", get(badge::route))
        .route("/search", get(pages::search))
        .route("/live", get(live::version))
        .route("/assets/{file}", get(assets::serve))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

/// The JSON routes the pages are built from, part of the public read API (`/v1/...`).
pub fn api_router<S: Clone + Send + Sync + 'static>(state: DashboardState) -> Router<S> {
    Router::new()
        .route("/v1/overview", get(api::overview))
        .route("/v1/providers/{address}", get(api::provider))
        .route(
            "/v1/providers/{address}/results",
            get(api::provider_results),
        )
        .route("/v1/data-units/{id}", get(api::data_unit))
        .route("/v1/data-units/{id}/results", get(api::data_unit_results))
        .route("/v1/data-units/{id}/forecast", get(api::data_unit_forecast))
        .route("/v1/data-units/{id}/metrics", get(api::data_unit_metrics))
        .route(
            "/v1/providers/{address}/compliance",
            get(api::provider_compliance),
        )
        .route(
            "/v1/data-units/{id}/compliance",
            get(api::data_unit_compliance),
        )
        .with_state(state)
}
