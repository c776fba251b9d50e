//! SQLite: one file, WAL journal, `synchronous = FULL` so that a commit is on disk before it
//! returns, one writer connection (SQLite has one writer anyway), a pool of readers, checkpoints
//! in the background, and the group commit's own connection.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sla_protocol::{Operation, QosRecord};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Executor, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::chunks;
use super::NewReport;
use crate::error::Result;

/// An open SQLite database.
#[derive(Debug)]
pub(crate) struct SqliteBackend {
    pub(crate) writer: SqlitePool,
    pub(crate) readers: SqlitePool,
    /// The group commit's own connection, taken out of the writer pool for good (`detach`) and
    /// reused by every commit: a pooled connection is pinged on its way back to the pool, a
    /// round trip through the connection's thread that cost 0.3-3 ms of each ~10 ms commit
    /// under load. Empty until the first commit and after a failed one (a fresh connection is
    /// then opened). Its lock is also the writer's turn that the checkpointer takes before it
    /// rewinds the WAL.
    ingest_connection: Arc<Mutex<Option<SqliteConnection>>>,
}

impl SqliteBackend {
    /// Opens (creating if missing) the database file and runs the migrations.
    pub(crate) async fn connect(url: &str) -> Result<Self> {
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
        // 4 MiB of cache holds the writer's working set (index interiors and the report chains'
        // newest leaves). Kept small on purpose: a commit that split a B-tree page ends with a
        // scan of the whole page-cache hash table (SQLite rekeys pages through the lock-byte page
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
                        conn.execute("PRAGMA busy_timeout = 50").await?;
                        Ok(())
                    })
                }),
            options,
        )
        .await?;
        let ingest_connection = Arc::<Mutex<Option<SqliteConnection>>>::default();
        tokio::spawn(checkpoint_in_background(
            checkpointer,
            writer.clone(),
            ingest_connection.clone(),
        ));
        Ok(SqliteBackend {
            writer,
            readers,
            ingest_connection,
        })
    }

    /// Begins the group commit's transaction on its own connection, taking the write lock first
    /// (`BEGIN IMMEDIATE`, waiting up to the busy timeout) rather than reading under a deferred
    /// transaction whose upgrade to writing fails at once when another process (the oracle)
    /// writes the same file meanwhile.
    pub(crate) async fn begin_ingest(&self) -> Result<SqliteIngestTx> {
        let mut slot = self.ingest_connection.clone().lock_owned().await;
        let mut conn = match slot.take() {
            Some(conn) => conn,
            None => self.writer.acquire().await?.detach(),
        };
        conn.execute("BEGIN IMMEDIATE").await?;
        Ok(SqliteIngestTx { slot, conn })
    }

    pub(crate) async fn close(&self) {
        let kept = self.ingest_connection.lock().await.take();
        if let Some(connection) = kept {
            if let Err(err) = connection.close().await {
                tracing::warn!(error = %err, "closing the group commit's connection failed");
            }
        }
        self.writer.close().await;
        self.readers.close().await;
    }
}

/// The group commit's transaction. Dropped without [`SqliteIngestTx::commit`], its connection is
/// closed (which rolls the transaction back) and the next one opens a fresh connection.
pub(crate) struct SqliteIngestTx {
    slot: OwnedMutexGuard<Option<SqliteConnection>>,
    conn: SqliteConnection,
}

