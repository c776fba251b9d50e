//! Report exchange between the nodes of a committee (docs/committee.md, "Report exchange").
//!
//! Each node follows every peer's public feed of reports (`GET /v1/reports?after=&limit=`) with a
//! cursor per peer, stored in its database. Every served report is checked here as if a reporter
//! had posted it: the signature for this deployment (strictly, with the protocol's code), the
//! ingest API's size limit, then the group commit with the protocol's acceptance rules against
//! this node's mirror of the chain. What this node lacked is stored (with this node's arrival
//! time); what it had is a duplicate; what it refuses is counted against the peer, by rule. A
//! peer therefore gains nothing by serving a forged or broken report, and a report posted to any
//! one node reaches all.
//!
//! The cursor moves only after the page's reports are committed (a crash reads the page again:
//! duplicates), and stops before a report held back for this node's lag (`judge.rs`). Each peer
//! is pulled by a task of its own with a timeout, so a slow or partitioned peer never delays the
//! others.

mod feed;
mod judge;
mod metrics;

use std::time::Duration;

use sla_protocol::acceptance::{plan_batch, Clock};
use sla_protocol::{check_reporter_key, Deployment, VerifiedReport};
use sla_storage::{Database, PeerStore, ReportStore};

pub use feed::FeedError;
use judge::Verdict;
pub use metrics::ExchangeMetrics;

/// A peer: a name (for cursors, metrics and logs) and the base URL of its ingest API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The name this node knows it by.
    pub name: String,
    /// The base URL of its public API, e.g. `http://10.0.0.2:8080/`.
    pub url: reqwest::Url,
}

impl std::str::FromStr for Peer {
    type Err = String;

    /// `NAME=URL`, the name of `[a-z0-9_-]` (at most 32), the URL http or https.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, url) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not NAME=URL"))?;
        if name.is_empty()
            || name.len() > 32
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "peer name `{name}` must be 1 to 32 of a-z, 0-9, - and _"
            ));
        }
        let mut url: reqwest::Url = url
            .parse()
            .map_err(|e| format!("peer `{name}`: `{url}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("peer `{name}`: the URL must be http or https"));
        }
        // A base URL: joined with `v1/reports`, so it must end in `/`.
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        Ok(Peer {
            name: name.to_owned(),
            url,
        })
    }
}

/// How the exchange pulls.
#[derive(Debug, Clone)]
pub struct ExchangeConfig {
    /// The deployment reports must be signed for.
    pub deployment: Deployment,
    /// Time between two pulls of a peer that had nothing new.
    pub poll: Duration,
    /// Reports asked for per page.
    pub page: u32,
    /// Largest page answer read, bytes.
    pub max_page_bytes: usize,
    /// Longest a pull may take before the peer counts as unreachable.
    pub timeout: Duration,
    /// Longest a report refused for this node's possible lag holds the cursor, ms.
    pub hold_ms: u64,
    /// How far past this node's clock a report's period may end, ms (as the ingest API's).
    pub max_future_skew_ms: u64,
    /// Most records a report may hold (as the ingest API's).
    pub max_records_per_report: usize,
    /// How far before this node's clock a peer may say a report arrived, ms
    /// ([`arrival`]); the aggregator waits as long before it closes an epoch.
    pub arrival_allowance_ms: u64,
}

/// When a report a peer served counts as arrived here: when the peer says it arrived, but no
/// earlier than `allowance_ms` before `now_ms` and no later than `now_ms`.
///
/// Honest nodes thus agree on when a report arrived (the first node's clock), however many hops
/// it took, as long as it spread within the allowance; and a node that lies can move a report's
/// arrival back by at most the allowance (docs/committee.md, "When a report arrived").
pub fn arrival(claimed_ms: u64, now_ms: u64, allowance_ms: u64) -> u64 {
    claimed_ms
        .min(now_ms)
        .max(now_ms.saturating_sub(allowance_ms))
}

