//! Row shapes of the mirror's tables (every integer column read as i64, amounts as decimal text,
//! addresses as lowercase hex text) and their domain values.

use sla_protocol::aggregate::EpochResult;
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};

use super::types::{
    ChainBlock, ChainOrigin, ContractConfig, MirroredAllocation, MirroredPenalty, MirroredResult,
    OracleConfig, Profile, ProviderState, ResultBatch,
};
use crate::error::{corrupt, Result};
use crate::rows::{address_text, At};

/// The origin columns every versioned table ends with.
pub(super) const ORIGIN: &str = "block_number, log_index, tx_hash";

/// Where a mirrored row came from: the block, log and transaction of its event (the log and
/// transaction are absent for state read at the indexer's start).
#[derive(sqlx::FromRow)]
pub(super) struct OriginRow {
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

impl OriginRow {
    fn decode(&self, at: At<'_>) -> Result<ChainOrigin> {
        Ok(ChainOrigin {
            block_number: self.block_number as u64,
            log_index: self.log_index.map(|v| v as u64),
            tx_hash: self
                .tx_hash
                .as_deref()
                .map(|h| at.bytes32("tx_hash", h))
                .transpose()?,
        })
    }
}

/// The origin columns as bound values.
pub(super) fn origin_binds(o: &ChainOrigin) -> (i64, Option<i64>, Option<&[u8]>) {
    (
        o.block_number as i64,
        o.log_index.map(|v| v as i64),
        o.tx_hash.as_ref().map(|h| h.as_slice()),
    )
}

pub(crate) const ALLOCATION_COLUMNS: &str = "data_unit, consumer, provider, status, \
     reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms";

pub(crate) const KEY_COLUMNS: &str = "public_key, account, valid_from_ms, valid_until_ms";

/// A row of `allocations`, the current state of each data unit.
#[derive(sqlx::FromRow)]
pub(crate) struct AllocationRow {
    data_unit: i64,
    consumer: String,
    provider: String,
    status: String,
    terms_hash: Vec<u8>,
    terms_json: String,
    active_from_ms: i64,
    closed_at_ms: Option<i64>,
}

impl AllocationRow {
    pub(crate) fn into_domain(self) -> Result<Allocation> {
        allocation("allocations", self)
    }
}

fn allocation(table: &'static str, r: AllocationRow) -> Result<Allocation> {
    let row = format!("data_unit={}", r.data_unit);
    let at = At { table, row: &row };
    // `reporting_interval_ms` repeats the terms' interval for queries; the terms are read.
    Ok(Allocation {
        data_unit: r.data_unit as u64,
        consumer: at.address("consumer", &r.consumer)?,
        provider: at.address("provider", &r.provider)?,
        status: at.named("status", &r.status, AllocationStatus::parse)?,
        terms_hash: at.bytes32("terms_hash", &r.terms_hash)?,
        terms: at.json("terms_json", &r.terms_json)?,
        active_from_ms: r.active_from_ms as u64,
        closed_at_ms: r.closed_at_ms.map(|v| v as u64),
    })
}

/// The bound values of an allocation's columns, in [`ALLOCATION_COLUMNS`] order.
pub(super) struct AllocationBinds {
    pub(super) data_unit: i64,
    pub(super) consumer: String,
    pub(super) provider: String,
    pub(super) status: &'static str,
    pub(super) reporting_interval_ms: i64,
    pub(super) terms_json: String,
    pub(super) active_from_ms: i64,
    pub(super) closed_at_ms: Option<i64>,
}

impl AllocationBinds {
    pub(super) fn of(a: &Allocation) -> Result<Self> {
        Ok(AllocationBinds {
            data_unit: a.data_unit as i64,
            consumer: address_text(&a.consumer),
            provider: address_text(&a.provider),
            status: a.status.as_str(),
            reporting_interval_ms: a.reporting_interval_ms() as i64,
            terms_json: serde_json::to_string(&a.terms).map_err(|e| {
                corrupt(
                    "allocations",
                    format!("data_unit={}", a.data_unit),
                    e.to_string(),
                )
            })?,
            active_from_ms: a.active_from_ms as i64,
            closed_at_ms: a.closed_at_ms.map(|v| v as i64),
        })
    }
}

/// A row of `reporter_keys`, the current state of each key.
#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    public_key: Vec<u8>,
    account: String,
    valid_from_ms: i64,
    valid_until_ms: Option<i64>,
}

