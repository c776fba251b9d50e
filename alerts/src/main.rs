//! `sla-alerts`: the alerting process, beside the ingest API and the oracle on the same database.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use sla_alerts::service::{self, Timing};
use sla_alerts::AlertsConfig;
use sla_storage::Database;

#[derive(Debug, Parser)]
#[command(
    name = "sla-alerts",
    about = "Raises alerts from the SLA oracle's database and delivers them to signed webhooks"
)]
struct Args {
    /// Database URL: `sqlite:PATH` or `postgres://…` (the one the oracle writes).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:sla-oracle.sqlite")]
    database_url: String,
    /// The receivers and their filters (JSON; see docs/alerts.md).
    #[arg(long, env = "SLA_ALERTS_CONFIG")]
    config: PathBuf,
    /// Milliseconds between two looks of the rules and two delivery rounds.
    #[arg(long, default_value_t = 1_000)]
    tick_ms: u64,
    /// Longest a receiver may take to answer, milliseconds.
    #[arg(long, default_value_t = 10_000)]
    request_timeout_ms: u64,
    /// Deliver subscriptions to loopback and private addresses too (refused by default, against
    /// SSRF); for tests and closed networks, with the ingest API's flag of the same name.
    #[arg(long, env = "SLA_SUBSCRIPTIONS_ALLOW_PRIVATE_TARGETS")]
    subscriptions_allow_private_targets: bool,
}

#[tokio::main]
async fn main() {
    sla_runtime::init_logging("info");
    let args = Args::parse();
    let mut config = match AlertsConfig::read(&args.config, |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    config.subscriptions_allow_private_targets = args.subscriptions_allow_private_targets;
    let db = match Database::connect(&args.database_url).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("error: database: {e}");
            std::process::exit(2);
        }
    };
    tracing::info!(receivers = config.receivers.len(), "alerting");
    let timing = Timing {
        tick: Duration::from_millis(args.tick_ms),
        request_timeout: Duration::from_millis(args.request_timeout_ms),
    };
    if let Err(e) = service::run(db.clone(), config, timing, sla_runtime::shutdown_signal()).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    db.close().await;
}
