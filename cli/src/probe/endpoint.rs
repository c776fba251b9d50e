//! Measuring the probed endpoint (a storage service) over HTTP: PUT, GET and DELETE of objects of known content, timed
//! to the last byte, with the content read back checked against the SHA-256 of what was written.
//!
//! Error codes of failed records (`QosRecord::error_code`): the HTTP status for a non-2xx answer,
//! else one of the `ERR_*` codes below.

use std::future::Future;
use std::time::{Duration, Instant};

use rand::RngCore;
use sha2::{Digest, Sha256};
use sla_protocol::record::MAX_ERROR_DETAIL_LEN;
use sla_protocol::{Operation, QosRecord};

use super::config::StorageConfig;
use super::now_ms;

/// Could not connect (refused, unreachable, DNS failure, TLS handshake).
pub const ERR_CONNECT: u16 = 1000;
/// The operation did not finish within `storage.timeout`.
pub const ERR_TIMEOUT: u16 = 1001;
/// The connection failed after it was made (reset, closed early, malformed HTTP).
pub const ERR_TRANSPORT: u16 = 1002;
/// A read or download returned other bytes than were written (SHA-256 or length differ).
pub const ERR_INTEGRITY: u16 = 1003;

/// The storage endpoint and the objects a round writes.
#[derive(Debug, Clone)]
pub struct Prober {
    http: reqwest::Client,
    base: reqwest::Url,
    auth: Option<(String, Option<String>)>,
    small: u64,
    sizes: Vec<u64>,
    prefix: String,
    data_unit: u64,
}

/// Where a round's records go, one at a time, as soon as each is measured.
pub trait RecordSink: Send {
    /// Takes one measured record; an error stops the round.
    fn put(&mut self, record: QosRecord) -> impl Future<Output = anyhow::Result<()>> + Send;
}

impl RecordSink for Vec<QosRecord> {
    async fn put(&mut self, record: QosRecord) -> anyhow::Result<()> {
        self.push(record);
        Ok(())
    }
}

/// How one operation ended.
enum Outcome {
    Ok {
        bytes: u64,
    },
    Failed {
        bytes: u64,
        code: u16,
        detail: String,
    },
}

impl Prober {
    /// A prober of the storage endpoint `s` of data unit `data_unit`; fails if the URL does not
    /// parse or `password_env` names an unset variable.
    pub fn new(s: &StorageConfig, data_unit: u64) -> anyhow::Result<Prober> {
        let http = reqwest::Client::builder()
            .timeout(s.timeout.0)
            .connect_timeout(s.timeout.0.min(Duration::from_secs(10)))
            .build()?;
        let password = match &s.password_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                anyhow::anyhow!("storage.password_env: environment variable {var} is not set")
            })?),
            None => None,
        };
        Ok(Prober {
            http,
            base: reqwest::Url::parse(&s.url)?,
            auth: s.username.clone().map(|u| (u, password)),
            small: s.small_object_bytes,
            sizes: s.upload_sizes.clone(),
            prefix: s.object_prefix.clone(),
            data_unit,
        })
    }

    /// One round: for the small object write, read, delete; for each upload size upload, download,
    /// delete. Each record goes to `sink` as soon as it is measured. A read, download or delete is
    /// only attempted when its object was written, so one failure is not counted several times.
    pub async fn round<S: RecordSink>(&self, sink: &mut S) -> anyhow::Result<()> {
        let tag = format!(
            "{}{}-{}-{:08x}",
            self.prefix,
            self.data_unit,
            now_ms(),
            rand::random::<u32>()
        );
        let objects = std::iter::once((self.small, Operation::Write, Operation::Read)).chain(
            self.sizes
                .iter()
                .map(|s| (*s, Operation::Upload, Operation::Download)),
        );
        for (i, (size, put_op, get_op)) in objects.enumerate() {
            let url = self.base.join(&format!("{tag}-{i}-{size}"))?;
            let mut data = vec![0u8; size as usize];
            rand::thread_rng().fill_bytes(&mut data);
            let expected: [u8; 32] = Sha256::digest(&data).into();
            let written = self.put(&url, data, put_op).await;
            let ok = written.success;
            sink.put(written).await?;
            if ok {
                sink.put(self.get(&url, &expected, size, get_op).await)
                    .await?;
                sink.put(self.delete(&url, size).await).await?;
            }
        }
        Ok(())
    }

    fn request(&self, method: reqwest::Method, url: &reqwest::Url) -> reqwest::RequestBuilder {
        let request = self.http.request(method, url.clone());
        match &self.auth {
            Some((user, password)) => request.basic_auth(user, password.as_ref()),
            None => request,
        }
    }

    async fn put(&self, url: &reqwest::Url, data: Vec<u8>, op: Operation) -> QosRecord {
        let size = data.len() as u64;
        let ts = now_ms();
        let started = Instant::now();
        let result = self
            .request(reqwest::Method::PUT, url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(data)
            .send()
            .await;
        let outcome = match result {
            Ok(response) if response.status().is_success() => match response.bytes().await {
                Ok(_) => Outcome::Ok { bytes: size },
                Err(e) => transport_failure(&e, 0),
            },
            Ok(response) => http_failure("PUT", response).await,
            Err(e) => transport_failure(&e, 0),
        };
        record(ts, op, started, size, outcome)
    }

    async fn get(
        &self,
        url: &reqwest::Url,
        expected: &[u8; 32],
        size: u64,
        op: Operation,
    ) -> QosRecord {
        let ts = now_ms();
        let started = Instant::now();
        let outcome = match self.request(reqwest::Method::GET, url).send().await {
            Ok(response) if response.status().is_success() => match response.bytes().await {
                Ok(body) => {
                    let got: [u8; 32] = Sha256::digest(&body).into();
                    if &got == expected && body.len() as u64 == size {
                        Outcome::Ok {
                            bytes: body.len() as u64,
                        }
                    } else {
                        Outcome::Failed {
                            bytes: body.len() as u64,
                            code: ERR_INTEGRITY,
                            detail: format!(
                                "integrity: read back {} bytes with sha-256 {}, wrote {size} bytes with sha-256 {}",
                                body.len(),
                                hex::encode(got),
                                hex::encode(expected)
                            ),
                        }
                    }
                }
                Err(e) => transport_failure(&e, 0),
            },
            Ok(response) => http_failure("GET", response).await,
            Err(e) => transport_failure(&e, 0),
        };
        record(ts, op, started, size, outcome)
    }

    async fn delete(&self, url: &reqwest::Url, size: u64) -> QosRecord {
        let ts = now_ms();
        let started = Instant::now();
        let outcome = match self.request(reqwest::Method::DELETE, url).send().await {
            Ok(response) if response.status().is_success() => match response.bytes().await {
                Ok(_) => Outcome::Ok { bytes: 0 },
                Err(e) => transport_failure(&e, 0),
            },
            Ok(response) => http_failure("DELETE", response).await,
            Err(e) => transport_failure(&e, 0),
        };
        record(ts, Operation::Delete, started, size, outcome)
    }
}

