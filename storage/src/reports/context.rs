//! Loading what a batch is judged against, inside the batch's transaction, and judging it with
//! the caller's rules. The writer keeps caches so that the common case (a known key on a known
//! data unit extending its report chain) costs no lookups, and they stay correct when other
//! processes write too:
//!
//! - allocations and keys: dropped whenever `mirror_version` (bumped by triggers on every change
//!   to the mirrored tables, whoever makes it) differs from the version they were loaded at;
//! - report chain heads: only ever advanced by a commit of this writer; a stale head (another
//!   replica advanced the chain) can only cause a unique-key violation, which fails the
//!   transaction and is retried with fresh heads, or a refusal that depends on the head, which
//!   is re-judged against a fresh head first.

use std::collections::BTreeSet;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use sla_protocol::acceptance::{
    sequences_to_look_up, Clock, Context, Outcome, Plan, ReportChain, ReportChainHead,
};
use sla_protocol::parties::{Allocation, ReporterKey};
use sla_protocol::{ReportHash, VerifiedReport};

use super::rows::{AckRow, HeadRow, HEAD_COLUMNS};
use crate::backend::{chunks, on_conn, placeholders, row_placeholders, Backend, Conn};
use crate::error::Result;
use crate::mirror::rows::{AllocationRow, KeyRow, ALLOCATION_COLUMNS, KEY_COLUMNS};

/// The acceptance rules a batch is judged by: `sla_protocol::acceptance::plan_batch`, passed
/// in by the caller (storage judges nothing itself).
pub type Rules = fn(&[VerifiedReport], &Context, Clock) -> Plan;

/// Most report chain heads and ids kept in memory; past it the cache starts over (they reload
/// on demand).
const MAX_CACHED_CHAINS: usize = 1_000_000;

/// What the writer remembers between batches.
#[derive(Debug, Default)]
pub(crate) struct WriterCache {
    mirror_version: Option<i64>,
    allocations: HashMap<u64, Option<Arc<Allocation>>>,
    keys: HashMap<[u8; 32], Option<Arc<ReporterKey>>>,
    heads: HashMap<ReportChain, ReportChainHead>,
    /// Ids of rows of `report_chains` (never changed or deleted once committed).
    pub(super) report_chain_ids: HashMap<ReportChain, i64>,
}

impl WriterCache {
    /// Records the heads a committed plan moved to and the report chain ids it used.
    pub(super) fn committed(&mut self, plan: &Plan, chain_ids: HashMap<ReportChain, i64>) {
        if self.heads.len() + plan.new_heads.len() > MAX_CACHED_CHAINS {
            self.heads.clear();
        }
        for (chain, head) in &plan.new_heads {
            self.heads.insert(*chain, *head);
        }
        if self.report_chain_ids.len() + chain_ids.len() > MAX_CACHED_CHAINS {
            self.report_chain_ids.clear();
        }
        self.report_chain_ids.extend(chain_ids);
    }

    /// Forgets the heads of a batch whose transaction failed (they may be stale).
    pub(super) fn failed(&mut self, batch: &[VerifiedReport]) {
        for v in batch {
            self.heads.remove(&ReportChain::of(&v.report));
        }
    }
}

