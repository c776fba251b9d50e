//! The oracle's transactions and the results they carry (migration 0005). Written before each
//! side effect, so a restart knows exactly what was planned, signed and sent.

use crate::backend::on_conn;
use crate::error::Result;
use crate::rows::{diagnostic_text, At};
use crate::Database;

/// Where a transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxState {
    /// Results, EIP-712 signatures and nonce are chosen; not signed yet.
    Planned,
    /// The EIP-1559 transaction is signed and its raw bytes and hash stored, so a restart sends
    /// the very same bytes.
    Signed,
    /// The node accepted it; it is followed by hash until mined.
    Sent,
    /// Mined, succeeded and deep enough; final (its roll-ups are submitted).
    Confirmed,
    /// Mined but reverted, and deep enough; final (its roll-ups expire).
    Failed,
    /// Superseded by another transaction of the same nonce (a fee bump, or the one that was
    /// mined); final.
    Replaced,
    /// Its nonce is freed: used by another sender (the results are planned again), or the
    /// contract refused the batch before it was sent (the results expire). Final.
    Dropped,
}

impl TxState {
    /// Every state, in life-cycle order.
    pub const ALL: [TxState; 7] = [
        TxState::Planned,
        TxState::Signed,
        TxState::Sent,
        TxState::Confirmed,
        TxState::Failed,
        TxState::Replaced,
        TxState::Dropped,
    ];

    /// The name stored in `oracle_txs.state` (`planned`, ..., `dropped`).
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

    /// The state of a stored name; `None` if the name is not one of [`TxState::as_str`]'s.
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
    /// Row id in `oracle_txs`, assigned by [`TxStore::insert`] (ignored there).
    pub id: i64,
    /// The oracle account's nonce; a replacement keeps its predecessor's.
    pub nonce: u64,
    /// The epoch the results are for (the `epoch` argument of `submitResults`).
    pub epoch: u64,
    /// Where the transaction stands.
    pub state: TxState,
    /// The results as submitted: the contract's 74-byte records, concatenated.
    pub packed_results: Vec<u8>,
    /// The oracle configuration version the signatures were made for.
    pub config_version: u64,
    /// The 65-byte EIP-712 signatures over the batch, concatenated.
    pub signatures: Vec<u8>,
    /// The signed EIP-1559 transaction, EIP-2718 encoded; `None` until signed.
    pub raw_tx: Option<Vec<u8>>,
    /// The transaction hash; `None` until signed.
    pub tx_hash: Option<[u8; 32]>,
    /// Fee cap, wei per gas; `None` until signed (or until fees are chosen for a replacement).
    pub max_fee_per_gas: Option<u128>,
    /// Priority fee (tip), wei per gas; `None` as for `max_fee_per_gas`.
    pub max_priority_fee_per_gas: Option<u128>,
    /// Gas limit, gas units; `None` until signed.
    pub gas_limit: Option<u64>,
    /// When the node accepted it, Unix milliseconds; `None` until sent.
    pub sent_at_ms: Option<u64>,
    /// Block it was mined in; `None` until confirmed or failed.
    pub block_number: Option<u64>,
    /// Gas it used, from its receipt; `None` until confirmed or failed.
    pub gas_used: Option<u64>,
    /// Why it failed or was dropped (revert reason, nonce taken); `None` otherwise.
    pub error: Option<String>,
    /// When it was planned, Unix milliseconds.
    pub created_at_ms: u64,
    /// When its row last changed, Unix milliseconds.
    pub updated_at_ms: u64,
    /// (data unit, epoch) of the results it carries.
    pub results: Vec<(u64, u64)>,
}

