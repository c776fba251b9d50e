//! HTTP handlers, one module per area.

pub mod ingest;
pub mod maintenance;
pub mod ops;
pub mod read;
pub mod rollups;
pub mod subscriptions;
