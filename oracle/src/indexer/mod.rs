//! Follows the contract's events and mirrors its state into the database.
//!
//! Each [`Indexer::step`] reads the contract's logs of one bounded block range ending at most at
//! `head - confirmations` (`eth_getLogs` filtered by address), decodes them (`decode.rs`, into
//! the event model of `events.rs`), reads each result batch from its transaction (`batch.rs`)
//! and applies them (`apply.rs`: what each event means) through
//! one [`sla_storage::MirrorWrite`], which writes every change of the range and the new cursor
//! (last block number and hash) in one transaction: a crash never leaves half a range applied,
//! and a restart resumes after the stored cursor.
//!
//! Reorgs: the hashes of recently processed blocks are stored. Before a range is applied, the
//! block after the cursor must have the cursor as its parent (and, once caught up, the cursor
//! must still be the chain's block at its height). When it is not, the indexer walks back through
//! the stored blocks to the newest one the chain still has, rolls the mirror back to it
//! (`apply::rollback`: every row written by later blocks is deleted,
//! and the current `allocations` / `reporter_keys` rows are rebuilt from their remaining
//! versions) and reads again from there. With a confirmation depth deeper than any reorg this
//! never triggers; it is what keeps the mirror right when a reorg is deeper. See
//! `docs/indexer.md`.

mod apply;
mod batch;
mod batch_apply;
mod config;
mod decode;
mod error;
mod events;
mod metrics;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Header};
use futures::{StreamExt, TryStreamExt};
use sla_storage::mirror::ChainBlock;
use sla_storage::MirrorStore;
use tracing::{debug, error, info, warn};

pub use config::{is_development_chain, IndexerArgs, IndexerConfig};
pub use decode::{decode_log, decode_policies_log};
pub use error::IndexerError;
pub use events::{ApplyOutcome, ChainEvent, ChainLog, ChainRange, EventTerms};
pub use metrics::IndexerMetrics;

/// Headers fetched concurrently for the blocks of a range that hold events.
const HEADER_CONCURRENCY: usize = 16;

/// Applies the events of `range` and moves the cursor to its end, in one transaction; writes
/// nothing and says so when the range does not start right after the stored cursor.
pub async fn apply_range(
    mirror: &MirrorStore,
    range: &ChainRange,
) -> Result<ApplyOutcome, IndexerError> {
    let mut write = mirror.begin_write().await?;
    let outcome = apply::apply_range(&mut write, range).await?;
    if outcome == ApplyOutcome::Applied {
        write.commit().await?;
    }
    Ok(outcome)
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Blocks `from..=to` were mirrored, with `events` events.
    Applied {
        /// First block of the range.
        from: u64,
        /// Last block of the range, the new cursor.
        to: u64,
        /// Events applied.
        events: usize,
    },
    /// Nothing to do: no confirmed block after the cursor.
    CaughtUp {
        /// The cursor's block number; `None` if no block was mirrored yet.
        cursor: Option<u64>,
    },
    /// A reorg was found: the mirror was rolled back to `cursor` (`None`: everything).
    RolledBack {
        /// The newest stored block still on the chain, now the cursor; `None` if none is.
        cursor: Option<u64>,
    },
}

/// The chain indexer: one per database.
#[derive(Debug)]
pub struct Indexer<P> {
    config: IndexerConfig,
    mirror: MirrorStore,
    provider: P,
    metrics: IndexerMetrics,
    /// Blocks per `eth_getLogs` call now (shrinks after failures).
    range: u64,
}

impl<P: Provider> Indexer<P> {
    /// An indexer of `config.contract` through `provider`, writing to `mirror`, with metrics of
    /// its own (see [`Indexer::with_metrics`]).
    pub fn new(config: IndexerConfig, mirror: MirrorStore, provider: P) -> Self {
        let range = config.max_block_range.max(1);
        Indexer {
            config,
            mirror,
            provider,
            metrics: IndexerMetrics::default(),
            range,
        }
    }

