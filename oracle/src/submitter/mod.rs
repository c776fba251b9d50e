//! Submits final roll-ups on chain, reliably.
//!
//! Every transaction's life is written to the database before the next side effect:
//! `planned` (results and nonce chosen) → `signed` (raw bytes and hash stored) → `sent` →
//! `confirmed` or `failed` after the configured confirmations. A restart therefore resumes at the
//! step where it stopped: a signed transaction is sent again byte for byte (same hash), a sent one
//! is looked up by hash. The contract applies each (data unit, epoch) at most once and skips
//! repeats, so even a transaction sent twice never applies a result twice.
//!
//! Nonces are the service's own (from its table and the chain's confirmed count, never a
//! provider's cached nonce); fees are EIP-1559; a transaction pending longer than `stuck_after`
//! is replaced with fee cap and tip both raised by `fee_bump_percent` (at least 10 %) up to a
//! ceiling, then an alert is logged; so is, at once, one the node refuses or evicts as underpriced.
//! A transaction a reorg dropped is sent again; a nonce another sender used is detected and its
//! results are planned again under a new nonce (unless a transaction of ours that had been
//! replaced is the one mined under it). A batch the contract refuses at gas estimation is never
//! sent: it is recorded `dropped` (its nonce is free again) and its results expire; a batch for an
//! epoch not closed on chain yet, or while the contract is paused, waits `planned`.

mod chain;
mod confirm;
mod metrics;
mod plan;
mod send;

use std::sync::Arc;
use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::Address;
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use sla_protocol::aggregate::EpochConfig;
use sla_storage::{MirrorStore, RollupStore, TxStore};

pub use metrics::SubmitterMetrics;

/// What the submitter needs to know.
#[derive(Debug, Clone)]
pub struct SubmitterConfig {
    /// The chain's id, for the EIP-712 domain and the transactions.
    pub chain_id: u64,
    /// The `SlaOracle` contract results are submitted to.
    pub contract: Address,
    /// Epoch length and genesis, from the contract's configuration.
    pub epochs: EpochConfig,
    /// Seconds after an epoch's end during which the contract accepts its results.
    pub submission_window_s: u64,
    /// Blocks on top of a transaction's block before its results count as applied.
    pub confirmations: u64,
    /// Most results in one transaction (kept well under the block gas limit).
    pub max_batch: usize,
    /// A sent transaction without a receipt for this long is replaced with higher fees.
    pub stuck_after: Duration,
    /// Percentage added to fee cap and tip on replacement (at least 10).
    pub fee_bump_percent: u128,
    /// Highest fee cap the service will ever offer, wei per gas.
    pub max_fee_ceiling: u128,
    /// Test hook: abort the process right after this step (`signed` or `sent`) was recorded,
    /// to prove a restart resumes. Never set in production.
    pub crash_after: Option<String>,
}

/// The submitter's state: RPC, keys, storage, and the next nonce it will use.
#[derive(Debug)]
pub struct Submitter {
    config: SubmitterConfig,
    provider: DynProvider,
    /// Signs the EIP-712 digests (an oracle signer of the contract).
    signer: PrivateKeySigner,
    /// Signs the transactions (the same key by default).
    wallet: EthereumWallet,
    stores: SubmitterStores,
    metrics: Arc<SubmitterMetrics>,
    /// In a committee: the batches the rounds this node led gathered a quorum for. The
    /// submitter then sends those and plans nothing of its own.
    committee: Option<tokio::sync::mpsc::UnboundedReceiver<crate::committee::SignedBatch>>,
}

/// The stores the submitter reads and writes: its own transactions, the final roll-ups it puts
/// on chain, and the mirror's allocations (to order results by provider).
#[derive(Debug, Clone)]
pub struct SubmitterStores {
    /// The submitter's transactions.
    pub txs: TxStore,
    /// Final roll-ups and their status.
    pub rollups: RollupStore,
    /// The allocations.
    pub mirror: MirrorStore,
}

impl SubmitterStores {
    /// The stores of one database.
    pub fn of(db: &sla_storage::Database) -> Self {
        SubmitterStores {
            txs: db.txs(),
            rollups: db.rollups(),
            mirror: db.mirror(),
        }
    }
}

/// Why a submitter step failed. The step is retried at the next tick; what was recorded stays.
#[derive(Debug, thiserror::Error)]
pub enum SubmitterError {
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[from] sla_storage::StorageError),
    /// A JSON-RPC call failed or the node refused a transaction; it holds the error text
    /// (starting `reverted:` when the contract refuses the batch at gas estimation).
    #[error("rpc: {0}")]
    Rpc(String),
    /// Signing the EIP-712 batch digest or the transaction failed; it holds why.
    #[error("signing: {0}")]
    Signing(String),
}

impl Submitter {
    /// A submitter that signs batches and transactions with `signer` and records them in
    /// `stores`.
    pub fn new(
        config: SubmitterConfig,
        provider: DynProvider,
        signer: PrivateKeySigner,
        stores: SubmitterStores,
        metrics: Arc<SubmitterMetrics>,
    ) -> Self {
        let wallet = EthereumWallet::from(signer.clone());
        Submitter {
            config,
            provider,
            signer,
            wallet,
            stores,
            metrics,
            committee: None,
        }
    }

    /// Sends the batches a committee round gathered (received on `batches`) instead of
    /// planning its own: in a committee, results go on chain only with a quorum of signers.
    pub fn with_committee(
        mut self,
        batches: tokio::sync::mpsc::UnboundedReceiver<crate::committee::SignedBatch>,
    ) -> Self {
        self.committee = Some(batches);
        self
    }

    /// The oracle key (the validator role signs fault flags with it, and never sends with it).
    pub fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }

    /// The oracle account: signer of the batches and sender of the transactions.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// One round: follow up on transactions in flight, then plan, sign and send new ones.
    pub async fn tick(&mut self, now_ms: u64) -> Result<(), SubmitterError> {
        let head = self.head().await?;
        self.follow_up(&head, now_ms).await?;
        if self.committee.is_some() {
            self.send_committee_batches(now_ms).await?;
        } else {
            self.plan_and_send(&head, now_ms).await?;
        }
        self.metrics
            .observe(&self.stores.txs, &self.config, &head)
            .await;
        Ok(())
    }

    /// Ticks every `interval` until `shutdown` completes; a failed tick is logged and retried.
    pub async fn run(
        mut self,
        interval: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            if let Err(err) = self.tick(sla_runtime::now_ms()).await {
                tracing::warn!(error = %err, "submitter tick failed; retrying");
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }

    fn maybe_crash(&self, step: &str) {
        if self.config.crash_after.as_deref() == Some(step) {
            tracing::error!(step, "crash_after test hook: aborting");
            std::process::abort();
        }
    }
}
