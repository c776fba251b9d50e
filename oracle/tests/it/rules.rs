//! Metric rules end to end on anvil, on SQLite and PostgreSQL: the parties agree a policy with a
//! rule over a gauge ("disk free, mean, at least 10 %, 25 % of the penalty"), the aggregator
//! judges it on the reported samples, and the contract takes nothing when it holds, 25 % of the
//! penalty when it alone is broken, and the whole penalty when uptime is violated too
//! (docs/policy.md, "Metric rules").

use alloy::primitives::{utils::parse_ether, U256};
use sla_contracts::{anvil, SlaOracle};
use sla_protocol::aggregate::SLOT_LEN_MS;
use sla_protocol::policy::{GaugeName, MetricRule, Policy, VIOLATION_RULES};
use sla_protocol::{Operation, QosRecord};

use crate::on_anvil::{
    advance, aggregator, allocation_with_policy, consumer_reports, deploy_hourly, indexer,
    ingest_all, reader, submitter, uptime_terms, Agreed, HOUR, PENALTY,
};

const ADMIN: usize = 0;
const PROVIDER: usize = 1;
const CONSUMER: usize = 2;
const ORACLE: usize = 9;
const EPOCH: u32 = HOUR;
const UPTIME: u8 = 1 << 4;

/// One rule, no tiers, no grace.
fn policy() -> Policy {
    let mut p = Policy::default();
    p.rules[0] = MetricRule {
        gauge: GaugeName::try_from("disk_free_bp").unwrap(),
        aggregation: 1, // mean
        comparator: 1,  // at least
        level: 0,
        threshold: 1_000,
        share_pct: 25,
    };
    p
}

/// A read and a disk-free sample per minute from `start` (ms): disk free `disk_bp`, reads
/// failing in minutes 10-29 when `down`.
fn minutes(start: u64, disk_bp: i64, down: bool) -> Vec<QosRecord> {
    (0..60u64)
        .flat_map(|m| {
            let at = start + m * SLOT_LEN_MS + 1_000;
            let read = if down && (10..30).contains(&m) {
                QosRecord::failure(at, Operation::Read, 900_000, 503, "down")
            } else {
                QosRecord::success(at, Operation::Read, 20_000, 4096)
            };
            let disk = Operation::Custom {
                name: "disk_free_bp".into(),
                value: disk_bp,
            };
            [read, QosRecord::success(at + 1, disk, 1_000, 0)]
        })
        .collect()
}

#[tokio::test]
async fn a_broken_rule_costs_its_share_and_a_kept_one_nothing() {
    for backend in sla_storage::testing::backends() {
        let anvil = anvil::spawn().expect("anvil");
        let deployment = deploy_hourly(&anvil, ADMIN, ORACLE).await;
        let provider_account = anvil.addresses()[PROVIDER];
        let reporter = ed25519_dalek::SigningKey::from_bytes(&[22; 32]);
        let Agreed {
            unit,
            agreed_epoch: agreed,
            ..
        } = allocation_with_policy(
            &anvil,
            &deployment,
            (PROVIDER, CONSUMER),
            uptime_terms(10_000),
            &policy(),
            &reporter,
        )
        .await;
        let chain = SlaOracle::new(deployment.contract, reader(&anvil));
        let (kept, broken, both) = (agreed + 1, agreed + 2, agreed + 3);
        let start_ms = |epoch: u64| (deployment.epoch_end(epoch) - u64::from(EPOCH)) * 1000;

        advance(&anvil, 5 * u64::from(EPOCH)).await;
        let now_epoch = chain.currentEpoch().call().await.unwrap();
        let now_ms = start_ms(now_epoch) + 1_000;

        let dir = tempfile::tempdir().unwrap();
        let url = backend.fresh_url(dir.path(), "rules.sqlite").await.unwrap();
        let db = sla_storage::Database::connect(&url).await.unwrap();
        db.bind_deployment(&deployment.deployment()).await.unwrap();
        let mut indexer = indexer(&anvil, &deployment, &db);
        indexer.sync().await.unwrap();
        let mirrored = db.mirror().agreed_policies().await.unwrap();
        assert_eq!(mirrored.len(), 1, "the agreed policy is mirrored");

        let records = |start: u64| match start {
            s if s == start_ms(kept) => minutes(s, 1_500, false),
            s if s == start_ms(broken) => minutes(s, 800, false),
            s => minutes(s, 800, true),
        };
        ingest_all(
            &db,
            &consumer_reports(&deployment, &reporter, unit, kept..=both, records),
        )
        .await;
        let mut aggregator = aggregator(&deployment, &db);
        let stats = aggregator.run_once(now_ms).await.unwrap();
        assert_eq!(stats.epochs_finalized, 3, "{stats:?}");
        let verdicts = db
            .rollups()
            .closed_verdicts(unit, kept..both + 1)
            .await
            .unwrap();
        let rules: Vec<(Option<i64>, bool)> = verdicts
            .iter()
            .map(|(_, v)| (v.rules[0].value, v.rules[0].violated))
            .collect();
        assert_eq!(
            rules,
            [(Some(1_500), false), (Some(800), true), (Some(800), true)],
            "the rule's verdict is kept with each epoch's"
        );

        let mut submitter = submitter(&anvil, &deployment, &db, ORACLE);
        for _ in 0..6 {
            submitter.tick(now_ms).await.unwrap();
            advance(&anvil, 1).await;
        }
        for (epoch, violations, owed, what) in [
            (kept, 0, 0, "the rule kept"),
            (
                broken,
                VIOLATION_RULES,
                PENALTY / 4,
                "the rule alone broken: its 25 %",
            ),
            (
                both,
                VIOLATION_RULES | UPTIME,
                PENALTY,
                "uptime violated too: the larger share, 100 %",
            ),
        ] {
            let (_, verdict) = verdicts.iter().find(|(e, _)| *e == epoch).expect("verdict");
            assert_eq!(verdict.epoch_result().violations, violations, "{what}");
            let r = chain.resultOf(unit, epoch).call().await.unwrap();
            assert!(r.applied, "epoch {epoch} applied");
            assert_eq!(r.penaltyOwed, U256::from(owed), "{what}");
        }
        let info = chain.providerInfo(provider_account).call().await.unwrap();
        assert_eq!(
            U256::from(info.bonded),
            parse_ether("10").unwrap() - U256::from(PENALTY / 4 + PENALTY),
            "the bond lost a quarter penalty and a whole one"
        );
        // Reputation from 5000: a kept epoch scores 10000, a broken rule halves the score to
        // 5000, and uptime violated too leaves the error rate's 5000 halved: 2500.
        let expected = [10_000u64, 5_000, 2_500]
            .iter()
            .fold(5_000u64, |r, s| (r * 7 + s) / 8);
        assert_eq!(u64::from(info.reputation), expected);
    }
}
