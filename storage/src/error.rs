//! Storage errors.

use thiserror::Error;

/// A storage operation failed; nothing of the operation was committed.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("unsupported database url scheme in {0:?} (expected sqlite: or postgres:)")]
    UnsupportedUrl(String),
    /// The database refused or failed a statement, or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration could not be applied.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored row does not decode into its domain value: names the table, the row and why.
    #[error("stored data is corrupt: {table} row {row}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row's key, e.g. `data_unit=7`.
        row: String,
        /// What does not decode.
        reason: String,
    },
    /// The database belongs to another deployment than the process was configured for.
    #[error(
        "the database holds chain {recorded_chain_id}, contract 0x{recorded_contract}, but this \
         process is configured for chain {chain_id}, contract 0x{contract}: use a new database \
         for another deployment"
    )]
    OtherDeployment {
        /// The chain id the database was bound to.
        recorded_chain_id: u64,
        /// The contract the database was bound to (hex).
        recorded_contract: String,
        /// The chain id this process asked for.
        chain_id: u64,
        /// The contract this process asked for (hex).
        contract: String,
    },
}

impl StorageError {
    /// A unique-key violation: another writer stored the same report or sequence first.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StorageError::Database(sqlx::Error::Database(db)) => {
                db.kind() == sqlx::error::ErrorKind::UniqueViolation
            }
            _ => false,
        }
    }
}

/// The result of a storage operation.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A [`StorageError::Corrupt`] about `table`'s row `row`.
pub(crate) fn corrupt(
    table: &'static str,
    row: impl std::fmt::Display,
    reason: impl Into<String>,
) -> StorageError {
    StorageError::Corrupt {
        table,
        row: row.to_string(),
        reason: reason.into(),
    }
}
