//! The API's OpenAPI 3.1 document, generated from the handlers' annotations and the serde types
//! of their answers (so it cannot drift from them), with every problem+json rule each operation
//! can answer ([`problems`]). Served at `/openapi.json`, and as a page at `/api`.

mod page;
pub mod problems;

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use utoipa::OpenApi;

use crate::routes::{ingest, maintenance, ops, read, rollups, subscriptions};

/// The ingest API's own routes; the dashboard's JSON routes are merged in by [`document`].
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "SLA oracle API",
        description = "Signed QoS reports in, roll-ups, proofs and the dashboard's views out. \
            Every refusal is `application/problem+json` (RFC 9457) with a stable `rule`; the \
            rules each operation can answer are listed under its error statuses. Hex is \
            lowercase without `0x` in answers and accepted with or without `0x` in requests; \
            64-bit integers are JSON numbers, 128-bit sums and wei are decimal strings. The \
            report format: docs/report-format.md; the aggregation: docs/aggregation.md.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        ingest::post_report,
        ingest::post_batch,
        read::get_report,
        read::feed,
        read::list_reports,
        read::reporter_status,
        read::equivocations,
        rollups::list_rollups,
        rollups::window,
        rollups::uncounted,
        rollups::proof,
        subscriptions::list,
        subscriptions::create,
        subscriptions::remove,
        maintenance::list,
        maintenance::declare,
        maintenance::cancel,
        ops::healthz,
        ops::readyz,
        ops::metrics,
    ),
    components(schemas(crate::problem::Problem)),
    tags(
        (name = "ingest", description = "Signed QoS reports in (docs/report-format.md)"),
        (name = "reports", description = "Stored reports with their signed bytes, reporter status"),
        (name = "roll-ups", description = "Per-epoch summaries and verdicts, windows, Merkle proofs"),
        (name = "dashboard", description = "The views the dashboard's pages are built from"),
        (name = "exports", description = "Results and compliance reports as JSON, CSV or HTML"),
        (name = "alerts", description = "Alert subscriptions, by signed request"),
        (name = "maintenance", description = "Maintenance windows, by signed request"),
        (name = "operations", description = "Liveness, readiness, metrics"),
    )
)]
struct IngestApi;

/// The whole document: the ingest API's routes, the dashboard's, and every operation's refusals.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = IngestApi::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.merge(sla_dashboard::openapi::DashboardApi::openapi());
    problems::add_refusals(&mut doc);
    doc
}

/// The document as served, built once.
fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_json().expect("the document serializes"))
}

/// `GET /openapi.json`
pub async fn serve_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json()).into_response()
}

/// `GET /api`: the document as a page, rendered here (no script, no asset from elsewhere).
pub async fn serve_page() -> Html<String> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| page::render(&document())).clone())
}
