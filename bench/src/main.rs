//! `sla-loadgen`: seeds allocations and reporter keys, pre-signs every report, then sends them
//! to a running ingest API from many concurrent reporters and prints what was acknowledged per
//! second. It also measures this machine's 2-thread `verify_strict` rate in the same run, so the
//! ingest rate can be read as a ratio to the cost of verification alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use ed25519_dalek::{Signature, SigningKey};
use sla_protocol::{
    sign_report, verify_signature, Deployment, Operation, QosRecord, Report, ReportHash, Role,
    SignedReport,
};

mod http1;

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
    /// Reports per request: above 1, each sender owns this many reporters' chains and sends
    /// `POST /v1/reports/batch` requests holding the next report of each (1 = one
    /// `POST /v1/reports` per report, one sender per reporter).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Chain id and contract the server expects.
    #[arg(long, default_value_t = 31337)]
    chain_id: u64,
    #[arg(long, default_value = "0xabababababababababababababababababababab")]
    contract: String,
}

fn now_ms() -> u64 {
    sla_runtime::now_ms()
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
    let storage = sla_storage::Database::connect(&args.database_url).await?;
    for index in 0..args.reporters {
        let data_unit = args.first_data_unit + index;
        let key = reporter_key(index).verifying_key().to_bytes();
        let account = sla_storage::testing::CONSUMER;
        sla_storage::testing::seed_reporter(&storage, data_unit, key, account).await?;
    }
    storage.close().await;
    Ok(())
}

/// The requests of one sender. With `batch` = 1 the sender owns one chain and sends one
/// `POST /v1/reports` per report (binary wire form, or JSON with `json`). Otherwise it owns
/// `batch` chains and each `POST /v1/reports/batch` carries the next report of every one of them,
/// as a provider's probe agent posts one report per data unit each period.
fn serialize_requests(host: &str, chains: &[Vec<SignedReport>], json: bool) -> Vec<Vec<u8>> {
    let as_json = |signed: &SignedReport| {
        serde_json::json!({
            "payload": hex::encode(&signed.payload),
            "signature": hex::encode(&signed.signature),
        })
    };
    if let [chain] = chains {
        return chain
            .iter()
            .map(|signed| {
                if json {
                    let body = as_json(signed).to_string();
                    http1::post(host, "/v1/reports", "application/json", body.as_bytes())
                } else {
                    let body = signed.to_wire();
                    http1::post(host, "/v1/reports", "application/octet-stream", &body)
                }
            })
            .collect();
    }
    let rounds = chains.iter().map(Vec::len).max().unwrap_or(0);
    (0..rounds)
        .map(|round| {
            let reports: Vec<_> = chains
                .iter()
                .filter_map(|c| c.get(round))
                .map(as_json)
                .collect();
            let body = serde_json::json!({ "reports": reports }).to_string();
            http1::post(
                host,
                "/v1/reports/batch",
                "application/json",
                body.as_bytes(),
            )
        })
        .collect()
}

