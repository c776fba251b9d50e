//! `sla-dashboard-bench`: the dashboard under 50 concurrent viewers (issue 14).
//!
//! - `seed --database-url URL`: a database as the indexer and the aggregator would leave it for
//!   1,000 providers with 10 data units each (10,000), hourly epochs, the last 24 epochs' results
//!   of every data unit on chain (10 % violating, each with its penalty), and a year of hourly
//!   epochs (8,760 roll-ups with verdicts, results, penalties and batches) behind data unit 1.
//! - `load --url URL --viewers 50 --seconds 20 [--think-ms 3000]`: that many viewers from this
//!   separate process, each opening a page and then its JSON, in turn the overview, a provider,
//!   a data unit, a status page with its badge and an export; with `--think-ms` each looks at what
//!   it opened for that long, polling the live probe every 3 s as the pages do, else it opens the
//!   next at once (a closed loop). Prints one JSON line with the p50, p95 and p99 time of each
//!   request (request sent to body read, over loopback).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use clap::Parser;
use serde_json::json;
use sla_protocol::aggregate::{
    evaluate, AggregationContext, EpochAccumulator, EpochConfig, EpochResult, SlaTerms,
    WindowSummary,
};
use sla_protocol::parties::{Allocation, AllocationStatus};
use sla_protocol::{Deployment, Operation, QosRecord, ReportHash, Role};
use sla_storage::mirror::{
    ChainBlock, ChainOrigin, ContractConfig, MirroredAllocation, MirroredPenalty, MirroredResult,
    ProviderState, ResultBatch,
};
use sla_storage::rollups::RollupWrite;
use sla_storage::{Database, RollupStatus};

const PROVIDERS: u64 = 1_000;
const UNITS_PER_PROVIDER: u64 = 10;
const EPOCH_S: u32 = 3_600;
const YEAR_EPOCHS: u64 = 8_760;
const RECENT_EPOCHS: u64 = 24;
/// The contract the bench server is started with (`--contract`).
const CONTRACT: [u8; 20] = [0xab; 20];

#[derive(Debug, Parser)]
enum Args {
    /// Fills a fresh database.
    Seed {
        #[arg(long)]
        database_url: String,
    },
    /// Loads a running server.
    Load {
        /// Base URL of the ingest API, e.g. `http://127.0.0.1:8080`.
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 50)]
        viewers: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Viewer pace: after each page and its JSON, a viewer looks for this long, polling
        /// `/dashboard/live` every 3 s as the pages' script does; 0 = back to back (a closed
        /// loop: throughput under saturation).
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
    },
}

fn provider_address(i: u64) -> Address {
    let mut b = [0u8; 20];
    b[12..].copy_from_slice(&(i + 1).to_be_bytes());
    b[0] = 0x70;
    Address::from(b)
}

fn consumer_address(unit: u64) -> Address {
    let mut b = [0u8; 20];
    b[12..].copy_from_slice(&unit.to_be_bytes());
    b[0] = 0xc0;
    Address::from(b)
}

fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 50_000,
        max_write_latency_us: 100_000,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 9_900,
        uptime_window: 30 * 86_400,
        max_error_rate_bps: 100,
        reporting_interval: 600,
        penalty_per_epoch: 10_000_000_000_000_000,
        weights: [2_000, 2_000, 0, 0, 3_000, 3_000],
    }
}

fn origin(block: u64, tx: u64) -> ChainOrigin {
    let mut h = [0u8; 32];
    h[24..].copy_from_slice(&tx.to_be_bytes());
    ChainOrigin {
        block_number: block,
        log_index: Some(0),
        tx_hash: Some(h),
    }
}

fn result(unit: u64, epoch: u64, violating: bool) -> EpochResult {
    EpochResult {
        data_unit_id: unit,
        read_latency_us: if violating { 180_000 } else { 9_000 },
        write_latency_us: 25_000,
        upload_bps: 0,
        download_bps: 0,
        uptime_bps: 9_990,
        error_rate_bps: if violating { 3_333 } else { 0 },
        operations: 48,
        violations: if violating { 0b100001 } else { 0 },
        flags: 0,
        reports_root: [epoch as u8; 32],
    }
}

