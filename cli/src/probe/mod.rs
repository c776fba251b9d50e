//! The probe agent: measures one data unit's storage endpoint (`endpoint.rs`) (HTTP PUT/GET/DELETE, e.g. WebDAV)
//! runs its checks (`checks/`: downloads, JSON-RPC nodes, compute jobs) and samples gauges
//! (`gauges/`: the host, Prometheus exporters, JSON endpoints) at regular intervals, keeps every record in a durable spool, and delivers signed reports to
//! the ingest API in order. Configuration, spool format and guarantees: `docs/cli.md`.

pub mod agent;
pub mod checks;
pub mod config;
pub mod endpoint;
pub mod gauges;
pub mod ingest;
pub mod plan;
pub mod spool;

pub use agent::run;
pub use config::ProbeConfig;

pub(crate) use sla_runtime::now_ms;
