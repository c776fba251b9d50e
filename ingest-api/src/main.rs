//! `sla-ingest-api`: serves the ingest API until Ctrl-C or SIGTERM.

use clap::Parser;
use sla_ingest_api::{serve, Config};

// Every request allocates and frees across worker threads; glibc's allocator spent ~7 % of the
// server's CPU in its arenas under the ingest benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sla_runtime::init_logging("info");
    let config = Config::parse();
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    // Printed so that scripts binding port 0 can find the server.
    println!("listening on {}", listener.local_addr()?);
    serve(listener, config, sla_runtime::shutdown_signal()).await?;
    Ok(())
}
