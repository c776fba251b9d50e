//! Integration tests of the ingest API: a real server over HTTP on SQLite and PostgreSQL.

mod acceptance;
mod compliance;
mod connections;
mod crash;
mod dashboard;
mod deployment;
mod helpers;
mod isolation;
mod limits;
mod metrics;
mod openapi;
mod problems;
mod read_api;
mod subscriptions;
