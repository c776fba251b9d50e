//! An SLA compliance report over a span of time, for one data unit or every data unit of a
//! provider: the terms, each epoch's verdict (the roll-up's numbers, in words) and on-chain
//! result, the period's totals, the penalties with their transactions, the epochs with provider
//! gaps, and the command that re-derives the Merkle roots. Served by the API
//! (`/v1/{data-units,providers}/…/compliance`) and sent on a schedule by `sla-alerts`; both call
//! [`report`]. Rendered as JSON (serde), CSV ([`csv`]) and HTML ([`html`], maud, escaped).

use std::collections::BTreeMap;
use std::fmt::Write;

use maud::{html, Markup, DOCTYPE};
use serde::{Deserialize, Serialize};
use sla_protocol::aggregate::{EpochConfig, SlaTerms};
use sla_protocol::parties::Allocation;

use super::data_unit::{epoch_lines, EpochLine};
use super::{address, wei, Source};
use crate::error::DashboardError;
use crate::words;

/// The longest span one report covers: a quarter (92 days).
pub const MAX_SPAN_MS: u64 = 92 * 86_400_000;

/// Most (data unit, epoch) pairs one report covers, as for the exports.
pub const MAX_CELLS: u64 = super::export::MAX_EXPORT_CELLS;

/// A compliance report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ComplianceReport {
    /// Start of the period, Unix ms (inclusive).
    pub from_ms: u64,
    /// End of the period, Unix ms (exclusive).
    pub to_ms: u64,
    /// The first epoch starting in the period (none when no epoch does).
    pub from_epoch: Option<u64>,
    /// The last epoch starting in the period.
    pub to_epoch: Option<u64>,
    /// One section per data unit.
    pub data_units: Vec<UnitReport>,
}

/// One data unit's part of a report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct UnitReport {
    /// The data unit.
    pub data_unit: u64,
    /// Its provider, `0x` hex.
    pub provider: String,
    /// Its consumer, `0x` hex.
    pub consumer: String,
    /// The terms as the contract stores them.
    pub terms: SlaTerms,
    /// The terms in words.
    pub terms_words: Vec<String>,
    /// The period's totals.
    pub totals: Totals,
    /// Every epoch of the period with a roll-up or a result, oldest first.
    pub epochs: Vec<ReportEpoch>,
    /// Penalties applied on chain for epochs of the period.
    pub penalties: Vec<ReportPenalty>,
    /// The command that re-derives the reports' Merkle roots and the results from public data.
    pub audit_command: String,
}

/// What the period's epochs add up to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, utoipa::ToSchema)]
pub struct Totals {
    /// Epochs with a final verdict.
    pub epochs_judged: u64,
    /// Of which without a violation.
    pub epochs_compliant: u64,
    /// `epochs_compliant * 10000 / epochs_judged`, truncated.
    pub compliance_bps: Option<u64>,
    /// Epochs in which each metric was violated, by metric name.
    pub violations: BTreeMap<String, u64>,
    /// Epochs the provider left gaps in (late or silent).
    pub provider_gap_epochs: u64,
    /// Epochs without data.
    pub no_data_epochs: u64,
    /// Epochs whose two views disagreed enough to be disputed.
    pub disputed_epochs: u64,
    /// Lowest window uptime judged, basis points.
    pub min_uptime_bps: Option<u16>,
    /// Highest mean read latency judged, µs.
    pub max_read_latency_us: Option<u32>,
    /// Highest error rate judged, basis points.
    pub max_error_rate_bps: Option<u16>,
    /// Penalties applied on chain.
    pub penalties: u64,
    /// Their sum, wei.
    pub penalties_wei: String,
}

/// One epoch of the period.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ReportEpoch {
    /// The epoch.
    pub epoch: u64,
    /// Its start, Unix ms.
    pub start_ms: u64,
    /// The roll-up's status (`none` without one).
    pub rollup_status: String,
    /// Reports counted.
    pub report_count: u64,
    /// Merkle root of the reports counted, `0x` hex.
    pub reports_root: Option<String>,
    /// Metrics violated (by the verdict, else the on-chain result).
    pub violations: Vec<String>,
    /// `no_data`, `disputed`, `provider_gap`.
    pub flags: Vec<String>,
    /// Window uptime judged, basis points.
    pub uptime_bps: Option<u16>,
    /// Error rate judged, basis points.
    pub error_rate_bps: Option<u16>,
    /// Mean read latency judged, µs.
    pub read_latency_us: Option<u32>,
    /// Mean write latency judged, µs.
    pub write_latency_us: Option<u32>,
    /// The verdict in words.
    pub explanation: Vec<String>,
    /// The `submitResults` transaction that applied it, `0x` hex, once on chain.
    pub result_tx: Option<String>,
    /// The penalty moved on chain, wei.
    pub penalty_wei: Option<String>,
}

