//! Durable storage for the SLA oracle: signed reports (raw bytes and parsed fields), their
//! records, equivocation evidence, reporter chain heads, and the allocations and reporter keys
//! mirrored from chain. One [`Storage`] trait, two backends (SQLite, the default, and
//! PostgreSQL) picked from the URL scheme, migrations embedded and run at start-up.
//!
//! The acceptance rules live in [`acceptance`] as a pure function, so both backends judge a
//! batch identically; each backend only loads the context and writes the plan in one
//! transaction, which commits before any report of the batch is acknowledged.

pub mod acceptance;
mod binding;
mod chain;
mod context;
mod error;
mod pg_copy;
mod postgres;
mod rollups;
mod rows;
mod sqlite;
pub mod testing;
mod txs;
pub mod types;

use std::sync::Arc;

use async_trait::async_trait;
use sla_protocol::{ReportHash, VerifiedReport};

pub use acceptance::{Clock, Outcome, Rejection};
pub use chain::ChainStore;
pub use error::{Result, StorageError};
pub use postgres::PostgresStorage;
pub use rollups::{Rollup, RollupStatus, RollupStore, UncountedReport};
pub use sqlite::SqliteStorage;
pub use txs::{OracleTx, TxState, TxStore};
pub use types::*;

/// A page of a data unit's reports, ordered by arrival.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub data_unit: u64,
    /// Reports whose period ends after this (Unix ms).
    pub from_ms: u64,
    /// Reports whose period starts before this (Unix ms).
    pub to_ms: u64,
    /// Only reports with an arrival id greater than this (the previous page's cursor).
    pub after_id: i64,
    pub limit: u32,
}

/// Everything the services need from a database: the reports half ([`ReportStore`]), the
/// mirrored chain state ([`ChainStore`]), the roll-ups ([`RollupStore`]) and the oracle's
/// transactions ([`TxStore`]). Import
/// [`prelude`] to call their methods on an `Arc<dyn Storage>`.
pub trait Storage: ReportStore + ChainStore + RollupStore + TxStore {}

impl<T: ReportStore + ChainStore + RollupStore + TxStore> Storage for T {}

/// The storage traits, for `use sla_storage::prelude::*`.
pub mod prelude {
    pub use crate::{ChainStore, ReportStore, RollupStore, Storage, TxStore};
}

/// Signed reports: ingest, read back, reporter status.
#[async_trait]
pub trait ReportStore: Send + Sync + std::fmt::Debug + 'static {
    /// Judges and stores a batch of verified reports in one transaction. Returns one outcome per
    /// report, in order, only after the transaction has committed.
    async fn ingest(&self, batch: &[VerifiedReport], clock: Clock) -> Result<Vec<Outcome>>;

    /// A stored report by the SHA-256 of its payload.
    async fn report_by_hash(&self, hash: &ReportHash) -> Result<Option<StoredReport>>;

    /// A data unit's reports that overlap a time range, one page at a time.
    async fn reports_of_data_unit(&self, query: &ReportQuery) -> Result<Vec<StoredReport>>;

    /// Where a reporter's chain on a data unit stands, if it has reported.
    async fn reporter_status(
        &self,
        key: &[u8; 32],
        data_unit: u64,
    ) -> Result<Option<ReporterStatus>>;

    /// Stored equivocation evidence for a reporter on a data unit: (sequence, accepted hash,
    /// conflicting signed report).
    async fn equivocations(
        &self,
        key: &[u8; 32],
        data_unit: u64,
    ) -> Result<Vec<(u64, ReportHash, sla_protocol::SignedReport)>>;

    /// Inserts or replaces an allocation mirrored from chain.
    async fn upsert_allocation(&self, allocation: &Allocation) -> Result<()>;

    /// Inserts or replaces a reporter key mirrored from chain.
    async fn upsert_reporter_key(&self, key: &ReporterKey) -> Result<()>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;

    /// Counts of stored rows, for tests and status pages: (reports, records, equivocations).
    async fn counts(&self) -> Result<(u64, u64, u64)>;

    /// Binds the database to `deployment`: the first call records it, every later one must name
    /// the same deployment or fails with [`StorageError::OtherDeployment`] (reports signed for
    /// one contract must never be judged against the chain mirror of another).
    async fn bind_deployment(&self, deployment: &sla_protocol::Deployment) -> Result<()>;

    /// Flushes and closes connections (graceful shutdown).
    async fn close(&self);
}

/// Opens the database named by `url` (`sqlite:path` or `postgres://…`), creating an SQLite
/// file if missing, and runs the migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn Storage>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStorage::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStorage::connect(url).await?))
    } else {
        Err(StorageError::UnsupportedUrl(url.to_owned()))
    }
}
