//! The SQLite backend: one file, WAL journal, `synchronous = FULL` so that a commit is on disk
//! before it returns, one writer connection (SQLite has one writer anyway) and a pool of readers.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use foldhash::HashMap;
use sla_protocol::{ReportHash, SignedReport, VerifiedReport};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::Mutex;
use tracing::instrument;

use crate::acceptance::{ChainKey, Clock, Outcome, Plan};
use crate::context::{judge_batch, plan_chain_ids, ContextSource, WriterCache};
use crate::error::{is_unique_violation, Result, RACE_RETRIES};
use crate::rows::{
    hash32, AckRow, AllocationRow, EquivocationRow, KeyRow, ReportRow, StateRow,
    ALLOCATION_COLUMNS, HEAD_COLUMNS, REPORT_COLUMNS,
};
use crate::types::{Ack, Allocation, ReporterKey, ReporterState, ReporterStatus, StoredReport};
use crate::{ReportQuery, ReportStore};

/// SQLite allows 32766 bound parameters per statement; chunks stay well below it.
const MAX_CHUNK_ROWS: usize = 512;

/// The indexed expression reports are found by (migration 0007): the hash's first 8 bytes.
const HASH_PREFIX: &str = "substr(hash, 1, 8)";

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pub(crate) writer: SqlitePool,
    pub(crate) readers: SqlitePool,
    cache: Arc<Mutex<WriterCache>>,
    /// The group commit's own connection, taken out of the writer pool for good (`detach`) and
    /// reused by every commit: a pooled connection is pinged on its way back to the pool, a
    /// round trip through the connection's thread that cost 0.3-3 ms of each ~10 ms commit
    /// under load. Empty until the first commit and after a failed one (a fresh connection is
    /// then opened). The `cache` lock serializes its users.
    ingest_connection: Arc<std::sync::Mutex<Option<SqliteConnection>>>,
}

impl SqliteStorage {
    /// Opens (creating if missing) the database file and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: the WAL is fsynced at every commit, so an acknowledged report survives a
            // crash of the process or of the machine.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // 4 KiB pages for new files (an existing file keeps its own): with the lean report
            // indexes of migration 0007, 1 KiB pages cost ~40 % more writer time per report.
            .page_size(4096)
            // Statement journals in memory, not in temporary files.
            .pragma("temp_store", "memory");
        // Checkpoints run in the background (below), not inside the commits of the writer.
        // 4 MiB of cache holds the writer's working set (index interiors and the chains' newest
        // leaves). Kept small on purpose: a commit that split a B-tree page ends with a scan of
        // the whole page-cache hash table (SQLite rekeys pages through the lock-byte page
        // number), measured at 7 % of the server's CPU with a 64 MiB cache.
        let writer = open_pool(
            SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false),
            options
                .clone()
                .pragma("wal_autocheckpoint", "0")
                .pragma("cache_size", "-4096"),
        )
        .await?;
        migrate(&writer).await?;
        let readers = open_pool(
            SqlitePoolOptions::new().max_connections(4),
            options
                .clone()
                .read_only(true)
                .pragma("cache_size", "-16384"),
        )
        .await?;
        // The checkpointer opens with the full busy timeout like every connection; only the
        // checkpoints it runs afterwards give up quickly.
        let checkpointer = open_pool(
            SqlitePoolOptions::new()
                .max_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        sqlx::Executor::execute(&mut *conn, "PRAGMA busy_timeout = 50").await?;
                        Ok(())
                    })
                }),
            options,
        )
        .await?;
        let cache = Arc::<Mutex<WriterCache>>::default();
        tokio::spawn(checkpoint_in_background(
            checkpointer,
            writer.clone(),
            cache.clone(),
        ));
        Ok(SqliteStorage {
            writer,
            readers,
            cache,
            ingest_connection: Arc::default(),
        })
    }

    async fn ingest_once(
        &self,
        cache: &mut WriterCache,
        batch: &[VerifiedReport],
        clock: Clock,
    ) -> Result<(Plan, HashMap<ChainKey, i64>)> {
        // IMMEDIATE: take the write lock first, waiting up to the busy timeout, rather than
        // reading under a deferred transaction whose upgrade to writing fails at once when
        // another process (the oracle) writes the same file meanwhile.
        let kept = self.ingest_connection().take();
        let mut connection = match kept {
            Some(connection) => connection,
            None => self.writer.acquire().await?.detach(),
        };
        let mut tx = connection.begin_with("BEGIN IMMEDIATE").await?;
        let plan = judge_batch(&mut SqliteSource(&mut tx), cache, batch, clock).await?;
        let chain_ids = plan_chain_ids(&mut SqliteSource(&mut tx), cache, batch, &plan).await?;
        write_plan(&mut tx, batch, &plan, &chain_ids, clock).await?;
        tx.commit().await?;
        // Kept only after a commit: after an error the connection is dropped (closed, with
        // whatever it was doing rolled back) and the next commit opens a fresh one.
        *self.ingest_connection() = Some(connection);
        Ok((plan, chain_ids))
    }

    fn ingest_connection(&self) -> std::sync::MutexGuard<'_, Option<SqliteConnection>> {
        self.ingest_connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Opens a pool, retrying while another process is opening the same new file: a connection
