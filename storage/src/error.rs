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
    /// An export file could not be read, written or synced (`sla-oracle export-reports`).
    #[error("export file {path}: {source}")]
    ExportFile {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// A stored report does not verify against the database's deployment: it is not exported,
    /// and nothing of its batch is deleted.
    #[error("report id {id} does not verify for the database's deployment: {reason}")]
    Unverifiable {
        /// The report's arrival id.
        id: i64,
        /// Why.
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

    /// The database refused the data itself: a value it cannot store, a constraint, a limit.
    /// The same rows would fail again; rows without the offending one would not. Everything else
    /// (a connection, a lock, a full disk, a bug of ours) is not the data's fault.
    ///
    /// PostgreSQL SQLSTATE classes 22 (data exception), 23 (integrity constraint, the unique
    /// violation excepted: that is a race, judged again) and 54 (program limit exceeded); SQLite
    /// primary result codes 18 (`TOOBIG`), 19 (`CONSTRAINT`, unique excepted), 20 (`MISMATCH`)
    /// and 25 (`RANGE`).
    pub fn is_data_refusal(&self) -> bool {
        if self.is_unique_violation() {
            return false;
        }
        self.refusal_code().is_some()
    }

    /// The database's code for a refusal of the data (see [`StorageError::is_data_refusal`]):
    /// `SQLSTATE 22021`, `SQLITE 19`, …; `None` for any other error.
    pub fn refusal_code(&self) -> Option<String> {
        let StorageError::Database(sqlx::Error::Database(db)) = self else {
            return None;
        };
        let code = db.code()?;
        if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            let class = &pg.code()[..2.min(pg.code().len())];
            return matches!(class, "22" | "23" | "54").then(|| format!("SQLSTATE {code}"));
        }
        // SQLite reports extended result codes; the primary code is the low byte.
        let primary = code.parse::<i64>().ok()? & 0xff;
        matches!(primary, 18 | 19 | 20 | 25).then(|| format!("SQLITE {primary}"))
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