async fn seed(url: &str) -> anyhow::Result<()> {
    let db = Database::connect(url).await?;
    db.bind_deployment(&Deployment {
        chain_id: 31337,
        contract: CONTRACT,
    })
    .await?;
    let now_s = sla_runtime::now_ms() / 1_000;
    let genesis = now_s - (YEAR_EPOCHS + 1) * u64::from(EPOCH_S);
    let config = EpochConfig::new(genesis, EPOCH_S)?;
    let current = config.epoch_of(now_s * 1_000).unwrap();
    let t = terms();
    let mirror = db.mirror();
    let started = Instant::now();

    let mut w = mirror.begin_write().await?;
    w.insert_contract(&ContractConfig {
        admin: provider_address(999_999),
        genesis_time: genesis,
        epoch_length: EPOCH_S,
        submission_window: 86_400,
        unbonding_delay: 86_400,
        allocation_request_ttl: 3_600,
        origin: origin(1, 1),
    })
    .await?;
    for p in 0..PROVIDERS {
        w.insert_provider(&ProviderState {
            provider: provider_address(p),
            provider_id: p as u32 + 1,
            reputation: (3_000 + (p * 7_919) % 7_000) as u16,
            bonded: 1_000_000_000_000_000_000 + u128::from(p),
            unbonding: 0,
            unbonding_release_at: 0,
            suspended_until: 0,
            updated: origin(2, 2),
        })
        .await?;
        for k in 0..UNITS_PER_PROVIDER {
            let unit = p * UNITS_PER_PROVIDER + k + 1;
            let allocation = Allocation {
                data_unit: unit,
                consumer: consumer_address(unit),
                provider: provider_address(p),
                status: AllocationStatus::Active,
                terms_hash: [7; 32],
                terms: t.clone(),
                active_from_ms: genesis * 1_000,
                closed_at_ms: None,
            };
            w.put_allocation(&MirroredAllocation {
                allocation: allocation.clone(),
                profile_id: 0,
                requested_at_ms: genesis * 1_000,
                expires_at_ms: genesis * 1_000 + 3_600_000,
                active_from_epoch: Some(0),
                closed_epoch: None,
                closed_by: None,
                updated: origin(3, 3),
            })
            .await?;
            w.upsert_current_allocation(&allocation).await?;
        }
    }
    w.commit().await?;

    // Results of the last day for every data unit; a year for data unit 1.
    let mut block = 10;
    for first in (1..=PROVIDERS * UNITS_PER_PROVIDER).step_by(1_000) {
        let mut w = mirror.begin_write().await?;
        for unit in first..first + 1_000 {
            let span = if unit == 1 {
                YEAR_EPOCHS
            } else {
                RECENT_EPOCHS
            };
            for epoch in current - span..current {
                block += 1;
                let violating = (unit + epoch) % 10 == 0;
                w.insert_result(&MirroredResult {
                    epoch,
                    result: result(unit, epoch, violating),
                    origin: origin(block, block),
                })
                .await?;
                if violating {
                    w.insert_penalty(&MirroredPenalty {
                        data_unit: unit,
                        epoch,
                        provider: provider_address((unit - 1) / UNITS_PER_PROVIDER),
                        consumer: consumer_address(unit),
                        amount: t.penalty_per_epoch,
                        from_bonded: t.penalty_per_epoch,
                        from_unbonding: 0,
                        origin: origin(block, block),
                    })
                    .await?;
                }
                if unit == 1 {
                    w.insert_batch(&ResultBatch {
                        epoch,
                        config_version: 1,
                        results_hash: [1; 32],
                        applied: 1,
                        skipped: 0,
                        submitter: provider_address(999_998),
                        origin: origin(block, block),
                    })
                    .await?;
                }
            }
        }
        w.set_cursor(Some(&ChainBlock {
            number: block,
            hash: [9; 32],
            timestamp_ms: now_s * 1_000,
        }))
        .await?;
        w.commit().await?;
    }

    // A year of roll-ups behind data unit 1, each from 24 reads and 24 writes per side.
    let rollups = db.rollups();
    let mut batch = Vec::new();
    for epoch in current - YEAR_EPOCHS..=current {
        let ctx = AggregationContext::new(&config, &t, 1, epoch)?;
        let mut acc = EpochAccumulator::new(ctx);
        let (start, end) = config.bounds_ms(epoch).unwrap();
        for role in [Role::Consumer, Role::Provider] {
            let view = acc.view_mut(role);
            view.add_report_period(start, end);
            for i in 0..48u64 {
                let ts = start + i * (end - start) / 48;
                let op = if i % 2 == 0 {
                    Operation::Read
                } else {
                    Operation::Write
                };
                let latency = 8_000 + ((i * 7_919 + epoch) % 9_000) as u32;
                let record = if (epoch + i) % 97 == 0 {
                    QosRecord::failure(ts, op, latency, 503, "service unavailable")
                } else {
                    QosRecord::success(ts, op, latency, 64 * 1024)
                };
                view.add_record(&record);
            }
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&epoch.to_be_bytes());
            hash[8] = role.tag();
            view.add_report_hash(ReportHash(hash));
        }
        let summary = acc.summary();
        let window = WindowSummary::compute(&config, 1, epoch, 1, std::slice::from_ref(&summary))?;
        let verdict = evaluate(&t, &summary, &window)?;
        batch.push((acc, summary, verdict, epoch == current));
    }
    for chunk in batch.chunks(1_000) {
        let writes: Vec<RollupWrite<'_>> = chunk
            .iter()
            .map(|(acc, summary, verdict, open)| RollupWrite {
                accumulator: acc,
                summary,
                status: if *open {
                    RollupStatus::Open
                } else {
                    RollupStatus::Submitted
                },
                verdict: (!open).then_some(verdict),
                updated_at_ms: now_s * 1_000,
            })
            .collect();
        rollups.save(&writes, &[], None).await?;
    }
    db.close().await;
    println!(
        "{}",
        json!({
            "seeded_s": started.elapsed().as_secs_f64(),
            "providers": PROVIDERS,
            "data_units": PROVIDERS * UNITS_PER_PROVIDER,
            "rollups_behind_unit_1": YEAR_EPOCHS + 1,
            "provider_of_unit_1": format!("{:#x}", provider_address(0)),
        })
    );
    Ok(())
}

fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(sorted.len() * p).div_ceil(100).saturating_sub(1)]
}

async fn get(client: &reqwest::Client, url: &str) -> (f64, u16) {
    let t = Instant::now();
    let status = match client.get(url).send().await {
        Ok(r) => {
            let s = r.status().as_u16();
            let _ = r.bytes().await;
            s
        }
        Err(_) => 0,
    };
    (t.elapsed().as_secs_f64() * 1_000.0, status)
}

async fn load(url: &str, viewers: usize, seconds: u64, think_ms: u64) -> anyhow::Result<()> {
    let p = format!("{:#x}", provider_address(0));
    // Each step: a page, then the JSON it is built from (or what it embeds).
    let steps: Vec<[String; 2]> = vec![
        ["/dashboard".into(), "/v1/overview".into()],
        [
            format!("/dashboard/providers/{p}"),
            format!("/v1/providers/{p}"),
        ],
        ["/dashboard/data-units/1".into(), "/v1/data-units/1".into()],
        [
            format!("/dashboard/status/{p}"),
            format!("/dashboard/badge/providers/{p}.svg"),
        ],
        [
            "/v1/data-units/1/results?format=csv".into(),
            "/v1/data-units/1/results".into(),
        ],
    ];
    let mut paths: Vec<String> = steps.iter().flatten().cloned().collect();
    paths.push("/dashboard/live".into());
    let live = paths.len() - 1;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(viewers)
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (steps, paths) = (Arc::new(steps), Arc::new(paths));
    let mut tasks = Vec::new();
    for v in 0..viewers {
        let (client, steps, paths, url) =
            (client.clone(), steps.clone(), paths.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            // Viewers start spread over one think time, as people arrive at different moments.
            if think_ms > 0 {
                let offset = think_ms * v as u64 / viewers as u64;
                tokio::time::sleep(Duration::from_millis(offset)).await;
            }
            let mut times: Vec<(usize, f64, u16)> = Vec::new();
            let mut i = v;
            while Instant::now() < deadline {
                let k = i % steps.len();
                for (j, path) in steps[k].iter().enumerate() {
                    let (ms, status) = get(&client, &format!("{url}{path}")).await;
                    times.push((k * 2 + j, ms, status));
                }
                let mut looked = 0;
                while looked < think_ms && Instant::now() < deadline {
                    let nap = (think_ms - looked).min(3_000);
                    tokio::time::sleep(Duration::from_millis(nap)).await;
                    looked += nap;
                    if nap == 3_000 {
                        let (ms, status) = get(&client, &format!("{url}{}", paths[live])).await;
                        times.push((live, ms, status));
                    }
                }
                i += 1;
            }
            times
        }));
    }
    let mut by_path: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let mut errors = 0;
    let mut total = 0;
    for t in tasks {
        for (k, ms, status) in t.await? {
            total += 1;
            if status != 200 {
                errors += 1;
            }
            by_path.entry(k).or_default().push(ms);
        }
    }
    let mut pages = serde_json::Map::new();
    for (k, mut v) in by_path {
        v.sort_by(f64::total_cmp);
        pages.insert(
            paths[k].clone(),
            json!({
                "requests": v.len(),
                "p50_ms": percentile(&v, 50),
                "p95_ms": percentile(&v, 95),
                "p99_ms": percentile(&v, 99),
            }),
        );
    }
    println!(
        "{}",
        json!({
            "viewers": viewers,
            "seconds": seconds,
            "think_ms": think_ms,
            "requests": total,
            "non_200": errors,
            "requests_per_s": total as f64 / seconds as f64,
            "pages": pages,
        })
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse() {
        Args::Seed { database_url } => seed(&database_url).await,
        Args::Load {
            url,
            viewers,
            seconds,
            think_ms,
        } => load(&url, viewers, seconds, think_ms).await,
    }
}
