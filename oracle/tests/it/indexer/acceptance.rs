//! The ingest API judges reports against the `allocations` and `reporter_keys` rows the indexer
//! writes: they read back as exactly what the acceptance rules expect (parties, status, terms,
//! times in ms), and the rules, run on them through the storage layer, decide as the
//! chain says.

use alloy::sol_types::SolValue;
use ed25519_dalek::SigningKey;
use sla_protocol::acceptance::{Clock, Outcome, Rejection};
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_protocol::{
    sign_report, Deployment as Binding, Operation, QosRecord, Report, ReportHash, Role, SlaTerms,
    VerifiedReport,
};
use sla_storage::Database;

use super::support::*;
use crate::send;

const HOUR_MS: u64 = 3_600_000;

fn report(
    chain: &Chain,
    key: &SigningKey,
    role: Role,
    sequence: u64,
    prev_hash: ReportHash,
    start_ms: u64,
) -> VerifiedReport {
    let binding = Binding {
        chain_id: chain.deployment.chain_id,
        contract: chain.deployment.contract.0 .0,
    };
    let report = Report {
        deployment: binding,
        role,
        reporter_key: key.verifying_key().to_bytes(),
        data_unit: DU1,
        sequence,
        prev_hash,
        period_start_ms: start_ms,
        period_end_ms: start_ms + HOUR_MS,
        records: vec![QosRecord::success(
            start_ms + 10,
            Operation::Read,
            12_000,
            4096,
        )],
    };
    sign_report(&report, key)
        .expect("sign")
        .verify(&binding)
        .expect("verify")
}

async fn judge(storage: &Database, report: VerifiedReport, now_ms: u64) -> Outcome {
    let clock = Clock {
        now_ms,
        max_future_skew_ms: 0,
    };
    sla_storage::testing::ingest(storage, &[report], clock)
        .await
        .expect("ingest")
        .remove(0)
}

