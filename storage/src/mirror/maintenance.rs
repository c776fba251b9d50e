//! Maintenance windows mirrored from the `SlaPolicies` contract (docs/policy.md): each announced
//! window and each cancellation is a fact of its block; the windows in force are the announced
//! ones without a cancellation, which the aggregator excludes from its data unit's epochs.

use std::collections::BTreeMap;

use sla_protocol::aggregate::MaintenanceWindow;

use super::rows::origin_binds;
use super::types::ChainOrigin;
use super::{MirrorStore, MirrorWrite};
use crate::backend::on_conn;
use crate::error::Result;

/// A `MaintenanceAnnounced`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncedWindow {
    /// The data unit.
    pub data_unit: u64,
    /// Its index in the data unit's list on chain.
    pub index: u64,
    /// `[start, end)`, Unix seconds.
    pub window: MaintenanceWindow,
    /// Whether a `MaintenanceCancelled` for it is mirrored (always `false` on insert).
    pub cancelled: bool,
    /// The announcing event.
    pub origin: ChainOrigin,
}

#[derive(sqlx::FromRow)]
struct WindowRow {
    data_unit: i64,
    idx: i64,
    start_s: i64,
    end_s: i64,
    cancelled: i64,
    block_number: i64,
    log_index: Option<i64>,
}

impl WindowRow {
    fn into_domain(self) -> AnnouncedWindow {
        AnnouncedWindow {
            data_unit: self.data_unit as u64,
            index: self.idx as u64,
            window: MaintenanceWindow {
                start_s: self.start_s as u64,
                end_s: self.end_s as u64,
            },
            cancelled: self.cancelled != 0,
            origin: ChainOrigin {
                block_number: self.block_number as u64,
                log_index: self.log_index.map(|v| v as u64),
                tx_hash: None,
            },
        }
    }
}

/// Every announced window with whether it is cancelled (an integer, the same on both backends).
const WINDOWS: &str = "SELECT w.data_unit, w.idx, w.start_s, w.end_s, \
     CAST(CASE WHEN c.idx IS NULL THEN 0 ELSE 1 END AS BIGINT) AS cancelled, w.block_number, w.log_index \
     FROM chain_maintenance_windows w LEFT JOIN chain_maintenance_cancellations c \
     ON c.data_unit = w.data_unit AND c.idx = w.idx";

/// Seconds as the databases' signed 64-bit integers (a time past 2^63 s is "for ever").
fn secs(s: u64) -> i64 {
    s.min(i64::MAX as u64) as i64
}

impl MirrorWrite {
    /// Records an announced window.
    pub async fn insert_maintenance_window(&mut self, w: &AnnouncedWindow) -> Result<()> {
        let (block, log, tx) = origin_binds(&w.origin);
        on_conn!(self.tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO chain_maintenance_windows (data_unit, idx, start_s, end_s, \
                 block_number, log_index, tx_hash) VALUES ($1,$2,$3,$4,$5,$6,$7)",
            )
            .bind(w.data_unit as i64)
            .bind(secs(w.index))
            .bind(secs(w.window.start_s))
            .bind(secs(w.window.end_s))
            .bind(block)
            .bind(log)
            .bind(tx)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// Records the cancellation of window `index` of `data_unit`.
    pub async fn insert_maintenance_cancellation(
        &mut self,
        data_unit: u64,
        index: u64,
        origin: &ChainOrigin,
    ) -> Result<()> {
        let (block, log, tx) = origin_binds(origin);
        on_conn!(self.tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO chain_maintenance_cancellations (data_unit, idx, block_number, \
                 log_index, tx_hash) VALUES ($1,$2,$3,$4,$5)",
            )
            .bind(data_unit as i64)
            .bind(secs(index))
            .bind(block)
            .bind(log)
            .bind(tx)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }
}

impl MirrorStore {
    /// Every window announced for `data_unit`, cancelled ones included, by index.
    pub async fn maintenance_windows(&self, data_unit: u64) -> Result<Vec<AnnouncedWindow>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<WindowRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&format!("{WINDOWS} WHERE w.data_unit = $1 ORDER BY w.idx"))
                .bind(data_unit as i64)
                .fetch_all(&mut *c)
                .await?
        });
        Ok(rows.into_iter().map(WindowRow::into_domain).collect())
    }

    /// The windows in force (not cancelled) that overlap `[from_s, to_s)`, by data unit, each
    /// unit's ascending.
    pub async fn maintenance_in_force(
        &self,
        from_s: u64,
        to_s: u64,
    ) -> Result<BTreeMap<u64, Vec<MaintenanceWindow>>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<WindowRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&format!(
                "{WINDOWS} WHERE c.idx IS NULL AND w.end_s > $1 AND w.start_s < $2 \
                 ORDER BY w.data_unit, w.start_s"
            ))
            .bind(secs(from_s))
            .bind(secs(to_s))
            .fetch_all(&mut *c)
            .await?
        });
        let mut by_unit: BTreeMap<u64, Vec<MaintenanceWindow>> = BTreeMap::new();
        for row in rows {
            let w = row.into_domain();
            by_unit.entry(w.data_unit).or_default().push(w.window);
        }
        Ok(by_unit)
    }
}
