//! [`MirrorWrite`]: one transaction on the mirror, the unit of work the chain indexer drives
//! (in the style of reth's `DatabaseProviderRW`): it reads and writes through it while it applies
//! a block range or undoes a reorg, then commits once; dropped uncommitted, nothing is written.

use alloy_primitives::Address;
use sla_protocol::parties::{Allocation, ReporterKey};

use super::queries;
use super::rows::{
    origin_binds, AllocationBinds, ALLOCATION_VERSION_COLUMNS, BATCH_COLUMNS, CONTRACT_COLUMNS,
    KEY_VERSION_COLUMNS, ORACLE_CONFIG_COLUMNS, ORIGIN, PENALTY_COLUMNS, PROFILE_COLUMNS,
    PROVIDER_COLUMNS, RESULT_COLUMNS,
};
use super::types::{
    ChainBlock, ChainOrigin, ContractConfig, MirroredAllocation, MirroredPenalty, MirroredResult,
    OracleConfig, Profile, ProviderState, ResultBatch,
};
use crate::backend::{on_conn, Tx};
use crate::error::{corrupt, Result};
use crate::rows::address_text;

/// Tables whose rows are all facts of one block: a rollback deletes those of later blocks.
/// (`chain_allocation_versions` and `chain_key_versions` are handled apart, as the current rows
/// in `allocations` and `reporter_keys` must be rebuilt from them.)
const BLOCK_SCOPED_TABLES: [&str; 17] = [
    "chain_blocks",
    "chain_contract",
    "chain_oracle_configs",
    "chain_provider_versions",
    "chain_balance_versions",
    "chain_profile_versions",
    "chain_role_versions",
    "chain_pause_versions",
    "chain_results",
    "chain_penalties",
    "chain_result_batches",
    "chain_skipped_results",
    "chain_policy_proposals",
    "chain_policies",
    "chain_profile_policies",
    "chain_maintenance_windows",
    "chain_maintenance_cancellations",
];

const UPSERT_ALLOCATION: &str = "INSERT INTO allocations (data_unit, consumer, provider, status, \
     reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms) \
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (data_unit) DO UPDATE SET \
     consumer = excluded.consumer, provider = excluded.provider, status = excluded.status, \
     reporting_interval_ms = excluded.reporting_interval_ms, terms_hash = excluded.terms_hash, \
     terms_json = excluded.terms_json, active_from_ms = excluded.active_from_ms, \
     closed_at_ms = excluded.closed_at_ms";

const UPSERT_KEY: &str = "INSERT INTO reporter_keys (public_key, account, valid_from_ms, \
     valid_until_ms) VALUES ($1,$2,$3,$4) ON CONFLICT (public_key) DO UPDATE SET \
     account = excluded.account, valid_from_ms = excluded.valid_from_ms, \
     valid_until_ms = excluded.valid_until_ms";

/// A writing transaction on the mirror.
pub struct MirrorWrite {
    pub(super) tx: Tx,
    /// How this backend locks the cursor row for the rest of the transaction.
    lock: &'static str,
}

impl std::fmt::Debug for MirrorWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MirrorWrite").finish_non_exhaustive()
    }
}

/// Runs one statement that writes a row, in the transaction.
macro_rules! execute {
    ($self:ident, $sql:expr $(, $bind:expr)* $(,)?) => {{
        let sql = $sql;
        on_conn!($self.tx.conn(), |c| {
            sqlx::query(&sql)$(.bind($bind))*.execute(c).await?;
        });
        Result::<()>::Ok(())
    }};
}

impl MirrorWrite {
    pub(super) fn new(tx: Tx, lock: &'static str) -> Self {
        MirrorWrite { tx, lock }
    }

    /// Commits everything written.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }

    /// The cursor, locked until the transaction ends, so that two indexers take turns.
    pub async fn lock_cursor(&mut self) -> Result<Option<ChainBlock>> {
        queries::cursor(&mut self.tx.conn(), self.lock).await
    }

