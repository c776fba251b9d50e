//! A data unit: its terms beside what both sides observed, epoch by epoch, with verdicts in
//! words, the on-chain results and penalties, the slot timeline of one epoch, and its newest
//! reports with links to their signed bytes and proofs.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sla_protocol::aggregate::{
    EpochConfig, EpochVerdict, MaintenanceWindow, Metric, OpKind, SlaTerms, SlotState, ViewSummary,
    FLAG_DISPUTED, FLAG_NO_DATA, FLAG_PROVIDER_GAP, SLOT_LEN_MS,
};
use sla_protocol::{codec, Role};
use sla_storage::mirror::{MirroredPenalty, MirroredResult};
use sla_storage::{Rollup, StoredReport};

use super::status::{self, ReporterLine, SlaStatus};
use super::{address, current_epoch, wei, OnChain, Source};
use crate::error::DashboardError;
use crate::words::{self, Bound};

/// Epochs a data unit page shows by default, and at most.
pub const DEFAULT_EPOCHS: u64 = 48;
/// Most epochs one page or export may span.
pub const MAX_EPOCHS: u64 = 2_000;
/// Newest reports listed per reporter.
pub const REPORTS_PER_REPORTER: u32 = 10;

/// A data unit page's data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DataUnitView {
    /// The allocation id.
    pub data_unit: u64,
    /// The consumer, `0x` hex.
    pub consumer: String,
    /// The provider, `0x` hex.
    pub provider: String,
    /// The allocation's status on chain.
    pub allocation_status: &'static str,
    /// When the provider accepted, Unix ms (0 if never).
    pub active_from_ms: u64,
    /// The terms, as the contract stores them.
    pub terms: SlaTerms,
    /// keccak256 of the ABI-encoded terms, `0x` hex.
    pub terms_hash: String,
    /// The terms in words.
    pub terms_words: Vec<String>,
    /// The penalty policy both parties agreed (docs/policy.md), if any.
    pub policy: Option<PolicyLine>,
    /// The maintenance windows the provider announced (docs/policy.md), by index.
    pub maintenance: Vec<MaintenanceLine>,
    /// Compliant, at risk, violating, no data or inactive.
    pub status: SlaStatus,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// Both sides' reporting.
    pub reporters: Vec<ReporterLine>,
    /// The epoch in progress.
    pub current_epoch: u64,
    /// First and last epoch shown.
    pub first_epoch: u64,
    /// Last epoch shown.
    pub last_epoch: u64,
    /// Every epoch with a roll-up or a result in the span, newest first.
    pub epochs: Vec<EpochLine>,
    /// One chart per metric, both views and the threshold.
    pub charts: Vec<Chart>,
    /// Penalties applied on chain for this data unit, ever.
    pub penalties_count: u64,
    /// Their sum, wei (credited to the consumer).
    pub penalties_total_wei: String,
    /// The consumer's withdrawable balance on chain, wei.
    pub consumer_withdrawable_wei: String,
    /// The slots of one epoch.
    pub timeline: Option<Timeline>,
    /// The newest reports of each reporter.
    pub reports: Vec<ReportLine>,
    /// The command that re-derives the on-chain results shown from public data.
    pub audit_command: String,
    /// The alerts raised about it, newest first, and which are active (its incident timeline).
    pub alerts: Vec<super::incidents::Incident>,
    /// Gauges of the newest epoch, efficiency, fault rates and scores (rules version 2).
    pub gauges: super::metrics::GaugePanel,
}

/// A data unit's agreed penalty policy.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyLine {
    /// keccak256 of the ABI-encoded policy, `0x` hex.
    pub policy_hash: String,
    /// The first epoch it judges.
    pub from_epoch: u64,
    /// The policy, field for field.
    #[schema(value_type = Object)]
    pub policy: sla_protocol::policy::Policy,
    /// The policy in words.
    pub words: Vec<String>,
}

/// One announced maintenance window of a data unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaintenanceLine {
    /// Its index on chain (what `sla maintenance cancel` takes).
    pub index: u64,
    /// Its start, Unix ms.
    pub start_ms: u64,
    /// Its end (exclusive), Unix ms.
    pub end_ms: u64,
    /// `cancelled`, `upcoming`, `in progress` or `over`.
    pub state: &'static str,
}

