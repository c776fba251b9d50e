//! The SLA oracle's ingest API: an axum service that verifies signed QoS reports (format v1 of
//! `sla-protocol`), judges them against the mirrored chain state, stores them durably with group
//! commit (acknowledging only after the commit), and serves them back so anyone can re-verify.
//! See `docs/ingest-api.md` for the HTTP contract.

#![warn(missing_docs)]

pub mod app;
pub mod body;
pub mod committer;
pub mod config;
pub mod extract;
pub mod load;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod server;
pub mod signed;
pub mod state;
pub mod targets;

pub use app::{app, app_with_dashboard, serve, Dashboard, ServeError, ServiceLimits};
pub use config::Config;