/// that switches the file to WAL mode while another holds a lock on it gets "database is locked"
/// at once, without waiting the busy timeout (seen when the ingest API and the oracle start
/// together on a new file).
async fn open_pool(pool: SqlitePoolOptions, options: SqliteConnectOptions) -> Result<SqlitePool> {
    let mut attempt = 0u64;
    loop {
        match pool.clone().connect_with(options.clone()).await {
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("5") && attempt < 20 => {
                attempt += 1;
                tracing::debug!(attempt, "database file locked while opening; retrying");
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
            }
            other => return Ok(other?),
        }
    }
}

/// Runs the migrations. SQLite has no migration lock across processes (the ingest API and the
/// oracle may open one file at the same moment): each migration runs in its own transaction, so
/// the loser of a race fails cleanly and simply finds it applied on the next attempt.
async fn migrate(writer: &SqlitePool) -> Result<()> {
    let mut attempt = 0;
    loop {
        match sqlx::migrate!("../migrations/sqlite").run(writer).await {
            Ok(()) => return Ok(()),
            Err(err) if attempt < 5 => {
                attempt += 1;
                tracing::debug!(error = %err, attempt, "migration raced another process; retrying");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// Copies committed WAL frames into the database file every `CHECKPOINT_EVERY`, so that the
/// writer's commits do not pay for it; stops when the writer closes.
///
/// A PASSIVE checkpoint never waits, but under a steady stream of commits it never catches up
/// with the writer, and SQLite rewinds the WAL to its start only after a checkpoint has copied
/// every frame: the file grew without bound (measured: 385 MB after 1.9 M records) and every
/// commit paid for allocating and zeroing new blocks. So once the WAL holds more than
/// `RESTART_AFTER_BYTES` of pages, a RESTART checkpoint follows the PASSIVE one, holding the group
/// committer's lock (`writer_turn`) so that it is not starved by back-to-back commits: it copies
/// the frames committed since the PASSIVE one, waits for readers to leave the WAL, and the next
/// commit starts the WAL over. The checkpointer's busy timeout is short, so a slow reader or
/// another process's write postpones the rewind instead of stalling the committer.
async fn checkpoint_in_background(
    checkpointer: SqlitePool,
    writer: SqlitePool,
    writer_turn: Arc<Mutex<WriterCache>>,
) {
    const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
    const RESTART_AFTER_BYTES: i64 = 8 << 20;
    let page_size: i64 = match sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(&checkpointer)
        .await
    {
        Ok(size) => size,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the page size; assuming 4 KiB");
            4096
        }
    };
    let restart_after_frames = RESTART_AFTER_BYTES / page_size.max(512);
    while !writer.is_closed() {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        let passive = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&checkpointer)
            .await;
        let result = match passive {
            Ok((_, log_frames, _)) if log_frames > restart_after_frames => {
                let _turn = writer_turn.lock().await;
                sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                    .execute(&checkpointer)
                    .await
                    .map(drop)
            }
            other => other.map(drop),
        };
        if let Err(err) = result {
            tracing::warn!(error = %err, "background WAL checkpoint failed");
        }
    }
    checkpointer.close().await;
}

fn placeholders(n: usize) -> String {
    let mut s = "?,".repeat(n);
    s.pop();
    s
}

/// Splits `n` rows into power-of-two chunks so that only a handful of distinct statements are
/// ever prepared (and cached) per table.
fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = MAX_CHUNK_ROWS.min(1 << n.ilog2());
        n -= size;
        Some(size)
    })
}