impl MaintenanceLine {
    fn of(w: &sla_storage::mirror::AnnouncedWindow, now_ms: u64) -> Self {
        let (start_ms, end_ms) = w.window.bounds_ms();
        let state = if w.cancelled {
            "cancelled"
        } else if now_ms < start_ms {
            "upcoming"
        } else if now_ms < end_ms {
            "in progress"
        } else {
            "over"
        };
        MaintenanceLine {
            index: w.index,
            start_ms,
            end_ms,
            state,
        }
    }
}

/// One epoch of a data unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EpochLine {
    /// The epoch.
    pub epoch: u64,
    /// Its start, Unix ms.
    pub start_ms: u64,
    /// The roll-up's status (`open`, `final`, `submitted`, `expired`; `none` without one).
    pub rollup_status: &'static str,
    /// Reports counted.
    pub report_count: u64,
    /// Merkle root of the reports counted, `0x` hex.
    pub reports_root: Option<String>,
    /// The aggregator's verdict, once final.
    pub verdict: Option<VerdictLine>,
    /// The result as applied on chain.
    pub on_chain: Option<ChainResult>,
    /// Where the two views disagree, in words.
    pub discrepancies: Vec<String>,
}

/// A verdict's numbers and its explanation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerdictLine {
    /// Metrics violated, by name.
    pub violations: Vec<&'static str>,
    /// `no_data`, `disputed`, `provider_gap`.
    pub flags: Vec<&'static str>,
    /// Penalty owed, wei: the term's, less the share the penalty policy waives.
    pub penalty_wei: String,
    /// Percent of the term's penalty the penalty policy waives (100: grace; 0: none).
    pub waived_pct: u8,
    /// Window uptime, basis points.
    pub uptime_bps: u16,
    /// Error rate, basis points.
    pub error_rate_bps: u16,
    /// Mean read latency judged, µs.
    pub read_latency_us: u32,
    /// Mean write latency judged, µs.
    pub write_latency_us: u32,
    /// Upload speed judged, bytes/s.
    pub upload_bps: u64,
    /// Download speed judged, bytes/s.
    pub download_bps: u64,
    /// The verdict in words, from its numbers.
    pub explanation: Vec<String>,
}

/// A result as the contract recorded it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChainResult {
    /// Metrics violated, by name.
    pub violations: Vec<&'static str>,
    /// Merkle root of the reports, `0x` hex.
    pub reports_root: String,
    /// Its batch's `ResultsSubmitted` event (the result is in that transaction's calldata).
    pub applied: OnChain,
    /// The penalty moved, wei, if one was.
    pub penalty_wei: Option<String>,
    /// Where the penalty was taken: its `PenaltiesEscrowed` event.
    pub penalty: Option<OnChain>,
}

/// A chart: one metric over the epochs shown, per view, with the term's threshold.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Chart {
    /// Stable id (`read_latency_mean`, `uptime`, ...).
    pub id: String,
    /// Title in words.
    pub title: String,
    /// `us` (latency), `bytes_per_s` (speed) or `bps` (basis points).
    pub unit: &'static str,
    /// The term's threshold, if one applies to this chart.
    pub threshold: Option<u64>,
    /// `at_most` or `at_least`.
    pub bound: Option<&'static str>,
    /// The lines.
    pub series: Vec<Series>,
}

/// One line of a chart: `(epoch, value)` points, epochs without a value left out.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Series {
    /// `consumer`, `provider`, `window`, `epoch` or `reputation`.
    pub name: &'static str,
    /// The points, by epoch.
    pub points: Vec<(u64, u64)>,
}

/// The slots of one epoch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    /// The epoch.
    pub epoch: u64,
    /// Every slot's combined state, in order (60 s each; the last may be shorter).
    pub slots: Vec<SlotState>,
    /// How many of each.
    pub counts: BTreeMap<&'static str, u64>,
    /// The slots that overlap a maintenance window not cancelled, ascending: their records
    /// inside it do not count (docs/policy.md).
    pub maintenance_slots: Vec<u32>,
}

