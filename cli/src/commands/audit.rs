//! `sla audit`: recompute on-chain results from the public API's reports and compare.

use anyhow::bail;
use serde_json::{json, Value};

use crate::args::{AuditArgs, ChainArgs};
use crate::audit::api::Api;
use crate::audit::{Auditor, EpochAudit, SignerAudit};
use crate::chain::Chain;
use crate::output::Output;

/// Most epochs one invocation audits.
const MAX_EPOCHS: u64 = 10_000;

pub(super) async fn run(args: AuditArgs, chain_args: &ChainArgs) -> anyhow::Result<Output> {
    let last = args.to_epoch.unwrap_or(args.epoch);
    if last < args.epoch {
        bail!("--to-epoch {last} is before --epoch {}", args.epoch);
    }
    if last - args.epoch >= MAX_EPOCHS {
        bail!("at most {MAX_EPOCHS} epochs per audit");
    }
    let mut chain = Chain::connect(chain_args).await?;
    chain.pin().await?;
    let api = Api::new(args.api.clone())?;
    let mut auditor = Auditor::new(chain, api, args.data_unit, args.max_window_epochs).await?;
    let mut audits = Vec::new();
    for epoch in args.epoch..=last {
        audits.push(auditor.audit(epoch).await?);
    }
    let all_match = audits.iter().all(EpochAudit::is_match);
    let human = audits
        .iter()
        .map(|a| human(args.data_unit, a))
        .collect::<Vec<_>>()
        .join("\n");
    let json = json!({
        "data_unit": args.data_unit,
        "match": all_match,
        "epochs": audits.iter().map(epoch_json).collect::<Vec<_>>(),
    });
    Ok(Output::new(human, json).with_exit_code(if all_match { 0 } else { 1 }))
}

fn human(data_unit: u64, a: &EpochAudit) -> String {
    let head = format!("data unit {data_unit}, epoch {}", a.epoch);
    if a.is_quiet() {
        return format!(
            "{head}: quiet (no report counts for it and no result on chain: nothing to enforce; \
             {} served, {} stored too late)",
            a.served,
            a.not_counted.len()
        );
    }
    if a.is_match() {
        return format!(
            "{head}: match ({} reports used of {} served, root {}{})",
            a.used,
            a.served,
            hex::encode(a.expected.reports_root),
            a.signers.as_ref().map(signed_words).unwrap_or_default()
        );
    }
    let mut lines = vec![format!("{head}: MISMATCH")];
    if a.on_chain.is_none() {
        lines.push(format!(
            "  no result on chain for this epoch (none in the submitted batches); recomputed from {} reports: {}",
            a.used,
            serde_json::to_string(&a.expected).unwrap_or_default()
        ));
    }
    for f in &a.report_failures {
        lines.push(format!(
            "  report {}: {} check failed: {}",
            f.report, f.check, f.detail
        ));
    }
    if let Some((chain, served)) = &a.root_mismatch {
        lines.push(format!(
            "  reports withheld or changed: on-chain root {chain}, root of the served reports {served} ({} reports used)",
            a.used
        ));
    }
    if let Some(m) = &a.summary_mismatch {
        lines.push(format!("  {m}"));
    }
    for m in &a.field_mismatches {
        lines.push(format!(
            "  {}: expected {}, on chain {}",
            m.field, m.expected, m.on_chain
        ));
    }
    for p in a.signers.iter().flat_map(|s| &s.problems) {
        lines.push(format!("  signatures: {p}"));
    }
    lines.join("\n")
}

/// `; signed by 0x…, 0x… (2 of config version 1's 3, quorum 2)`, or for a relayed batch the
/// version alone.
fn signed_words(s: &SignerAudit) -> String {
    let of_set = s.set.as_ref().map_or(String::new(), |set| {
        format!("'s {}, quorum {}", set.signers.len(), set.quorum)
    });
    match &s.signed_by {
        Some(signers) => format!(
            "; signed by {} ({} of config version {}{of_set})",
            signers
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            signers.len(),
            s.config_version
        ),
        None => format!(
            "; relayed batch under config version {}{of_set}: its signatures are not in the transaction's input",
            s.config_version
        ),
    }
}

fn epoch_json(a: &EpochAudit) -> Value {
    let status = if a.is_quiet() {
        "quiet"
    } else if a.is_match() {
        "match"
    } else if a.on_chain.is_none() {
        "no_result"
    } else {
        "mismatch"
    };
    let on_chain = a.on_chain.map(|applied| {
        let r = applied.result;
        json!({
            "data_unit_id": r.data_unit_id,
            "read_latency_us": r.read_latency_us,
            "write_latency_us": r.write_latency_us,
            "upload_bps": r.upload_bps,
            "download_bps": r.download_bps,
            "uptime_bps": r.uptime_bps,
            "error_rate_bps": r.error_rate_bps,
            "operations": r.operations,
            "violations": r.violations,
            "flags": r.flags,
            "reports_root": hex::encode(r.reports_root),
        })
    });
    json!({
        "epoch": a.epoch,
        "status": status,
        "match": a.is_match(),
        "on_chain": on_chain,
        "expected": a.expected,
        "expected_full_flags": a.full_flags,
        "reports": {
            "served": a.served,
            "used": a.used,
            "not_counted": a.not_counted,
        },
        "uptime_window": { "first_epoch": a.window.0, "last_epoch": a.window.1 },
        "report_failures": a.report_failures,
        "reports_root_mismatch": a.root_mismatch.map(|(chain, served)| json!({
            "on_chain": hex::encode(chain),
            "served": hex::encode(served),
        })),
        "field_mismatches": a.field_mismatches,
        "summary_mismatch": a.summary_mismatch,
        "signers": a.signers.as_ref().map(|s| json!({
            "tx_hash": s.tx_hash.to_string(),
            "config_version": s.config_version,
            "signer_set": s.set.as_ref().map(|set| json!({
                "signers": set.signers.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                "quorum": set.quorum,
            })),
            "signed_by": s.signed_by.as_ref().map(|v| v.iter().map(|a| a.to_string()).collect::<Vec<_>>()),
            "problems": s.problems,
        })),
    })
}
