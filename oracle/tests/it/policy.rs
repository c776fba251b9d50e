//! Penalty policies end to end on anvil, on SQLite and PostgreSQL: the parties agree a policy on
//! chain, the indexer mirrors it, the aggregator judges the consumer's signed reports under it,
//! the submitter sends the results, and the contract takes exactly the tier's share (or nothing
//! in grace) from the bond; the mirror's penalties equal the chain's.

use alloy::primitives::{utils::parse_ether, U256};
use alloy::providers::DynProvider;
use sla_contracts::{anvil, DeploymentFile, ISlaPolicies, SlaOracle, SlaPolicies};
use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::aggregate::Metric;
use sla_protocol::policy::{Policy, Tier};
use sla_protocol::{Operation, QosRecord, VerifiedReport};

use crate::on_anvil::{
    advance, aggregator, consumer_reports, deploy_hourly, indexer, read_latency_terms, reader,
    submitter, wallet, HOUR, PENALTY,
};
use crate::send;

const ADMIN: usize = 0;
const PROVIDER: usize = 1;
const CONSUMERS: [usize; 2] = [2, 3];
const ORACLE: usize = 9;
const EPOCH: u32 = HOUR;

/// Read latency up to 60 ms costs 10 %, up to 100 ms 50 %, above it 100 %; `grace` violating
/// epochs of any 3 cost nothing.
fn policy(grace: u16) -> Policy {
    let mut p = Policy {
        grace_epochs: grace,
        grace_window_epochs: if grace == 0 { 0 } else { 3 },
        maintenance_notice_s: 0,
        maintenance_allowance_s: 0,
        ..Policy::default()
    };
    p.tiers[Metric::ReadLatency.index()] = [
        Tier {
            bound: 60_000,
            share_pct: 10,
        },
        Tier {
            bound: 100_000,
            share_pct: 50,
        },
        Tier::default(),
    ];
    p
}

/// The consumer's signed reports of `unit`, one per epoch of `latencies` (from `first`): 20
/// reads at that latency, µs.
fn reports(
    deployment: &DeploymentFile,
    key: &ed25519_dalek::SigningKey,
    unit: u64,
    first: u64,
    latencies: &[u32],
) -> Vec<VerifiedReport> {
    let latency = |epoch: u64| latencies[(epoch - first) as usize];
    consumer_reports(
        deployment,
        key,
        unit,
        first..first + latencies.len() as u64,
        |start| {
            let epoch = deployment.epochs().unwrap().epoch_of(start).unwrap();
            (0..20u64)
                .map(|n| {
                    QosRecord::success(start + n * 1000, Operation::Read, latency(epoch), 4096)
                })
                .collect()
        },
    )
}

