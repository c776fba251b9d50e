//! The id partitions of `reports` (PostgreSQL migration 0016): made ahead once however many
//! processes ask, a report chain unique across partitions (a lost race between two writers is
//! judged again whichever partitions the two reports would land in), a partition dropped only
//! once every report in it was exported (its chain heads moved out), and resends of dropped
//! reports answered as before. SQLite has no partitions: the same calls change nothing there and
//! the same reports are judged the same. On SQLite always and on PostgreSQL whenever
//! `SLA_TEST_POSTGRES_URL` is set (mandatory with `CI=true`).

use std::collections::HashSet;

use ed25519_dalek::SigningKey;
use sla_protocol::acceptance::{Outcome, Rejection};
use sla_protocol::{Operation, QosRecord, VerifiedReport};
use sla_storage::retention::ReportPartition;
use sla_storage::testing::{self, clock_now, Backend, ReportChains, DEPLOYMENT};
use sla_storage::Database;

use super::retention::{
    count, epoch, epochs, ingest_all, populate, set_cursor, sla_runtime_now, start_of, DAY, DAY0,
};

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

/// The partition each of `ids` is stored in (PostgreSQL).
async fn partition_of(db: &Database, id: i64) -> String {
    sqlx::query_scalar("SELECT tableoid::regclass::text FROM reports WHERE id = $1")
        .bind(id)
        .fetch_one(testing::postgres_pool(db).unwrap())
        .await
        .unwrap()
}

