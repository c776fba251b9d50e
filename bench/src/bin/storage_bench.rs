//! `sla-storage-bench`: the storage half of the ingest path alone, in one process: judges and
//! commits batches of pre-verified reports through `Storage::ingest` and prints the time per
//! report. Used to tell storage cost from HTTP and signature cost when tuning.

use std::time::Instant;

use clap::Parser;
use ed25519_dalek::SigningKey;
use sla_protocol::Deployment;
use sla_storage::testing::ReportChains;
use sla_storage::Clock;

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
    // Round b holds report b+1 of every reporter.
    let mut chains = ReportChains::new(deployment, keys, start, args.records);
    chains.seed(&*storage, "0xc1").await?;
    let batches: Vec<_> = (0..args.batches).map(|_| chains.next_round()).collect();
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
