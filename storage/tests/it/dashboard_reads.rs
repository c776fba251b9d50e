//! The dashboard's reads of the mirror give the same answers on both databases: compliance per
//! provider (all at once and one at a time), active data units and penalties paid (summed
//! exactly beyond 64 bits), reputation history dated by the epoch of its result batch, a
//! provider's data units and newest penalties, and the block the live probe watches.
//! On SQLite always and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set (mandatory with
//! `CI=true`).

use alloy_primitives::Address;
use sla_protocol::aggregate::{EpochResult, SlaTerms, EQUAL_WEIGHTS};
use sla_protocol::parties::{Allocation, AllocationStatus};
use sla_storage::mirror::{
    ChainOrigin, MirroredAllocation, MirroredPenalty, MirroredResult, ProviderState, ResultBatch,
};
use sla_storage::Database;

const A: Address = Address::repeat_byte(0xaa);
const B: Address = Address::repeat_byte(0xbb);
/// A penalty above `u64::MAX` wei: sums must be exact.
const BIG: u128 = 1 << 70;

fn origin(block: u64) -> ChainOrigin {
    ChainOrigin {
        block_number: block,
        log_index: Some(0),
        tx_hash: Some([block as u8; 32]),
    }
}

fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 50_000,
        max_write_latency_us: 0,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 0,
        uptime_window: 3_600,
        max_error_rate_bps: 10_000,
        reporting_interval: 60,
        penalty_per_epoch: 1,
        weights: EQUAL_WEIGHTS,
    }
}

fn allocation(data_unit: u64, provider: Address, status: AllocationStatus) -> Allocation {
    Allocation {
        data_unit,
        consumer: Address::repeat_byte(data_unit as u8),
        provider,
        status,
        terms_hash: [1; 32],
        terms: terms(),
        active_from_ms: 1_000,
        closed_at_ms: None,
    }
}

fn result(data_unit: u64, violations: u8) -> EpochResult {
    EpochResult {
        data_unit_id: data_unit,
        read_latency_us: 1,
        write_latency_us: 1,
        upload_bps: 0,
        download_bps: 0,
        uptime_bps: 10_000,
        error_rate_bps: 0,
        operations: 1,
        violations,
        flags: 0,
        reports_root: [2; 32],
    }
}

fn provider(p: Address, id: u32, reputation: u16, bonded: u128, block: u64) -> ProviderState {
    ProviderState {
        provider: p,
        provider_id: id,
        reputation,
        bonded,
        unbonding: 0,
        unbonding_release_at: 0,
        suspended_until: 0,
        updated: origin(block),
    }
}

async fn seed(db: &Database) {
    let mut w = db.mirror().begin_write().await.unwrap();
    w.insert_provider(&provider(A, 1, 5_000, 10, 1))
        .await
        .unwrap();
    w.insert_provider(&provider(B, 2, 5_000, 10, 1))
        .await
        .unwrap();
    for a in [
        allocation(1, A, AllocationStatus::Active),
        allocation(2, A, AllocationStatus::Closed),
        allocation(3, B, AllocationStatus::Active),
    ] {
        w.put_allocation(&MirroredAllocation {
            allocation: a.clone(),
            profile_id: 0,
            requested_at_ms: 0,
            expires_at_ms: 1,
            active_from_epoch: Some(0),
            closed_epoch: None,
            closed_by: None,
            updated: origin(2),
        })
        .await
        .unwrap();
        w.upsert_current_allocation(&a).await.unwrap();
    }
    // Epochs 5..=10, one batch (and block) per epoch; data unit 1 violates in 6 and 9, data
    // unit 3 in 10; A's reputation falls with each violation, a bond in block 30 keeps it.
    for epoch in 5..=10u64 {
        let block = 10 + epoch;
        for (unit, bad) in [(1, epoch == 6 || epoch == 9), (2, false), (3, epoch == 10)] {
            w.insert_result(&MirroredResult {
                epoch,
                result: result(unit, if bad { 1 } else { 0 }),
                origin: origin(block),
            })
            .await
            .unwrap();
            if bad {
                let p = if unit == 3 { B } else { A };
                w.insert_penalty(&MirroredPenalty {
                    data_unit: unit,
                    epoch,
                    provider: p,
                    consumer: Address::repeat_byte(unit as u8),
                    amount: BIG,
                    from_bonded: BIG,
                    from_unbonding: 0,
                    origin: origin(block),
                })
                .await
                .unwrap();
            }
        }
        w.insert_batch(&ResultBatch {
            epoch,
            config_version: 1,
            results_hash: [3; 32],
            applied: 3,
            skipped: 0,
            submitter: Address::repeat_byte(0x01),
            origin: origin(block),
        })
        .await
        .unwrap();
        if epoch == 6 || epoch == 9 {
            let rep = if epoch == 6 { 4_000 } else { 3_000 };
            w.insert_provider(&provider(A, 1, rep, 10, block))
                .await
                .unwrap();
        }
    }
    w.insert_provider(&provider(A, 1, 3_000, 20, 30))
        .await
        .unwrap();
    w.commit().await.unwrap();
}