/// A penalty applied on chain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ReportPenalty {
    /// The epoch it is for.
    pub epoch: u64,
    /// Amount, wei.
    pub amount_wei: String,
    /// The block.
    pub block_number: u64,
    /// The transaction, `0x` hex.
    pub tx_hash: Option<String>,
}

/// Checks a requested period: `to_ms` after `from_ms`, at most [`MAX_SPAN_MS`].
pub fn check_period(from_ms: u64, to_ms: u64) -> Result<(), DashboardError> {
    if to_ms <= from_ms {
        return Err(DashboardError::Malformed {
            field: "to",
            detail: "`to` must be after `from`".into(),
        });
    }
    if to_ms - from_ms > MAX_SPAN_MS {
        return Err(DashboardError::Malformed {
            field: "to",
            detail: format!(
                "a compliance report spans at most {} days",
                MAX_SPAN_MS / 86_400_000
            ),
        });
    }
    Ok(())
}

/// The epochs that start in `[from_ms, to_ms)`, as `(first, last)`; `None` when none does.
pub fn epochs_in(epochs: &EpochConfig, from_ms: u64, to_ms: u64) -> Option<(u64, u64)> {
    // The first epoch starting at or after `t`: the one holding `t - 1`, plus one.
    let starting_from = |t: u64| match t.checked_sub(1).and_then(|t| epochs.epoch_of(t)) {
        Some(e) => e + 1,
        None => 0,
    };
    let genesis = epochs.bounds_ms(0).map_or(0, |(s, _)| s);
    if to_ms <= genesis {
        return None;
    }
    let first = if from_ms <= genesis {
        0
    } else {
        starting_from(from_ms)
    };
    let end = starting_from(to_ms);
    (end > first).then(|| (first, end - 1))
}

/// The report of `allocations` (each a data unit) over `[from_ms, to_ms)`.
pub async fn report(
    source: &Source,
    allocations: &[Allocation],
    from_ms: u64,
    to_ms: u64,
) -> Result<ComplianceReport, DashboardError> {
    check_period(from_ms, to_ms)?;
    let epochs = source.epochs().await?;
    let span = epochs_in(&epochs, from_ms, to_ms);
    if let Some((first, last)) = span {
        super::export::check_span(allocations.len(), first, last).map_err(|e| {
            DashboardError::Malformed {
                field: "to",
                detail: e.detail(),
            }
        })?;
    }
    let mut data_units = Vec::with_capacity(allocations.len());
    for a in allocations {
        data_units.push(unit(source, &epochs, a, span).await?);
    }
    Ok(ComplianceReport {
        from_ms,
        to_ms,
        from_epoch: span.map(|s| s.0),
        to_epoch: span.map(|s| s.1),
        data_units,
    })
}

async fn unit(
    source: &Source,
    epochs: &EpochConfig,
    a: &Allocation,
    span: Option<(u64, u64)>,
) -> Result<UnitReport, DashboardError> {
    let (mut lines, penalties) = match span {
        None => (Vec::new(), Vec::new()),
        Some((first, last)) => {
            let mirror = source.db.mirror();
            // Bounded by `check_span`: at most MAX_EXPORT_EPOCHS roll-ups and results.
            let rollups = source
                .db
                .rollups()
                .of_data_unit(a.data_unit, first, last)
                .await?;
            let results = mirror
                .results(a.data_unit, first, (last - first + 1) as u32)
                .await?;
            let penalties = mirror.penalties_between(a.data_unit, first, last).await?;
            let lines = epoch_lines(&a.terms, epochs, &rollups, &results, &penalties);
            (lines, penalties)
        }
    };
    lines.reverse(); // oldest first, as a report reads
    let epochs: Vec<ReportEpoch> = lines.into_iter().map(report_epoch).collect();
    let penalties: Vec<ReportPenalty> = penalties
        .iter()
        .map(|p| ReportPenalty {
            epoch: p.epoch,
            amount_wei: wei(p.amount),
            block_number: p.origin.block_number,
            tx_hash: p.origin.tx_hash.map(|h| format!("0x{}", hex::encode(h))),
        })
        .collect();
    let totals = totals(&epochs, &penalties);
    let api = if source.public_url.is_empty() {
        "<ingest API URL>"
    } else {
        source.public_url.as_str()
    };
    let audit_command = match span {
        Some((a_, b)) => format!(
            "sla audit --data-unit {} --epoch {a_} --to-epoch {b} --api {api} \
             --rpc-url <RPC URL> --deployment deployment.json",
            a.data_unit
        ),
        None => String::new(),
    };
    Ok(UnitReport {
        data_unit: a.data_unit,
        provider: address(&a.provider),
        consumer: address(&a.consumer),
        terms: a.terms.clone(),
        terms_words: words::terms(&a.terms),
        totals,
        epochs,
        penalties,
        audit_command,
    })
}

