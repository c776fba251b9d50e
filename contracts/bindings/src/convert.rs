//! Every conversion between the contract's `sol!` types and the protocol crate's types, written
//! once: SLA terms (both ways), epoch results (both ways), penalty policies (both ways), the
//! court's fault flag, and
//! the deployment identity reports are bound to. Field for field; the contract's names are in
//! camelCase, the protocol's in snake_case.

use alloy::primitives::aliases::U96;
use sla_protocol::aggregate::{EpochConfig, EpochResult, SlaTerms};

use alloy::primitives::Address;
use sla_protocol::court::FlagEvidence;
use sla_protocol::policy::{GaugeName, MetricRule, Policy, Tier};

use crate::{DeploymentFile, ISlaCourt, ISlaOracle, ISlaPolicies};

impl From<&Policy> for ISlaPolicies::Policy {
    fn from(p: &Policy) -> Self {
        ISlaPolicies::Policy {
            tiers: p.tiers.map(|metric| {
                metric.map(|t| ISlaPolicies::Tier {
                    bound: t.bound,
                    sharePct: t.share_pct,
                })
            }),
            graceEpochs: p.grace_epochs,
            graceWindowEpochs: p.grace_window_epochs,
            maintenanceNoticeSecs: p.maintenance_notice_s,
            maintenanceAllowanceSecs: p.maintenance_allowance_s,
            rules: p.rules.map(|r| ISlaPolicies::MetricRule {
                gauge: r.gauge.0.into(),
                aggregation: r.aggregation,
                comparator: r.comparator,
                level: r.level,
                threshold: r.threshold,
                sharePct: r.share_pct,
            }),
        }
    }
}

impl From<&ISlaPolicies::Policy> for Policy {
    fn from(p: &ISlaPolicies::Policy) -> Self {
        Policy {
            tiers: p.tiers.clone().map(|metric| {
                metric.map(|t| Tier {
                    bound: t.bound,
                    share_pct: t.sharePct,
                })
            }),
            grace_epochs: p.graceEpochs,
            grace_window_epochs: p.graceWindowEpochs,
            maintenance_notice_s: p.maintenanceNoticeSecs,
            maintenance_allowance_s: p.maintenanceAllowanceSecs,
            rules: p.rules.clone().map(|r| MetricRule {
                gauge: GaugeName(r.gauge.0),
                aggregation: r.aggregation,
                comparator: r.comparator,
                level: r.level,
                threshold: r.threshold,
                share_pct: r.sharePct,
            }),
        }
    }
}

/// The court's `FaultFlag` against `provider` that `evidence` calls for.
pub fn fault_flag(provider: Address, evidence: &FlagEvidence) -> ISlaCourt::FaultFlag {
    ISlaCourt::FaultFlag {
        provider,
        fromEpoch: evidence.from_epoch,
        toEpoch: evidence.to_epoch,
        faultRateBps: evidence.fault_rate_bps,
        evidenceRoot: evidence.evidence_root.into(),
        dataUnitIds: evidence.data_units.clone(),
        faults: evidence.faults.clone(),
    }
}

impl From<&SlaTerms> for ISlaOracle::SlaTerms {
    /// The contract's struct. A penalty above `uint96` (which `SlaTerms::validate` refuses)
    /// saturates.
    fn from(t: &SlaTerms) -> Self {
        ISlaOracle::SlaTerms {
            maxReadLatencyUs: t.max_read_latency_us,
            maxWriteLatencyUs: t.max_write_latency_us,
            minUploadBps: t.min_upload_bps,
            minDownloadBps: t.min_download_bps,
            speedSizeBound: t.speed_size_bound,
            minUptimeBps: t.min_uptime_bps,
            uptimeWindow: t.uptime_window,
            maxErrorRateBps: t.max_error_rate_bps,
            reportingInterval: t.reporting_interval,
            penaltyPerEpoch: U96::saturating_from(t.penalty_per_epoch),
            weights: t.weights,
        }
    }
}

impl From<&ISlaOracle::SlaTerms> for SlaTerms {
    fn from(t: &ISlaOracle::SlaTerms) -> Self {
        SlaTerms {
            max_read_latency_us: t.maxReadLatencyUs,
            max_write_latency_us: t.maxWriteLatencyUs,
            min_upload_bps: t.minUploadBps,
            min_download_bps: t.minDownloadBps,
            speed_size_bound: t.speedSizeBound,
            min_uptime_bps: t.minUptimeBps,
            uptime_window: t.uptimeWindow,
            max_error_rate_bps: t.maxErrorRateBps,
            reporting_interval: t.reportingInterval,
            penalty_per_epoch: t.penaltyPerEpoch.to::<u128>(),
            weights: t.weights,
        }
    }
}

