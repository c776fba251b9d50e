//! `sla-aggregate-bench`: the aggregator's full roll-up of N million records stored on SQLite
//! (or PostgreSQL), then an incremental run after 1 % more records (issue 4's figures). Setup
//! (signing and storing the reports) is not timed; each timed phase is printed as JSON.
//!
//! With `--gauges` (issue 16) every record is a gauge sample instead of a service operation, in a
//! provider agent's shape (`bench/src/gauge_samples.rs`): each report holds rounds of the same
//! 50 names (10 of them counters growing across the data unit's chain, with occasional
//! restarts), 100 records = 2 rounds 30 s apart, ~1 % failed checks; same report and record
//! counts, so the two runs compare.

use std::time::Instant;

use clap::Parser;
use ed25519_dalek::SigningKey;
use sla_oracle::aggregator::{Aggregator, AggregatorConfig, AggregatorStores};
use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::aggregate::{EpochConfig, MaintenanceWindow, SlaTerms};
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_protocol::{
    sign_report, Deployment, Operation, QosRecord, Report, ReportHash, Role, VerifiedReport,
};
use sla_storage::mirror::{AnnouncedWindow, ChainOrigin};
use sla_storage::testing::{seed_allocation, seed_key, CONSUMER, PROVIDER};
use sla_storage::Database;

#[path = "../gauge_samples.rs"]
mod gauge_samples;

use gauge_samples::NAMES_PER_ROUND;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    database_url: String,
    /// Data units (one provider reporter each).
    #[arg(long, default_value_t = 100)]
    data_units: u64,
    /// Reports per data unit in the full set (one-minute periods).
    #[arg(long, default_value_t = 1000)]
    reports: u64,
    /// Records per report.
    #[arg(long, default_value_t = 100)]
    records: u64,
    /// Records are gauge samples (a provider agent's 50 names per round) instead of reads and
    /// writes.
    #[arg(long)]
    gauges: bool,
    /// Every data unit has a maintenance window of ten minutes in every epoch, so the close
    /// recounts every roll-up without the records inside it (docs/policy.md).
    #[arg(long)]
    maintenance: bool,
}

const EPOCH_LEN_S: u32 = 3600;
const MINUTE_MS: u64 = 60_000;

fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 50_000,
        max_write_latency_us: 80_000,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 9_000,
        uptime_window: 24 * 3600,
        max_error_rate_bps: 100,
        reporting_interval: 3600,
        penalty_per_epoch: 1,
        weights: [2000, 2000, 0, 0, 3000, 3000],
    }
}

