//! Partitions of `records` made ahead (PostgreSQL), the retention of settled records, and the
//! export of signed reports before their removal. On SQLite always and on PostgreSQL whenever
//! `SLA_TEST_POSTGRES_URL` is set (mandatory with `CI=true`).
//!
//! The data: epochs of 6 h from a genesis two days before 2026-01-01 (day 0); data units 1 and 2
//! report one 6 h period per epoch on days 0 to 3, data unit 3 on the first half of day -1, two
//! records per report. On day 2 one roll-up is final but not on chain (epoch 17), on day 3 one is
//! submitted but its result is not mirrored yet (epoch 20) and the rest is open: those epochs'
//! records must stay, whatever is asked.

use std::collections::HashSet;

use ed25519_dalek::SigningKey;
use sla_protocol::aggregate::EpochConfig;
use sla_protocol::{Operation, QosRecord, Report, ReportHash, Role, VerifiedReport};
use sla_storage::testing::{self, Backend, DEPLOYMENT};
use sla_storage::Database;

pub(super) const DAY: u64 = 86_400_000;
const EPOCH: u64 = 6 * 3_600_000;
/// 2026-01-01T00:00:00Z.
pub(super) const DAY0: u64 = 1_767_225_600_000;

pub(super) fn epochs() -> EpochConfig {
    EpochConfig::new((DAY0 - 2 * DAY) / 1000, (EPOCH / 1000) as u32).unwrap()
}

/// The epoch of quarter `q` of day `d`.
pub(super) fn epoch(d: i64, q: u64) -> u64 {
    (8 + 4 * d) as u64 + q
}

pub(super) fn start_of(e: u64) -> u64 {
    epochs().bounds_ms(e).unwrap().0
}

pub(super) struct Chain {
    pub(super) key: SigningKey,
    pub(super) data_unit: u64,
    pub(super) sequence: u64,
    pub(super) prev: ReportHash,
}

impl Chain {
    pub(super) fn next(&mut self, e: u64) -> VerifiedReport {
        let start = start_of(e);
        self.sequence += 1;
        let report = Report {
            deployment: DEPLOYMENT,
            role: Role::Consumer,
            reporter_key: self.key.verifying_key().to_bytes(),
            data_unit: self.data_unit,
            sequence: self.sequence,
            prev_hash: self.prev,
            period_start_ms: start,
            period_end_ms: start + EPOCH,
            records: vec![
                QosRecord::success(start + 1_000, Operation::Read, 1_000, 4096),
                QosRecord::success(start + 2_000, Operation::Read, 1_000, 4096),
            ],
        };
        let v = sla_protocol::sign_report(&report, &self.key)
            .unwrap()
            .verify(&DEPLOYMENT)
            .unwrap();
        self.prev = v.hash;
        v
    }
}

pub(super) async fn exec(db: &Database, sql: &str, binds: &[i64]) {
    if let Some(pool) = testing::postgres_pool(db) {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(pool).await.unwrap();
    } else {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(testing::sqlite_pool(db).unwrap()).await.unwrap();
    }
}

async fn rollup(db: &Database, data_unit: u64, epoch: u64, status: &str, on_chain: bool) {
    let sql = format!(
        "INSERT INTO epoch_rollups (data_unit, epoch, status, accumulator, summary, summary_json, \
         reports_root, report_count, updated_at_ms) \
         VALUES ($1, $2, '{status}', $3, $3, '{{}}', $3, 0, 0)"
    );
    if let Some(pool) = testing::postgres_pool(db) {
        sqlx::query(&sql)
            .bind(data_unit as i64)
            .bind(epoch as i64)
            .bind(Vec::<u8>::new())
            .execute(pool)
            .await
            .unwrap();
    } else {
        sqlx::query(&sql)
            .bind(data_unit as i64)
            .bind(epoch as i64)
            .bind(Vec::<u8>::new())
            .execute(testing::sqlite_pool(db).unwrap())
            .await
            .unwrap();
    }
    if on_chain {
        exec(
            db,
            "INSERT INTO chain_results (data_unit, epoch, read_latency_us, write_latency_us, \
             upload_bps, download_bps, uptime_bps, error_rate_bps, operations, violations, flags, \
             reports_root, block_number) VALUES ($1, $2, 0, 0, 0, 0, 0, 0, 0, 0, 0, '', 1)",
            &[data_unit as i64, epoch as i64],
        )
        .await;
    }
}

