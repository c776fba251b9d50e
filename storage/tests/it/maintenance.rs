//! Mirrored maintenance windows: a cancellation takes a window out of force, a window is in
//! force for the times it overlaps, and a rollback deletes announcements and cancellations of
//! later blocks (so a reorged-away cancellation puts its window back in force). On SQLite always
//! and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set (mandatory with `CI=true`).

use sla_protocol::aggregate::MaintenanceWindow;
use sla_storage::mirror::{AnnouncedWindow, ChainOrigin};

fn origin(block: u64) -> ChainOrigin {
    ChainOrigin {
        block_number: block,
        log_index: Some(0),
        tx_hash: Some([block as u8; 32]),
    }
}

fn announced(data_unit: u64, index: u64, start_s: u64, end_s: u64, block: u64) -> AnnouncedWindow {
    AnnouncedWindow {
        data_unit,
        index,
        window: MaintenanceWindow { start_s, end_s },
        cancelled: false,
        origin: origin(block),
    }
}

#[tokio::test]
async fn windows_in_force_follow_cancellations_and_rollbacks() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "maintenance.sqlite")
        .await
        .unwrap()
    {
        let db = sla_storage::Database::connect(&url).await.unwrap();
        let mirror = db.mirror();
        let mut w = mirror.begin_write().await.unwrap();
        w.insert_maintenance_window(&announced(1, 0, 1_000, 2_000, 10))
            .await
            .unwrap();
        w.insert_maintenance_window(&announced(1, 1, 5_000, 6_000, 10))
            .await
            .unwrap();
        w.insert_maintenance_window(&announced(2, 0, 1_500, 1_600, 11))
            .await
            .unwrap();
        w.insert_maintenance_cancellation(1, 1, &origin(12))
            .await
            .unwrap();
        w.commit().await.unwrap();

        let all = mirror.maintenance_windows(1).await.unwrap();
        assert_eq!(all.len(), 2, "{url}");
        assert!(!all[0].cancelled && all[1].cancelled, "{url}: {all:?}");
        let in_force = mirror.maintenance_in_force(0, 10_000).await.unwrap();
        assert_eq!(
            in_force.get(&1).map(Vec::as_slice),
            Some(
                &[MaintenanceWindow {
                    start_s: 1_000,
                    end_s: 2_000
                }][..]
            ),
            "{url}: the cancelled window is not in force"
        );
        assert_eq!(in_force[&2].len(), 1, "{url}");
        // Half-open overlap: a range that ends where a window starts does not touch it.
        let touching = mirror.maintenance_in_force(0, 1_000).await.unwrap();
        assert!(touching.is_empty(), "{url}: {touching:?}");
        let after = mirror.maintenance_in_force(2_000, 3_000).await.unwrap();
        assert!(after.is_empty(), "{url}: {after:?}");

        // A reorg back to block 11 undoes the cancellation: the window is in force again.
        let mut w = mirror.begin_write().await.unwrap();
        w.delete_facts_after(Some(11)).await.unwrap();
        w.commit().await.unwrap();
        let in_force = mirror.maintenance_in_force(0, 10_000).await.unwrap();
        assert_eq!(in_force[&1].len(), 2, "{url}: {in_force:?}");
        // Back to block 10: unit 2's window goes with its block.
        let mut w = mirror.begin_write().await.unwrap();
        w.delete_facts_after(Some(10)).await.unwrap();
        w.commit().await.unwrap();
        let in_force = mirror.maintenance_in_force(0, 10_000).await.unwrap();
        assert!(!in_force.contains_key(&2), "{url}: {in_force:?}");
        db.close().await;
    }
}