/// The context reads of one SQLite transaction.
struct SqliteSource<'a, 'c>(&'a mut Transaction<'c, Sqlite>);

#[async_trait]
impl ContextSource for SqliteSource<'_, '_> {
    async fn mirror_version(&mut self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT version FROM mirror_version WHERE id = 1")
                .fetch_one(&mut **self.0)
                .await?,
        )
    }

    async fn allocations(&mut self, ids: &[u64]) -> Result<Vec<Allocation>> {
        let sql = format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE data_unit IN ({})",
            placeholders(ids.len())
        );
        let mut query = sqlx::query_as::<_, AllocationRow>(&sql);
        for id in ids {
            query = query.bind(*id as i64);
        }
        let rows = query.fetch_all(&mut **self.0).await?;
        rows.into_iter().map(AllocationRow::into_domain).collect()
    }

    async fn keys(&mut self, keys: &[[u8; 32]]) -> Result<Vec<ReporterKey>> {
        let sql = format!(
            "SELECT public_key, account, valid_from_ms, valid_until_ms FROM reporter_keys \
             WHERE public_key IN ({})",
            placeholders(keys.len())
        );
        let mut query = sqlx::query_as::<_, KeyRow>(&sql);
        for key in keys {
            query = query.bind(key.as_slice());
        }
        let rows = query.fetch_all(&mut **self.0).await?;
        rows.into_iter().map(KeyRow::into_domain).collect()
    }

    async fn heads(&mut self, chains: &[ChainKey]) -> Result<Vec<(ChainKey, ReporterState)>> {
        let sql = format!(
            "WITH q(k, d) AS (VALUES {}) SELECT {HEAD_COLUMNS} FROM q \
             JOIN chains c ON c.data_unit = q.d AND c.reporter_key = q.k \
             JOIN reports r ON r.chain_id = c.id AND r.sequence = \
             (SELECT MAX(sequence) FROM reports m WHERE m.chain_id = c.id)",
            vec!["(?,?)"; chains.len()].join(",")
        );
        let mut query = sqlx::query_as::<_, StateRow>(&sql);
        for (key, du) in chains {
            query = query.bind(key.as_slice()).bind(*du as i64);
        }
        let rows = query.fetch_all(&mut **self.0).await?;
        rows.into_iter()
            .map(|row| {
                Ok((
                    (
                        hash32(&row.reporter_key, "reporter_state")?,
                        row.data_unit as u64,
                    ),
                    row.state()?,
                ))
            })
            .collect()
    }

    async fn stored_acks(&mut self, hashes: &[ReportHash]) -> Result<Vec<Ack>> {
        let sql = format!(
            "SELECT hash, data_unit, sequence, received_at_ms FROM reports \
             WHERE {HASH_PREFIX} IN ({0}) AND hash IN ({0})",
            placeholders(hashes.len())
        );
        let mut query = sqlx::query_as::<_, AckRow>(&sql);
        for hash in hashes {
            query = query.bind(&hash.0[..8]);
        }
        for hash in hashes {
            query = query.bind(hash.0.as_slice());
        }
        let rows = query.fetch_all(&mut **self.0).await?;
        rows.into_iter().map(AckRow::into_domain).collect()
    }

    async fn stored_hash_at(
        &mut self,
        chain: ChainKey,
        sequence: u64,
    ) -> Result<Option<ReportHash>> {
        let hash: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT r.hash FROM chains c JOIN reports r ON r.chain_id = c.id AND r.sequence = ? \
             WHERE c.reporter_key = ? AND c.data_unit = ?",
        )
        .bind(sequence as i64)
        .bind(chain.0.as_slice())
        .bind(chain.1 as i64)
        .fetch_optional(&mut **self.0)
        .await?;
        hash.map(|h| Ok(ReportHash(hash32(&h, "reports.hash")?)))
            .transpose()
    }

    async fn chain_ids(&mut self, chains: &[ChainKey]) -> Result<Vec<(ChainKey, i64)>> {
        let mut found = Vec::with_capacity(chains.len());
        for chunk in chains.chunks(MAX_CHUNK_ROWS) {
            let sql = format!(
                "WITH q(k, d) AS (VALUES {}) SELECT c.reporter_key, c.data_unit, c.id FROM q \
                 JOIN chains c ON c.data_unit = q.d AND c.reporter_key = q.k",
                vec!["(?,?)"; chunk.len()].join(",")
            );
            let mut query = sqlx::query_as::<_, (Vec<u8>, i64, i64)>(&sql);
            for (key, du) in chunk {
                query = query.bind(key.as_slice()).bind(*du as i64);
            }
            for (key, du, id) in query.fetch_all(&mut **self.0).await? {
                found.push(((hash32(&key, "chains.reporter_key")?, du as u64), id));
            }
        }
        Ok(found)
    }

    async fn create_chains(&mut self, chains: &[ChainKey]) -> Result<()> {
        for chunk in chains.chunks(MAX_CHUNK_ROWS) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT OR IGNORE INTO chains (data_unit, reporter_key) ",
            );
            qb.push_values(chunk, |mut b, (key, du)| {
                b.push_bind(*du as i64).push_bind(key.as_slice());
            });
            qb.build().execute(&mut **self.0).await?;
        }
        Ok(())
    }
}

