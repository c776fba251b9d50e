//! Loading the state a batch is judged against. The writer keeps caches so that the common case
//! (a known key on a known data unit extending its chain) costs no lookups, and they stay
//! correct when other processes write too:
//!
//! - allocations and keys: dropped whenever `mirror_version` (bumped by triggers on every change
//!   to the mirrored tables, whoever makes it) differs from the version they were loaded at;
//! - chain heads: only ever advanced by a commit of this writer; a stale head (another replica
//!   advanced the chain) can only cause a unique-key violation, which fails the transaction and
//!   is retried with fresh heads, or a refusal, which is re-judged against a fresh head first.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use sla_protocol::{ReportHash, VerifiedReport};

use crate::acceptance::{
    plan_batch, sequences_to_look_up, ChainKey, Clock, Context, Outcome, Plan, Rejection,
};
use crate::error::Result;
use crate::types::{Ack, Allocation, ReporterKey, ReporterState};

/// Most chain heads kept in memory; past it the cache starts over (heads reload on demand).
const MAX_CACHED_HEADS: usize = 1_000_000;

/// The reads a backend answers inside the batch's transaction.
#[async_trait]
pub(crate) trait ContextSource: Send {
    async fn mirror_version(&mut self) -> Result<i64>;
    async fn allocations(&mut self, ids: &[u64]) -> Result<Vec<Allocation>>;
    async fn keys(&mut self, keys: &[[u8; 32]]) -> Result<Vec<ReporterKey>>;
    async fn heads(&mut self, chains: &[ChainKey]) -> Result<Vec<(ChainKey, ReporterState)>>;
    async fn stored_acks(&mut self, hashes: &[ReportHash]) -> Result<Vec<Ack>>;
    async fn stored_hash_at(
        &mut self,
        chain: ChainKey,
        sequence: u64,
    ) -> Result<Option<ReportHash>>;
    /// The ids of those of `chains` that the `chains` table holds.
    async fn chain_ids(&mut self, chains: &[ChainKey]) -> Result<Vec<(ChainKey, i64)>>;
    /// Adds rows for `chains` to the `chains` table, skipping any that exist.
    async fn create_chains(&mut self, chains: &[ChainKey]) -> Result<()>;
}

/// What the writer remembers between batches.
#[derive(Debug, Default)]
pub(crate) struct WriterCache {
    mirror_version: Option<i64>,
    allocations: HashMap<u64, Option<Arc<Allocation>>>,
    keys: HashMap<[u8; 32], Option<Arc<ReporterKey>>>,
    heads: HashMap<ChainKey, ReporterState>,
    /// Ids of chains in the `chains` table (rows are never changed or deleted once committed).
    chain_ids: HashMap<ChainKey, i64>,
}

impl WriterCache {
    /// Records the heads a committed plan moved to and the chain ids its transaction used.
    pub(crate) fn committed(&mut self, plan: &Plan, chain_ids: HashMap<ChainKey, i64>) {
        if self.heads.len() + plan.state_updates.len() > MAX_CACHED_HEADS {
            self.heads.clear();
        }
        for (chain, (_, head)) in &plan.state_updates {
            self.heads.insert(*chain, head.clone());
        }
        if self.chain_ids.len() + chain_ids.len() > MAX_CACHED_HEADS {
            self.chain_ids.clear();
        }
        self.chain_ids.extend(chain_ids);
    }

    /// Forgets the heads of a batch whose transaction failed (they may be stale).
    pub(crate) fn failed(&mut self, batch: &[VerifiedReport]) {
        for v in batch {
            self.heads
                .remove(&(v.report.reporter_key, v.report.data_unit));
        }
    }
}

fn is_chain_refusal(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Rejected(
            Rejection::SequenceGap { .. }
                | Rejection::PrevHashMismatch { .. }
                | Rejection::Equivocation { .. }
                | Rejection::PeriodOverlapsPrevious { .. }
        )
    )
}

