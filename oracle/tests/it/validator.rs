//! The validator role on anvil: three validators vote on a flag by the default rule, one stops
//! before revealing, one restarts between commit and reveal; the case is decided by the role and
//! slashes the provider. Then an operator's override (committed by hand with the same derived
//! salt) is revealed by the role as committed.

use std::time::Duration;

use alloy::node_bindings::AnvilInstance;
use alloy::primitives::B256;
use alloy::primitives::{keccak256, utils::parse_ether, Address, U256};
use alloy::providers::DynProvider;
use sla_contracts::court::{self, vote_commitment, vote_salt, Verdict};
use sla_contracts::{
    anvil, deploy, CourtDeployConfig, DeployConfig, DeploymentFile, ISlaCourt::FaultFlag, SlaCourt,
    SlaOracle,
};
use sla_oracle::aggregator::{Aggregator, AggregatorConfig, AggregatorStores};
use sla_oracle::indexer::{Indexer, IndexerConfig};
use sla_oracle::validator::{Flagger, Validator, ValidatorConfig};
use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::court::{evidence_root, EpochFaults};
use sla_protocol::{Operation, QosRecord, VerifiedReport};

use crate::on_anvil::{advance, consumer_reports, key, read_latency_terms, reader, wallet};
use crate::send;

const ADMIN: usize = 0;
const PROVIDER: usize = 1;
const CONSUMERS: [usize; 2] = [2, 3];
const VALIDATORS: [usize; 3] = [5, 6, 7];
/// The single oracle signer (quorum 1): signs the flags.
const ORACLE: usize = 9;
const EPOCH: u32 = 3600;
const PHASE: u32 = 600;

struct Net {
    anvil: AnvilInstance,
    deployment: DeploymentFile,
    court: Address,
    units: Vec<u64>,
}

impl Net {
    /// A court with ten-minute phases whose validators are accounts 5-7; a provider bonded with
    /// 10 ether and one active allocation for each of two consumers.
    async fn start() -> Net {
        let anvil = anvil::spawn().expect("anvil");
        let validators = VALIDATORS.iter().map(|i| anvil.addresses()[*i]).collect();
        let config = DeployConfig {
            epoch_length: EPOCH,
            submission_window: 2 * EPOCH,
            oracle_signers: vec![anvil.addresses()[ORACLE]],
            court: Some(CourtDeployConfig {
                commit_period: PHASE,
                reveal_period: PHASE,
                validators,
                ..CourtDeployConfig::default()
            }),
            ..DeployConfig::default()
        };
        let deployment = deploy(anvil.endpoint_url(), key(&anvil, ADMIN), &config)
            .await
            .expect("deploy");
        let court = deployment.court.expect("a court");
        let provider = SlaOracle::new(deployment.contract, wallet(&anvil, PROVIDER));
        send!(provider.registerProvider());
        send!(provider.bond().value(parse_ether("10").unwrap()));
        let mut units = Vec::new();
        for consumer in CONSUMERS {
            let oracle = SlaOracle::new(deployment.contract, wallet(&anvil, consumer));
            let id = oracle
                .requestAllocation(anvil.addresses()[PROVIDER], read_latency_terms())
                .call()
                .await
                .unwrap();
            send!(oracle.requestAllocation(anvil.addresses()[PROVIDER], read_latency_terms()));
            send!(provider.acceptAllocation(id));
            units.push(id);
        }
        Net {
            anvil,
            deployment,
            court,
            units,
        }
    }

    fn validator(&self, n: usize) -> Validator {
        let index = VALIDATORS[n];
        Validator::new(
            ValidatorConfig {
                chain_id: self.deployment.chain_id,
                court: self.court,
                from_block: self.deployment.deploy_block,
                poll_interval: Duration::from_millis(100),
            },
            wallet(&self.anvil, index),
            key(&self.anvil, index),
        )
    }

