//! The report exchange's Prometheus metrics, per peer: reports fetched that this node lacked,
//! duplicates, refusals by reason, reports held back, the peer's lag, failed pulls.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::judge::Settled;

/// A peer.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerLabel {
    /// The peer's name in this node's configuration.
    pub peer: String,
}

/// A peer and a reason (a refused report's rule, a failed pull's kind).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerReasonLabels {
    /// The peer's name.
    pub peer: String,
    /// The rule a refused report broke (`bad-signature`, `equivocation`…) or why a pull failed
    /// (`unreachable`, `status`, `too-large`, `malformed`).
    pub reason: String,
}

/// The exchange's metrics; the oracle binary registers them in its registry.
#[derive(Debug, Clone, Default)]
pub struct ExchangeMetrics {
    /// Reports from a peer that this node lacked and stored.
    pub fetched: Family<PeerLabel, Counter>,
    /// Reports from a peer that this node had.
    pub duplicates: Family<PeerLabel, Counter>,
    /// Reports from a peer refused for good, by rule.
    pub rejected: Family<PeerReasonLabels, Counter>,
    /// Whether the peer's feed is stopped at a report held back (1) or not (0).
    pub held: Family<PeerLabel, Gauge>,
    /// Reports the peer had stored that this node has not judged yet (the peer's newest id minus
    /// the cursor).
    pub lag: Family<PeerLabel, Gauge>,
    /// Pulls that failed, by kind.
    pub failed_pulls: Family<PeerReasonLabels, Counter>,
}

impl ExchangeMetrics {
    /// Registers every metric as `exchange_*` (the oracle binary's registry prefixes `sla_`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "exchange_reports_fetched",
            "Reports from a peer that this node lacked and stored",
            self.fetched.clone(),
        );
        registry.register(
            "exchange_reports_duplicate",
            "Reports from a peer that this node had already",
            self.duplicates.clone(),
        );
        registry.register(
            "exchange_reports_rejected",
            "Reports from a peer refused for good, by the rule they broke",
            self.rejected.clone(),
        );
        registry.register(
            "exchange_peer_held",
            "1 while the peer's feed is stopped at a report held back for this node's lag",
            self.held.clone(),
        );
        registry.register(
            "exchange_peer_lag_reports",
            "Reports the peer has stored that this node has not judged yet",
            self.lag.clone(),
        );
        registry.register(
            "exchange_failed_pulls",
            "Pulls of a peer's feed that failed, by kind",
            self.failed_pulls.clone(),
        );
    }

    /// Counts a settled page of `peer`'s feed whose newest id was `last_id`.
    pub(super) fn record(&self, peer: &str, settled: &Settled, last_id: i64) {
        let label = PeerLabel {
            peer: peer.to_owned(),
        };
        self.fetched.get_or_create(&label).inc_by(settled.stored);
        self.duplicates
            .get_or_create(&label)
            .inc_by(settled.duplicates);
        for reason in &settled.rejected {
            self.rejected
                .get_or_create(&PeerReasonLabels {
                    peer: peer.to_owned(),
                    reason: (*reason).to_owned(),
                })
                .inc();
        }
        self.held
            .get_or_create(&label)
            .set(i64::from(settled.held.is_some()));
        self.lag
            .get_or_create(&label)
            .set(last_id.saturating_sub(settled.cursor).max(0));
    }

    /// Counts a failed pull of `peer`'s feed.
    pub(super) fn failed(&self, peer: &str, kind: &str) {
        self.failed_pulls
            .get_or_create(&PeerReasonLabels {
                peer: peer.to_owned(),
                reason: kind.to_owned(),
            })
            .inc();
    }
}
