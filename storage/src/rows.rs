//! Row shapes shared by both backends (every integer column is read as i64) and their
//! conversion into domain values.

use sla_protocol::{ReportHash, Role, SignedReport};

use crate::error::{Result, StorageError};
use crate::types::{
    Ack, Allocation, AllocationStatus, ReporterKey, ReporterState, ReporterStatus, StoredReport,
};

pub(crate) const REPORT_COLUMNS: &str = "id, hash, reporter_key, role, data_unit, sequence, \
     period_start_ms, period_end_ms, record_count, payload, signature, received_at_ms";

/// A chain head is the report with the highest sequence of its (data unit, key); `r` is reports.
pub(crate) const HEAD_COLUMNS: &str = "r.reporter_key, r.data_unit, r.role, \
     r.sequence AS last_sequence, r.hash AS last_hash, r.period_end_ms AS last_period_end_ms";

pub(crate) const ALLOCATION_COLUMNS: &str = "data_unit, consumer, provider, status, \
     reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms";

fn corrupt(what: &str) -> StorageError {
    StorageError::Corrupt(what.to_owned())
}

pub(crate) fn hash32(bytes: &[u8], what: &str) -> Result<[u8; 32]> {
    bytes.try_into().map_err(|_| corrupt(what))
}

pub(crate) fn role(tag: i64) -> Result<Role> {
    Role::from_tag(tag as u8).ok_or_else(|| corrupt("role"))
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReportRow {
    id: i64,
    hash: Vec<u8>,
    reporter_key: Vec<u8>,
    role: i64,
    data_unit: i64,
    sequence: i64,
    period_start_ms: i64,
    period_end_ms: i64,
    record_count: i64,
    payload: Vec<u8>,
    signature: Vec<u8>,
    received_at_ms: i64,
}

impl ReportRow {
    pub(crate) fn into_domain(self) -> Result<StoredReport> {
        Ok(StoredReport {
            id: self.id,
            hash: ReportHash(hash32(&self.hash, "reports.hash")?),
            reporter_key: hash32(&self.reporter_key, "reports.reporter_key")?,
            role: role(self.role)?,
            data_unit: self.data_unit as u64,
            sequence: self.sequence as u64,
            period_start_ms: self.period_start_ms as u64,
            period_end_ms: self.period_end_ms as u64,
            record_count: self.record_count as u32,
            payload: self.payload,
            signature: self.signature,
            received_at_ms: self.received_at_ms as u64,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AckRow {
    hash: Vec<u8>,
    data_unit: i64,
    sequence: i64,
    received_at_ms: i64,
}

impl AckRow {
    pub(crate) fn into_domain(self) -> Result<Ack> {
        Ok(Ack {
            report_hash: ReportHash(hash32(&self.hash, "reports.hash")?),
            data_unit: self.data_unit as u64,
            sequence: self.sequence as u64,
            received_at_ms: self.received_at_ms as u64,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AllocationRow {
    data_unit: i64,
    consumer: String,
    provider: String,
    status: String,
    reporting_interval_ms: i64,
    terms_hash: Vec<u8>,
    terms_json: String,
    active_from_ms: i64,
    closed_at_ms: Option<i64>,
}

impl AllocationRow {
    pub(crate) fn into_domain(self) -> Result<Allocation> {
        Ok(Allocation {
            data_unit: self.data_unit as u64,
            consumer: self.consumer,
            provider: self.provider,
            status: AllocationStatus::parse(&self.status)
                .ok_or_else(|| corrupt("allocations.status"))?,
            reporting_interval_ms: self.reporting_interval_ms as u64,
            terms_hash: hash32(&self.terms_hash, "allocations.terms_hash")?,
            terms_json: self.terms_json,
            active_from_ms: self.active_from_ms as u64,
            closed_at_ms: self.closed_at_ms.map(|v| v as u64),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    public_key: Vec<u8>,
    account: String,
    valid_from_ms: i64,
    valid_until_ms: Option<i64>,
}

impl KeyRow {
    pub(crate) fn into_domain(self) -> Result<ReporterKey> {
        Ok(ReporterKey {
            public_key: hash32(&self.public_key, "reporter_keys.public_key")?,
            account: self.account,
            valid_from_ms: self.valid_from_ms as u64,
            valid_until_ms: self.valid_until_ms.map(|v| v as u64),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StateRow {
    pub(crate) reporter_key: Vec<u8>,
    pub(crate) data_unit: i64,
    role: i64,
    last_sequence: i64,
    last_hash: Vec<u8>,
    last_period_end_ms: i64,
}

impl StateRow {
    pub(crate) fn state(&self) -> Result<ReporterState> {
        Ok(ReporterState {
            last_sequence: self.last_sequence as u64,
            last_hash: ReportHash(hash32(&self.last_hash, "reports.hash")?),
            last_period_end_ms: self.last_period_end_ms as u64,
        })
    }

    pub(crate) fn into_status(self, reporting_interval_ms: u64) -> Result<ReporterStatus> {
        Ok(ReporterStatus {
            reporter_key: hash32(&self.reporter_key, "reports.reporter_key")?,
            data_unit: self.data_unit as u64,
            role: role(self.role)?,
            state: self.state()?,
            reporting_interval_ms,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EquivocationRow {
    sequence: i64,
    accepted_hash: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl EquivocationRow {
    pub(crate) fn into_domain(self) -> Result<(u64, ReportHash, SignedReport)> {
        Ok((
            self.sequence as u64,
            ReportHash(hash32(&self.accepted_hash, "equivocations.accepted_hash")?),
            SignedReport {
                payload: self.payload,
                signature: self.signature,
            },
        ))
    }
}
