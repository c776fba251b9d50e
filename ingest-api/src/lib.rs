//! The SLA oracle's ingest API: an axum service that verifies signed QoS reports (format v1 of
//! `sla-protocol`), judges them against the mirrored chain state, stores them durably with group
//! commit (acknowledging only after the commit), and serves them back so anyone can re-verify.
//! See `docs/ingest-api.md` for the HTTP contract.

#![warn(missing_docs)]

pub mod app;
pub mod body;
pub mod committer;
pub mod config;
pub mod extract;
pub mod load;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod signed;
pub mod state;
pub mod targets;

pub use app::{app, app_with_dashboard, serve, Dashboard, ServeError, ServiceLimits};
pub use config::Config;

/// The `sla-ingest-api` binary: reads the configuration from the command line and the
/// environment, binds `--listen`, prints `listening on ADDR` on standard output (so that scripts
/// and tests binding port 0 find the server) and serves until Ctrl-C or SIGTERM. Also the body of
/// `sla-devstack-ingest-api`, which the replica test starts as separate processes.
pub async fn main() -> anyhow::Result<()> {
    use clap::Parser;
    sla_runtime::init_logging("info");
    let config = Config::parse();
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    println!("listening on {}", listener.local_addr()?);
    serve(listener, config, sla_runtime::shutdown_signal()).await?;
    Ok(())
}
