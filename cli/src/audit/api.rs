//! The public read API of the ingest API, as the auditor uses it: a data unit's reports by time
//! (paginated), the reports stored too late to count, and Merkle proofs of a roll-up's reports.

use std::collections::BTreeSet;

use alloy::transports::http::reqwest::Url;
use anyhow::{anyhow, Context};
use serde::Deserialize;
use sla_protocol::aggregate::EpochSummary;
use sla_protocol::MerkleProof;

/// Reports per page (the API's maximum).
const PAGE: u32 = 1_000;

/// One served report: the signed bytes and the metadata the API stored next to them.
#[derive(Debug, Clone, Deserialize)]
pub struct ServedReport {
    /// Arrival order (the pagination cursor).
    pub id: i64,
    /// The hash the API stored for the report (hex).
    pub hash: String,
    /// The payload as received (hex).
    pub payload: String,
    /// The signature as received (hex).
    pub signature: String,
}

#[derive(Debug, Deserialize)]
struct Page {
    reports: Vec<ServedReport>,
    next: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Uncounted {
    uncounted: Vec<UncountedItem>,
}

#[derive(Debug, Deserialize)]
struct UncountedItem {
    report_id: i64,
    epoch: u64,
}

#[derive(Debug, Deserialize)]
struct ProofAnswer {
    proof: MerkleProof,
}

/// A client of one API base URL.
#[derive(Debug, Clone)]
pub struct Api {
    base: Url,
    http: reqwest::Client,
}

impl Api {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`), 30 s per request.
    pub fn new(base: Url) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        Ok(Api { base, http })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> anyhow::Result<Option<T>> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(anyhow!("GET {url}: {status} {body}"));
        }
        Ok(Some(response.json().await.with_context(|| {
            format!("GET {url}: unexpected answer")
        })?))
    }

    /// Every report of `data_unit` whose period overlaps `[from_ms, to_ms)`, all pages.
    pub async fn reports(
        &self,
        data_unit: u64,
        from_ms: u64,
        to_ms: u64,
    ) -> anyhow::Result<Vec<ServedReport>> {
        let mut out = Vec::new();
        let mut after = 0i64;
        loop {
            let url = self.url(&format!(
                "/v1/data-units/{data_unit}/reports?from_ms={from_ms}&to_ms={to_ms}&after={after}&limit={PAGE}"
            ));
            let page: Page = self
                .get(&url)
                .await?
                .ok_or_else(|| anyhow!("GET {url}: 404"))?;
            out.extend(page.reports);
            match page.next {
                Some(next) if next > after => after = next,
                _ => return Ok(out),
            }
        }
    }

    /// `(report id, epoch)` of the reports the API says were stored after that epoch closed.
    pub async fn uncounted(&self, data_unit: u64) -> anyhow::Result<BTreeSet<(i64, u64)>> {
        let url = self.url(&format!("/v1/data-units/{data_unit}/uncounted"));
        let answer: Option<Uncounted> = self.get(&url).await?;
        Ok(answer
            .map(|a| {
                a.uncounted
                    .into_iter()
                    .map(|u| (u.report_id, u.epoch))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The Merkle proof the API serves for `hash` in the roll-up of (`data_unit`, `epoch`);
    /// `None` when it serves none.
    pub async fn proof(
        &self,
        data_unit: u64,
        epoch: u64,
        hash: &str,
    ) -> anyhow::Result<Option<MerkleProof>> {
        let url = self.url(&format!(
            "/v1/data-units/{data_unit}/epochs/{epoch}/proofs/{hash}"
        ));
        Ok(self.get::<ProofAnswer>(&url).await?.map(|a| a.proof))
    }

    /// The summary the API serves for (`data_unit`, `epoch`): its canonical encoding (hex) and
    /// its JSON; `None` when it serves no roll-up of that epoch.
    pub async fn served_summary(
        &self,
        data_unit: u64,
        epoch: u64,
    ) -> anyhow::Result<Option<(String, EpochSummary)>> {
        let url = self.url(&format!(
            "/v1/data-units/{data_unit}/rollups?from_epoch={epoch}&to_epoch={epoch}"
        ));
        let answer: Option<Rollups> = self.get(&url).await?;
        Ok(answer
            .and_then(|a| a.rollups.into_iter().find(|r| r.epoch == epoch))
            .map(|r| (r.summary_encoding, r.summary)))
    }
}

#[derive(Debug, Deserialize)]
struct Rollups {
    rollups: Vec<ServedRollup>,
}

#[derive(Debug, Deserialize)]
struct ServedRollup {
    epoch: u64,
    summary_encoding: String,
    summary: EpochSummary,
}