    fn reader(&self) -> DynProvider {
        reader(&self.anvil)
    }

    async fn advance(&self, secs: u64) {
        advance(&self.anvil, secs).await
    }

    /// Flags the provider over the epochs after the last flagged one (closing them first) at
    /// `rate_bps`, faults 3:1; returns the case id.
    async fn flag(&self, rate_bps: u16) -> u64 {
        let court = SlaCourt::new(self.court, self.reader());
        let provider = self.anvil.addresses()[PROVIDER];
        let from = court.nextFlaggableEpoch(provider).call().await.unwrap();
        self.advance(2 * u64::from(EPOCH)).await;
        let oracle = SlaOracle::new(self.deployment.contract, self.reader());
        let current = oracle.currentEpoch().call().await.unwrap();
        let flag = FaultFlag {
            provider,
            fromEpoch: from,
            toEpoch: current - 1,
            faultRateBps: rate_bps,
            evidenceRoot: keccak256(b"evidence"),
            dataUnitIds: self.units.clone(),
            faults: vec![3, 1],
        };
        let version = oracle.oracleConfig().call().await.unwrap().configVersion;
        let digest = court::flag_digest(self.deployment.chain_id, self.court, version, &flag);
        let sigs = court::sign_flag(&[key(&self.anvil, ORACLE)], digest).unwrap();
        let sender = SlaCourt::new(self.court, wallet(&self.anvil, 4));
        send!(sender.flagProvider(flag, sigs));
        court.caseCount().call().await.unwrap().to::<u64>()
    }

