//! Storage errors.

use thiserror::Error;

/// A storage operation failed; nothing of the operation was committed.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("unsupported database url scheme in {0:?} (expected sqlite: or postgres:)")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(
        "the database holds chain {recorded_chain_id}, contract 0x{recorded_contract}, but this \
         process is configured for chain {chain_id}, contract 0x{contract}: use a new database \
         for another deployment"
    )]
    OtherDeployment {
        recorded_chain_id: u64,
        recorded_contract: String,
        chain_id: u64,
        contract: String,
    },
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// How often a batch is judged again when another writer raced it to the same chain head.
pub(crate) const RACE_RETRIES: usize = 3;

/// A unique-key violation: another writer stored the same report or sequence first.
pub(crate) fn is_unique_violation(err: &StorageError) -> bool {
    match err {
        StorageError::Database(sqlx::Error::Database(db)) => {
            db.kind() == sqlx::error::ErrorKind::UniqueViolation
        }
        _ => false,
    }
}