fn key(unit: u64) -> SigningKey {
    let mut seed = [9u8; 32];
    seed[..8].copy_from_slice(&unit.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

struct Chains {
    deployment: Deployment,
    start_ms: u64,
    records: u64,
    gauges: bool,
    heads: Vec<(u64, ReportHash)>,
}

impl Chains {
    /// Report `n` (0-based) of every data unit, in one batch.
    fn batch(&mut self, n: u64) -> Vec<VerifiedReport> {
        let deployment = self.deployment;
        (0..self.heads.len() as u64)
            .map(|unit| {
                let key = key(unit);
                let (sequence, prev) = self.heads[unit as usize];
                let start = self.start_ms + n * MINUTE_MS;
                let rounds = self.records.div_ceil(NAMES_PER_ROUND);
                let records = (0..self.records)
                    .map(|r| {
                        if self.gauges {
                            let ts = start + r * (MINUTE_MS / self.records.max(1));
                            let round = n * rounds + r / NAMES_PER_ROUND;
                            let name = (r % NAMES_PER_ROUND) as usize;
                            return gauge_samples::sample(unit, round, name, ts);
                        }
                        let ts = start + r * (MINUTE_MS / self.records.max(1));
                        let latency = 500 + ((r * 7919 + n * 104_729 + unit) % 20_000) as u32;
                        match r % 10 {
                            0 => QosRecord::success(ts, Operation::Write, latency, 1 << 16),
                            9 if (n + unit).is_multiple_of(7) => {
                                QosRecord::failure(ts, Operation::Read, latency, 503, "busy")
                            }
                            _ => QosRecord::success(ts, Operation::Read, latency, 4096),
                        }
                    })
                    .collect();
                let report = Report {
                    deployment,
                    role: Role::Provider,
                    reporter_key: key.verifying_key().to_bytes(),
                    data_unit: unit + 1,
                    sequence: sequence + 1,
                    prev_hash: prev,
                    period_start_ms: start,
                    period_end_ms: start + MINUTE_MS,
                    records,
                };
                let v = sign_report(&report, &key)
                    .unwrap()
                    .verify(&deployment)
                    .unwrap();
                self.heads[unit as usize] = (sequence + 1, v.hash);
                v
            })
            .collect()
    }
}

async fn store(storage: &Database, chains: &mut Chains, from: u64, to: u64) -> anyhow::Result<()> {
    let clock = Clock {
        now_ms: now_ms(),
        max_future_skew_ms: 60_000,
    };
    for n in from..to {
        let batch = chains.batch(n);
        for o in sla_storage::testing::ingest(storage, &batch, clock).await? {
            anyhow::ensure!(matches!(o, Outcome::Accepted(_)), "{o:?}");
        }
    }
    Ok(())
}

/// A mirrored maintenance window over minutes 10-19 of every epoch the reports touch, for every
/// data unit (as the indexer writes them).
async fn announce_windows(
    storage: &Database,
    data_units: u64,
    start_ms: u64,
    minutes: u64,
) -> anyhow::Result<()> {
    let epoch_s = u64::from(EPOCH_LEN_S);
    let first = start_ms / 1000 / epoch_s;
    let last = (start_ms / 1000 + minutes * 60) / epoch_s;
    let mut w = storage.mirror().begin_write().await?;
    for unit in 1..=data_units {
        for (index, epoch) in (first..=last).enumerate() {
            let start_s = epoch * epoch_s + 600;
            w.insert_maintenance_window(&AnnouncedWindow {
                data_unit: unit,
                index: index as u64,
                window: MaintenanceWindow {
                    start_s,
                    end_s: start_s + 600,
                },
                cancelled: false,
                origin: ChainOrigin {
                    block_number: 1,
                    log_index: Some(index as u64),
                    tx_hash: None,
                },
            })
            .await?;
        }
    }
    w.commit().await?;
    Ok(())
}

fn now_ms() -> u64 {
    sla_runtime::now_ms()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let storage = Database::connect(&args.database_url).await?;
    for unit in 0..args.data_units {
        let allocation = Allocation {
            data_unit: unit + 1,
            consumer: CONSUMER,
            provider: PROVIDER,
            status: AllocationStatus::Active,
            terms_hash: [0; 32],
            terms: terms(),
            active_from_ms: 0,
            closed_at_ms: None,
        };
        seed_allocation(&storage, &allocation).await?;
        let key = ReporterKey {
            public_key: key(unit).verifying_key().to_bytes(),
            account: PROVIDER,
            valid_from_ms: 0,
            valid_until_ms: None,
        };
        seed_key(&storage, &key).await?;
    }
    let extra = (args.reports / 100).max(1);
    let total_minutes = args.reports + extra;
    let epoch_ms = u64::from(EPOCH_LEN_S) * 1000;
    let start_ms = (now_ms() - (total_minutes + 120) * MINUTE_MS) / epoch_ms * epoch_ms;
    let mut chains = Chains {
        deployment: Deployment {
            chain_id: 31337,
            contract: [0xab; 20],
        },
        start_ms,
        records: args.records,
        gauges: args.gauges,
        heads: vec![(0, ReportHash::ZERO); args.data_units as usize],
    };
    let setup = Instant::now();
    store(&storage, &mut chains, 0, args.reports).await?;
    eprintln!(
        "setup: stored {} records in {:.1?}",
        args.data_units * args.reports * args.records,
        setup.elapsed()
    );

    let config = AggregatorConfig {
        epochs: EpochConfig::new(0, EPOCH_LEN_S)?,
        grace_ms: 30 * 24 * 3_600_000,
        page_size: 1000,
    };
    let mut aggregator = Aggregator::new(AggregatorStores::of(&storage), config);
    let started = Instant::now();
    let full = aggregator.run_once(now_ms()).await?;
    let full_s = started.elapsed().as_secs_f64();

    store(&storage, &mut chains, args.reports, args.reports + extra).await?;
    let started = Instant::now();
    let incremental = aggregator.run_once(now_ms()).await?;
    let incremental_s = started.elapsed().as_secs_f64();

    if args.maintenance {
        announce_windows(&storage, args.data_units, start_ms, total_minutes).await?;
    }

    // Close every epoch: verdicts with rolling windows from the stored summaries.
    let closing = AggregatorConfig {
        grace_ms: 0,
        ..config
    };
    let mut closer = Aggregator::new(AggregatorStores::of(&storage), closing);
    let started = Instant::now();
    let finalized = closer.run_once(now_ms() + 2 * epoch_ms).await?;
    let finalize_s = started.elapsed().as_secs_f64();

    println!(
        "{}",
        serde_json::json!({
            "records_are": if args.gauges { "gauge samples" } else { "service operations" },
            "full": { "records": full.records_counted, "reports": full.reports_read, "seconds": full_s,
                      "records_per_s": (full.records_counted as f64 / full_s).round() },
            "incremental": { "records": incremental.records_counted, "reports": incremental.reports_read,
                             "seconds": incremental_s, "ratio_to_full": incremental_s / full_s },
            "finalize": { "epochs": finalized.epochs_finalized, "seconds": finalize_s,
                          "maintenance": args.maintenance },
        })
    );
    Ok(())
}
