//! The oracle's suite: the aggregator over real databases, and the chain indexer against a real
//! anvil, on SQLite and (when `SLA_TEST_POSTGRES_URL` is set; mandatory with `CI=true`)
//! PostgreSQL.

mod aggregator;
mod committee;
mod exchange;
mod indexer;
mod maintenance;
mod on_anvil;
mod policy;
mod rules;
mod validator;