impl SqliteIngestTx {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }

    /// Commits, and keeps the connection for the next commit.
    pub(crate) async fn commit(self) -> Result<()> {
        let SqliteIngestTx { mut slot, mut conn } = self;
        conn.execute("COMMIT").await?;
        *slot = Some(conn);
        Ok(())
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
/// commit's connection (`writer_turn`) so that it is not starved by back-to-back commits: it
/// copies the frames committed since the PASSIVE one, waits for readers to leave the WAL, and the
/// next commit starts the WAL over. The checkpointer's busy timeout is short, so a slow reader or
/// another process's write postpones the rewind instead of stalling the committer.
async fn checkpoint_in_background(
    checkpointer: SqlitePool,
    writer: SqlitePool,
    writer_turn: Arc<Mutex<Option<SqliteConnection>>>,
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

/// Writes a plan's reports and their records: ids continue the arrival order (the writer holds
/// the write lock, so nobody else draws one meanwhile), rows go in multi-row `INSERT`s.
pub(crate) async fn insert_reports(
    conn: &mut SqliteConnection,
    reports: &[NewReport<'_>],
) -> Result<()> {
    let first_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM reports")
        .fetch_one(&mut *conn)
        .await?;
    let numbered: Vec<(i64, &NewReport<'_>)> = reports
        .iter()
        .enumerate()
        .map(|(n, r)| (first_id + n as i64, r))
        .collect();
    let records: Vec<(i64, &NewReport<'_>, &QosRecord)> = numbered
        .iter()
        .flat_map(|(id, r)| {
            r.verified
                .report
                .records
                .iter()
                .map(move |rec| (*id, *r, rec))
        })
        .collect();
    let statements = chunks(&numbered)
        .map(insert_report_rows)
        .chain(chunks(&records).map(insert_record_rows));
    execute_pipelined(conn, statements).await
}

/// Runs the statements in order, building each one while the writer thread executes the one
/// before: encoding a statement's arguments costs the calling thread about half as much CPU as
/// executing it costs SQLite's (with 100-record reports), and done in turn the two added up on
/// the commit's critical path while a core idled.
async fn execute_pipelined<'a>(
    conn: &mut SqliteConnection,
    mut statements: impl Iterator<Item = QueryBuilder<'a, Sqlite>>,
) -> Result<()> {
    let mut current = statements.next();
    while let Some(mut statement) = current {
        // `join!` polls the statement first, which hands it to the writer thread; the next one
        // is then built on this thread while the writer works.
        let (executed, next) = tokio::join!(statement.build().execute(&mut *conn), async {
            statements.next()
        });
        executed?;
        current = next;
    }
    Ok(())
}

fn insert_report_rows<'a>(chunk: &'a [(i64, &'a NewReport<'a>)]) -> QueryBuilder<'a, Sqlite> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO reports (id, report_chain_id, hash, reporter_key, role, data_unit, \
         sequence, period_start_ms, period_end_ms, record_count, payload, signature, \
         received_at_ms) ",
    );
    qb.push_values(chunk, |mut b, (id, new)| {
        let (v, r) = (new.verified, &new.verified.report);
        b.push_bind(*id)
            .push_bind(new.report_chain_id)
            .push_bind(v.hash.0.as_slice())
            .push_bind(r.reporter_key.as_slice())
            .push_bind(i64::from(r.role.tag()))
            .push_bind(r.data_unit as i64)
            .push_bind(r.sequence as i64)
            .push_bind(r.period_start_ms as i64)
            .push_bind(r.period_end_ms as i64)
            .push_bind(r.records.len() as i64)
            .push_bind(v.signed.payload.as_slice())
            .push_bind(v.signed.signature.as_slice())
            .push_bind(new.received_at_ms);
    });
    qb
}

fn insert_record_rows<'a>(
    chunk: &'a [(i64, &'a NewReport<'a>, &'a QosRecord)],
) -> QueryBuilder<'a, Sqlite> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO records (report_id, data_unit, role, timestamp_ms, operation, \
         custom_name, custom_value, latency_us, bytes, throughput_bps, object_size, \
         success, error_code, error_detail) ",
    );
    qb.push_values(chunk, |mut b, (id, new, rec)| {
        let r = &new.verified.report;
        let (name, value) = match &rec.operation {
            Operation::Custom { name, value } => (Some(name.as_str()), Some(*value)),
            _ => (None, None),
        };
        b.push_bind(*id)
            .push_bind(r.data_unit as i64)
            .push_bind(i64::from(r.role.tag()))
            .push_bind(rec.timestamp_ms as i64)
            .push_bind(i64::from(rec.operation.tag()))
            .push_bind(name)
            .push_bind(value)
            .push_bind(rec.latency_us as i64)
            .push_bind(rec.bytes as i64)
            .push_bind(rec.throughput_bps as i64)
            .push_bind(rec.object_size as i64)
            .push_bind(rec.success)
            .push_bind(i64::from(rec.error_code))
            .push_bind(rec.error_detail.as_str());
    });
    qb
}
