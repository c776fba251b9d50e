//! HTTP handlers, one module per area.

pub mod ingest;
pub mod ops;
pub mod read;
pub mod rollups;
