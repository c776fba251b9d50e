//! `sla-alerts-latency-bench`: the alerting service at scale, in one process against a fresh
//! database. Seeds `--units` active data units (uptime ≥ 99.9 % over a day, error rate ≤ 1 %)
//! each with an epoch in progress that is healthy; measures the rule evaluation per tick
//! (`Rules::look` over every data unit, median and p99 of `--looks` looks: of a process that just
//! started, every window due at once, and of one that keeps looking a tick apart), then runs the real
//! service (`--tick-ms`) with a real local webhook receiver, turns `--flips` data units to
//! failing one by one (as the aggregator saves an epoch in progress) at random moments between
//! ticks, and measures condition-to-delivery: from the save to the receiver's acknowledgement of
//! the data unit's first burn-rate alert (the default 1 h / 5 min window). Prints one JSON line.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use axum::routing::post;
use clap::Parser;
use rand::Rng;
use serde_json::json;
use sla_alerts::rules::Rules;
use sla_alerts::AlertsConfig;
use sla_protocol::aggregate::{
    AggregationContext, EpochAccumulator, EpochConfig, SlaTerms, EQUAL_WEIGHTS,
};
use sla_protocol::parties::{Allocation, AllocationStatus};
use sla_protocol::{Operation, QosRecord, ReportHash, Role};
use sla_storage::mirror::{ChainOrigin, ContractConfig};
use sla_storage::rollups::RollupWrite;
use sla_storage::{Database, RollupStatus};

#[derive(Debug, Parser)]
struct Args {
    /// A fresh database (`sqlite:PATH` or `postgres://…`).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 10_000)]
    units: u64,
    #[arg(long, default_value_t = 200)]
    flips: u64,
    #[arg(long, default_value_t = 1_000)]
    tick_ms: u64,
    #[arg(long, default_value_t = 10)]
    looks: usize,
}

const EPOCH_S: u64 = 3_600;

fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 0,
        max_write_latency_us: 0,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 9_990,
        uptime_window: 86_400,
        max_error_rate_bps: 100,
        reporting_interval: 3_600,
        penalty_per_epoch: 1_000,
        weights: EQUAL_WEIGHTS,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