/// The oracle transaction tables of a [`Database`].
#[derive(Debug, Clone)]
pub struct TxStore {
    db: Database,
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
        let row = format!("id={}", self.id);
        let at = At {
            table: "oracle_txs",
            row: &row,
        };
        let wei = |v: Option<String>, what: &str| v.map(|s| at.wei(what, &s)).transpose();
        Ok(OracleTx {
            id: self.id,
            nonce: self.nonce as u64,
            epoch: self.epoch as u64,
            state: at.named("state", &self.state, TxState::parse)?,
            packed_results: self.packed_results,
            config_version: self.config_version as u64,
            signatures: self.signatures,
            raw_tx: self.raw_tx,
            tx_hash: self
                .tx_hash
                .map(|h| at.bytes32("tx_hash", &h))
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

impl TxStore {
    pub(crate) fn new(db: Database) -> Self {
        TxStore { db }
    }

    /// Inserts a planned transaction (with its fees, if chosen) and its results; returns its id.
    pub async fn insert(&self, tx: &OracleTx) -> Result<i64> {
        let mut db = self.db.backend().begin_write().await?;
        let id: i64 = on_conn!(db.conn(), |c| {
            sqlx::query_scalar(
                "INSERT INTO oracle_txs (nonce, epoch, state, packed_results, config_version, \
                 signatures, max_fee_per_gas, max_priority_fee_per_gas, created_at_ms, \
                 updated_at_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
            )
            .bind(tx.nonce as i64)
            .bind(tx.epoch as i64)
            .bind(tx.state.as_str())
            .bind(tx.packed_results.as_slice())
            .bind(tx.config_version as i64)
            .bind(tx.signatures.as_slice())
            // A replacement is planned with its raised fees: they must survive a restart before
            // it is signed, or it would be signed again at today's lower suggestion.
            .bind(tx.max_fee_per_gas.map(|v| v.to_string()))
            .bind(tx.max_priority_fee_per_gas.map(|v| v.to_string()))
            .bind(tx.created_at_ms as i64)
            .bind(tx.updated_at_ms as i64)
            .fetch_one(c)
            .await?
        });
        for (data_unit, epoch) in &tx.results {
            on_conn!(db.conn(), |c| {
                sqlx::query(
                    "INSERT INTO oracle_tx_results (tx_id, data_unit, epoch) VALUES ($1,$2,$3)",
                )
                .bind(id)
                .bind(*data_unit as i64)
                .bind(*epoch as i64)
                .execute(c)
                .await?;
            });
        }
        db.commit().await?;
        Ok(id)
    }

    /// Rewrites a transaction's state and fields (not its results).
    pub async fn update(&self, tx: &OracleTx) -> Result<()> {
        let mut conn = self.db.backend().write().await?;
        on_conn!(conn.conn(), |c| {
            sqlx::query(
                "UPDATE oracle_txs SET state = $1, raw_tx = $2, tx_hash = $3, \
                 max_fee_per_gas = $4, max_priority_fee_per_gas = $5, gas_limit = $6, \
                 sent_at_ms = $7, block_number = $8, gas_used = $9, error = $10, \
                 updated_at_ms = $11 WHERE id = $12",
            )
            .bind(tx.state.as_str())
            .bind(tx.raw_tx.as_deref())
            .bind(tx.tx_hash.as_ref().map(|h| h.as_slice()))
            .bind(tx.max_fee_per_gas.map(|v| v.to_string()))
            .bind(tx.max_priority_fee_per_gas.map(|v| v.to_string()))
            .bind(tx.gas_limit.map(|v| v as i64))
            .bind(tx.sent_at_ms.map(|v| v as i64))
            .bind(tx.block_number.map(|v| v as i64))
            .bind(tx.gas_used.map(|v| v as i64))
            .bind(tx.error.as_deref().map(diagnostic_text))
            .bind(tx.updated_at_ms as i64)
            .bind(tx.id)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// The (data unit, epoch) of every result a transaction in flight (planned, signed or sent)
    /// carries: results not to plan again.
    pub async fn results_in_flight(&self) -> Result<std::collections::HashSet<(u64, u64)>> {
        Ok(self
            .in_states(&[TxState::Planned, TxState::Signed, TxState::Sent])
            .await?
            .into_iter()
            .flat_map(|tx| tx.results)
            .collect())
    }

    /// Transactions in the given states, by nonce then id, with the results each carries.
    pub async fn in_states(&self, states: &[TxState]) -> Result<Vec<OracleTx>> {
        let sql = format!(
            "SELECT {TX_COLUMNS} FROM oracle_txs WHERE state IN ({}) ORDER BY nonce, id",
            crate::backend::placeholders(1, states.len())
        );
        let mut conn = self.db.backend().write().await?;
        let mut out = Vec::new();
        on_conn!(conn.conn(), |c| {
            let mut query = sqlx::query_as::<_, TxRow>(&sql);
            for state in states {
                query = query.bind(state.as_str());
            }
            for row in query.fetch_all(&mut *c).await? {
                let results: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT data_unit, epoch FROM oracle_tx_results WHERE tx_id = $1 \
                     ORDER BY data_unit",
                )
                .bind(row.id)
                .fetch_all(&mut *c)
                .await?;
                let results = results
                    .into_iter()
                    .map(|(d, e)| (d as u64, e as u64))
                    .collect();
                out.push(row.into_domain(results)?);
            }
        });
        Ok(out)
    }

    /// The highest nonce held by any transaction that is not dropped.
    pub async fn highest_nonce(&self) -> Result<Option<u64>> {
        let mut conn = self.db.backend().write().await?;
        let n: Option<i64> = on_conn!(conn.conn(), |c| {
            sqlx::query_scalar("SELECT MAX(nonce) FROM oracle_txs WHERE state <> 'dropped'")
                .fetch_one(c)
                .await?
        });
        Ok(n.map(|n| n as u64))
    }

    /// Number of transactions per state.
    pub async fn counts(&self) -> Result<Vec<(TxState, u64)>> {
        let mut conn = self.db.backend().write().await?;
        let rows: Vec<(String, i64)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as("SELECT state, COUNT(*) FROM oracle_txs GROUP BY state")
                .fetch_all(c)
                .await?
        });
        rows.into_iter()
            .map(|(state, n)| {
                let at = At {
                    table: "oracle_txs",
                    row: &"(counts)",
                };
                Ok((at.named("state", &state, TxState::parse)?, n as u64))
            })
            .collect()
    }
}
