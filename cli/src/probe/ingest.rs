//! The ingest API as the agent sees it (`docs/ingest-api.md`): post a report, ask where a
//! reporter's chain stands, ask whether a report is stored.

use std::time::Duration;

use serde_json::{json, Value};
use sla_protocol::{ReportHash, SignedReport};

use sla_protocol::acceptance::ReportChainHead;

/// What became of one POST.
#[derive(Debug, Clone)]
pub enum PostOutcome {
    /// `201` stored, or `200` an exact resend of a stored report.
    Accepted(Value),
    /// A 4xx other than timeout/too-many-requests: the report as sent will never be accepted.
    Rejected {
        /// The HTTP status code.
        status: u16,
        /// The problem+json body (the body as a JSON string if it is not JSON).
        problem: Value,
    },
    /// Network error, timeout, `408`, `429` or `5xx`: try again later.
    Retry(String),
}

/// A client of one ingest API.
#[derive(Debug, Clone)]
pub struct IngestClient {
    http: reqwest::Client,
    base: reqwest::Url,
}

impl IngestClient {
    /// A client of the API at `base`, with `timeout` for connecting and for each whole request.
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<IngestClient> {
        Ok(IngestClient {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .build()?,
            base: reqwest::Url::parse(base)?,
        })
    }

    fn url(&self, path: &str) -> reqwest::Url {
        self.base.join(path).expect("paths are valid")
    }

    /// `POST /v1/reports` as JSON.
    pub async fn post(&self, signed: &SignedReport) -> PostOutcome {
        let body = json!({
            "payload": hex::encode(&signed.payload),
            "signature": hex::encode(&signed.signature),
        });
        let response = match self
            .http
            .post(self.url("/v1/reports"))
            .json(&body)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return PostOutcome::Retry(error_chain(&e)),
        };
        let status = response.status().as_u16();
        let body: Value = match response.bytes().await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) => return PostOutcome::Retry(error_chain(&e)),
        };
        match status {
            200 | 201 => PostOutcome::Accepted(body),
            408 | 429 => PostOutcome::Retry(format!("HTTP {status}: {}", problem_text(&body))),
            400..=499 => PostOutcome::Rejected {
                status,
                problem: body,
            },
            _ => PostOutcome::Retry(format!("HTTP {status}: {}", problem_text(&body))),
        }
    }

    /// `GET /v1/reporters/{key}/data-units/{id}`: the server's chain head for this reporter, or
    /// `None` when it has no report of it. `Err` is transient (network, 5xx).
    pub async fn reporter_head(
        &self,
        key: &[u8; 32],
        data_unit: u64,
    ) -> Result<Option<ReportChainHead>, String> {
        let url = self.url(&format!(
            "/v1/reporters/{}/data-units/{data_unit}",
            hex::encode(key)
        ));
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        match response.status().as_u16() {
            404 => Ok(None),
            200 => {
                let body: Value = response.json().await.map_err(|e| error_chain(&e))?;
                let sequence = body["last_sequence"].as_u64();
                let hash = body["last_hash"].as_str().and_then(ReportHash::from_hex);
                let end = body["last_period_end_ms"].as_u64();
                match (sequence, hash, end) {
                    (Some(sequence), Some(hash), Some(period_end_ms)) => {
                        Ok(Some(ReportChainHead {
                            sequence,
                            hash,
                            period_end_ms,
                        }))
                    }
                    _ => Err(format!("unexpected reporter status: {body}")),
                }
            }
            status => Err(format!("reporter status: HTTP {status}")),
        }
    }

    /// `GET /v1/reports/{hash}`: whether the server stores this report.
    pub async fn has_report(&self, hash: &ReportHash) -> Result<bool, String> {
        let url = self.url(&format!("/v1/reports/{}", hash.to_hex()));
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        match response.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(format!("report lookup: HTTP {status}")),
        }
    }
}

/// `rule: detail` of a problem+json body, or the body itself.
pub fn problem_text(body: &Value) -> String {
    match (body["rule"].as_str(), body["detail"].as_str()) {
        (Some(rule), Some(detail)) => format!("{rule}: {detail}"),
        (Some(rule), None) => rule.to_owned(),
        _ => body.to_string(),
    }
}

fn error_chain(error: &reqwest::Error) -> String {
    let mut out = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
