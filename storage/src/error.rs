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
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