#[tokio::test]
async fn the_dashboard_reads_agree_on_both_databases() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "dashboard.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        seed(&db).await;
        let mirror = db.mirror();

        let mut all = mirror.compliance_since(7).await.unwrap();
        all.sort_by_key(|c| c.provider);
        // A: units 1 and 2 over epochs 7..=10 = 8 results, unit 1 violated in 9.
        assert_eq!(
            (all[0].provider, all[0].results, all[0].compliant),
            (A, 8, 7),
            "{url}"
        );
        assert_eq!(
            (all[1].provider, all[1].results, all[1].compliant),
            (B, 4, 3),
            "{url}"
        );
        let one = mirror.compliance_of(&A, 7).await.unwrap();
        assert_eq!((one.results, one.compliant), (8, 7), "{url}");
        let none = mirror.compliance_of(&A, 11).await.unwrap();
        assert_eq!((none.results, none.compliant), (0, 0), "{url}");

        let totals = mirror.provider_totals().await.unwrap();
        let a = totals.iter().find(|t| t.provider == A).unwrap();
        assert_eq!(
            (a.active_data_units, a.penalties_paid),
            (1, 2 * BIG),
            "{url}"
        );
        assert_eq!(mirror.penalties_paid(&A).await.unwrap(), 2 * BIG, "{url}");
        assert_eq!(mirror.penalties_paid(&B).await.unwrap(), BIG, "{url}");

        let history = mirror.reputation_history(&A).await.unwrap();
        let points: Vec<_> = history.iter().map(|c| (c.epoch, c.reputation)).collect();
        // The bond in block 30 did not change the reputation: not a point.
        assert_eq!(
            points,
            vec![(None, 5_000), (Some(6), 4_000), (Some(9), 3_000)],
            "{url}"
        );

        let units: Vec<_> = mirror
            .allocations_of(&A)
            .await
            .unwrap()
            .iter()
            .map(|a| (a.data_unit, a.status))
            .collect();
        assert_eq!(
            units,
            vec![(1, AllocationStatus::Active), (2, AllocationStatus::Closed)],
            "{url}"
        );
        let newest = mirror.penalties_of_provider(&A, 1).await.unwrap();
        assert_eq!((newest[0].data_unit, newest[0].epoch), (1, 9), "{url}");
        assert_eq!(
            mirror.penalty_total(1).await.unwrap(),
            (2, 2 * BIG),
            "{url}"
        );
        let window = mirror.penalties_between(1, 7, 10).await.unwrap();
        assert_eq!(
            window.iter().map(|p| p.epoch).collect::<Vec<_>>(),
            vec![9],
            "{url}"
        );
        assert_eq!(mirror.last_result_epoch().await.unwrap(), Some(10), "{url}");
        assert_eq!(mirror.last_fact_block().await.unwrap(), Some(30), "{url}");
        assert_eq!(db.rollups().final_count().await.unwrap(), 0, "{url}");
        db.close().await;
    }
}

/// A court's suspension round-trips on both databases, the contract's `type(uint64).max`
/// (removed) included, which a BIGINT cannot hold as such.
#[tokio::test]
async fn a_providers_suspension_is_stored_exactly() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "suspension.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        seed(&db).await;
        for (block, until) in [(40, 1_900_000_000u64), (41, u64::MAX)] {
            let mut w = db.mirror().begin_write().await.unwrap();
            w.insert_provider(&ProviderState {
                suspended_until: until,
                ..provider(B, 2, 5_000, 10, block)
            })
            .await
            .unwrap();
            w.commit().await.unwrap();
            let stored = db.mirror().provider(&B).await.unwrap().unwrap();
            assert_eq!(stored.suspended_until, until, "{url}");
        }
        let a = db.mirror().provider(&A).await.unwrap().unwrap();
        assert_eq!(a.suspended_until, 0, "never suspended: {url}");
    }
}
