//! One report: what it says, exactly as signed, with links to its bytes and its proof.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use sla_protocol::{codec, ReportHash};

use super::{at, layout, PageError};
use crate::error::DashboardError;
use crate::{words, DashboardState};

/// Records listed on the page (the signed bytes hold them all).
const RECORDS_SHOWN: usize = 500;

/// `GET {base}/reports/{hash}`
pub(crate) async fn page(
    State(state): State<DashboardState>,
    Path(hash): Path<String>,
) -> Result<Response, PageError> {
    let base = state.base();
    let parsed =
        ReportHash::from_hex(hash.strip_prefix("0x").unwrap_or(&hash)).ok_or_else(|| {
            at(&state)(DashboardError::Malformed {
                field: "hash",
                detail: "`hash` must be 64 hex digits".into(),
            })
        })?;
    let r = state
        .source()
        .db
        .reports()
        .by_hash(&parsed)
        .await
        .map_err(|e| at(&state)(e.into()))?
        .ok_or_else(|| at(&state)(DashboardError::NotFound("report".into())))?;
    let decoded = codec::decode(&r.payload).ok();
    let hex = r.hash.to_hex();
    let epoch = state
        .source()
        .epochs()
        .await
        .ok()
        .and_then(|e| e.epoch_of(r.period_start_ms));
    let body = html! {
        h1 { "Report " code.hash { (super::short(&hex)) } }
        dl.facts {
            dt { "Hash (SHA-256 of the payload)" } dd { code.hash.full { (hex) } }
            dt { "Data unit" } dd { a href={ (base) "/data-units/" (r.data_unit) } { (r.data_unit) } }
            dt { "Side" } dd { (r.role.as_str()) }
            dt { "Reporter key" } dd { code.hash.full { (hex::encode(r.reporter_key)) } }
            dt { "Sequence" } dd { (r.sequence) }
            dt { "Period" } dd { (words::utc(r.period_start_ms)) " to " (words::utc(r.period_end_ms)) }
            dt { "Received" } dd { (words::utc(r.received_at_ms)) }
        }
        p.links {
            a href={ "/v1/reports/" (hex) } { "Signed bytes (JSON)" }
            @if let Some(e) = epoch { " · " a href={ "/v1/data-units/" (r.data_unit) "/epochs/" (e) "/proofs/" (hex) } { "Merkle proof, epoch " (e) } }
        }
        h2 { "Records" }
        @match &decoded {
            None => p.problem { "The stored payload does not decode (it was verified when it arrived; report this)." },
            Some(d) => div.scroll { table id="records-table" {
                thead { tr { th scope="col" { "Time" } th scope="col" { "Operation" } th scope="col" { "Latency" }
                    th scope="col" { "Bytes" } th scope="col" { "Result" } th scope="col" { "Error" } } }
                tbody { @for rec in d.records.iter().take(RECORDS_SHOWN) {
                    tr {
                        td { (words::utc(rec.timestamp_ms)) }
                        td { (format!("{:?}", rec.operation).to_lowercase()) }
                        td { (words::latency(rec.latency_us.into())) }
                        td { (words::bytes(rec.bytes)) }
                        td { @if rec.success { "ok" } @else { strong { "failed" } } }
                        td.error-details { @if !rec.success { (rec.error_code) " " q { (rec.error_detail) } } }
                    }
                } }
            } }
        }
    };
    Ok(super::page(layout(base, "Report", body)))
}
