//! Integration tests of the `sla` command line with real components: nginx with its WebDAV module
//! as the storage server, the real ingest API over SQLite, a real anvil for the chain flows,
//! the whole stack for the auditor (`audit`), and Prometheus node_exporter for the gauges.

mod audit;
mod audit_policy;
mod checks;
mod court;
mod flows;
mod gauges;
mod helpers;
mod keys;
mod maintenance;
mod nginx;
mod policy;
mod probe;
