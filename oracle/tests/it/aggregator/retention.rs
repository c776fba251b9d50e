//! The maintenance round over roll-ups the aggregator really wrote: partitions of `records` and
//! `reports` made ahead on PostgreSQL, and raw records removed only for epochs whose results are submitted and mirrored
//! from the chain.

use std::time::Duration;

use sla_oracle::aggregator::Aggregator;
use sla_oracle::maintenance::{Maintenance, MaintenanceConfig};
use sla_storage::RollupStatus;

use super::fixture::*;

const DAY: u64 = 86_400_000;

async fn records_of_epoch(fx: &Fixture, epoch: u64) -> usize {
    let (from, to) = Fixture::epoch_config().bounds_ms(epoch).unwrap();
    let count: i64 = match sla_storage::testing::postgres_pool(&fx.storage) {
        Some(pool) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM records WHERE timestamp_ms >= $1 AND timestamp_ms < $2",
        )
        .bind(from as i64)
        .bind(to as i64)
        .fetch_one(pool)
        .await
        .unwrap(),
        None => sqlx::query_scalar(
            "SELECT COUNT(*) FROM records WHERE timestamp_ms >= $1 AND timestamp_ms < $2",
        )
        .bind(from as i64)
        .bind(to as i64)
        .fetch_one(sla_storage::testing::sqlite_pool(&fx.storage).unwrap())
        .await
        .unwrap(),
    };
    count as usize
}

#[tokio::test]
async fn maintenance_removes_records_of_settled_epochs_only() {
    for backend in backends() {
        let fx = Fixture::new(&backend).await;
        let reports = scenario_reports(3);
        fx.ingest(&reports).await;
        // Counted within the grace (a day), finalized once it has passed.
        let mut aggregator = Aggregator::new(fx.stores(), fx.config());
        aggregator.run_once(now_ms()).await.unwrap();
        aggregator
            .run_once(now_ms() + 25 * 3_600_000)
            .await
            .unwrap();
        let finals = fx.storage.rollups().final_verdicts(100).await.unwrap();
        assert_eq!(finals.len(), 3, "three closed epochs");
        let epochs: Vec<u64> = finals.iter().map(|(_, e, _)| *e).collect();
        for &e in &epochs {
            assert!(records_of_epoch(&fx, e).await > 0);
        }

        let maintenance = Maintenance::new(
            fx.storage.retention(),
            MaintenanceConfig {
                partition_width_ms: DAY,
                partitions_ahead: 2,
                report_partition_ids: 1_000,
                report_partitions_ahead: 1,
                interval: Duration::from_secs(3600),
                records_retention_ms: Some(0),
                epochs: Fixture::epoch_config(),
            },
        );
        // Final but not on chain: nothing goes.
        let round = maintenance.round(now_ms()).await.unwrap();
        let pg = matches!(backend, Backend::Postgres(_));
        if pg {
            assert!(
                round.partitions_created + round.partitions_skipped == 3,
                "{round:?}"
            );
            // The next id's range from that id on (the reports ingested above stay in the
            // default partition) and one after it.
            assert_eq!(round.report_partitions_created, 2, "{round:?}");
        } else {
            assert_eq!(round.partitions_created, 0);
            assert_eq!(round.report_partitions_created, 0);
        }
        // Nothing was exported: only the partition of the rows from before partitioning goes,
        // which a new database has none of.
        assert_eq!(
            round.report_partitions_dropped,
            usize::from(pg),
            "{round:?}"
        );
        assert_eq!((round.partitions_dropped, round.rows_deleted), (0, 0));

        // The first epoch submitted but its result not mirrored yet: still nothing.
        let (du, first, verdict) = finals[0].clone();
        fx.storage
            .rollups()
            .set_status(&[(du, first)], RollupStatus::Submitted)
            .await
            .unwrap();
        let round = maintenance.round(now_ms()).await.unwrap();
        assert_eq!(round.rows_deleted, 0);

        // Mirrored from the chain: its records go, the other epochs' stay.
        let kept: Vec<usize> = {
            let mut v = Vec::new();
            for &e in &epochs[1..] {
                v.push(records_of_epoch(&fx, e).await);
            }
            v
        };
        sla_storage::testing::seed_result(&fx.storage, first, verdict.epoch_result())
            .await
            .unwrap();
        let round = maintenance.round(now_ms()).await.unwrap();
        assert!(round.rows_deleted > 0, "{round:?}");
        assert_eq!(records_of_epoch(&fx, first).await, 0);
        for (&e, &n) in epochs[1..].iter().zip(&kept) {
            assert_eq!(records_of_epoch(&fx, e).await, n, "epoch {e} kept");
        }
        // Every report is still stored (records only).
        assert_eq!(
            fx.storage.reports().counts().await.unwrap().reports,
            reports.len() as u64
        );
        // Again: nothing more.
        let round = maintenance.round(now_ms()).await.unwrap();
        assert_eq!((round.partitions_created, round.rows_deleted), (0, 0));
        assert_eq!(
            (
                round.report_partitions_created,
                round.report_partitions_dropped
            ),
            (0, 0)
        );
    }
}
