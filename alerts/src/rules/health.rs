//! `oracle-health`: conditions about the service itself, each its own condition
//! `oracle-health:{what}`, severity critical, held for `for_s` (default 60 s) before firing:
//! - `results-behind`: the oldest final roll-up not yet on chain closed `epochs_behind` epochs
//!   ago (from the database; needs nothing scraped);
//! - `tx-stuck`: a result transaction was sent more than `stuck_tx_s` ago and is not mined;
//! - from the oracle's `/metrics` when `oracle_metrics_url` is set: `epochs-behind`
//!   (`sla_oracle_epochs_behind`), `indexer-lag` (`sla_indexer_lag_blocks`), `fee-ceiling`
//!   (`sla_oracle_fee_ceiling_alerts_total` grew since the last scrape), `oracle-down`;
//! - from the ingest API's `/metrics` when `ingest_metrics_url` is set: `ingest-shedding`
//!   (`sla_ingest_requests_shed_total` per minute), `ingest-down`.

use sla_dashboard::words;
use sla_storage::{Database, TxState};

use super::Ctx;
use crate::alert::Alert;
use crate::condition::{Evaluation, Observed};

/// How often the health rule looks, ms.
const HEALTH_EVERY_MS: u64 = 5_000;

/// The counters seen at the last scrape.
#[derive(Debug, Default)]
pub(super) struct Health {
    last: Option<u64>,
    fee_ceiling: Option<f64>,
    shed: Option<(u64, f64)>,
}

/// The sum of every sample of `name` (all label sets) in a Prometheus text exposition; `None`
/// when the metric is absent.
pub(super) fn sample_sum(text: &str, name: &str) -> Option<f64> {
    let mut sum = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let value = match rest.chars().next() {
            Some('{') => rest.rsplit_once('}').map(|(_, v)| v),
            Some(' ') => Some(rest),
            _ => None,
        };
        if let Some(v) = value.and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok()) {
            *sum.get_or_insert(0.0) += v;
        }
    }
    sum
}

