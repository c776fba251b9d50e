//! One page of a peer's feed of reports (`GET /v1/reports?after=&limit=`, docs/ingest-api.md),
//! read within a size bound and checked for shape; the reports in it are judged by the caller.

use serde::Deserialize;
use sla_protocol::SignedReport;

/// A report as the feed serves it: the peer's arrival id, when the peer says it arrived, and
/// the signed bytes. The other fields of the feed (hash, data unit, role…) are the peer's word
/// and are not used: everything is derived again from the signed bytes.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct ServedReport {
    pub id: i64,
    pub payload: String,
    pub signature: String,
    pub received_at_ms: u64,
}

impl ServedReport {
    /// The signed report, or why its encoding is not one.
    pub(super) fn signed(&self) -> Result<SignedReport, &'static str> {
        match (hex::decode(&self.payload), hex::decode(&self.signature)) {
            (Ok(payload), Ok(signature)) => Ok(SignedReport { payload, signature }),
            _ => Err("encoding"),
        }
    }
}

/// A page of the feed.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct FeedPage {
    pub reports: Vec<ServedReport>,
    /// The cursor of the next page, when this one was full.
    pub next: Option<i64>,
    /// The newest id the peer had stored when it answered.
    pub last_id: i64,
}

/// Why a page could not be read. The cursor stays where it was; the page is asked for again.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The peer could not be reached or did not answer in time.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The peer answered with an error status.
    #[error("answered HTTP {0}")]
    Status(u16),
    /// The answer is larger than the bound.
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
    /// The answer is not a feed page, or its ids are not increasing past the cursor.
    #[error("malformed page: {0}")]
    Malformed(String),
}

impl FeedError {
    /// The metric label of the error.
    pub fn kind(&self) -> &'static str {
        match self {
            FeedError::Unreachable(_) => "unreachable",
            FeedError::Status(_) => "status",
            FeedError::TooLarge(_) => "too-large",
            FeedError::Malformed(_) => "malformed",
        }
    }
}

/// Reads the page after `after` from the feed at `base` (the peer's ingest API), at most `limit`
/// reports and `max_bytes` bytes.
pub(super) async fn fetch(
    client: &reqwest::Client,
    base: &reqwest::Url,
    after: i64,
    limit: u32,
    max_bytes: usize,
) -> Result<FeedPage, FeedError> {
    let mut url = base
        .join("v1/reports")
        .map_err(|e| FeedError::Malformed(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("after", &after.to_string())
        .append_pair("limit", &limit.to_string());
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| FeedError::Unreachable(e.to_string()))?;
    if !response.status().is_success() {
        return Err(FeedError::Status(response.status().as_u16()));
    }
    // Read chunk by chunk within the bound: a peer cannot make this node buffer without limit.
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FeedError::Unreachable(e.to_string()))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(FeedError::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    let page: FeedPage =
        serde_json::from_slice(&body).map_err(|e| FeedError::Malformed(e.to_string()))?;
    check_order(&page, after, limit)?;
    Ok(page)
}

/// The feed's promise: ids strictly increasing, all past the cursor, at most `limit`. A page
/// that breaks it could make the cursor skip reports or go round in circles.
fn check_order(page: &FeedPage, after: i64, limit: u32) -> Result<(), FeedError> {
    if page.reports.len() > limit as usize {
        return Err(FeedError::Malformed(format!(
            "{} reports, asked for at most {limit}",
            page.reports.len()
        )));
    }
    let mut previous = after;
    for report in &page.reports {
        if report.id <= previous {
            return Err(FeedError::Malformed(format!(
                "report id {} does not follow {previous}",
                report.id
            )));
        }
        previous = report.id;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[i64]) -> FeedPage {
        FeedPage {
            reports: ids
                .iter()
                .map(|&id| ServedReport {
                    id,
                    payload: String::new(),
                    signature: String::new(),
                    received_at_ms: 0,
                })
                .collect(),
            next: None,
            last_id: ids.last().copied().unwrap_or(0),
        }
    }

    #[test]
    fn ids_must_increase_past_the_cursor() {
        assert!(check_order(&page(&[4, 5, 9]), 3, 10).is_ok());
        assert!(check_order(&page(&[3]), 3, 10).is_err());
        assert!(check_order(&page(&[4, 4]), 3, 10).is_err());
        assert!(check_order(&page(&[5, 4]), 3, 10).is_err());
        assert!(check_order(&page(&[4, 5, 6]), 3, 2).is_err());
    }

    #[test]
    fn a_payload_that_is_not_hex_is_an_encoding_error() {
        let served = ServedReport {
            id: 1,
            payload: "zz".into(),
            signature: "00".into(),
            received_at_ms: 0,
        };
        assert_eq!(served.signed().unwrap_err(), "encoding");
    }
}