/// Unit A (tiers only): the agreement's own epoch is still flat, then 55 ms (10 %), 80 ms
/// (50 %), 200 ms (100 %). Unit B (tiers and grace 1 in 3): 55 ms in grace, 55 ms after it
/// (10 %), then compliant.
#[tokio::test]
async fn tiers_and_grace_move_exactly_the_policys_amounts() {
    for backend in sla_storage::testing::backends() {
        let anvil = anvil::spawn().expect("anvil");
        let deployment = deploy_hourly(&anvil, ADMIN, ORACLE).await;
        let policies_address = deployment.policies.expect("a policies contract");
        let provider_account = anvil.addresses()[PROVIDER];
        // One wallet per account: each keeps its own nonce.
        let provider_wallet = wallet(&anvil, PROVIDER);
        let provider = SlaOracle::new(deployment.contract, provider_wallet.clone());
        let by_provider = SlaPolicies::new(policies_address, provider_wallet);
        send!(provider.registerProvider());
        send!(provider.bond().value(parse_ether("10").unwrap()));
        // Each consumer's reporter key.
        let reporters: Vec<ed25519_dalek::SigningKey> = (0..2u8)
            .map(|n| ed25519_dalek::SigningKey::from_bytes(&[9 + n; 32]))
            .collect();
        // Keys valid for whole epochs: registered an epoch before the reports begin.
        let consumer_wallets: Vec<DynProvider> =
            CONSUMERS.iter().map(|c| wallet(&anvil, *c)).collect();
        for (n, w) in consumer_wallets.iter().enumerate() {
            let oracle = SlaOracle::new(deployment.contract, w.clone());
            send!(oracle.registerKey(reporters[n].verifying_key().to_bytes().into()));
        }
        advance(&anvil, u64::from(EPOCH)).await;
        let mut units = Vec::new();
        for (n, consumer_wallet) in consumer_wallets.iter().enumerate() {
            let oracle = SlaOracle::new(deployment.contract, consumer_wallet.clone());
            let id = oracle
                .requestAllocation(provider_account, read_latency_terms())
                .call()
                .await
                .unwrap();
            send!(oracle.requestAllocation(provider_account, read_latency_terms()));
            send!(provider.acceptAllocation(id));
            // The consumer proposes, the provider agrees by hash.
            let proposed = ISlaPolicies::Policy::from(&policy(n as u16));
            let by_consumer = SlaPolicies::new(policies_address, consumer_wallet.clone());
            let hash = by_consumer
                .proposePolicy(id, proposed.clone())
                .call()
                .await
                .unwrap();
            send!(by_consumer.proposePolicy(id, proposed));
            send!(by_provider.agreePolicy(id, hash));
            units.push(id);
        }
        let chain = SlaOracle::new(deployment.contract, reader(&anvil));
        let agreed = chain.currentEpoch().call().await.unwrap();
        let (a, b) = (units[0], units[1]);
        let policy_of = SlaPolicies::new(policies_address, reader(&anvil))
            .policyOf(a)
            .call()
            .await
            .unwrap();
        assert_eq!(
            policy_of.fromEpoch,
            agreed + 1,
            "judges from the next epoch"
        );

        // Four epochs from the agreement's, closed.
        advance(&anvil, 5 * u64::from(EPOCH)).await;
        let now_epoch = chain.currentEpoch().call().await.unwrap();
        let now_ms = (deployment.epoch_end(now_epoch) - u64::from(EPOCH)) * 1000 + 1_000;

        let dir = tempfile::tempdir().unwrap();
        let url = backend
            .fresh_url(dir.path(), "policy.sqlite")
            .await
            .unwrap();
        let db = sla_storage::Database::connect(&url).await.unwrap();
        db.bind_deployment(&deployment.deployment()).await.unwrap();
        let mut indexer = indexer(&anvil, &deployment, &db);
        indexer.sync().await.unwrap();
        let mirrored = db
            .mirror()
            .agreed_policy(b)
            .await
            .unwrap()
            .expect("mirrored");
        assert_eq!(mirrored.policy, policy(1));
        assert_eq!(mirrored.from_epoch, agreed + 1);
        assert_eq!(mirrored.agreed_by, provider_account);

        let mut all = reports(
            &deployment,
            &reporters[0],
            a,
            agreed,
            &[55_000, 55_000, 80_000, 200_000],
        );
        all.extend(reports(
            &deployment,
            &reporters[1],
            b,
            agreed + 1,
            &[55_000, 55_000, 20_000],
        ));
        for report in &all {
            let clock = Clock {
                now_ms: report.report.period_end_ms + 500,
                max_future_skew_ms: 60_000,
            };
            let outcomes = sla_storage::testing::ingest(&db, std::slice::from_ref(report), clock)
                .await
                .unwrap();
            assert!(
                matches!(outcomes[..], [Outcome::Accepted(_)]),
                "{outcomes:?}"
            );
        }
        let mut aggregator = aggregator(&deployment, &db);
        let stats = aggregator.run_once(now_ms).await.unwrap();
        assert_eq!(stats.epochs_finalized, 7, "{stats:?}");

        let mut submitter = submitter(&anvil, &deployment, &db, ORACLE);
        for _ in 0..6 {
            submitter.tick(now_ms).await.unwrap();
            advance(&anvil, 1).await;
        }

        let owed = |unit: u64, epoch: u64| {
            let chain = &chain;
            async move {
                let r = chain.resultOf(unit, epoch).call().await.unwrap();
                assert!(r.applied, "unit {unit:#x} epoch {epoch} applied");
                r.penaltyOwed
            }
        };
        let wei = |x: u128| U256::from(x);
        assert_eq!(
            owed(a, agreed).await,
            wei(PENALTY),
            "before the policy: flat"
        );
        assert_eq!(owed(a, agreed + 1).await, wei(PENALTY / 10), "55 ms: 10 %");
        assert_eq!(owed(a, agreed + 2).await, wei(PENALTY / 2), "80 ms: 50 %");
        assert_eq!(owed(a, agreed + 3).await, wei(PENALTY), "200 ms: no tier");
        assert_eq!(owed(b, agreed + 1).await, wei(0), "first violation: grace");
        assert_eq!(
            owed(b, agreed + 2).await,
            wei(PENALTY / 10),
            "grace used: 10 %"
        );
        assert_eq!(owed(b, agreed + 3).await, wei(0), "compliant");
        let info = chain.providerInfo(provider_account).call().await.unwrap();
        let taken = PENALTY + PENALTY / 10 + PENALTY / 2 + PENALTY + PENALTY / 10;
        assert_eq!(
            U256::from(info.bonded),
            parse_ether("10").unwrap() - wei(taken),
            "the bond lost exactly the owed amounts"
        );

        // The mirror replays the waivers: its penalties are the chain's.
        indexer.sync().await.unwrap();
        let mirrored_penalty = |unit: u64, epoch: u64| {
            let db = &db;
            async move {
                db.mirror()
                    .penalties(unit)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|p| p.epoch == epoch)
                    .map(|p| p.amount)
            }
        };
        for (unit, epoch, expected) in [
            (a, agreed, PENALTY),
            (a, agreed + 1, PENALTY / 10),
            (a, agreed + 2, PENALTY / 2),
            (a, agreed + 3, PENALTY),
            (b, agreed + 2, PENALTY / 10),
        ] {
            assert_eq!(
                mirrored_penalty(unit, epoch).await,
                Some(expected),
                "unit {unit:#x} epoch {epoch}"
            );
        }
        assert_eq!(
            mirrored_penalty(b, agreed + 1).await,
            None,
            "grace owes nothing"
        );
    }
}

