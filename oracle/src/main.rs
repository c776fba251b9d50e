//! `sla-oracle`: indexes the contract, rolls up reports and submits results until Ctrl-C or
//! SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sla_oracle::service::main().await
}