/// Loads (through the cache) everything `plan_batch` needs and judges the batch.
pub(crate) async fn judge_batch(
    src: &mut dyn ContextSource,
    cache: &mut WriterCache,
    batch: &[VerifiedReport],
    clock: Clock,
) -> Result<Plan> {
    let version = src.mirror_version().await?;
    if cache.mirror_version != Some(version) {
        cache.allocations.clear();
        cache.keys.clear();
        cache.mirror_version = Some(version);
    }

    let ids: BTreeSet<u64> = batch.iter().map(|v| v.report.data_unit).collect();
    let missing: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| !cache.allocations.contains_key(id))
        .collect();
    if !missing.is_empty() {
        for id in &missing {
            cache.allocations.insert(*id, None);
        }
        for allocation in src.allocations(&missing).await? {
            cache
                .allocations
                .insert(allocation.data_unit, Some(Arc::new(allocation)));
        }
    }

    let keys: BTreeSet<[u8; 32]> = batch.iter().map(|v| v.report.reporter_key).collect();
    let missing: Vec<[u8; 32]> = keys
        .iter()
        .copied()
        .filter(|k| !cache.keys.contains_key(k))
        .collect();
    if !missing.is_empty() {
        for key in &missing {
            cache.keys.insert(*key, None);
        }
        for key in src.keys(&missing).await? {
            cache.keys.insert(key.public_key, Some(Arc::new(key)));
        }
    }

    let chains: BTreeSet<ChainKey> = batch
        .iter()
        .map(|v| (v.report.reporter_key, v.report.data_unit))
        .collect();
    let missing: Vec<ChainKey> = chains
        .iter()
        .copied()
        .filter(|c| !cache.heads.contains_key(c))
        .collect();
    let mut fresh: HashSet<ChainKey> = missing.iter().copied().collect();
    if !missing.is_empty() {
        for (chain, head) in src.heads(&missing).await? {
            cache.heads.insert(chain, head);
        }
    }

    let mut ctx = Context {
        allocations: ids
            .iter()
            .filter_map(|id| {
                cache
                    .allocations
                    .get(id)
                    .cloned()
                    .flatten()
                    .map(|a| (*id, a))
            })
            .collect(),
        keys: keys
            .iter()
            .filter_map(|k| cache.keys.get(k).cloned().flatten().map(|key| (*k, key)))
            .collect(),
        states: chains
            .iter()
            .filter_map(|c| cache.heads.get(c).map(|h| (*c, h.clone())))
            .collect(),
        stored_by_hash: HashMap::new(),
        stored_by_sequence: HashMap::new(),
    };

    let mut asked: HashSet<ReportHash> = HashSet::new();
    loop {
        // Only a report at or below its chain's head can be a resend or an equivocation; the
        // common case (the next report of a chain) needs no lookup at all.
        let candidates: Vec<ReportHash> = batch
            .iter()
            .filter(|v| {
                ctx.states
                    .get(&(v.report.reporter_key, v.report.data_unit))
                    .is_some_and(|head| v.report.sequence <= head.last_sequence)
            })
            .map(|v| v.hash)
            .filter(|hash| asked.insert(*hash))
            .collect();
        if !candidates.is_empty() {
            for ack in src.stored_acks(&candidates).await? {
                ctx.stored_by_hash.insert(ack.report_hash, ack);
            }
        }
        for (chain, sequence) in sequences_to_look_up(batch, &ctx) {
            if ctx.stored_by_sequence.contains_key(&(chain, sequence)) {
                continue;
            }
            if let Some(hash) = src.stored_hash_at(chain, sequence).await? {
                ctx.stored_by_sequence.insert((chain, sequence), hash);
            }
        }
        let plan = plan_batch(batch, &ctx, clock);
        // A refusal judged against a cached head is only final once the head is known fresh.
        let stale: Vec<ChainKey> = batch
            .iter()
            .zip(&plan.outcomes)
            .filter(|(_, outcome)| is_chain_refusal(outcome))
            .map(|(v, _)| (v.report.reporter_key, v.report.data_unit))
            .filter(|chain| !fresh.contains(chain))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if stale.is_empty() {
            return Ok(plan);
        }
        for chain in &stale {
            cache.heads.remove(chain);
            ctx.states.remove(chain);
            fresh.insert(*chain);
        }
        for (chain, head) in src.heads(&stale).await? {
            cache.heads.insert(chain, head.clone());
            ctx.states.insert(chain, head);
        }
    }
}

/// The `chains` ids of the chains that `plan` inserts reports into: cached, looked up, or created
/// in the plan's transaction. Cache them only once that transaction has committed.
pub(crate) async fn plan_chain_ids(
    src: &mut dyn ContextSource,
    cache: &WriterCache,
    batch: &[VerifiedReport],
    plan: &Plan,
) -> Result<HashMap<ChainKey, i64>> {
    let mut ids = HashMap::new();
    let mut missing = BTreeSet::new();
    for &index in &plan.inserts {
        let r = &batch[index].report;
        let chain = (r.reporter_key, r.data_unit);
        match cache.chain_ids.get(&chain) {
            Some(id) => {
                ids.insert(chain, *id);
            }
            None => {
                missing.insert(chain);
            }
        }
    }
    if missing.is_empty() {
        return Ok(ids);
    }
    let missing: Vec<ChainKey> = missing.into_iter().collect();
    let found = src.chain_ids(&missing).await?;
    if found.len() < missing.len() {
        let known: HashSet<ChainKey> = found.iter().map(|(chain, _)| *chain).collect();
        let new: Vec<ChainKey> = missing
            .iter()
            .filter(|chain| !known.contains(*chain))
            .copied()
            .collect();
        src.create_chains(&new).await?;
        ids.extend(src.chain_ids(&new).await?);
    }
    ids.extend(found);
    if ids.len() != plan.state_updates.len() {
        return Err(crate::error::StorageError::Corrupt(
            "a chain row was not found after it was created".into(),
        ));
    }
    Ok(ids)
}
