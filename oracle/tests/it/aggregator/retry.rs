//! A run that fails on the database is retried, and the retry counts every report once.

use std::time::Duration;

use sla_oracle::aggregator::Aggregator;
use sla_storage::Database;
use sqlx::Connection;
use tokio::sync::watch;

use super::fixture::*;

/// Every roll-up of the data unit: (epoch, report count, summary bytes).
async fn rollups(storage: &Database) -> Vec<(u64, u64, Vec<u8>)> {
    storage
        .rollups()
        .of_data_unit(DATA_UNIT, 0, u64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.epoch, r.report_count, r.summary_encoding))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_fails_on_a_locked_database_is_retried_and_counts_each_report_once() {
    let reports = scenario_reports(2);
    // What one undisturbed run saves.
    let reference = Fixture::new(&Backend::Sqlite).await;
    reference.ingest(&reports).await;
    Aggregator::new(reference.stores(), reference.config())
        .run_once(now_ms())
        .await
        .unwrap();
    let expected = rollups(&reference.storage).await;
    assert!(!expected.is_empty());

    let fx = Fixture::new(&Backend::Sqlite).await;
    fx.ingest(&reports).await;
    // Another process holds the write lock for longer than the storage's busy timeout (10 s):
    // the aggregator reads (WAL readers are not blocked) but its save fails.
    let mut blocker = sqlx::SqliteConnection::connect(&fx.url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();

    let (stop, stopped) = watch::channel(false);
    let aggregator = Aggregator::new(fx.stores(), fx.config());
    let task = tokio::spawn(aggregator.run(Duration::from_millis(100), async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|s| *s).await;
    }));
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert!(
        rollups(&fx.storage).await.is_empty(),
        "nothing was saved while the database was locked"
    );
    assert!(
        !task.is_finished(),
        "the aggregator stopped on a locked database: {:?}",
        task.await
    );
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();

    // Once the lock is gone, the retry saves exactly what an undisturbed run saves.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let saved = rollups(&fx.storage).await;
        if saved == expected {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after the lock: {saved:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}
