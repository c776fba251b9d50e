//! Per data unit and epoch roll-ups computed by the aggregator, and its progress.

use async_trait::async_trait;

use crate::postgres::PostgresStorage;
use crate::sqlite::SqliteStorage;

/// The aggregator's reads and writes.
#[async_trait]
pub trait RollupStore: Send + Sync + std::fmt::Debug + 'static {}

#[async_trait]
impl RollupStore for SqliteStorage {}

#[async_trait]
impl RollupStore for PostgresStorage {}