/// A report as listed on the page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportLine {
    /// SHA-256 of the payload, hex.
    pub hash: String,
    /// Who signed it.
    pub role: Role,
    /// Its sequence in its reporter's chain.
    pub sequence: u64,
    /// Its period, Unix ms.
    pub period_start_ms: u64,
    /// End of the period.
    pub period_end_ms: u64,
    /// The epoch its period starts in.
    pub epoch: Option<u64>,
    /// Records in it.
    pub record_count: u32,
    /// Of which failed.
    pub failed: u32,
    /// The distinct error details of its failed records (at most 5), exactly as signed.
    pub error_details: Vec<String>,
    /// When it arrived, Unix ms.
    pub received_at_ms: u64,
    /// The signed bytes on the read API.
    pub raw_url: String,
    /// The Merkle proof on the read API.
    pub proof_url: Option<String>,
}

/// The data unit page's query.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    /// Epochs to show (default [`DEFAULT_EPOCHS`]).
    pub epochs: Option<u64>,
    /// The epoch whose slots to show (default the newest with a roll-up).
    pub timeline_epoch: Option<u64>,
}

/// Builds the page of `data_unit` at `now_ms`; `Ok(None)` when the mirror knows no such data unit.
pub async fn data_unit(
    source: &Source,
    data_unit: u64,
    span: Span,
    now_ms: u64,
) -> Result<Option<DataUnitView>, DashboardError> {
    let mirror = source.db.mirror();
    let Some(allocation) = mirror.current_allocation(data_unit).await? else {
        return Ok(None);
    };
    let epochs = source.epochs().await?;
    let count = span.epochs.unwrap_or(DEFAULT_EPOCHS).clamp(1, MAX_EPOCHS);
    let current = current_epoch(&epochs, now_ms);
    let first = current.saturating_sub(count - 1);
    let rollups = source
        .db
        .rollups()
        .of_data_unit(data_unit, first, current)
        .await?;
    let results = mirror.results(data_unit, first, (count + 1) as u32).await?;
    let penalties = mirror.penalties_between(data_unit, first, current).await?;
    let (penalties_count, total) = mirror.penalty_total(data_unit).await?;
    let newest = source
        .db
        .reports()
        .newest_of_data_unit(data_unit, REPORTS_PER_REPORTER)
        .await?;
    let withdrawable = mirror.withdrawable(&allocation.consumer).await?;
    let policy = mirror.agreed_policy(data_unit).await?.map(|p| PolicyLine {
        policy_hash: format!("0x{}", hex::encode(p.policy_hash)),
        from_epoch: p.from_epoch,
        words: words::policy(&p.policy),
        policy: p.policy,
    });
    let windows = mirror.maintenance_windows(data_unit).await?;
    let maintenance = windows
        .iter()
        .map(|w| MaintenanceLine::of(w, now_ms))
        .collect();
    let reporters = status::reporters(&allocation, &newest, now_ms);
    let (status, reasons) = status::judge(&allocation, &epochs, &rollups, &reporters);

    let timeline_epoch = span
        .timeline_epoch
        .or_else(|| rollups.last().map(|r| r.epoch));
    let timeline = match timeline_epoch {
        Some(epoch) => source.db.rollups().state(data_unit, epoch).await?.map(|s| {
            let in_force: Vec<_> = windows
                .iter()
                .filter(|w| !w.cancelled)
                .map(|w| w.window)
                .collect();
            let maintenance = maintenance_slots(&epochs, epoch, &in_force);
            timeline(epoch, s.accumulator.slot_timeline(), maintenance)
        }),
        None => None,
    };
    let lines = epoch_lines(&allocation.terms, &epochs, &rollups, &results, &penalties);
    let charts = charts(&allocation.terms, &rollups);
    let judged: Vec<u64> = results.iter().map(|r| r.epoch).collect();
    let api = if source.public_url.is_empty() {
        "<ingest API URL>"
    } else {
        source.public_url.as_str()
    };
    let audit_command = match (judged.first(), judged.last()) {
        (Some(a), Some(b)) => format!(
            "sla audit --data-unit {data_unit} --epoch {a} --to-epoch {b} --api {api} \
             --rpc-url <RPC URL> --deployment deployment.json"
        ),
        _ => format!(
            "sla audit --data-unit {data_unit} --epoch <E> --api {api} \
             --rpc-url <RPC URL> --deployment deployment.json"
        ),
    };
    Ok(Some(DataUnitView {
        data_unit,
        consumer: address(&allocation.consumer),
        provider: address(&allocation.provider),
        allocation_status: allocation.status.as_str(),
        active_from_ms: allocation.active_from_ms,
        terms_words: words::terms(&allocation.terms),
        terms_hash: format!("0x{}", hex::encode(allocation.terms_hash)),
        terms: allocation.terms.clone(),
        policy,
        maintenance,
        status,
        reasons,
        reporters,
        current_epoch: current,
        first_epoch: first,
        last_epoch: current,
        epochs: lines,
        charts,
        penalties_count,
        penalties_total_wei: wei(total),
        consumer_withdrawable_wei: wei(withdrawable),
        timeline,
        reports: report_lines(&epochs, data_unit, &newest),
        audit_command,
        alerts: super::incidents::incidents(&source.db, data_unit).await?,
        gauges: super::metrics::panel(data_unit, &allocation.terms, &rollups),
    }))
}