    /// Moves the cursor (`None`: before the first block).
    pub async fn set_cursor(&mut self, block: Option<&ChainBlock>) -> Result<()> {
        execute!(
            self,
            "UPDATE chain_cursor SET block_number = $1, block_hash = $2, timestamp_ms = $3 \
             WHERE id = 1",
            block.map(|b| b.number as i64),
            block.map(|b| b.hash.as_slice()),
            block.map(|b| b.timestamp_ms as i64),
        )
    }

    /// Stores a processed block's hash (for reorg detection).
    pub async fn put_block(&mut self, block: &ChainBlock) -> Result<()> {
        execute!(
            self,
            "INSERT INTO chain_blocks (block_number, block_hash, timestamp_ms) VALUES ($1,$2,$3) \
             ON CONFLICT (block_number) DO UPDATE SET block_hash = excluded.block_hash, \
             timestamp_ms = excluded.timestamp_ms",
            block.number as i64,
            block.hash.as_slice(),
            block.timestamp_ms as i64,
        )
    }

    /// The newest stored block at or below `number`.
    pub async fn newest_block_through(&mut self, number: u64) -> Result<Option<ChainBlock>> {
        queries::newest_block_through(&mut self.tx.conn(), number).await
    }

    /// Deletes stored blocks below `below`, except the `keep` newest.
    pub async fn prune_blocks(&mut self, below: u64, keep: u32) -> Result<()> {
        execute!(
            self,
            "DELETE FROM chain_blocks WHERE block_number < $1 AND block_number NOT IN \
             (SELECT block_number FROM chain_blocks ORDER BY block_number DESC LIMIT $2)",
            below.min(i64::MAX as u64) as i64,
            i64::from(keep),
        )
    }

    /// Records the contract's configuration.
    pub async fn insert_contract(&mut self, c: &ContractConfig) -> Result<()> {
        let (block, log, tx) = origin_binds(&c.origin);
        execute!(
            self,
            format!(
                "INSERT INTO chain_contract (id, {CONTRACT_COLUMNS}) \
                 VALUES (1,$1,$2,$3,$4,$5,$6,$7,$8,$9)"
            ),
            address_text(&c.admin),
            c.genesis_time as i64,
            i64::from(c.epoch_length),
            i64::from(c.submission_window),
            i64::from(c.unbonding_delay),
            i64::from(c.allocation_request_ttl),
            block,
            log,
            tx,
        )
    }

    /// Records a new oracle signer set.
    pub async fn insert_oracle_config(&mut self, c: &OracleConfig) -> Result<()> {
        let (block, log, tx) = origin_binds(&c.origin);
        let signers: Vec<String> = c.signers.iter().map(address_text).collect();
        execute!(
            self,
            format!("INSERT INTO chain_oracle_configs ({ORACLE_CONFIG_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6)"),
            c.config_version as i64,
            signers.join(","),
            i64::from(c.quorum),
            block,
            log,
            tx,
        )
    }

    /// Records an applied result.
    pub async fn insert_result(&mut self, r: &MirroredResult) -> Result<()> {
        let (block, log, tx) = origin_binds(&r.origin);
        let e = &r.result;
        execute!(
            self,
            format!(
                "INSERT INTO chain_results ({RESULT_COLUMNS}) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)"
            ),
            e.data_unit_id as i64,
            r.epoch as i64,
            i64::from(e.read_latency_us),
            i64::from(e.write_latency_us),
            e.upload_bps as i64,
            e.download_bps as i64,
            i64::from(e.uptime_bps),
            i64::from(e.error_rate_bps),
            i64::from(e.operations),
            i64::from(e.violations),
            i64::from(e.flags),
            e.reports_root.as_slice(),
            block,
            log,
            tx,
        )
    }