pub(super) async fn set_cursor(db: &Database, id: i64) {
    exec(
        db,
        "UPDATE aggregator_cursor SET last_report_id = $1 WHERE id = 1",
        &[id],
    )
    .await;
}

/// Stores the reports described in the module's documentation and the roll-ups' states;
/// answers every report acknowledged, and the chains (to report on).
pub(super) async fn populate(db: &Database) -> (Vec<VerifiedReport>, Vec<Chain>) {
    let mut chains: Vec<Chain> = (1..=3u64)
        .map(|du| Chain {
            key: SigningKey::from_bytes(&[du as u8 + 70; 32]),
            data_unit: du,
            sequence: 0,
            prev: ReportHash::ZERO,
        })
        .collect();
    for c in &chains {
        testing::seed_reporter(
            db,
            c.data_unit,
            c.key.verifying_key().to_bytes(),
            testing::CONSUMER,
        )
        .await
        .unwrap();
    }
    let mut all = Vec::new();
    let batch = vec![chains[2].next(epoch(-1, 0))];
    all.extend(batch.clone());
    let batch2 = vec![chains[2].next(epoch(-1, 1))];
    all.extend(batch2.clone());
    for b in [batch, batch2] {
        ingest_all(db, &b).await;
    }
    for d in 0..4 {
        for q in 0..4 {
            let batch = vec![chains[0].next(epoch(d, q)), chains[1].next(epoch(d, q))];
            ingest_all(db, &batch).await;
            all.extend(batch);
        }
    }
    for e in epoch(-1, 0)..=epoch(-1, 1) {
        rollup(db, 3, e, "submitted", true).await;
    }
    for du in 1..=2 {
        for e in epoch(0, 0)..=epoch(2, 3) {
            if du == 2 && e == epoch(2, 1) {
                rollup(db, du, e, "final", false).await;
            } else {
                rollup(db, du, e, "submitted", true).await;
            }
        }
        rollup(db, du, epoch(3, 0), "submitted", du == 2).await;
        for e in epoch(3, 1)..=epoch(3, 3) {
            rollup(db, du, e, "open", false).await;
        }
    }
    (all, chains)
}

pub(super) async fn ingest_all(db: &Database, batch: &[VerifiedReport]) {
    let outcomes = testing::ingest(db, batch, testing::clock_now())
        .await
        .unwrap();
    for o in outcomes {
        assert!(
            matches!(o, sla_protocol::acceptance::Outcome::Accepted(_)),
            "{o:?}"
        );
    }
}

pub(super) async fn count(db: &Database, sql: &str) -> i64 {
    if let Some(pool) = testing::postgres_pool(db) {
        sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
    } else {
        sqlx::query_scalar(sql)
            .fetch_one(testing::sqlite_pool(db).unwrap())
            .await
            .unwrap()
    }
}

/// Records per epoch, as `(first epoch, last epoch) -> count` checks.
async fn records_between(db: &Database, from_e: u64, to_e: u64) -> i64 {
    let from = start_of(from_e) as i64;
    let to = (start_of(to_e) + EPOCH) as i64;
    count(
        db,
        &format!(
            "SELECT COUNT(*) FROM records WHERE timestamp_ms >= {from} AND timestamp_ms < {to}"
        ),
    )
    .await
}

