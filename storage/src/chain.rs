//! The chain state mirrored by the indexer: allocations, keys, oracle configuration, applied
//! results, and where the indexer stands on the chain.

use async_trait::async_trait;

use crate::postgres::PostgresStorage;
use crate::sqlite::SqliteStorage;

/// The indexer's reads and writes.
#[async_trait]
pub trait ChainStore: Send + Sync + std::fmt::Debug + 'static {}

#[async_trait]
impl ChainStore for SqliteStorage {}

#[async_trait]
impl ChainStore for PostgresStorage {}