/// One report per request: it must have been newly stored (201).
fn check_single(response: &http1::Response) -> anyhow::Result<u64> {
    if response.status != 201 {
        bail!(
            "status {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    Ok(1)
}

/// A batch answer, read only as far as the check needs (the load generator shares the CPUs
/// with the server, so it does not build a JSON tree per answer).
#[derive(serde::Deserialize)]
struct BatchAnswer {
    results: Vec<BatchItem>,
}

#[derive(serde::Deserialize)]
struct BatchItem {
    status: u16,
}

/// A batch: every report in it must have been newly stored.
fn check_batch(response: &http1::Response) -> anyhow::Result<u64> {
    if response.status != 200 {
        bail!(
            "status {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    let answer: BatchAnswer =
        serde_json::from_slice(&response.body).context("batch answer without results")?;
    if let Some(item) = answer.results.iter().find(|item| item.status != 201) {
        bail!(
            "batch item not stored (status {}): {}",
            item.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    Ok(answer.results.len() as u64)
}

/// Reports verified per second by two threads, each running `check` over the sample for 2 s.
fn verify_rate(sample: &[SignedReport], check: impl Fn(&SignedReport) + Sync) -> f64 {
    let window = Duration::from_secs(2);
    let counted = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut n = 0u64;
                while started.elapsed() < window {
                    for signed in sample.iter().take(256) {
                        check(signed);
                        n += 1;
                    }
                }
                counted.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    counted.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// The machine's 2-thread verification rates, each with the SHA-256 digest of the payload:
/// `ed25519_dalek`'s `verify_strict` with the key already parsed (the ratio's denominator); the
/// protocol crate's check that the server runs (`CheckedKey::verify_strict`, same verdicts, one
/// field inversion less); and that check with the key parsed and checked each time (as for a
/// reporter the server has not seen yet).
struct VerifyRates {
    dalek_strict: f64,
    ours: f64,
    ours_with_key: f64,
}

impl VerifyRates {
    fn mean(a: &VerifyRates, b: &VerifyRates) -> VerifyRates {
        VerifyRates {
            dalek_strict: (a.dalek_strict + b.dalek_strict) / 2.0,
            ours: (a.ours + b.ours) / 2.0,
            ours_with_key: (a.ours_with_key + b.ours_with_key) / 2.0,
        }
    }
}

fn verify_rates(sample: &[SignedReport]) -> anyhow::Result<VerifyRates> {
    // The reporter key as the server reads it: from the decoded payload.
    let key_bytes = sla_protocol::codec::decode(&sample[0].payload)?.reporter_key;
    let key = sla_protocol::check_reporter_key(&key_bytes)?;
    let dalek_key = key.verifying_key();
    let dalek_strict = verify_rate(sample, |signed| {
        let signature = Signature::from_slice(&signed.signature).expect("64 bytes");
        dalek_key
            .verify_strict(&signed.hash().0, &signature)
            .expect("valid");
    });
    let ours = verify_rate(sample, |signed| {
        let signature: &[u8; 64] = signed.signature.as_slice().try_into().expect("64 bytes");
        assert!(key.verify_strict(&signed.hash().0, signature));
    });
    let ours_with_key = verify_rate(sample, |signed| {
        verify_signature(&key_bytes, &signed.hash(), &signed.signature).expect("valid");
    });
    Ok(VerifyRates {
        dalek_strict,
        ours,
        ours_with_key,
    })
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
    // The verify rates are measured before and after the load and averaged: the machine's speed
    // drifts (it is shared), and the ratio should compare like with like.
    let rates_before = verify_rates(&chains[0])?;
    let sample: Vec<SignedReport> = chains[0].clone();

    let host = args
        .target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    // Every request is serialized before the clock starts, like the signatures.
    let batch = args.batch.max(1);
    let requests: Vec<Vec<Vec<u8>>> = chains
        .chunks(batch)
        .map(|chains| serialize_requests(&host, chains, args.json))
        .collect();
    drop(chains);
    let accepted = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|requests| {
            let (host, accepted) = (host.clone(), accepted.clone());
            tokio::spawn(async move {
                let mut connection = http1::Connection::connect(&host).await?;
                for request in requests {
                    let response = connection.exchange(&request).await?;
                    let created = if batch == 1 {
                        check_single(&response)?
                    } else {
                        check_batch(&response)?
                    };
                    accepted.fetch_add(created, Ordering::Relaxed);
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let reports = accepted.load(Ordering::Relaxed);
    let rates_after = verify_rates(&sample)?;
    let rates = VerifyRates::mean(&rates_before, &rates_after);
    let reports_per_s = reports as f64 / elapsed;
    let records_per_s = reports_per_s * args.records as f64;
    println!(
        "{}",
        serde_json::json!({
            "reports": reports,
            "records_per_report": args.records,
            "reports_per_request": batch,
            "seconds": elapsed,
            "reports_per_s": reports_per_s.round(),
            "records_per_s": records_per_s.round(),
            "verify_strict_2_threads_per_s": rates.dalek_strict.round(),
            "verify_strict_before_and_after": [
                rates_before.dalek_strict.round(),
                rates_after.dalek_strict.round()
            ],
            "server_check_2_threads_per_s": rates.ours.round(),
            "verify_with_key_parsing_2_threads_per_s": rates.ours_with_key.round(),
            "ratio_to_verify": (reports_per_s / rates.dalek_strict * 1000.0).round() / 1000.0,
        })
    );
    Ok(())
}
