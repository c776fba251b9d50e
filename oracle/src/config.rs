//! The oracle service's configuration, from flags or environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::indexer::IndexerArgs;

/// Configuration of `sla-oracle`.
#[derive(Clone, Parser)]
#[command(
    name = "sla-oracle",
    version,
    about = "Indexes the SLA contract, rolls up reports and submits results"
)]
pub struct OracleConfig {
    /// JSON-RPC URL of the chain.
    #[arg(long, env = "SLA_RPC_URL", default_value = "http://127.0.0.1:8545")]
    pub rpc_url: String,

    /// Deployment file written by `sla-deploy`.
    #[arg(long, env = "SLA_DEPLOYMENT", default_value = "deployment.json")]
    pub deployment: PathBuf,

    /// Database URL (`sqlite:PATH` or `postgres://…`), shared with the ingest API.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:sla-oracle.sqlite")]
    pub database_url: String,

    /// The oracle's private key (hex): signs result batches (EIP-712) and sends transactions.
    #[arg(long, env = "SLA_ORACLE_KEY", hide_env_values = true)]
    pub oracle_key: String,

    #[command(flatten)]
    pub indexer: IndexerArgs,

    /// How long after an epoch's end reports still count, milliseconds.
    #[arg(long, env = "SLA_GRACE_MS", default_value_t = 60_000)]
    pub grace_ms: u64,

    /// Milliseconds between aggregator runs and submitter rounds.
    #[arg(long, env = "SLA_ORACLE_POLL_MS", default_value_t = 1_000)]
    pub poll_ms: u64,

    /// Most results per transaction.
    #[arg(long, env = "SLA_MAX_BATCH", default_value_t = 100)]
    pub max_batch: usize,

    /// A sent transaction without a receipt for this long is replaced, milliseconds.
    #[arg(long, env = "SLA_STUCK_AFTER_MS", default_value_t = 30_000)]
    pub stuck_after_ms: u64,

    /// Percentage added to fee cap and tip on each replacement (at least 10).
    #[arg(long, env = "SLA_FEE_BUMP_PERCENT", default_value_t = 15, value_parser = clap::value_parser!(u64).range(10..))]
    pub fee_bump_percent: u64,

    /// Highest fee cap ever offered, gwei; past it a stuck transaction raises an alert.
    #[arg(long, env = "SLA_MAX_FEE_GWEI", default_value_t = 500)]
    pub max_fee_gwei: u128,

    /// Address of the metrics endpoint (`/metrics`, `/healthz`).
    #[arg(long, env = "SLA_ORACLE_METRICS", default_value = "127.0.0.1:9464")]
    pub metrics_listen: SocketAddr,

    /// Test hook: abort right after recording this submitter step (`signed` or `sent`).
    #[arg(long, env = "SLA_ORACLE_CRASH_AFTER", hide = true)]
    pub crash_after: Option<String>,
}

impl std::fmt::Debug for OracleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OracleConfig")
            .field("rpc_url", &self.rpc_url)
            .field("deployment", &self.deployment)
            .field("database_url", &self.database_url)
            .field("oracle_key", &"<hidden>")
            .field("indexer", &self.indexer)
            .field("grace_ms", &self.grace_ms)
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}