fn report_epoch(line: EpochLine) -> ReportEpoch {
    let v = line.verdict.as_ref();
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    ReportEpoch {
        epoch: line.epoch,
        start_ms: line.start_ms,
        rollup_status: line.rollup_status.to_owned(),
        report_count: line.report_count,
        reports_root: line.reports_root.clone(),
        violations: match (v, &line.on_chain) {
            (Some(v), _) => owned(&v.violations),
            (None, Some(c)) => owned(&c.violations),
            (None, None) => Vec::new(),
        },
        flags: v.map(|v| owned(&v.flags)).unwrap_or_default(),
        uptime_bps: v.map(|v| v.uptime_bps),
        error_rate_bps: v.map(|v| v.error_rate_bps),
        read_latency_us: v.map(|v| v.read_latency_us),
        write_latency_us: v.map(|v| v.write_latency_us),
        explanation: v.map(|v| v.explanation.clone()).unwrap_or_default(),
        result_tx: line
            .on_chain
            .as_ref()
            .and_then(|c| c.applied.tx_hash.clone()),
        penalty_wei: line.on_chain.and_then(|c| c.penalty_wei),
    }
}

fn totals(epochs: &[ReportEpoch], penalties: &[ReportPenalty]) -> Totals {
    let mut t = Totals::default();
    for e in epochs.iter().filter(|e| e.uptime_bps.is_some()) {
        t.epochs_judged += 1;
        if e.violations.is_empty() {
            t.epochs_compliant += 1;
        }
        for m in &e.violations {
            *t.violations.entry(m.clone()).or_default() += 1;
        }
        let has = |f: &str| e.flags.iter().any(|x| x == f);
        t.provider_gap_epochs += u64::from(has("provider_gap"));
        t.no_data_epochs += u64::from(has("no_data"));
        t.disputed_epochs += u64::from(has("disputed"));
        t.min_uptime_bps = t.min_uptime_bps.min(e.uptime_bps).or(e.uptime_bps);
        t.max_read_latency_us = t.max_read_latency_us.max(e.read_latency_us);
        t.max_error_rate_bps = t.max_error_rate_bps.max(e.error_rate_bps);
    }
    t.compliance_bps = (t.epochs_judged > 0).then(|| t.epochs_compliant * 10_000 / t.epochs_judged);
    t.penalties = penalties.len() as u64;
    let total: u128 = penalties
        .iter()
        .map(|p| p.amount_wei.parse::<u128>().unwrap_or(0))
        .sum();
    t.penalties_wei = wei(total);
    t
}

/// The CSV columns: one row per (data unit, epoch).
pub const CSV_COLUMNS: [&str; 13] = [
    "data_unit",
    "epoch",
    "start_utc",
    "rollup_status",
    "violations",
    "flags",
    "uptime_bps",
    "error_rate_bps",
    "read_latency_us",
    "write_latency_us",
    "reports_root",
    "result_tx",
    "penalty_wei",
];

