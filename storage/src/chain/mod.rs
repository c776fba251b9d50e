//! The chain state mirrored by the indexer: allocations, keys, providers, profiles, oracle
//! configuration, applied results and penalties, and where the indexer stands on the chain.
//!
//! Every mirrored row carries the block it came from, and state that changes is stored as
//! versions (one row per change, the newest is current), so a reorg is undone by deleting what
//! later blocks wrote and rebuilding the `allocations` and `reporter_keys` rows the ingest API
//! reads from their newest remaining version. `docs/indexer.md` has the details.

mod apply;
mod mirror;
mod rows;

use async_trait::async_trait;
use sqlx::{Postgres, Sqlite, Transaction};
use tracing::instrument;

use crate::error::Result;
use crate::postgres::PostgresStorage;
use crate::sqlite::SqliteStorage;
use crate::types::{
    Allocation, ApplyOutcome, ChainAllocation, ChainBlock, ChainCounts, ChainPenalty, ChainRange,
    ChainResult, ContractConfig, OracleConfig, Profile, ProviderState, ReporterKey, ResultBatch,
};
use mirror::{Mirror, MirrorTx};

/// The indexer's reads and writes, and the mirrored chain state for the read API and auditors.
/// Addresses are lowercase `0x` hex (arguments are lowercased).
#[async_trait]
pub trait ChainStore: Send + Sync + std::fmt::Debug + 'static {
    /// The last block whose events are all applied; `None` before the first range.
    async fn chain_cursor(&self) -> Result<Option<ChainBlock>>;

    /// The stored recent blocks (range ends and blocks with events), newest first.
    async fn chain_blocks(&self, limit: u32) -> Result<Vec<ChainBlock>>;

    /// Applies the events of a block range and moves the cursor to its end, in one transaction.
    /// Writes nothing and says so when the range does not start right after the cursor.
    async fn apply_chain_range(&self, range: &ChainRange) -> Result<ApplyOutcome>;

    /// Undoes every block after the newest stored block at or below `keep_through` (every block
    /// when there is none, or for `None`), in one transaction, and moves the cursor back to that
    /// block. Returns the new cursor.
    async fn rollback_chain(&self, keep_through: Option<u64>) -> Result<Option<ChainBlock>>;

    /// The contract's immutable configuration.
    async fn chain_contract(&self) -> Result<Option<ContractConfig>>;

    /// The oracle signer set in force (the highest config version).
    async fn chain_oracle_config(&self) -> Result<Option<OracleConfig>>;

    /// Whether the contract is paused.
    async fn chain_paused(&self) -> Result<bool>;

    /// The current members of an AccessControl role.
    async fn chain_role_members(&self, role: &[u8; 32]) -> Result<Vec<String>>;

    async fn chain_provider(&self, provider: &str) -> Result<Option<ProviderState>>;

    /// Every registered provider, by provider id.
    async fn chain_providers(&self) -> Result<Vec<ProviderState>>;

    /// Wei an account can withdraw (penalties credited to it, less withdrawals).
    async fn chain_withdrawable(&self, account: &str) -> Result<u128>;

    async fn chain_profile(&self, profile_id: u64) -> Result<Option<Profile>>;

    /// An allocation with its chain-only details (profile, expiry, epochs).
    async fn chain_allocation(&self, data_unit: u64) -> Result<Option<ChainAllocation>>;

    /// The `allocations` row the ingest API judges reports against.
    async fn mirrored_allocation(&self, data_unit: u64) -> Result<Option<Allocation>>;

    /// The `reporter_keys` row the ingest API judges reports against.
    async fn mirrored_reporter_key(&self, key: &[u8; 32]) -> Result<Option<ReporterKey>>;

    /// The applied result of a (data unit, epoch).
    async fn chain_result(&self, data_unit: u64, epoch: u64) -> Result<Option<ChainResult>>;

    /// A data unit's applied results from `from_epoch` on, by epoch.
    async fn chain_results(
        &self,
        data_unit: u64,
        from_epoch: u64,
        limit: u32,
    ) -> Result<Vec<ChainResult>>;

    /// Penalties applied to a data unit, by epoch.
    async fn chain_penalties(&self, data_unit: u64) -> Result<Vec<ChainPenalty>>;

    /// Accepted result batches of an epoch, in chain order.
    async fn chain_batches(&self, epoch: u64) -> Result<Vec<ResultBatch>>;

    /// Row counts of the mirror's tables.
    async fn chain_counts(&self) -> Result<ChainCounts>;
}

impl SqliteStorage {
    /// A writing transaction that holds SQLite's write lock from its first statement, so that it
    /// cannot fail half-way with a busy snapshot when another process wrote meanwhile.
    async fn mirror_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn mirror_read(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.readers.begin().await?)
    }
}

