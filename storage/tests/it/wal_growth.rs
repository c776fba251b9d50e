//! Under a steady stream of commits the SQLite WAL must stay bounded: the background checkpointer
//! has to rewind it, not only copy frames out of it (a PASSIVE checkpoint alone never catches up
//! with a busy writer, and the file grew with every commit).

use ed25519_dalek::SigningKey;
use sla_protocol::acceptance::{Clock, Outcome};
use sla_storage::testing::{clock_now, ReportChains, CONSUMER, DEPLOYMENT};

const REPORTERS: u64 = 8;
const RECORDS_PER_REPORT: u64 = 1_000;
/// Well past the checkpointer's rewind threshold (8 MiB of frames).
const BYTES_TO_WRITE: u64 = 32 << 20;
/// Every byte written passes through the WAL, so a WAL that is never rewound ends larger than
/// the payload (89 MB here before the fix). With rewinds it peaks near the threshold plus what
/// the writer adds between two checks (up to 16.8 MB seen, in a CI run on a busy machine).
const WAL_LIMIT: u64 = BYTES_TO_WRITE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wal_stays_bounded_under_continuous_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wal.sqlite");
    let storage = sla_storage::Database::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    let keys: Vec<SigningKey> = (0..REPORTERS)
        .map(|i| SigningKey::from_bytes(&[i as u8 + 1; 32]))
        .collect();
    let now_ms = clock_now().now_ms;
    let clock = Clock {
        now_ms,
        max_future_skew_ms: 60_000,
    };
    let mut chains = ReportChains::new(
        DEPLOYMENT,
        keys,
        now_ms - 10 * 24 * 3_600_000,
        RECORDS_PER_REPORT,
    );
    chains.seed(&storage, CONSUMER).await.unwrap();
    // Signed before the clock starts, so that the writer commits back to back as under load.
    let mut batches = Vec::new();
    let mut written = 0u64;
    while written < BYTES_TO_WRITE {
        let batch = chains.next_round();
        written += batch
            .iter()
            .map(|r| r.signed.payload.len() as u64)
            .sum::<u64>();
        batches.push(batch);
    }
    let mut peak_wal = 0u64;
    for batch in &batches {
        let outcomes = sla_storage::testing::ingest(&storage, batch, clock)
            .await
            .unwrap();
        assert!(outcomes.iter().all(|o| matches!(o, Outcome::Accepted(_))));
        let wal = std::fs::metadata(dir.path().join("wal.sqlite-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
        peak_wal = peak_wal.max(wal);
    }
    let database = std::fs::metadata(&path).unwrap().len();
    assert!(
        database > BYTES_TO_WRITE,
        "the test must write more than the limit it checks: database is {database} bytes"
    );
    assert!(
        peak_wal < WAL_LIMIT,
        "WAL peaked at {peak_wal} bytes after {written} payload bytes (limit {WAL_LIMIT})"
    );
    storage.close().await;
}
