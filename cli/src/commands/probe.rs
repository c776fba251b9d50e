//! `sla probe …`: run the agent, one round, spool status, retry rejected reports.

use serde_json::{json, Value};
use sla_protocol::{Operation, QosRecord};

use crate::args::ProbeCommand;
use crate::output::Output;
use crate::probe::checks::Checks;
use crate::probe::endpoint::Prober;
use crate::probe::gauges::Gauges;
use crate::probe::spool::Spool;
use crate::probe::{self, ProbeConfig};

/// A record as JSON (the `sla probe once --json` and status shape).
pub(super) fn record_json(r: &QosRecord) -> Value {
    let mut v = json!({
        "timestamp_ms": r.timestamp_ms,
        "operation": r.operation.name(),
        "latency_us": r.latency_us,
        "bytes": r.bytes,
        "throughput_bps": r.throughput_bps,
        "object_size": r.object_size,
        "success": r.success,
        "error_code": r.error_code,
        "error_detail": r.error_detail,
    });
    // A gauge sample's value (`Operation::Custom`).
    if let Operation::Custom { value, .. } = &r.operation {
        v["value"] = json!(value);
    }
    v
}

fn record_line(r: &QosRecord) -> String {
    if let Operation::Custom { name, value } = &r.operation {
        let outcome = if r.success {
            value.to_string()
        } else {
            format!("FAILED {} {}", r.error_code, r.error_detail)
        };
        return format!("{name:<40} {outcome}");
    }
    let outcome = if r.success {
        "ok".to_owned()
    } else {
        format!("FAILED {} {}", r.error_code, r.error_detail)
    };
    format!(
        "{:<8} {:>10} B  {:>10.3} ms  {:>12} B/s  {outcome}",
        r.operation.name(),
        r.object_size,
        f64::from(r.latency_us) / 1000.0,
        r.throughput_bps
    )
}

pub(super) async fn run(cmd: ProbeCommand) -> anyhow::Result<Output> {
    match cmd {
        ProbeCommand::Run { config } => {
            let config = ProbeConfig::load(&config)?;
            probe::run(config, sla_runtime::shutdown_signal()).await?;
            Ok(Output::new("", json!({ "stopped": true })))
        }
        ProbeCommand::Once { config } => {
            let config = ProbeConfig::load(&config)?;
            // The gauges' sources are primed first (the CPU reading is a difference).
            let gauges = match &config.gauges {
                Some(g) if !g.is_empty() => Some(Gauges::new(g)?),
                _ => None,
            };
            let mut records = Vec::new();
            if let Some(s) = &config.storage {
                Prober::new(s, config.data_unit)?
                    .round(&mut records)
                    .await?;
            }
            records.extend(Checks::new(&config.checks)?.sample(probe::now_ms()).await);
            if let Some(g) = &gauges {
                records.extend(g.sample(probe::now_ms()).await);
            }
            let failed = records.iter().filter(|r| !r.success).count();
            let mut human: Vec<String> = records.iter().map(record_line).collect();
            human.push(format!("{} operations, {} failed", records.len(), failed));
            Ok(Output::new(
                human.join("\n"),
                json!({
                    "storage": config.storage.as_ref().map(|s| s.url.clone()),
                    "records": records.iter().map(record_json).collect::<Vec<_>>(),
                    "failed": failed,
                }),
            ))
        }
        ProbeCommand::Status { config } => {
            let config = ProbeConfig::load(&config)?;
            let reporter = config.reporter()?;
            let spool = Spool::inspect(&config.spool, &reporter).await?;
            let stats = spool.stats().await?;
            let reports = spool.reports().await?;
            spool.close().await;
            let mut human = vec![
                format!("spool {}", config.spool.display()),
                format!(
                    "records: {} ({} not yet in a report, {} orphaned)",
                    stats.records, stats.records_unreported, stats.records_orphaned
                ),
                format!(
                    "reports: {} sent, {} pending, {} rejected",
                    stats.reports_sent, stats.reports_pending, stats.reports_rejected
                ),
            ];
            if let Some(head) = &stats.head {
                human.push(format!(
                    "chain head: sequence {} ({}), period end {} ms",
                    head.sequence, head.hash, head.period_end_ms
                ));
            }
            for r in reports.iter().filter(|r| r.status.as_str() != "sent") {
                human.push(format!(
                    "  #{} {} ({} records, {} attempts){}",
                    r.sequence,
                    r.status.as_str(),
                    r.record_count,
                    r.attempts,
                    r.last_error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ));
            }
            Ok(Output::new(
                human.join("\n"),
                json!({
                    "spool": config.spool.display().to_string(),
                    "records": stats.records,
                    "records_unreported": stats.records_unreported,
                    "records_orphaned": stats.records_orphaned,
                    "reports_sent": stats.reports_sent,
                    "reports_pending": stats.reports_pending,
                    "reports_rejected": stats.reports_rejected,
                    "head": stats.head.map(|h| json!({
                        "sequence": h.sequence,
                        "hash": h.hash.to_hex(),
                        "period_end_ms": h.period_end_ms,
                    })),
                    "reports": reports.iter().map(|r| json!({
                        "sequence": r.sequence,
                        "hash": r.hash.to_hex(),
                        "prev_hash": r.prev_hash.to_hex(),
                        "period_start_ms": r.period_start_ms,
                        "period_end_ms": r.period_end_ms,
                        "records": r.record_count,
                        "status": r.status.as_str(),
                        "attempts": r.attempts,
                        "last_error": r.last_error,
                    })).collect::<Vec<_>>(),
                }),
            ))
        }
        ProbeCommand::Retry { config } => {
            let config = ProbeConfig::load(&config)?;
            let reporter = config.reporter()?;
            let spool = Spool::open(&config.spool, &reporter).await?;
            let n = spool.retry_rejected().await?;
            spool.close().await;
            Ok(Output::new(
                format!("{n} rejected report(s) queued for delivery again; start `sla probe run` to send them"),
                json!({ "requeued": n }),
            ))
        }
    }
}