#[tokio::test]
async fn partitions_are_made_ahead_and_rows_land_in_them() {
    let dir = tempfile::tempdir().unwrap();
    for backend in testing::backends() {
        let url = backend.fresh_url(dir.path(), "parts.sqlite").await.unwrap();
        let db = Database::connect(&url).await.unwrap();
        let ret = db.retention();
        let made = ret
            .ensure_record_partitions(DAY0 + 5 * 3_600_000, DAY, 2)
            .await
            .unwrap();
        if matches!(backend, Backend::Sqlite) {
            assert_eq!(made, Default::default(), "SQLite has no partitions");
            assert!(ret.record_partitions().await.unwrap().is_empty());
            continue;
        }
        let names: Vec<&str> = made.created.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["records_20260101", "records_20260102", "records_20260103"]
        );
        assert_eq!(made.created[0].from_ms, DAY0 as i64);
        assert_eq!(made.created[0].to_ms, (DAY0 + DAY) as i64);
        // Idempotent.
        let again = ret
            .ensure_record_partitions(DAY0 + 5 * 3_600_000, DAY, 2)
            .await
            .unwrap();
        assert!(again.created.is_empty() && again.skipped.is_empty());
        assert_eq!(again.existing, 3);

        populate(&db).await;
        let pool = testing::postgres_pool(&db).unwrap();
        let per_table: Vec<(String, i64)> = sqlx::query_as(
            "SELECT tableoid::regclass::text, COUNT(*) FROM records GROUP BY 1 ORDER BY 1",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(
            per_table,
            [
                ("records_20260101".to_owned(), 16),
                ("records_20260102".to_owned(), 16),
                ("records_20260103".to_owned(), 16),
                // Day 3 and day -1 had no partition.
                ("records_default".to_owned(), 20),
            ]
        );
        let inherits: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'records'::regclass",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(inherits, 4, "three ranges and the default");

        // Day 3's rows are in the default partition: its range is skipped and said so, day 4 is
        // made, nothing moves and nothing is lost.
        let later = ret
            .ensure_record_partitions(DAY0 + 3 * DAY, DAY, 1)
            .await
            .unwrap();
        assert_eq!(later.skipped.len(), 1, "{later:?}");
        assert_eq!(later.skipped[0].partition.name, "records_20260104");
        assert!(later.skipped[0].reason.contains("default partition"));
        assert_eq!(later.created.len(), 1);
        assert_eq!(later.created[0].name, "records_20260105");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM records").await, 68);

        // A range overlapping a partition of other bounds (hourly ones inside day 0) is skipped.
        let hourly = ret
            .ensure_record_partitions(DAY0, 3_600_000, 0)
            .await
            .unwrap();
        assert!(hourly.created.is_empty());
        assert!(hourly.skipped[0].reason.contains("records_20260101"));

        // A partition of the same range under another name (pg_partman's) counts as existing.
        let (from, to) = (DAY0 + 30 * DAY, DAY0 + 31 * DAY);
        sqlx::query(&format!(
            "CREATE TABLE records_p2026_01_31 PARTITION OF records FOR VALUES FROM ({from}) TO ({to})"
        ))
        .execute(pool)
        .await
        .unwrap();
        let theirs = ret
            .ensure_record_partitions(DAY0 + 30 * DAY, DAY, 0)
            .await
            .unwrap();
        assert_eq!(
            (theirs.existing, theirs.created.len()),
            (1, 0),
            "{theirs:?}"
        );
        assert!(theirs.skipped.is_empty());

        // A long reader of records: creating waits 2 s for its lock, then gives up for this
        // round (instead of holding every group commit up behind it), and makes it next time.
        let mut reader = pool.begin().await.unwrap();
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records")
            .fetch_one(&mut *reader)
            .await
            .unwrap();
        let busy = ret
            .ensure_record_partitions(DAY0 + 40 * DAY, DAY, 0)
            .await
            .unwrap();
        assert!(busy.skipped[0].reason.contains("busy"), "{busy:?}");
        reader.commit().await.unwrap();
        let free = ret
            .ensure_record_partitions(DAY0 + 40 * DAY, DAY, 0)
            .await
            .unwrap();
        assert_eq!(free.created.len(), 1);

        // Two processes at once: each range is made exactly once, neither fails.
        let other = Database::connect(&url).await.unwrap();
        let (ra, rb) = (db.retention(), other.retention());
        let (a, b) = tokio::join!(
            ra.ensure_record_partitions(DAY0 + 10 * DAY, DAY, 9),
            rb.ensure_record_partitions(DAY0 + 10 * DAY, DAY, 9)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.created.len() + b.created.len(), 10, "{a:?} {b:?}");
        assert_eq!(a.existing + b.existing, 10);
        let all = ret.record_partitions().await.unwrap();
        let distinct: HashSet<&str> = all.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(distinct.len(), all.len());
        assert_eq!(all.len(), 3 + 1 + 1 + 1 + 10);
        other.close().await;
        db.close().await;
    }
}