async fn write_plan(
    tx: &mut Transaction<'_, Sqlite>,
    batch: &[VerifiedReport],
    plan: &Plan,
    chain_ids: &HashMap<ChainKey, i64>,
    clock: Clock,
) -> Result<()> {
    let now = clock.now_ms as i64;
    if !plan.inserts.is_empty() {
        let first_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM reports")
            .fetch_one(&mut **tx)
            .await?;
        let inserts: Vec<(i64, &VerifiedReport)> = plan
            .inserts
            .iter()
            .enumerate()
            .map(|(n, &index)| (first_id + n as i64, &batch[index]))
            .collect();
        let records: Vec<(i64, &VerifiedReport, &sla_protocol::QosRecord)> = inserts
            .iter()
            .flat_map(|(id, v)| v.report.records.iter().map(move |rec| (*id, *v, rec)))
            .collect();
        let statements = chunks(&inserts)
            .map(|chunk| insert_reports(chunk, chain_ids, now))
            .chain(chunks(&records).map(insert_records));
        execute_pipelined(tx, statements).await?;
    }
    for (index, accepted_hash) in &plan.equivocations {
        let v = &batch[*index];
        sqlx::query(
            "INSERT OR IGNORE INTO equivocations (hash, reporter_key, data_unit, sequence, \
             accepted_hash, payload, signature, received_at_ms) VALUES (?,?,?,?,?,?,?,?)",
        )
        .bind(v.hash.0.as_slice())
        .bind(v.report.reporter_key.as_slice())
        .bind(v.report.data_unit as i64)
        .bind(v.report.sequence as i64)
        .bind(accepted_hash.0.as_slice())
        .bind(v.signed.payload.as_slice())
        .bind(v.signed.signature.as_slice())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Runs the statements in order, building each one while the writer thread executes the one
/// before: encoding a statement's arguments costs the calling thread about half as much CPU as
/// executing it costs SQLite's (with 100-record reports), and done in turn the two added up on
/// the commit's critical path while a core idled.
async fn execute_pipelined<'a>(
    tx: &mut Transaction<'_, Sqlite>,
    mut statements: impl Iterator<Item = QueryBuilder<'a, Sqlite>>,
) -> Result<()> {
    let mut current = statements.next();
    while let Some(mut statement) = current {
        // `join!` polls the statement first, which hands it to the writer thread; the next one
        // is then built on this thread while the writer works.
        let (executed, next) = tokio::join!(statement.build().execute(&mut **tx), async {
            statements.next()
        });
        executed?;
        current = next;
    }
    Ok(())
}

/// Splits rows into statement-sized chunks (see `chunk_sizes`).
fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    chunk_sizes(rows.len()).map(move |size| {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        chunk
    })
}

