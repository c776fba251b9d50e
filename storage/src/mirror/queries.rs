//! The mirror's reads, written once: the indexer runs them inside its writing transaction
//! ([`super::MirrorWrite`]) and the read API outside ([`super::MirrorStore`]).

use alloy_primitives::Address;
use sla_protocol::parties::{Allocation, ReporterKey};

use super::rows::{
    AllocationRow, AllocationVersionRow, BatchRow, BlockRow, ContractRow, CursorRow, KeyRow,
    KeyVersionRow, OracleConfigRow, PenaltyRow, ProfileRow, ProviderRow, ResultRow,
    ALLOCATION_COLUMNS, ALLOCATION_VERSION_COLUMNS, BATCH_COLUMNS, CONTRACT_COLUMNS, KEY_COLUMNS,
    KEY_VERSION_COLUMNS, ORACLE_CONFIG_COLUMNS, PENALTY_COLUMNS, PROFILE_COLUMNS, PROVIDER_COLUMNS,
    RESULT_COLUMNS,
};
use super::types::{
    ChainBlock, ChainOrigin, ContractConfig, MirrorCounts, MirroredAllocation, MirroredPenalty,
    MirroredResult, OracleConfig, Profile, ProviderState, ResultBatch,
};
use crate::backend::{on_conn, Conn};
use crate::error::Result;
use crate::rows::{address_text, At};

/// The versioned tables, in [`MirrorCounts`] order.
const COUNTED_TABLES: [&str; 13] = [
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

pub(super) const CURSOR_SQL: &str =
    "SELECT block_number, block_hash, timestamp_ms FROM chain_cursor WHERE id = 1";

pub(super) async fn cursor(conn: &mut Conn<'_>, lock: &str) -> Result<Option<ChainBlock>> {
    let sql = format!("{CURSOR_SQL}{lock}");
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, CursorRow>(&sql)
            .fetch_one(&mut **c)
            .await?
    });
    row.into_domain()
}

pub(super) async fn blocks(conn: &mut Conn<'_>, limit: u32) -> Result<Vec<ChainBlock>> {
    let rows = on_conn!(conn, |c| {
        sqlx::query_as::<_, BlockRow>(
            "SELECT block_number, block_hash, timestamp_ms FROM chain_blocks \
             ORDER BY block_number DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut **c)
        .await?
    });
    rows.into_iter().map(BlockRow::into_domain).collect()
}

pub(super) async fn newest_block_through(
    conn: &mut Conn<'_>,
    number: u64,
) -> Result<Option<ChainBlock>> {
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, BlockRow>(
            "SELECT block_number, block_hash, timestamp_ms FROM chain_blocks \
             WHERE block_number <= $1 ORDER BY block_number DESC LIMIT 1",
        )
        .bind(number.min(i64::MAX as u64) as i64)
        .fetch_optional(&mut **c)
        .await?
    });
    row.map(BlockRow::into_domain).transpose()
}

pub(super) async fn contract(conn: &mut Conn<'_>) -> Result<Option<ContractConfig>> {
    let sql = format!("SELECT {CONTRACT_COLUMNS} FROM chain_contract WHERE id = 1");
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, ContractRow>(&sql)
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(ContractRow::into_domain).transpose()
}

pub(super) async fn oracle_config(conn: &mut Conn<'_>) -> Result<Option<OracleConfig>> {
    let sql = format!(
        "SELECT {ORACLE_CONFIG_COLUMNS} FROM chain_oracle_configs \
         ORDER BY config_version DESC LIMIT 1"
    );
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, OracleConfigRow>(&sql)
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(OracleConfigRow::into_domain).transpose()
}

