//! Reading signed reports out of request bodies, with the size limit, the minimum rate and the
//! media types the API speaks; every failure is a problem+json error like any other.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde::Deserialize;
use sla_protocol::SignedReport;
use tokio::time::Instant;

use crate::problem::ApiError;

/// How a body must arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest body, bytes (larger bodies get 413, also when sent chunked).
    pub max_bytes: usize,
    /// After `grace`, the body must keep arriving at this many bytes per second on average, or
    /// the request is cut with 408: a client sending one byte a second cannot hold a slot.
    pub min_rate: u64,
    /// How long a body may take before the rate counts.
    pub grace: Duration,
}

/// A signed report in JSON: the payload and the signature, both lowercase or uppercase hex.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonSignedReport {
    /// The signed v1 report bytes, hex (an optional leading `0x`).
    pub payload: String,
    /// The 64-byte ed25519 signature over the report, hex (an optional leading `0x`).
    pub signature: String,
}

/// A batch of signed reports in JSON.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonBatch {
    /// The reports, in the order their outcomes are returned.
    pub reports: Vec<JsonSignedReport>,
}

impl JsonSignedReport {
    /// The payload and signature as bytes, or `Malformed` naming the field that is not hex;
    /// `index` is the report's place in a batch (`None` for a single report) and prefixes the
    /// field, e.g. `reports[3].signature`.
    pub fn decode(self, index: Option<usize>) -> Result<SignedReport, ApiError> {
        let at = |field: &str| match index {
            Some(i) => format!("reports[{i}].{field}"),
            None => field.to_owned(),
        };
        // const-hex decodes with SIMD (the `hex` crate's decoding was ~5 % of the server's CPU in
        // the batch benchmark); it strips one leading "0x" itself.
        let hex = |value: &str, field: &str| {
            const_hex::decode(value).map_err(|e| ApiError::Malformed {
                field: at(field),
                detail: format!("`{}` is not valid hex: {e}", at(field)),
            })
        };
        Ok(SignedReport {
            payload: hex(&self.payload, "payload")?,
            signature: hex(&self.signature, "signature")?,
        })
    }
}

/// Reads the whole body, refusing with 413 as soon as it grows past the limit (chunked too) and
/// with 408 as soon as it falls behind the minimum rate: after `grace`, each next piece must
/// arrive by the time `received / min_rate` seconds have passed.
pub async fn read_body(mut body: Body, limits: &BodyLimits) -> Result<Bytes, ApiError> {
    let start = Instant::now();
    let mut pieces: Vec<Bytes> = Vec::new();
    let mut received = 0usize;
    loop {
        let earned = Duration::from_secs_f64(received as f64 / limits.min_rate.max(1) as f64);
        let deadline = start + limits.grace + earned;
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(ApiError::SlowBody {
                    min_rate: limits.min_rate,
                    grace_ms: limits.grace.as_millis() as u64,
                })
            }
            Ok(None) => break,
            Ok(Some(Err(err))) => {
                return Err(ApiError::Malformed {
                    field: "body".into(),
                    detail: format!("could not read the request body: {err}"),
                })
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing the API reads
        };
        received += data.len();
        if received > limits.max_bytes {
            return Err(ApiError::BodyTooLarge {
                limit: limits.max_bytes,
            });
        }
        pieces.push(data);
    }
    // One piece (the common case) is passed on without a copy.
    Ok(match pieces.len() {
        0 => Bytes::new(),
        1 => pieces.pop().expect("one piece"),
        _ => pieces.concat().into(),
    })
}

fn media_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or("")
}

/// Parses JSON into `T`, naming the path of the offending field.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::Malformed {
        field: "body".into(),
        detail: format!("body is not the expected JSON: {e}"),
    })
}

/// One signed report from a body: JSON `{payload, signature}` or octet-stream `payload ‖ signature`.
pub async fn read_signed_report(
    headers: &HeaderMap,
    body: Body,
    limits: &BodyLimits,
) -> Result<SignedReport, ApiError> {
    let kind = media_type(headers).to_ascii_lowercase();
    match kind.as_str() {
        "application/json" => {
            parse_json::<JsonSignedReport>(&read_body(body, limits).await?)?.decode(None)
        }
        "application/octet-stream" => Ok(SignedReport::from_wire(&read_body(body, limits).await?)?),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// A batch of signed reports from a JSON body.
pub async fn read_batch(
    headers: &HeaderMap,
    body: Body,
    limits: &BodyLimits,
) -> Result<Vec<JsonSignedReport>, ApiError> {
    if !media_type(headers).eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(parse_json::<JsonBatch>(&read_body(body, limits).await?)?.reports)
}