fn insert_reports<'a>(
    chunk: &'a [(i64, &'a VerifiedReport)],
    chain_ids: &HashMap<ChainKey, i64>,
    now: i64,
) -> QueryBuilder<'a, Sqlite> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO reports (id, chain_id, hash, reporter_key, role, data_unit, sequence, \
         period_start_ms, period_end_ms, record_count, payload, signature, received_at_ms) ",
    );
    qb.push_values(chunk, |mut b, (id, v)| {
        let r = &v.report;
        b.push_bind(*id)
            .push_bind(chain_ids[&(r.reporter_key, r.data_unit)])
            .push_bind(v.hash.0.as_slice())
            .push_bind(r.reporter_key.as_slice())
            .push_bind(r.role.tag() as i64)
            .push_bind(r.data_unit as i64)
            .push_bind(r.sequence as i64)
            .push_bind(r.period_start_ms as i64)
            .push_bind(r.period_end_ms as i64)
            .push_bind(r.records.len() as i64)
            .push_bind(v.signed.payload.as_slice())
            .push_bind(v.signed.signature.as_slice())
            .push_bind(now);
    });
    qb
}

fn insert_records<'a>(
    chunk: &'a [(i64, &'a VerifiedReport, &'a sla_protocol::QosRecord)],
) -> QueryBuilder<'a, Sqlite> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO records (report_id, data_unit, role, timestamp_ms, operation, \
         custom_name, custom_value, latency_us, bytes, throughput_bps, object_size, \
         success, error_code, error_detail) ",
    );
    qb.push_values(chunk, |mut b, (id, v, rec)| {
        let (name, value) = match &rec.operation {
            sla_protocol::Operation::Custom { name, value } => (Some(name.as_str()), Some(*value)),
            _ => (None, None),
        };
        b.push_bind(*id)
            .push_bind(v.report.data_unit as i64)
            .push_bind(v.report.role.tag() as i64)
            .push_bind(rec.timestamp_ms as i64)
            .push_bind(rec.operation.tag() as i64)
            .push_bind(name)
            .push_bind(value)
            .push_bind(rec.latency_us as i64)
            .push_bind(rec.bytes as i64)
            .push_bind(rec.throughput_bps as i64)
            .push_bind(rec.object_size as i64)
            .push_bind(rec.success)
            .push_bind(rec.error_code as i64)
            .push_bind(rec.error_detail.as_str());
    });
    qb
}

