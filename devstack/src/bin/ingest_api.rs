//! `sla-devstack-ingest-api`: the `sla-ingest-api` service with the same flags, environment
//! variables and `listening on ADDR` line (`sla_ingest_api::main`), built as a binary of this
//! crate so that the replica test (`tests/it/replicas.rs`) can run several of them as separate
//! processes and kill one: Cargo names in `CARGO_BIN_EXE_*` only the binaries of the package
//! under test. Stops on Ctrl-C or SIGTERM.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sla_ingest_api::main().await
}
