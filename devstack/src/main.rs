//! `sla-devstack`: runs the whole stack locally (anvil + contract, ingest API on SQLite, oracle)
//! with sample reporters for a compliant and a failing provider, prints what happened on chain,
//! and keeps running until Ctrl-C.

use std::time::Duration;

use clap::Parser;
use sla_devstack::scenario::Scenario;
use sla_devstack::stack::{Stack, StackOptions};
use sla_devstack::summary;

#[derive(Debug, Parser)]
#[command(about = "Runs anvil, the SLA contract, the ingest API, the oracle and sample reporters")]
struct Args {
    /// Where the SQLite file and the deployment file go.
    #[arg(long, default_value = ".stack")]
    data_dir: std::path::PathBuf,
    /// Seconds per epoch.
    #[arg(long, default_value_t = 10)]
    epoch_length: u32,
    /// Print the outcome once this many epochs of each data unit are applied on chain.
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Stop after printing instead of running until Ctrl-C.
    #[arg(long)]
    exit: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sla_runtime::init_logging("warn");
    let args = Args::parse();
    let mut options = StackOptions::new(&args.data_dir);
    options.epoch_length = args.epoch_length;
    println!("starting anvil, deploying SlaOracle, starting the ingest API and the oracle ...");
    let stack = Stack::start(options).await?;
    println!(
        "chain        {} (chain id {})",
        stack.rpc_url, stack.deployment.chain_id
    );
    println!("contract     {}", stack.deployment.contract);
    println!("deployment   {}", stack.deployment_path.display());
    println!("database     {}", stack.database_url);
    println!("ingest API   {}", stack.ingest_url);
    println!("dashboard    {}", stack.dashboard_url());
    if let Some(m) = &stack.oracle_metrics_url {
        println!("oracle       {m}");
    }

    // Accounts: 2 and 3 are providers, 4 and 5 consumers.
    let scenario = Scenario::start(&stack, 10u64.pow(16)).await?;
    let contract = stack.deployment.contract;
    let (compliant, failing) = (&scenario.compliant, &scenario.failing);
    println!(
        "allocations  {} (compliant provider {}), {} (failing provider {})",
        compliant.data_unit,
        compliant.provider.address(),
        failing.data_unit,
        failing.provider.address()
    );
    println!(
        "reporters    4 sample reporters posting every {} ms; waiting for {} epochs on chain ...",
        u64::from(args.epoch_length) * 500,
        args.epochs
    );

    let rollups = sla_storage::Database::connect(&stack.database_url)
        .await?
        .rollups();
    let units = scenario.units();
    let provider = stack.account(0)?.provider;
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs(u64::from(args.epoch_length) * (args.epochs as u64 + 4) + 60);
    loop {
        let outcomes = summary::outcomes(
            &provider,
            contract,
            stack.deployment.deploy_block,
            &rollups,
            &units,
        )
        .await?;
        if outcomes.iter().all(|o| o.applied.len() >= args.epochs) {
            summary::print(&outcomes, &["compliant", "failing"]);
            break;
        }
        if tokio::time::Instant::now() > deadline {
            summary::print(&outcomes, &["compliant", "failing"]);
            anyhow::bail!("results did not reach the chain in time; see the logs (RUST_LOG=info)");
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => { stack.stop().await; return Ok(()); }
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    println!("\nwhere to look next:");
    println!("  dashboard  {}", stack.dashboard_url());
    println!(
        "  failing    {}/data-units/{}",
        stack.dashboard_url(),
        failing.data_unit
    );
    println!(
        "  curl {}/v1/data-units/{}/rollups | jq",
        stack.ingest_url, failing.data_unit
    );
    println!("  curl {}/metrics", stack.ingest_url);
    if let Some(m) = &stack.oracle_metrics_url {
        println!("  curl {m}");
    }
    println!(
        "  sqlite3 {} 'select * from oracle_txs'",
        args.data_dir.join("sla-oracle.sqlite").display()
    );
    if !args.exit {
        println!("\nrunning; Ctrl-C stops everything");
        let _ = tokio::signal::ctrl_c().await;
    }
    stack.stop().await;
    if let Err(e) = scenario.finish().await {
        eprintln!("reporter: {e}");
    }
    Ok(())
}
