//! Integration tests of the ingest API: a real server over HTTP on SQLite and PostgreSQL.

mod acceptance;
mod crash;
mod deployment;
mod helpers;
mod limits;
mod read_api;
