//! The chain mirror's SQL, once for both backends: every statement is written with `$n`
//! placeholders and types both SQLite and PostgreSQL accept, and [`mirror_tx!`] expands the same
//! method bodies for an SQLite and a PostgreSQL transaction. Only the cursor lock differs.

use async_trait::async_trait;
use sqlx::{Postgres, Sqlite, Transaction};

use super::rows::{
    origin_binds, wei, AllocationVersionRow, BatchRow, BlockRow, ContractRow, CursorRow,
    KeyVersionRow, OracleConfigRow, PenaltyRow, ProfileRow, ProviderRow, ResultRow,
    ALLOCATION_VERSION_COLUMNS, BATCH_COLUMNS, CONTRACT_COLUMNS, KEY_VERSION_COLUMNS,
    ORACLE_CONFIG_COLUMNS, ORIGIN, PENALTY_COLUMNS, PROFILE_COLUMNS, PROVIDER_COLUMNS,
    RESULT_COLUMNS,
};
use crate::error::Result;
use crate::rows::{AllocationRow, KeyRow, ALLOCATION_COLUMNS};
use crate::types::{
    Allocation, ChainAllocation, ChainBlock, ChainCounts, ChainOrigin, ChainPenalty, ChainResult,
    ContractConfig, OracleConfig, Profile, ProviderState, ReporterKey, ResultBatch,
};

/// Tables whose rows are all facts of one block: a rollback deletes those of later blocks.
/// (`chain_allocation_versions` and `chain_key_versions` are handled apart, as the current rows
/// in `allocations` and `reporter_keys` must be rebuilt from them.)
const BLOCK_SCOPED_TABLES: [&str; 12] = [
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
];

/// One transaction on the mirror's tables.
pub(crate) struct Mirror<'a, 'c, DB: sqlx::Database>(pub(crate) &'a mut Transaction<'c, DB>);

/// The statements the indexer's writes and the mirror's reads are made of.
#[async_trait]
pub(crate) trait MirrorTx: Send {
    async fn cursor(&mut self) -> Result<Option<ChainBlock>>;
    /// The cursor, locked until the transaction ends, so that two indexers serialize.
    async fn lock_cursor(&mut self) -> Result<Option<ChainBlock>>;
    async fn set_cursor(&mut self, block: Option<&ChainBlock>) -> Result<()>;
    async fn put_block(&mut self, block: &ChainBlock) -> Result<()>;
    /// Stored blocks, newest first.
    async fn blocks(&mut self, limit: u32) -> Result<Vec<ChainBlock>>;
    async fn newest_block_through(&mut self, number: u64) -> Result<Option<ChainBlock>>;
    /// Deletes stored blocks below `below`, except the `keep` newest.
    async fn prune_blocks(&mut self, below: u64, keep: u32) -> Result<()>;

    async fn insert_contract(&mut self, config: &ContractConfig) -> Result<()>;
    async fn insert_oracle_config(&mut self, config: &OracleConfig) -> Result<()>;
    async fn insert_result(&mut self, result: &ChainResult) -> Result<()>;
    async fn insert_penalty(&mut self, penalty: &ChainPenalty) -> Result<()>;
    async fn insert_batch(&mut self, batch: &ResultBatch) -> Result<()>;
    async fn insert_skipped(
        &mut self,
        data_unit: u64,
        epoch: u64,
        origin: &ChainOrigin,
    ) -> Result<()>;

    async fn provider(&mut self, provider: &str) -> Result<Option<ProviderState>>;
    async fn providers(&mut self) -> Result<Vec<ProviderState>>;
    async fn insert_provider(&mut self, state: &ProviderState) -> Result<()>;
    async fn balance(&mut self, account: &str) -> Result<Option<u128>>;
    async fn insert_balance(
        &mut self,
        account: &str,
        amount: u128,
        origin: &ChainOrigin,
    ) -> Result<()>;
    async fn profile(&mut self, profile_id: u64) -> Result<Option<Profile>>;
    async fn insert_profile(&mut self, profile: &Profile) -> Result<()>;
    async fn insert_role(
        &mut self,
        role: &[u8; 32],
        account: &str,
        member: bool,
        sender: &str,
        origin: &ChainOrigin,
    ) -> Result<()>;
    async fn role_members(&mut self, role: &[u8; 32]) -> Result<Vec<String>>;
    async fn insert_pause(
        &mut self,
        paused: bool,
        account: &str,
        origin: &ChainOrigin,
    ) -> Result<()>;
    async fn paused(&mut self) -> Result<bool>;