/// The slots of `epoch` that overlap one of `windows`.
fn maintenance_slots(epochs: &EpochConfig, epoch: u64, windows: &[MaintenanceWindow]) -> Vec<u32> {
    let Some((start_ms, end_ms)) = epochs.bounds_ms(epoch) else {
        return Vec::new();
    };
    (0..epochs.slots_per_epoch())
        .filter(|&i| {
            let from = start_ms + u64::from(i) * SLOT_LEN_MS;
            let to = (from + SLOT_LEN_MS).min(end_ms);
            windows.iter().any(|w| w.overlaps_ms(from, to))
        })
        .collect()
}

fn timeline(epoch: u64, slots: Vec<SlotState>, maintenance_slots: Vec<u32>) -> Timeline {
    let mut counts = BTreeMap::new();
    for s in &slots {
        *counts.entry(s.as_str()).or_insert(0) += 1;
    }
    Timeline {
        epoch,
        slots,
        counts,
        maintenance_slots,
    }
}

/// Every epoch with a roll-up or an on-chain result, newest first.
pub(crate) fn epoch_lines(
    terms: &SlaTerms,
    epochs: &EpochConfig,
    rollups: &[Rollup],
    results: &[MirroredResult],
    penalties: &[MirroredPenalty],
) -> Vec<EpochLine> {
    let by_epoch: BTreeMap<u64, &Rollup> = rollups.iter().map(|r| (r.epoch, r)).collect();
    let chain: BTreeMap<u64, &MirroredResult> = results.iter().map(|r| (r.epoch, r)).collect();
    let paid: BTreeMap<u64, &MirroredPenalty> = penalties.iter().map(|p| (p.epoch, p)).collect();
    let all: BTreeSet<u64> = by_epoch.keys().chain(chain.keys()).copied().collect();
    all.into_iter()
        .rev()
        .map(|epoch| {
            let rollup = by_epoch.get(&epoch);
            let verdict = rollup.and_then(|r| r.verdict.as_ref());
            EpochLine {
                epoch,
                start_ms: epochs.bounds_ms(epoch).map_or(0, |(s, _)| s),
                rollup_status: rollup.map_or("none", |r| r.status.as_str()),
                report_count: rollup.map_or(0, |r| r.report_count),
                reports_root: rollup.map(|r| format!("0x{}", hex::encode(r.reports_root))),
                verdict: verdict.map(|v| verdict_line(terms, v)),
                on_chain: chain.get(&epoch).map(|r| ChainResult {
                    violations: words::violated(r.result.violations),
                    reports_root: format!("0x{}", hex::encode(r.result.reports_root)),
                    applied: OnChain::from(&r.origin),
                    penalty_wei: paid.get(&epoch).map(|p| wei(p.amount)),
                    penalty: paid.get(&epoch).map(|p| OnChain::from(&p.origin)),
                }),
                discrepancies: verdict.map_or_else(Vec::new, discrepancies),
            }
        })
        .collect()
}

