//! The group commit's transaction on either backend, and the one write whose form differs between
//! them: a batch of reports with their records (multi-row `INSERT` on SQLite, binary `COPY` under
//! the id lock on PostgreSQL).

use sla_protocol::VerifiedReport;
use sqlx::{Postgres, Transaction};

use super::sqlite::SqliteIngestTx;
use super::{postgres, sqlite, Backend, Conn};
use crate::error::Result;

/// The group commit's transaction on either backend.
pub(crate) enum IngestTx {
    Sqlite(SqliteIngestTx),
    Postgres(Transaction<'static, Postgres>),
}

/// A report to insert, with the id of its report chain's row.
pub(crate) struct NewReport<'a> {
    pub(crate) report_chain_id: i64,
    pub(crate) verified: &'a VerifiedReport,
    /// When it arrived, Unix ms: this server's clock, or for a report another node of the
    /// committee served, the arrival the exchange settled on (docs/committee.md).
    pub(crate) received_at_ms: i64,
}

impl IngestTx {
    /// Begins the group commit's transaction (on SQLite, on the one writing connection).
    pub(crate) async fn begin(backend: &Backend) -> Result<IngestTx> {
        Ok(match backend {
            Backend::Sqlite(b) => IngestTx::Sqlite(b.begin_ingest().await?),
            Backend::Postgres(b) => IngestTx::Postgres(b.pool.begin().await?),
        })
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            IngestTx::Sqlite(t) => Conn::Sqlite(t.conn()),
            IngestTx::Postgres(t) => Conn::Postgres(t),
        }
    }

    /// Inserts `reports` and their records in the backend's bulk form.
    pub(crate) async fn insert_reports(&mut self, reports: &[NewReport<'_>]) -> Result<()> {
        match self {
            IngestTx::Sqlite(t) => sqlite::insert_reports(t.conn(), reports).await,
            IngestTx::Postgres(t) => postgres::insert_reports(t, reports).await,
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            IngestTx::Sqlite(t) => t.commit().await,
            IngestTx::Postgres(t) => Ok(t.commit().await?),
        }
    }
}
