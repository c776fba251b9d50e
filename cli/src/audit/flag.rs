//! `sla court audit`: re-derives a court case's fault flag (docs/court.md, "Flags") from the
//! reports the public API serves. For every data unit of the flagged provider and every flagged
//! epoch, the epoch summary is recomputed from the served reports with every check of `sla audit`
//! (signatures, keys, late reports left out); each epoch with a report counted gives a row of
//! both views' checks and faults and the reports root, and `sla_protocol::court::flag_evidence`
//! over the rows gives the rate, the data units, their faults and the evidence root the signers
//! should have signed.

use alloy::primitives::{Address, B256};
use sla_protocol::court::{flag_evidence, EpochFaults, FlagEvidence, MIN_FLAG_CHECKS};

use super::api::Api;
use super::{Auditor, FieldMismatch, ReportFailure};
use crate::chain::Chain;

/// Most data units of one provider the audit walks (their ids are probed one by one).
const MAX_DATA_UNITS: u64 = 100_000;

/// The audit of one case's flag.
#[derive(Debug, Clone)]
pub struct FlagAudit {
    /// The case.
    pub case: u64,
    /// The flagged provider.
    pub provider: Address,
    /// The flagged epochs.
    pub epochs: (u64, u64),
    /// The court's threshold.
    pub threshold_bps: u16,
    /// The rows recomputed (data unit, epoch with counted reports).
    pub rows: usize,
    /// Checks over all rows.
    pub checks: u64,
    /// What the served reports give (`None`: fewer than the minimum of checks).
    pub expected: Option<FlagEvidence>,
    /// Reports that failed a check (not used).
    pub report_failures: Vec<ReportFailure>,
    /// Fields of the flag on chain that differ from the recomputed ones.
    pub mismatches: Vec<FieldMismatch>,
}

impl FlagAudit {
    /// Whether the flag is exactly what the served reports give, and they support a flag.
    pub fn is_match(&self) -> bool {
        self.mismatches.is_empty() && self.report_failures.is_empty()
    }
}

fn mismatch(field: &'static str, expected: String, on_chain: String) -> FieldMismatch {
    FieldMismatch {
        field,
        expected,
        on_chain,
    }
}

/// Audits the flag of `case`.
pub async fn audit_case(
    chain: &Chain,
    api: &Api,
    case: u64,
    max_window_epochs: u64,
) -> anyhow::Result<FlagAudit> {
    let court = chain.court()?;
    let flag = chain.court_flag(case).await?;
    let threshold_bps = chain
        .view("courtConfig", court.courtConfig())
        .await?
        .faultThresholdBps;
    let (from, to) = (flag.fromEpoch, flag.toEpoch);
    let provider_id = chain
        .view("providerInfo", chain.contract.providerInfo(flag.provider))
        .await?
        .providerId;

    let mut rows = Vec::new();
    let mut report_failures = Vec::new();
    for n in 1..=MAX_DATA_UNITS {
        let unit = (u64::from(provider_id) << 32) | n;
        let info = chain
            .view("getAllocation", chain.contract.getAllocation(unit))
            .await?;
        if info.status == 0 {
            break; // ids are dense from 1: the provider has no more
        }
        let mut auditor = Auditor::new(chain.clone(), api.clone(), unit, max_window_epochs).await?;
        for epoch in from..=to {
            let recomputed = auditor.recompute(epoch).await?;
            report_failures.extend(recomputed.failures);
            if !recomputed.used.is_empty() {
                rows.push(EpochFaults::of(&recomputed.summary));
            }
        }
    }
    let checks: u64 = rows.iter().map(|r| r.checks).sum();
    let faults: u64 = rows.iter().map(|r| r.faults.min(r.checks)).sum();
    // Threshold 0: the evidence as the reports give it, judged against the threshold below.
    let expected = flag_evidence(&rows, from, to, 0);
    let mut mismatches = Vec::new();
    match &expected {
        None => mismatches.push(mismatch(
            "faultRateBps",
            format!(
                "no flag: {faults} faults in {checks} checks (a flag needs at least \
                 {MIN_FLAG_CHECKS} checks and a rate above {threshold_bps} bps)"
            ),
            flag.faultRateBps.to_string(),
        )),
        Some(e) => {
            if e.fault_rate_bps <= threshold_bps {
                mismatches.push(mismatch(
                    "faultRateBps",
                    format!(
                        "{} (not above the threshold {threshold_bps})",
                        e.fault_rate_bps
                    ),
                    flag.faultRateBps.to_string(),
                ));
            } else if e.fault_rate_bps != flag.faultRateBps {
                mismatches.push(mismatch(
                    "faultRateBps",
                    e.fault_rate_bps.to_string(),
                    flag.faultRateBps.to_string(),
                ));
            }
            if e.data_units != flag.dataUnitIds {
                mismatches.push(mismatch(
                    "dataUnitIds",
                    format!("{:?}", e.data_units),
                    format!("{:?}", flag.dataUnitIds),
                ));
            }
            if e.faults != flag.faults {
                mismatches.push(mismatch(
                    "faults",
                    format!("{:?}", e.faults),
                    format!("{:?}", flag.faults),
                ));
            }
            if B256::from(e.evidence_root) != flag.evidenceRoot {
                mismatches.push(mismatch(
                    "evidenceRoot",
                    B256::from(e.evidence_root).to_string(),
                    flag.evidenceRoot.to_string(),
                ));
            }
        }
    }
    Ok(FlagAudit {
        case,
        provider: flag.provider,
        epochs: (from, to),
        threshold_bps,
        rows: rows.len(),
        checks,
        expected,
        report_failures,
        mismatches,
    })
}