    /// The newest version of an allocation.
    async fn allocation_version(&mut self, data_unit: u64) -> Result<Option<ChainAllocation>>;
    /// Records a new version of an allocation and makes it the `allocations` row.
    async fn put_allocation(&mut self, allocation: &ChainAllocation) -> Result<()>;
    /// Requested allocations whose request expired before `now_ms`.
    async fn expiring(&mut self, now_ms: u64) -> Result<Vec<ChainAllocation>>;
    /// The newest version of a key.
    async fn key_version(&mut self, key: &[u8; 32]) -> Result<Option<(ReporterKey, ChainOrigin)>>;
    /// Records a new version of a key and makes it the `reporter_keys` row.
    async fn put_key(&mut self, key: &ReporterKey, origin: &ChainOrigin) -> Result<()>;

    /// Deletes every block-scoped fact of blocks after `block` (-1: all).
    async fn delete_facts_after(&mut self, block: i64) -> Result<()>;
    /// Deletes the allocation versions of blocks after `block`; returns the data units touched.
    async fn delete_allocation_versions_after(&mut self, block: i64) -> Result<Vec<u64>>;
    /// Deletes the key versions of blocks after `block`; returns the keys touched.
    async fn delete_key_versions_after(&mut self, block: i64) -> Result<Vec<[u8; 32]>>;
    async fn upsert_current_allocation(&mut self, allocation: &Allocation) -> Result<()>;
    async fn delete_current_allocation(&mut self, data_unit: u64) -> Result<()>;
    async fn upsert_current_key(&mut self, key: &ReporterKey) -> Result<()>;
    async fn delete_current_key(&mut self, key: &[u8; 32]) -> Result<()>;

    async fn current_allocation(&mut self, data_unit: u64) -> Result<Option<Allocation>>;
    async fn current_key(&mut self, key: &[u8; 32]) -> Result<Option<ReporterKey>>;
    async fn contract(&mut self) -> Result<Option<ContractConfig>>;
    async fn oracle_config(&mut self) -> Result<Option<OracleConfig>>;
    async fn result(&mut self, data_unit: u64, epoch: u64) -> Result<Option<ChainResult>>;
    async fn results(
        &mut self,
        data_unit: u64,
        from_epoch: u64,
        limit: u32,
    ) -> Result<Vec<ChainResult>>;
    async fn penalties(&mut self, data_unit: u64) -> Result<Vec<ChainPenalty>>;
    async fn batches(&mut self, epoch: u64) -> Result<Vec<ResultBatch>>;
    async fn counts(&mut self) -> Result<ChainCounts>;
}

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

const CURSOR_SQL: &str =
    "SELECT block_number, block_hash, timestamp_ms FROM chain_cursor WHERE id = 1";

const PG_LOCK_CURSOR_SQL: &str =
    "SELECT block_number, block_hash, timestamp_ms FROM chain_cursor WHERE id = 1 FOR UPDATE";