/// Loads (through the cache) everything `rules` need and judges the batch. A refusal that
/// depends on a cached head is only final once the head is known fresh.
pub(super) async fn judge(
    backend: &Backend,
    conn: &mut Conn<'_>,
    cache: &mut WriterCache,
    batch: &[VerifiedReport],
    clock: Clock,
    rules: Rules,
) -> Result<Plan> {
    let version = mirror_version(conn).await?;
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
        for allocation in allocations(conn, &missing).await? {
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
        for key in reporter_keys(conn, &missing).await? {
            cache.keys.insert(key.public_key, Some(Arc::new(key)));
        }
    }

    let chains: BTreeSet<ReportChain> = batch.iter().map(|v| ReportChain::of(&v.report)).collect();
    let missing: Vec<ReportChain> = chains
        .iter()
        .copied()
        .filter(|c| !cache.heads.contains_key(c))
        .collect();
    let mut fresh: HashSet<ReportChain> = missing.iter().copied().collect();
    if !missing.is_empty() {
        for (chain, head) in heads(conn, &missing).await? {
            cache.heads.insert(chain, head);
        }
    }

    let mut ctx = Context {
        allocations: ids
            .iter()
            .filter_map(|id| {
                let allocation = cache.allocations.get(id).cloned().flatten()?;
                Some((*id, allocation))
            })
            .collect(),
        keys: keys
            .iter()
            .filter_map(|k| cache.keys.get(k).cloned().flatten().map(|key| (*k, key)))
            .collect(),
        heads: chains
            .iter()
            .filter_map(|c| cache.heads.get(c).map(|h| (*c, *h)))
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
                ctx.heads
                    .get(&ReportChain::of(&v.report))
                    .is_some_and(|head| v.report.sequence <= head.sequence)
            })
            .map(|v| v.hash)
            .filter(|hash| asked.insert(*hash))
            .collect();
        if !candidates.is_empty() {
            for ack in stored_acks(backend, conn, &candidates).await? {
                ctx.stored_by_hash.insert(ack.report_hash, ack);
            }
        }
        for (chain, sequence) in sequences_to_look_up(batch, &ctx) {
            if ctx.stored_by_sequence.contains_key(&(chain, sequence)) {
                continue;
            }
            if let Some(hash) = stored_hash_at(conn, chain, sequence).await? {
                ctx.stored_by_sequence.insert((chain, sequence), hash);
            }
        }
        let plan = rules(batch, &ctx, clock);
        let stale: Vec<ReportChain> = batch
            .iter()
            .zip(&plan.outcomes)
            .filter(|(_, outcome)| {
                matches!(outcome, Outcome::Rejected(r) if r.depends_on_report_chain())
            })
            .map(|(v, _)| ReportChain::of(&v.report))
            .filter(|chain| !fresh.contains(chain))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if stale.is_empty() {
            return Ok(plan);
        }
        for chain in &stale {
            cache.heads.remove(chain);
            ctx.heads.remove(chain);
            fresh.insert(*chain);
        }
        for (chain, head) in heads(conn, &stale).await? {
            cache.heads.insert(chain, head);
            ctx.heads.insert(chain, head);
        }
    }
}

async fn mirror_version(conn: &mut Conn<'_>) -> Result<i64> {
    Ok(on_conn!(conn, |c| {
        sqlx::query_scalar("SELECT version FROM mirror_version WHERE id = 1")
            .fetch_one(&mut **c)
            .await?
    }))
}

async fn allocations(conn: &mut Conn<'_>, ids: &[u64]) -> Result<Vec<Allocation>> {
    let mut rows: Vec<AllocationRow> = Vec::with_capacity(ids.len());
    for chunk in chunks(ids) {
        let sql = format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE data_unit IN ({})",
            placeholders(1, chunk.len())
        );
        on_conn!(conn, |c| {
            let mut query = sqlx::query_as::<_, AllocationRow>(&sql);
            for id in chunk {
                query = query.bind(*id as i64);
            }
            rows.extend(query.fetch_all(&mut **c).await?);
        });
    }
    rows.into_iter().map(AllocationRow::into_domain).collect()
}

async fn reporter_keys(conn: &mut Conn<'_>, keys: &[[u8; 32]]) -> Result<Vec<ReporterKey>> {
    let mut rows: Vec<KeyRow> = Vec::with_capacity(keys.len());
    for chunk in chunks(keys) {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM reporter_keys WHERE public_key IN ({})",
            placeholders(1, chunk.len())
        );
        on_conn!(conn, |c| {
            let mut query = sqlx::query_as::<_, KeyRow>(&sql);
            for key in chunk {
                query = query.bind(key.as_slice());
            }
            rows.extend(query.fetch_all(&mut **c).await?);
        });
    }
    rows.into_iter().map(KeyRow::into_domain).collect()
}

