//! The committee's Prometheus metrics: rounds this node led and how they ended, proposals it
//! signed and refused (by reason), follower signatures it discarded, connections its endpoint
//! refused. The report exchange's metrics (peers' lag, reports fetched) are `exchange_*`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// An outcome or a reason.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// `transmitted`, `short` (too few signatures), `stale-config`; or a refusal's reason.
    pub reason: String,
}

/// The committee's metrics; the oracle binary registers them in its registry.
#[derive(Debug, Clone, Default)]
pub struct CommitteeMetrics {
    /// Attempts this node led, by outcome.
    pub rounds_led: Family<ReasonLabel, Counter>,
    /// Proposals this node signed as a follower.
    pub proposals_signed: Counter,
    /// Proposals this node refused as a follower, by reason.
    pub proposals_refused: Family<ReasonLabel, Counter>,
    /// Follower answers this node discarded as a leader, by reason (`bad-signature`,
    /// `not-a-signer`, `unreachable`, `malformed`).
    pub answers_discarded: Family<ReasonLabel, Counter>,
    /// Connections to the committee endpoint closed unserved, by reason (`server` or `address`:
    /// a cap; `accept-error`).
    pub connections_refused: Family<ReasonLabel, Counter>,
}

impl CommitteeMetrics {
    /// Registers every metric as `committee_*` (the oracle binary's registry prefixes `sla_`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "committee_rounds_led",
            "Round attempts this node led, by outcome",
            self.rounds_led.clone(),
        );
        registry.register(
            "committee_proposals_signed",
            "Proposals this node checked and signed as a follower",
            self.proposals_signed.clone(),
        );
        registry.register(
            "committee_proposals_refused",
            "Proposals this node refused as a follower, by reason",
            self.proposals_refused.clone(),
        );
        registry.register(
            "committee_answers_discarded",
            "Follower answers this node discarded as a leader, by reason",
            self.answers_discarded.clone(),
        );
        registry.register(
            "committee_connections_refused",
            "Connections to the committee endpoint closed unserved, by reason",
            self.connections_refused.clone(),
        );
    }

    pub(super) fn led(&self, outcome: &str) {
        self.rounds_led
            .get_or_create(&ReasonLabel {
                reason: outcome.to_owned(),
            })
            .inc();
    }

    pub(super) fn refused(&self, reason: &str) {
        self.proposals_refused
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub(super) fn connection_refused(&self, reason: &str) {
        self.connections_refused
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub(super) fn discarded(&self, reason: &str) {
        self.answers_discarded
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }
}