    /// Uses `metrics` (e.g. already registered in the binary's registry).
    pub fn with_metrics(mut self, metrics: IndexerMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Its metrics.
    pub fn metrics(&self) -> &IndexerMetrics {
        &self.metrics
    }

    /// Its settings.
    pub fn config(&self) -> &IndexerConfig {
        &self.config
    }

    /// Steps until no confirmed block is left to mirror.
    pub async fn sync(&mut self) -> Result<Option<u64>, IndexerError> {
        loop {
            if let Step::CaughtUp { cursor } = self.step().await? {
                return Ok(cursor);
            }
        }
    }

    /// Mirrors until `shutdown` completes. Transient failures (RPC, database, a reorg while
    /// reading) are logged and retried with backoff; a log that does not decode stops the
    /// indexer with an error, as retrying cannot help.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), IndexerError> {
        tokio::pin!(shutdown);
        let mut failures: u32 = 0;
        info!(
            contract = %self.config.contract,
            confirmations = self.config.confirmations,
            "chain indexer started"
        );
        loop {
            let wait = tokio::select! {
                _ = &mut shutdown => break,
                step = self.step() => match step {
                    Ok(Step::CaughtUp { .. }) => {
                        failures = 0;
                        self.config.poll_interval
                    }
                    Ok(_) => {
                        failures = 0;
                        Duration::ZERO
                    }
                    Err(err) if err.is_transient() => {
                        self.metrics.errors.inc();
                        failures = failures.saturating_add(1);
                        let wait = crate::backoff::backoff(self.config.poll_interval, failures);
                        let retry_in_ms = wait.as_millis() as u64;
                        warn!(error = %err, retry_in_ms, "indexer step failed");
                        wait
                    }
                    Err(err) => {
                        error!(error = %err, "chain indexer stopped");
                        return Err(err);
                    }
                },
            };
            if !wait.is_zero() {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
        info!("chain indexer stopped");
        Ok(())
    }

    /// One unit of work: mirror the next range of confirmed blocks, or roll back a reorg, or
    /// find nothing to do.
    pub async fn step(&mut self) -> Result<Step, IndexerError> {
        let head = self.provider.get_block_number().await?;
        let cursor = self.mirror.cursor().await?;
        self.metrics.observe(head, cursor.map(|c| c.number));
        let from = cursor.map_or(self.config.start_block, |c| c.number + 1);
        let safe = head.checked_sub(self.config.confirmations);
        let to = match safe {
            Some(safe) if safe >= from => safe.min(from.saturating_add(self.range - 1)),
            _ => {
                if let Some(cursor) = cursor {
                    if !self.on_chain(&cursor).await? {
                        return self.roll_back(&cursor).await;
                    }
                }
                return Ok(Step::CaughtUp {
                    cursor: cursor.map(|c| c.number),
                });
            }
        };

        let last = self.header(to).await?;
        let first = if from == to {
            last.clone()
        } else {
            self.header(from).await?
        };
        if let Some(cursor) = cursor {
            if first.parent_hash != B256::from(cursor.hash) {
                return self.roll_back(&cursor).await;
            }
        }

        let mut addresses = vec![self.config.contract];
        addresses.extend(self.config.policies);
        let filter = Filter::new()
            .address(addresses)
            .from_block(from)
            .to_block(to);
        let logs = match self.provider.get_logs(&filter).await {
            Ok(logs) => logs,
            Err(err) => {
                // Providers cap the range or the result size: try smaller ranges.
                self.range = (self.range / 2).max(1);
                return Err(err.into());
            }
        };

        let mut blocks: BTreeMap<u64, ChainBlock> = BTreeMap::new();
        let mut missing_time = Vec::new();
        let mut chain_logs = Vec::with_capacity(logs.len());
        for log in &logs {
            let (Some(number), Some(hash)) = (log.block_number, log.block_hash) else {
                return Err(IndexerError::Inconsistent("a log without its block".into()));
            };
            if log.removed || number < from || number > to {
                return Err(IndexerError::Inconsistent(format!(
                    "log of block {number} outside {from}..={to} or removed"
                )));
            }
            let block = blocks.entry(number).or_insert(ChainBlock {
                number,
                hash: hash.0,
                timestamp_ms: log.block_timestamp.map_or(0, |t| t.saturating_mul(1000)),
            });
            if block.hash != hash.0 {
                return Err(IndexerError::Inconsistent(format!(
                    "logs of two different blocks at height {number}"
                )));
            }
            if log.block_timestamp.is_none() && !missing_time.contains(&number) {
                missing_time.push(number);
            }
            let decoded = if Some(log.address()) == self.config.policies {
                decode_policies_log(log)?
            } else {
                decode_log(log)?
            };
            if let Some(decoded) = decoded {
                chain_logs.push(decoded);
            }
        }
        chain_logs.sort_by_key(|l| (l.block_number, l.log_index));
        batch::fill_results(&self.provider, &mut chain_logs).await?;
        // Timestamps date the changes (acceptance, closing); fetch them when the node does not
        // put them in its logs.
        let headers: Vec<Header> = futures::stream::iter(missing_time)
            .map(|number| self.header(number))
            .buffered(HEADER_CONCURRENCY)
            .try_collect()
            .await?;
        for header in headers {
            let block = blocks.get_mut(&header.number).expect("requested above");
            if block.hash != header.hash.0 {
                return Err(IndexerError::Inconsistent(format!(
                    "block {} changed while reading",
                    header.number
                )));
            }
            block.timestamp_ms = header.timestamp.saturating_mul(1000);
        }
        // The logs belong to the chain that ends in `last` only if `last` is still there.
        if self.header(to).await?.hash != last.hash {
            return Err(IndexerError::Inconsistent(format!(
                "block {to} changed while reading"
            )));
        }

        let range = ChainRange {
            from_block: from,
            to: ChainBlock {
                number: to,
                hash: last.hash.0,
                timestamp_ms: last.timestamp.saturating_mul(1000),
            },
            blocks: blocks.into_values().collect(),
            logs: chain_logs,
            reorg_window: self.config.reorg_window,
        };
        let events = range.logs.len();
        match apply_range(&self.mirror, &range).await? {
            ApplyOutcome::Applied => {}
            ApplyOutcome::CursorMismatch { cursor } => {
                return Err(IndexerError::Inconsistent(format!(
                    "the stored cursor moved to {:?} meanwhile (another indexer?)",
                    cursor.map(|c| c.number)
                )));
            }
        }
        self.range = self
            .range
            .saturating_mul(2)
            .min(self.config.max_block_range.max(1));
        self.metrics.events.inc_by(events as u64);
        self.metrics.observe(head, Some(to));
        if events > 0 {
            info!(from, to, events, "mirrored block range");
        } else {
            debug!(from, to, "mirrored block range without events");
        }
        Ok(Step::Applied { from, to, events })
    }

    /// Finds the newest stored block still on the chain and rolls the mirror back to it.
    async fn roll_back(&mut self, cursor: &ChainBlock) -> Result<Step, IndexerError> {
        let stored = self.mirror.blocks(u32::MAX).await?;
        let mut keep = None;
        for block in &stored {
            if self.on_chain(block).await? {
                keep = Some(block.number);
                break;
            }
        }
        if keep == Some(cursor.number) {
            // The cursor is on the chain after all: the node's answers were from two different
            // moments (or nodes). Nothing to undo; read again.
            return Err(IndexerError::Inconsistent(format!(
                "block {} does not extend the cursor, which is still on the chain",
                cursor.number + 1
            )));
        }
        warn!(
            cursor = cursor.number,
            common_ancestor = ?keep,
            "reorg below the cursor: rolling the mirror back"
        );
        let mut write = self.mirror.begin_write().await?;
        let new_cursor = apply::rollback(&mut write, keep).await?;
        write.commit().await?;
        self.metrics.reorgs.inc();
        self.metrics
            .last_indexed_block
            .set(new_cursor.map_or(self.config.start_block as i64 - 1, |c| c.number as i64));
        Ok(Step::RolledBack {
            cursor: new_cursor.map(|c| c.number),
        })
    }

    /// Whether the chain's block at `block.number` is still `block`.
    async fn on_chain(&self, block: &ChainBlock) -> Result<bool, IndexerError> {
        let found = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(block.number))
            .await?;
        Ok(found.is_some_and(|b| b.header.hash.0 == block.hash))
    }

    async fn header(&self, number: u64) -> Result<Header, IndexerError> {
        self.provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await?
            .map(|block| block.header)
            .ok_or_else(|| IndexerError::Inconsistent(format!("the node has no block {number}")))
    }
}
