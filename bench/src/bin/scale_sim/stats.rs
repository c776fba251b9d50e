//! Planner statistics. The PostgreSQL server of this machine runs with `autovacuum = off`, so a
//! table filled from empty keeps no statistics and the planner picks plans for an empty table:
//! the group commit's chain lookup scanned `report_chains` whole for every batch, and the
//! aggregator's `state` lookup of one (data unit, epoch) walked the `epoch_rollups_by_epoch`
//! index over every roll-up of the epoch (100,000 tuples per lookup at 100,000 data units). A
//! deployment runs autovacuum, whose auto-analyze re-samples a table once a tenth of it changed;
//! the simulation stands in for it with `ANALYZE` after seeding, every 200,000 reports fed and
//! before each aggregator run (timed apart), and, like autovacuum's workers, every 30 s in the
//! background (the aggregator's own writes fill `epoch_rollups` from empty within a run).

use std::time::Instant;

use sla_storage::Database;

/// `ANALYZE` of `tables`; answers the seconds it took.
pub(crate) async fn analyze(db: &Database, tables: &[&str]) -> anyhow::Result<f64> {
    let pool = sla_storage::testing::postgres_pool(db)
        .ok_or_else(|| anyhow::anyhow!("the simulation runs on PostgreSQL only"))?;
    let started = Instant::now();
    sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
        .execute(pool)
        .await?;
    Ok(started.elapsed().as_secs_f64())
}

/// Autovacuum's auto-analyze stand-in: `ANALYZE` of the tables the hot queries read, every
/// `every`, until the task is aborted. Failures are ignored (the next round tries again).
pub(crate) fn analyze_in_background(
    db: Database,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let _ = analyze(&db, &["reports", "report_chains", "epoch_rollups"]).await;
        }
    })
}
