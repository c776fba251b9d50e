//! `sla audit` of a data unit with an agreed penalty policy, against the real stack (anvil, the
//! ingest API, the oracle with its indexer, aggregator and submitter, all in process): the
//! failing provider's consumer proposes tiers and grace, the provider agrees, and every result the
//! oracle puts on chain afterwards carries the waiver the rule gives (re-derived here from the
//! on-chain verdicts alone), owes exactly the share, and the auditor re-derives it: a match. The
//! provider also announces maintenance over one of those epochs: the oracle counts none of its
//! records (NO_DATA on chain) and the auditor, excluding the same window, matches it too. The
//! policy also has a metric rule over the provider's GPU temperature, which the failing provider's
//! agent reports hot: every judged epoch with samples carries violation bit 6, and the auditor
//! re-derives it from the same samples.

use std::time::Duration;

use alloy::primitives::U256;
use sla_contracts::{ISlaPolicies, SlaOracle, SlaPolicies};
use sla_devstack::scenario::Scenario;
use sla_devstack::stack::{Stack, StackOptions};
use sla_devstack::summary;
use sla_protocol::policy::{GaugeName, MetricRule, Policy, Tier, VIOLATION_RULES};

const EPOCH_LENGTH: u32 = 8;
const PENALTY: u64 = 300_000_000_000_000_000;
/// Judged epochs to see on chain before auditing.
const JUDGED: usize = 4;

/// Every violated metric reaches its one tier (bounds at the extremes): 25 % of the penalty; the
/// first violating epoch of any 3 is free; a GPU above 85 °C at any sample breaks a rule worth
/// 25 % too (the failing agent reports 88 °C and more).
fn policy() -> Policy {
    let mut p = Policy {
        grace_epochs: 1,
        grace_window_epochs: 3,
        maintenance_notice_s: 0,
        maintenance_allowance_s: 3_600,
        ..Policy::default()
    };
    for metric in sla_protocol::aggregate::Metric::ALL {
        let higher_is_better = matches!(
            metric,
            sla_protocol::aggregate::Metric::Upload
                | sla_protocol::aggregate::Metric::Download
                | sla_protocol::aggregate::Metric::Uptime
        );
        p.tiers[metric.index()][0] = Tier {
            bound: if higher_is_better { 0 } else { u64::MAX },
            share_pct: 25,
        };
    }
    p.rules[0] = MetricRule {
        gauge: GaugeName::try_from("gpu0.temp_millicelsius").unwrap(),
        aggregation: 3, // max
        comparator: 2,  // at most
        level: 0,
        threshold: 85_000,
        share_pct: 25,
    };
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_rederives_the_waivers_of_an_agreed_policy() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = StackOptions::new(dir.path());
    options.epoch_length = EPOCH_LENGTH;
    let stack = Stack::start(options)
        .await
        .expect("stack starts (is anvil installed? run contracts/scripts/setup.sh)");
    let scenario = Scenario::start(&stack, PENALTY).await.unwrap();
    let unit = scenario.failing.data_unit;
    let policies = stack
        .deployment
        .policies
        .expect("the dev stack deploys SlaPolicies");

    let proposed = ISlaPolicies::Policy::from(&policy());
    let by_consumer = SlaPolicies::new(policies, scenario.failing.consumer.provider.clone());
    let hash = by_consumer
        .proposePolicy(unit, proposed.clone())
        .call()
        .await
        .unwrap();
    let receipt = by_consumer
        .proposePolicy(unit, proposed)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let by_provider = SlaPolicies::new(policies, scenario.failing.provider.provider.clone());
    let receipt = by_provider
        .agreePolicy(unit, hash)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let from = by_provider.policyOf(unit).call().await.unwrap().fromEpoch;
    // The provider announces maintenance over the whole of the policy's third epoch: every
    // record of it goes uncounted, so it has no evidence (NO_DATA), and the auditor must
    // exclude the same records to match.
    let maintained = from + 2;
    let oracle = SlaOracle::new(stack.deployment.contract, by_provider.provider().clone());
    let genesis = oracle.genesisTime().call().await.unwrap();
    let start = genesis + maintained * u64::from(EPOCH_LENGTH);
    let receipt = by_provider
        .announceMaintenance(vec![unit], start, start + u64::from(EPOCH_LENGTH))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());

    // Wait for JUDGED results of epochs the policy judges.
    let storage = sla_storage::Database::connect(&stack.database_url)
        .await
        .unwrap();
    let admin = stack.account(0).unwrap();
    let contract = stack.deployment.contract;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let applied = loop {
        let outcomes = summary::outcomes(
            &admin.provider,
            contract,
            stack.deployment.deploy_block,
            &storage.rollups(),
            &scenario.units(),
        )
        .await
        .unwrap();
        let mut judged: Vec<_> = outcomes[1]
            .applied
            .iter()
            .filter(|a| a.result.epoch >= from)
            .cloned()
            .collect();
        judged.sort_by_key(|a| a.result.epoch);
        if judged.len() >= JUDGED {
            break judged;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the policy's epochs did not reach the chain: {:#?}",
            outcomes[1].applied
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    // The rule, from the on-chain verdicts alone: a violation is free when no other epoch of its
    // window of 3 (from the policy's first) violated, else it owes 25 %.
    let oracle = SlaOracle::new(contract, admin.provider.clone());
    let violating = |epoch: u64| {
        applied
            .iter()
            .any(|a| a.result.epoch == epoch && a.result.result.violations != 0)
    };
    assert!(
        applied.iter().any(|a| a.result.epoch == maintained),
        "the maintained epoch {maintained} is among the judged ones"
    );
    let mut waivers = Vec::new();
    for a in &applied {
        let (epoch, r) = (a.result.epoch, &a.result.result);
        let owed = oracle
            .resultOf(unit, epoch)
            .call()
            .await
            .unwrap()
            .penaltyOwed;
        if epoch == maintained {
            assert_eq!(
                (r.flags & 1, r.violations),
                (1, 0),
                "epoch {epoch} is all maintenance: no data, no violation"
            );
        }
        if r.violations == 0 || r.flags & 1 != 0 {
            assert_eq!(
                r.flags >> 1,
                0,
                "epoch {epoch}: no waiver without a violation"
            );
            continue;
        }
        assert!(
            r.violations & VIOLATION_RULES != 0,
            "epoch {epoch}: the hot GPU breaks the rule (violations {:#b})",
            r.violations
        );
        let prior = (epoch.saturating_sub(2).max(from)..epoch)
            .filter(|e| violating(*e))
            .count();
        let waived = if prior == 0 { 100 } else { 75 };
        assert_eq!(r.flags >> 1, waived, "epoch {epoch}: waiver on chain");
        let expected = if waived == 100 { 0 } else { PENALTY / 4 };
        if owed != U256::ZERO || expected == 0 {
            // (a claim would have zeroed it; the dev stack's consumer does not claim)
            assert_eq!(owed, U256::from(expected), "epoch {epoch}: owed on chain");
        }
        waivers.push(waived);
    }
    assert!(waivers.contains(&75), "a tiered violation: {waivers:?}");

    // The auditor re-derives each of them.
    for a in &applied {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sla"))
            .args(["--rpc-url", &stack.rpc_url, "--deployment"])
            .arg(&stack.deployment_path)
            .args([
                "audit",
                "--data-unit",
                &unit.to_string(),
                "--epoch",
                &a.result.epoch.to_string(),
                "--api",
                &stack.ingest_url,
            ])
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "audit of epoch {}: {stdout}{}",
            a.result.epoch,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    stack.stop().await;
    scenario.finish().await.unwrap();
}