fn names(parts: &[ReportPartition]) -> Vec<&str> {
    parts.iter().map(|p| p.name.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_partitions_are_made_ahead_once_with_two_callers_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for backend in testing::backends() {
        let url = backend.fresh_url(dir.path(), "ahead.sqlite").await.unwrap();
        let first = Database::connect(&url).await.unwrap();
        let second = Database::connect(&url).await.unwrap();
        first.bind_deployment(&DEPLOYMENT).await.unwrap();
        let (one, two) = (first.retention(), second.retention());
        let (a, b) = tokio::join!(
            one.ensure_report_partitions(10, 3),
            two.ensure_report_partitions(10, 3)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        if matches!(backend, Backend::Sqlite) {
            assert_eq!((a, b), Default::default(), "SQLite has no partitions");
            assert!(first
                .retention()
                .report_partitions()
                .await
                .unwrap()
                .is_empty());
            continue;
        }
        // The next id is 1: ranges of 10 from 0, the first one starting where the partition of
        // the rows from before partitioning (none here) ends.
        let mut created: Vec<&str> = names(&a.created);
        created.extend(names(&b.created));
        created.sort_unstable();
        assert_eq!(
            created,
            [
                "reports_ids_1",
                "reports_ids_10",
                "reports_ids_20",
                "reports_ids_30"
            ],
            "each range made once: {a:?} {b:?}"
        );
        assert_eq!(a.existing + b.existing, 4);
        assert!(a.skipped.is_empty() && b.skipped.is_empty());
        let listed = first.retention().report_partitions().await.unwrap();
        assert_eq!(
            names(&listed),
            [
                "reports_initial",
                "reports_ids_1",
                "reports_ids_10",
                "reports_ids_20",
                "reports_ids_30"
            ]
        );
        assert_eq!((listed[1].from_id, listed[1].to_id), (1, 10));
        assert_eq!(listed[0].from_id, i64::MIN);

        // Again: nothing new.
        let again = first
            .retention()
            .ensure_report_partitions(10, 3)
            .await
            .unwrap();
        assert!(again.created.is_empty() && again.skipped.is_empty());
        assert_eq!(again.existing, 4);

        // Reports land in them, by id.
        let key = SigningKey::from_bytes(&[9; 32]);
        let mut chain = ReportChains::new(DEPLOYMENT, vec![key], clock_now().now_ms - 3_600_000, 1);
        chain.seed(&first, testing::CONSUMER).await.unwrap();
        for _ in 0..12 {
            ingest_all(&first, &chain.next_round()).await;
        }
        assert_eq!(partition_of(&first, 9).await, "reports_ids_1");
        assert_eq!(partition_of(&first, 10).await, "reports_ids_10");
        assert_eq!(
            count(&first, "SELECT COUNT(*) FROM reports_default").await,
            0
        );
        first.close().await;
        second.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_chain_stays_unique_across_report_partitions() {
    let dir = tempfile::tempdir().unwrap();
    for backend in testing::backends() {
        let url = backend
            .fresh_url(dir.path(), "unique.sqlite")
            .await
            .unwrap();
        let first = Database::connect(&url).await.unwrap();
        let second = Database::connect(&url).await.unwrap();
        first.bind_deployment(&DEPLOYMENT).await.unwrap();
        // One id per partition: any two reports are in two partitions.
        first
            .retention()
            .ensure_report_partitions(1, 40)
            .await
            .unwrap();
        let key = SigningKey::from_bytes(&[8; 32]);
        let mut chain = ReportChains::new(
            DEPLOYMENT,
            vec![key.clone()],
            clock_now().now_ms - 3_600_000,
            1,
        );
        chain.seed(&first, testing::CONSUMER).await.unwrap();
        let rounds: Vec<Vec<VerifiedReport>> = (0..5).map(|_| chain.next_round()).collect();
        for round in &rounds[..2] {
            ingest_all(&first, round).await;
        }
        // The second writer extends the chain; the first one's cached head (2) goes stale.
        ingest_all(&second, &rounds[2]).await;

        // Planned on the stale head, another report at sequence 3 would go to another partition
        // than the stored one: it is refused as the equivocation it is.
        let other = conflicting(&rounds[2][0], &key);
        let outcomes = testing::ingest(&first, &[other], clock_now())
            .await
            .unwrap();
        assert!(
            matches!(
                &outcomes[0],
                Outcome::Rejected(Rejection::Equivocation { accepted_hash })
                    if *accepted_hash == rounds[2][0].hash
            ),
            "{outcomes:?}"
        );

        // The same report from both writers, each believing it is next: stored once, and the
        // loser answers the winner's acknowledgement.
        ingest_all(&second, &rounds[3]).await;
        let resent = testing::ingest(&first, &rounds[3], clock_now())
            .await
            .unwrap();
        assert!(matches!(resent[0], Outcome::Duplicate(_)), "{resent:?}");

        ingest_all(&first, &rounds[4]).await;
        assert_eq!(count(&first, "SELECT COUNT(*) FROM reports").await, 5);
        assert_eq!(
            count(
                &first,
                "SELECT COUNT(*) FROM (SELECT DISTINCT report_chain_id, sequence FROM reports) s"
            )
            .await,
            5
        );
        if matches!(backend, Backend::Postgres(_)) {
            let spread = count(&first, "SELECT COUNT(DISTINCT tableoid) FROM reports").await;
            assert_eq!(spread, 5, "every report in a partition of its own");
            assert_eq!(count(&first, "SELECT COUNT(*) FROM report_keys").await, 5);
        }
        first.close().await;
        second.close().await;
    }
}

#[tokio::test]
async fn a_report_partition_is_dropped_only_once_every_report_in_it_was_exported() {
    let dir = tempfile::tempdir().unwrap();
    for (i, backend) in testing::backends().into_iter().enumerate() {
        let url = backend.fresh_url(dir.path(), "drop.sqlite").await.unwrap();
        let db = Database::connect(&url).await.unwrap();
        db.bind_deployment(&DEPLOYMENT).await.unwrap();
        let ret = db.retention();
        let pg = matches!(backend, Backend::Postgres(_));
        ret.ensure_record_partitions(DAY0, DAY, 3).await.unwrap();
        // Ranges of 4 ids from 1: [1, 4), [4, 8), … [40, 44).
        ret.ensure_report_partitions(4, 10).await.unwrap();
        let (acknowledged, mut chains) = populate(&db).await;
        // Ids: data unit 3's two reports 1 and 2 (its head); then data units 1 and 2 for each
        // quarter of days 0 to 3: 3..=34. Epoch 17 (day 2, second quarter: ids 21 and 22) and
        // day 3 (27..=34) are not settled.
        let last_id = count(&db, "SELECT MAX(id) FROM reports").await;
        assert_eq!(last_id, 34);
        set_cursor(&db, last_id).await;

        // Nothing exported: every full partition kept (but the empty one of the rows from
        // before partitioning, which a new database has none of).
        let before = ret.drop_exported_report_partitions().await.unwrap();
        if pg {
            assert_eq!(names(&before.dropped), ["reports_initial"], "{before:?}");
            assert_eq!(before.kept.len(), 8, "{before:?}");
        } else {
            assert_eq!(before, Default::default());
        }

        let out = dir.path().join(format!("reports-{i}.jsonl"));
        let summary = ret
            .export_reports(&epochs(), sla_runtime_now() + 1, &out, 5)
            .await
            .unwrap();
        assert_eq!((summary.written, summary.deleted), (23, 23));
        let lines: Vec<sla_storage::retention::ExportedReport> = std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let exported: HashSet<String> = lines.iter().map(|l| l.hash.clone()).collect();
        assert_eq!(exported.len(), 23);
        if pg {
            // Exported, still served until its partition goes; not exported twice.
            assert!(db.reports().by_ids(&[3]).await.unwrap().len() == 1);
            let again = ret
                .export_reports(&epochs(), sla_runtime_now() + 1, &out, 5)
                .await
                .unwrap();
            assert_eq!(again, Default::default());
        }

        let dropped = ret.drop_exported_report_partitions().await.unwrap();
        if pg {
            assert_eq!(
                names(&dropped.dropped),
                [
                    "reports_ids_1",
                    "reports_ids_4",
                    "reports_ids_8",
                    "reports_ids_12",
                    "reports_ids_16"
                ],
                "{dropped:?}"
            );
            // Data unit 3's head (id 2) left its partition for the default one.
            assert_eq!(dropped.heads_moved, 1);
            assert_eq!(partition_of(&db, 2).await, "reports_default");
            // A partition with a report of an unsettled epoch (not exportable, so not exported)
            // stays: ids 21 and 22 of epoch 17, and day 3.
            let kept: Vec<(&str, u64)> = dropped
                .kept
                .iter()
                .map(|(p, n)| (p.name.as_str(), *n))
                .collect();
            assert_eq!(
                kept,
                [
                    ("reports_ids_20", 2),
                    ("reports_ids_24", 1),
                    ("reports_ids_28", 4)
                ]
            );
            assert!(db.reports().by_ids(&[3]).await.unwrap().is_empty());
        } else {
            assert_eq!(dropped, Default::default(), "SQLite has no partitions");
        }

        // Nothing acknowledged is lost: every report is served or in the file. On SQLite an
        // exported report is deleted at once; on PostgreSQL it goes with its partition, and is
        // served until then (ids 20 and 23 to 26, in partitions kept for their neighbours).
        let mut both = 0;
        for v in &acknowledged {
            let served = db.reports().by_hash(&v.hash).await.unwrap().is_some();
            let in_file = exported.contains(&hex::encode(v.hash.0));
            assert!(served || in_file, "{} lost", v.hash);
            both += usize::from(served && in_file);
        }
        assert_eq!(both, if pg { 5 } else { 0 });
        let reports = count(&db, "SELECT COUNT(*) FROM reports").await;
        assert_eq!(reports, if pg { 16 } else { 11 });
        // Records went with the exported reports at the export.
        assert_eq!(count(&db, "SELECT COUNT(*) FROM records").await, 2 * 11);
        assert_eq!(
            count(
                &db,
                &format!(
                    "SELECT COUNT(*) FROM reports WHERE period_start_ms >= {}",
                    start_of(epoch(3, 0))
                )
            )
            .await,
            8
        );

        // A resend of a report whose partition was dropped: its original acknowledgement.
        for v in [&acknowledged[0], &acknowledged[2]] {
            let resent = testing::ingest(&db, std::slice::from_ref(v), clock_now())
                .await
                .unwrap();
            match &resent[0] {
                Outcome::Duplicate(ack) => {
                    assert_eq!(ack.report_hash, v.hash);
                    assert_eq!(ack.sequence, v.report.sequence);
                }
                other => panic!("{other:?}"),
            }
        }
        // Another report at an exported sequence: an equivocation naming the exported one.
        let other = conflicting(&acknowledged[2], &chains[0].key);
        let outcomes = testing::ingest(&db, &[other], clock_now()).await.unwrap();
        assert!(
            matches!(
                &outcomes[0],
                Outcome::Rejected(Rejection::Equivocation { accepted_hash })
                    if *accepted_hash == acknowledged[2].hash
            ),
            "{outcomes:?}"
        );

        // The chains go on from their heads, the moved one too.
        let next = vec![chains[0].next(epoch(4, 0)), chains[2].next(epoch(-1, 2))];
        ingest_all(&db, &next).await;

        // Again: nothing more goes.
        let again = ret.drop_exported_report_partitions().await.unwrap();
        assert!(
            again.dropped.is_empty() && again.heads_moved == 0,
            "{again:?}"
        );
        db.close().await;
    }
}

#[tokio::test]
async fn a_database_from_before_partitioning_keeps_its_reports_in_the_first_partition() {
    let Some(admin) = testing::postgres_admin_url() else {
        return;
    };
    let url = testing::create_postgres_database(&admin).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut earlier = sqlx::migrate!("../migrations/postgres");
    earlier.migrations = earlier
        .migrations
        .iter()
        .filter(|m| m.version <= 15)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    earlier.run(&pool).await.unwrap();
    let key = SigningKey::from_bytes(&[6; 32]);
    let mut chain = ReportChains::new(DEPLOYMENT, vec![key], clock_now().now_ms - 3_600_000, 1);
    let rounds: Vec<Vec<VerifiedReport>> = (0..4).map(|_| chain.next_round()).collect();
    sqlx::query("INSERT INTO report_chains (data_unit, reporter_key) VALUES (1, $1)")
        .bind(rounds[0][0].report.reporter_key.as_slice())
        .execute(&pool)
        .await
        .unwrap();
    // Two reports stored, one exported, as the earlier schema held them.
    for (i, round) in rounds[..3].iter().enumerate() {
        let v = &round[0];
        let table = if i == 0 {
            "exported_reports"
        } else {
            "reports"
        };
        let sql = if i == 0 {
            format!(
                "INSERT INTO {table} (report_chain_id, sequence, hash, data_unit, received_at_ms, \
                 exported_at_ms) VALUES (1, $1, $2, 1, 5, 6)"
            )
        } else {
            format!(
                "INSERT INTO {table} (report_chain_id, sequence, hash, reporter_key, role, \
                 data_unit, period_start_ms, period_end_ms, record_count, payload, signature, \
                 received_at_ms) VALUES (1, $1, $2, $3, 1, 1, $4, $5, 1, $6, $7, 5)"
            )
        };
        let mut q = sqlx::query(&sql)
            .bind(v.report.sequence as i64)
            .bind(v.hash.0.as_slice());
        if i > 0 {
            q = q
                .bind(v.report.reporter_key.as_slice())
                .bind(v.report.period_start_ms as i64)
                .bind(v.report.period_end_ms as i64)
                .bind(v.signed.payload.as_slice())
                .bind(v.signed.signature.as_slice());
        }
        q.execute(&pool).await.unwrap();
    }
    pool.close().await;

    let db = Database::connect(&url).await.unwrap();
    db.bind_deployment(&DEPLOYMENT).await.unwrap();
    chain.seed(&db, testing::CONSUMER).await.unwrap();
    assert_eq!(partition_of(&db, 1).await, "reports_initial");
    assert_eq!(partition_of(&db, 2).await, "reports_initial");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM report_keys").await, 3);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM exported_reports").await, 1);
    let made = db
        .retention()
        .ensure_report_partitions(100, 0)
        .await
        .unwrap();
    assert_eq!(names(&made.created), ["reports_ids_3"]);

    // Resends of the stored and of the exported report: their acknowledgements.
    let resent = testing::ingest(
        &db,
        &[rounds[0][0].clone(), rounds[2][0].clone()],
        clock_now(),
    )
    .await
    .unwrap();
    assert!(
        resent.iter().all(|o| matches!(o, Outcome::Duplicate(_))),
        "{resent:?}"
    );
    // The chain goes on, with the next id, in the new partition.
    ingest_all(&db, &rounds[3]).await;
    assert_eq!(partition_of(&db, 3).await, "reports_ids_3");
    db.close().await;
}
