//! `sla-loadgen`: seeds allocations and reporter keys, pre-signs every report, then sends them
//! to a running ingest API from many concurrent reporters and prints what was acknowledged per
//! second. It also measures this machine's 2-thread `verify_strict` rate in the same run, so the
//! ingest rate can be read as a ratio to the cost of verification alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::Parser;
use ed25519_dalek::SigningKey;
use sla_protocol::{
    sign_report, verify_signature, Deployment, Operation, QosRecord, Report, ReportHash, Role,
    SignedReport,
};
use sla_storage::{Allocation, AllocationStatus, ReporterKey};

const CONSUMER: &str = "0x00000000000000000000000000000000000000c1";
const PROVIDER: &str = "0x00000000000000000000000000000000000000b1";
const MINUTE_MS: u64 = 60_000;

#[derive(Debug, Parser)]
struct Args {
    /// Base URL of the ingest API.
    #[arg(long)]
    target: String,
    /// The server's database, to seed allocations and keys before the run.
    #[arg(long)]
    database_url: String,
    /// Concurrent reporters (each its own key and data unit, sending its chain in order).
    #[arg(long, default_value_t = 256)]
    reporters: u64,
    /// Reports per reporter.
    #[arg(long, default_value_t = 200)]
    reports: u64,
    /// Records per report.
    #[arg(long, default_value_t = 1)]
    records: u64,
    /// First data unit id to use (runs against the same database must not overlap).
    #[arg(long, default_value_t = 1)]
    first_data_unit: u64,
    /// Send `application/json` (hex) instead of the binary wire form.
    #[arg(long)]
    json: bool,
    /// Send each reporter's reports in `POST /v1/reports/batch` requests of this many
    /// consecutive reports (1 = one `POST /v1/reports` per report).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Chain id and contract the server expects.
    #[arg(long, default_value_t = 31337)]
    chain_id: u64,
    #[arg(long, default_value = "0xabababababababababababababababababababab")]
    contract: String,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn reporter_key(index: u64) -> SigningKey {
    let mut seed = [0x5a; 32];
    seed[..8].copy_from_slice(&index.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

fn sign_chain(args: &Args, deployment: Deployment, index: u64) -> Vec<SignedReport> {
    let key = reporter_key(index);
    let data_unit = args.first_data_unit + index;
    let start = (now_ms() / MINUTE_MS - args.reports - 10) * MINUTE_MS;
    let mut prev = ReportHash::ZERO;
    (0..args.reports)
        .map(|i| {
            let period_start_ms = start + i * MINUTE_MS;
            let records = (0..args.records)
                .map(|r| {
                    let op = if r % 2 == 0 {
                        Operation::Read
                    } else {
                        Operation::Write
                    };
                    QosRecord::success(period_start_ms + r, op, 1_000 + (r as u32 % 97) * 10, 4096)
                })
                .collect();
            let report = Report {
                deployment,
                role: Role::Consumer,
                reporter_key: key.verifying_key().to_bytes(),
                data_unit,
                sequence: i + 1,
                prev_hash: prev,
                period_start_ms,
                period_end_ms: period_start_ms + MINUTE_MS,
                records,
            };
            let signed = sign_report(&report, &key).expect("valid report");
            prev = signed.hash();
            signed
        })
        .collect()
}

async fn seed(args: &Args) -> anyhow::Result<()> {
    let storage = sla_storage::connect(&args.database_url).await?;
    for index in 0..args.reporters {
        let data_unit = args.first_data_unit + index;
        storage
            .upsert_allocation(&Allocation {
                data_unit,
                consumer: CONSUMER.into(),
                provider: PROVIDER.into(),
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
                public_key: reporter_key(index).verifying_key().to_bytes(),
                account: CONSUMER.into(),
                valid_from_ms: 0,
                valid_until_ms: None,
            })
            .await?;
    }
    storage.close().await;
    Ok(())
}

/// Reports verified per second by two threads with `verify_strict`, as the server does it.
fn verify_rate(sample: &[SignedReport]) -> f64 {
    let window = Duration::from_secs(2);
    let counted = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let counted = counted.clone();
            scope.spawn(move || {
                let mut n = 0u64;
                while started.elapsed() < window {
                    for s in sample.iter().take(256) {
                        let key: [u8; 32] = s.payload[51..83].try_into().unwrap();
                        verify_signature(&key, &s.hash(), &s.signature).expect("valid");
                        n += 1;
                    }
                }
                counted.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    counted.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut contract = [0u8; 20];
    hex::decode_to_slice(args.contract.trim_start_matches("0x"), &mut contract)
        .context("--contract must be a 20-byte hex address")?;
    let deployment = Deployment {
        chain_id: args.chain_id,
        contract,
    };
    seed(&args).await?;

    let chains: Vec<Vec<SignedReport>> = {
        let args = &args;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2u64)
                .map(|part| {
                    scope.spawn(move || {
                        (0..args.reporters)
                            .filter(|i| i % 2 == part)
                            .map(|i| (i, sign_chain(args, deployment, i)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all: Vec<(u64, Vec<SignedReport>)> = handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect();
            all.sort_by_key(|(i, _)| *i);
            all.into_iter().map(|(_, c)| c).collect()
        })
    };
    let verify_before = verify_rate(&chains[0]);

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .build()?;
    let url = format!("{}/v1/reports", args.target);
    let accepted = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = chains
        .into_iter()
        .map(|chain| {
            let (http, url, accepted, json) =
                (http.clone(), url.clone(), accepted.clone(), args.json);
            tokio::spawn(async move {
                for signed in chain {
                    let request = if json {
                        http.post(&url)
                            .header("content-type", "application/json")
                            .body(
                                serde_json::json!({
                                    "payload": hex::encode(&signed.payload),
                                    "signature": hex::encode(&signed.signature),
                                })
                                .to_string(),
                            )
                    } else {
                        http.post(&url)
                            .header("content-type", "application/octet-stream")
                            .body(signed.to_wire())
                    };
                    let response = request.send().await?;
                    if response.status().as_u16() != 201 {
                        bail!("status {}: {}", response.status(), response.text().await?);
                    }
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let reports = accepted.load(Ordering::Relaxed);
    let reports_per_s = reports as f64 / elapsed;
    let records_per_s = reports_per_s * args.records as f64;
    println!(
        "{}",
        serde_json::json!({
            "reports": reports,
            "records_per_report": args.records,
            "reports_per_request": args.batch.max(1),
            "seconds": elapsed,
            "reports_per_s": reports_per_s.round(),
            "records_per_s": records_per_s.round(),
            "verify_strict_2_threads_per_s": verify_before.round(),
            "ratio_to_verify": (reports_per_s / verify_before * 1000.0).round() / 1000.0,
        })
    );
    Ok(())
}
