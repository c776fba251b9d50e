//! An oracle whose aggregator meets data it cannot get past stops as a whole, non-zero and
//! saying why, instead of serving on without an aggregator.

use std::time::Duration;

use sqlx::Connection;

use super::support::{Harness, Options, OracleRun};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oracle_whose_aggregator_cannot_go_on_exits_non_zero_and_says_why() {
    let mut h = Harness::start(Options::default()).await;
    // A stored report whose payload does not decode (a corrupted row): every aggregator run
    // would fail on it the same way.
    let mut db = sqlx::SqliteConnection::connect(&h.stack.database_url)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO reports (report_chain_id, hash, reporter_key, role, data_unit, sequence, \
         period_start_ms, period_end_ms, record_count, payload, signature, received_at_ms) \
         VALUES (999, ?, ?, 1, 1, 1, 0, 1000, 0, ?, ?, 1)",
    )
    .bind([7u8; 32].as_slice())
    .bind([8u8; 32].as_slice())
    .bind(b"not a report".as_slice())
    .bind([9u8; 64].as_slice())
    .execute(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();

    h.spawn_oracle(OracleRun::default());
    let status = crate::eventually!(h, 60, "the oracle process to exit", {
        let oracle = h.oracle.as_mut().expect("an oracle process");
        oracle.child.try_wait().expect("try_wait")
    });
    assert_eq!(status.code(), Some(1), "exit status {status}");
    // The log names the component and the report.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for needle in ["the aggregator stopped", "stored report", "does not decode"] {
        if !h.logs_contain(needle) {
            h.fail(&format!("the oracle's log does not say {needle:?}"))
                .await;
        }
    }
}
