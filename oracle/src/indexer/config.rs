//! What the indexer follows and how carefully.

use std::time::Duration;

use alloy::primitives::Address;
use sla_contracts::DeploymentFile;

/// The indexer's settings. [`IndexerConfig::new`] takes the contract and start block from a
/// deployment file and the documented defaults for the rest.
#[derive(Debug, Clone)]
pub struct IndexerConfig {
    /// The `SlaOracle` contract whose events are mirrored.
    pub contract: Address,
    /// The `SlaPolicies` contract beside it whose policies are mirrored (docs/policy.md); `None`
    /// for a deployment without one.
    pub policies: Option<Address>,
    /// The first block read (the deployment block) when the database has no cursor yet.
    pub start_block: u64,
    /// A block is mirrored once `head - block >= confirmations` (0: the head itself).
    pub confirmations: u64,
    /// Most blocks read per `eth_getLogs` call (halved after a failed call, grown back after
    /// successful ones).
    pub max_block_range: u64,
    /// How long to wait for new blocks once caught up.
    pub poll_interval: Duration,
    /// How many blocks behind the cursor stored block hashes are kept to find the common ancestor
    /// of a reorg. A reorg deeper than this rolls back everything and reads again from
    /// `start_block` (correct, only slow).
    pub reorg_window: u64,
}

impl IndexerConfig {
    /// Default confirmation depth, blocks, off local development chains (Ethereum mainnet's
    /// usual depth).
    pub const DEFAULT_CONFIRMATIONS: u64 = 12;
    /// Default most blocks per `eth_getLogs` call.
    pub const DEFAULT_MAX_BLOCK_RANGE: u64 = 2_000;
    /// Default wait between polls of the head once caught up.
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
    /// Default number of recent block hashes kept to find a reorg's common ancestor, blocks.
    pub const DEFAULT_REORG_WINDOW: u64 = 1_024;

    /// The contract and deployment block of `deployment`, with the defaults for the rest.
    pub fn new(deployment: &DeploymentFile) -> Self {
        IndexerConfig {
            contract: deployment.contract,
            policies: deployment.policies,
            start_block: deployment.deploy_block,
            confirmations: Self::DEFAULT_CONFIRMATIONS,
            max_block_range: Self::DEFAULT_MAX_BLOCK_RANGE,
            poll_interval: Self::DEFAULT_POLL_INTERVAL,
            reorg_window: Self::DEFAULT_REORG_WINDOW,
        }
    }
}

/// Command-line flags of the indexer, for the oracle binary to `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexerArgs {
    /// Blocks a block must be buried under before its events are mirrored (0 = mirror the head),
    /// also the submitter's depth for a result to count as applied (at least 1). Default: 0 on a
    /// local development chain (chain id 31337 or 1337: anvil, hardhat, ganache), 12 elsewhere
    /// (Ethereum mainnet's usual depth; pick the depth your chain needs).
    #[arg(long, env = "SLA_CONFIRMATIONS")]
    pub confirmations: Option<u64>,
    /// Most blocks read per eth_getLogs call.
    #[arg(
        long,
        env = "SLA_INDEXER_MAX_BLOCK_RANGE",
        default_value_t = IndexerConfig::DEFAULT_MAX_BLOCK_RANGE
    )]
    pub indexer_max_block_range: u64,
    /// Milliseconds between polls of the chain head once caught up.
    #[arg(long, env = "SLA_INDEXER_POLL_MS", default_value_t = 2_000)]
    pub indexer_poll_ms: u64,
    /// Blocks of block hashes kept to locate a reorg's common ancestor.
    #[arg(
        long,
        env = "SLA_INDEXER_REORG_WINDOW",
        default_value_t = IndexerConfig::DEFAULT_REORG_WINDOW
    )]
    pub indexer_reorg_window: u64,
}

/// Whether `chain_id` is a local development chain (anvil and hardhat use 31337, ganache and
/// geth's dev mode 1337): its blocks are never reorganized, so nothing waits for depth.
pub fn is_development_chain(chain_id: u64) -> bool {
    matches!(chain_id, 31337 | 1337)
}

impl IndexerArgs {
    /// `--confirmations`, or its default for the deployment's chain.
    pub fn confirmations(&self, deployment: &DeploymentFile) -> u64 {
        self.confirmations
            .unwrap_or(if is_development_chain(deployment.chain_id) {
                0
            } else {
                IndexerConfig::DEFAULT_CONFIRMATIONS
            })
    }

    /// The configuration for `deployment` with these flags.
    pub fn config(&self, deployment: &DeploymentFile) -> IndexerConfig {
        IndexerConfig {
            confirmations: self.confirmations(deployment),
            max_block_range: self.indexer_max_block_range.max(1),
            poll_interval: Duration::from_millis(self.indexer_poll_ms.max(1)),
            reorg_window: self.indexer_reorg_window,
            ..IndexerConfig::new(deployment)
        }
    }
}
