//! Reading signed reports out of request bodies, with the size limit and the media types the API
//! speaks; every failure is a problem+json error like any other.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use serde::Deserialize;
use sla_protocol::SignedReport;

use crate::problem::ApiError;

/// A signed report in JSON: the payload and the signature, both lowercase or uppercase hex.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSignedReport {
    pub payload: String,
    pub signature: String,
}

/// A batch of signed reports in JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonBatch {
    pub reports: Vec<JsonSignedReport>,
}

impl JsonSignedReport {
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

/// Reads the whole body, refusing with 413 as soon as it grows past `limit` (chunked too).
pub async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let too_large = std::error::Error::source(&err)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::BodyTooLarge { limit }
        } else {
            ApiError::Malformed {
                field: "body".into(),
                detail: format!("could not read the request body: {err}"),
            }
        }
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
    limit: usize,
) -> Result<SignedReport, ApiError> {
    let kind = media_type(headers).to_ascii_lowercase();
    match kind.as_str() {
        "application/json" => {
            parse_json::<JsonSignedReport>(&read_body(body, limit).await?)?.decode(None)
        }
        "application/octet-stream" => Ok(SignedReport::from_wire(&read_body(body, limit).await?)?),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// A batch of signed reports from a JSON body.
pub async fn read_batch(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<JsonSignedReport>, ApiError> {
    if !media_type(headers).eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(parse_json::<JsonBatch>(&read_body(body, limit).await?)?.reports)
}
