//! Row shapes of the report tables (every integer column read as i64) and their domain values.

use sla_protocol::acceptance::{Ack, ReportChain, ReportChainHead};
use sla_protocol::{ReportHash, Role, SignedReport};

use super::{Equivocation, StoredReport};
use crate::error::{corrupt, Result};
use crate::rows::At;

pub(super) const REPORT_COLUMNS: &str = "id, hash, reporter_key, role, data_unit, sequence, \
     period_start_ms, period_end_ms, record_count, payload, signature, received_at_ms";

/// A report chain's head is its report with the highest sequence; `r` is `reports`.
pub(super) const HEAD_COLUMNS: &str = "r.reporter_key, r.data_unit, r.role, r.sequence, r.hash, \
     r.period_end_ms";

fn role(at: At<'_>, tag: i64) -> Result<Role> {
    u8::try_from(tag)
        .ok()
        .and_then(Role::from_tag)
        .ok_or_else(|| corrupt(at.table, at.row, format!("role {tag} is not 1 or 2")))
}

#[derive(sqlx::FromRow)]
pub(super) struct ReportRow {
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
    pub(super) fn into_domain(self) -> Result<StoredReport> {
        let row = format!("id={}", self.id);
        let at = At {
            table: "reports",
            row: &row,
        };
        Ok(StoredReport {
            id: self.id,
            hash: ReportHash(at.bytes32("hash", &self.hash)?),
            reporter_key: at.bytes32("reporter_key", &self.reporter_key)?,
            role: role(at, self.role)?,
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
pub(super) struct AckRow {
    hash: Vec<u8>,
    data_unit: i64,
    sequence: i64,
    received_at_ms: i64,
}

impl AckRow {
    pub(super) fn into_domain(self) -> Result<Ack> {
        let row = format!("data_unit={} sequence={}", self.data_unit, self.sequence);
        let at = At {
            table: "reports",
            row: &row,
        };
        Ok(Ack {
            report_hash: ReportHash(at.bytes32("hash", &self.hash)?),
            data_unit: self.data_unit as u64,
            sequence: self.sequence as u64,
            received_at_ms: self.received_at_ms as u64,
        })
    }
}

/// The newest report of a report chain (see [`HEAD_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub(super) struct HeadRow {
    reporter_key: Vec<u8>,
    data_unit: i64,
    role: i64,
    sequence: i64,
    hash: Vec<u8>,
    period_end_ms: i64,
}

impl HeadRow {
    pub(super) fn into_domain(self) -> Result<(ReportChain, Role, ReportChainHead)> {
        let row = format!("data_unit={} sequence={}", self.data_unit, self.sequence);
        let at = At {
            table: "reports",
            row: &row,
        };
        let chain = ReportChain {
            reporter_key: at.bytes32("reporter_key", &self.reporter_key)?,
            data_unit: self.data_unit as u64,
        };
        let head = ReportChainHead {
            sequence: self.sequence as u64,
            hash: ReportHash(at.bytes32("hash", &self.hash)?),
            period_end_ms: self.period_end_ms as u64,
        };
        Ok((chain, role(at, self.role)?, head))
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EquivocationRow {
    hash: Vec<u8>,
    sequence: i64,
    accepted_hash: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
    received_at_ms: i64,
}

impl EquivocationRow {
    pub(super) fn into_domain(self) -> Result<Equivocation> {
        let row = format!("hash={}", hex::encode(&self.hash));
        let at = At {
            table: "equivocations",
            row: &row,
        };
        Ok(Equivocation {
            sequence: self.sequence as u64,
            accepted_hash: ReportHash(at.bytes32("accepted_hash", &self.accepted_hash)?),
            conflicting: SignedReport {
                payload: self.payload,
                signature: self.signature,
            },
            received_at_ms: self.received_at_ms as u64,
        })
    }
}
