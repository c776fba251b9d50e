//! The public read API: reports with their signed bytes (so anyone can re-verify them), every
//! report in arrival order (the feed another node or a mirror follows with a cursor), a data
//! unit's reports by time, and reporter status.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sla_protocol::ReportHash;
use sla_storage::reports::ReportQuery;
use sla_storage::StoredReport;

use crate::extract::{ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::state::AppState;

/// Most reports one page may hold.
pub const MAX_PAGE: u32 = 1_000;

/// A stored report with its signed bytes, so anyone can verify it again. Hex without `0x`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    /// Arrival order on this server (the `after` cursor of the list).
    id: i64,
    /// The report hash (docs/report-format.md §6).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    hash: String,
    /// The signed payload bytes.
    #[schema(pattern = "^([0-9a-f]{2})*$")]
    payload: String,
    /// The ed25519 signature over the payload.
    #[schema(pattern = "^[0-9a-f]{128}$")]
    signature: String,
    /// The reporter's ed25519 public key.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    reporter_key: String,
    /// `consumer` or `provider`.
    #[schema(value_type = sla_protocol::Role)]
    role: &'static str,
    data_unit: u64,
    sequence: u64,
    period_start_ms: u64,
    period_end_ms: u64,
    record_count: u32,
    /// When this server stored it, Unix ms.
    received_at_ms: u64,
}

impl From<&StoredReport> for ReportView {
    fn from(r: &StoredReport) -> Self {
        ReportView {
            id: r.id,
            hash: r.hash.to_hex(),
            payload: hex::encode(&r.payload),
            signature: hex::encode(&r.signature),
            reporter_key: hex::encode(r.reporter_key),
            role: r.role.as_str(),
            data_unit: r.data_unit,
            sequence: r.sequence,
            period_start_ms: r.period_start_ms,
            period_end_ms: r.period_end_ms,
            record_count: r.record_count,
            received_at_ms: r.received_at_ms,
        }
    }
}

fn parse_hash(s: &str, field: &str) -> Result<ReportHash, ApiError> {
    ReportHash::from_hex(s.strip_prefix("0x").unwrap_or(s)).ok_or_else(|| ApiError::Malformed {
        field: field.to_owned(),
        detail: format!("`{field}` must be 64 hex digits"),
    })
}

/// A report by its hash, with its signed bytes.
#[utoipa::path(get, path = "/v1/reports/{hash}", tag = "reports",
    params(("hash" = String, Path, description = "The report hash: 64 hex digits, `0x` optional")),
    responses((status = 200, body = ReportView)))]
pub async fn get_report(
    State(state): State<AppState>,
    ApiPath(hash): ApiPath<String>,
) -> Result<Json<ReportView>, ApiError> {
    let hash = parse_hash(&hash, "hash")?;
    let report = state
        .reports
        .by_hash(&hash)
        .await?
        .ok_or(ApiError::NotFound("report"))?;
    Ok(Json(ReportView::from(&report)))
}

/// The query of [`list_reports`]: a time range and a page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// Reports whose period ends after this, Unix ms (default 0).
    pub from_ms: Option<u64>,
    /// Reports whose period starts before this, Unix ms (default: no bound).
    pub to_ms: Option<u64>,
    /// The `next` cursor of the previous page.
    pub after: Option<i64>,
    /// Page size, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One page of a data unit's reports, oldest arrival first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportPage {
    data_unit: u64,
    reports: Vec<ReportView>,
    /// The `after` of the next page; `null` on the last page.
    next: Option<i64>,
}

/// A data unit's reports by period, a page at a time.
#[utoipa::path(get, path = "/v1/data-units/{id}/reports", tag = "reports",
    params(("id" = u64, Path, description = "The data unit"), RangeQuery),
    responses((status = 200, body = ReportPage)))]
pub async fn list_reports(
    State(state): State<AppState>,
    ApiPath(data_unit): ApiPath<u64>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<ReportPage>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::Malformed {
            field: "limit".into(),
            detail: format!("`limit` must be between 1 and {MAX_PAGE}"),
        });
    }
    let query = ReportQuery {
        data_unit,
        from_ms: q.from_ms.unwrap_or(0),
        to_ms: q.to_ms.unwrap_or(u64::MAX),
        after_id: q.after.unwrap_or(0),
        limit,
    };
    let reports = state.reports.of_data_unit(&query).await?;
    let next = (reports.len() == limit as usize).then(|| reports.last().map(|r| r.id));
    Ok(Json(ReportPage {
        data_unit,
        reports: reports.iter().map(ReportView::from).collect(),
        next: next.flatten(),
    }))
}

/// The query of [`feed`]: a cursor and a page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Reports stored after the one with this id: the `next` of the previous page (default 0:
    /// from the first).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Page size, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One page of the feed of every stored report, in arrival order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportFeed {
    reports: Vec<ReportView>,
    /// The `after` of the next page; `null` on the last page (follow it again later for what
    /// arrives meanwhile).
    next: Option<i64>,
    /// The id of the newest report this server holds: how far behind the cursor is.
    last_id: i64,
}

