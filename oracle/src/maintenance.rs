//! Database upkeep beside the three loops: partitions of `records` and `reports` made ahead
//! (PostgreSQL), partitions of `reports` whose every report was exported dropped, and, when
//! configured, the retention of raw records of settled epochs (docs/storage.md,
//! "Partitions and retention"; docs/oracle.md, "Maintenance"). It runs at start and then every
//! `--maintenance-interval-s`; a failed round is logged and tried again at the next one (rows
//! without a partition land in the default partition meanwhile, and nothing is removed).

use std::time::Duration;

use sla_protocol::aggregate::EpochConfig;
use sla_storage::RetentionStore;

/// What the maintenance loop does.
#[derive(Debug, Clone, Copy)]
pub struct MaintenanceConfig {
    /// Width of each partition of `records`, ms (aligned on multiples of it since the Unix epoch).
    pub partition_width_ms: u64,
    /// Partitions made after the current one.
    pub partitions_ahead: u32,
    /// Ids per partition of `reports`.
    pub report_partition_ids: u64,
    /// Partitions of `reports` made after the one receiving reports.
    pub report_partitions_ahead: u32,
    /// Time between rounds.
    pub interval: Duration,
    /// Records older than this (ms) whose epochs are settled on chain are removed; `None`: kept
    /// for ever.
    pub records_retention_ms: Option<u64>,
    /// The deployment's epochs (what "settled" is counted in).
    pub epochs: EpochConfig,
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MaintenanceRound {
    /// Partitions created.
    pub partitions_created: usize,
    /// Ranges left to the default partition.
    pub partitions_skipped: usize,
    /// Partitions dropped by the retention.
    pub partitions_dropped: usize,
    /// Record rows deleted by the retention.
    pub rows_deleted: u64,
    /// Partitions of `reports` created.
    pub report_partitions_created: usize,
    /// Partitions of `reports` dropped (every report in them exported).
    pub report_partitions_dropped: usize,
}

/// The maintenance loop.
#[derive(Debug)]
pub struct Maintenance {
    store: RetentionStore,
    config: MaintenanceConfig,
}

impl Maintenance {
    /// A loop over `store` with `config`.
    pub fn new(store: RetentionStore, config: MaintenanceConfig) -> Self {
        Maintenance { store, config }
    }

    /// One round at `now_ms`: partitions, exported reports' partitions dropped, then (if
    /// configured) retention.
    pub async fn round(&self, now_ms: u64) -> sla_storage::Result<MaintenanceRound> {
        let c = &self.config;
        let made = self
            .store
            .ensure_record_partitions(now_ms, c.partition_width_ms, c.partitions_ahead)
            .await?;
        for p in &made.created {
            tracing::info!(partition = %p.name, from_ms = p.from_ms, to_ms = p.to_ms, "records partition created");
        }
        for s in &made.skipped {
            tracing::warn!(partition = %s.partition.name, reason = %s.reason, "records partition not created; its rows stay in the default partition");
        }
        let mut round = MaintenanceRound {
            partitions_created: made.created.len(),
            partitions_skipped: made.skipped.len(),
            ..MaintenanceRound::default()
        };
        let reports = self
            .store
            .ensure_report_partitions(c.report_partition_ids, c.report_partitions_ahead)
            .await?;
        for p in &reports.created {
            tracing::info!(partition = %p.name, from_id = p.from_id, to_id = p.to_id, "reports partition created");
        }
        for (p, reason) in &reports.skipped {
            tracing::warn!(partition = %p.name, reason = %reason, "reports partition not created; its reports land in the default partition");
        }
        round.report_partitions_created = reports.created.len();
        round.report_partitions_dropped = log_report_drops(&self.store).await?;
        if let Some(keep_ms) = c.records_retention_ms {
            let before_ms = now_ms.saturating_sub(keep_ms);
            let dropped = self
                .store
                .drop_settled_records(&c.epochs, before_ms)
                .await?;
            for p in &dropped.partitions {
                tracing::info!(partition = %p.name, "records partition dropped (retention)");
            }
            if dropped.rows_deleted > 0 || !dropped.partitions.is_empty() {
                tracing::info!(
                    rows = dropped.rows_deleted,
                    partitions = dropped.partitions.len(),
                    kept_from_ms = dropped.kept_from_ms,
                    "records of settled epochs removed"
                );
            }
            round.partitions_dropped = dropped.partitions.len();
            round.rows_deleted = dropped.rows_deleted;
        }
        Ok(round)
    }