impl Health {
    pub(super) async fn look(
        &mut self,
        db: &Database,
        ctx: &Ctx<'_>,
        http: &reqwest::Client,
    ) -> anyhow::Result<Vec<Evaluation>> {
        let now = ctx.now_ms;
        if self
            .last
            .is_some_and(|t| now.saturating_sub(t) < HEALTH_EVERY_MS)
        {
            return Ok(Vec::new());
        }
        let elapsed = self.last.map(|t| now.saturating_sub(t));
        self.last = Some(now);
        let h = &ctx.config.settings.health;
        let mut holding = Vec::new();
        let mut hold = |what: &str, summary: String, details: Vec<String>| {
            let mut alert = Alert::firing("oracle-health", "critical", summary, details);
            alert.raised_at_ms = now;
            alert.link = ctx.config.dashboard_url.clone();
            holding.push(Observed {
                condition: format!("oracle-health:{what}"),
                alert,
            });
        };
        if let (Some(epochs), Some(oldest)) = (ctx.epochs, db.rollups().oldest_final_epoch().await?)
        {
            let current = epochs.epoch_of(now).unwrap_or(0);
            let behind = current.saturating_sub(oldest + 1);
            if behind >= h.epochs_behind {
                hold(
                    "results-behind",
                    format!(
                        "results of epoch {oldest} are final but not on chain, {behind} epochs later"
                    ),
                    vec!["is the oracle (sla-oracle) running and funded?".into()],
                );
            }
        }
        let stuck: Vec<String> = db
            .txs()
            .in_states(&[TxState::Sent])
            .await?
            .into_iter()
            .filter(|t| {
                t.sent_at_ms
                    .is_some_and(|s| now.saturating_sub(s) > h.stuck_tx_ms)
            })
            .map(|t| {
                let hash = t
                    .tx_hash
                    .map(|h| format!("0x{}", hex::encode(h)))
                    .unwrap_or_default();
                let max_fee = t.max_fee_per_gas.unwrap_or(0);
                format!(
                    "nonce {} epoch {} transaction {hash}, max fee {max_fee} wei/gas",
                    t.nonce, t.epoch
                )
            })
            .collect();
        if !stuck.is_empty() {
            hold(
                "tx-stuck",
                format!(
                    "{} result transactions sent more than {} ago are not mined",
                    stuck.len(),
                    words::duration_s(h.stuck_tx_ms / 1_000)
                ),
                stuck,
            );
        }
        if let Some(url) = &h.oracle_metrics_url {
            match scrape(http, url).await {
                Err(e) => hold(
                    "oracle-down",
                    format!("the oracle's metrics do not answer: {e}"),
                    vec![],
                ),
                Ok(text) => {
                    let behind = sample_sum(&text, "sla_oracle_epochs_behind").unwrap_or(0.0);
                    if behind >= h.epochs_behind as f64 {
                        hold(
                            "epochs-behind",
                            format!("the oracle is {behind} closed epochs behind on chain"),
                            vec![format!("alert at {}", h.epochs_behind)],
                        );
                    }
                    let lag = sample_sum(&text, "sla_indexer_lag_blocks").unwrap_or(0.0);
                    if lag >= h.indexer_lag_blocks as f64 {
                        hold(
                            "indexer-lag",
                            format!("the indexer trails the chain head by {lag} blocks"),
                            vec![format!("alert at {}", h.indexer_lag_blocks)],
                        );
                    }
                    let fee = sample_sum(&text, "sla_oracle_fee_ceiling_alerts_total");
                    if let (Some(before), Some(now_v)) = (self.fee_ceiling, fee) {
                        if now_v > before {
                            hold(
                                "fee-ceiling",
                                "a stuck result transaction cannot be replaced under the fee ceiling".into(),
                                vec![format!("{} times since the last look", now_v - before)],
                            );
                        }
                    }
                    self.fee_ceiling = fee.or(self.fee_ceiling);
                }
            }
        }
        if let Some(url) = &h.ingest_metrics_url {
            match scrape(http, url).await {
                Err(e) => hold(
                    "ingest-down",
                    format!("the ingest API's metrics do not answer: {e}"),
                    vec![],
                ),
                Ok(text) => {
                    let shed = sample_sum(&text, "sla_ingest_requests_shed_total").unwrap_or(0.0);
                    if let (Some((_, before)), Some(ms)) = (self.shed, elapsed) {
                        let per_minute = (shed - before).max(0.0) * 60_000.0 / ms.max(1) as f64;
                        if per_minute >= h.shed_per_minute as f64 {
                            hold(
                                "ingest-shedding",
                                format!("the ingest API sheds {per_minute:.0} requests a minute"),
                                vec![format!("alert at {} a minute", h.shed_per_minute)],
                            );
                        }
                    }
                    self.shed = Some((now, shed));
                }
            }
        }
        Ok(vec![Evaluation {
            scopes: vec!["oracle-health:".into()],
            holding,
        }])
    }
}

async fn scrape(http: &reqwest::Client, url: &reqwest::Url) -> Result<String, String> {
    let answer = http.get(url.clone()).send().await.map_err(|e| {
        // Without the URL: it may carry credentials.
        if e.is_timeout() {
            "timed out".to_owned()
        } else {
            "unreachable".to_owned()
        }
    })?;
    if !answer.status().is_success() {
        return Err(format!("HTTP {}", answer.status().as_u16()));
    }
    answer
        .text()
        .await
        .map_err(|_| "the body did not arrive".to_owned())
}

#[cfg(test)]
mod tests {
    use super::sample_sum;

    #[test]
    fn sums_every_label_set_of_one_metric_only() {
        let text = "# HELP sla_ingest_requests_shed Requests refused\n\
            # TYPE sla_ingest_requests_shed counter\n\
            sla_ingest_requests_shed_total{reason=\"in-flight\"} 3\n\
            sla_ingest_requests_shed_total{reason=\"queue\"} 4.5\n\
            sla_ingest_requests_shed_total_other 100\n\
            sla_oracle_epochs_behind 2\n";
        assert_eq!(
            sample_sum(text, "sla_ingest_requests_shed_total"),
            Some(7.5)
        );
        assert_eq!(sample_sum(text, "sla_oracle_epochs_behind"), Some(2.0));
        assert_eq!(sample_sum(text, "sla_indexer_lag_blocks"), None);
    }
}
