//! Service configuration, from flags or environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Configuration of the ingest API. Every flag can also be set by the environment variable
/// named beside it.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "sla-ingest-api",
    version,
    about = "Verifies, stores and serves signed QoS reports"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "SLA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Database URL: `sqlite:PATH` (created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:sla-oracle.sqlite")]
    pub database_url: String,

    /// Deployment file written by `sla-deploy` (chain id and contract address). Overrides
    /// `--chain-id` and `--contract` when given.
    #[arg(long, env = "SLA_DEPLOYMENT")]
    pub deployment: Option<PathBuf>,

    /// Chain id that reports must be signed for.
    #[arg(long, env = "SLA_CHAIN_ID", default_value_t = 31337)]
    pub chain_id: u64,

    /// SLA contract address (0x…) that reports must be signed for.
    #[arg(
        long,
        env = "SLA_CONTRACT",
        default_value = "0x0000000000000000000000000000000000000000"
    )]
    pub contract: String,

    /// Epoch length in seconds (for rolling windows in the read API), when no deployment file
    /// is given.
    #[arg(long, env = "SLA_EPOCH_LENGTH")]
    pub epoch_length: Option<u32>,

    /// Start of epoch 0, Unix seconds, with `--epoch-length`.
    #[arg(long, env = "SLA_GENESIS_TIME", default_value_t = 0)]
    pub genesis_time: u64,

    /// Largest request body, bytes (larger bodies get 413, also when sent chunked).
    #[arg(long, env = "SLA_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Most records one report may hold.
    #[arg(long, env = "SLA_MAX_RECORDS_PER_REPORT", default_value_t = 10_000)]
    pub max_records_per_report: usize,

    /// Most reports in one batch request.
    #[arg(long, env = "SLA_MAX_BATCH_REPORTS", default_value_t = 1_000)]
    pub max_batch_reports: usize,

    /// Requests served at once; more are refused at once with 503 (load shedding), except that
    /// once full a reserve of a quarter more is shared equally between client addresses, so that
    /// light clients are served while heavy ones flood. Health, readiness and metrics are
    /// answered outside this cap.
    #[arg(long, env = "SLA_MAX_IN_FLIGHT", default_value_t = 256)]
    pub max_in_flight: usize,

    /// Requests served at once for one client address; more from it get 503 (0: no per-address
    /// share). Behind a proxy every client has the proxy's address: set it to 0 there and let
    /// the proxy limit clients.
    #[arg(long, env = "SLA_MAX_IN_FLIGHT_PER_IP", default_value_t = 256)]
    pub max_in_flight_per_ip: usize,

    /// Open connections at once; a connection over the cap gets a 503 and is closed.
    #[arg(long, env = "SLA_MAX_CONNECTIONS", default_value_t = 8_192)]
    pub max_connections: usize,

    /// Open connections at once from one client address (the same caveat behind a proxy).
    #[arg(long, env = "SLA_MAX_CONNECTIONS_PER_IP", default_value_t = 1_024)]
    pub max_connections_per_ip: usize,

    /// Longest wait for a request's headers, milliseconds, from the moment a connection is idle
    /// (opened, or after a response): closes connections that never finish their headers and
    /// kept-alive connections left idle.
    #[arg(long, env = "SLA_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,

    /// Slowest a request body may arrive after `--body-grace-ms`, bytes per second (then 408).
    #[arg(long, env = "SLA_MIN_BODY_RATE", default_value_t = 1_024)]
    pub min_body_rate: u64,

    /// How long a body may take before `--min-body-rate` applies, milliseconds.
    #[arg(long, env = "SLA_BODY_GRACE_MS", default_value_t = 2_000)]
    pub body_grace_ms: u64,

    /// Longest time a request may take, including reading its body, milliseconds (then 408).
    #[arg(long, env = "SLA_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,

    /// How far past the server's clock a report period may end, milliseconds.
    #[arg(long, env = "SLA_MAX_FUTURE_SKEW_MS", default_value_t = 60_000)]
    pub max_future_skew_ms: u64,

    /// Most reports written by one group-commit transaction.
    #[arg(long, env = "SLA_COMMIT_MAX_REPORTS", default_value_t = 2_048)]
    pub commit_max_reports: usize,

    /// Reports waiting for a commit before new ones are refused with 503.
    #[arg(long, env = "SLA_COMMIT_QUEUE", default_value_t = 16_384)]
    pub commit_queue: usize,

    /// Where the dashboard's pages are served (`/` redirects there); `off` serves none. Its JSON
    /// (`/v1/overview`, `/v1/providers/…`, `/v1/data-units/{id}`, the exports) is always served.
    #[arg(long, env = "SLA_DASHBOARD_PATH", default_value = "/dashboard")]
    pub dashboard_path: String,

    /// This API's public base URL (e.g. `https://sla.example.org`), shown in the dashboard's
    /// `sla audit` command; empty: a placeholder is shown.
    #[arg(long, env = "SLA_PUBLIC_URL", default_value = "")]
    pub public_url: String,

    /// Let alert subscriptions send to loopback, private and link-local addresses (refused by
    /// default, against SSRF); for tests and closed networks only.
    #[arg(long, env = "SLA_SUBSCRIPTIONS_ALLOW_PRIVATE_TARGETS")]
    pub subscriptions_allow_private_targets: bool,

    /// Most alert subscriptions held in all, whoever asks (accounts cost nothing to make, and
    /// each subscription is work for the alerting process at every alert).
    #[arg(long, env = "SLA_SUBSCRIPTIONS_MAX_TOTAL", default_value_t = 10_000)]
    pub subscriptions_max_total: u32,
}

impl Config {
    /// The dashboard's base path, `None` when it is switched off; a malformed path is an error
    /// naming the rule.
    pub fn dashboard_base(&self) -> Result<Option<String>, String> {
        let p = self.dashboard_path.trim();
        if p == "off" {
            return Ok(None);
        }
        let p = p.trim_end_matches('/');
        let valid = p.starts_with('/')
            && p.len() > 1
            && p[1..].split('/').all(|seg| {
                !seg.is_empty()
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            && !p.starts_with("/v1")
            && !["/healthz", "/readyz", "/metrics"].contains(&p);
        if !valid {
            return Err(format!(
                "--dashboard-path {p:?} must be `off` or a path such as /dashboard (segments of \
                 letters, digits, - and _; not under /v1 nor an operations route)"
            ));
        }
        Ok(Some(p.to_owned()))
    }

    /// `request_timeout_ms` as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}
