//! `sla-storage-bench`: the storage half of the ingest path alone, in one process: judges and
//! commits batches of pre-verified reports through `Storage::ingest` and prints the time per
//! report. Used to tell storage cost from HTTP and signature cost when tuning. On Linux it also
//! prints the CPU time per report of this process (the SQLite writer runs here) and of every
//! `postgres` process on the machine (the PostgreSQL backend, WAL writer and checkpointer).

use std::time::Instant;

use clap::Parser;
use ed25519_dalek::SigningKey;
use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::Deployment;
use sla_storage::testing::{ReportChains, CONSUMER};
use sla_storage::Database;

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
    let storage = Database::connect(&args.database_url).await?;
    let deployment = Deployment {
        chain_id: 31337,
        contract: [0xab; 20],
    };
    let now = sla_runtime::now_ms();
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
    chains.seed(&storage, CONSUMER).await?;
    let batches: Vec<_> = (0..args.batches).map(|_| chains.next_round()).collect();
    let clock = Clock {
        now_ms: now,
        max_future_skew_ms: 60_000,
    };
    let cpu_before = (
        cpu_ticks(|comm| comm == "self"),
        cpu_ticks(|comm| comm == "postgres"),
    );
    let started = Instant::now();
    for batch in &batches {
        let outcomes = sla_storage::testing::ingest(&storage, batch, clock).await?;
        assert!(outcomes.iter().all(|o| matches!(o, Outcome::Accepted(_))));
    }
    let elapsed = started.elapsed();
    let reports = (args.batch * args.batches) as f64;
    // Clock ticks are 10 ms on Linux (USER_HZ = 100).
    let cpu_us = |before: u64, after: u64| (after - before) as f64 * 10_000.0 / reports;
    println!(
        "{}",
        serde_json::json!({
            "reports_per_s": (reports / elapsed.as_secs_f64()).round(),
            "records_per_s": (reports * args.records as f64 / elapsed.as_secs_f64()).round(),
            "us_per_report": (elapsed.as_secs_f64() * 1e8 / reports).round() / 100.0,
            "ms_per_batch": (elapsed.as_secs_f64() * 1e5 / args.batches as f64).round() / 100.0,
            "this_process_cpu_us_per_report":
                cpu_us(cpu_before.0, cpu_ticks(|comm| comm == "self")),
            "postgres_cpu_us_per_report":
                cpu_us(cpu_before.1, cpu_ticks(|comm| comm == "postgres")),
        })
    );
    Ok(())
}

/// User and system CPU ticks (utime + stime) of this process (`comm` "self") or of the processes
/// whose command name `wanted` accepts; 0 where `/proc` cannot be read.
fn cpu_ticks(wanted: impl Fn(&str) -> bool) -> u64 {
    let ticks = |stat: &str| -> Option<(String, u64)> {
        let (head, rest) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_owned();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After the command: state is field 3, utime field 14 and stime field 15 of stat(5).
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some((comm, utime + stime))
    };
    if wanted("self") {
        return std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| ticks(&s))
            .map_or(0, |(_, t)| t);
    }
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter_map(|stat| ticks(&stat))
        .filter(|(comm, _)| wanted(comm))
        .map(|(_, t)| t)
        .sum()
}
