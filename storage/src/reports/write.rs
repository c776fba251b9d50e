//! Writing a judged batch: the report chains its reports extend (created on first use), the
//! reports and their records (each backend's bulk form), and equivocation evidence, all inside
//! the batch's transaction.

use std::collections::BTreeSet;

use foldhash::{HashMap, HashMapExt, HashSet};
use sla_protocol::acceptance::{Plan, ReportChain};
use sla_protocol::VerifiedReport;

use crate::backend::{chunks, on_conn, row_placeholders, Conn, IngestTx, NewReport};
use crate::error::{corrupt, Result};

/// When the reports of a batch arrived.
#[derive(Debug, Clone, Copy)]
pub(super) struct Arrivals<'a> {
    /// The writer's clock: the arrival of every report, unless `each` says otherwise, and the
    /// time equivocation evidence is kept at.
    pub now_ms: u64,
    /// Each report's own arrival, in batch order (reports another node served).
    pub each: Option<&'a [u64]>,
}

impl Arrivals<'_> {
    fn of(&self, index: usize) -> i64 {
        self.each.map_or(self.now_ms, |each| each[index]) as i64
    }
}

/// Writes what `plan` says, each report stamped with its arrival. Returns the ids of the report
/// chains the inserts use, for the cache once the transaction has committed.
pub(super) async fn write_plan(
    tx: &mut IngestTx,
    cached_ids: &HashMap<ReportChain, i64>,
    batch: &[VerifiedReport],
    plan: &Plan,
    arrivals: Arrivals<'_>,
) -> Result<HashMap<ReportChain, i64>> {
    let now = arrivals.now_ms as i64;
    let chain_ids = report_chain_ids(&mut tx.conn(), cached_ids, batch, plan).await?;
    if !plan.inserts.is_empty() {
        let reports: Vec<NewReport<'_>> = plan
            .inserts
            .iter()
            .map(|&index| {
                let verified = &batch[index];
                NewReport {
                    report_chain_id: chain_ids[&ReportChain::of(&verified.report)],
                    verified,
                    received_at_ms: arrivals.of(index),
                }
            })
            .collect();
        tx.insert_reports(&reports).await?;
    }
    for (index, accepted_hash) in &plan.equivocations {
        let v = &batch[*index];
        on_conn!(tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO equivocations (hash, reporter_key, data_unit, sequence, \
                 accepted_hash, payload, signature, received_at_ms) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (hash) DO NOTHING",
            )
            .bind(v.hash.0.as_slice())
            .bind(v.report.reporter_key.as_slice())
            .bind(v.report.data_unit as i64)
            .bind(v.report.sequence as i64)
            .bind(accepted_hash.0.as_slice())
            .bind(v.signed.payload.as_slice())
            .bind(v.signed.signature.as_slice())
            .bind(now)
            .execute(c)
            .await?;
        });
    }
    Ok(chain_ids)
}

/// The `report_chains` ids of the chains that `plan` inserts reports into: cached, looked up, or
/// created in the plan's transaction.
async fn report_chain_ids(
    conn: &mut Conn<'_>,
    cached: &HashMap<ReportChain, i64>,
    batch: &[VerifiedReport],
    plan: &Plan,
) -> Result<HashMap<ReportChain, i64>> {
    let mut ids = HashMap::new();
    let mut missing = BTreeSet::new();
    for &index in &plan.inserts {
        let chain = ReportChain::of(&batch[index].report);
        match cached.get(&chain) {
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
    let missing: Vec<ReportChain> = missing.into_iter().collect();
    let found = lookup_report_chains(conn, &missing).await?;
    if found.len() < missing.len() {
        let known: HashSet<ReportChain> = found.iter().map(|(chain, _)| *chain).collect();
        let new: Vec<ReportChain> = missing
            .iter()
            .filter(|chain| !known.contains(*chain))
            .copied()
            .collect();
        create_report_chains(conn, &new).await?;
        ids.extend(lookup_report_chains(conn, &new).await?);
    }
    ids.extend(found);
    if ids.len() != plan.new_heads.len() {
        return Err(corrupt(
            "report_chains",
            "created in this transaction",
            "a row was not found after it was created",
        ));
    }
    Ok(ids)
}

async fn lookup_report_chains(
    conn: &mut Conn<'_>,
    chains: &[ReportChain],
) -> Result<Vec<(ReportChain, i64)>> {
    let mut found = Vec::with_capacity(chains.len());
    for chunk in chunks(chains) {
        let sql = format!(
            "WITH q(k, d) AS (VALUES {}) SELECT c.reporter_key, c.data_unit, c.id FROM q \
             JOIN report_chains c ON c.data_unit = q.d AND c.reporter_key = q.k",
            row_placeholders(chunk.len(), 2)
        );
        let rows: Vec<(Vec<u8>, i64, i64)> = on_conn!(conn, |c| {
            let mut query = sqlx::query_as(&sql);
            for chain in chunk {
                query = query
                    .bind(chain.reporter_key.as_slice())
                    .bind(chain.data_unit as i64);
            }
            query.fetch_all(&mut **c).await?
        });
        for (key, data_unit, id) in rows {
            let reporter_key = key.as_slice().try_into().map_err(|_| {
                corrupt(
                    "report_chains",
                    format!("id={id}"),
                    "reporter_key is not 32 bytes",
                )
            })?;
            let chain = ReportChain {
                reporter_key,
                data_unit: data_unit as u64,
            };
            found.push((chain, id));
        }
    }
    Ok(found)
}

/// Adds rows for `chains`, skipping any that exist: another replica may create the same chain
/// at the same moment (on PostgreSQL the conflict waits for its transaction and skips the row,
/// and the lookup that follows sees it).
async fn create_report_chains(conn: &mut Conn<'_>, chains: &[ReportChain]) -> Result<()> {
    for chunk in chunks(chains) {
        let sql = format!(
            "INSERT INTO report_chains (data_unit, reporter_key) VALUES {} \
             ON CONFLICT (data_unit, reporter_key) DO NOTHING",
            row_placeholders(chunk.len(), 2)
        );
        on_conn!(conn, |c| {
            let mut query = sqlx::query(&sql);
            for chain in chunk {
                query = query
                    .bind(chain.data_unit as i64)
                    .bind(chain.reporter_key.as_slice());
            }
            query.execute(&mut **c).await?;
        });
    }
    Ok(())
}