#[tokio::test]
async fn the_rows_the_indexer_writes_are_exactly_what_the_acceptance_rules_expect() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let storage = &db.storage;
        let provider = chain.oracle_as(PROVIDER);
        let consumer = chain.oracle_as(CONSUMER);
        let mut indexer = chain.indexer(&db.storage, 0);

        send!(provider.registerProvider());
        send!(consumer.requestAllocation(chain.address(PROVIDER), sla_terms()));
        let accepted = send!(provider.acceptAllocation(DU1));
        let consumer_registered = send!(consumer.registerKey(b256(key_of(1))));
        let provider_registered = send!(provider.registerKey(b256(key_of(2))));
        send!(chain.oracle_as(CONSUMER_B).registerKey(b256(key_of(5))));
        indexer.sync().await.unwrap();

        let active_from_ms = chain.receipt_ms(&accepted).await;
        let allocation = storage
            .mirror()
            .current_allocation(DU1)
            .await
            .unwrap()
            .unwrap();
        let expected_terms = SlaTerms {
            max_read_latency_us: 50_000,
            max_write_latency_us: 100_000,
            min_upload_bps: 10_000_000,
            min_download_bps: 10_000_000,
            speed_size_bound: 1_000_000_000,
            min_uptime_bps: 9995,
            uptime_window: 30 * 86_400,
            max_error_rate_bps: 1,
            reporting_interval: 3600,
            penalty_per_epoch: PENALTY,
            weights: [2000, 1000, 1500, 1500, 2500, 1500],
        };
        assert_eq!(
            allocation,
            Allocation {
                data_unit: DU1,
                consumer: chain.address(CONSUMER),
                provider: chain.address(PROVIDER),
                status: AllocationStatus::Active,
                terms_hash: alloy::primitives::keccak256(sla_terms().abi_encode()).0,
                terms: expected_terms.clone(),
                active_from_ms,
                closed_at_ms: None,
            }
        );
        assert_eq!(allocation.reporting_interval_ms(), HOUR_MS);
        let consumer_from_ms = chain.receipt_ms(&consumer_registered).await;
        let provider_from_ms = chain.receipt_ms(&provider_registered).await;
        assert_eq!(
            storage.mirror().current_key(&key_of(1)).await.unwrap(),
            Some(ReporterKey {
                public_key: key_of(1),
                account: chain.address(CONSUMER),
                valid_from_ms: consumer_from_ms,
                valid_until_ms: None,
            })
        );
        assert_eq!(
            storage.mirror().current_key(&key_of(2)).await.unwrap(),
            Some(ReporterKey {
                public_key: key_of(2),
                account: chain.address(PROVIDER),
                valid_from_ms: provider_from_ms,
                valid_until_ms: None,
            })
        );

        // Both parties' keys are taken for the active data unit; a stranger's is not.
        let start = consumer_from_ms.max(provider_from_ms);
        let now = start + 2 * HOUR_MS;
        let first = report(
            &chain,
            &reporter(1),
            Role::Consumer,
            1,
            ReportHash::ZERO,
            start,
        );
        let first_hash = first.hash;
        assert!(matches!(
            judge(storage, first, now).await,
            Outcome::Accepted(_)
        ));
        let theirs = report(
            &chain,
            &reporter(2),
            Role::Provider,
            1,
            ReportHash::ZERO,
            start,
        );
        assert!(matches!(
            judge(storage, theirs, now).await,
            Outcome::Accepted(_)
        ));
        let stranger = report(
            &chain,
            &reporter(5),
            Role::Consumer,
            1,
            ReportHash::ZERO,
            start,
        );
        assert!(matches!(
            judge(storage, stranger, now).await,
            Outcome::Rejected(Rejection::KeyNotOfParty { .. })
        ));

        // The consumer rotates its key; two hours later it closes the data unit.
        let rotated = send!(consumer.rotateKey(b256(key_of(1)), b256(key_of(3))));
        chain.advance(2 * 3600).await;
        let closed = send!(consumer.closeAllocation(DU1));
        indexer.sync().await.unwrap();
        let rotated_ms = chain.receipt_ms(&rotated).await;
        let closed_ms = chain.receipt_ms(&closed).await;
        let allocation = storage
            .mirror()
            .current_allocation(DU1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(allocation.status.as_str(), "closed");
        assert_eq!(allocation.closed_at_ms, Some(closed_ms));
        assert_eq!(allocation.active_from_ms, active_from_ms);
        assert_eq!(
            storage.mirror().current_key(&key_of(1)).await.unwrap(),
            Some(ReporterKey {
                public_key: key_of(1),
                account: chain.address(CONSUMER),
                valid_from_ms: consumer_from_ms,
                valid_until_ms: Some(rotated_ms),
            })
        );
        assert_eq!(
            storage
                .mirror()
                .current_key(&key_of(3))
                .await
                .unwrap()
                .unwrap()
                .valid_from_ms,
            rotated_ms
        );

        let now = closed_ms + 2 * HOUR_MS;
        // The old key no longer covers a period after the rotation ...
        let late = report(
            &chain,
            &reporter(1),
            Role::Consumer,
            2,
            first_hash,
            rotated_ms,
        );
        assert_eq!(
            judge(storage, late, now).await,
            Outcome::Rejected(Rejection::KeyNotValidForPeriod {
                valid_from_ms: consumer_from_ms,
                valid_until_ms: Some(rotated_ms),
            })
        );
        // ... the new one does, up to the close ...
        let rotated_report = report(
            &chain,
            &reporter(3),
            Role::Consumer,
            1,
            ReportHash::ZERO,
            rotated_ms,
        );
        let rotated_hash = rotated_report.hash;
        assert!(matches!(
            judge(storage, rotated_report, now).await,
            Outcome::Accepted(_)
        ));
        // ... and nothing is taken for a period after it.
        let after_close = report(
            &chain,
            &reporter(3),
            Role::Consumer,
            2,
            rotated_hash,
            closed_ms,
        );
        assert_eq!(
            judge(storage, after_close, now).await,
            Outcome::Rejected(Rejection::DataUnitNotActive {
                status: AllocationStatus::Closed
            })
        );
    }
}