impl PostgresStorage {
    async fn mirror_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    async fn mirror_read(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

/// Implements [`ChainStore`] for a backend with `mirror_write` and `mirror_read` transactions.
macro_rules! chain_store {
    ($storage:ty) => {
        #[async_trait]
        impl ChainStore for $storage {
            #[instrument(skip_all)]
            async fn chain_cursor(&self) -> Result<Option<ChainBlock>> {
                Mirror(&mut self.mirror_read().await?).cursor().await
            }

            #[instrument(skip_all)]
            async fn chain_blocks(&self, limit: u32) -> Result<Vec<ChainBlock>> {
                Mirror(&mut self.mirror_read().await?).blocks(limit).await
            }

            #[instrument(skip_all, fields(from = range.from_block, to = range.to.number))]
            async fn apply_chain_range(&self, range: &ChainRange) -> Result<ApplyOutcome> {
                let mut tx = self.mirror_write().await?;
                let outcome = apply::apply_range(&mut Mirror(&mut tx), range).await?;
                if outcome == ApplyOutcome::Applied {
                    tx.commit().await?;
                }
                Ok(outcome)
            }

            #[instrument(skip_all)]
            async fn rollback_chain(
                &self,
                keep_through: Option<u64>,
            ) -> Result<Option<ChainBlock>> {
                let mut tx = self.mirror_write().await?;
                let cursor = apply::rollback(&mut Mirror(&mut tx), keep_through).await?;
                tx.commit().await?;
                Ok(cursor)
            }

            #[instrument(skip_all)]
            async fn chain_contract(&self) -> Result<Option<ContractConfig>> {
                Mirror(&mut self.mirror_read().await?).contract().await
            }

            #[instrument(skip_all)]
            async fn chain_oracle_config(&self) -> Result<Option<OracleConfig>> {
                Mirror(&mut self.mirror_read().await?).oracle_config().await
            }

            #[instrument(skip_all)]
            async fn chain_paused(&self) -> Result<bool> {
                Mirror(&mut self.mirror_read().await?).paused().await
            }

            #[instrument(skip_all)]
            async fn chain_role_members(&self, role: &[u8; 32]) -> Result<Vec<String>> {
                Mirror(&mut self.mirror_read().await?)
                    .role_members(role)
                    .await
            }

            #[instrument(skip_all)]
            async fn chain_provider(&self, provider: &str) -> Result<Option<ProviderState>> {
                Mirror(&mut self.mirror_read().await?)
                    .provider(provider)
                    .await
            }

            #[instrument(skip_all)]
            async fn chain_providers(&self) -> Result<Vec<ProviderState>> {
                Mirror(&mut self.mirror_read().await?).providers().await
            }

            #[instrument(skip_all)]
            async fn chain_withdrawable(&self, account: &str) -> Result<u128> {
                Ok(Mirror(&mut self.mirror_read().await?)
                    .balance(account)
                    .await?
                    .unwrap_or(0))
            }

            #[instrument(skip_all)]
            async fn chain_profile(&self, profile_id: u64) -> Result<Option<Profile>> {
                Mirror(&mut self.mirror_read().await?)
                    .profile(profile_id)
                    .await
            }

            #[instrument(skip_all)]
            async fn chain_allocation(&self, data_unit: u64) -> Result<Option<ChainAllocation>> {
                Mirror(&mut self.mirror_read().await?)
                    .allocation_version(data_unit)
                    .await
            }

            #[instrument(skip_all)]
            async fn mirrored_allocation(&self, data_unit: u64) -> Result<Option<Allocation>> {
                Mirror(&mut self.mirror_read().await?)
                    .current_allocation(data_unit)
                    .await
            }

            #[instrument(skip_all)]
            async fn mirrored_reporter_key(&self, key: &[u8; 32]) -> Result<Option<ReporterKey>> {
                Mirror(&mut self.mirror_read().await?)
                    .current_key(key)
                    .await
            }

            #[instrument(skip_all)]
            async fn chain_result(
                &self,
                data_unit: u64,
                epoch: u64,
            ) -> Result<Option<ChainResult>> {
                Mirror(&mut self.mirror_read().await?)
                    .result(data_unit, epoch)
                    .await
            }

            #[instrument(skip_all)]
            async fn chain_results(
                &self,
                data_unit: u64,
                from_epoch: u64,
                limit: u32,
            ) -> Result<Vec<ChainResult>> {
                Mirror(&mut self.mirror_read().await?)
                    .results(data_unit, from_epoch, limit)
                    .await
            }

            #[instrument(skip_all)]
            async fn chain_penalties(&self, data_unit: u64) -> Result<Vec<ChainPenalty>> {
                Mirror(&mut self.mirror_read().await?)
                    .penalties(data_unit)
                    .await
            }

            #[instrument(skip_all)]
            async fn chain_batches(&self, epoch: u64) -> Result<Vec<ResultBatch>> {
                Mirror(&mut self.mirror_read().await?).batches(epoch).await
            }

            #[instrument(skip_all)]
            async fn chain_counts(&self) -> Result<ChainCounts> {
                Mirror(&mut self.mirror_read().await?).counts().await
            }
        }
    };
}

chain_store!(SqliteStorage);
chain_store!(PostgresStorage);