/// The report's epochs as CSV (RFC 4180). Fields are numbers, hex and fixed names joined by
/// `+`, none of which needs quoting.
pub fn csv(report: &ComplianceReport) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    let opt = |v: Option<String>| v.unwrap_or_default();
    for u in &report.data_units {
        for e in &u.epochs {
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
                u.data_unit,
                e.epoch,
                words::utc(e.start_ms),
                e.rollup_status,
                e.violations.join("+"),
                e.flags.join("+"),
                opt(e.uptime_bps.map(|v| v.to_string())),
                opt(e.error_rate_bps.map(|v| v.to_string())),
                opt(e.read_latency_us.map(|v| v.to_string())),
                opt(e.write_latency_us.map(|v| v.to_string())),
                opt(e.reports_root.clone()),
                opt(e.result_tx.clone()),
                opt(e.penalty_wei.clone()),
            );
        }
    }
    out
}

/// One line per data unit, in words: `data unit 7: 95.00 % of 24 epoch(s) compliant, 1 penalty
/// (0.3 ETH), 2 epoch(s) with provider gaps`.
pub fn summary_lines(report: &ComplianceReport) -> Vec<String> {
    report
        .data_units
        .iter()
        .map(|u| {
            let t = &u.totals;
            let share = t
                .compliance_bps
                .map_or("no judged epochs".to_owned(), |bps| {
                    format!(
                        "{} of {} epoch(s) compliant",
                        words::percent(bps),
                        t.epochs_judged
                    )
                });
            let total: u128 = t.penalties_wei.parse().unwrap_or(0);
            format!(
                "data unit {}: {share}, {} penalt{} ({}), {} epoch(s) with provider gaps",
                u.data_unit,
                t.penalties,
                if t.penalties == 1 { "y" } else { "ies" },
                words::eth(total),
                t.provider_gap_epochs
            )
        })
        .collect()
}

/// The report as a standalone HTML document (every value escaped by maud).
pub fn html(title: &str, report: &ComplianceReport) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } }
            body {
                h1 { (title) }
                p { "From " (words::utc(report.from_ms)) " to " (words::utc(report.to_ms)) }
                @for line in summary_lines(report) { p { (line) } }
                @for u in &report.data_units {
                    section {
                        h2 { "Data unit " (u.data_unit) }
                        p { "Provider " code { (u.provider) } ", consumer " code { (u.consumer) } }
                        ul { @for t in &u.terms_words { li { (t) } } }
                        table {
                            thead { tr {
                                th { "epoch" } th { "start" } th { "verdict" } th { "flags" }
                                th { "reports root" } th { "result tx" } th { "penalty (wei)" }
                            } }
                            tbody { @for e in &u.epochs { tr {
                                td { (e.epoch) }
                                td { (words::utc(e.start_ms)) }
                                td { @if e.explanation.is_empty() { (e.rollup_status) }
                                     @else { @for x in &e.explanation { (x) br; } } }
                                td { (e.flags.join(", ")) }
                                td { code { (e.reports_root.as_deref().unwrap_or("")) } }
                                td { code { (e.result_tx.as_deref().unwrap_or("")) } }
                                td { (e.penalty_wei.as_deref().unwrap_or("")) }
                            } } }
                        }
                        @if !u.penalties.is_empty() {
                            h3 { "Penalties applied on chain" }
                            ul { @for p in &u.penalties { li {
                                "epoch " (p.epoch) ": " (p.amount_wei) " wei, block " (p.block_number)
                                @if let Some(tx) = &p.tx_hash { ", transaction " code { (tx) } }
                            } } }
                        }
                        @if !u.audit_command.is_empty() {
                            p { "Re-derive the Merkle roots and results: " code { (u.audit_command) } }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epochs_of_a_period_are_those_starting_in_it() {
        let e = EpochConfig::new(1_000, 60).unwrap(); // genesis at 1,000 s, 60 s epochs
        let at = |s: u64| s * 1_000;
        assert_eq!(epochs_in(&e, at(1_000), at(1_060)), Some((0, 0)));
        assert_eq!(epochs_in(&e, 0, at(1_180)), Some((0, 2)));
        assert_eq!(epochs_in(&e, at(1_001), at(1_180)), Some((1, 2)));
        assert_eq!(epochs_in(&e, at(1_001), at(1_059)), None);
        assert_eq!(epochs_in(&e, 0, at(1_000)), None);
    }

    #[test]
    fn a_period_is_bounded() {
        assert!(check_period(0, MAX_SPAN_MS).is_ok());
        assert_eq!(
            check_period(0, MAX_SPAN_MS + 1).unwrap_err().field(),
            Some("to")
        );
        assert_eq!(check_period(5, 5).unwrap_err().field(), Some("to"));
    }
}
