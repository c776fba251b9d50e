//! Row shapes of the chain mirror's tables (every integer column read as i64, amounts as decimal
//! text) and their conversion into domain values. Shared by both backends.

use crate::error::{Result, StorageError};
use crate::rows::hash32;
use crate::types::{
    Allocation, AllocationStatus, ChainAllocation, ChainBlock, ChainOrigin, ChainPenalty,
    ChainResult, ContractConfig, OracleConfig, Profile, ProviderState, ReporterKey, ResultBatch,
};

fn corrupt(what: &str) -> StorageError {
    StorageError::Corrupt(what.to_owned())
}

/// A wei amount stored as decimal text.
pub(super) fn wei(text: &str, what: &str) -> Result<u128> {
    text.parse().map_err(|_| corrupt(what))
}

fn origin(
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
) -> Result<ChainOrigin> {
    Ok(ChainOrigin {
        block_number: block_number as u64,
        log_index: log_index.map(|v| v as u64),
        tx_hash: tx_hash.map(|h| hash32(&h, "tx_hash")).transpose()?,
    })
}

/// The origin columns as bound values.
pub(super) fn origin_binds(o: &ChainOrigin) -> (i64, Option<i64>, Option<&[u8]>) {
    (
        o.block_number as i64,
        o.log_index.map(|v| v as i64),
        o.tx_hash.as_ref().map(|h| h.as_slice()),
    )
}

pub(super) const ORIGIN: &str = "block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct CursorRow {
    block_number: Option<i64>,
    block_hash: Option<Vec<u8>>,
    timestamp_ms: Option<i64>,
}

