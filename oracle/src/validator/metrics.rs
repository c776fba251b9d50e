//! The validator role's Prometheus metrics: flags raised, votes committed and revealed, cases
//! decided, and passes that failed.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

use super::StepReport;

/// The validator role's metrics; the oracle binary registers them in its registry.
#[derive(Debug, Clone, Default)]
pub struct ValidatorMetrics {
    /// Providers flagged by this role.
    pub flags: Counter,
    /// Votes committed by this role.
    pub commits: Counter,
    /// Votes revealed by this role.
    pub reveals: Counter,
    /// Cases decided by this role's transaction.
    pub decisions: Counter,
    /// Passes that failed (retried with backoff).
    pub failed_passes: Counter,
}

impl ValidatorMetrics {
    /// Registers every metric as `court_*` (the oracle binary's registry prefixes `sla_`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "court_flags",
            "Providers flagged by this validator role",
            self.flags.clone(),
        );
        registry.register(
            "court_commits",
            "Votes committed by this validator role",
            self.commits.clone(),
        );
        registry.register(
            "court_reveals",
            "Votes revealed by this validator role",
            self.reveals.clone(),
        );
        registry.register(
            "court_decisions",
            "Cases decided by this validator role",
            self.decisions.clone(),
        );
        registry.register(
            "court_failed_passes",
            "Validator role passes that failed and were retried",
            self.failed_passes.clone(),
        );
    }

    /// Counts what a pass did.
    pub fn record(&self, report: &StepReport) {
        self.flags.inc_by(report.flagged.len() as u64);
        self.commits.inc_by(report.committed.len() as u64);
        self.reveals.inc_by(report.revealed.len() as u64);
        self.decisions.inc_by(report.decided.len() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;
    use sla_protocol::court::Verdict;

    #[test]
    fn a_pass_is_counted_in_the_registered_metrics() {
        let metrics = ValidatorMetrics::default();
        let mut registry = Registry::with_prefix("sla");
        metrics.register(&mut registry);
        metrics.record(&StepReport {
            committed: vec![(1, Verdict::Slash), (2, Verdict::NoAction)],
            revealed: vec![(3, Verdict::Suspend)],
            decided: vec![4],
            flagged: vec![Address::ZERO],
            failed: vec![],
        });
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for line in [
            "sla_court_flags_total 1",
            "sla_court_commits_total 2",
            "sla_court_reveals_total 1",
            "sla_court_decisions_total 1",
            "sla_court_failed_passes_total 0",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }
}