/// The heads of those of `chains` that have reports.
async fn heads(
    conn: &mut Conn<'_>,
    chains: &[ReportChain],
) -> Result<Vec<(ReportChain, ReportChainHead)>> {
    let mut rows: Vec<HeadRow> = Vec::with_capacity(chains.len());
    for chunk in chunks(chains) {
        let sql = format!(
            "WITH q(k, d) AS (VALUES {}) SELECT {HEAD_COLUMNS} FROM q \
             JOIN report_chains c ON c.data_unit = q.d AND c.reporter_key = q.k \
             JOIN reports r ON r.report_chain_id = c.id AND r.sequence = \
             (SELECT MAX(sequence) FROM reports m WHERE m.report_chain_id = c.id)",
            row_placeholders(chunk.len(), 2)
        );
        on_conn!(conn, |c| {
            let mut query = sqlx::query_as::<_, HeadRow>(&sql);
            for chain in chunk {
                query = query
                    .bind(chain.reporter_key.as_slice())
                    .bind(chain.data_unit as i64);
            }
            rows.extend(query.fetch_all(&mut **c).await?);
        });
    }
    rows.into_iter()
        .map(|row| row.into_domain().map(|(chain, _, head)| (chain, head)))
        .collect()
}

/// Acknowledgements of those of `hashes` that are stored.
async fn stored_acks(
    backend: &Backend,
    conn: &mut Conn<'_>,
    hashes: &[ReportHash],
) -> Result<Vec<sla_protocol::acceptance::Ack>> {
    let mut rows: Vec<AckRow> = Vec::with_capacity(hashes.len());
    for chunk in chunks(hashes) {
        let sql = format!(
            "SELECT hash, data_unit, sequence, received_at_ms FROM reports \
             WHERE {prefix} IN ({prefixes}) AND hash IN ({hashes}) \
             UNION ALL SELECT hash, data_unit, sequence, received_at_ms FROM exported_reports \
             WHERE {prefix} IN ({prefixes}) AND hash IN ({hashes})",
            prefix = backend.hash_prefix(),
            prefixes = placeholders(1, chunk.len()),
            hashes = placeholders(1 + chunk.len(), chunk.len())
        );
        on_conn!(conn, |c| {
            let mut query = sqlx::query_as::<_, AckRow>(&sql);
            for hash in chunk {
                query = query.bind(&hash.0[..8]);
            }
            for hash in chunk {
                query = query.bind(hash.0.as_slice());
            }
            rows.extend(query.fetch_all(&mut **c).await?);
        });
    }
    rows.into_iter().map(AckRow::into_domain).collect()
}

async fn stored_hash_at(
    conn: &mut Conn<'_>,
    chain: ReportChain,
    sequence: u64,
) -> Result<Option<ReportHash>> {
    let hash: Option<Vec<u8>> = on_conn!(conn, |c| {
        sqlx::query_scalar(
            "SELECT r.hash FROM report_chains c JOIN reports r ON r.report_chain_id = c.id \
             AND r.sequence = $3 WHERE c.reporter_key = $1 AND c.data_unit = $2 \
             UNION ALL SELECT e.hash FROM report_chains c JOIN exported_reports e \
             ON e.report_chain_id = c.id AND e.sequence = $3 \
             WHERE c.reporter_key = $1 AND c.data_unit = $2",
        )
        .bind(chain.reporter_key.as_slice())
        .bind(chain.data_unit as i64)
        .bind(sequence as i64)
        .fetch_optional(&mut **c)
        .await?
    });
    hash.map(|h| {
        let row = format!("data_unit={} sequence={sequence}", chain.data_unit);
        crate::rows::At {
            table: "reports",
            row: &row,
        }
        .bytes32("hash", &h)
        .map(ReportHash)
    })
    .transpose()
}
