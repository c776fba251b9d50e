//! The SLA oracle's alerts: rules over the roll-ups and the chain mirror (`rules.rs`) raise
//! alerts (`alert.rs`), which are written to the outbox in the database for each receiver that
//! wants them before any delivery is tried, then posted to signed JSON webhooks, chat channels
//! and email (`email.rs`) with retries until acknowledged or expired (`deliver.rs`,
//! `service.rs`). Scheduled compliance reports (`reports.rs`, `schedule.rs`) take the same path.
//! Receivers come from a configuration file (`config.rs`). See `docs/alerts.md`.

#![warn(missing_docs)]

pub mod alert;
pub mod config;
pub mod deliver;
pub mod email;
pub mod reports;
pub mod rules;
pub mod schedule;
pub mod service;

pub use config::AlertsConfig;
