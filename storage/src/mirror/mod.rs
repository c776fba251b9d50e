//! The contract's state as the chain indexer mirrors it: allocations, reporter keys, providers,
//! profiles, oracle configuration, applied results, penalties and balances, and where the indexer
//! stands on the chain.
//!
//! Every mirrored row carries the block it came from, and state that changes is stored as
//! versions (one row per change, the newest is current), so a reorg is undone by deleting what
//! later blocks wrote and rebuilding the `allocations` and `reporter_keys` rows (what reports
//! are judged against) from their newest remaining version. What each event means is the
//! indexer's (`oracle/src/indexer/apply.rs`); this module stores and reads. `docs/indexer.md` has
//! the details.

mod maintenance;
mod policies;
mod queries;
pub(crate) mod rows;
mod types;
mod views;
mod write;

use alloy_primitives::Address;
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};

use crate::error::Result;
use crate::Database;

pub use maintenance::AnnouncedWindow;
pub use policies::{MirroredPolicy, PolicyProposal, ProfilePolicyOffer};
pub use types::{
    ChainBlock, ChainOrigin, ContractConfig, MirrorCounts, MirroredAllocation, MirroredPenalty,
    MirroredResult, OracleConfig, Profile, ProviderState, ResultBatch,
};
pub use views::{Compliance, ProviderTotals, ReputationChange, REPUTATION_HISTORY};
pub use write::MirrorWrite;

/// The mirror's tables of a [`Database`].
#[derive(Debug, Clone)]
pub struct MirrorStore {
    db: Database,
}

impl MirrorStore {
    pub(crate) fn new(db: Database) -> Self {
        MirrorStore { db }
    }

    /// Begins the indexer's unit of work (see [`MirrorWrite`]).
    pub async fn begin_write(&self) -> Result<MirrorWrite> {
        let backend = self.db.backend();
        Ok(MirrorWrite::new(
            backend.begin_write().await?,
            backend.for_update(),
        ))
    }

    /// The last block whose events are all applied; `None` before the first range.
    pub async fn cursor(&self) -> Result<Option<ChainBlock>> {
        let mut conn = self.db.backend().read().await?;
        queries::cursor(&mut conn.conn(), "").await
    }

    /// The stored recent blocks (range ends and blocks with events), newest first.
    pub async fn blocks(&self, limit: u32) -> Result<Vec<ChainBlock>> {
        let mut conn = self.db.backend().read().await?;
        queries::blocks(&mut conn.conn(), limit).await
    }

    /// The contract's immutable configuration.
    pub async fn contract(&self) -> Result<Option<ContractConfig>> {
        let mut conn = self.db.backend().read().await?;
        queries::contract(&mut conn.conn()).await
    }

    /// The oracle signer set in force (the highest config version).
    pub async fn oracle_config(&self) -> Result<Option<OracleConfig>> {
        let mut conn = self.db.backend().read().await?;
        queries::oracle_config(&mut conn.conn()).await
    }

    /// Whether the contract is paused.
    pub async fn paused(&self) -> Result<bool> {
        let mut conn = self.db.backend().read().await?;
        queries::paused(&mut conn.conn()).await
    }

    /// The current members of an AccessControl role.
    pub async fn role_members(&self, role: &[u8; 32]) -> Result<Vec<Address>> {
        let mut conn = self.db.backend().read().await?;
        queries::role_members(&mut conn.conn(), role).await
    }

    /// A provider's current state.
    pub async fn provider(&self, provider: &Address) -> Result<Option<ProviderState>> {
        let mut conn = self.db.backend().read().await?;
        queries::provider(&mut conn.conn(), provider).await
    }

    /// Every registered provider, by provider id.
    pub async fn providers(&self) -> Result<Vec<ProviderState>> {
        let mut conn = self.db.backend().read().await?;
        queries::providers(&mut conn.conn()).await
    }

    /// Wei an account can withdraw (penalties credited to it, less withdrawals).
    pub async fn withdrawable(&self, account: &Address) -> Result<u128> {
        let mut conn = self.db.backend().read().await?;
        Ok(queries::balance(&mut conn.conn(), account)
            .await?
            .unwrap_or(0))
    }

    /// A profile's current version.
    pub async fn profile(&self, profile_id: u64) -> Result<Option<Profile>> {
        let mut conn = self.db.backend().read().await?;
        queries::profile(&mut conn.conn(), profile_id).await
    }

    /// An allocation with its chain-only details (profile, expiry, epochs).
    pub async fn allocation(&self, data_unit: u64) -> Result<Option<MirroredAllocation>> {
        let mut conn = self.db.backend().read().await?;
        queries::allocation_version(&mut conn.conn(), data_unit).await
    }

    /// The allocation reports of `data_unit` are judged against.
    pub async fn current_allocation(&self, data_unit: u64) -> Result<Option<Allocation>> {
        let mut conn = self.db.backend().read().await?;
        queries::current_allocation(&mut conn.conn(), data_unit).await
    }

    /// Every allocation that is or was active (active or closed), by data unit: those that have
    /// epochs to roll up and results to submit.
    pub async fn enforced_allocations(&self) -> Result<Vec<Allocation>> {
        let mut conn = self.db.backend().read().await?;
        let statuses = [
            AllocationStatus::Active.as_str(),
            AllocationStatus::Closed.as_str(),
        ];
        queries::current_allocations(&mut conn.conn(), &statuses).await
    }

    /// The key reports signed with `key` are judged against.
    pub async fn current_key(&self, key: &[u8; 32]) -> Result<Option<ReporterKey>> {
        let mut conn = self.db.backend().read().await?;
        queries::current_key(&mut conn.conn(), key).await
    }

    /// The applied result of a (data unit, epoch).
    pub async fn result(&self, data_unit: u64, epoch: u64) -> Result<Option<MirroredResult>> {
        let mut conn = self.db.backend().read().await?;
        queries::result(&mut conn.conn(), data_unit, epoch).await
    }

    /// A data unit's applied results from `from_epoch` on, by epoch.
    pub async fn results(
        &self,
        data_unit: u64,
        from_epoch: u64,
        limit: u32,
    ) -> Result<Vec<MirroredResult>> {
        let mut conn = self.db.backend().read().await?;
        queries::results(&mut conn.conn(), data_unit, from_epoch, limit).await
    }

    /// Penalties applied to a data unit, by epoch.
    pub async fn penalties(&self, data_unit: u64) -> Result<Vec<MirroredPenalty>> {
        let mut conn = self.db.backend().read().await?;
        queries::penalties(&mut conn.conn(), data_unit).await
    }

    /// Accepted result batches of an epoch, in chain order.
    pub async fn batches(&self, epoch: u64) -> Result<Vec<ResultBatch>> {
        let mut conn = self.db.backend().read().await?;
        queries::batches(&mut conn.conn(), epoch).await
    }

    /// Row counts of the mirror's tables.
    pub async fn counts(&self) -> Result<MirrorCounts> {
        let mut conn = self.db.backend().read().await?;
        queries::counts(&mut conn.conn()).await
    }
}
