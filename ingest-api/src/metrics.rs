//! Prometheus metrics of one service instance (a registry per instance, no globals, so tests can
//! run many servers in one process).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of an HTTP request counted in `requests`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route template (e.g. `/v1/reports/{hash}`), or `unmatched`.
    pub route: String,
    /// The HTTP status code answered.
    pub status: u16,
}

/// Labels of a report refusal counted in `rejections`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    /// The problem's rule, e.g. `bad-signature`.
    pub rule: String,
}

/// Why a connection or request was refused for load.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// The cap or reason, e.g. `in-flight`, `queue`, `accept-error`.
    pub reason: String,
}

/// The service's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    /// HTTP requests answered, by route and status (`sla_ingest_http_requests_total`).
    pub requests: Family<RequestLabels, Counter>,
    /// Reports refused, by rule (`sla_ingest_report_rejections_total`).
    pub rejections: Family<RuleLabels, Counter>,
    /// Reports newly stored (`sla_ingest_reports_accepted_total`).
    pub reports_accepted: Counter,
    /// Exact resends answered with the original acknowledgement
    /// (`sla_ingest_reports_duplicate_total`).
    pub reports_duplicate: Counter,
    /// Duration of each group-commit transaction, seconds (`sla_ingest_commit_seconds`).
    pub commit_seconds: Histogram,
    /// Reports judged by each group-commit transaction (`sla_ingest_commit_batch_reports`).
    pub commit_batch_reports: Histogram,
    /// Group-commit transactions that failed, storing nothing
    /// (`sla_ingest_commit_failures_total`).
    pub commit_failures: Counter,
    /// Connections closed at once because a cap was reached, by cap (`server`, `address`) or
    /// `accept-error`.
    pub connections_refused: Family<ReasonLabels, Counter>,
    /// Requests refused for load, by reason (`in-flight`, `address`, `queue`, `body-rate`,
    /// `timeout`).
    pub requests_shed: Family<ReasonLabels, Counter>,
    /// When each reason was last logged, and how many since: shedding is logged at most once per
    /// [`SHED_LOG_EVERY`] per reason, never once per request.
    shed_log: Mutex<HashMap<&'static str, (Option<Instant>, u64)>>,
}

/// How often a reason for shedding load is logged at most.
pub const SHED_LOG_EVERY: Duration = Duration::from_secs(10);

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
        let connections_refused = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "connections_refused",
            "Connections closed at once because a connection cap was reached",
            connections_refused.clone(),
        );
        let requests_shed = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "requests_shed",
            "Requests refused for load (503) or cut for a slow body (408), by reason",
            requests_shed.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            connections_refused,
            requests_shed,
            shed_log: Mutex::default(),
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
    /// Counts a report refused under `rule`.
    pub fn reject(&self, rule: &str) {
        self.rejections
            .get_or_create(&RuleLabels {
                rule: rule.to_owned(),
            })
            .inc();
    }

    /// Counts a connection refused at the door.
    pub fn connection_refused(&self, reason: &'static str) {
        self.connections_refused
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
        self.log_shed("connection", reason);
    }

    /// Counts a request shed for load.
    pub fn shed(&self, reason: &'static str) {
        self.requests_shed
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
        self.log_shed("request", reason);
    }

    /// Logs a shedding reason at most once per [`SHED_LOG_EVERY`], with how many since.
    fn log_shed(&self, what: &'static str, reason: &'static str) {
        let now = Instant::now();
        let mut log = self
            .shed_log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = log.entry(reason).or_insert((None, 0));
        entry.1 += 1;
        if entry
            .0
            .is_none_or(|last| now.duration_since(last) >= SHED_LOG_EVERY)
        {
            tracing::warn!(
                reason,
                count = entry.1,
                "shedding load: {what}s refused since the last such line"
            );
            *entry = (Some(now), 0);
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().expect("metrics registry lock");
        encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}