    async fn case(&self, id: u64) -> sla_contracts::ISlaCourt::CaseInfo {
        SlaCourt::new(self.court, self.reader())
            .getCase(U256::from(id))
            .call()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn the_role_commits_reveals_and_decides_by_the_default_rule() {
    let net = Net::start().await;
    let case = net.flag(3000).await; // above the 20 % threshold, not above twice it: Slash
    let mut v: Vec<Validator> = (0..3).map(|n| net.validator(n)).collect();
    for validator in &mut v {
        let report = validator.step().await.expect("commit step");
        assert_eq!(report.committed, vec![(case, Verdict::Slash)]);
        // A second pass in the same phase does nothing.
        assert_eq!(validator.step().await.unwrap().committed, vec![]);
    }
    let info = net.case(case).await;
    assert_eq!(info.tally, [0; 5], "votes are secret until revealed");

    net.advance(u64::from(PHASE)).await; // the reveal phase
    let report = v[0].step().await.expect("reveal step");
    assert_eq!(report.revealed, vec![(case, Verdict::Slash)]);
    // Validator 1 restarts between its commit and its reveal: nothing was stored, and the
    // derived salt reveals its commitment.
    let mut restarted = net.validator(1);
    let report = restarted.step().await.expect("reveal after restart");
    assert_eq!(report.revealed, vec![(case, Verdict::Slash)]);
    // Validator 2 never reveals (stopped).

    net.advance(u64::from(PHASE)).await; // the reveal phase is over
    let report = v[0].step().await.expect("decide step");
    assert_eq!(report.decided, vec![case]);
    let report = restarted.step().await.expect("after the decision");
    assert_eq!(report, Default::default(), "decided once, by the first");

    let info = net.case(case).await;
    assert_eq!(Verdict::try_from(info.verdict), Ok(Verdict::Slash));
    assert_eq!(info.tally, [0, 0, 2, 0, 0]);
    let court = SlaCourt::new(net.court, net.reader());
    let missed = court
        .missedReveals(net.anvil.addresses()[VALIDATORS[2]])
        .call()
        .await
        .unwrap();
    assert_eq!(missed, U256::from(1), "the silent validator is recorded");
    let oracle = SlaOracle::new(net.deployment.contract, net.reader());
    let total = parse_ether("1").unwrap(); // 10 % of 10 ether
    for (consumer, share) in CONSUMERS.iter().zip([3u64, 1]) {
        let credited = oracle
            .withdrawableOf(net.anvil.addresses()[*consumer])
            .call()
            .await
            .unwrap();
        assert_eq!(credited, total * U256::from(share) / U256::from(4));
    }
}

#[tokio::test]
async fn an_operators_override_is_revealed_as_committed() {
    let net = Net::start().await;
    let case = net.flag(9000).await; // above twice the threshold: the rule says Suspend
                                     // The operator of validator 0 reads the rebuttal and commits NoAction by hand, with the salt
                                     // the role derives (what `sla court commit --vote no-action` does).
    let me = key(&net.anvil, VALIDATORS[0]);
    let salt = vote_salt(&me, net.deployment.chain_id, net.court, case).unwrap();
    let commitment = vote_commitment(U256::from(case), Verdict::NoAction, salt, me.address());
    let by_hand = SlaCourt::new(net.court, wallet(&net.anvil, VALIDATORS[0]));
    send!(by_hand.commitVote(U256::from(case), commitment));

    let mut v: Vec<Validator> = (0..3).map(|n| net.validator(n)).collect();
    let report = v[0].step().await.unwrap();
    assert_eq!(
        report.committed,
        vec![],
        "already committed by the operator"
    );
    for validator in &mut v[1..] {
        assert_eq!(
            validator.step().await.unwrap().committed,
            vec![(case, Verdict::Suspend)]
        );
    }
    net.advance(u64::from(PHASE)).await;
    assert_eq!(
        v[0].step().await.unwrap().revealed,
        vec![(case, Verdict::NoAction)],
        "the override, not the rule"
    );
    for validator in &mut v[1..] {
        validator.step().await.unwrap();
    }
    net.advance(u64::from(PHASE)).await;
    assert_eq!(v[2].step().await.unwrap().decided, vec![case]);
    let info = net.case(case).await;
    assert_eq!(info.tally, [0, 1, 0, 2, 0]);
    assert_eq!(Verdict::try_from(info.verdict), Ok(Verdict::Suspend));
    let oracle = SlaOracle::new(net.deployment.contract, net.reader());
    let until = oracle
        .suspendedUntil(net.anvil.addresses()[PROVIDER])
        .call()
        .await
        .unwrap();
    assert!(until > 0, "suspended");
}

/// The consumer's signed reports of `unit` for `epochs`, one per epoch, 200 reads each of which
/// `failed` fail.
fn failing_epochs(
    net: &Net,
    key: &ed25519_dalek::SigningKey,
    unit: u64,
    epochs: std::ops::RangeInclusive<u64>,
    failed: u64,
) -> Vec<VerifiedReport> {
    consumer_reports(&net.deployment, key, unit, epochs, |start| {
        (0..200u64)
            .map(|n| {
                let ts = start + n * 1000;
                if n < failed {
                    QosRecord::failure(ts, Operation::Read, 2_000, 503, "unavailable")
                } else {
                    QosRecord::success(ts, Operation::Read, 2_000, 4096)
                }
            })
            .collect()
    })
}

/// Reports → roll-ups → a flag → the validators' vote → a slash, all with the real parts: the
/// consumer's reports of one data unit fault 30 % of their checks over two epochs, the indexer
/// mirrors the chain, the aggregator closes the epochs, and the validator role with the oracle
/// key flags the provider (30 % > the 20 % threshold), then votes slash by the rule.
#[tokio::test]
async fn the_role_flags_a_provider_from_its_closed_roll_ups() {
    for backend in sla_storage::testing::backends() {
        let net = Net::start().await;
        let unit = net.units[0];
        // The consumer's reporter key, registered on chain.
        let reporter = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let consumer = SlaOracle::new(net.deployment.contract, wallet(&net.anvil, CONSUMERS[0]));
        send!(consumer.registerKey(reporter.verifying_key().to_bytes().into()));
        let oracle = SlaOracle::new(net.deployment.contract, net.reader());
        let accepted = oracle.currentEpoch().call().await.unwrap();
        // Two whole epochs after the acceptance's, then one more so both are closed.
        net.advance(4 * u64::from(EPOCH)).await;
        let now = oracle.currentEpoch().call().await.unwrap();
        let chain_now_ms = net.deployment.epoch_end(now) * 1000 - u64::from(EPOCH) * 1000;

        let dir = tempfile::tempdir().unwrap();
        let url = backend.fresh_url(dir.path(), "flags.sqlite").await.unwrap();
        let db = sla_storage::Database::connect(&url).await.unwrap();
        db.bind_deployment(&net.deployment.deployment())
            .await
            .unwrap();
        let mut indexer = Indexer::new(
            IndexerConfig {
                confirmations: 0,
                ..IndexerConfig::new(&net.deployment)
            },
            db.mirror(),
            net.reader(),
        );
        indexer.sync().await.unwrap();
        let reports = failing_epochs(&net, &reporter, unit, accepted + 1..=accepted + 2, 60);
        // Each report arrives just after its epoch, within the grace.
        for report in &reports {
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
        let mut aggregator = Aggregator::new(
            AggregatorStores::of(&db),
            AggregatorConfig {
                epochs: net.deployment.epochs().unwrap(),
                grace_ms: 1_000,
                page_size: 100,
            },
        );
        let stats = aggregator.run_once(chain_now_ms).await.unwrap();
        assert_eq!(
            (stats.reports_read, stats.epochs_finalized),
            (2, 2),
            "{stats:?}"
        );

        let oracle_key = key(&net.anvil, ORACLE);
        let flagger = Flagger::new(&db, oracle_key, net.deployment.contract, 24);
        let mut v: Vec<Validator> = (0..3).map(|n| net.validator(n)).collect();
        v[0] = net.validator(0).with_flagger(flagger.clone());
        let report = v[0].step().await.expect("flag step");
        assert_eq!(report.flagged, vec![net.anvil.addresses()[PROVIDER]]);
        assert_eq!(
            report.committed,
            vec![(1, Verdict::Slash)],
            "30 % is up to twice 20 %"
        );

        let info = net.case(1).await;
        assert_eq!(info.faultRateBps, 3000, "60 of 200 in each epoch");
        assert_eq!(
            info.fromEpoch, 0,
            "since the provider's first flaggable epoch"
        );
        assert_eq!(info.toEpoch, now - 1, "every closed epoch");
        // The evidence root is the summaries' rows, as an auditor recomputes them.
        let rows: Vec<EpochFaults> = db
            .rollups()
            .of_data_unit(unit, 0, now - 1)
            .await
            .unwrap()
            .iter()
            .map(|r| EpochFaults::of(&r.summary))
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(info.evidenceRoot, B256::from(evidence_root(&rows)));
        let flag = court::flag_of(&net.reader(), net.court, 0, 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(flag.dataUnitIds, vec![unit]);
        assert_eq!(flag.faults, vec![120]);

        // An open case: no second flag.
        assert!(v[0].step().await.unwrap().flagged.is_empty());
        for validator in &mut v[1..] {
            validator.step().await.unwrap();
        }
        net.advance(u64::from(PHASE)).await;
        for validator in &mut v {
            validator.step().await.unwrap();
        }
        net.advance(u64::from(PHASE)).await;
        assert_eq!(v[1].step().await.unwrap().decided, vec![1]);
        let credited = oracle
            .withdrawableOf(net.anvil.addresses()[CONSUMERS[0]])
            .call()
            .await
            .unwrap();
        assert_eq!(
            credited,
            parse_ether("1").unwrap(),
            "10 % of the stake, all to the one unit"
        );
        // The flagged epochs are behind it: nothing new to flag.
        assert!(v[0].step().await.unwrap().flagged.is_empty());
    }
}
