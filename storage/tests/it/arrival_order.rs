//! Report ids become visible in the order they were drawn, even with several replicas writing one
//! PostgreSQL database. The aggregator reads reports by id after its cursor: if a writer could
//! commit ids above those of another replica's transaction still in flight, a run in between
//! would move the cursor past the lower ids, and those reports would never be counted. PostgreSQL
//! only (SQLite has one writer at a time by construction); runs whenever `SLA_TEST_POSTGRES_URL`
//! is set, mandatory with `CI=true`.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use sla_protocol::acceptance::Outcome;
use sla_storage::testing::{
    clock_now, create_postgres_database, postgres_admin_url, ReportChains, DEPLOYMENT,
    REPORT_IDS_LOCK,
};
use sqlx::{Connection, PgConnection};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_commits_its_report_ids_only_after_a_replica_that_drew_ids_before_it() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let url = create_postgres_database(&admin).await.unwrap();
    let storage = sla_storage::Database::connect(&url).await.unwrap();
    storage.bind_deployment(&DEPLOYMENT).await.unwrap();
    let keys = (1..=3u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    let mut chains = ReportChains::new(DEPLOYMENT, keys, clock_now().now_ms - 3_600_000, 2);
    chains
        .seed(&storage, sla_storage::testing::CONSUMER)
        .await
        .unwrap();

    // Another replica, between drawing its report ids and committing them.
    let mut replica = PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut replica).await.unwrap();
    let held: i64 = sqlx::query_scalar(
        "SELECT nextval('reports_id_seq') FROM (SELECT pg_advisory_xact_lock($1)) AS turn",
    )
    .bind(REPORT_IDS_LOCK)
    .fetch_one(&mut replica)
    .await
    .unwrap();

    let round = chains.next_round();
    let writer = {
        let storage = storage.clone();
        tokio::spawn(
            async move { sla_storage::testing::ingest(&storage, &round, clock_now()).await },
        )
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !writer.is_finished(),
        "the batch committed while a replica with lower report ids had not"
    );
    assert!(
        storage.reports().after(0, 10).await.unwrap().is_empty(),
        "a report is visible while an earlier draw is in flight"
    );

    sqlx::query("COMMIT").execute(&mut replica).await.unwrap();
    let outcomes = tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .expect("the batch commits once the replica has")
        .unwrap()
        .unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, Outcome::Accepted(_))));
    let stored = storage.reports().after(0, 10).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert!(
        stored.iter().all(|r| r.id > held),
        "ids {:?} drawn before the replica's {held}",
        stored.iter().map(|r| r.id).collect::<Vec<_>>()
    );

    // Without a replica in the way the next batch goes straight through.
    let next = chains.next_round();
    let outcomes = tokio::time::timeout(
        Duration::from_secs(10),
        sla_storage::testing::ingest(&storage, &next, clock_now()),
    )
    .await
    .expect("no wait without a replica")
    .unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, Outcome::Accepted(_))));
    storage.close().await;
}
