//! `[[checks.http_content]]`: GET a URL whose body has a known SHA-256. The body is streamed
//! through the hash (never held whole) and cut off at `max_bytes`, so a huge or endless answer
//! costs the agent neither memory nor more than the timeout.
//!
//! Records: one `download` (bytes = body length, latency = request to last byte; success iff a
//! 2xx status and the expected hash) and, when a response head arrived, the gauge
//! `check.<name>.ttfb_us` (request to the response head).

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sla_protocol::{Operation, QosRecord};

use super::config::HttpContentConfig;
use super::{
    gauge, measured, short_hex, timed_out, transport_failure, ERR_HTTP_STATUS, ERR_MISMATCH,
    ERR_TOO_LARGE,
};

/// One configured content check.
#[derive(Debug)]
pub struct HttpContent {
    http: reqwest::Client,
    name: String,
    url: String,
    expected: [u8; 32],
    timeout: Duration,
    max_bytes: u64,
}

/// How the download ended: bytes received, and the failure if any.
struct Download {
    bytes: u64,
    failure: Option<(u16, String)>,
}

impl HttpContent {
    /// The check of `config` (validated: `sha256` is 64 hex digits).
    pub fn new(config: &HttpContentConfig, http: reqwest::Client) -> HttpContent {
        let mut expected = [0u8; 32];
        // Validated by `ChecksConfig::validate`; a bad digest would only fail every round.
        let _ = hex::decode_to_slice(&config.sha256, &mut expected);
        HttpContent {
            http,
            name: config.name.clone(),
            url: config.url.clone(),
            expected,
            timeout: config.timeout.0,
            max_bytes: config.max_bytes,
        }
    }

    /// One download; never fails, a failure is a failed record.
    pub async fn run(&self, ts: u64) -> Vec<QosRecord> {
        let started = Instant::now();
        let mut ttfb: Option<Duration> = None;
        let mut bytes = 0u64;
        let outcome =
            tokio::time::timeout(self.timeout, self.download(started, &mut ttfb, &mut bytes)).await;
        let download = outcome.unwrap_or_else(|_| Download {
            bytes,
            failure: Some(timed_out(self.timeout)),
        });
        let mut records = vec![measured(
            ts,
            Operation::Download,
            started.elapsed(),
            download.bytes,
            download.bytes,
            download.failure,
        )];
        if let Some(t) = ttfb {
            records.push(gauge(
                ts,
                format!("check.{}.ttfb_us", self.name),
                i64::from(super::micros(t)),
            ));
        }
        records
    }

    /// The request; `ttfb` and `bytes` are written as they become known, so a timeout still
    /// reports how far the download got.
    async fn download(
        &self,
        started: Instant,
        ttfb: &mut Option<Duration>,
        bytes: &mut u64,
    ) -> Download {
        let fail = |bytes: u64, failure: (u16, String)| Download {
            bytes,
            failure: Some(failure),
        };
        let mut response = match self.http.get(&self.url).send().await {
            Ok(r) => r,
            Err(e) => return fail(0, transport_failure(&e)),
        };
        *ttfb = Some(started.elapsed());
        let status = response.status();
        if !status.is_success() {
            // The body is not needed: dropping the response closes the connection.
            return fail(0, (ERR_HTTP_STATUS, format!("HTTP {status}")));
        }
        let max = self.max_bytes;
        if let Some(length) = response.content_length().filter(|n| *n > max) {
            let detail = format!("too large: Content-Length {length} exceeds max_bytes {max}");
            return fail(0, (ERR_TOO_LARGE, detail));
        }
        let mut hasher = Sha256::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    *bytes += chunk.len() as u64;
                    if *bytes > max {
                        let detail =
                            format!("too large: body exceeds max_bytes {max}, cut off at {bytes}");
                        return fail(*bytes, (ERR_TOO_LARGE, detail));
                    }
                    hasher.update(&chunk);
                }
                Ok(None) => break,
                Err(e) => return fail(*bytes, transport_failure(&e)),
            }
        }
        let got: [u8; 32] = hasher.finalize().into();
        if got != self.expected {
            return fail(
                *bytes,
                (
                    ERR_MISMATCH,
                    format!(
                        "sha-256 mismatch: body of {} bytes has {}…, expected {}…",
                        *bytes,
                        short_hex(&got),
                        short_hex(&self.expected)
                    ),
                ),
            );
        }
        Download {
            bytes: *bytes,
            failure: None,
        }
    }
}
