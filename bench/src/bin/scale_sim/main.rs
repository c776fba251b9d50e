//! `sla-scale-sim`: the Scale issue's simulation (issue 18), driven by
//! `scripts/simulate-scale.sh`. Data units of many providers, one signed report per side per
//! hour, fed at full speed into PostgreSQL; the oracle's aggregator (in a child process, so its
//! memory is its own) counting and closing each hourly epoch; the database's size after each
//! hour; and one planning round of the submitter at full scale. Commands:
//!
//! - `seed`: the chain mirror (allocations and reporter keys) in bulk;
//! - `run`: N hours: sign an hour (not timed), feed it (timed; the first `--http-hours` through
//!   the ingest API, the rest through the storage crate's group commit), count, close, measure;
//!   one JSON line per hour;
//! - `plan`: the submitter's planning of the oldest final epoch (reads, order, pack, sign);
//! - `aggregator`: the child process `run` talks to.

mod aggregator;
mod feed;
mod measure;
mod plan;
mod population;
mod reports;
mod run;
mod seed;
mod stats;

#[path = "../../http1.rs"]
mod http1;

use clap::{Args as ClapArgs, Parser, Subcommand};
use population::Population;

#[derive(Debug, Parser)]
#[command(about = "Scale simulation: ingest, aggregation and planning at a million data units")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes the chain mirror: allocations and reporter keys, in bulk.
    Seed(PopulationArgs),
    /// Feeds hours of reports and closes their epochs, measuring each.
    Run(run::RunArgs),
    /// One planning round of the submitter over the oldest final epoch.
    Plan {
        #[arg(long)]
        database_url: String,
        /// Results per transaction (the oracle's --max-batch).
        #[arg(long, default_value_t = 100)]
        max_batch: usize,
    },
    /// The aggregator process (started by `run`).
    Aggregator {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        grace_ms: u64,
    },
}

#[derive(Debug, Clone, ClapArgs)]
pub(crate) struct PopulationArgs {
    /// PostgreSQL URL of a fresh database (migrations are run on connecting).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 1_000_000)]
    data_units: u64,
    #[arg(long, default_value_t = 10_000)]
    providers: u64,
    /// Consumer accounts (data unit `u` belongs to consumer `(u - 1) % consumers`).
    #[arg(long, default_value_t = 100_000)]
    consumers: u64,
}

impl PopulationArgs {
    fn population(&self) -> Population {
        Population {
            data_units: self.data_units,
            providers: self.providers.max(1),
            consumers: self.consumers.max(1),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed(args) => {
            let db = sla_storage::Database::connect(&args.database_url).await?;
            let started = std::time::Instant::now();
            let rows = seed::seed_mirror(&db, &args.population()).await?;
            stats::analyze(&db, &["allocations", "reporter_keys"]).await?;
            println!(
                "{}",
                serde_json::json!({
                    "phase": "seed",
                    "data_units": args.data_units,
                    "providers": args.providers,
                    "consumers": args.consumers,
                    "rows": rows,
                    "seconds": started.elapsed().as_secs_f64(),
                })
            );
            db.close().await;
        }
        Command::Run(args) => run::run(args).await?,
        Command::Plan {
            database_url,
            max_batch,
        } => {
            let db = sla_storage::Database::connect(&database_url).await?;
            let mut line = plan::plan_round(&db, max_batch).await?;
            line["phase"] = "plan".into();
            println!("{line}");
            db.close().await;
        }
        Command::Aggregator {
            database_url,
            grace_ms,
        } => aggregator::serve(&database_url, grace_ms).await?,
    }
    Ok(())
}
