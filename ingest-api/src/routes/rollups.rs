//! Roll-ups on the public read API: per epoch summaries and verdicts, rolling windows and
//! trends (from stored summaries), Merkle proofs of the reports a summary used, and the reports
//! that arrived too late to count.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sla_protocol::aggregate::{EpochSummary, EpochVerdict, Trend, WindowSummary};
use sla_protocol::merkle::MerkleProof;
use sla_protocol::{merkle, ReportHash, Role};
use sla_storage::Rollup;

use crate::extract::{ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::state::AppState;

/// Most epochs one roll-up page or window may span.
const MAX_EPOCHS: u64 = 10_000;

/// One data unit's roll-up of one epoch (docs/aggregation.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RollupView {
    data_unit: u64,
    epoch: u64,
    /// `open` (reports still count), `final` (verdict fixed), `submitted` (sent on chain) or
    /// `expired`.
    #[schema(value_type = String, pattern = "^(open|final|submitted|expired)$")]
    status: &'static str,
    report_count: u64,
    /// Merkle root of the reports counted (docs/aggregation.md).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    reports_root: String,
    /// The summary's canonical encoding, which every party must reproduce.
    #[schema(pattern = "^([0-9a-f]{2})*$")]
    summary_encoding: String,
    summary: EpochSummary,
    /// The verdict, once the roll-up is final.
    verdict: Option<EpochVerdict>,
    updated_at_ms: u64,
}

impl From<Rollup> for RollupView {
    fn from(r: Rollup) -> Self {
        RollupView {
            data_unit: r.data_unit,
            epoch: r.epoch,
            status: r.status.as_str(),
            report_count: r.report_count,
            reports_root: hex::encode(r.reports_root),
            summary_encoding: hex::encode(&r.summary_encoding),
            summary: r.summary,
            verdict: r.verdict,
            updated_at_ms: r.updated_at_ms,
        }
    }
}

/// A data unit's roll-ups over a range of epochs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RollupList {
    data_unit: u64,
    rollups: Vec<RollupView>,
}

/// The query of [`list_rollups`]: an inclusive range of epochs.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EpochRange {
    /// First epoch (default 0).
    pub from_epoch: Option<u64>,
    /// Last epoch, not before `from_epoch` (default: no bound).
    pub to_epoch: Option<u64>,
}

/// A data unit's per-epoch summaries and verdicts.
#[utoipa::path(get, path = "/v1/data-units/{id}/rollups", tag = "roll-ups",
    params(("id" = u64, Path, description = "The data unit"), EpochRange),
    responses((status = 200, body = RollupList)))]
pub async fn list_rollups(
    State(state): State<AppState>,
    ApiPath(data_unit): ApiPath<u64>,
    ApiQuery(q): ApiQuery<EpochRange>,
) -> Result<Json<RollupList>, ApiError> {
    let from = q.from_epoch.unwrap_or(0);
    let to = q.to_epoch.unwrap_or(u64::MAX);
    if to < from {
        return Err(ApiError::Malformed {
            field: "to_epoch".into(),
            detail: "`to_epoch` must not be before `from_epoch`".into(),
        });
    }
    let rollups = state.rollups.of_data_unit(data_unit, from, to).await?;
    Ok(Json(RollupList {
        data_unit,
        rollups: rollups.into_iter().map(RollupView::from).collect(),
    }))
}

/// The query of [`window`]: which rolling window.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WindowQuery {
    /// Last epoch of the window.
    pub epoch: u64,
    /// Epochs in the window, 1..=10000.
    #[param(minimum = 1, maximum = 10000)]
    pub epochs: u64,
}

/// A rolling window and its trend.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WindowAnswer {
    window: WindowSummary,
    /// Against the window of as many epochs before it; `null` when that one cannot be computed.
    trend: Option<Trend>,
}

/// The rolling window ending at `epoch` and its trend against the window before it, from stored
/// epoch summaries.
#[utoipa::path(get, path = "/v1/data-units/{id}/window", tag = "roll-ups",
    params(("id" = u64, Path, description = "The data unit"), WindowQuery),
    responses((status = 200, body = WindowAnswer)))]
pub async fn window(
    State(state): State<AppState>,
    ApiPath(data_unit): ApiPath<u64>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<WindowAnswer>, ApiError> {
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
    Ok(Json(WindowAnswer { window, trend }))
}

/// The proof that a report is among those a roll-up counted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProofAnswer {
    data_unit: u64,
    epoch: u64,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    report_hash: String,
    /// The roll-up's reports root, as in its result on chain.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    reports_root: String,
    proof: MerkleProof,
    /// Whether the server checked the proof against the root (always `true`).
    verified: bool,
}

/// The Merkle proof that report `hash` is one of the reports the epoch's summary used.
#[utoipa::path(get, path = "/v1/data-units/{id}/epochs/{epoch}/proofs/{hash}", tag = "roll-ups",
    params(("id" = u64, Path, description = "The data unit"),
           ("epoch" = u64, Path, description = "The epoch"),
           ("hash" = String, Path, description = "The report hash: 64 hex digits, `0x` optional")),
    responses((status = 200, body = ProofAnswer)))]
pub async fn proof(
    State(state): State<AppState>,
    ApiPath((data_unit, epoch, hash)): ApiPath<(u64, u64, String)>,
) -> Result<Json<ProofAnswer>, ApiError> {
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
    Ok(Json(ProofAnswer {
        data_unit,
        epoch,
        report_hash: leaf.to_hex(),
        reports_root: hex::encode(rollup.reports_root),
        proof,
        verified,
    }))
}

/// A report stored after its epoch closed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Uncounted {
    /// Its arrival id (`id` of the report list).
    report_id: i64,
    epoch: u64,
    /// Why it did not count, e.g. `epoch-closed`.
    reason: String,
}

/// A data unit's reports that arrived too late to count.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UncountedList {
    data_unit: u64,
    uncounted: Vec<Uncounted>,
}

/// Reports stored after their epoch closed.
#[utoipa::path(get, path = "/v1/data-units/{id}/uncounted", tag = "roll-ups",
    params(("id" = u64, Path, description = "The data unit")),
    responses((status = 200, body = UncountedList)))]
pub async fn uncounted(
    State(state): State<AppState>,
    ApiPath(data_unit): ApiPath<u64>,
) -> Result<Json<UncountedList>, ApiError> {
    let items = state.rollups.uncounted(data_unit).await?;
    Ok(Json(UncountedList {
        data_unit,
        uncounted: items
            .into_iter()
            .map(|u| Uncounted {
                report_id: u.report_id,
                epoch: u.epoch,
                reason: u.reason,
            })
            .collect(),
    }))
}
