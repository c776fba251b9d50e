//! Two writers on one database (two ingest processes on one SQLite file, or two replicas on one
//! PostgreSQL database): each caches chain heads, so each one's heads go stale when the other
//! extends a chain. A stale head must never cost a report: a refusal is re-judged against the
//! stored head, and a report planned on a stale head fails its transaction on the unique
//! (chain, sequence) key and is judged again, after which the writer goes on with a fresh
//! connection. On SQLite always and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set
//! (mandatory with `CI=true`).

use ed25519_dalek::SigningKey;
use sla_protocol::acceptance::{Outcome, Rejection};
use sla_protocol::{Operation, QosRecord, VerifiedReport};
use sla_storage::reports::ReportQuery;
use sla_storage::testing::{clock_now, ReportChains, DEPLOYMENT};

/// The same sequence and previous hash as `report`, other records: an equivocation.
fn conflicting(report: &VerifiedReport, key: &SigningKey) -> VerifiedReport {
    let mut other = report.report.clone();
    other.records = vec![QosRecord::success(
        other.period_start_ms,
        Operation::Write,
        9_999,
        1,
    )];
    sla_protocol::sign_report(&other, key)
        .unwrap()
        .verify(&DEPLOYMENT)
        .unwrap()
}

fn accepted(outcomes: &[Outcome]) -> bool {
    outcomes.iter().all(|o| matches!(o, Outcome::Accepted(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_with_stale_chain_heads_loses_no_report_and_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "shared.sqlite")
        .await
        .unwrap()
    {
        let key = SigningKey::from_bytes(&[7; 32]);
        let start_ms = clock_now().now_ms - 24 * 3_600_000;
        let mut chain = ReportChains::new(DEPLOYMENT, vec![key.clone()], start_ms, 1);
        let first = sla_storage::Database::connect(&url).await.unwrap();
        let second = sla_storage::Database::connect(&url).await.unwrap();
        first.bind_deployment(&DEPLOYMENT).await.unwrap();
        chain
            .seed(&first, sla_storage::testing::CONSUMER)
            .await
            .unwrap();
        let rounds: Vec<Vec<VerifiedReport>> = (0..6).map(|_| chain.next_round()).collect();

        for round in &rounds[..3] {
            assert!(
                accepted(
                    &sla_storage::testing::ingest(&first, round, clock_now())
                        .await
                        .unwrap()
                ),
                "{url}"
            );
        }
        // The second writer extends the chain: the first one's cached head (3) is now stale.
        assert!(accepted(
            &sla_storage::testing::ingest(&second, &rounds[3], clock_now())
                .await
                .unwrap()
        ));

        // Planned on the stale head, this one hits the stored sequence 4 and is judged again:
        // an equivocation, kept as evidence; the transaction that failed left nothing behind.
        let other = conflicting(&rounds[3][0], &key);
        let outcomes = sla_storage::testing::ingest(&first, &[other], clock_now())
            .await
            .unwrap();
        assert!(
            matches!(
                &outcomes[0],
                Outcome::Rejected(Rejection::Equivocation { accepted_hash })
                    if *accepted_hash == rounds[3][0].hash
            ),
            "{url}: {outcomes:?}"
        );
        let evidence = first
            .reports()
            .equivocations(&key.verifying_key().to_bytes(), 1)
            .await
            .unwrap();
        assert_eq!(evidence.len(), 1, "{url}");
        assert_eq!(evidence[0].sequence, 4);

        // Both go on: the first after its failed transaction, the second on its own stale head
        // (4, while 5 is stored), and a resend to either is the original acknowledgement.
        assert!(
            accepted(
                &sla_storage::testing::ingest(&first, &rounds[4], clock_now())
                    .await
                    .unwrap()
            ),
            "{url}"
        );
        assert!(
            accepted(
                &sla_storage::testing::ingest(&second, &rounds[5], clock_now())
                    .await
                    .unwrap()
            ),
            "{url}"
        );
        let resent = sla_storage::testing::ingest(&first, &rounds[3], clock_now())
            .await
            .unwrap();
        assert!(
            matches!(resent[0], Outcome::Duplicate(_)),
            "{url}: {resent:?}"
        );

        let stored = second
            .reports()
            .of_data_unit(&ReportQuery {
                data_unit: 1,
                from_ms: 0,
                to_ms: u64::MAX,
                after_id: 0,
                limit: 100,
            })
            .await
            .unwrap();
        let hashes: Vec<_> = stored.iter().map(|r| r.hash).collect();
        let expected: Vec<_> = rounds.iter().map(|round| round[0].hash).collect();
        assert_eq!(hashes, expected, "{url}: every report once, in chain order");
        let counts = first.reports().counts().await.unwrap();
        assert_eq!(
            (counts.reports, counts.records, counts.equivocations),
            (6, 6, 1),
            "{url}"
        );
        first.close().await;
        second.close().await;
    }
}
