//! Epoch results for any window, as JSON or CSV: what the contract recorded for each (data unit,
//! epoch), with the penalty moved and the transactions.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::{wei, Source};
use crate::error::DashboardError;
use crate::words;

/// Most epochs one export may span.
pub const MAX_EXPORT_EPOCHS: u64 = 10_000;

/// One applied result.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ResultRow {
    /// The data unit.
    pub data_unit: u64,
    /// The epoch.
    pub epoch: u64,
    /// Metrics violated, joined by `+` (empty when compliant).
    pub violations: String,
    /// Flag bits (1 no data, 2 disputed, 4 provider gap).
    pub flags: u8,
    /// Penalty moved, wei (0 when none).
    pub penalty_wei: String,
    /// Window uptime, basis points.
    pub uptime_bps: u16,
    /// Error rate, basis points.
    pub error_rate_bps: u16,
    /// Mean read latency, µs.
    pub read_latency_us: u32,
    /// Mean write latency, µs.
    pub write_latency_us: u32,
    /// Upload speed, bytes/s.
    pub upload_bps: u64,
    /// Download speed, bytes/s.
    pub download_bps: u64,
    /// Service operations counted.
    pub operations: u32,
    /// Merkle root of the reports, `0x` hex.
    pub reports_root: String,
    /// The block of the transaction that applied it.
    pub block_number: u64,
    /// Its transaction, `0x` hex.
    pub tx_hash: String,
}

/// The columns of the CSV, in order (the JSON field names).
pub const CSV_COLUMNS: [&str; 15] = [
    "data_unit",
    "epoch",
    "violations",
    "flags",
    "penalty_wei",
    "uptime_bps",
    "error_rate_bps",
    "read_latency_us",
    "write_latency_us",
    "upload_bps",
    "download_bps",
    "operations",
    "reports_root",
    "block_number",
    "tx_hash",
];

/// Most (data unit, epoch) pairs one export may cover: a provider with many data units narrows
/// the window instead of making the server read millions of rows.
pub const MAX_EXPORT_CELLS: u64 = 200_000;

/// Whether an export of `units` data units over epochs `from..=to` is one the server answers.
pub fn check_span(units: usize, from: u64, to: u64) -> Result<(), DashboardError> {
    let malformed = |detail: String| DashboardError::Malformed {
        field: "to_epoch",
        detail,
    };
    if to < from {
        return Err(malformed(
            "`to_epoch` must not be before `from_epoch`".into(),
        ));
    }
    let span = to - from + 1;
    if span > MAX_EXPORT_EPOCHS {
        return Err(malformed(format!(
            "an export spans at most {MAX_EXPORT_EPOCHS} epochs"
        )));
    }
    if (units as u64).saturating_mul(span) > MAX_EXPORT_CELLS {
        return Err(malformed(format!(
            "{units} data units over {span} epochs is more than {MAX_EXPORT_CELLS} results: \
             narrow the window to at most {} epochs",
            MAX_EXPORT_CELLS / (units as u64).max(1)
        )));
    }
    Ok(())
}

/// The applied results of `data_units` for epochs `from..=to`, by data unit then epoch.
pub async fn results(
    source: &Source,
    data_units: &[u64],
    from: u64,
    to: u64,
) -> Result<Vec<ResultRow>, DashboardError> {
    check_span(data_units.len(), from, to)?;
    let mirror = source.db.mirror();
    let mut rows = Vec::new();
    for &data_unit in data_units {
        let penalties: BTreeMap<u64, u128> = mirror
            .penalties(data_unit)
            .await?
            .into_iter()
            .map(|p| (p.epoch, p.amount))
            .collect();
        let results = mirror
            .results(data_unit, from, (to - from + 1) as u32)
            .await?;
        for r in results.into_iter().filter(|r| r.epoch <= to) {
            let x = &r.result;
            rows.push(ResultRow {
                data_unit,
                epoch: r.epoch,
                violations: words::violated(x.violations).join("+"),
                flags: x.flags,
                penalty_wei: wei(penalties.get(&r.epoch).copied().unwrap_or(0)),
                uptime_bps: x.uptime_bps,
                error_rate_bps: x.error_rate_bps,
                read_latency_us: x.read_latency_us,
                write_latency_us: x.write_latency_us,
                upload_bps: x.upload_bps,
                download_bps: x.download_bps,
                operations: x.operations,
                reports_root: format!("0x{}", hex::encode(x.reports_root)),
                block_number: r.origin.block_number,
                tx_hash: r
                    .origin
                    .tx_hash
                    .map_or(String::new(), |h| format!("0x{}", hex::encode(h))),
            });
        }
    }
    Ok(rows)
}

/// The rows as CSV (RFC 4180; no field needs quoting: numbers, hex and metric names only).
pub fn csv(rows: &[ResultRow]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for r in rows {
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            r.data_unit,
            r.epoch,
            r.violations,
            r.flags,
            r.penalty_wei,
            r.uptime_bps,
            r.error_rate_bps,
            r.read_latency_us,
            r.write_latency_us,
            r.upload_bps,
            r.download_bps,
            r.operations,
            r.reports_root,
            r.block_number,
            r.tx_hash
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_is_bounded_in_epochs_and_in_results() {
        assert!(check_span(1, 0, MAX_EXPORT_EPOCHS - 1).is_ok());
        assert!(check_span(1, 0, MAX_EXPORT_EPOCHS).is_err());
        assert!(check_span(1, 5, 4).is_err());
        assert!(check_span(20, 0, 9_999).is_ok());
        let wide = check_span(1_000, 0, 719).unwrap_err();
        assert_eq!(wide.field(), Some("to_epoch"));
        assert!(
            wide.detail().contains("at most 200 epochs"),
            "{}",
            wide.detail()
        );
    }
}