#[tokio::test]
async fn retention_drops_only_settled_records() {
    let dir = tempfile::tempdir().unwrap();
    for backend in testing::backends() {
        let url = backend.fresh_url(dir.path(), "ret.sqlite").await.unwrap();
        let db = Database::connect(&url).await.unwrap();
        let ret = db.retention();
        ret.ensure_record_partitions(DAY0, DAY, 3).await.unwrap();
        let (acknowledged, _) = populate(&db).await;
        let pg = matches!(backend, Backend::Postgres(_));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM records").await, 68);

        // Nothing counted by the aggregator yet: nothing goes, even far in the future.
        let none = ret
            .drop_settled_records(&epochs(), DAY0 + 30 * DAY)
            .await
            .unwrap();
        assert!(
            none.partitions.is_empty() && none.rows_deleted == 0,
            "{none:?}"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM records").await, 68);

        let last_id = count(&db, "SELECT MAX(id) FROM reports").await;
        set_cursor(&db, last_id).await;

        // Up to the middle of day 0: day -1 (in the default partition on PostgreSQL) goes; on
        // SQLite also day 0's first two epochs; no partition is wholly before.
        let half = ret
            .drop_settled_records(&epochs(), DAY0 + DAY / 2)
            .await
            .unwrap();
        assert!(half.partitions.is_empty());
        assert_eq!(half.rows_deleted, if pg { 4 } else { 12 }, "{half:?}");
        assert_eq!(half.kept_from_ms, DAY0 + DAY / 2);
        assert_eq!(records_between(&db, epoch(-1, 0), epoch(-1, 3)).await, 0);

        // Everything that may go: days 0 and 1 entirely (whole partitions on PostgreSQL), on
        // SQLite also day 2's settled epochs.
        let all = ret
            .drop_settled_records(&epochs(), DAY0 + 30 * DAY)
            .await
            .unwrap();
        assert_eq!(all.kept_from_ms, start_of(epoch(2, 1)));
        if pg {
            let names: Vec<&str> = all.partitions.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names, ["records_20260101", "records_20260102"]);
            assert_eq!(all.rows_deleted, 0);
            let left: Vec<String> = ret
                .record_partitions()
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect();
            assert_eq!(left, ["records_20260103", "records_20260104"]);
        } else {
            assert!(all.partitions.is_empty());
            assert_eq!(all.rows_deleted, 56 - 20);
        }
        // The unsettled epochs keep every record: 17 (final, not on chain), 20 (submitted, not
        // mirrored), 21-23 (open).
        assert_eq!(records_between(&db, epoch(2, 1), epoch(2, 1)).await, 4);
        assert_eq!(records_between(&db, epoch(3, 0), epoch(3, 3)).await, 16);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM records").await,
            if pg { 32 } else { 20 }
        );
        // Records only: every acknowledged report is still served.
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM reports").await,
            acknowledged.len() as i64
        );
        // Running again removes nothing more.
        let again = ret
            .drop_settled_records(&epochs(), DAY0 + 30 * DAY)
            .await
            .unwrap();
        assert!(again.partitions.is_empty() && again.rows_deleted == 0);
        db.close().await;
    }
}

