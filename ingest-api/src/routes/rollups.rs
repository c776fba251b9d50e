//! Roll-ups on the public read API: per epoch summaries and verdicts, rolling windows and
//! trends (from stored summaries), Merkle proofs of the reports a summary used, and the reports
//! that arrived too late to count.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sla_protocol::aggregate::{EpochSummary, Trend, WindowSummary};
use sla_protocol::{merkle, ReportHash, Role};
use sla_storage::Rollup;

use crate::extract::{ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::state::AppState;

/// Most epochs one roll-up page or window may span.
const MAX_EPOCHS: u64 = 10_000;

fn rollup_json(r: &Rollup) -> Value {
    json!({
        "data_unit": r.data_unit,
        "epoch": r.epoch,
        "status": r.status.as_str(),
        "report_count": r.report_count,
        "reports_root": hex::encode(r.reports_root),
        "summary_encoding": hex::encode(&r.summary_encoding),
        "summary": r.summary,
        "verdict": r.verdict,
        "updated_at_ms": r.updated_at_ms,
    })
}

/// The query of [`list_rollups`]: an inclusive range of epochs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochRange {
    /// First epoch (default 0).
    pub from_epoch: Option<u64>,
    /// Last epoch, not before `from_epoch` (default: no bound).
    pub to_epoch: Option<u64>,
}

/// `GET /v1/data-units/{id}/rollups?from_epoch&to_epoch`
pub async fn list_rollups(
    State(state): State<AppState>,
    ApiPath(data_unit): ApiPath<u64>,
    ApiQuery(q): ApiQuery<EpochRange>,
) -> Result<Json<Value>, ApiError> {
    let from = q.from_epoch.unwrap_or(0);
    let to = q.to_epoch.unwrap_or(u64::MAX);
    if to < from {
        return Err(ApiError::Malformed {
            field: "to_epoch".into(),
            detail: "`to_epoch` must not be before `from_epoch`".into(),
        });
    }
    let rollups = state.rollups.of_data_unit(data_unit, from, to).await?;
    let items: Vec<Value> = rollups.iter().map(rollup_json).collect();
    Ok(Json(json!({ "data_unit": data_unit, "rollups": items })))
}

/// The query of [`window`]: which rolling window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowQuery {
    /// Last epoch of the window.
    pub epoch: u64,
    /// Epochs in the window.
    pub epochs: u64,
}

/// `GET /v1/data-units/{id}/window?epoch&epochs`: the rolling window ending at `epoch` and its
/// trend against the window before it, from stored epoch summaries.
pub async fn window(
    State(state): State<AppState>,
    ApiPath(data_unit): ApiPath<u64>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<Value>, ApiError> {
    let config = state.epochs.ok_or(ApiError::NotFound(
        "epoch configuration (start the server with --deployment or --epoch-length)",
    ))?;
    if q.epochs == 0 || q.epochs > MAX_EPOCHS {
        return Err(ApiError::Malformed {
            field: "epochs".into(),
            detail: format!("`epochs` must be between 1 and {MAX_EPOCHS}"),
        });
    }
    let first = q.epoch.saturating_sub(2 * q.epochs - 1);
    let summaries: Vec<EpochSummary> = state
        .rollups
        .of_data_unit(data_unit, first, q.epoch)
        .await?
        .into_iter()
        .map(|r| r.summary)
        .collect();
    let window = WindowSummary::compute(&config, data_unit, q.epoch, q.epochs, &summaries)
        .map_err(|e| ApiError::Malformed {
            field: "epoch".into(),
            detail: format!("cannot compute the window: {e}"),
        })?;
    let trend = Trend::compute(&config, data_unit, q.epoch, q.epochs, &summaries).ok();
    Ok(Json(json!({ "window": window, "trend": trend })))
}

/// `GET /v1/data-units/{id}/epochs/{epoch}/proofs/{hash}`: the Merkle proof that report `hash`
/// is one of the reports the epoch's summary used.
pub async fn proof(
    State(state): State<AppState>,
    ApiPath((data_unit, epoch, hash)): ApiPath<(u64, u64, String)>,
) -> Result<Json<Value>, ApiError> {
    let leaf = ReportHash::from_hex(hash.strip_prefix("0x").unwrap_or(&hash)).ok_or_else(|| {
        ApiError::Malformed {
            field: "hash".into(),
            detail: "`hash` must be 64 hex digits".into(),
        }
    })?;
    let rollup = state
        .rollups
        .state(data_unit, epoch)
        .await?
        .ok_or(ApiError::NotFound("roll-up of this data unit and epoch"))?;
    let acc = &rollup.accumulator;
    let mut leaves: Vec<ReportHash> = Vec::new();
    for role in [Role::Consumer, Role::Provider] {
        leaves.extend(acc.view(role).report_hashes().copied());
    }
    let proof = merkle::proof(&leaves, leaf).ok_or(ApiError::NotFound(
        "report among the reports this roll-up used",
    ))?;
    let verified = proof.verify(&rollup.reports_root, &leaf);
    Ok(Json(json!({
        "data_unit": data_unit,
        "epoch": epoch,
        "report_hash": leaf.to_hex(),
        "reports_root": hex::encode(rollup.reports_root),
        "proof": proof,
        "verified": verified,
    })))
}

/// `GET /v1/data-units/{id}/uncounted`: reports stored after their epoch closed.
pub async fn uncounted(
    State(state): State<AppState>,
    ApiPath(data_unit): ApiPath<u64>,
) -> Result<Json<Value>, ApiError> {
    let items = state.rollups.uncounted(data_unit).await?;
    Ok(Json(json!({
        "data_unit": data_unit,
        "uncounted": items.iter().map(|u| json!({
            "report_id": u.report_id,
            "epoch": u.epoch,
            "reason": u.reason,
        })).collect::<Vec<_>>(),
    })))
}