pub(super) async fn paused(conn: &mut Conn<'_>) -> Result<bool> {
    let paused: Option<bool> = on_conn!(conn, |c| {
        sqlx::query_scalar("SELECT paused FROM chain_pause_versions ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut **c)
            .await?
    });
    Ok(paused.unwrap_or(false))
}

pub(super) async fn role_members(conn: &mut Conn<'_>, role: &[u8; 32]) -> Result<Vec<Address>> {
    let accounts: Vec<String> = on_conn!(conn, |c| {
        sqlx::query_scalar(
            "SELECT v.account FROM chain_role_versions v WHERE v.role = $1 AND v.id = \
             (SELECT MAX(w.id) FROM chain_role_versions w WHERE w.role = v.role \
             AND w.account = v.account) AND v.member ORDER BY v.account",
        )
        .bind(role.as_slice())
        .fetch_all(&mut **c)
        .await?
    });
    let row = format!("role={}", hex::encode(role));
    let at = At {
        table: "chain_role_versions",
        row: &row,
    };
    accounts.iter().map(|a| at.address("account", a)).collect()
}

pub(super) async fn provider(
    conn: &mut Conn<'_>,
    provider: &Address,
) -> Result<Option<ProviderState>> {
    let sql = format!(
        "SELECT {PROVIDER_COLUMNS} FROM chain_provider_versions WHERE provider = $1 \
         ORDER BY id DESC LIMIT 1"
    );
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, ProviderRow>(&sql)
            .bind(address_text(provider))
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(ProviderRow::into_domain).transpose()
}

pub(super) async fn providers(conn: &mut Conn<'_>) -> Result<Vec<ProviderState>> {
    let sql = format!(
        "SELECT {PROVIDER_COLUMNS} FROM chain_provider_versions v WHERE v.id = \
         (SELECT MAX(w.id) FROM chain_provider_versions w WHERE w.provider = v.provider) \
         ORDER BY v.provider_id"
    );
    let rows = on_conn!(conn, |c| {
        sqlx::query_as::<_, ProviderRow>(&sql)
            .fetch_all(&mut **c)
            .await?
    });
    rows.into_iter().map(ProviderRow::into_domain).collect()
}

pub(super) async fn balance(conn: &mut Conn<'_>, account: &Address) -> Result<Option<u128>> {
    let account = address_text(account);
    let text: Option<String> = on_conn!(conn, |c| {
        sqlx::query_scalar(
            "SELECT withdrawable FROM chain_balance_versions WHERE account = $1 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(&account)
        .fetch_optional(&mut **c)
        .await?
    });
    let at = At {
        table: "chain_balance_versions",
        row: &account,
    };
    text.map(|t| at.wei("withdrawable", &t)).transpose()
}

pub(super) async fn profile(conn: &mut Conn<'_>, profile_id: u64) -> Result<Option<Profile>> {
    let sql = format!(
        "SELECT {PROFILE_COLUMNS} FROM chain_profile_versions WHERE profile_id = $1 \
         ORDER BY id DESC LIMIT 1"
    );
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, ProfileRow>(&sql)
            .bind(profile_id as i64)
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(ProfileRow::into_domain).transpose()
}

/// The newest version of an allocation.
pub(super) async fn allocation_version(
    conn: &mut Conn<'_>,
    data_unit: u64,
) -> Result<Option<MirroredAllocation>> {
    let sql = format!(
        "SELECT {ALLOCATION_VERSION_COLUMNS} FROM chain_allocation_versions \
         WHERE data_unit = $1 ORDER BY id DESC LIMIT 1"
    );
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, AllocationVersionRow>(&sql)
            .bind(data_unit as i64)
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(AllocationVersionRow::into_domain).transpose()
}

/// Requested allocations whose request expired before `now_ms`, in their newest version.
pub(super) async fn expiring(conn: &mut Conn<'_>, now_ms: u64) -> Result<Vec<MirroredAllocation>> {
    let columns = ALLOCATION_VERSION_COLUMNS
        .split(", ")
        .map(|c| format!("v.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM allocations a JOIN chain_allocation_versions v \
         ON v.data_unit = a.data_unit WHERE a.status = 'requested' AND \
         v.expires_at_ms < $1 AND v.id = (SELECT MAX(w.id) FROM \
         chain_allocation_versions w WHERE w.data_unit = a.data_unit) ORDER BY v.data_unit"
    );
    let rows = on_conn!(conn, |c| {
        sqlx::query_as::<_, AllocationVersionRow>(&sql)
            .bind(now_ms.min(i64::MAX as u64) as i64)
            .fetch_all(&mut **c)
            .await?
    });
    rows.into_iter()
        .map(AllocationVersionRow::into_domain)
        .collect()
}

/// The newest version of a key and where it came from.
pub(super) async fn key_version(
    conn: &mut Conn<'_>,
    key: &[u8; 32],
) -> Result<Option<(ReporterKey, ChainOrigin)>> {
    let sql = format!(
        "SELECT {KEY_VERSION_COLUMNS} FROM chain_key_versions WHERE public_key = $1 \
         ORDER BY id DESC LIMIT 1"
    );
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, KeyVersionRow>(&sql)
            .bind(key.as_slice())
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(KeyVersionRow::into_domain).transpose()
}

/// The `allocations` row reports are judged against.
pub(super) async fn current_allocation(
    conn: &mut Conn<'_>,
    data_unit: u64,
) -> Result<Option<Allocation>> {
    let sql = format!("SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE data_unit = $1");
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, AllocationRow>(&sql)
            .bind(data_unit as i64)
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(AllocationRow::into_domain).transpose()
}

/// Every `allocations` row whose status is one of `statuses`, by data unit.
pub(super) async fn current_allocations(
    conn: &mut Conn<'_>,
    statuses: &[&str],
) -> Result<Vec<Allocation>> {
    let sql = format!(
        "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE status IN ({}) ORDER BY data_unit",
        crate::backend::placeholders(1, statuses.len())
    );
    let rows = on_conn!(conn, |c| {
        let mut query = sqlx::query_as::<_, AllocationRow>(&sql);
        for status in statuses {
            query = query.bind(*status);
        }
        query.fetch_all(&mut **c).await?
    });
    rows.into_iter().map(AllocationRow::into_domain).collect()
}

/// The `reporter_keys` row reports are judged against.
pub(super) async fn current_key(
    conn: &mut Conn<'_>,
    key: &[u8; 32],
) -> Result<Option<ReporterKey>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM reporter_keys WHERE public_key = $1");
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, KeyRow>(&sql)
            .bind(key.as_slice())
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(KeyRow::into_domain).transpose()
}

pub(super) async fn result(
    conn: &mut Conn<'_>,
    data_unit: u64,
    epoch: u64,
) -> Result<Option<MirroredResult>> {
    let sql =
        format!("SELECT {RESULT_COLUMNS} FROM chain_results WHERE data_unit = $1 AND epoch = $2");
    let row = on_conn!(conn, |c| {
        sqlx::query_as::<_, ResultRow>(&sql)
            .bind(data_unit as i64)
            .bind(epoch.min(i64::MAX as u64) as i64)
            .fetch_optional(&mut **c)
            .await?
    });
    row.map(ResultRow::into_domain).transpose()
}

pub(super) async fn results(
    conn: &mut Conn<'_>,
    data_unit: u64,
    from_epoch: u64,
    limit: u32,
) -> Result<Vec<MirroredResult>> {
    let sql = format!(
        "SELECT {RESULT_COLUMNS} FROM chain_results WHERE data_unit = $1 AND epoch >= $2 \
         ORDER BY epoch LIMIT $3"
    );
    let rows = on_conn!(conn, |c| {
        sqlx::query_as::<_, ResultRow>(&sql)
            .bind(data_unit as i64)
            .bind(from_epoch.min(i64::MAX as u64) as i64)
            .bind(i64::from(limit))
            .fetch_all(&mut **c)
            .await?
    });
    rows.into_iter().map(ResultRow::into_domain).collect()
}

pub(super) async fn penalties(conn: &mut Conn<'_>, data_unit: u64) -> Result<Vec<MirroredPenalty>> {
    let sql = format!(
        "SELECT {PENALTY_COLUMNS} FROM chain_penalties WHERE data_unit = $1 ORDER BY epoch"
    );
    let rows = on_conn!(conn, |c| {
        sqlx::query_as::<_, PenaltyRow>(&sql)
            .bind(data_unit as i64)
            .fetch_all(&mut **c)
            .await?
    });
    rows.into_iter().map(PenaltyRow::into_domain).collect()
}

pub(super) async fn batches(conn: &mut Conn<'_>, epoch: u64) -> Result<Vec<ResultBatch>> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM chain_result_batches WHERE epoch = $1 \
         ORDER BY block_number, log_index"
    );
    let rows = on_conn!(conn, |c| {
        sqlx::query_as::<_, BatchRow>(&sql)
            .bind(epoch.min(i64::MAX as u64) as i64)
            .fetch_all(&mut **c)
            .await?
    });
    rows.into_iter().map(BatchRow::into_domain).collect()
}

pub(super) async fn counts(conn: &mut Conn<'_>) -> Result<MirrorCounts> {
    let sql = format!(
        "SELECT {}",
        COUNTED_TABLES
            .iter()
            .map(|t| format!("(SELECT COUNT(*) FROM {t})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut n = [0u64; 13];
    on_conn!(conn, |c| {
        let row = sqlx::query(&sql).fetch_one(&mut **c).await?;
        for (i, slot) in n.iter_mut().enumerate() {
            *slot = sqlx::Row::try_get::<i64, _>(&row, i)? as u64;
        }
    });
    Ok(MirrorCounts {
        blocks: n[0],
        oracle_configs: n[1],
        provider_versions: n[2],
        balance_versions: n[3],
        profile_versions: n[4],
        allocation_versions: n[5],
        key_versions: n[6],
        role_versions: n[7],
        pause_versions: n[8],
        results: n[9],
        penalties: n[10],
        batches: n[11],
        skipped: n[12],
    })
}
