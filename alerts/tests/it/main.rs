//! The alerting process: its configuration's refusals, the outbox on both databases, and
//! delivery to a real local webhook receiver that fails at first, across a kill -9, email to a
//! real SMTP server that starts late, and subscriptions turned into receivers.

mod conditions;
mod config;
mod delivery;
mod email;
mod late;
mod outbox;
mod receiver;
mod reports;
mod smtp;
mod subscriptions;