/// A policy offered on a profile and adopted by the consumer of an allocation from it is
/// mirrored as the data unit's agreed policy (the indexer finds it in the profile's offer), on
/// SQLite and PostgreSQL.
#[tokio::test]
async fn a_policy_adopted_from_a_profile_is_mirrored_as_agreed() {
    for backend in sla_storage::testing::backends() {
        let anvil = anvil::spawn().expect("anvil");
        let deployment = deploy_hourly(&anvil, ADMIN, ORACLE).await;
        let policies_address = deployment.policies.expect("a policies contract");
        let provider_wallet = wallet(&anvil, PROVIDER);
        let consumer_wallet = wallet(&anvil, CONSUMERS[0]);
        let provider = SlaOracle::new(deployment.contract, provider_wallet.clone());
        let consumer = SlaOracle::new(deployment.contract, consumer_wallet.clone());
        send!(provider.registerProvider());
        let profile = provider
            .publishProfile(read_latency_terms())
            .call()
            .await
            .unwrap();
        send!(provider.publishProfile(read_latency_terms()));
        let offered = ISlaPolicies::Policy::from(&policy(1));
        let by_provider = SlaPolicies::new(policies_address, provider_wallet);
        let hash = by_provider
            .offerProfilePolicy(profile, offered.clone())
            .call()
            .await
            .unwrap();
        send!(by_provider.offerProfilePolicy(profile, offered));
        let unit = consumer
            .requestAllocationFromProfile(profile)
            .call()
            .await
            .unwrap();
        send!(consumer.requestAllocationFromProfile(profile));
        let by_consumer = SlaPolicies::new(policies_address, consumer_wallet);
        send!(by_consumer.adoptProfilePolicy(unit, hash));

        let dir = tempfile::tempdir().unwrap();
        let url = backend
            .fresh_url(dir.path(), "adopted.sqlite")
            .await
            .unwrap();
        let db = sla_storage::Database::connect(&url).await.unwrap();
        db.bind_deployment(&deployment.deployment()).await.unwrap();
        indexer(&anvil, &deployment, &db).sync().await.unwrap();
        let mirrored = db
            .mirror()
            .agreed_policy(unit)
            .await
            .unwrap()
            .expect("the adopted policy is mirrored");
        assert_eq!(mirrored.policy, policy(1));
        assert_eq!(mirrored.policy_hash, hash.0);
        assert_eq!(mirrored.agreed_by, anvil.addresses()[CONSUMERS[0]]);
    }
}
