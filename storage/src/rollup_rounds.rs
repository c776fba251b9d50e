//! The reads and the writes the committee's rounds need (docs/committee.md): an epoch's
//! roll-ups with their verdicts, the epochs with results still to land, roll-ups whose results
//! landed on chain through another node's transaction, and a landed result's roll-up adopted.

use std::ops::RangeInclusive;

use sla_protocol::aggregate::EpochVerdict;

use crate::backend::on_conn;
use crate::error::{corrupt, Result};
use crate::rollup_close::UptimeTotals;
use crate::rollups::{epoch_bind, upsert, RollupStatus, RollupStore, RollupWrite};
use crate::rows::At;

/// One data unit's roll-up of an epoch, as a round compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochRollup {
    /// The data unit.
    pub data_unit: u64,
    /// Where it stands.
    pub status: RollupStatus,
    /// Its verdict, once closed.
    pub verdict: Option<EpochVerdict>,
}

impl RollupStore {
    /// Every roll-up of `epoch` for the data units in `data_units`, by data unit.
    pub async fn of_epoch(
        &self,
        epoch: u64,
        data_units: RangeInclusive<u64>,
    ) -> Result<Vec<EpochRollup>> {
        let bind = |d: u64| d.min(i64::MAX as u64) as i64;
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(i64, String, Option<String>)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT data_unit, status, verdict_json FROM epoch_rollups WHERE epoch = $1 \
                 AND data_unit BETWEEN $2 AND $3 ORDER BY data_unit",
            )
            .bind(epoch_bind(epoch))
            .bind(bind(*data_units.start()))
            .bind(bind(*data_units.end()))
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(d, status, verdict)| {
                let row = format!("data_unit={d} epoch={epoch}");
                let at = At {
                    table: "epoch_rollups",
                    row: &row,
                };
                let status = RollupStatus::parse(&status)
                    .ok_or_else(|| corrupt("epoch_rollups", &row, "unknown status"))?;
                let verdict = match verdict {
                    Some(v) => Some(at.json("verdict_json", &v)?),
                    None => None,
                };
                Ok(EpochRollup {
                    data_unit: d as u64,
                    status,
                    verdict,
                })
            })
            .collect()
    }

    /// The epochs with final roll-ups, whose results have not landed as far as this node knows.
    pub async fn final_epochs(&self) -> Result<Vec<u64>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(i64,)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT DISTINCT epoch FROM epoch_rollups WHERE status = 'final' ORDER BY epoch",
            )
            .fetch_all(c)
            .await?
        });
        Ok(rows.into_iter().map(|(e,)| e as u64).collect())
    }

    /// Results landed on chain for epochs from `from_epoch` on that this node has no closed
    /// roll-up of with the same reports root (it was down, or reports reached it too late):
    /// `(data unit, epoch, reports root)`, at most `limit`, oldest first.
    pub async fn landed_unlike_here(
        &self,
        from_epoch: u64,
        limit: u32,
    ) -> Result<Vec<(u64, u64, [u8; 32])>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(i64, i64, Vec<u8>)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT r.data_unit, r.epoch, r.reports_root FROM chain_results r \
                 LEFT JOIN epoch_rollups u ON u.data_unit = r.data_unit AND u.epoch = r.epoch \
                 WHERE (u.data_unit IS NULL OR (u.status <> 'open' AND u.reports_root <> r.reports_root)) \
                 AND r.epoch >= $1 ORDER BY r.epoch, r.data_unit LIMIT $2",
            )
            .bind(epoch_bind(from_epoch))
            .bind(i64::from(limit))
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(d, e, root)| {
                let root: [u8; 32] = root.try_into().map_err(|_| {
                    corrupt(
                        "chain_results",
                        format!("data_unit={d} epoch={e}"),
                        "root not 32 bytes",
                    )
                })?;
                Ok((d as u64, e as u64, root))
            })
            .collect()
    }

    /// Keeps `rollup`, a landed result's roll-up counted again from this node's reports (open,
    /// for the aggregator to judge again), in one transaction with what depends on it:
    /// - the reports it counted, `counted` (ids), leave the uncounted list of its epoch: they
    ///   reached this node after the epoch closed, but the landed result counts them, and an
    ///   auditor reading this node's API must count them too;
    /// - the running uptime totals of the data unit's later closed roll-ups move by the change
    ///   in this epoch's slots (they sum every closed epoch up to theirs);
    /// - its later `final` roll-ups (closed, not on chain) open again, so that their windows
    ///   and grace are judged again on the history as it now stands. Those on chain keep their
    ///   verdicts: the chain holds them.
    pub async fn adopt(&self, rollup: &RollupWrite<'_>, counted: &[i64]) -> Result<()> {
        let data_unit = rollup.summary.data_unit;
        let epoch = rollup.summary.epoch;
        // A closed roll-up's summary changes only here (the aggregator writes open ones), and
        // catch-up runs one adoption at a time: read outside the transaction, it is current.
        let before = match self.get(data_unit, epoch).await? {
            Some(old) if old.status != RollupStatus::Open => UptimeTotals::of_summary(&old.summary),
            _ => UptimeTotals::default(),
        };
        let after = UptimeTotals::of_summary(rollup.summary);
        let (old, new) = (before.columns(), after.columns());
        let mut tx = self.db.backend().begin_write().await?;
        upsert(&mut tx.conn(), rollup).await?;
        if old != new {
            let d = |i: usize| new[i] - old[i];
            on_conn!(tx.conn(), |c| {
                sqlx::query(
                    "UPDATE epoch_rollups SET cum_up = cum_up + $1, cum_down = cum_down + $2, \
                     cum_consumer_up = cum_consumer_up + $3, \
                     cum_consumer_down = cum_consumer_down + $4, \
                     cum_provider_up = cum_provider_up + $5, \
                     cum_provider_down = cum_provider_down + $6 \
                     WHERE data_unit = $7 AND epoch > $8 AND status <> 'open'",
                )
                .bind(d(0))
                .bind(d(1))
                .bind(d(2))
                .bind(d(3))
                .bind(d(4))
                .bind(d(5))
                .bind(data_unit as i64)
                .bind(epoch_bind(epoch))
                .execute(c)
                .await?;
            });
        }
        on_conn!(tx.conn(), |c| {
            sqlx::query(
                "UPDATE epoch_rollups SET status = 'open', verdict_json = NULL \
                 WHERE data_unit = $1 AND epoch > $2 AND status = 'final'",
            )
            .bind(data_unit as i64)
            .bind(epoch_bind(epoch))
            .execute(c)
            .await?;
        });
        for id in counted {
            on_conn!(tx.conn(), |c| {
                sqlx::query("DELETE FROM uncounted_reports WHERE report_id = $1 AND epoch = $2")
                    .bind(*id)
                    .bind(epoch_bind(epoch))
                    .execute(c)
                    .await?;
            });
        }
        tx.commit().await
    }

    /// Moves to `submitted` every final roll-up whose result the chain mirror holds (landed by
    /// any node's transaction). Returns how many moved.
    pub async fn mark_landed(&self) -> Result<u64> {
        let mut tx = self.db.backend().begin_write().await?;
        let moved = on_conn!(tx.conn(), |c| {
            sqlx::query(
                "UPDATE epoch_rollups SET status = 'submitted' WHERE status = 'final' \
                 AND EXISTS (SELECT 1 FROM chain_results r \
                   WHERE r.data_unit = epoch_rollups.data_unit AND r.epoch = epoch_rollups.epoch)",
            )
            .execute(c)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
        Ok(moved)
    }
}