/// Implements [`MirrorTx`] for a transaction of one backend. `$lock_cursor` is the cursor query
/// with the backend's way of locking the row.
macro_rules! mirror_tx {
    ($db:ty, $lock_cursor:expr) => {
        #[async_trait]
        impl MirrorTx for Mirror<'_, '_, $db> {
            async fn cursor(&mut self) -> Result<Option<ChainBlock>> {
                sqlx::query_as::<_, CursorRow>(CURSOR_SQL)
                    .fetch_one(&mut **self.0)
                    .await?
                    .into_domain()
            }

            async fn lock_cursor(&mut self) -> Result<Option<ChainBlock>> {
                sqlx::query_as::<_, CursorRow>($lock_cursor)
                    .fetch_one(&mut **self.0)
                    .await?
                    .into_domain()
            }

            async fn set_cursor(&mut self, block: Option<&ChainBlock>) -> Result<()> {
                sqlx::query(
                    "UPDATE chain_cursor SET block_number = $1, block_hash = $2, \
                     timestamp_ms = $3 WHERE id = 1",
                )
                .bind(block.map(|b| b.number as i64))
                .bind(block.map(|b| b.hash.as_slice()))
                .bind(block.map(|b| b.timestamp_ms as i64))
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn put_block(&mut self, block: &ChainBlock) -> Result<()> {
                sqlx::query(
                    "INSERT INTO chain_blocks (block_number, block_hash, timestamp_ms) \
                     VALUES ($1,$2,$3) ON CONFLICT (block_number) DO UPDATE SET \
                     block_hash = excluded.block_hash, timestamp_ms = excluded.timestamp_ms",
                )
                .bind(block.number as i64)
                .bind(block.hash.as_slice())
                .bind(block.timestamp_ms as i64)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn blocks(&mut self, limit: u32) -> Result<Vec<ChainBlock>> {
                sqlx::query_as::<_, BlockRow>(
                    "SELECT block_number, block_hash, timestamp_ms FROM chain_blocks \
                     ORDER BY block_number DESC LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&mut **self.0)
                .await?
                .into_iter()
                .map(BlockRow::into_domain)
                .collect()
            }

            async fn newest_block_through(&mut self, number: u64) -> Result<Option<ChainBlock>> {
                sqlx::query_as::<_, BlockRow>(
                    "SELECT block_number, block_hash, timestamp_ms FROM chain_blocks \
                     WHERE block_number <= $1 ORDER BY block_number DESC LIMIT 1",
                )
                .bind(number.min(i64::MAX as u64) as i64)
                .fetch_optional(&mut **self.0)
                .await?
                .map(BlockRow::into_domain)
                .transpose()
            }

            async fn prune_blocks(&mut self, below: u64, keep: u32) -> Result<()> {
                sqlx::query(
                    "DELETE FROM chain_blocks WHERE block_number < $1 AND block_number NOT IN \
                     (SELECT block_number FROM chain_blocks ORDER BY block_number DESC LIMIT $2)",
                )
                .bind(below as i64)
                .bind(i64::from(keep))
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn insert_contract(&mut self, c: &ContractConfig) -> Result<()> {
                let (block, log, tx) = origin_binds(&c.origin);
                sqlx::query(&format!(
                    "INSERT INTO chain_contract (id, {CONTRACT_COLUMNS}) \
                     VALUES (1,$1,$2,$3,$4,$5,$6,$7,$8,$9)"
                ))
                .bind(c.admin.to_ascii_lowercase())
                .bind(c.genesis_time as i64)
                .bind(i64::from(c.epoch_length))
                .bind(i64::from(c.submission_window))
                .bind(i64::from(c.unbonding_delay))
                .bind(i64::from(c.allocation_request_ttl))
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn insert_oracle_config(&mut self, c: &OracleConfig) -> Result<()> {
                let (block, log, tx) = origin_binds(&c.origin);
                sqlx::query(&format!(
                    "INSERT INTO chain_oracle_configs ({ORACLE_CONFIG_COLUMNS}) \
                     VALUES ($1,$2,$3,$4,$5,$6)"
                ))
                .bind(c.config_version as i64)
                .bind(c.signers.join(",").to_ascii_lowercase())
                .bind(i64::from(c.quorum))
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn insert_result(&mut self, r: &ChainResult) -> Result<()> {
                let (block, log, tx) = origin_binds(&r.origin);
                let e = &r.result;
                sqlx::query(&format!(
                    "INSERT INTO chain_results ({RESULT_COLUMNS}) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)"
                ))
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
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn insert_penalty(&mut self, p: &ChainPenalty) -> Result<()> {
                let (block, log, tx) = origin_binds(&p.origin);
                sqlx::query(&format!(
                    "INSERT INTO chain_penalties ({PENALTY_COLUMNS}) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
                ))
                .bind(p.data_unit as i64)
                .bind(p.epoch as i64)
                .bind(p.provider.to_ascii_lowercase())
                .bind(p.consumer.to_ascii_lowercase())
                .bind(p.amount.to_string())
                .bind(p.from_bonded.to_string())
                .bind(p.from_unbonding.to_string())
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn insert_batch(&mut self, b: &ResultBatch) -> Result<()> {
                let (block, log, tx) = origin_binds(&b.origin);
                sqlx::query(&format!(
                    "INSERT INTO chain_result_batches ({BATCH_COLUMNS}) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
                ))
                .bind(b.epoch as i64)
                .bind(b.config_version as i64)
                .bind(b.results_hash.as_slice())
                .bind(b.applied as i64)
                .bind(b.skipped as i64)
                .bind(b.submitter.to_ascii_lowercase())
                .bind(block)
                .bind(log.unwrap_or_default())
                .bind(tx.unwrap_or_default())
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn insert_skipped(
                &mut self,
                data_unit: u64,
                epoch: u64,
                origin: &ChainOrigin,
            ) -> Result<()> {
                let (block, log, tx) = origin_binds(origin);
                sqlx::query(
                    "INSERT INTO chain_skipped_results (block_number, log_index, tx_hash, \
                     data_unit, epoch) VALUES ($1,$2,$3,$4,$5)",
                )
                .bind(block)
                .bind(log.unwrap_or_default())
                .bind(tx.unwrap_or_default())
                .bind(data_unit as i64)
                .bind(epoch as i64)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn provider(&mut self, provider: &str) -> Result<Option<ProviderState>> {
                sqlx::query_as::<_, ProviderRow>(&format!(
                    "SELECT {PROVIDER_COLUMNS} FROM chain_provider_versions WHERE provider = $1 \
                     ORDER BY id DESC LIMIT 1"
                ))
                .bind(provider.to_ascii_lowercase())
                .fetch_optional(&mut **self.0)
                .await?
                .map(ProviderRow::into_domain)
                .transpose()
            }

            async fn providers(&mut self) -> Result<Vec<ProviderState>> {
                sqlx::query_as::<_, ProviderRow>(&format!(
                    "SELECT {PROVIDER_COLUMNS} FROM chain_provider_versions v WHERE v.id = \
                     (SELECT MAX(w.id) FROM chain_provider_versions w \
                     WHERE w.provider = v.provider) \
                     ORDER BY v.provider_id"
                ))
                .fetch_all(&mut **self.0)
                .await?
                .into_iter()
                .map(ProviderRow::into_domain)
                .collect()
            }

            async fn insert_provider(&mut self, p: &ProviderState) -> Result<()> {
                let (block, log, tx) = origin_binds(&p.updated);
                sqlx::query(&format!(
                    "INSERT INTO chain_provider_versions ({PROVIDER_COLUMNS}) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
                ))
                .bind(p.provider.to_ascii_lowercase())
                .bind(i64::from(p.provider_id))
                .bind(i64::from(p.reputation))
                .bind(p.bonded.to_string())
                .bind(p.unbonding.to_string())
                .bind(p.unbonding_release_at as i64)
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn balance(&mut self, account: &str) -> Result<Option<u128>> {
                let text: Option<String> = sqlx::query_scalar(
                    "SELECT withdrawable FROM chain_balance_versions WHERE account = $1 \
                     ORDER BY id DESC LIMIT 1",
                )
                .bind(account.to_ascii_lowercase())
                .fetch_optional(&mut **self.0)
                .await?;
                text.map(|t| wei(&t, "chain_balance_versions.withdrawable"))
                    .transpose()
            }

            async fn insert_balance(
                &mut self,
                account: &str,
                amount: u128,
                origin: &ChainOrigin,
            ) -> Result<()> {
                let (block, log, tx) = origin_binds(origin);
                sqlx::query(&format!(
                    "INSERT INTO chain_balance_versions (account, withdrawable, {ORIGIN}) \
                     VALUES ($1,$2,$3,$4,$5)"
                ))
                .bind(account.to_ascii_lowercase())
                .bind(amount.to_string())
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn profile(&mut self, profile_id: u64) -> Result<Option<Profile>> {
                sqlx::query_as::<_, ProfileRow>(&format!(
                    "SELECT {PROFILE_COLUMNS} FROM chain_profile_versions WHERE profile_id = $1 \
                     ORDER BY id DESC LIMIT 1"
                ))
                .bind(profile_id as i64)
                .fetch_optional(&mut **self.0)
                .await?
                .map(ProfileRow::into_domain)
                .transpose()
            }

            async fn insert_profile(&mut self, p: &Profile) -> Result<()> {
                let (block, log, tx) = origin_binds(&p.updated);
                sqlx::query(&format!(
                    "INSERT INTO chain_profile_versions ({PROFILE_COLUMNS}) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
                ))
                .bind(p.profile_id as i64)
                .bind(p.provider.to_ascii_lowercase())
                .bind(p.terms_hash.as_slice())
                .bind(&p.terms_json)
                .bind(p.retired)
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn insert_role(
                &mut self,
                role: &[u8; 32],
                account: &str,
                member: bool,
                sender: &str,
                origin: &ChainOrigin,
            ) -> Result<()> {
                let (block, log, tx) = origin_binds(origin);
                sqlx::query(&format!(
                    "INSERT INTO chain_role_versions (role, account, member, sender, {ORIGIN}) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7)"
                ))
                .bind(role.as_slice())
                .bind(account.to_ascii_lowercase())
                .bind(member)
                .bind(sender.to_ascii_lowercase())
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn role_members(&mut self, role: &[u8; 32]) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT v.account FROM chain_role_versions v WHERE v.role = $1 AND v.id = \
                     (SELECT MAX(w.id) FROM chain_role_versions w WHERE w.role = v.role \
                     AND w.account = v.account) AND v.member ORDER BY v.account",
                )
                .bind(role.as_slice())
                .fetch_all(&mut **self.0)
                .await?)
            }

            async fn insert_pause(
                &mut self,
                paused: bool,
                account: &str,
                origin: &ChainOrigin,
            ) -> Result<()> {
                let (block, log, tx) = origin_binds(origin);
                sqlx::query(&format!(
                    "INSERT INTO chain_pause_versions (paused, account, {ORIGIN}) \
                     VALUES ($1,$2,$3,$4,$5)"
                ))
                .bind(paused)
                .bind(account.to_ascii_lowercase())
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                Ok(())
            }

            async fn paused(&mut self) -> Result<bool> {
                let paused: Option<bool> = sqlx::query_scalar(
                    "SELECT paused FROM chain_pause_versions ORDER BY id DESC LIMIT 1",
                )
                .fetch_optional(&mut **self.0)
                .await?;
                Ok(paused.unwrap_or(false))
            }

            async fn allocation_version(
                &mut self,
                data_unit: u64,
            ) -> Result<Option<ChainAllocation>> {
                sqlx::query_as::<_, AllocationVersionRow>(&format!(
                    "SELECT {ALLOCATION_VERSION_COLUMNS} FROM chain_allocation_versions \
                     WHERE data_unit = $1 ORDER BY id DESC LIMIT 1"
                ))
                .bind(data_unit as i64)
                .fetch_optional(&mut **self.0)
                .await?
                .map(AllocationVersionRow::into_domain)
                .transpose()
            }

            async fn put_allocation(&mut self, c: &ChainAllocation) -> Result<()> {
                let a = &c.allocation;
                let (block, log, tx) = origin_binds(&c.updated);
                sqlx::query(&format!(
                    "INSERT INTO chain_allocation_versions ({ALLOCATION_VERSION_COLUMNS}) VALUES \
                     ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)"
                ))
                .bind(a.data_unit as i64)
                .bind(a.consumer.to_ascii_lowercase())
                .bind(a.provider.to_ascii_lowercase())
                .bind(a.status.as_str())
                .bind(a.reporting_interval_ms as i64)
                .bind(a.terms_hash.as_slice())
                .bind(&a.terms_json)
                .bind(a.active_from_ms as i64)
                .bind(a.closed_at_ms.map(|v| v as i64))
                .bind(c.profile_id as i64)
                .bind(c.requested_at_ms as i64)
                .bind(c.expires_at_ms as i64)
                .bind(c.active_from_epoch.map(|v| v as i64))
                .bind(c.closed_epoch.map(|v| v as i64))
                .bind(c.closed_by.as_ref().map(|s| s.to_ascii_lowercase()))
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                self.upsert_current_allocation(a).await
            }

            async fn expiring(&mut self, now_ms: u64) -> Result<Vec<ChainAllocation>> {
                let columns = ALLOCATION_VERSION_COLUMNS
                    .split(", ")
                    .map(|c| format!("v.{}", c.trim()))
                    .collect::<Vec<_>>()
                    .join(", ");
                sqlx::query_as::<_, AllocationVersionRow>(&format!(
                    "SELECT {columns} FROM allocations a JOIN chain_allocation_versions v \
                     ON v.data_unit = a.data_unit WHERE a.status = 'requested' AND \
                     v.expires_at_ms < $1 AND v.id = (SELECT MAX(w.id) FROM \
                     chain_allocation_versions w WHERE w.data_unit = a.data_unit) \
                     ORDER BY v.data_unit"
                ))
                .bind(now_ms as i64)
                .fetch_all(&mut **self.0)
                .await?
                .into_iter()
                .map(AllocationVersionRow::into_domain)
                .collect()
            }

            async fn key_version(
                &mut self,
                key: &[u8; 32],
            ) -> Result<Option<(ReporterKey, ChainOrigin)>> {
                sqlx::query_as::<_, KeyVersionRow>(&format!(
                    "SELECT {KEY_VERSION_COLUMNS} FROM chain_key_versions WHERE public_key = $1 \
                     ORDER BY id DESC LIMIT 1"
                ))
                .bind(key.as_slice())
                .fetch_optional(&mut **self.0)
                .await?
                .map(KeyVersionRow::into_domain)
                .transpose()
            }

            async fn put_key(&mut self, k: &ReporterKey, origin: &ChainOrigin) -> Result<()> {
                let (block, log, tx) = origin_binds(origin);
                sqlx::query(&format!(
                    "INSERT INTO chain_key_versions ({KEY_VERSION_COLUMNS}) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7)"
                ))
                .bind(k.public_key.as_slice())
                .bind(k.account.to_ascii_lowercase())
                .bind(k.valid_from_ms as i64)
                .bind(k.valid_until_ms.map(|v| v as i64))
                .bind(block)
                .bind(log)
                .bind(tx)
                .execute(&mut **self.0)
                .await?;
                self.upsert_current_key(k).await
            }

            async fn delete_facts_after(&mut self, block: i64) -> Result<()> {
                for table in BLOCK_SCOPED_TABLES {
                    sqlx::query(&format!("DELETE FROM {table} WHERE block_number > $1"))
                        .bind(block)
                        .execute(&mut **self.0)
                        .await?;
                }
                Ok(())
            }

            async fn delete_allocation_versions_after(&mut self, block: i64) -> Result<Vec<u64>> {
                let units: Vec<i64> = sqlx::query_scalar(
                    "SELECT DISTINCT data_unit FROM chain_allocation_versions \
                     WHERE block_number > $1 ORDER BY data_unit",
                )
                .bind(block)
                .fetch_all(&mut **self.0)
                .await?;
                sqlx::query("DELETE FROM chain_allocation_versions WHERE block_number > $1")
                    .bind(block)
                    .execute(&mut **self.0)
                    .await?;
                Ok(units.into_iter().map(|u| u as u64).collect())
            }

            async fn delete_key_versions_after(&mut self, block: i64) -> Result<Vec<[u8; 32]>> {
                let keys: Vec<Vec<u8>> = sqlx::query_scalar(
                    "SELECT DISTINCT public_key FROM chain_key_versions \
                     WHERE block_number > $1 ORDER BY public_key",
                )
                .bind(block)
                .fetch_all(&mut **self.0)
                .await?;
                sqlx::query("DELETE FROM chain_key_versions WHERE block_number > $1")
                    .bind(block)
                    .execute(&mut **self.0)
                    .await?;
                keys.iter()
                    .map(|k| crate::rows::hash32(k, "chain_key_versions.public_key"))
                    .collect()
            }

            async fn upsert_current_allocation(&mut self, a: &Allocation) -> Result<()> {
                sqlx::query(UPSERT_ALLOCATION)
                    .bind(a.data_unit as i64)
                    .bind(a.consumer.to_ascii_lowercase())
                    .bind(a.provider.to_ascii_lowercase())
                    .bind(a.status.as_str())
                    .bind(a.reporting_interval_ms as i64)
                    .bind(a.terms_hash.as_slice())
                    .bind(&a.terms_json)
                    .bind(a.active_from_ms as i64)
                    .bind(a.closed_at_ms.map(|v| v as i64))
                    .execute(&mut **self.0)
                    .await?;
                Ok(())
            }

            async fn delete_current_allocation(&mut self, data_unit: u64) -> Result<()> {
                sqlx::query("DELETE FROM allocations WHERE data_unit = $1")
                    .bind(data_unit as i64)
                    .execute(&mut **self.0)
                    .await?;
                Ok(())
            }

            async fn upsert_current_key(&mut self, k: &ReporterKey) -> Result<()> {
                sqlx::query(UPSERT_KEY)
                    .bind(k.public_key.as_slice())
                    .bind(k.account.to_ascii_lowercase())
                    .bind(k.valid_from_ms as i64)
                    .bind(k.valid_until_ms.map(|v| v as i64))
                    .execute(&mut **self.0)
                    .await?;
                Ok(())
            }

            async fn delete_current_key(&mut self, key: &[u8; 32]) -> Result<()> {
                sqlx::query("DELETE FROM reporter_keys WHERE public_key = $1")
                    .bind(key.as_slice())
                    .execute(&mut **self.0)
                    .await?;
                Ok(())
            }

            async fn current_allocation(&mut self, data_unit: u64) -> Result<Option<Allocation>> {
                sqlx::query_as::<_, AllocationRow>(&format!(
                    "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE data_unit = $1"
                ))
                .bind(data_unit as i64)
                .fetch_optional(&mut **self.0)
                .await?
                .map(AllocationRow::into_domain)
                .transpose()
            }

            async fn current_key(&mut self, key: &[u8; 32]) -> Result<Option<ReporterKey>> {
                sqlx::query_as::<_, KeyRow>(
                    "SELECT public_key, account, valid_from_ms, valid_until_ms FROM reporter_keys \
                     WHERE public_key = $1",
                )
                .bind(key.as_slice())
                .fetch_optional(&mut **self.0)
                .await?
                .map(KeyRow::into_domain)
                .transpose()
            }

            async fn contract(&mut self) -> Result<Option<ContractConfig>> {
                sqlx::query_as::<_, ContractRow>(&format!(
                    "SELECT {CONTRACT_COLUMNS} FROM chain_contract WHERE id = 1"
                ))
                .fetch_optional(&mut **self.0)
                .await?
                .map(ContractRow::into_domain)
                .transpose()
            }

            async fn oracle_config(&mut self) -> Result<Option<OracleConfig>> {
                sqlx::query_as::<_, OracleConfigRow>(&format!(
                    "SELECT {ORACLE_CONFIG_COLUMNS} FROM chain_oracle_configs \
                     ORDER BY config_version DESC LIMIT 1"
                ))
                .fetch_optional(&mut **self.0)
                .await?
                .map(OracleConfigRow::into_domain)
                .transpose()
            }

            async fn result(&mut self, data_unit: u64, epoch: u64) -> Result<Option<ChainResult>> {
                sqlx::query_as::<_, ResultRow>(&format!(
                    "SELECT {RESULT_COLUMNS} FROM chain_results WHERE data_unit = $1 AND epoch = $2"
                ))
                .bind(data_unit as i64)
                .bind(epoch as i64)
                .fetch_optional(&mut **self.0)
                .await?
                .map(ResultRow::into_domain)
                .transpose()
            }

            async fn results(
                &mut self,
                data_unit: u64,
                from_epoch: u64,
                limit: u32,
            ) -> Result<Vec<ChainResult>> {
                sqlx::query_as::<_, ResultRow>(&format!(
                    "SELECT {RESULT_COLUMNS} FROM chain_results WHERE data_unit = $1 \
                     AND epoch >= $2 ORDER BY epoch LIMIT $3"
                ))
                .bind(data_unit as i64)
                .bind(from_epoch.min(i64::MAX as u64) as i64)
                .bind(i64::from(limit))
                .fetch_all(&mut **self.0)
                .await?
                .into_iter()
                .map(ResultRow::into_domain)
                .collect()
            }

            async fn penalties(&mut self, data_unit: u64) -> Result<Vec<ChainPenalty>> {
                sqlx::query_as::<_, PenaltyRow>(&format!(
                    "SELECT {PENALTY_COLUMNS} FROM chain_penalties WHERE data_unit = $1 \
                     ORDER BY epoch"
                ))
                .bind(data_unit as i64)
                .fetch_all(&mut **self.0)
                .await?
                .into_iter()
                .map(PenaltyRow::into_domain)
                .collect()
            }

            async fn batches(&mut self, epoch: u64) -> Result<Vec<ResultBatch>> {
                sqlx::query_as::<_, BatchRow>(&format!(
                    "SELECT {BATCH_COLUMNS} FROM chain_result_batches WHERE epoch = $1 \
                     ORDER BY block_number, log_index"
                ))
                .bind(epoch as i64)
                .fetch_all(&mut **self.0)
                .await?
                .into_iter()
                .map(BatchRow::into_domain)
                .collect()
            }

            async fn counts(&mut self) -> Result<ChainCounts> {
                let tables = [
                    "chain_blocks",
                    "chain_oracle_configs",
                    "chain_provider_versions",
                    "chain_balance_versions",
                    "chain_profile_versions",
                    "chain_allocation_versions",
                    "chain_key_versions",
                    "chain_role_versions",
                    "chain_pause_versions",
                    "chain_results",
                    "chain_penalties",
                    "chain_result_batches",
                    "chain_skipped_results",
                ];
                let sql = format!(
                    "SELECT {}",
                    tables
                        .iter()
                        .map(|t| format!("(SELECT COUNT(*) FROM {t})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let row = sqlx::query(&sql).fetch_one(&mut **self.0).await?;
                let n = |i: usize| -> Result<u64> {
                    Ok(sqlx::Row::try_get::<i64, _>(&row, i)? as u64)
                };
                Ok(ChainCounts {
                    blocks: n(0)?,
                    oracle_configs: n(1)?,
                    provider_versions: n(2)?,
                    balance_versions: n(3)?,
                    profile_versions: n(4)?,
                    allocation_versions: n(5)?,
                    key_versions: n(6)?,
                    role_versions: n(7)?,
                    pause_versions: n(8)?,
                    results: n(9)?,
                    penalties: n(10)?,
                    batches: n(11)?,
                    skipped: n(12)?,
                })
            }
        }
    };
}

// SQLite has no row locks: its writing transactions begin IMMEDIATE and so hold the database's
// write lock from the start.
mirror_tx!(Sqlite, CURSOR_SQL);
mirror_tx!(Postgres, PG_LOCK_CURSOR_SQL);