fn verdict_line(terms: &SlaTerms, v: &EpochVerdict) -> VerdictLine {
    let flags = [
        (FLAG_NO_DATA, "no_data"),
        (FLAG_DISPUTED, "disputed"),
        (FLAG_PROVIDER_GAP, "provider_gap"),
    ]
    .into_iter()
    .filter(|(bit, _)| v.flags & bit != 0)
    .map(|(_, name)| name)
    .collect();
    VerdictLine {
        violations: words::violated(v.violations),
        flags,
        penalty_wei: wei(v.penalty_wei),
        waived_pct: v.waived_pct,
        uptime_bps: v.uptime_bps,
        error_rate_bps: v.error_rate_bps,
        read_latency_us: v.read_latency_us,
        write_latency_us: v.write_latency_us,
        upload_bps: v.upload_bps,
        download_bps: v.download_bps,
        explanation: {
            let mut lines = words::verdict(terms, v);
            lines.extend(v.rules.iter().map(words::rule_verdict));
            lines
        },
    }
}

/// How far apart the two views' values of a metric must be to be highlighted: 10 %.
pub const DISCREPANCY_BPS: u16 = 1_000;

fn discrepancies(v: &EpochVerdict) -> Vec<String> {
    v.discrepancies
        .iter()
        .filter(|d| {
            d.consumer.is_some()
                && d.provider.is_some()
                && d.relative_bps.is_some_and(|r| r >= DISCREPANCY_BPS)
        })
        .map(|d| {
            let show = |x: Option<u64>| x.map_or("none".into(), |x| words::value(d.metric, x));
            let apart = d.relative_bps.map_or(String::new(), |r| {
                format!(", {} apart", words::percent(r.into()))
            });
            format!(
                "{}: the consumer saw {}, the provider {}{apart}",
                words::metric_name(d.metric),
                show(d.consumer),
                show(d.provider)
            )
        })
        .collect()
}

/// The charts of the roll-ups shown (oldest first): latency per operation and statistic, speeds
/// and error rate per view, uptime per epoch and over the terms' window.
pub(crate) fn charts(terms: &SlaTerms, rollups: &[Rollup]) -> Vec<Chart> {
    let mut out = Vec::new();
    type Stat = fn(&sla_protocol::aggregate::LatencyStats) -> u32;
    let stats: [(&str, Stat); 4] = [
        ("mean", |l| l.mean),
        ("p50", |l| l.p50),
        ("p95", |l| l.p95),
        ("p99", |l| l.p99),
    ];
    for (op, kind, metric) in [
        ("read", OpKind::Read, Metric::ReadLatency),
        ("write", OpKind::Write, Metric::WriteLatency),
    ] {
        for (stat, get) in stats {
            let value = |v: &ViewSummary| {
                v.ops
                    .iter()
                    .find(|o| o.kind == kind)
                    .and_then(|o| o.latency.as_ref())
                    .map(|l| u64::from(get(l)))
            };
            // The term bounds the mean; the percentiles are shown beside it.
            let limit = (stat == "mean")
                .then(|| words::threshold(terms, metric))
                .flatten();
            out.push(view_chart(
                format!("{op}_latency_{stat}"),
                format!("{op} latency, {stat}"),
                "us",
                limit,
                rollups,
                value,
            ));
        }
    }
    out.push(view_chart(
        "upload".into(),
        "upload speed".into(),
        "bytes_per_s",
        words::threshold(terms, Metric::Upload),
        rollups,
        |v| v.upload.bps,
    ));
    out.push(view_chart(
        "download".into(),
        "download speed".into(),
        "bytes_per_s",
        words::threshold(terms, Metric::Download),
        rollups,
        |v| v.download.bps,
    ));
    out.push(view_chart(
        "error_rate".into(),
        "error rate".into(),
        "bps",
        words::threshold(terms, Metric::ErrorRate),
        rollups,
        |v| v.error_rate_bps.map(u64::from),
    ));
    let (limit, bound) = split(words::threshold(terms, Metric::Uptime));
    out.push(Chart {
        id: "uptime".into(),
        title: match terms.uptime_window {
            0 => "uptime: judged and per epoch".to_owned(),
            w => format!(
                "uptime: over {} (judged) and per epoch",
                words::duration_s(u64::from(w))
            ),
        },
        unit: "bps",
        threshold: limit,
        bound,
        series: vec![
            Series {
                name: "window",
                points: rollups
                    .iter()
                    .filter_map(|r| Some((r.epoch, u64::from(r.verdict.as_ref()?.uptime_bps))))
                    .collect(),
            },
            Series {
                name: "epoch",
                points: rollups
                    .iter()
                    .filter_map(|r| {
                        Some((r.epoch, u64::from(r.summary.combined.slots.uptime_bps()?)))
                    })
                    .collect(),
            },
        ],
    });
    out
}

