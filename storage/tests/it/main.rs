//! The storage suite: what only the storage layer can show (arrival order across replicas,
//! writers racing, WAL growth, migrations of old databases, concurrent opens, the deployment
//! binding, subscriptions and maintenance windows, partitions of records and reports, retention
//! and the export of reports). On SQLite always and on PostgreSQL whenever
//! `SLA_TEST_POSTGRES_URL` is set (mandatory with `CI=true`). The acceptance rules are tested
//! where they live (the protocol crate) and through the server (the ingest API's suite).

mod arrival_order;
mod concurrent_open;
mod dashboard_reads;
mod deployment_binding;
mod lean_indexes;
mod maintenance;
mod report_partitions;
mod retention;
mod subscriptions;
mod two_writers;
mod txs;
mod wal_growth;