    /// Runs a round now and then every interval until `stopped` completes; failures are logged.
    pub async fn run(self, stopped: impl std::future::Future<Output = ()>) {
        tokio::pin!(stopped);
        loop {
            if let Err(e) = self.round(sla_runtime::now_ms()).await {
                tracing::error!(error = %e, "database maintenance failed; trying again at the next round");
            }
            tokio::select! {
                _ = &mut stopped => return,
                _ = tokio::time::sleep(self.config.interval) => {}
            }
        }
    }
}

/// Drops the partitions of `reports` whose every report was exported, and logs it; answers how
/// many went.
async fn log_report_drops(store: &RetentionStore) -> sla_storage::Result<usize> {
    let dropped = store.drop_exported_report_partitions().await?;
    for p in &dropped.dropped {
        tracing::info!(partition = %p.name, from_id = p.from_id, to_id = p.to_id, "reports partition dropped (every report exported)");
    }
    if dropped.heads_moved > 0 {
        tracing::info!(
            heads = dropped.heads_moved,
            "report chain heads moved to the default partition"
        );
    }
    Ok(dropped.dropped.len())
}

/// `sla-oracle export-reports`: writes the signed reports received before a time (and whose
/// epochs are settled) to a JSON-lines file, syncs it, then deletes them from the database.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "sla-oracle export-reports",
    bin_name = "sla-oracle export-reports",
    about = "Exports signed reports past the audit horizon to a JSON-lines file, then deletes them",
    long_about = "Exports signed reports past the audit horizon to a JSON-lines file (payload and \
    signature hex, hash, received time), syncs the file, and only then deletes the reports and \
    their records, in batches. Only reports received before the given time, of epochs whose every \
    roll-up is submitted and mirrored from the chain, already counted by the aggregator, and not \
    the newest of their report chain are taken. Safe to re-run with the same file after an \
    interruption. See docs/storage.md."
)]
pub struct ExportArgs {
    /// Database URL (`sqlite:PATH` or `postgres://…`).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:sla-oracle.sqlite")]
    pub database_url: String,

    /// Reports received before this time (Unix ms) are exported.
    #[arg(
        long,
        required_unless_present = "older_than_days",
        conflicts_with = "older_than_days"
    )]
    pub before_ms: Option<u64>,

    /// Reports received more than this many days ago are exported (the audit horizon).
    #[arg(long)]
    pub older_than_days: Option<u64>,

    /// The file the reports are appended to (created if missing).
    #[arg(long)]
    pub out: std::path::PathBuf,

    /// Reports per batch (one fsync and one deleting transaction each).
    #[arg(long, default_value_t = 1_000)]
    pub batch: u32,
}

/// Runs `sla-oracle export-reports`.
pub async fn export_reports(args: ExportArgs) -> anyhow::Result<()> {
    let db = sla_storage::Database::connect(&args.database_url).await?;
    let contract = db.mirror().contract().await?.ok_or_else(|| {
        anyhow::anyhow!(
            "the chain mirror holds no contract configuration yet: run the oracle's indexer first"
        )
    })?;
    let epochs = EpochConfig::new(contract.genesis_time, contract.epoch_length)
        .map_err(|e| anyhow::anyhow!("the mirrored contract configuration: {e}"))?;
    let before_ms = match (args.before_ms, args.older_than_days) {
        (Some(ms), _) => ms,
        (None, Some(days)) => sla_runtime::now_ms().saturating_sub(days.saturating_mul(86_400_000)),
        (None, None) => anyhow::bail!("--before-ms or --older-than-days is required"),
    };
    let summary = db
        .retention()
        .export_reports(&epochs, before_ms, &args.out, args.batch)
        .await?;
    // On PostgreSQL the exported reports go with their partitions: at once where a whole
    // partition is exported, otherwise at a later maintenance round of the oracle.
    let dropped = log_report_drops(&db.retention()).await?;
    println!(
        "exported {} reports to {} ({} were in the file already); {} removed from the database; \
         {} partitions of reports dropped",
        summary.written,
        args.out.display(),
        summary.already_in_file,
        summary.deleted,
        dropped
    );
    db.close().await;
    Ok(())
}
