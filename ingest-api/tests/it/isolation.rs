//! One report must never sink others. The same bytes get the same verdict on both backends
//! (catalogue 1-13 applied to text a database may refuse), and a report the database refuses
//! fails alone: the group commit isolates it and stores the rest.

use serde_json::Value;
use sla_protocol::{Operation, QosRecord, ReportHash, SignedReport};
use sla_storage::testing::{postgres_pool, sqlite_pool};

use crate::helpers::*;

/// A failed record whose detail holds control characters: NUL, ESC, a line feed, DEL.
const CONTROL_DETAIL: &str = "upstream said \0 then \u{1b}[31mred\u{1b}[0m\nand \u{7f}";

fn statuses(results: &[Value]) -> Vec<u64> {
    results
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn an_error_detail_with_nul_and_control_characters_is_stored_exactly_on_both_backends() {
    for_each_backend(|app, backend| async move {
        let start = past_hour(6);
        let c = consumer();
        let mut report = c.report(1, ReportHash::ZERO, start);
        report.records.push(QosRecord::failure(
            start + 30,
            Operation::Read,
            1_000,
            502,
            CONTROL_DETAIL,
        ));
        let with_controls = c.sign(&report);
        // Sent together with honest reports of another chain, so that they share a commit.
        let honest = provider().chain(3, start);
        let results = app
            .post_batch(&[&honest[0], &with_controls, &honest[1], &honest[2]])
            .await;
        assert_eq!(
            statuses(&results),
            vec![201, 201, 201, 201],
            "{backend:?}: {results:?}"
        );
        let stored = app
            .db
            .reports()
            .by_hash(&with_controls.hash())
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(stored.payload, with_controls.payload, "{backend:?}");
        let served = SignedReport {
            payload: stored.payload,
            signature: stored.signature,
        };
        let decoded = served.verify(&deployment()).unwrap();
        assert_eq!(decoded.report.records[2].error_detail, CONTROL_DETAIL);
        assert_eq!(app.counts().await, (4, 9, 0), "{backend:?}");
        app.stop().await;
    })
    .await;
}

/// Makes the database refuse any record with a latency of 666 µs, as a database refuses a value
/// it cannot store: a trigger on SQLite, a check constraint on PostgreSQL.
async fn refuse_latency_666(app: &TestApp) {
    if let Some(pool) = sqlite_pool(&app.db) {
        sqlx::query(
            "CREATE TRIGGER refuse_666 BEFORE INSERT ON records WHEN NEW.latency_us = 666 \
             BEGIN SELECT RAISE(ABORT, 'latency 666 refused'); END",
        )
        .execute(pool)
        .await
        .unwrap();
    }
    if let Some(pool) = postgres_pool(&app.db) {
        sqlx::query("ALTER TABLE records ADD CONSTRAINT refuse_666 CHECK (latency_us <> 666)")
            .execute(pool)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_report_the_database_refuses_fails_alone_with_a_4xx_and_the_rest_are_stored() {
    for_each_backend(|app, backend| async move {
        refuse_latency_666(&app).await;
        let start = past_hour(6);
        let c = consumer();
        let mut poison = c.report(1, ReportHash::ZERO, start);
        poison.records[0].latency_us = 666;
        let poison = c.sign(&poison);
        let honest = provider().chain(4, start);
        let results = app
            .post_batch(&[&honest[0], &honest[1], &poison, &honest[2], &honest[3]])
            .await;
        assert_eq!(
            statuses(&results),
            vec![201, 201, 422, 201, 201],
            "{backend:?}: {results:?}"
        );
        let problem = &results[2]["problem"];
        assert_eq!(problem["rule"], "unstorable", "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("not stored"),
            "{problem}"
        );
        assert_eq!(app.counts().await, (4, 8, 0), "{backend:?}");

        // Alone, it is a 4xx naming why, not a 503 that an agent would retry forever.
        let (status, body) = app.post(&poison).await;
        assert_eq!((status, problem_rule(&body)), (422, "unstorable"), "{body}");
        // The consumer's chain goes on once it sends a report the database can store.
        let fixed = c.sign(&c.report(1, ReportHash::ZERO, start));
        assert_eq!(app.post(&fixed).await.0, 201);
        assert_eq!(app.counts().await, (5, 10, 0), "{backend:?}");
        app.stop().await;
    })
    .await;
}