impl From<&EpochResult> for ISlaOracle::EpochResult {
    fn from(r: &EpochResult) -> Self {
        ISlaOracle::EpochResult {
            dataUnitId: r.data_unit_id,
            readLatencyUs: r.read_latency_us,
            writeLatencyUs: r.write_latency_us,
            uploadBps: r.upload_bps,
            downloadBps: r.download_bps,
            uptimeBps: r.uptime_bps,
            errorRateBps: r.error_rate_bps,
            operations: r.operations,
            violations: r.violations,
            flags: r.flags,
            reportsRoot: r.reports_root.into(),
        }
    }
}

impl From<&ISlaOracle::EpochResult> for EpochResult {
    fn from(r: &ISlaOracle::EpochResult) -> Self {
        EpochResult {
            data_unit_id: r.dataUnitId,
            read_latency_us: r.readLatencyUs,
            write_latency_us: r.writeLatencyUs,
            upload_bps: r.uploadBps,
            download_bps: r.downloadBps,
            uptime_bps: r.uptimeBps,
            error_rate_bps: r.errorRateBps,
            operations: r.operations,
            violations: r.violations,
            flags: r.flags,
            reports_root: r.reportsRoot.0,
        }
    }
}

impl DeploymentFile {
    /// The deployment reports are signed for and databases are bound to: chain id and contract.
    pub fn deployment(&self) -> sla_protocol::Deployment {
        sla_protocol::Deployment {
            chain_id: self.chain_id,
            contract: self.contract.into_array(),
        }
    }

    /// The epoch clock of the contract's immutables (`epoch_length` is never 0 in a file
    /// `sla-deploy` wrote; a hand-edited one with 0 is refused here).
    pub fn epochs(&self) -> Result<EpochConfig, sla_protocol::AggregateError> {
        EpochConfig::new(self.genesis_time, self.epoch_length)
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::B256;

    use super::*;

    fn terms() -> SlaTerms {
        SlaTerms {
            max_read_latency_us: 1,
            max_write_latency_us: 2,
            min_upload_bps: 3,
            min_download_bps: 4,
            speed_size_bound: 5,
            min_uptime_bps: 6,
            uptime_window: 7,
            max_error_rate_bps: 8,
            reporting_interval: 9,
            penalty_per_epoch: (1u128 << 96) - 1, // the conversion, not validation
            weights: [10, 11, 12, 13, 14, 15],
        }
    }

    #[test]
    fn terms_round_trip_field_for_field() {
        let sol = ISlaOracle::SlaTerms::from(&terms());
        assert_eq!(sol.penaltyPerEpoch, U96::MAX);
        assert_eq!(SlaTerms::from(&sol), terms());
    }

    #[test]
    fn results_round_trip_field_for_field() {
        let result = EpochResult {
            data_unit_id: u64::MAX,
            read_latency_us: 1,
            write_latency_us: 2,
            upload_bps: 3,
            download_bps: 4,
            uptime_bps: 5,
            error_rate_bps: 6,
            operations: 7,
            violations: 8,
            flags: 9,
            reports_root: [0xaa; 32],
        };
        let sol = ISlaOracle::EpochResult::from(&result);
        assert_eq!(sol.reportsRoot, B256::repeat_byte(0xaa));
        assert_eq!(EpochResult::from(&sol), result);
    }

    #[test]
    fn policies_round_trip_field_for_field() {
        let mut policy = Policy {
            grace_epochs: 2,
            grace_window_epochs: 7,
            maintenance_notice_s: 86_400,
            maintenance_allowance_s: u32::MAX, // the conversion, not validation
            ..Policy::default()
        };
        for (m, metric) in policy.tiers.iter_mut().enumerate() {
            for (i, tier) in metric.iter_mut().enumerate() {
                *tier = Tier {
                    bound: (m * 10 + i) as u64 + u64::MAX / 2,
                    share_pct: (m * 3 + i) as u8,
                };
            }
        }
        for (i, rule) in policy.rules.iter_mut().enumerate() {
            *rule = MetricRule {
                gauge: GaugeName::try_from(format!("gauge_{i}").as_str()).unwrap(),
                aggregation: 1 + i as u8,
                comparator: 2,
                level: -(i as i64) - 1,
                threshold: i64::MAX - i as i64,
                share_pct: 90 + i as u8,
            };
        }
        let sol = ISlaPolicies::Policy::from(&policy);
        assert_eq!(sol.rules[3].gauge.0[..7], *b"gauge_3");
        assert_eq!(sol.rules[3].level, -4);
        assert_eq!(sol.rules[2].aggregation, 3);
        assert_eq!(sol.rules[1].sharePct, 91);
        assert_eq!(sol.tiers[5][2].bound, 52 + u64::MAX / 2);
        assert_eq!(sol.tiers[5][2].sharePct, 17);
        assert_eq!(
            (sol.maintenanceNoticeSecs, sol.maintenanceAllowanceSecs),
            (86_400, u32::MAX)
        );
        assert_eq!(Policy::from(&sol), policy);
    }
}
