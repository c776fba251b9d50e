//! Alert subscriptions and maintenance windows: a refused write stores nothing and takes no
//! nonce, a nonce is taken once per account, racing requests do not pass the limit together,
//! deleting and cancelling are for the owner only, and the maintenance read the alert rules use
//! returns what was in force, cancellations counted.
//! On SQLite always and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set (mandatory with
//! `CI=true`).

use alloy_primitives::Address;
use sla_storage::subscriptions::{
    ChannelKind, Filters, MaintenanceWindow, NewMaintenance, NewSubscription, Refused,
    SignedRequest,
};
use sla_storage::Database;

const OWNER: Address = Address::repeat_byte(0xb1);
const OTHER: Address = Address::repeat_byte(0xee);
const NOW: u64 = 1_800_000_000_000;
const HOUR: u64 = 3_600_000;

fn request(owner: Address, nonce: &str, now_ms: u64) -> SignedRequest {
    SignedRequest {
        owner,
        nonce: nonce.to_owned(),
        message_hash: [7; 32],
        now_ms,
    }
}

fn webhook(owner: Address) -> NewSubscription {
    NewSubscription {
        owner,
        channel: ChannelKind::Webhook,
        target: Some("https://hooks.example.org/sla".into()),
        secret: "hmac-secret-never-shown".into(),
        filters: Filters {
            rules: vec!["violation".into(), "late".into()],
            providers: Some(vec![OWNER]),
            data_units: Some(vec![7]),
        },
    }
}

async fn databases(name: &str) -> (tempfile::TempDir, Vec<Database>) {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for url in sla_storage::testing::database_urls(dir.path(), name)
        .await
        .unwrap()
    {
        out.push(Database::connect(&url).await.unwrap());
    }
    (dir, out)
}

#[tokio::test]
async fn subscriptions_are_written_once_per_nonce_and_deleted_by_their_owner_only() {
    let (_dir, dbs) = databases("subs.sqlite").await;
    for db in dbs {
        let kind = db.kind();
        let subs = db.subscriptions();
        let id = subs
            .subscribe(&request(OWNER, "n-1", NOW), &webhook(OWNER), 2, 100)
            .await
            .unwrap()
            .expect("stored");
        // The same nonce again: refused, and nothing more stored.
        let again = subs
            .subscribe(&request(OWNER, "n-1", NOW + 1), &webhook(OWNER), 2, 100)
            .await
            .unwrap();
        assert_eq!(again, Err(Refused::NonceReused), "{kind}");
        let mine = subs.of_owner(&OWNER).await.unwrap();
        assert_eq!(mine.len(), 1, "{kind}");
        assert_eq!(mine[0].id, id);
        assert_eq!(mine[0].filters, webhook(OWNER).filters);
        assert_eq!(mine[0].secret, "hmac-secret-never-shown");
        assert_eq!(mine[0].created_at_ms, NOW);
        let debug = format!("{:?} {:?}", mine[0], webhook(OWNER));
        assert!(
            !debug.contains("hmac-secret") && !debug.contains("hooks.example"),
            "{kind}: Debug shows no secret nor target: {debug}"
        );
        // Another account may use the same nonce: nonces are per account.
        subs.subscribe(&request(OTHER, "n-1", NOW), &webhook(OTHER), 2, 100)
            .await
            .unwrap()
            .expect("another account's nonce");

        // The limit per owner; the refused write took no nonce.
        subs.subscribe(&request(OWNER, "n-2", NOW), &webhook(OWNER), 2, 100)
            .await
            .unwrap()
            .expect("second");
        let over = subs
            .subscribe(&request(OWNER, "n-3", NOW), &webhook(OWNER), 2, 100)
            .await
            .unwrap();
        assert_eq!(over, Err(Refused::LimitReached { limit: 2 }), "{kind}");
        assert_eq!(subs.of_owner(&OWNER).await.unwrap().len(), 2, "{kind}");
        // Three in all: the total allowed by the operator refuses another account's too.
        let full = subs
            .subscribe(&request(OTHER, "n-9", NOW), &webhook(OTHER), 2, 3)
            .await
            .unwrap();
        assert_eq!(full, Err(Refused::Full { limit: 3 }), "{kind}");

        // Deleting: not by another account (and that refusal takes no nonce), then by the owner.
        let stranger = subs.unsubscribe(&request(OTHER, "d-1", NOW), id).await;
        assert_eq!(stranger.unwrap(), Err(Refused::NotOwner), "{kind}");
        subs.unsubscribe(&request(OWNER, "n-3", NOW + 10), id)
            .await
            .unwrap()
            .expect("the owner deletes, with the nonce the refused write did not take");
        let gone = subs.unsubscribe(&request(OWNER, "n-4", NOW + 20), id).await;
        assert_eq!(gone.unwrap(), Err(Refused::NotFound), "{kind}");
        let missing = subs.unsubscribe(&request(OWNER, "n-5", NOW), 9_999).await;
        assert_eq!(missing.unwrap(), Err(Refused::NotFound), "{kind}");
        assert!(subs
            .of_owner(&OWNER)
            .await
            .unwrap()
            .iter()
            .all(|s| s.id != id));

        // In force before the deletion, not after; the other two stay.
        let before: Vec<i64> = subs
            .active(NOW + 5)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert!(
            before.contains(&id) && before.len() == 3,
            "{kind}: {before:?}"
        );
        let after = subs.active(NOW + 10).await.unwrap();
        assert_eq!(after.len(), 2, "{kind}");
        assert!(after.iter().all(|s| s.id != id), "{kind}");
        db.close().await;
    }
}

fn window(data_unit: Option<u64>, from_ms: u64, until_ms: u64) -> NewMaintenance {
    NewMaintenance {
        owner: OWNER,
        provider: OWNER,
        data_unit,
        from_ms,
        until_ms,
        reason: "disk replacement".into(),
    }
}

