//! Integration tests of the `sla` command line with real components: nginx with its WebDAV module
//! as the storage server, the real ingest API over SQLite, a real anvil for the chain flows, and
//! the whole stack for the auditor (`audit`).

mod audit;
mod checks;
mod flows;
mod helpers;
mod keys;
mod nginx;
mod probe;
