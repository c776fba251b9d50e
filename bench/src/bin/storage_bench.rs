//! `sla-storage-bench`: the storage half of the ingest path alone, in one process: judges and
//! commits batches of pre-verified reports through `Storage::ingest` and prints the time per
//! report. Used to tell storage cost from HTTP and signature cost when tuning.

use std::time::Instant;

use clap::Parser;
use ed25519_dalek::SigningKey;
use sla_protocol::{sign_report, Deployment, Operation, QosRecord, Report, ReportHash, Role};
use sla_storage::{Allocation, AllocationStatus, Clock, ReporterKey};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    database_url: String,
    /// Reports per transaction.
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Transactions.
    #[arg(long, default_value_t = 100)]
    batches: usize,
    /// Records per report.
    #[arg(long, default_value_t = 1)]
    records: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let storage = sla_storage::connect(&args.database_url).await?;
    let deployment = Deployment {
        chain_id: 31337,
        contract: [0xab; 20],
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let start = now - (args.batches as u64 + 10) * 60_000;
    let reporters = args.batch as u64;
    let keys: Vec<SigningKey> = (0..reporters)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&i.to_be_bytes());
            SigningKey::from_bytes(&seed)
        })
        .collect();
    for (i, key) in keys.iter().enumerate() {
        storage
            .upsert_allocation(&Allocation {
                data_unit: i as u64 + 1,
                consumer: "0xc1".into(),
                provider: "0xb1".into(),
                status: AllocationStatus::Active,
                reporting_interval_ms: 3_600_000,
                terms_hash: [0; 32],
                terms_json: "{}".into(),
                active_from_ms: 0,
                closed_at_ms: None,
            })
            .await?;
        storage
            .upsert_reporter_key(&ReporterKey {
                public_key: key.verifying_key().to_bytes(),
                account: "0xc1".into(),
                valid_from_ms: 0,
                valid_until_ms: None,
            })
            .await?;
    }
    // Batch b holds report b+1 of every reporter.
    let mut prev = vec![ReportHash::ZERO; keys.len()];
    let mut batches = Vec::new();
    for b in 0..args.batches as u64 {
        let period_start_ms = start + b * 60_000;
        let batch: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let report = Report {
                    deployment,
                    role: Role::Consumer,
                    reporter_key: key.verifying_key().to_bytes(),
                    data_unit: i as u64 + 1,
                    sequence: b + 1,
                    prev_hash: prev[i],
                    period_start_ms,
                    period_end_ms: period_start_ms + 60_000,
                    records: (0..args.records)
                        .map(|r| {
                            QosRecord::success(period_start_ms + r, Operation::Read, 1_000, 4096)
                        })
                        .collect(),
                };
                let verified = sign_report(&report, key)
                    .unwrap()
                    .verify(&deployment)
                    .unwrap();
                prev[i] = verified.hash;
                verified
            })
            .collect();
        batches.push(batch);
    }
    let clock = Clock {
        now_ms: now,
        max_future_skew_ms: 60_000,
    };
    let started = Instant::now();
    for batch in &batches {
        let outcomes = storage.ingest(batch, clock).await?;
        assert!(outcomes
            .iter()
            .all(|o| matches!(o, sla_storage::Outcome::Accepted(_))));
    }
    let elapsed = started.elapsed();
    let reports = (args.batch * args.batches) as f64;
    println!(
        "{{\"reports_per_s\": {:.0}, \"records_per_s\": {:.0}, \"us_per_report\": {:.2}, \"ms_per_batch\": {:.2}}}",
        reports / elapsed.as_secs_f64(),
        reports * args.records as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / reports,
        elapsed.as_secs_f64() * 1e3 / args.batches as f64
    );
    Ok(())
}