#[tokio::test]
async fn maintenance_reads_what_was_in_force_and_counts_cancellations() {
    let (_dir, dbs) = databases("maintenance.sqlite").await;
    for db in dbs {
        let kind = db.kind();
        let subs = db.subscriptions();
        let declare = |nonce: &'static str, w: NewMaintenance| {
            let subs = subs.clone();
            async move {
                subs.declare_maintenance(&request(OWNER, nonce, NOW), &w, 3)
                    .await
                    .unwrap()
            }
        };
        let all_units = declare("m-1", window(None, NOW + HOUR, NOW + 3 * HOUR))
            .await
            .unwrap();
        let one_unit = declare("m-2", window(Some(7), NOW + 5 * HOUR, NOW + 6 * HOUR))
            .await
            .unwrap();
        let to_cancel = declare("m-3", window(Some(8), NOW + 10 * HOUR, NOW + 12 * HOUR))
            .await
            .unwrap();
        let over = declare("m-4", window(None, NOW + HOUR, NOW + 2 * HOUR)).await;
        assert_eq!(over, Err(Refused::LimitReached { limit: 3 }), "{kind}");

        let overlapping = subs
            .maintenance_overlapping(NOW + 2 * HOUR, NOW + 5 * HOUR + 1)
            .await
            .unwrap();
        assert_eq!(
            overlapping,
            vec![
                MaintenanceWindow {
                    provider: OWNER,
                    data_unit: None,
                    from_ms: NOW + HOUR,
                    until_ms: NOW + 3 * HOUR,
                    reason: "disk replacement".into(),
                },
                MaintenanceWindow {
                    provider: OWNER,
                    data_unit: Some(7),
                    from_ms: NOW + 5 * HOUR,
                    until_ms: NOW + 6 * HOUR,
                    reason: "disk replacement".into(),
                },
            ],
            "{kind}"
        );
        assert!(overlapping[0].covers(&OWNER, 99, NOW + 2 * HOUR));
        assert!(!overlapping[1].covers(&OWNER, 8, NOW + 5 * HOUR));
        assert!(
            !overlapping[1].covers(&OWNER, 7, NOW + 6 * HOUR),
            "the end is exclusive"
        );
        // The range's end is exclusive too: a window starting there is not returned.
        let edge = subs
            .maintenance_overlapping(NOW + 3 * HOUR, NOW + 5 * HOUR)
            .await
            .unwrap();
        assert!(edge.is_empty(), "{kind}: {edge:?}");

        // Cancelling: not by another account; cancelled in progress, it ends then; cancelled
        // before it starts, it is gone; once ended, it cannot be cancelled.
        let stranger = subs
            .cancel_maintenance(&request(OTHER, "c-0", NOW), to_cancel)
            .await;
        assert_eq!(stranger.unwrap(), Err(Refused::NotOwner), "{kind}");
        subs.cancel_maintenance(&request(OWNER, "c-1", NOW + 11 * HOUR), to_cancel)
            .await
            .unwrap()
            .unwrap();
        let cut = subs
            .maintenance_overlapping(NOW + 10 * HOUR, NOW + 20 * HOUR)
            .await
            .unwrap();
        assert_eq!(cut.len(), 1, "{kind}");
        assert_eq!(
            cut[0].until_ms,
            NOW + 11 * HOUR,
            "{kind}: ends at its cancellation"
        );
        subs.cancel_maintenance(&request(OWNER, "c-2", NOW), one_unit)
            .await
            .unwrap()
            .unwrap();
        let gone = subs
            .maintenance_overlapping(NOW + 5 * HOUR, NOW + 6 * HOUR)
            .await
            .unwrap();
        assert!(
            gone.is_empty(),
            "{kind}: cancelled before it began: {gone:?}"
        );
        let ended = subs
            .cancel_maintenance(&request(OWNER, "c-3", NOW + 4 * HOUR), all_units)
            .await;
        assert_eq!(ended.unwrap(), Err(Refused::Ended), "{kind}");
        let twice = subs
            .cancel_maintenance(&request(OWNER, "c-4", NOW), one_unit)
            .await;
        assert_eq!(twice.unwrap(), Err(Refused::NotFound), "{kind}");

        let listed = subs.maintenance_of(&OWNER, 100).await.unwrap();
        assert_eq!(
            listed.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![to_cancel, one_unit, all_units],
            "{kind}: newest first, cancelled ones included"
        );
        assert_eq!(listed[1].cancelled_at_ms, Some(NOW), "{kind}");
        assert!(subs.maintenance_of(&OTHER, 100).await.unwrap().is_empty());
        db.close().await;
    }
}

#[tokio::test]
async fn racing_requests_of_one_owner_do_not_pass_the_limit_together() {
    let (_dir, dbs) = databases("race.sqlite").await;
    for db in dbs {
        let kind = db.kind();
        let subs = db.subscriptions();
        subs.subscribe(&request(OWNER, "first", NOW), &webhook(OWNER), 4, 100)
            .await
            .unwrap()
            .unwrap();
        let racing: Vec<_> = (0..12)
            .map(|i| {
                let subs = subs.clone();
                tokio::spawn(async move {
                    subs.subscribe(
                        &request(OWNER, &format!("race-{i}"), NOW),
                        &webhook(OWNER),
                        4,
                        100,
                    )
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut stored = 0;
        for r in racing {
            if r.await.unwrap().is_ok() {
                stored += 1;
            }
        }
        assert_eq!(stored, 3, "{kind}: up to the limit of 4, no more");
        assert_eq!(subs.of_owner(&OWNER).await.unwrap().len(), 4, "{kind}");
        db.close().await;
    }
}
