//! The oracle's transactions and the results they carry (migrations 0005). Written before each
//! side effect, so a restart knows exactly what was planned, signed and sent.

use async_trait::async_trait;

use crate::error::{Result, StorageError};
use crate::postgres::PostgresStorage;
use crate::rollups::{numbered, same, RollupStatus};
use crate::sqlite::SqliteStorage;

/// Where a transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxState {
    Planned,
    Signed,
    Sent,
    Confirmed,
    Failed,
    Replaced,
    Dropped,
}

impl TxState {
    pub const ALL: [TxState; 7] = [
        TxState::Planned,
        TxState::Signed,
        TxState::Sent,
        TxState::Confirmed,
        TxState::Failed,
        TxState::Replaced,
        TxState::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TxState::Planned => "planned",
            TxState::Signed => "signed",
            TxState::Sent => "sent",
            TxState::Confirmed => "confirmed",
            TxState::Failed => "failed",
            TxState::Replaced => "replaced",
            TxState::Dropped => "dropped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        TxState::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Still holds its nonce and its results (not yet final).
    pub fn is_active(self) -> bool {
        matches!(self, TxState::Planned | TxState::Signed | TxState::Sent)
    }
}

/// One oracle transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleTx {
    pub id: i64,
    pub nonce: u64,
    pub epoch: u64,
    pub state: TxState,
    pub packed_results: Vec<u8>,
    pub config_version: u64,
    pub signatures: Vec<u8>,
    pub raw_tx: Option<Vec<u8>>,
    pub tx_hash: Option<[u8; 32]>,
    pub max_fee_per_gas: Option<u128>,
    pub max_priority_fee_per_gas: Option<u128>,
    pub gas_limit: Option<u64>,
    pub sent_at_ms: Option<u64>,
    pub block_number: Option<u64>,
    pub gas_used: Option<u64>,
    pub error: Option<String>,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    /// (data unit, epoch) of the results it carries.
    pub results: Vec<(u64, u64)>,
}

/// The submitter's reads and writes.
#[async_trait]
pub trait TxStore: Send + Sync + std::fmt::Debug + 'static {
    /// Inserts a planned transaction and its results; returns its id.
    async fn insert_tx(&self, tx: &OracleTx) -> Result<i64>;
    /// Rewrites a transaction's state and fields (not its results).
    async fn update_tx(&self, tx: &OracleTx) -> Result<()>;
    /// Transactions in the given states, by nonce then id.
    async fn txs_in_states(&self, states: &[TxState]) -> Result<Vec<OracleTx>>;
    /// The highest nonce held by any transaction that is not dropped.
    async fn highest_nonce(&self) -> Result<Option<u64>>;
    /// Sets the status of final roll-ups (to `submitted` once applied on chain, or `expired`).
    async fn set_rollup_status(&self, keys: &[(u64, u64)], status: RollupStatus) -> Result<()>;
    /// (data unit, epoch) of final roll-ups, oldest epochs first, at most `limit`.
    async fn final_rollups(&self, limit: u32) -> Result<Vec<(u64, u64, String)>>;
    /// Number of transactions per state.
    async fn tx_counts(&self) -> Result<Vec<(TxState, u64)>>;
}

#[derive(sqlx::FromRow)]
struct TxRow {
    id: i64,
    nonce: i64,
    epoch: i64,
    state: String,
    packed_results: Vec<u8>,
    config_version: i64,
    signatures: Vec<u8>,
    raw_tx: Option<Vec<u8>>,
    tx_hash: Option<Vec<u8>>,
    max_fee_per_gas: Option<String>,
    max_priority_fee_per_gas: Option<String>,
    gas_limit: Option<i64>,
    sent_at_ms: Option<i64>,
    block_number: Option<i64>,
    gas_used: Option<i64>,
    error: Option<String>,
    created_at_ms: i64,
    updated_at_ms: i64,
}

impl TxRow {
    fn into_domain(self, results: Vec<(u64, u64)>) -> Result<OracleTx> {
        let corrupt = |what: &str| StorageError::Corrupt(format!("oracle_txs.{what}"));
        let wei = |v: Option<String>, what: &str| {
            v.map(|s| s.parse::<u128>().map_err(|_| corrupt(what)))
                .transpose()
        };
        Ok(OracleTx {
            id: self.id,
            nonce: self.nonce as u64,
            epoch: self.epoch as u64,
            state: TxState::parse(&self.state).ok_or_else(|| corrupt("state"))?,
            packed_results: self.packed_results,
            config_version: self.config_version as u64,
            signatures: self.signatures,
            raw_tx: self.raw_tx,
            tx_hash: self
                .tx_hash
                .map(|h| h.try_into().map_err(|_| corrupt("tx_hash")))
                .transpose()?,
            max_fee_per_gas: wei(self.max_fee_per_gas, "max_fee_per_gas")?,
            max_priority_fee_per_gas: wei(
                self.max_priority_fee_per_gas,
                "max_priority_fee_per_gas",
            )?,
            gas_limit: self.gas_limit.map(|v| v as u64),
            sent_at_ms: self.sent_at_ms.map(|v| v as u64),
            block_number: self.block_number.map(|v| v as u64),
            gas_used: self.gas_used.map(|v| v as u64),
            error: self.error,
            created_at_ms: self.created_at_ms as u64,
            updated_at_ms: self.updated_at_ms as u64,
            results,
        })
    }
}

const TX_COLUMNS: &str = "id, nonce, epoch, state, packed_results, config_version, signatures, \
     raw_tx, tx_hash, max_fee_per_gas, max_priority_fee_per_gas, gas_limit, sent_at_ms, \
     block_number, gas_used, error, created_at_ms, updated_at_ms";

