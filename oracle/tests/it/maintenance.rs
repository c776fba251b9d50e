//! Announced maintenance end to end on anvil, on SQLite and PostgreSQL: the parties agree a
//! policy with maintenance terms, the provider announces a window (and one it cancels), the
//! indexer mirrors them, the aggregator recounts the epoch without the records inside the
//! window, and the contract takes nothing for downtime inside it and the penalty for the same
//! downtime outside it (docs/policy.md).

use alloy::primitives::{utils::parse_ether, U256};
use sla_contracts::{anvil, SlaOracle};
use sla_protocol::aggregate::{MaintenanceWindow, SLOT_LEN_MS};
use sla_protocol::policy::Policy;
use sla_protocol::{Operation, QosRecord};

use crate::on_anvil::{
    advance, aggregator, allocation_with_policy, consumer_reports, deploy_hourly, indexer,
    ingest_all, reader, submitter, uptime_terms, Agreed, HOUR, PENALTY,
};
use crate::send;

const ADMIN: usize = 0;
const PROVIDER: usize = 1;
const CONSUMER: usize = 2;
const ORACLE: usize = 9;
const EPOCH: u32 = HOUR;

/// No tiers, no grace: 10 minutes' notice and two hours of maintenance per 30 days.
fn policy() -> Policy {
    Policy {
        maintenance_notice_s: 600,
        maintenance_allowance_s: 7_200,
        ..Policy::default()
    }
}

/// The minutes of every epoch in which the service is down: 10 to 29.
const DOWN: std::ops::Range<u64> = 10..30;

/// One read per minute of the epoch starting at `start` (ms), failed in [`DOWN`].
fn minutes(start: u64) -> Vec<QosRecord> {
    (0..60u64)
        .map(|m| {
            let at = start + m * SLOT_LEN_MS + 1_000;
            if DOWN.contains(&m) {
                QosRecord::failure(at, Operation::Read, 900_000, 503, "down")
            } else {
                QosRecord::success(at, Operation::Read, 20_000, 4096)
            }
        })
        .collect()
}

/// Epoch `w` (after the agreement's) has a window over exactly its down minutes, epoch `w + 1`
/// had one that the provider cancelled, epoch `w - 1` none: the same downtime costs nothing in
/// `w` and the penalty in the others.
#[tokio::test]
async fn downtime_inside_a_window_costs_nothing_and_outside_it_the_penalty() {
    for backend in sla_storage::testing::backends() {
        let anvil = anvil::spawn().expect("anvil");
        let deployment = deploy_hourly(&anvil, ADMIN, ORACLE).await;
        let provider_account = anvil.addresses()[PROVIDER];
        let reporter = ed25519_dalek::SigningKey::from_bytes(&[21; 32]);
        let Agreed {
            unit,
            agreed_epoch: agreed,
            by_provider,
        } = allocation_with_policy(
            &anvil,
            &deployment,
            (PROVIDER, CONSUMER),
            uptime_terms(500),
            &policy(),
            &reporter,
        )
        .await;
        let chain = SlaOracle::new(deployment.contract, reader(&anvil));
        let (before, inside, cancelled) = (agreed + 1, agreed + 2, agreed + 3);
        let start_s = |epoch: u64| deployment.epoch_end(epoch) - u64::from(EPOCH);
        let down = |epoch: u64| MaintenanceWindow {
            start_s: start_s(epoch) + DOWN.start * 60,
            end_s: start_s(epoch) + DOWN.end * 60,
        };
        for epoch in [inside, cancelled] {
            let w = down(epoch);
            send!(by_provider.announceMaintenance(vec![unit], w.start_s, w.end_s));
        }
        send!(by_provider.cancelMaintenance(unit, U256::from(1)));

        advance(&anvil, 5 * u64::from(EPOCH)).await;
        let now_epoch = chain.currentEpoch().call().await.unwrap();
        let now_ms = (deployment.epoch_end(now_epoch) - u64::from(EPOCH)) * 1000 + 1_000;

        let dir = tempfile::tempdir().unwrap();
        let url = backend
            .fresh_url(dir.path(), "maintenance.sqlite")
            .await
            .unwrap();
        let db = sla_storage::Database::connect(&url).await.unwrap();
        db.bind_deployment(&deployment.deployment()).await.unwrap();
        let mut indexer = indexer(&anvil, &deployment, &db);
        indexer.sync().await.unwrap();
        let mirrored = db.mirror().maintenance_windows(unit).await.unwrap();
        assert_eq!(mirrored.len(), 2, "{mirrored:?}");
        assert_eq!(mirrored[0].window, down(inside));
        assert!(
            !mirrored[0].cancelled && mirrored[1].cancelled,
            "{mirrored:?}"
        );

        let reports = consumer_reports(&deployment, &reporter, unit, before..=cancelled, minutes);
        ingest_all(&db, &reports).await;
        let mut aggregator = aggregator(&deployment, &db);
        let stats = aggregator.run_once(now_ms).await.unwrap();
        assert_eq!(stats.epochs_finalized, 3, "{stats:?}");
        // The roll-up kept for the window's epoch is the recounted one: what the verdict judged.
        let judged = db
            .rollups()
            .get(unit, inside)
            .await
            .unwrap()
            .expect("roll-up");
        assert_eq!(
            judged.summary.combined.slots.down, 0,
            "{:?}",
            judged.summary.combined
        );
        assert_eq!(judged.summary.combined.slots.up, 40);
        let outside = db
            .rollups()
            .get(unit, before)
            .await
            .unwrap()
            .expect("roll-up");
        assert_eq!(outside.summary.combined.slots.down, 20);

        let mut submitter = submitter(&anvil, &deployment, &db, ORACLE);
        for _ in 0..6 {
            submitter.tick(now_ms).await.unwrap();
            advance(&anvil, 1).await;
        }
        for (epoch, owed, what) in [
            (before, PENALTY, "downtime before any window"),
            (inside, 0, "the same downtime inside the window"),
            (
                cancelled,
                PENALTY,
                "the same downtime in a cancelled window",
            ),
        ] {
            let r = chain.resultOf(unit, epoch).call().await.unwrap();
            assert!(r.applied, "epoch {epoch} applied");
            assert_eq!(r.penaltyOwed, U256::from(owed), "{what}");
        }
        let info = chain.providerInfo(provider_account).call().await.unwrap();
        assert_eq!(
            U256::from(info.bonded),
            parse_ether("10").unwrap() - U256::from(2 * PENALTY),
            "the bond lost exactly two penalties"
        );
    }
}
