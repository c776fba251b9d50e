//! Checks: simulated workloads beyond storage, each checked for speed and integrity — a download
//! against a known SHA-256 (`http_content.rs`), a JSON-RPC node against a reference
//! (`json_rpc.rs`), a compute job with a known answer (`compute.rs`).
//!
//! A check never errors: whatever fails becomes a failed record with one of the `ERR_*` codes
//! below and a short detail, so an outage is measured, not lost. All checks of a round run
//! concurrently, each bounded by its own timeout. Records and codes: `docs/cli.md`, "Checks".

pub mod compute;
pub mod config;
pub mod http_content;
pub mod json_rpc;

use std::sync::Arc;
use std::time::Duration;

use sla_protocol::{Operation, QosRecord};

pub use config::ChecksConfig;

use super::endpoint::{bound_detail, TransportKind};

/// Could not connect (refused, unreachable, DNS failure, TLS handshake).
pub const ERR_CONNECT: u16 = 1;
/// The server answered with an HTTP status the check does not accept.
pub const ERR_HTTP_STATUS: u16 = 2;
/// The answer is well formed but wrong: a body's SHA-256, a compute digest.
pub const ERR_MISMATCH: u16 = 3;
/// The body is longer than the check's `max_bytes`.
pub const ERR_TOO_LARGE: u16 = 4;
/// No complete answer within the check's timeout.
pub const ERR_TIMEOUT: u16 = 5;
/// The connection failed after it was made (reset, closed early, malformed HTTP).
pub const ERR_TRANSPORT: u16 = 6;
/// The answer does not follow the protocol (not JSON-RPC 2.0, no `result`, no `digest`).
pub const ERR_BAD_ANSWER: u16 = 7;
/// The JSON-RPC node answered with an `error` object.
pub const ERR_RPC_ERROR: u16 = 8;
/// The node is more than `max_lag_blocks` behind its reference.
pub const ERR_LAG: u16 = 9;

/// One configured check.
#[derive(Debug)]
enum Check {
    HttpContent(http_content::HttpContent),
    JsonRpc(json_rpc::JsonRpc),
    Compute(compute::Compute),
}

impl Check {
    async fn run(&self, now_ms: u64) -> Vec<QosRecord> {
        match self {
            Check::HttpContent(c) => c.run(now_ms).await,
            Check::JsonRpc(c) => c.run(now_ms).await,
            Check::Compute(c) => c.run(now_ms).await,
        }
    }
}

/// The configured set of checks.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    checks: Arc<[Check]>,
}

impl Checks {
    /// The checks of `config` (validated by `ChecksConfig::validate`); fails only if an HTTP
    /// client cannot be built.
    pub fn new(config: &ChecksConfig) -> anyhow::Result<Checks> {
        // No idle connections are kept: every round measures a fresh connection, as a client
        // arriving for the first time would, so rounds stay comparable.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()?;
        let checks = config
            .http_content
            .iter()
            .map(|c| Check::HttpContent(http_content::HttpContent::new(c, http.clone())))
            .chain(
                config
                    .json_rpc
                    .iter()
                    .map(|c| Check::JsonRpc(json_rpc::JsonRpc::new(c, http.clone()))),
            )
            .chain(
                config
                    .compute
                    .iter()
                    .map(|c| Check::Compute(compute::Compute::new(c, http.clone()))),
            )
            .collect();
        Ok(Checks { checks })
    }

    /// How many checks there are.
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    /// Whether there is no check to run.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Runs every check concurrently and returns their records, in configuration order.
    /// `now_ms` is the round's start (the records' timestamp).
    pub async fn sample(&self, now_ms: u64) -> Vec<QosRecord> {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..self.checks.len() {
            let checks = self.checks.clone();
            // Spawned, so that a slow check never delays another's timing.
            tasks.spawn(async move { (i, checks[i].run(now_ms).await) });
        }
        let mut done: Vec<(usize, Vec<QosRecord>)> = Vec::with_capacity(self.checks.len());
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => done.push(result),
                // A check panicking is a bug; it must not stop the other checks or the agent.
                Err(e) => tracing::error!(error = %e, "a check panicked"),
            }
        }
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().flat_map(|(_, records)| records).collect()
    }
}

/// Elapsed time in µs, saturating at the format's `u32`.
fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// A measured operation that took `latency`: successful when `failure` is `None`.
fn measured(
    ts: u64,
    operation: Operation,
    latency: Duration,
    bytes: u64,
    object_size: u64,
    failure: Option<(u16, String)>,
) -> QosRecord {
    let latency_us = micros(latency);
    let throughput_bps = ((u128::from(bytes) * 1_000_000) / u128::from(latency_us.max(1)))
        .min(u128::from(u64::MAX)) as u64;
    let (success, error_code, error_detail) = match failure {
        None => (true, 0, String::new()),
        Some((code, detail)) => (false, code, bound_detail(&detail)),
    };
    QosRecord {
        timestamp_ms: ts,
        operation,
        latency_us,
        bytes,
        throughput_bps,
        object_size,
        success,
        error_code,
        error_detail,
    }
}

/// A gauge sample: a successful custom record named `name` with `value` in the name's unit.
fn gauge(ts: u64, name: String, value: i64) -> QosRecord {
    QosRecord::success(ts, Operation::Custom { name, value }, 0, 0)
}

/// A gauge that could not be sampled (counts for the gauge's fault rate only).
fn gauge_failed(ts: u64, name: String, code: u16, detail: &str) -> QosRecord {
    QosRecord::failure(
        ts,
        Operation::Custom { name, value: 0 },
        0,
        code,
        bound_detail(detail),
    )
}

/// The code and detail of a failed HTTP exchange, in the checks' codes.
fn transport_failure(error: &reqwest::Error) -> (u16, String) {
    let (kind, detail) = super::endpoint::transport_error(error);
    let code = match kind {
        TransportKind::Timeout => ERR_TIMEOUT,
        TransportKind::Connect => ERR_CONNECT,
        TransportKind::Other => ERR_TRANSPORT,
    };
    (code, detail)
}

/// The failure of a check that did not finish within `timeout`.
fn timed_out(timeout: Duration) -> (u16, String) {
    (
        ERR_TIMEOUT,
        format!("timeout: no complete answer within {timeout:?}"),
    )
}

/// The first 16 hex digits of a digest, enough to tell two apart in a detail.
fn short_hex(digest: &[u8]) -> String {
    let mut s = hex::encode(digest);
    s.truncate(16);
    s
}
