//! Persistence for the SLA oracle, and nothing else: signed reports as received and their
//! records, equivocation evidence, the contract's state as the chain indexer mirrors it, the
//! aggregator's roll-ups and the submitter's transactions, on SQLite (the default, one file) or
//! PostgreSQL, picked from the URL. Migrations are embedded and run at start-up.
//!
//! A [`Database`] hands each service the stores it uses: [`ReportStore`] (the group commit and
//! the report reads), [`MirrorStore`] (the chain mirror and its unit of work [`MirrorWrite`]),
//! [`RollupStore`], [`TxStore`], [`RetentionStore`] (partitions of `records`, retention of
//! settled records, export of signed reports), the alert outbox and
//! [`SubscriptionStore`] (alert subscriptions and maintenance windows), [`PeerStore`] (the report
//! exchange's cursor per peer). Values cross this boundary typed (the protocol's
//! `Allocation`, `SlaTerms`, `EpochSummary`, `EpochVerdict`, alloy `Address`es); a stored value
//! that does not decode is an error naming its table and row. No rule is decided here: the group
//! commit judges a batch with the rules its caller passes (the protocol's
//! `acceptance::plan_batch`), and what an event means is the indexer's. Every SQL statement both
//! databases accept is written once; `backend/` holds what differs.

#![warn(missing_docs)]

pub mod alerts;
mod backend;
mod database;
mod error;
pub mod mirror;
pub mod peers;
pub mod reports;
pub mod retention;
pub mod rollup_close;
pub mod rollup_rounds;
pub mod rollup_windows;
pub mod rollups;
mod rows;
pub mod subscriptions;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
pub mod txs;

pub use alerts::{AlertStore, ConditionState, NewAlert, OutboxAlert};
pub use database::Database;
pub use error::{Result, StorageError};
pub use mirror::{MirrorStore, MirrorWrite};
pub use peers::{PeerCursor, PeerStore};
pub use reports::{ReportStore, StoredReport};
pub use retention::RetentionStore;
pub use rollup_rounds::EpochRollup;
pub use rollup_windows::WindowCounts;
pub use rollups::{Rollup, RollupStatus, RollupStore};
pub use subscriptions::{MaintenanceWindow, SubscriptionStore};
pub use txs::{OracleTx, TxState, TxStore};
