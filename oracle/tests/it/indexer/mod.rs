//! Integration tests of the chain indexer: a real anvil with the contract deployed, real
//! transactions, and the mirror on SQLite and (when `SLA_TEST_POSTGRES_URL` is set; mandatory
//! with `CI=true`) PostgreSQL. They fail, never skip, when anvil is missing: run
//! `contracts/scripts/setup.sh` or set `ANVIL_BIN`.

mod support;

mod acceptance;
mod confirmations;
mod escrow;
mod lifecycle;
mod relay;
mod reorg;
mod restart;
mod run;
mod slash;