macro_rules! tx_store {
    ($backend:ty, $pool:ident, $sql:expr) => {
        #[async_trait]
        impl TxStore for $backend {
            async fn insert_tx(&self, tx: &OracleTx) -> Result<i64> {
                let mut db = self.$pool.begin().await?;
                let id: i64 = sqlx::query_scalar(&$sql(
                    "INSERT INTO oracle_txs (nonce, epoch, state, packed_results, config_version, \
                     signatures, created_at_ms, updated_at_ms) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
                ))
                .bind(tx.nonce as i64)
                .bind(tx.epoch as i64)
                .bind(tx.state.as_str())
                .bind(tx.packed_results.as_slice())
                .bind(tx.config_version as i64)
                .bind(tx.signatures.as_slice())
                .bind(tx.created_at_ms as i64)
                .bind(tx.updated_at_ms as i64)
                .fetch_one(&mut *db)
                .await?;
                let insert = $sql(
                    "INSERT INTO oracle_tx_results (tx_id, data_unit, epoch) VALUES (?,?,?)",
                );
                for (data_unit, epoch) in &tx.results {
                    sqlx::query(&insert)
                        .bind(id)
                        .bind(*data_unit as i64)
                        .bind(*epoch as i64)
                        .execute(&mut *db)
                        .await?;
                }
                db.commit().await?;
                Ok(id)
            }

            async fn update_tx(&self, tx: &OracleTx) -> Result<()> {
                sqlx::query(&$sql(
                    "UPDATE oracle_txs SET state = ?, raw_tx = ?, tx_hash = ?, max_fee_per_gas = ?, \
                     max_priority_fee_per_gas = ?, gas_limit = ?, sent_at_ms = ?, block_number = ?, \
                     gas_used = ?, error = ?, updated_at_ms = ? WHERE id = ?",
                ))
                .bind(tx.state.as_str())
                .bind(tx.raw_tx.as_deref())
                .bind(tx.tx_hash.as_ref().map(|h| h.as_slice()))
                .bind(tx.max_fee_per_gas.map(|v| v.to_string()))
                .bind(tx.max_priority_fee_per_gas.map(|v| v.to_string()))
                .bind(tx.gas_limit.map(|v| v as i64))
                .bind(tx.sent_at_ms.map(|v| v as i64))
                .bind(tx.block_number.map(|v| v as i64))
                .bind(tx.gas_used.map(|v| v as i64))
                .bind(tx.error.as_deref())
                .bind(tx.updated_at_ms as i64)
                .bind(tx.id)
                .execute(&self.$pool)
                .await?;
                Ok(())
            }

            async fn txs_in_states(&self, states: &[TxState]) -> Result<Vec<OracleTx>> {
                let list = states
                    .iter()
                    .map(|s| format!("'{}'", s.as_str()))
                    .collect::<Vec<_>>()
                    .join(",");
                let rows = sqlx::query_as::<_, TxRow>(&format!(
                    "SELECT {TX_COLUMNS} FROM oracle_txs WHERE state IN ({list}) ORDER BY nonce, id"
                ))
                .fetch_all(&self.$pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let results: Vec<(i64, i64)> = sqlx::query_as(&$sql(
                        "SELECT data_unit, epoch FROM oracle_tx_results WHERE tx_id = ? \
                         ORDER BY data_unit",
                    ))
                    .bind(row.id)
                    .fetch_all(&self.$pool)
                    .await?;
                    let results = results.into_iter().map(|(d, e)| (d as u64, e as u64)).collect();
                    out.push(row.into_domain(results)?);
                }
                Ok(out)
            }

            async fn highest_nonce(&self) -> Result<Option<u64>> {
                let n: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(nonce) FROM oracle_txs WHERE state <> 'dropped'",
                )
                .fetch_one(&self.$pool)
                .await?;
                Ok(n.map(|n| n as u64))
            }

            async fn set_rollup_status(
                &self,
                keys: &[(u64, u64)],
                status: RollupStatus,
            ) -> Result<()> {
                let mut db = self.$pool.begin().await?;
                let sql = $sql(
                    "UPDATE epoch_rollups SET status = ? WHERE data_unit = ? AND epoch = ? \
                     AND status IN ('final', 'submitted')",
                );
                for (data_unit, epoch) in keys {
                    sqlx::query(&sql)
                        .bind(status.as_str())
                        .bind(*data_unit as i64)
                        .bind(*epoch as i64)
                        .execute(&mut *db)
                        .await?;
                }
                db.commit().await?;
                Ok(())
            }

            async fn final_rollups(&self, limit: u32) -> Result<Vec<(u64, u64, String)>> {
                let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(&$sql(
                    "SELECT data_unit, epoch, verdict_json FROM epoch_rollups \
                     WHERE status = 'final' ORDER BY epoch, data_unit LIMIT ?",
                ))
                .bind(limit as i64)
                .fetch_all(&self.$pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(d, e, v)| v.map(|v| (d as u64, e as u64, v)))
                    .collect())
            }

            async fn tx_counts(&self) -> Result<Vec<(TxState, u64)>> {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT state, COUNT(*) FROM oracle_txs GROUP BY state")
                        .fetch_all(&self.$pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(s, n)| TxState::parse(&s).map(|s| (s, n as u64)))
                    .collect())
            }
        }
    };
}

tx_store!(SqliteStorage, writer, same);
tx_store!(PostgresStorage, pool, numbered);