#[async_trait]
impl ReportStore for SqliteStorage {
    #[instrument(skip_all, fields(batch = batch.len()))]
    async fn ingest(&self, batch: &[VerifiedReport], clock: Clock) -> Result<Vec<Outcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut cache = self.cache.lock().await;
        let mut attempt = 0;
        loop {
            match self.ingest_once(&mut cache, batch, clock).await {
                Ok((plan, chain_ids)) => {
                    cache.committed(&plan, chain_ids);
                    return Ok(plan.outcomes);
                }
                Err(err) => {
                    cache.failed(batch);
                    // Another process advanced a chain meanwhile: judge again with fresh heads.
                    if !is_unique_violation(&err) || attempt == RACE_RETRIES {
                        return Err(err);
                    }
                    attempt += 1;
                }
            }
        }
    }

    #[instrument(skip_all)]
    async fn report_by_hash(&self, hash: &ReportHash) -> Result<Option<StoredReport>> {
        let sql =
            format!("SELECT {REPORT_COLUMNS} FROM reports WHERE {HASH_PREFIX} = ? AND hash = ?");
        sqlx::query_as::<_, ReportRow>(&sql)
            .bind(&hash.0[..8])
            .bind(hash.0.as_slice())
            .fetch_optional(&self.readers)
            .await?
            .map(ReportRow::into_domain)
            .transpose()
    }

    #[instrument(skip_all)]
    async fn reports_of_data_unit(&self, q: &ReportQuery) -> Result<Vec<StoredReport>> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports \
             WHERE chain_id IN (SELECT id FROM chains WHERE data_unit = ?) AND period_end_ms > ? \
             AND period_start_ms < ? AND id > ? ORDER BY id LIMIT ?"
        );
        sqlx::query_as::<_, ReportRow>(&sql)
            .bind(q.data_unit as i64)
            .bind(q.from_ms as i64)
            .bind(q.to_ms.min(i64::MAX as u64) as i64)
            .bind(q.after_id)
            .bind(q.limit as i64)
            .fetch_all(&self.readers)
            .await?
            .into_iter()
            .map(ReportRow::into_domain)
            .collect()
    }

    #[instrument(skip_all)]
    async fn reporter_status(
        &self,
        key: &[u8; 32],
        data_unit: u64,
    ) -> Result<Option<ReporterStatus>> {
        let sql = format!(
            "SELECT {HEAD_COLUMNS} FROM chains c JOIN reports r ON r.chain_id = c.id \
             WHERE c.reporter_key = ? AND c.data_unit = ? ORDER BY r.sequence DESC LIMIT 1"
        );
        let row = sqlx::query_as::<_, StateRow>(&sql)
            .bind(key.as_slice())
            .bind(data_unit as i64)
            .fetch_optional(&self.readers)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let interval: Option<i64> =
            sqlx::query_scalar("SELECT reporting_interval_ms FROM allocations WHERE data_unit = ?")
                .bind(data_unit as i64)
                .fetch_optional(&self.readers)
                .await?;
        row.into_status(interval.unwrap_or(0) as u64).map(Some)
    }

    #[instrument(skip_all)]
    async fn equivocations(
        &self,
        key: &[u8; 32],
        data_unit: u64,
    ) -> Result<Vec<(u64, ReportHash, SignedReport)>> {
        sqlx::query_as::<_, EquivocationRow>(
            "SELECT sequence, accepted_hash, payload, signature FROM equivocations \
             WHERE reporter_key = ? AND data_unit = ? ORDER BY sequence, received_at_ms",
        )
        .bind(key.as_slice())
        .bind(data_unit as i64)
        .fetch_all(&self.readers)
        .await?
        .into_iter()
        .map(EquivocationRow::into_domain)
        .collect()
    }

    #[instrument(skip_all)]
    async fn upsert_allocation(&self, a: &Allocation) -> Result<()> {
        sqlx::query(
            "INSERT INTO allocations (data_unit, consumer, provider, status, \
             reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms) \
             VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (data_unit) DO UPDATE SET \
             consumer = excluded.consumer, provider = excluded.provider, status = excluded.status, \
             reporting_interval_ms = excluded.reporting_interval_ms, \
             terms_hash = excluded.terms_hash, terms_json = excluded.terms_json, \
             active_from_ms = excluded.active_from_ms, closed_at_ms = excluded.closed_at_ms",
        )
        .bind(a.data_unit as i64)
        .bind(a.consumer.to_ascii_lowercase())
        .bind(a.provider.to_ascii_lowercase())
        .bind(a.status.as_str())
        .bind(a.reporting_interval_ms as i64)
        .bind(a.terms_hash.as_slice())
        .bind(&a.terms_json)
        .bind(a.active_from_ms as i64)
        .bind(a.closed_at_ms.map(|v| v as i64))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn upsert_reporter_key(&self, k: &ReporterKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO reporter_keys (public_key, account, valid_from_ms, valid_until_ms) \
             VALUES (?,?,?,?) ON CONFLICT (public_key) DO UPDATE SET account = excluded.account, \
             valid_from_ms = excluded.valid_from_ms, valid_until_ms = excluded.valid_until_ms",
        )
        .bind(k.public_key.as_slice())
        .bind(k.account.to_ascii_lowercase())
        .bind(k.valid_from_ms as i64)
        .bind(k.valid_until_ms.map(|v| v as i64))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn bind_deployment(&self, deployment: &sla_protocol::Deployment) -> Result<()> {
        sqlx::query(crate::binding::INSERT)
            .bind(deployment.chain_id as i64)
            .bind(deployment.contract.as_slice())
            .execute(&self.writer)
            .await?;
        let recorded = sqlx::query_as(crate::binding::SELECT)
            .fetch_one(&self.writer)
            .await?;
        crate::binding::check(recorded, deployment)
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    async fn counts(&self) -> Result<(u64, u64, u64)> {
        let (a, b, c): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM records), \
             (SELECT COUNT(*) FROM equivocations)",
        )
        .fetch_one(&self.readers)
        .await?;
        Ok((a as u64, b as u64, c as u64))
    }

    async fn close(&self) {
        let kept = self.ingest_connection().take();
        if let Some(connection) = kept {
            if let Err(err) = connection.close().await {
                tracing::warn!(error = %err, "closing the group commit's connection failed");
            }
        }
        self.writer.close().await;
        self.readers.close().await;
    }
}