fn split(t: Option<(u64, Bound)>) -> (Option<u64>, Option<&'static str>) {
    match t {
        Some((v, Bound::AtMost)) => (Some(v), Some("at_most")),
        Some((v, Bound::AtLeast)) => (Some(v), Some("at_least")),
        None => (None, None),
    }
}

fn view_chart(
    id: String,
    title: String,
    unit: &'static str,
    limit: Option<(u64, Bound)>,
    rollups: &[Rollup],
    value: impl Fn(&ViewSummary) -> Option<u64>,
) -> Chart {
    let (threshold, bound) = split(limit);
    let series = [("consumer", Role::Consumer), ("provider", Role::Provider)]
        .into_iter()
        .map(|(name, role)| Series {
            name,
            points: rollups
                .iter()
                .filter_map(|r| {
                    let view = match role {
                        Role::Consumer => &r.summary.consumer,
                        Role::Provider => &r.summary.provider,
                    };
                    Some((r.epoch, value(view)?))
                })
                .collect(),
        })
        .collect();
    Chart {
        id,
        title,
        unit,
        threshold,
        bound,
        series,
    }
}

fn report_lines(epochs: &EpochConfig, data_unit: u64, reports: &[StoredReport]) -> Vec<ReportLine> {
    let mut lines: Vec<ReportLine> = reports
        .iter()
        .map(|r| {
            let decoded = codec::decode(&r.payload).ok();
            let records = decoded.as_ref().map_or(&[][..], |d| &d.records[..]);
            let failed: Vec<_> = records.iter().filter(|x| !x.success).collect();
            let mut details: Vec<String> = Vec::new();
            for rec in &failed {
                if details.len() < 5 && !details.contains(&rec.error_detail) {
                    details.push(rec.error_detail.clone());
                }
            }
            let hash = r.hash.to_hex();
            let epoch = epochs.epoch_of(r.period_start_ms);
            ReportLine {
                proof_url: epoch
                    .map(|e| format!("/v1/data-units/{data_unit}/epochs/{e}/proofs/{hash}")),
                raw_url: format!("/v1/reports/{hash}"),
                hash,
                role: r.role,
                sequence: r.sequence,
                period_start_ms: r.period_start_ms,
                period_end_ms: r.period_end_ms,
                epoch,
                record_count: r.record_count,
                failed: failed.len() as u32,
                error_details: details,
                received_at_ms: r.received_at_ms,
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        b.period_end_ms
            .cmp(&a.period_end_ms)
            .then(a.role.as_str().cmp(b.role.as_str()))
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_slots_are_those_a_window_overlaps() {
        let epochs = EpochConfig::new(1_000_000, 3_600).unwrap();
        let start_s = 1_000_000 + 5 * 3_600;
        let windows = [
            // Minutes 10 to 19 of epoch 5, and the first half second of minute 20 is not in it.
            MaintenanceWindow {
                start_s: start_s + 600,
                end_s: start_s + 1_200,
            },
            // From the previous epoch into its first minute.
            MaintenanceWindow {
                start_s: start_s - 30,
                end_s: start_s + 1,
            },
        ];
        let mut expected = vec![0];
        expected.extend(10..20);
        assert_eq!(maintenance_slots(&epochs, 5, &windows), expected);
        assert_eq!(maintenance_slots(&epochs, 6, &windows), Vec::<u32>::new());
    }
}
