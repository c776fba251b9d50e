//! The committee (docs/committee.md): several independent oracle nodes agree on each epoch's
//! results and submit them with a quorum of the contract's signers.
//!
//! Aggregation is deterministic and the report exchange (`crate::exchange`) gives every node the
//! same reports dated the same, so agreeing on the results is cheap: after an epoch closes (end,
//! grace, and the exchange's arrival allowance), a leader chosen by the epoch and the attempt
//! (`schedule.rs`) proposes its results in batches (`proposal.rs`); each follower signs them only
//! if they are byte for byte its own and leave out nothing it has (`follower.rs`); with a quorum
//! of signatures the leader hands the batches to its submitter, which sends them like its own
//! (`leader.rs`). A leader that is silent or faulty is replaced by the next signer after the
//! round timeout. Who is a member and the quorum come from the contract's signer set; the
//! committee file only says where members are (`members.rs`). Proposals reach followers over
//! HTTP (`server.rs`), signed by the leader's oracle key.

mod catch_up;
mod follower;
mod leader;
mod members;
mod metrics;
pub mod proposal;
pub mod schedule;
mod server;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use alloy::primitives::{Address, Bytes};
use alloy::signers::local::PrivateKeySigner;
use sla_protocol::aggregate::EpochConfig;
use sla_storage::{MirrorStore, ReportStore, RollupStore, TxStore};
use tokio::sync::mpsc;

pub use leader::LeadError;
pub use members::{CommitteeFile, Member};
pub use metrics::{CommitteeMetrics, ReasonLabel};
pub use server::{serve, EndpointLimits};

/// The reporter key of the `ignore-reporter:HEX` test hook (a byzantine node that leaves a
/// reporter's reports out of its results).
pub fn byzantine_ignored_reporter(config: &crate::config::OracleConfig) -> Option<[u8; 32]> {
    let hooks = config.test_byzantine.as_deref()?;
    let hex_key = hooks
        .split(',')
        .find_map(|h| h.strip_prefix("ignore-reporter:"))?;
    hex::decode(hex_key).ok()?.try_into().ok()
}

/// Results per proposal unless configured (`--committee-max-proposal-results`): about 3 MB of
/// JSON, which a follower checks in well under a round timeout.
pub const MAX_PROPOSAL_RESULTS: usize = 20_000;

/// A batch with a quorum of signatures, for the submitter to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBatch {
    /// The epoch.
    pub epoch: u64,
    /// The configuration version the signatures are under.
    pub config_version: u64,
    /// The packed results.
    pub packed: Vec<u8>,
    /// The signatures, in ascending order of signer.
    pub signatures: Vec<Bytes>,
    /// (data unit, epoch) of the results.
    pub results: Vec<(u64, u64)>,
}

/// The stores a committee node reads and writes.
#[derive(Debug, Clone)]
pub struct CommitteeStores {
    /// Roll-ups and their verdicts.
    pub rollups: RollupStore,
    /// The signer set, landed results.
    pub mirror: MirrorStore,
    /// This node's transactions (results in flight).
    pub txs: TxStore,
    /// The reports (catching up on landed results).
    pub reports: ReportStore,
}

impl CommitteeStores {
    /// The stores of one database.
    pub fn of(db: &sla_storage::Database) -> Self {
        CommitteeStores {
            rollups: db.rollups(),
            mirror: db.mirror(),
            txs: db.txs(),
            reports: db.reports(),
        }
    }
}

/// How the committee node works.
#[derive(Debug, Clone)]
pub struct CommitteeConfig {
    /// The chain's id (EIP-712 domain).
    pub chain_id: u64,
    /// The `SlaOracle` contract.
    pub contract: Address,
    /// Epoch length and genesis.
    pub epochs: EpochConfig,
    /// The aggregator's grace, ms.
    pub grace_ms: u64,
    /// The aggregator's settle time (the exchange's arrival allowance), ms.
    pub settle_ms: u64,
    /// Seconds after an epoch's end the contract accepts its results.
    pub submission_window_s: u64,
    /// Most results per batch.
    pub max_batch: usize,
    /// Most results per proposal: an epoch with more is proposed in parts.
    pub max_proposal_results: usize,
    /// Test hook: sign a tampered digest as a follower (a byzantine node). Never in production.
    pub byzantine_signatures: bool,
}

/// A committee node: leads the rounds it is scheduled for, follows the others.
#[derive(Debug)]
pub struct Committee {
    signer: PrivateKeySigner,
    chain_id: u64,
    contract: Address,
    config: CommitteeConfig,
    round_timeout_ms: u64,
    members: CommitteeFile,
    stores: CommitteeStores,
    http: reqwest::Client,
    metrics: CommitteeMetrics,
    to_submitter: mpsc::UnboundedSender<SignedBatch>,
    /// Per epoch, the attempt this node last led to a transmission, and when it may try again
    /// an attempt that fell short.
    led: Mutex<BTreeMap<u64, Led>>,
    /// When the last catch-up pass ran, Unix ms.
    caught_up_at_ms: std::sync::atomic::AtomicU64,
    /// The mirror's block when landed results were last marked (marked again only when it
    /// moves: no write transaction per tick).
    marked_at_block: std::sync::atomic::AtomicU64,
    /// Per epoch, the attempt this node last signed as a follower and when (Unix ms).
    signed: Mutex<BTreeMap<u64, (u64, u64)>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Led {
    transmitted: Option<u64>,
    retry_at_ms: u64,
    /// (attempt, data unit): that attempt's parts through this data unit went to the submitter.
    sent_through: Option<(u64, u64)>,
}

impl Committee {
    /// A committee node signing with `signer`, handing batches to the submitter through
    /// `to_submitter`.
    pub fn new(
        signer: PrivateKeySigner,
        config: CommitteeConfig,
        members: CommitteeFile,
        stores: CommitteeStores,
        metrics: CommitteeMetrics,
        to_submitter: mpsc::UnboundedSender<SignedBatch>,
    ) -> anyhow::Result<Self> {
        let round_timeout_ms = members.round_timeout_ms;
        // A follower's answer must come back well within the attempt.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis((round_timeout_ms / 2).max(200)))
            .build()?;
        Ok(Committee {
            chain_id: config.chain_id,
            contract: config.contract,
            signer,
            config,
            round_timeout_ms,
            members,
            stores,
            http,
            metrics,
            to_submitter,
            led: Mutex::new(BTreeMap::new()),
            caught_up_at_ms: std::sync::atomic::AtomicU64::new(0),
            marked_at_block: std::sync::atomic::AtomicU64::new(u64::MAX),
            signed: Mutex::new(BTreeMap::new()),
        })
    }

    /// This node's signer address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// When `epoch`'s round begins, Unix ms: its end, the grace and the settle time.
    fn round_start_ms(&self, epoch: u64) -> u64 {
        self.config
            .epochs
            .bounds_ms(epoch)
            .map(|(_, end)| {
                end.saturating_add(self.config.grace_ms)
                    .saturating_add(self.config.settle_ms)
            })
            .unwrap_or(u64::MAX)
    }

    /// Leads what this node is scheduled to lead, every `interval`, until `shutdown`.
    pub async fn run(
        self: std::sync::Arc<Self>,
        interval: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            if let Err(err) = self.tick(sla_runtime::now_ms()).await {
                tracing::warn!(error = %err, "committee tick failed; retrying");
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }
}