fn record(ts: u64, op: Operation, started: Instant, size: u64, outcome: Outcome) -> QosRecord {
    let latency_us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    let (bytes, success, error_code, error_detail) = match outcome {
        Outcome::Ok { bytes } => (bytes, true, 0, String::new()),
        Outcome::Failed {
            bytes,
            code,
            detail,
        } => (bytes, false, code, bound_detail(&detail)),
    };
    let throughput_bps = ((u128::from(bytes) * 1_000_000) / u128::from(latency_us.max(1)))
        .min(u128::from(u64::MAX)) as u64;
    QosRecord {
        timestamp_ms: ts,
        operation: op,
        latency_us,
        bytes,
        throughput_bps,
        object_size: size,
        success,
        error_code,
        error_detail,
    }
}

async fn http_failure(method: &str, response: reqwest::Response) -> Outcome {
    let status = response.status();
    // Drain the body so the connection can be reused; its content is not needed.
    let _ = response.bytes().await;
    Outcome::Failed {
        bytes: 0,
        code: status.as_u16(),
        detail: format!("{method}: HTTP {status}"),
    }
}

fn transport_failure(error: &reqwest::Error, bytes: u64) -> Outcome {
    let (code, detail) = describe_error(error);
    Outcome::Failed {
        bytes,
        code,
        detail,
    }
}

/// What kind of failure a request without an HTTP answer had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportKind {
    /// It took too long.
    Timeout,
    /// No connection could be made.
    Connect,
    /// The connection broke (or anything else below HTTP).
    Other,
}

/// The kind and detail of a request that failed without an HTTP answer; the storage probe, the
/// gauge sources and the checks each map the kind to their own codes.
pub(crate) fn transport_error(error: &reqwest::Error) -> (TransportKind, String) {
    let (kind, label) = if error.is_timeout() {
        (TransportKind::Timeout, "timeout")
    } else if error.is_connect() {
        (TransportKind::Connect, "connect")
    } else {
        (TransportKind::Other, "transport")
    };
    // Innermost cause first: it says what happened ("Connection refused"); the outer layers
    // (with the long URL) come after, and the bound cuts them rather than the cause.
    let mut chain = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    chain.reverse();
    chain.dedup();
    (kind, format!("{label}: {}", chain.join("; ")))
}

/// The error code and detail of a request that failed without an HTTP answer (also used by the
/// gauge sources).
pub(crate) fn describe_error(error: &reqwest::Error) -> (u16, String) {
    let (kind, detail) = transport_error(error);
    let code = match kind {
        TransportKind::Timeout => ERR_TIMEOUT,
        TransportKind::Connect => ERR_CONNECT,
        TransportKind::Other => ERR_TRANSPORT,
    };
    (code, detail)
}

/// Cuts `detail` to the format's 255 bytes, on a character boundary.
pub fn bound_detail(detail: &str) -> String {
    if detail.len() <= MAX_ERROR_DETAIL_LEN {
        return detail.to_owned();
    }
    let mut end = MAX_ERROR_DETAIL_LEN;
    while !detail.is_char_boundary(end) {
        end -= 1;
    }
    detail[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_bounded_on_char_boundaries() {
        let long = "é".repeat(200);
        let bounded = bound_detail(&long);
        assert!(bounded.len() <= MAX_ERROR_DETAIL_LEN);
        assert!(long.starts_with(&bounded));
        assert_eq!(bound_detail("short"), "short");
    }
}