impl CursorRow {
    pub(super) fn into_domain(self) -> Result<Option<ChainBlock>> {
        match (self.block_number, self.block_hash, self.timestamp_ms) {
            (Some(number), Some(hash), Some(ts)) => Ok(Some(ChainBlock {
                number: number as u64,
                hash: hash32(&hash, "chain_cursor.block_hash")?,
                timestamp_ms: ts as u64,
            })),
            (None, None, None) => Ok(None),
            _ => Err(corrupt("chain_cursor")),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct BlockRow {
    block_number: i64,
    block_hash: Vec<u8>,
    timestamp_ms: i64,
}

impl BlockRow {
    pub(super) fn into_domain(self) -> Result<ChainBlock> {
        Ok(ChainBlock {
            number: self.block_number as u64,
            hash: hash32(&self.block_hash, "chain_blocks.block_hash")?,
            timestamp_ms: self.timestamp_ms as u64,
        })
    }
}

pub(super) const CONTRACT_COLUMNS: &str = "admin, genesis_time, epoch_length, submission_window, \
     unbonding_delay, allocation_request_ttl, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct ContractRow {
    admin: String,
    genesis_time: i64,
    epoch_length: i64,
    submission_window: i64,
    unbonding_delay: i64,
    allocation_request_ttl: i64,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl ContractRow {
    pub(super) fn into_domain(self) -> Result<ContractConfig> {
        Ok(ContractConfig {
            admin: self.admin,
            genesis_time: self.genesis_time as u64,
            epoch_length: self.epoch_length as u32,
            submission_window: self.submission_window as u32,
            unbonding_delay: self.unbonding_delay as u32,
            allocation_request_ttl: self.allocation_request_ttl as u32,
            origin: origin(self.block_number, self.log_index, self.tx_hash)?,
        })
    }
}

pub(super) const ORACLE_CONFIG_COLUMNS: &str =
    "config_version, signers, quorum, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct OracleConfigRow {
    config_version: i64,
    signers: String,
    quorum: i64,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl OracleConfigRow {
    pub(super) fn into_domain(self) -> Result<OracleConfig> {
        Ok(OracleConfig {
            config_version: self.config_version as u64,
            signers: self
                .signers
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            quorum: self.quorum as u8,
            origin: origin(self.block_number, self.log_index, self.tx_hash)?,
        })
    }
}

pub(super) const PROVIDER_COLUMNS: &str = "provider, provider_id, reputation, bonded, unbonding, \
     unbonding_release_at, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct ProviderRow {
    provider: String,
    provider_id: i64,
    reputation: i64,
    bonded: String,
    unbonding: String,
    unbonding_release_at: i64,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl ProviderRow {
    pub(super) fn into_domain(self) -> Result<ProviderState> {
        Ok(ProviderState {
            provider: self.provider,
            provider_id: self.provider_id as u32,
            reputation: self.reputation as u16,
            bonded: wei(&self.bonded, "chain_provider_versions.bonded")?,
            unbonding: wei(&self.unbonding, "chain_provider_versions.unbonding")?,
            unbonding_release_at: self.unbonding_release_at as u64,
            updated: origin(self.block_number, self.log_index, self.tx_hash)?,
        })
    }
}

pub(super) const PROFILE_COLUMNS: &str =
    "profile_id, provider, terms_hash, terms_json, retired, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct ProfileRow {
    profile_id: i64,
    provider: String,
    terms_hash: Vec<u8>,
    terms_json: String,
    retired: bool,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl ProfileRow {
    pub(super) fn into_domain(self) -> Result<Profile> {
        Ok(Profile {
            profile_id: self.profile_id as u64,
            provider: self.provider,
            terms_hash: hash32(&self.terms_hash, "chain_profile_versions.terms_hash")?,
            terms_json: self.terms_json,
            retired: self.retired,
            updated: origin(self.block_number, self.log_index, self.tx_hash)?,
        })
    }
}

pub(super) const ALLOCATION_VERSION_COLUMNS: &str = "data_unit, consumer, provider, status, \
     reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms, profile_id, \
     requested_at_ms, expires_at_ms, active_from_epoch, closed_epoch, closed_by, block_number, \
     log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct AllocationVersionRow {
    data_unit: i64,
    consumer: String,
    provider: String,
    status: String,
    reporting_interval_ms: i64,
    terms_hash: Vec<u8>,
    terms_json: String,
    active_from_ms: i64,
    closed_at_ms: Option<i64>,
    profile_id: i64,
    requested_at_ms: i64,
    expires_at_ms: i64,
    active_from_epoch: Option<i64>,
    closed_epoch: Option<i64>,
    closed_by: Option<String>,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl AllocationVersionRow {
    pub(super) fn into_domain(self) -> Result<ChainAllocation> {
        Ok(ChainAllocation {
            allocation: Allocation {
                data_unit: self.data_unit as u64,
                consumer: self.consumer,
                provider: self.provider,
                status: AllocationStatus::parse(&self.status)
                    .ok_or_else(|| corrupt("chain_allocation_versions.status"))?,
                reporting_interval_ms: self.reporting_interval_ms as u64,
                terms_hash: hash32(&self.terms_hash, "chain_allocation_versions.terms_hash")?,
                terms_json: self.terms_json,
                active_from_ms: self.active_from_ms as u64,
                closed_at_ms: self.closed_at_ms.map(|v| v as u64),
            },
            profile_id: self.profile_id as u64,
            requested_at_ms: self.requested_at_ms as u64,
            expires_at_ms: self.expires_at_ms as u64,
            active_from_epoch: self.active_from_epoch.map(|v| v as u64),
            closed_epoch: self.closed_epoch.map(|v| v as u64),
            closed_by: self.closed_by,
            updated: origin(self.block_number, self.log_index, self.tx_hash)?,
        })
    }
}

pub(super) const KEY_VERSION_COLUMNS: &str =
    "public_key, account, valid_from_ms, valid_until_ms, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct KeyVersionRow {
    public_key: Vec<u8>,
    account: String,
    valid_from_ms: i64,
    valid_until_ms: Option<i64>,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl KeyVersionRow {
    pub(super) fn into_domain(self) -> Result<(ReporterKey, ChainOrigin)> {
        Ok((
            ReporterKey {
                public_key: hash32(&self.public_key, "chain_key_versions.public_key")?,
                account: self.account,
                valid_from_ms: self.valid_from_ms as u64,
                valid_until_ms: self.valid_until_ms.map(|v| v as u64),
            },
            origin(self.block_number, self.log_index, self.tx_hash)?,
        ))
    }
}

pub(super) const RESULT_COLUMNS: &str = "data_unit, epoch, read_latency_us, write_latency_us, \
     upload_bps, download_bps, uptime_bps, error_rate_bps, operations, violations, flags, \
     reports_root, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct ResultRow {
    data_unit: i64,
    epoch: i64,
    read_latency_us: i64,
    write_latency_us: i64,
    upload_bps: i64,
    download_bps: i64,
    uptime_bps: i64,
    error_rate_bps: i64,
    operations: i64,
    violations: i64,
    flags: i64,
    reports_root: Vec<u8>,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl ResultRow {
    pub(super) fn into_domain(self) -> Result<ChainResult> {
        Ok(ChainResult {
            epoch: self.epoch as u64,
            result: sla_protocol::EpochResult {
                data_unit_id: self.data_unit as u64,
                read_latency_us: self.read_latency_us as u32,
                write_latency_us: self.write_latency_us as u32,
                upload_bps: self.upload_bps as u64,
                download_bps: self.download_bps as u64,
                uptime_bps: self.uptime_bps as u16,
                error_rate_bps: self.error_rate_bps as u16,
                operations: self.operations as u32,
                violations: self.violations as u8,
                flags: self.flags as u8,
                reports_root: hash32(&self.reports_root, "chain_results.reports_root")?,
            },
            origin: origin(self.block_number, self.log_index, self.tx_hash)?,
        })
    }
}

pub(super) const PENALTY_COLUMNS: &str = "data_unit, epoch, provider, consumer, amount, \
     from_bonded, from_unbonding, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct PenaltyRow {
    data_unit: i64,
    epoch: i64,
    provider: String,
    consumer: String,
    amount: String,
    from_bonded: String,
    from_unbonding: String,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl PenaltyRow {
    pub(super) fn into_domain(self) -> Result<ChainPenalty> {
        Ok(ChainPenalty {
            data_unit: self.data_unit as u64,
            epoch: self.epoch as u64,
            provider: self.provider,
            consumer: self.consumer,
            amount: wei(&self.amount, "chain_penalties.amount")?,
            from_bonded: wei(&self.from_bonded, "chain_penalties.from_bonded")?,
            from_unbonding: wei(&self.from_unbonding, "chain_penalties.from_unbonding")?,
            origin: origin(self.block_number, self.log_index, self.tx_hash)?,
        })
    }
}

pub(super) const BATCH_COLUMNS: &str = "epoch, config_version, results_hash, applied, skipped, \
     submitter, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct BatchRow {
    epoch: i64,
    config_version: i64,
    results_hash: Vec<u8>,
    applied: i64,
    skipped: i64,
    submitter: String,
    block_number: i64,
    log_index: i64,
    tx_hash: Vec<u8>,
}

impl BatchRow {
    pub(super) fn into_domain(self) -> Result<ResultBatch> {
        Ok(ResultBatch {
            epoch: self.epoch as u64,
            config_version: self.config_version as u64,
            results_hash: hash32(&self.results_hash, "chain_result_batches.results_hash")?,
            applied: self.applied as u64,
            skipped: self.skipped as u64,
            submitter: self.submitter,
            origin: origin(self.block_number, Some(self.log_index), Some(self.tx_hash))?,
        })
    }
}