impl KeyRow {
    pub(crate) fn into_domain(self) -> Result<ReporterKey> {
        let row = format!("public_key={}", hex::encode(&self.public_key));
        let at = At {
            table: "reporter_keys",
            row: &row,
        };
        Ok(ReporterKey {
            public_key: at.bytes32("public_key", &self.public_key)?,
            account: at.address("account", &self.account)?,
            valid_from_ms: self.valid_from_ms as u64,
            valid_until_ms: self.valid_until_ms.map(|v| v as u64),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CursorRow {
    block_number: Option<i64>,
    block_hash: Option<Vec<u8>>,
    timestamp_ms: Option<i64>,
}

impl CursorRow {
    pub(super) fn into_domain(self) -> Result<Option<ChainBlock>> {
        let at = At {
            table: "chain_cursor",
            row: &1,
        };
        match (self.block_number, self.block_hash, self.timestamp_ms) {
            (Some(number), Some(hash), Some(ts)) => Ok(Some(ChainBlock {
                number: number as u64,
                hash: at.bytes32("block_hash", &hash)?,
                timestamp_ms: ts as u64,
            })),
            (None, None, None) => Ok(None),
            _ => Err(corrupt(
                "chain_cursor",
                1,
                "some but not all columns are set",
            )),
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
        let at = At {
            table: "chain_blocks",
            row: &self.block_number,
        };
        Ok(ChainBlock {
            number: self.block_number as u64,
            hash: at.bytes32("block_hash", &self.block_hash)?,
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
    #[sqlx(flatten)]
    origin: OriginRow,
}

impl ContractRow {
    pub(super) fn into_domain(self) -> Result<ContractConfig> {
        let at = At {
            table: "chain_contract",
            row: &1,
        };
        Ok(ContractConfig {
            admin: at.address("admin", &self.admin)?,
            genesis_time: self.genesis_time as u64,
            epoch_length: self.epoch_length as u32,
            submission_window: self.submission_window as u32,
            unbonding_delay: self.unbonding_delay as u32,
            allocation_request_ttl: self.allocation_request_ttl as u32,
            origin: self.origin.decode(at)?,
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
    #[sqlx(flatten)]
    origin: OriginRow,
}

impl OracleConfigRow {
    pub(super) fn into_domain(self) -> Result<OracleConfig> {
        let row = format!("config_version={}", self.config_version);
        let at = At {
            table: "chain_oracle_configs",
            row: &row,
        };
        Ok(OracleConfig {
            config_version: self.config_version as u64,
            signers: self
                .signers
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| at.address("signers", s))
                .collect::<Result<_>>()?,
            quorum: self.quorum as u8,
            origin: self.origin.decode(at)?,
        })
    }
}

pub(super) const PROVIDER_COLUMNS: &str = "provider, provider_id, reputation, bonded, unbonding, \
     unbonding_release_at, suspended_until, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct ProviderRow {
    provider: String,
    provider_id: i64,
    reputation: i64,
    bonded: String,
    unbonding: String,
    unbonding_release_at: i64,
    suspended_until: i64,
    #[sqlx(flatten)]
    origin: OriginRow,
}

/// `suspended_until` as stored: the contract's type(uint64).max (removed) does not fit a BIGINT
/// and is kept as i64::MAX, which no real time reaches.
pub(super) fn suspended_until_bind(until: u64) -> i64 {
    i64::try_from(until).unwrap_or(i64::MAX)
}

impl ProviderRow {
    pub(super) fn into_domain(self) -> Result<ProviderState> {
        let row = format!(
            "provider={} block={}",
            self.provider, self.origin.block_number
        );
        let at = At {
            table: "chain_provider_versions",
            row: &row,
        };
        Ok(ProviderState {
            provider: at.address("provider", &self.provider)?,
            provider_id: self.provider_id as u32,
            reputation: self.reputation as u16,
            bonded: at.wei("bonded", &self.bonded)?,
            unbonding: at.wei("unbonding", &self.unbonding)?,
            unbonding_release_at: self.unbonding_release_at as u64,
            suspended_until: if self.suspended_until == i64::MAX {
                u64::MAX
            } else {
                self.suspended_until as u64
            },
            updated: self.origin.decode(at)?,
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
    #[sqlx(flatten)]
    origin: OriginRow,
}

impl ProfileRow {
    pub(super) fn into_domain(self) -> Result<Profile> {
        let row = format!(
            "profile_id={} block={}",
            self.profile_id, self.origin.block_number
        );
        let at = At {
            table: "chain_profile_versions",
            row: &row,
        };
        Ok(Profile {
            profile_id: self.profile_id as u64,
            provider: at.address("provider", &self.provider)?,
            terms_hash: at.bytes32("terms_hash", &self.terms_hash)?,
            terms: at.json("terms_json", &self.terms_json)?,
            retired: self.retired,
            updated: self.origin.decode(at)?,
        })
    }
}

pub(super) const ALLOCATION_VERSION_COLUMNS: &str = "data_unit, consumer, provider, status, \
     reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms, profile_id, \
     requested_at_ms, expires_at_ms, active_from_epoch, closed_epoch, closed_by, block_number, \
     log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct AllocationVersionRow {
    #[sqlx(flatten)]
    current: AllocationRow,
    profile_id: i64,
    requested_at_ms: i64,
    expires_at_ms: i64,
    active_from_epoch: Option<i64>,
    closed_epoch: Option<i64>,
    closed_by: Option<String>,
    #[sqlx(flatten)]
    origin: OriginRow,
}

impl AllocationVersionRow {
    pub(super) fn into_domain(self) -> Result<MirroredAllocation> {
        let row = format!(
            "data_unit={} block={}",
            self.current.data_unit, self.origin.block_number
        );
        let at = At {
            table: "chain_allocation_versions",
            row: &row,
        };
        Ok(MirroredAllocation {
            profile_id: self.profile_id as u64,
            requested_at_ms: self.requested_at_ms as u64,
            expires_at_ms: self.expires_at_ms as u64,
            active_from_epoch: self.active_from_epoch.map(|v| v as u64),
            closed_epoch: self.closed_epoch.map(|v| v as u64),
            closed_by: self
                .closed_by
                .as_deref()
                .map(|a| at.address("closed_by", a))
                .transpose()?,
            updated: self.origin.decode(at)?,
            allocation: allocation("chain_allocation_versions", self.current)?,
        })
    }
}

pub(super) const KEY_VERSION_COLUMNS: &str =
    "public_key, account, valid_from_ms, valid_until_ms, block_number, log_index, tx_hash";

#[derive(sqlx::FromRow)]
pub(super) struct KeyVersionRow {
    #[sqlx(flatten)]
    current: KeyRow,
    #[sqlx(flatten)]
    origin: OriginRow,
}

impl KeyVersionRow {
    pub(super) fn into_domain(self) -> Result<(ReporterKey, ChainOrigin)> {
        let key = self.current.into_domain()?;
        let row = format!("public_key={}", hex::encode(key.public_key));
        let at = At {
            table: "chain_key_versions",
            row: &row,
        };
        let origin = self.origin.decode(at)?;
        Ok((key, origin))
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
    #[sqlx(flatten)]
    origin: OriginRow,
}

impl ResultRow {
    pub(super) fn into_domain(self) -> Result<MirroredResult> {
        let row = format!("data_unit={} epoch={}", self.data_unit, self.epoch);
        let at = At {
            table: "chain_results",
            row: &row,
        };
        Ok(MirroredResult {
            epoch: self.epoch as u64,
            result: EpochResult {
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
                reports_root: at.bytes32("reports_root", &self.reports_root)?,
            },
            origin: self.origin.decode(at)?,
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
    #[sqlx(flatten)]
    origin: OriginRow,
}

impl PenaltyRow {
    pub(super) fn into_domain(self) -> Result<MirroredPenalty> {
        let row = format!("data_unit={} epoch={}", self.data_unit, self.epoch);
        let at = At {
            table: "chain_penalties",
            row: &row,
        };
        Ok(MirroredPenalty {
            data_unit: self.data_unit as u64,
            epoch: self.epoch as u64,
            provider: at.address("provider", &self.provider)?,
            consumer: at.address("consumer", &self.consumer)?,
            amount: at.wei("amount", &self.amount)?,
            from_bonded: at.wei("from_bonded", &self.from_bonded)?,
            from_unbonding: at.wei("from_unbonding", &self.from_unbonding)?,
            origin: self.origin.decode(at)?,
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
    #[sqlx(flatten)]
    origin: OriginRow,
}

impl BatchRow {
    pub(super) fn into_domain(self) -> Result<ResultBatch> {
        let row = format!("epoch={} block={}", self.epoch, self.origin.block_number);
        let at = At {
            table: "chain_result_batches",
            row: &row,
        };
        Ok(ResultBatch {
            epoch: self.epoch as u64,
            config_version: self.config_version as u64,
            results_hash: at.bytes32("results_hash", &self.results_hash)?,
            applied: self.applied as u64,
            skipped: self.skipped as u64,
            submitter: at.address("submitter", &self.submitter)?,
            origin: self.origin.decode(at)?,
        })
    }
}
