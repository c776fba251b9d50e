//! The public read API: reports with their signed bytes (so anyone can re-verify them), a data
//! unit's reports by time, and reporter status.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sla_protocol::ReportHash;
use sla_storage::reports::ReportQuery;
use sla_storage::StoredReport;

use crate::extract::{ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::state::AppState;

/// Most reports one page may hold.
pub const MAX_PAGE: u32 = 1_000;

fn report_json(r: &StoredReport) -> Value {
    json!({
        "id": r.id,
        "hash": r.hash.to_hex(),
        "payload": hex::encode(&r.payload),
        "signature": hex::encode(&r.signature),
        "reporter_key": hex::encode(r.reporter_key),
        "role": r.role.as_str(),
        "data_unit": r.data_unit,
        "sequence": r.sequence,
        "period_start_ms": r.period_start_ms,
        "period_end_ms": r.period_end_ms,
        "record_count": r.record_count,
        "received_at_ms": r.received_at_ms,
    })
}

fn parse_hash(s: &str, field: &str) -> Result<ReportHash, ApiError> {
    ReportHash::from_hex(s.strip_prefix("0x").unwrap_or(s)).ok_or_else(|| ApiError::Malformed {
        field: field.to_owned(),
        detail: format!("`{field}` must be 64 hex digits"),
    })
}

/// `GET /v1/reports/{hash}`
pub async fn get_report(
    State(state): State<AppState>,
    ApiPath(hash): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let hash = parse_hash(&hash, "hash")?;
    let report = state
        .reports
        .by_hash(&hash)
        .await?
        .ok_or(ApiError::NotFound("report"))?;
    Ok(Json(report_json(&report)))
}

/// The query of [`list_reports`]: a time range and a page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// Reports whose period ends after this, Unix ms (default 0).
    pub from_ms: Option<u64>,
    /// Reports whose period starts before this, Unix ms (default: no bound).
    pub to_ms: Option<u64>,
    /// The `next` cursor of the previous page.
    pub after: Option<i64>,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<u32>,
}

/// `GET /v1/data-units/{id}/reports?from_ms&to_ms&after&limit`
pub async fn list_reports(
    State(state): State<AppState>,
    ApiPath(data_unit): ApiPath<u64>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({
        "data_unit": data_unit,
        "reports": reports.iter().map(report_json).collect::<Vec<_>>(),
        "next": next.flatten(),
    })))
}

fn parse_key(s: &str) -> Result<[u8; 32], ApiError> {
    parse_hash(s, "key").map(|h| h.0)
}

/// `GET /v1/reporters/{key}/data-units/{id}`: last sequence, last period end, late or not.
pub async fn reporter_status(
    State(state): State<AppState>,
    ApiPath((key, data_unit)): ApiPath<(String, u64)>,
) -> Result<Json<Value>, ApiError> {
    let key = parse_key(&key)?;
    let status = state
        .reports
        .reporter_status(&key, data_unit)
        .await?
        .ok_or(ApiError::NotFound("reporter on this data unit"))?;
    let now = sla_runtime::now_ms();
    Ok(Json(json!({
        "reporter_key": hex::encode(status.reporter_key),
        "data_unit": status.data_unit,
        "role": status.role.as_str(),
        "last_sequence": status.head.sequence,
        "last_hash": status.head.hash.to_hex(),
        "last_period_end_ms": status.head.period_end_ms,
        "reporting_interval_ms": status.reporting_interval_ms,
        "late": status.is_late(now),
        "now_ms": now,
    })))
}

/// `GET /v1/reporters/{key}/data-units/{id}/equivocations`: conflicting signed reports kept as
/// evidence.
pub async fn equivocations(
    State(state): State<AppState>,
    ApiPath((key, data_unit)): ApiPath<(String, u64)>,
) -> Result<Json<Value>, ApiError> {
    let key = parse_key(&key)?;
    let items = state.reports.equivocations(&key, data_unit).await?;
    Ok(Json(json!({
        "equivocations": items.iter().map(|e| json!({
            "sequence": e.sequence,
            "accepted_hash": e.accepted_hash.to_hex(),
            "conflicting_hash": e.conflicting.hash().to_hex(),
            "payload": hex::encode(&e.conflicting.payload),
            "signature": hex::encode(&e.conflicting.signature),
        })).collect::<Vec<_>>(),
    })))
}
