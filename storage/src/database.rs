//! The handle on one database: opened from a URL, cheap to clone, and the stores of each domain.

use std::sync::Arc;

use sla_protocol::Deployment;
use tokio::sync::Mutex;

use crate::backend::{on_conn, Backend};
use crate::error::{Result, StorageError};
use crate::mirror::MirrorStore;
use crate::reports::context::WriterCache;
use crate::reports::ReportStore;
use crate::rollups::RollupStore;
use crate::txs::TxStore;

/// An open database (SQLite or PostgreSQL, picked from the URL). Clones share the connections.
/// Each service takes the stores it uses: [`Database::reports`], [`Database::mirror`],
/// [`Database::rollups`], [`Database::txs`].
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    /// The group commit's caches; the lock also makes the process's group commits take turns.
    writer_cache: Mutex<WriterCache>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.kind())
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens the database named by `url` (`sqlite:path` or `postgres://…`), creating an SQLite
    /// file if missing, and runs the migrations.
    pub async fn connect(url: &str) -> Result<Database> {
        Ok(Database {
            inner: Arc::new(Inner {
                backend: Backend::connect(url).await?,
                writer_cache: Mutex::default(),
            }),
        })
    }

    pub(crate) fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    pub(crate) fn writer_cache(&self) -> &Mutex<WriterCache> {
        &self.inner.writer_cache
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn kind(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Signed reports: the group commit and the reads.
    pub fn reports(&self) -> ReportStore {
        ReportStore::new(self.clone())
    }

    /// The contract's state as the chain indexer mirrors it.
    pub fn mirror(&self) -> MirrorStore {
        MirrorStore::new(self.clone())
    }

    /// The aggregator's roll-ups per data unit and epoch.
    pub fn rollups(&self) -> RollupStore {
        RollupStore::new(self.clone())
    }

    /// The alert outbox.
    pub fn alerts(&self) -> crate::AlertStore {
        crate::AlertStore::new(self.clone())
    }

    /// Alert subscriptions and maintenance windows, declared through the signed API.
    pub fn subscriptions(&self) -> crate::SubscriptionStore {
        crate::SubscriptionStore::new(self.clone())
    }

    /// Partitions of `records`, retention of settled records, removal of exported reports.
    pub fn retention(&self) -> crate::RetentionStore {
        crate::RetentionStore::new(self.clone())
    }

    /// The report exchange's cursor in each peer's feed (docs/committee.md).
    pub fn peers(&self) -> crate::PeerStore {
        crate::PeerStore::new(self.clone())
    }

    /// The submitter's transactions.
    pub fn txs(&self) -> TxStore {
        TxStore::new(self.clone())
    }

    /// Binds the database to `deployment`: the first call records it, every later one must name
    /// the same deployment or fails with [`StorageError::OtherDeployment`] (reports signed for
    /// one contract must never be judged against the chain mirror of another).
    pub async fn bind_deployment(&self, deployment: &Deployment) -> Result<()> {
        let mut conn = self.backend().write().await?;
        let (chain_id, contract): (i64, Vec<u8>) = on_conn!(conn.conn(), |c| {
            sqlx::query(
                "INSERT INTO deployment (id, chain_id, contract) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(deployment.chain_id as i64)
            .bind(deployment.contract.as_slice())
            .execute(&mut *c)
            .await?;
            sqlx::query_as("SELECT chain_id, contract FROM deployment WHERE id = 1")
                .fetch_one(&mut *c)
                .await?
        });
        if chain_id as u64 == deployment.chain_id && contract == deployment.contract {
            return Ok(());
        }
        Err(StorageError::OtherDeployment {
            recorded_chain_id: chain_id as u64,
            recorded_contract: hex::encode(&contract),
            chain_id: deployment.chain_id,
            contract: hex::encode(deployment.contract),
        })
    }

    /// The deployment the database is bound to, if any process bound it yet.
    pub async fn deployment(&self) -> Result<Option<Deployment>> {
        let mut conn = self.backend().read().await?;
        let row: Option<(i64, Vec<u8>)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as("SELECT chain_id, contract FROM deployment WHERE id = 1")
                .fetch_optional(c)
                .await?
        });
        row.map(|(chain_id, contract)| {
            Ok(Deployment {
                chain_id: chain_id as u64,
                contract: contract.try_into().map_err(|_| {
                    crate::error::corrupt("deployment", "id=1", "contract is not 20 bytes")
                })?,
            })
        })
        .transpose()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.backend().read().await?;
        on_conn!(conn.conn(), |c| {
            sqlx::query("SELECT 1").execute(c).await?;
        });
        Ok(())
    }

    /// Flushes and closes the connections (graceful shutdown).
    pub async fn close(&self) {
        self.backend().close().await;
    }
}
