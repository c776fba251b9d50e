//! The SLA oracle's alerts: rules over the roll-ups, the chain mirror and the services' metrics
//! (`rules/`, with parameters from `settings.rs`) raise alerts (`alert.rs`), conditions through
//! the engine of `condition.rs` (hysteresis, cooldown, resolved), muted by the maintenance
//! windows of `maintenance.rs`. Alerts are written to the outbox in the database for each
//! receiver that wants them before any delivery is tried, then posted to signed JSON webhooks,
//! chat channels and email (`email.rs`) with retries until acknowledged or expired
//! (`deliver.rs`, `service.rs`). Scheduled compliance reports (`reports.rs`, `schedule.rs`) take
//! the same path. Receivers come from a configuration file (`config.rs`) and from signed
//! subscriptions (`subscribed.rs`). See `docs/alerts.md`.

#![warn(missing_docs)]

pub mod alert;
pub mod condition;
pub mod config;
pub mod deliver;
pub mod email;
pub mod maintenance;
pub mod reports;
pub mod rules;
pub mod schedule;
pub mod service;
pub mod settings;
pub mod subscribed;

pub use config::AlertsConfig;
