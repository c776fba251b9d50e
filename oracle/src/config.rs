//! The oracle service's configuration, from flags or environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::exchange::Peer;
use crate::indexer::IndexerArgs;

/// Configuration of `sla-oracle`.
#[derive(Clone, Parser)]
#[command(
    name = "sla-oracle",
    version,
    about = "Indexes the SLA contract, rolls up reports and submits results",
    after_help = "Other command: `sla-oracle export-reports --help` (export signed reports past \
    the audit horizon to a file, then delete them)."
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
    /// Not needed with `--index-only`.
    #[arg(
        long,
        env = "SLA_ORACLE_KEY",
        hide_env_values = true,
        required_unless_present = "index_only"
    )]
    pub oracle_key: Option<String>,

    /// Runs the chain indexer alone (no aggregator, no submitter, no key): mirrors the contract
    /// into the database, e.g. for an ingest API replica with a database of its own, whose
    /// reports are judged against that mirror.
    #[arg(long, env = "SLA_INDEX_ONLY")]
    pub index_only: bool,

    /// The indexer's flags (confirmations, block range, poll interval, reorg window).
    #[command(flatten)]
    pub indexer: IndexerArgs,

    /// How long after an epoch's end reports still count, milliseconds. Default: half an epoch,
    /// at most 60 s (60 s for hour-long epochs; 5 s for the dev stack's 10 s epochs, whose
    /// results then reach the chain within seconds).
    #[arg(long, env = "SLA_GRACE_MS")]
    pub grace_ms: Option<u64>,

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

    /// Width of each partition of `records` (PostgreSQL), hours; partitions are aligned on
    /// multiples of it since 1970-01-01T00:00Z (24: one per UTC day, `records_YYYYMMDD`).
    #[arg(long, env = "SLA_RECORDS_PARTITION_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..))]
    pub records_partition_hours: u64,

    /// Partitions of `records` made ahead of the current one (PostgreSQL).
    #[arg(long, env = "SLA_RECORDS_PARTITIONS_AHEAD", default_value_t = 7)]
    pub records_partitions_ahead: u32,

    /// Reports per partition of `reports` (PostgreSQL): ranges of this many ids, drawn in
    /// arrival order, so a partition spans the time it takes to receive them. Pick about a day
    /// of reports or more: a partition is dropped once every report in it was exported.
    #[arg(long, env = "SLA_REPORTS_PARTITION_IDS", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub reports_partition_ids: u64,

    /// Partitions of `reports` made ahead of the one receiving reports (PostgreSQL).
    #[arg(long, env = "SLA_REPORTS_PARTITIONS_AHEAD", default_value_t = 4)]
    pub reports_partitions_ahead: u32,

    /// Raw records older than this many days are removed once every roll-up of their epochs is
    /// submitted and its result mirrored from the chain (whole partitions dropped on
    /// PostgreSQL). Unset (the default): records are kept for ever. Signed reports are not
    /// touched (see `sla-oracle export-reports`).
    #[arg(long, env = "SLA_RECORDS_RETENTION_DAYS")]
    pub records_retention_days: Option<u64>,

    /// Seconds between database maintenance rounds (partitions ahead, retention); the first
    /// runs at start.
    #[arg(long, env = "SLA_MAINTENANCE_INTERVAL_S", default_value_t = 3_600, value_parser = clap::value_parser!(u64).range(1..))]
    pub maintenance_interval_s: u64,

    /// The validator role (docs/court.md): votes on the court's cases with this EVM key (hex), by
    /// the default rule unless an operator committed first (`sla court commit --vote`), and
    /// decides cases whose reveal phase is over. Unset: no validator role. The key must be in the
    /// court's validator set to vote; a separate key from `--oracle-key`, whose nonces belong to
    /// the submitter.
    #[arg(long, env = "SLA_VALIDATOR_KEY", hide_env_values = true)]
    pub validator_key: Option<String>,

    /// With `--validator-key` and `--oracle-key`: how many closed epochs back a fault flag may
    /// reach (docs/court.md, "Flags"). The role flags a provider whose fault rate over the epochs
    /// since its last flag is above the court's threshold, signed with the oracle key (a flag then
    /// needs a quorum of 1), sent with the validator key.
    #[arg(long, env = "SLA_FLAG_WINDOW_EPOCHS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..))]
    pub flag_window_epochs: u64,

    /// Milliseconds between the validator role's passes over the open cases.
    #[arg(long, env = "SLA_VALIDATOR_POLL_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(10..))]
    pub validator_poll_ms: u64,

    /// A peer of the committee whose reports this node pulls and judges (docs/committee.md,
    /// "Report exchange"): `NAME=URL`, the URL the base of the peer's ingest API. Repeat the
    /// flag for each peer (`SLA_PEERS`: comma-separated). None: no exchange.
    #[arg(long = "peer", env = "SLA_PEERS", value_delimiter = ',')]
    pub peers: Vec<Peer>,

    /// Milliseconds between two pulls of a peer whose feed had nothing new.
    #[arg(long, env = "SLA_EXCHANGE_POLL_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(10..))]
    pub exchange_poll_ms: u64,

    /// Reports asked for per page of a peer's feed (the feed serves at most 1,000). A page whose
    /// answer is larger than `--exchange-max-page-bytes` is asked for again in halves.
    #[arg(long, env = "SLA_EXCHANGE_PAGE", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub exchange_page: u32,

    /// Largest answer read from a peer's feed, bytes.
    #[arg(long, env = "SLA_EXCHANGE_MAX_PAGE_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub exchange_max_page_bytes: usize,

    /// Longest a pull of a peer may take, milliseconds; past it the pull fails (`unreachable`)
    /// and is retried.
    #[arg(long, env = "SLA_EXCHANGE_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub exchange_timeout_ms: u64,

    /// Longest a report refused for what may be this node's lag (its data unit or key not
    /// mirrored yet, its period ahead of this clock, an earlier report of its chain not here
    /// yet) stops a peer's cursor, milliseconds; past it the report is refused for good and
    /// counted against the peer. Keep it above the indexer's lag behind the chain.
    #[arg(long, env = "SLA_EXCHANGE_HOLD_MS", default_value_t = 120_000)]
    pub exchange_hold_ms: u64,

    /// How far past this node's clock a pulled report's period may end, milliseconds (the same
    /// flag and default as the ingest API's).
    #[arg(long, env = "SLA_MAX_FUTURE_SKEW_MS", default_value_t = 60_000)]
    pub max_future_skew_ms: u64,

    /// How far back a peer may date a report it serves, milliseconds: a pulled report counts as
    /// arrived when the peer says it did, but no earlier than this before this node's clock.
    /// With peers, the aggregator waits as long past an epoch's close before its verdicts, so
    /// that reports that reached any node by the close count everywhere. Keep it above the time
    /// a report takes to spread through the committee (a few polls).
    #[arg(
        long,
        env = "SLA_EXCHANGE_ARRIVAL_ALLOWANCE_MS",
        default_value_t = 10_000
    )]
    pub exchange_arrival_allowance_ms: u64,

    /// Most records a pulled report may hold (the same flag and default as the ingest API's).
    #[arg(long, env = "SLA_MAX_RECORDS_PER_REPORT", default_value_t = 10_000)]
    pub max_records_per_report: usize,

    /// The committee file (docs/committee.md, "Configuration"): where each member's ingest API
    /// and committee endpoint are, by signer address. With it this node is a committee member:
    /// it pulls the other members' reports, leads the rounds it is scheduled for, signs others'
    /// proposals it agrees with, and sends results only with a quorum of signatures. The members
    /// and the quorum are the contract's signer set (`setOracleConfig`).
    #[arg(long, env = "SLA_COMMITTEE")]
    pub committee: Option<PathBuf>,

    /// Address of the committee endpoint, which takes the leaders' proposals (with
    /// `--committee`).
    #[arg(long, env = "SLA_COMMITTEE_LISTEN", default_value = "127.0.0.1:9465")]
    pub committee_listen: SocketAddr,

    /// Most results per proposal when leading a round (with `--committee`): an epoch with more
    /// is proposed in parts, consecutive ranges of data units.
    #[arg(
        long,
        env = "SLA_COMMITTEE_MAX_PROPOSAL_RESULTS",
        default_value_t = crate::committee::MAX_PROPOSAL_RESULTS
    )]
    pub committee_max_proposal_results: usize,

    /// Test hook: a byzantine committee member, comma-separated behaviours (`sign-tampered`:
    /// signs tampered results as a follower; `ignore-reporter:HEX`: counts no report of this
    /// reporter key). Never set in production.
    #[arg(long, env = "SLA_TEST_BYZANTINE", hide = true)]
    pub test_byzantine: Option<String>,

    /// Test hook: abort right after recording this submitter step (`signed` or `sent`).
    #[arg(long, env = "SLA_ORACLE_CRASH_AFTER", hide = true)]
    pub crash_after: Option<String>,
}

/// The longest default grace: reporters post a period's report once it has ended.
const MAX_DEFAULT_GRACE_MS: u64 = 60_000;

impl OracleConfig {
    /// `--grace-ms`, or half an epoch of `epoch_length_s` seconds, at most 60 s.
    pub fn grace_ms(&self, epoch_length_s: u32) -> u64 {
        self.grace_ms
            .unwrap_or((u64::from(epoch_length_s) * 500).min(MAX_DEFAULT_GRACE_MS))
    }
}

impl std::fmt::Debug for OracleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OracleConfig")
            .field("rpc_url", &self.rpc_url)
            .field("deployment", &self.deployment)
            .field("database_url", &self.database_url)
            .field("oracle_key", &"<hidden>")
            .field(
                "validator_key",
                &self.validator_key.as_ref().map(|_| "<hidden>"),
            )
            .field("indexer", &self.indexer)
            .field("index_only", &self.index_only)
            .field("grace_ms", &self.grace_ms)
            .field("max_batch", &self.max_batch)
            .field("records_retention_days", &self.records_retention_days)
            .field("peers", &self.peers)
            .finish_non_exhaustive()
    }
}
