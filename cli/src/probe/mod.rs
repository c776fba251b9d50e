//! The probe agent: measures one data unit's storage endpoint (HTTP PUT/GET/DELETE, e.g. WebDAV)
//! at regular intervals, keeps every record in a durable spool, and delivers signed reports to
//! the ingest API in order. Configuration, spool format and guarantees: `docs/cli.md`.

pub mod agent;
pub mod config;
pub mod ingest;
pub mod plan;
pub mod spool;
pub mod storage;

pub use agent::run;
pub use config::ProbeConfig;

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}
