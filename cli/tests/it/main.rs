//! Integration tests of the `sla` command line with real components: nginx with its WebDAV module
//! as the storage server, the real ingest API over SQLite, and a real anvil for the chain flows.

mod flows;
mod helpers;
mod keys;
mod nginx;
mod probe;