/// The epoch in progress of `data_unit` as the aggregator saves it: the provider's reads in
/// each minute so far, failing or not.
async fn save_epoch(db: &Database, epochs: &EpochConfig, data_units: &[u64], failing: bool) {
    let now = sla_runtime::now_ms();
    let epoch = epochs.epoch_of(now).unwrap();
    let mut accs = Vec::new();
    for &d in data_units {
        let ctx = AggregationContext::new(epochs, &terms(), d, epoch).unwrap();
        let start = ctx.start_ms();
        let mut acc = EpochAccumulator::new(ctx);
        let view = acc.view_mut(Role::Provider);
        view.add_report_period(start, now);
        for minute in 0..(now - start) / 60_000 {
            let t = start + minute * 60_000 + 1_000;
            view.add_record(&if failing {
                QosRecord::failure(t, Operation::Read, 1_000, 503, "down")
            } else {
                QosRecord::success(t, Operation::Read, 1_000, 1)
            });
        }
        view.add_report_hash(ReportHash([1; 32]));
        let summary = acc.summary();
        accs.push((acc, summary));
    }
    let writes: Vec<RollupWrite<'_>> = accs
        .iter()
        .map(|(acc, summary)| RollupWrite {
            accumulator: acc,
            summary,
            status: RollupStatus::Open,
            verdict: None,
            updated_at_ms: now,
        })
        .collect();
    db.rollups().save(&writes, &[], None).await.unwrap();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = Database::connect(&args.database_url).await?;
    let now = sla_runtime::now_ms();
    // Now is 40 minutes into an epoch.
    let genesis = now / 1_000 - 2_400 - 100 * EPOCH_S;
    let epochs = EpochConfig::new(genesis, EPOCH_S as u32)?;
    let origin = ChainOrigin {
        block_number: 1,
        log_index: Some(0),
        tx_hash: None,
    };
    let mut w = db.mirror().begin_write().await?;
    w.insert_contract(&ContractConfig {
        admin: Address::ZERO,
        genesis_time: genesis,
        epoch_length: EPOCH_S as u32,
        submission_window: 86_400,
        unbonding_delay: 86_400,
        allocation_request_ttl: 3_600,
        origin,
    })
    .await?;
    for d in 1..=args.units {
        w.upsert_current_allocation(&Allocation {
            data_unit: d,
            consumer: Address::repeat_byte(0xc0),
            provider: Address::with_last_byte((d % 200) as u8),
            status: AllocationStatus::Active,
            terms_hash: [1; 32],
            terms: terms(),
            active_from_ms: now,
            closed_at_ms: None,
        })
        .await?;
    }
    w.commit().await?;
    let all: Vec<u64> = (1..=args.units).collect();
    for chunk in all.chunks(1_000) {
        save_epoch(&db, &epochs, chunk, false).await;
    }

    // Rule evaluation per tick, every data unit healthy (a process that keeps looking).
    let quiet = AlertsConfig::parse(r#"{"receivers":[]}"#, |_| None)?;
    let http = reqwest::Client::new();
    let mut rules = Rules::start(&db, &quiet).await?;
    let mut looks = Vec::new();
    for _ in 0..args.looks {
        let t = Instant::now();
        let look = rules
            .look(&db, &quiet, &http, sla_runtime::now_ms())
            .await?;
        looks.push(t.elapsed().as_secs_f64() * 1_000.0);
        rules.commit(&look);
        // Every window due again: the worst tick, as when all windows come due together.
        rules = Rules::start(&db, &quiet).await?;
    }
    looks.sort_by(f64::total_cmp);
    // A process that keeps looking, one tick apart: the 1 h window is due every 3 s.
    let mut steady = Vec::new();
    let base = sla_runtime::now_ms();
    for i in 0..args.looks as u64 {
        let t = Instant::now();
        let look = rules
            .look(&db, &quiet, &http, base + i * args.tick_ms)
            .await?;
        steady.push(t.elapsed().as_secs_f64() * 1_000.0);
        rules.commit(&look);
    }
    steady.sort_by(f64::total_cmp);

    // The real service and a real receiver.
    let arrived: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let seen = arrived.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap| {
            let seen = seen.clone();
            async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                seen.lock()
                    .unwrap()
                    .entry(key)
                    .or_insert_with(sla_runtime::now_ms);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let text = json!({
        "receivers": [{ "name": "bench", "kind": "webhook", "url": url, "secret_env": "S",
                        "rules": ["burn-rate"] }]
    })
    .to_string();
    let config = AlertsConfig::parse(&text, |_| Some("bench-secret".into()))?;
    let timing = sla_alerts::service::Timing {
        tick: Duration::from_millis(args.tick_ms),
        request_timeout: Duration::from_secs(10),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(sla_alerts::service::run(
        db.clone(),
        config,
        timing,
        async move {
            let _ = stopped.await;
        },
    ));
    tokio::time::sleep(Duration::from_millis(3 * args.tick_ms)).await;

    let mut flipped = HashMap::new();
    for i in 0..args.flips {
        let d = 1 + i * args.units / args.flips;
        save_epoch(&db, &epochs, &[d], true).await;
        flipped.insert(d, sla_runtime::now_ms());
        let pause = rand::thread_rng().gen_range(0..2 * args.tick_ms / 5);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let latencies = loop {
        let got = arrived.lock().unwrap().clone();
        let lat: Vec<f64> = flipped
            .iter()
            .filter_map(|(d, at)| {
                let prefix = format!("burn-rate:1h:{d}:uptime@");
                got.iter()
                    .find(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, t)| t.saturating_sub(*at) as f64)
            })
            .collect();
        if lat.len() == flipped.len() || Instant::now() > deadline {
            break lat;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = stop.send(());
    service.await??;
    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({
            "units": args.units,
            "tick_ms": args.tick_ms,
            "look_ms_median": percentile(&looks, 0.5),
            "look_ms_p99": percentile(&looks, 0.99),
            "steady_look_ms_median": percentile(&steady, 0.5),
            "steady_look_ms_p99": percentile(&steady, 0.99),
            "flips": args.flips,
            "delivered": sorted.len(),
            "condition_to_delivery_ms_p50": percentile(&sorted, 0.5),
            "condition_to_delivery_ms_p99": percentile(&sorted, 0.99),
            "condition_to_delivery_ms_max": sorted.last().copied().unwrap_or(f64::NAN),
        })
    );
    db.close().await;
    Ok(())
}
