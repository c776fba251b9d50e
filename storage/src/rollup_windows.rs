//! Sums of roll-up counts over windows of epochs (migration 0012 on SQLite, 0014 on PostgreSQL):
//! what the error-budget alerts and the time-to-breach forecast add up. Every roll-up row
//! carries its counts in plain columns, so a window over every data unit is one grouped scan.

use sla_protocol::aggregate::EpochSummary;

use crate::backend::on_conn;
use crate::error::Result;
use crate::rollups::epoch_bind;
use crate::RollupStore;

/// Counts of one roll-up, or their sum over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    /// Combined uptime slots that were up.
    pub slots_up: u64,
    /// Combined uptime slots that were down.
    pub slots_down: u64,
    /// The consumer's service operations.
    pub ops_consumer: u64,
    /// Of which failed.
    pub failures_consumer: u64,
    /// The provider's service operations.
    pub ops_provider: u64,
    /// Of which failed.
    pub failures_provider: u64,
}

impl WindowCounts {
    /// The counts of one epoch's summary.
    pub fn of_summary(s: &EpochSummary) -> Self {
        WindowCounts {
            slots_up: s.combined.slots.up,
            slots_down: s.combined.slots.down,
            ops_consumer: s.consumer.service_operations,
            failures_consumer: s.consumer.service_failures,
            ops_provider: s.provider.service_operations,
            failures_provider: s.provider.service_failures,
        }
    }

    /// Slots observed: up or down.
    pub fn slots_observed(&self) -> u64 {
        self.slots_up.saturating_add(self.slots_down)
    }

    /// The sum of two.
    pub fn add(&mut self, o: &WindowCounts) {
        self.slots_up = self.slots_up.saturating_add(o.slots_up);
        self.slots_down = self.slots_down.saturating_add(o.slots_down);
        self.ops_consumer = self.ops_consumer.saturating_add(o.ops_consumer);
        self.failures_consumer = self.failures_consumer.saturating_add(o.failures_consumer);
        self.ops_provider = self.ops_provider.saturating_add(o.ops_provider);
        self.failures_provider = self.failures_provider.saturating_add(o.failures_provider);
    }
}

type CountsRow = (i64, i64, i64, i64, i64, i64, i64);

const SUMS: &str = "CAST(SUM(slots_up) AS BIGINT), CAST(SUM(slots_down) AS BIGINT), \
     CAST(SUM(ops_consumer) AS BIGINT), CAST(SUM(failures_consumer) AS BIGINT), \
     CAST(SUM(ops_provider) AS BIGINT), CAST(SUM(failures_provider) AS BIGINT)";

fn counts((_, up, down, oc, fc, op, fp): CountsRow) -> WindowCounts {
    let u = |v: i64| v.max(0) as u64;
    WindowCounts {
        slots_up: u(up),
        slots_down: u(down),
        ops_consumer: u(oc),
        failures_consumer: u(fc),
        ops_provider: u(op),
        failures_provider: u(fp),
    }
}

impl RollupStore {
    /// Every data unit's counts summed over epochs `[from_epoch, to_epoch]` (open and closed
    /// roll-ups alike), by data unit; data units without a roll-up there are absent.
    pub async fn window_counts(
        &self,
        from_epoch: u64,
        to_epoch: u64,
    ) -> Result<Vec<(u64, WindowCounts)>> {
        let sql = format!(
            "SELECT data_unit, {SUMS} FROM epoch_rollups WHERE epoch >= $1 AND epoch <= $2 \
             GROUP BY data_unit ORDER BY data_unit"
        );
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<CountsRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&sql)
                .bind(epoch_bind(from_epoch))
                .bind(epoch_bind(to_epoch))
                .fetch_all(c)
                .await?
        });
        Ok(rows.into_iter().map(|r| (r.0 as u64, counts(r))).collect())
    }

    /// One data unit's counts per epoch in `[from_epoch, to_epoch]`, by epoch.
    pub async fn epoch_counts(
        &self,
        data_unit: u64,
        from_epoch: u64,
        to_epoch: u64,
    ) -> Result<Vec<(u64, WindowCounts)>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<CountsRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT epoch, slots_up, slots_down, ops_consumer, failures_consumer, \
                 ops_provider, failures_provider FROM epoch_rollups WHERE data_unit = $1 \
                 AND epoch >= $2 AND epoch <= $3 ORDER BY epoch",
            )
            .bind(data_unit as i64)
            .bind(epoch_bind(from_epoch))
            .bind(epoch_bind(to_epoch))
            .fetch_all(c)
            .await?
        });
        Ok(rows.into_iter().map(|r| (r.0 as u64, counts(r))).collect())
    }
}
