//! The simulation's hours: sign (not timed), feed (timed), count and close the hour's epoch in
//! the aggregator process, measure the database; one JSON line per hour.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;
use sla_protocol::aggregate::EpochConfig;
use sla_storage::Database;

use super::aggregator::AggregatorProcess;
use super::measure::database_size;
use super::population::{EPOCH_LEN_S, HOUR_MS};
use super::reports::Chains;
use super::{feed, PopulationArgs};

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    population: PopulationArgs,
    /// Simulated hours (one report per side per data unit each).
    #[arg(long, default_value_t = 24)]
    hours: u64,
    /// Records per report.
    #[arg(long, default_value_t = 6)]
    records: u64,
    /// The first N hours go through this ingest API (`host:port`), the rest through the group
    /// commit directly.
    #[arg(long, default_value_t = 0)]
    http_hours: u64,
    #[arg(long)]
    ingest_host: Option<String>,
    /// Threads signing reports (before each hour is fed).
    #[arg(long, default_value_t = 2)]
    sign_threads: usize,
    /// Count each hour's reports but do not close its epoch (when a close would not fit in the
    /// time at hand: its time is then extrapolated from a smaller run).
    #[arg(long)]
    skip_close: bool,
}

pub(crate) async fn run(args: RunArgs) -> anyhow::Result<()> {
    let population = args.population.population();
    let db = Database::connect(&args.population.database_url).await?;
    let epochs = EpochConfig::new(0, EPOCH_LEN_S)?;
    let now = sla_runtime::now_ms();
    // The simulated day lies in the past (a report may not end in the future), hour-aligned.
    let start_ms = (now - (args.hours + 1) * HOUR_MS) / HOUR_MS * HOUR_MS;
    // Reports are stored now, hours after their epochs ended: a grace longer than that lets them
    // count, and the aggregator is run at the simulated time of each epoch's end plus the grace.
    let grace_ms = (args.hours + 4) * HOUR_MS;
    let mut aggregator = AggregatorProcess::spawn(&args.population.database_url, grace_ms)?;
    let mut chains = Chains::new(population, start_ms, args.records);
    let analyzer = super::stats::analyze_in_background(db.clone(), Duration::from_secs(30));
    let (mut reports_fed, mut records_fed) = (0u64, 0u64);
    for hour in 0..args.hours {
        let t = Instant::now();
        let reports = chains.hour(hour, args.sign_threads);
        let sign_s = t.elapsed().as_secs_f64();
        let n = reports.len() as u64;
        let (path, ingest_s) = match (&args.ingest_host, hour < args.http_hours) {
            (Some(host), true) => ("ingest-api", feed::http(host, &reports).await?),
            _ => ("storage", feed::direct(&db, &reports).await?),
        };
        drop(reports);
        eprintln!(
            "hour {hour}: fed {n} reports via {path} in {ingest_s:.1} s (signed in {sign_s:.1} s)"
        );
        reports_fed += n;
        records_fed += n * args.records;
        let epoch = epochs.epoch_at_s((start_ms + hour * HOUR_MS) / 1000);
        let (_, end_ms) = epochs
            .bounds_ms(epoch)
            .ok_or_else(|| anyhow::anyhow!("epoch out of range"))?;
        let analyze_s = super::stats::analyze(
            &db,
            &["reports", "report_chains", "epoch_rollups", "records"],
        )
        .await?;
        // Counting the hour's reports (the epoch is not yet closed at this time)...
        let count = aggregator.run(end_ms + grace_ms - 1).await?;
        // ...then closing it: verdicts with the rolling windows.
        super::stats::analyze(&db, &["epoch_rollups"]).await?;
        let close = if args.skip_close {
            json!({ "skipped": true, "seconds": 0.0, "peak_rss_kb": 0, "rss_after_kb": 0 })
        } else {
            aggregator.run(end_ms + grace_ms).await?
        };
        let t = Instant::now();
        let size = database_size(&db).await?;
        let line = json!({
            "phase": "hour",
            "hour": hour,
            "epoch": epoch,
            "data_units": population.data_units,
            "providers": population.providers,
            "consumers": population.consumers,
            "records_per_report": args.records,
            "reports": n,
            "sign_s": sign_s,
            "ingest_path": path,
            "ingest_s": ingest_s,
            "ingest_reports_per_s": n as f64 / ingest_s,
            "analyze_s": analyze_s,
            "aggregator_count": count,
            "aggregator_close": close,
            "reports_total": reports_fed,
            "records_total": records_fed,
            "size": size,
            "size_query_s": t.elapsed().as_secs_f64(),
            "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        });
        println!("{line}");
        eprintln!(
            "hour {hour}: {n} reports via {path} in {ingest_s:.1} s ({:.0}/s), count {:.1} s, close {:.1} s, aggregator peak {} MiB",
            n as f64 / ingest_s,
            count["seconds"].as_f64().unwrap_or(0.0),
            close["seconds"].as_f64().unwrap_or(0.0),
            close["peak_rss_kb"].as_u64().unwrap_or(0).max(count["peak_rss_kb"].as_u64().unwrap_or(0)) / 1024,
        );
    }
    analyzer.abort();
    aggregator.stop().await?;
    db.close().await;
    Ok(())
}