#[tokio::test]
async fn exported_reports_are_complete_verifiable_and_then_dropped() {
    let dir = tempfile::tempdir().unwrap();
    for (i, backend) in testing::backends().into_iter().enumerate() {
        let url = backend
            .fresh_url(dir.path(), "export.sqlite")
            .await
            .unwrap();
        let db = Database::connect(&url).await.unwrap();
        db.bind_deployment(&DEPLOYMENT).await.unwrap();
        let ret = db.retention();
        ret.ensure_record_partitions(DAY0, DAY, 3).await.unwrap();
        let (acknowledged, mut chains) = populate(&db).await;
        let last_id = count(&db, "SELECT MAX(id) FROM reports").await;
        set_cursor(&db, last_id).await;
        let before = sla_runtime_now() + 1;

        // An interrupted earlier run: one report written (not yet deleted), a line cut short.
        let first = ret
            .exportable_reports(&epochs(), before, 0, 1)
            .await
            .unwrap();
        let out = dir.path().join(format!("reports-{i}.jsonl"));
        let line = serde_json::to_string(&serde_json::json!({
            "id": first[0].id,
            "hash": hex::encode(first[0].hash.0),
            "data_unit": first[0].data_unit,
            "reporter_key": hex::encode(first[0].reporter_key),
            "role": first[0].role.tag(),
            "sequence": first[0].sequence,
            "period_start_ms": first[0].period_start_ms,
            "period_end_ms": first[0].period_end_ms,
            "received_at_ms": first[0].received_at_ms,
            "payload": hex::encode(&first[0].payload),
            "signature": hex::encode(&first[0].signature),
        }))
        .unwrap();
        std::fs::write(&out, format!("{line}\n{{\"id\":12")).unwrap();

        let summary = ret
            .export_reports(&epochs(), before, &out, 5)
            .await
            .unwrap();
        // Per data unit 1 and 2: days 0-2 but epoch 17 (day 3 is unsettled, and holds the heads);
        // data unit 3: its first report (the second is its chain's head).
        assert_eq!(summary.already_in_file, 1, "{summary:?}");
        assert_eq!(summary.written, 22);
        assert_eq!(summary.deleted, 23);

        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.ends_with('\n'), "the cut-short line is gone");
        let lines: Vec<sla_storage::retention::ExportedReport> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 23);
        let mut exported = HashSet::new();
        for l in &lines {
            let v = l.signed().verify(&DEPLOYMENT).expect("every line verifies");
            assert_eq!(hex::encode(v.hash.0), l.hash);
            assert_eq!(v.report.sequence, l.sequence);
            assert!(exported.insert(v.hash), "no report twice");
        }

        // Nothing acknowledged is lost: every report is in the database or in the file, never
        // both; records went with their reports.
        let mut conn_hashes = HashSet::new();
        for id in 1..=last_id {
            if let Some(r) = db.reports().by_ids(&[id]).await.unwrap().pop() {
                assert!(!exported.contains(&r.hash), "id {id} in both");
                conn_hashes.insert(r.hash);
            }
        }
        for v in &acknowledged {
            assert!(exported.contains(&v.hash) || conn_hashes.contains(&v.hash));
        }
        assert_eq!(conn_hashes.len() + exported.len(), acknowledged.len());
        let reports = count(&db, "SELECT COUNT(*) FROM reports").await;
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM records").await,
            2 * reports
        );
        // The unsettled epochs' reports stay served.
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

        // Running again changes nothing.
        let again = ret
            .export_reports(&epochs(), before, &out, 5)
            .await
            .unwrap();
        assert_eq!(again, Default::default());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), text);

        // A resend of an exported report is answered as the resend it is, with its original
        // acknowledgement, not as an equivocation.
        let resend = testing::ingest(&db, &acknowledged[..1], testing::clock_now())
            .await
            .unwrap();
        match &resend[0] {
            sla_protocol::acceptance::Outcome::Duplicate(ack) => {
                assert_eq!(ack.report_hash, acknowledged[0].hash);
                assert_eq!(ack.sequence, 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM equivocations").await, 0);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM exported_reports").await,
            23
        );

        // The chains go on from their heads.
        let next = vec![chains[0].next(epoch(4, 0)), chains[2].next(epoch(-1, 2))];
        ingest_all(&db, &next).await;
        db.close().await;
    }
}

pub(super) fn sla_runtime_now() -> u64 {
    testing::clock_now().now_ms
}