    /// Records an applied result unless a result of its (data unit, epoch) is already recorded;
    /// answers whether it was new. This is the contract's rule: a result is applied iff none of its
    /// (data unit, epoch) was applied before it, in chain order (the others are skipped).
    pub async fn insert_result_if_new(&mut self, r: &MirroredResult) -> Result<bool> {
        let (block, log, tx) = origin_binds(&r.origin);
        let e = &r.result;
        let sql = format!(
            "INSERT INTO chain_results ({RESULT_COLUMNS}) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) \
             ON CONFLICT (data_unit, epoch) DO NOTHING"
        );
        let inserted = on_conn!(self.tx.conn(), |c| {
            sqlx::query(&sql)
                .bind(e.data_unit_id as i64)
                .bind(r.epoch as i64)
                .bind(i64::from(e.read_latency_us))
                .bind(i64::from(e.write_latency_us))
                .bind(e.upload_bps as i64)
                .bind(e.download_bps as i64)
                .bind(i64::from(e.uptime_bps))
                .bind(i64::from(e.error_rate_bps))
                .bind(i64::from(e.operations))
                .bind(i64::from(e.violations))
                .bind(i64::from(e.flags))
                .bind(e.reports_root.as_slice())
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(c)
                .await?
                .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Records a penalty.
    pub async fn insert_penalty(&mut self, p: &MirroredPenalty) -> Result<()> {
        let (block, log, tx) = origin_binds(&p.origin);
        execute!(
            self,
            format!(
                "INSERT INTO chain_penalties ({PENALTY_COLUMNS}) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
            ),
            p.data_unit as i64,
            p.epoch as i64,
            address_text(&p.provider),
            address_text(&p.consumer),
            p.amount.to_string(),
            p.from_bonded.to_string(),
            p.from_unbonding.to_string(),
            block,
            log,
            tx,
        )
    }

    /// Records an accepted result batch.
    pub async fn insert_batch(&mut self, b: &ResultBatch) -> Result<()> {
        let (block, log, tx) = origin_binds(&b.origin);
        execute!(
            self,
            format!(
                "INSERT INTO chain_result_batches ({BATCH_COLUMNS}) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
            ),
            b.epoch as i64,
            b.config_version as i64,
            b.results_hash.as_slice(),
            b.applied as i64,
            b.skipped as i64,
            address_text(&b.submitter),
            block,
            log.unwrap_or_default(),
            tx.unwrap_or_default(),
        )
    }

    /// A provider's newest state.
    pub async fn provider(&mut self, provider: &Address) -> Result<Option<ProviderState>> {
        queries::provider(&mut self.tx.conn(), provider).await
    }

    /// Records a provider's new state.
    pub async fn insert_provider(&mut self, p: &ProviderState) -> Result<()> {
        let (block, log, tx) = origin_binds(&p.updated);
        execute!(
            self,
            format!(
                "INSERT INTO chain_provider_versions ({PROVIDER_COLUMNS}) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
            ),
            address_text(&p.provider),
            i64::from(p.provider_id),
            i64::from(p.reputation),
            p.bonded.to_string(),
            p.unbonding.to_string(),
            p.unbonding_release_at as i64,
            super::rows::suspended_until_bind(p.suspended_until),
            block,
            log,
            tx,
        )
    }

    /// An account's withdrawable balance, if it ever had one.
    pub async fn balance(&mut self, account: &Address) -> Result<Option<u128>> {
        queries::balance(&mut self.tx.conn(), account).await
    }

    /// Records an account's new withdrawable balance.
    pub async fn insert_balance(
        &mut self,
        account: &Address,
        amount: u128,
        origin: &ChainOrigin,
    ) -> Result<()> {
        let (block, log, tx) = origin_binds(origin);
        execute!(
            self,
            format!(
                "INSERT INTO chain_balance_versions (account, withdrawable, {ORIGIN}) \
                 VALUES ($1,$2,$3,$4,$5)"
            ),
            address_text(account),
            amount.to_string(),
            block,
            log,
            tx,
        )
    }

    /// A profile's newest version.
    pub async fn profile(&mut self, profile_id: u64) -> Result<Option<Profile>> {
        queries::profile(&mut self.tx.conn(), profile_id).await
    }

    /// Records a profile's new version.
    pub async fn insert_profile(&mut self, p: &Profile) -> Result<()> {
        let (block, log, tx) = origin_binds(&p.updated);
        let terms = serde_json::to_string(&p.terms).map_err(|e| {
            corrupt(
                "chain_profile_versions",
                format!("profile_id={}", p.profile_id),
                e.to_string(),
            )
        })?;
        execute!(
            self,
            format!(
                "INSERT INTO chain_profile_versions ({PROFILE_COLUMNS}) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
            ),
            p.profile_id as i64,
            address_text(&p.provider),
            p.terms_hash.as_slice(),
            terms,
            p.retired,
            block,
            log,
            tx,
        )
    }

    /// Records a role granted to (`member`) or revoked from an account.
    pub async fn insert_role(
        &mut self,
        role: &[u8; 32],
        account: &Address,
        member: bool,
        sender: &Address,
        origin: &ChainOrigin,
    ) -> Result<()> {
        let (block, log, tx) = origin_binds(origin);
        execute!(
            self,
            format!(
                "INSERT INTO chain_role_versions (role, account, member, sender, {ORIGIN}) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7)"
            ),
            role.as_slice(),
            address_text(account),
            member,
            address_text(sender),
            block,
            log,
            tx,
        )
    }

    /// Records a pause or unpause.
    pub async fn insert_pause(
        &mut self,
        paused: bool,
        account: &Address,
        origin: &ChainOrigin,
    ) -> Result<()> {
        let (block, log, tx) = origin_binds(origin);
        execute!(
            self,
            format!(
                "INSERT INTO chain_pause_versions (paused, account, {ORIGIN}) \
                 VALUES ($1,$2,$3,$4,$5)"
            ),
            paused,
            address_text(account),
            block,
            log,
            tx,
        )
    }

    /// An allocation's newest version.
    pub async fn allocation_version(
        &mut self,
        data_unit: u64,
    ) -> Result<Option<MirroredAllocation>> {
        queries::allocation_version(&mut self.tx.conn(), data_unit).await
    }

    /// Records a new version of an allocation and makes it the `allocations` row.
    pub async fn put_allocation(&mut self, m: &MirroredAllocation) -> Result<()> {
        let a = AllocationBinds::of(&m.allocation)?;
        let (block, log, tx) = origin_binds(&m.updated);
        execute!(
            self,
            format!(
                "INSERT INTO chain_allocation_versions ({ALLOCATION_VERSION_COLUMNS}) VALUES \
                 ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)"
            ),
            a.data_unit,
            &a.consumer,
            &a.provider,
            a.status,
            a.reporting_interval_ms,
            m.allocation.terms_hash.as_slice(),
            &a.terms_json,
            a.active_from_ms,
            a.closed_at_ms,
            m.profile_id as i64,
            m.requested_at_ms as i64,
            m.expires_at_ms as i64,
            m.active_from_epoch.map(|v| v as i64),
            m.closed_epoch.map(|v| v as i64),
            m.closed_by.as_ref().map(address_text),
            block,
            log,
            tx,
        )?;
        self.upsert_current_allocation(&m.allocation).await
    }

    /// Requested allocations whose request expired before `now_ms`.
    pub async fn expiring(&mut self, now_ms: u64) -> Result<Vec<MirroredAllocation>> {
        queries::expiring(&mut self.tx.conn(), now_ms).await
    }

    /// A key's newest version and where it came from.
    pub async fn key_version(
        &mut self,
        key: &[u8; 32],
    ) -> Result<Option<(ReporterKey, ChainOrigin)>> {
        queries::key_version(&mut self.tx.conn(), key).await
    }

    /// Records a new version of a key and makes it the `reporter_keys` row.
    pub async fn put_key(&mut self, k: &ReporterKey, origin: &ChainOrigin) -> Result<()> {
        let (block, log, tx) = origin_binds(origin);
        execute!(
            self,
            format!("INSERT INTO chain_key_versions ({KEY_VERSION_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7)"),
            k.public_key.as_slice(),
            address_text(&k.account),
            k.valid_from_ms as i64,
            k.valid_until_ms.map(|v| v as i64),
            block,
            log,
            tx,
        )?;
        self.upsert_current_key(k).await
    }

    /// Deletes every block-scoped fact of blocks after `block` (`None`: all).
    pub async fn delete_facts_after(&mut self, block: Option<u64>) -> Result<()> {
        let after = block.map_or(-1, |b| b as i64);
        for table in BLOCK_SCOPED_TABLES {
            execute!(
                self,
                format!("DELETE FROM {table} WHERE block_number > $1"),
                after
            )?;
        }
        Ok(())
    }

    /// Deletes the allocation versions of blocks after `block` (`None`: all); returns the data
    /// units touched.
    pub async fn delete_allocation_versions_after(
        &mut self,
        block: Option<u64>,
    ) -> Result<Vec<u64>> {
        let after = block.map_or(-1, |b| b as i64);
        let units: Vec<i64> = on_conn!(self.tx.conn(), |c| {
            sqlx::query_scalar(
                "SELECT DISTINCT data_unit FROM chain_allocation_versions \
                 WHERE block_number > $1 ORDER BY data_unit",
            )
            .bind(after)
            .fetch_all(&mut *c)
            .await?
        });
        execute!(
            self,
            "DELETE FROM chain_allocation_versions WHERE block_number > $1",
            after
        )?;
        Ok(units.into_iter().map(|u| u as u64).collect())
    }

    /// Deletes the key versions of blocks after `block` (`None`: all); returns the keys touched.
    pub async fn delete_key_versions_after(&mut self, block: Option<u64>) -> Result<Vec<[u8; 32]>> {
        let after = block.map_or(-1, |b| b as i64);
        let keys: Vec<Vec<u8>> = on_conn!(self.tx.conn(), |c| {
            sqlx::query_scalar(
                "SELECT DISTINCT public_key FROM chain_key_versions \
                 WHERE block_number > $1 ORDER BY public_key",
            )
            .bind(after)
            .fetch_all(&mut *c)
            .await?
        });
        execute!(
            self,
            "DELETE FROM chain_key_versions WHERE block_number > $1",
            after
        )?;
        keys.iter()
            .map(|k| {
                k.as_slice().try_into().map_err(|_| {
                    corrupt(
                        "chain_key_versions",
                        hex::encode(k),
                        "public_key is not 32 bytes",
                    )
                })
            })
            .collect()
    }

    /// Makes `a` the `allocations` row of its data unit.
    pub async fn upsert_current_allocation(&mut self, a: &Allocation) -> Result<()> {
        let binds = AllocationBinds::of(a)?;
        execute!(
            self,
            UPSERT_ALLOCATION,
            binds.data_unit,
            &binds.consumer,
            &binds.provider,
            binds.status,
            binds.reporting_interval_ms,
            a.terms_hash.as_slice(),
            &binds.terms_json,
            binds.active_from_ms,
            binds.closed_at_ms,
        )
    }

    /// Removes a data unit's `allocations` row.
    pub async fn delete_current_allocation(&mut self, data_unit: u64) -> Result<()> {
        execute!(
            self,
            "DELETE FROM allocations WHERE data_unit = $1",
            data_unit as i64
        )
    }

    /// Makes `k` the `reporter_keys` row of its key.
    pub async fn upsert_current_key(&mut self, k: &ReporterKey) -> Result<()> {
        execute!(
            self,
            UPSERT_KEY,
            k.public_key.as_slice(),
            address_text(&k.account),
            k.valid_from_ms as i64,
            k.valid_until_ms.map(|v| v as i64),
        )
    }

    /// Removes a key's `reporter_keys` row.
    pub async fn delete_current_key(&mut self, key: &[u8; 32]) -> Result<()> {
        execute!(
            self,
            "DELETE FROM reporter_keys WHERE public_key = $1",
            key.as_slice()
        )
    }
}