/// What one pull of a peer did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PullStats {
    /// Reports in the page.
    pub served: usize,
    /// Reports stored.
    pub stored: u64,
    /// Reports refused for good.
    pub rejected: u64,
    /// Whether the peer had more after this page (pull again at once).
    pub more: bool,
}

/// Why a pull failed; nothing moved, the next pull asks again.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The peer's feed could not be read.
    #[error("peer feed: {0}")]
    Feed(#[from] FeedError),
    /// This node's database failed.
    #[error("storage: {0}")]
    Storage(#[from] sla_storage::StorageError),
}

/// Follows one peer's feed.
#[derive(Debug)]
pub struct PeerPuller {
    peer: Peer,
    config: ExchangeConfig,
    client: reqwest::Client,
    reports: ReportStore,
    cursors: PeerStore,
    metrics: ExchangeMetrics,
    /// The report holding the cursor, and since when (Unix ms).
    held: Option<(i64, u64)>,
}

impl PeerPuller {
    /// A puller of `peer` storing into `db`.
    pub fn new(
        peer: Peer,
        config: ExchangeConfig,
        db: &Database,
        metrics: ExchangeMetrics,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()?;
        Ok(PeerPuller {
            peer,
            config,
            client,
            reports: db.reports(),
            cursors: db.peers(),
            metrics,
            held: None,
        })
    }

    /// The peer it follows.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// Reads the next page of the peer's feed, judges and stores its reports, moves the cursor.
    pub async fn pull_once(&mut self, now_ms: u64) -> Result<PullStats, ExchangeError> {
        let name = self.peer.name.clone();
        let after = self.cursors.cursor(&name).await?.map_or(0, |c| c.after_id);
        // A page too large to read is asked for again in halves, down to one report.
        let mut limit = self.config.page;
        let page = loop {
            match feed::fetch(
                &self.client,
                &self.peer.url,
                after,
                limit,
                self.config.max_page_bytes,
            )
            .await
            {
                Err(FeedError::TooLarge(_)) if limit > 1 => limit /= 2,
                other => break other?,
            }
        };
        let verdicts = self.judge(&page.reports, now_ms).await?;
        let hold = match verdicts.iter().find(|(_, v)| matches!(v, Verdict::Held(_))) {
            None => {
                self.held = None;
                true
            }
            Some(&(id, _)) => match self.held {
                Some((held_id, since)) if held_id == id => {
                    now_ms.saturating_sub(since) < self.config.hold_ms
                }
                _ => {
                    self.held = Some((id, now_ms));
                    true
                }
            },
        };
        let settled = judge::settle(after, &verdicts, hold);
        if let Some((id, reason)) = settled.held {
            tracing::debug!(peer = %name, id, reason, "report held back; judged again at the next pull");
        }
        if !hold {
            self.held = None;
        }
        for reason in &settled.rejected {
            tracing::warn!(peer = %name, reason, "refused a report the peer served");
        }
        self.cursors
            .advance(
                &name,
                settled.cursor,
                settled.stored,
                settled.rejected.len() as u64,
                now_ms,
            )
            .await?;
        self.metrics.record(&name, &settled, page.last_id);
        Ok(PullStats {
            served: page.reports.len(),
            stored: settled.stored,
            rejected: settled.rejected.len() as u64,
            more: page.next.is_some() && settled.held.is_none(),
        })
    }

    /// Each served report's verdict, in feed order: decoded, verified, limited, then the group
    /// commit for those still standing.
    async fn judge(
        &self,
        served: &[feed::ServedReport],
        now_ms: u64,
    ) -> Result<Vec<(i64, Verdict)>, ExchangeError> {
        // `None` until judged: every report gets its verdict below.
        let mut verdicts: Vec<(i64, Option<Verdict>)> = Vec::with_capacity(served.len());
        let mut signed = Vec::new();
        let mut signed_at = Vec::new();
        for (i, report) in served.iter().enumerate() {
            match report.signed() {
                Ok(s) => {
                    signed.push(s);
                    signed_at.push(i);
                    verdicts.push((report.id, None));
                }
                Err(reason) => verdicts.push((report.id, Some(Verdict::Rejected(reason)))),
            }
        }
        let checked =
            sla_protocol::verify_batch(signed, &self.config.deployment, check_reporter_key);
        let mut batch: Vec<VerifiedReport> = Vec::with_capacity(checked.len());
        let mut arrived = Vec::with_capacity(checked.len());
        let mut batch_at = Vec::new();
        for (i, result) in signed_at.into_iter().zip(checked) {
            match result {
                Err(e) => verdicts[i].1 = Some(Verdict::Rejected(e.rule())),
                Ok(v) if v.report.records.len() > self.config.max_records_per_report => {
                    verdicts[i].1 = Some(Verdict::Rejected("too-many-items"))
                }
                Ok(v) => {
                    batch.push(v);
                    arrived.push(arrival(
                        served[i].received_at_ms,
                        now_ms,
                        self.config.arrival_allowance_ms,
                    ));
                    batch_at.push(i);
                }
            }
        }
        let clock = Clock {
            now_ms,
            max_future_skew_ms: self.config.max_future_skew_ms,
        };
        let outcomes = self
            .reports
            .ingest_arrived(&batch, &arrived, clock, plan_batch)
            .await?;
        for (i, outcome) in batch_at.into_iter().zip(&outcomes) {
            verdicts[i].1 = Some(judge::of_outcome(outcome));
        }
        Ok(verdicts
            .into_iter()
            .map(|(id, v)| (id, v.expect("every report judged")))
            .collect())
    }

    /// Pulls until `shutdown`: at once again while the peer has more, else every `poll`. A failed
    /// pull is logged, counted, and retried with backoff.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures: u32 = 0;
        loop {
            let wait = match self.pull_once(sla_runtime::now_ms()).await {
                Ok(stats) => {
                    failures = 0;
                    if stats.stored > 0 || stats.rejected > 0 {
                        tracing::info!(peer = %self.peer.name, ?stats, "pulled reports from a peer");
                    }
                    if stats.more {
                        Duration::ZERO
                    } else {
                        self.config.poll
                    }
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    if let ExchangeError::Feed(e) = &err {
                        self.metrics.failed(&self.peer.name, e.kind());
                    } else {
                        self.metrics.failed(&self.peer.name, "storage");
                    }
                    // At most 5 s (or one poll): a peer back from a partition is followed again
                    // within seconds.
                    let wait = crate::backoff::backoff(self.config.poll, failures)
                        .min(self.config.poll.max(Duration::from_secs(5)));
                    // Once per streak at warn level: a partitioned peer is expected to fail
                    // every pull until it is back.
                    if failures == 1 {
                        tracing::warn!(peer = %self.peer.name, error = %err, "pulling a peer's reports failed; retrying");
                    } else {
                        tracing::debug!(peer = %self.peer.name, error = %err, failures, "pulling a peer's reports failed again");
                    }
                    wait
                }
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_may_date_a_report_back_by_the_allowance_at_most() {
        assert_eq!(arrival(9_000, 10_000, 5_000), 9_000);
        assert_eq!(arrival(1_000, 10_000, 5_000), 5_000);
        assert_eq!(arrival(20_000, 10_000, 5_000), 10_000);
        assert_eq!(arrival(0, 3_000, 5_000), 0);
    }

    #[test]
    fn a_peer_is_name_equals_url() {
        let peer: Peer = "node-2=http://10.0.0.2:8080".parse().unwrap();
        assert_eq!(peer.name, "node-2");
        assert_eq!(peer.url.as_str(), "http://10.0.0.2:8080/");
        let peer: Peer = "b=https://oracle.example/api".parse().unwrap();
        assert_eq!(peer.url.as_str(), "https://oracle.example/api/");
        for bad in [
            "http://x",
            "=http://x",
            "Node=http://x",
            "n=ftp://x",
            "n=not a url",
        ] {
            assert!(bad.parse::<Peer>().is_err(), "{bad}");
        }
    }
}
