//! `sla-ingest-api`: serves the ingest API until Ctrl-C or SIGTERM.

// Every request allocates and frees across worker threads; glibc's allocator spent ~7 % of the
// server's CPU in its arenas under the ingest benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sla_ingest_api::main().await
}
