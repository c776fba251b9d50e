//! Prometheus metrics of one service instance (a registry per instance, no globals, so tests can
//! run many servers in one process).

use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    pub rule: String,
}

/// The service's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<RequestLabels, Counter>,
    pub rejections: Family<RuleLabels, Counter>,
    pub reports_accepted: Counter,
    pub reports_duplicate: Counter,
    pub commit_seconds: Histogram,
    pub commit_batch_reports: Histogram,
    pub commit_failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("sla_ingest");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let rejections = Family::<RuleLabels, Counter>::default();
        registry.register(
            "report_rejections",
            "Reports refused, by rule",
            rejections.clone(),
        );
        let reports_accepted = Counter::default();
        registry.register(
            "reports_accepted",
            "Reports newly stored",
            reports_accepted.clone(),
        );
        let reports_duplicate = Counter::default();
        registry.register(
            "reports_duplicate",
            "Exact resends answered with the original acknowledgement",
            reports_duplicate.clone(),
        );
        let commit_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register(
            "commit_seconds",
            "Latency of one group-commit transaction",
            commit_seconds.clone(),
        );
        let commit_batch_reports = Histogram::new(exponential_buckets(1.0, 2.0, 13));
        registry.register(
            "commit_batch_reports",
            "Reports judged per group-commit transaction",
            commit_batch_reports.clone(),
        );
        let commit_failures = Counter::default();
        registry.register(
            "commit_failures",
            "Group-commit transactions that failed (nothing stored)",
            commit_failures.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            rejections,
            reports_accepted,
            reports_duplicate,
            commit_seconds,
            commit_batch_reports,
            commit_failures,
        }
    }
}

impl Metrics {
    pub fn reject(&self, rule: &str) {
        self.rejections
            .get_or_create(&RuleLabels {
                rule: rule.to_owned(),
            })
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().expect("metrics registry lock");
        encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}
