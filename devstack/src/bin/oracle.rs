//! `sla-devstack-oracle`: the `sla-oracle` service (indexer, aggregator, submitter) with the same
//! flags and environment variables, built as a binary of this crate so that the fault tests can
//! run it as a separate process, crash it (`SLA_ORACLE_CRASH_AFTER`) and restart it. Stops on
//! Ctrl-C or SIGTERM.

use clap::Parser;
use sla_oracle::config::OracleConfig;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = OracleConfig::parse();
    sla_oracle::service::run(config, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