/// Every stored report, in arrival order, a page at a time: what another oracle node or a mirror
/// follows with its own cursor. Ids ascend in commit order (one group commit at a time per
/// database), so a cursor never skips a report that is committed later.
#[utoipa::path(get, path = "/v1/reports", tag = "reports",
    params(FeedQuery),
    responses((status = 200, body = ReportFeed)))]
pub async fn feed(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Json<ReportFeed>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::Malformed {
            field: "limit".into(),
            detail: format!("`limit` must be between 1 and {MAX_PAGE}"),
        });
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::Malformed {
            field: "after".into(),
            detail: "`after` must be 0 or a report id (the `next` of a page)".into(),
        });
    }
    // The newest id first: a report committed between the two reads is then in the page (or the
    // next), never counted in `last_id` before it can be fetched.
    let last_id = state.reports.last_id().await?;
    let reports = state.reports.after(after, limit).await?;
    let next = (reports.len() == limit as usize)
        .then(|| reports.last().map(|r| r.id))
        .flatten();
    Ok(Json(ReportFeed {
        reports: reports.iter().map(ReportView::from).collect(),
        next,
        last_id: last_id.max(reports.last().map_or(0, |r| r.id)),
    }))
}

fn parse_key(s: &str) -> Result<[u8; 32], ApiError> {
    parse_hash(s, "key").map(|h| h.0)
}

/// Where a reporter's chain stands on a data unit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReporterStatusView {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    reporter_key: String,
    data_unit: u64,
    #[schema(value_type = sla_protocol::Role)]
    role: &'static str,
    /// The sequence of its newest stored report; the next must be this + 1.
    last_sequence: u64,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    last_hash: String,
    last_period_end_ms: u64,
    /// The most time the terms allow between two reports, ms.
    reporting_interval_ms: u64,
    /// Whether the next report is overdue at `now_ms`.
    late: bool,
    /// The server's clock when it answered, Unix ms.
    now_ms: u64,
}

/// A reporter's last sequence, last period end, and whether it is late.
#[utoipa::path(get, path = "/v1/reporters/{key}/data-units/{id}", tag = "reports",
    params(("key" = String, Path, description = "The reporter's ed25519 key: 64 hex digits, `0x` optional"),
           ("id" = u64, Path, description = "The data unit")),
    responses((status = 200, body = ReporterStatusView)))]
pub async fn reporter_status(
    State(state): State<AppState>,
    ApiPath((key, data_unit)): ApiPath<(String, u64)>,
) -> Result<Json<ReporterStatusView>, ApiError> {
    let key = parse_key(&key)?;
    let status = state
        .reports
        .reporter_status(&key, data_unit)
        .await?
        .ok_or(ApiError::NotFound("reporter on this data unit"))?;
    let now = sla_runtime::now_ms();
    Ok(Json(ReporterStatusView {
        reporter_key: hex::encode(status.reporter_key),
        data_unit: status.data_unit,
        role: status.role.as_str(),
        last_sequence: status.head.sequence,
        last_hash: status.head.hash.to_hex(),
        last_period_end_ms: status.head.period_end_ms,
        reporting_interval_ms: status.reporting_interval_ms,
        late: status.is_late(now),
        now_ms: now,
    }))
}

/// A signed report that conflicts with the one stored at the same sequence: evidence.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Equivocation {
    sequence: u64,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    accepted_hash: String,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    conflicting_hash: String,
    /// The conflicting report's signed payload.
    #[schema(pattern = "^([0-9a-f]{2})*$")]
    payload: String,
    #[schema(pattern = "^[0-9a-f]{128}$")]
    signature: String,
}

/// A reporter's equivocations on a data unit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EquivocationList {
    equivocations: Vec<Equivocation>,
}

/// Conflicting signed reports of a reporter, kept as evidence (never counted).
#[utoipa::path(get, path = "/v1/reporters/{key}/data-units/{id}/equivocations", tag = "reports",
    params(("key" = String, Path, description = "The reporter's ed25519 key: 64 hex digits, `0x` optional"),
           ("id" = u64, Path, description = "The data unit")),
    responses((status = 200, body = EquivocationList)))]
pub async fn equivocations(
    State(state): State<AppState>,
    ApiPath((key, data_unit)): ApiPath<(String, u64)>,
) -> Result<Json<EquivocationList>, ApiError> {
    let key = parse_key(&key)?;
    let items = state.reports.equivocations(&key, data_unit).await?;
    Ok(Json(EquivocationList {
        equivocations: items
            .iter()
            .map(|e| Equivocation {
                sequence: e.sequence,
                accepted_hash: e.accepted_hash.to_hex(),
                conflicting_hash: e.conflicting.hash().to_hex(),
                payload: hex::encode(&e.conflicting.payload),
                signature: hex::encode(&e.conflicting.signature),
            })
            .collect(),
    }))
}
