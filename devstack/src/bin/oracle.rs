//! `sla-devstack-oracle`: the `sla-oracle` service (indexer, aggregator, submitter) with the same
//! flags and environment variables, built as a binary of this crate so that the fault tests can
//! run it as a separate process, crash it (`SLA_ORACLE_CRASH_AFTER`) and restart it. Stops on
//! Ctrl-C or SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sla_oracle::service::main().await
}
