//! End to end on a real anvil with the deployed contract, the ingest API over HTTP and the
//! oracle: a compliant and a failing provider report (consumer and provider sides); the on-chain
//! results, reputation, penalty balances and Merkle roots equal what the aggregator computed, and
//! the roots equal those recomputed from the reports the public API serves.

use std::time::Duration;

use alloy::primitives::U256;
use sla_contracts::{ISlaOracle, SlaOracle};
use sla_devstack::scenario::{Scenario, BOND_WEI as BOND};
use sla_devstack::stack::{Stack, StackOptions};
use sla_devstack::summary::{self, UnitOutcome};
use sla_protocol::aggregate::{epoch_score, next_reputation, EpochConfig, EpochVerdict};
use sla_protocol::{merkle, ReportHash};
use sla_storage::RollupStatus;

const EPOCH_LENGTH: u32 = 8;
const PENALTY: u64 = 300_000_000_000_000_000;
const WEIGHTS: [u16; 6] = [3000, 2000, 0, 0, 0, 5000];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliant_and_failing_providers_end_on_chain_exactly_as_the_aggregator_computed() {
    sla_devstack::stack::log_to_test_output();
    let dir = tempfile::tempdir().unwrap();
    let mut options = StackOptions::new(dir.path());
    options.epoch_length = EPOCH_LENGTH;
    options.grace_ms = 2_000;
    let stack = Stack::start(options)
        .await
        .expect("stack starts (is anvil installed? run contracts/scripts/setup.sh)");
    let contract = stack.deployment.contract;
    let mut scenario = Scenario::start(&stack, PENALTY).await.unwrap();

    let rollups = sla_storage::Database::connect(&stack.database_url)
        .await
        .unwrap()
        .rollups();
    let units = scenario.units();
    let provider = stack.account(0).unwrap().provider;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
    let outcomes: Vec<UnitOutcome> = loop {
        let outcomes = summary::outcomes(
            &provider,
            contract,
            stack.deployment.deploy_block,
            &rollups,
            &units,
        )
        .await
        .unwrap();
        let submitted = |o: &UnitOutcome| {
            o.rollups
                .iter()
                .filter(|r| r.status == RollupStatus::Submitted)
                .count()
        };
        if outcomes
            .iter()
            .all(|o| o.applied.len() >= 2 && submitted(o) >= 2)
        {
            break outcomes;
        }
        scenario.reporters_running().await.unwrap();
        assert!(
            tokio::time::Instant::now() < deadline,
            "results did not reach the chain: {outcomes:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    let epochs = EpochConfig::new(stack.deployment.genesis_time, EPOCH_LENGTH).unwrap();
    let http = reqwest::Client::new();
    for (outcome, is_failing) in outcomes.iter().zip([false, true]) {
        let mut reputation = 5_000u16;
        let mut penalties = 0u128;
        for applied in &outcome.applied {
            let (epoch, r) = (applied.result.epoch, &applied.result.result);
            let rollup = outcome
                .rollups
                .iter()
                .find(|x| x.epoch == epoch)
                .unwrap_or_else(|| panic!("no roll-up for applied epoch {epoch}"));
            let verdict: EpochVerdict = rollup.verdict.clone().unwrap();
            let expected = verdict.epoch_result();
            // The chain holds exactly the aggregator's numbers.
            assert_eq!(r.read_latency_us, expected.read_latency_us);
            assert_eq!(r.write_latency_us, expected.write_latency_us);
            assert_eq!(r.error_rate_bps, expected.error_rate_bps);
            assert_eq!(r.operations, expected.operations);
            assert_eq!(r.violations, expected.violations);
            assert_eq!(r.flags, expected.flags);
            assert_eq!(r.reports_root, expected.reports_root);
            assert_eq!(rollup.reports_root, expected.reports_root);
            assert_eq!(
                r.violations != 0,
                is_failing,
                "epoch {epoch} of data unit {}",
                outcome.data_unit
            );

            // The root is recomputed from the reports the public API serves for the epoch.
            let (from, to) = epochs.bounds_ms(epoch).unwrap();
            let page: serde_json::Value = http
                .get(format!(
                    "{}/v1/data-units/{}/reports?from_ms={from}&to_ms={to}&limit=1000",
                    stack.ingest_url, outcome.data_unit
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let hashes: Vec<ReportHash> = page["reports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| ReportHash::from_hex(x["hash"].as_str().unwrap()).unwrap())
                .collect();
            assert_eq!(
                merkle::root(&hashes),
                expected.reports_root,
                "root of epoch {epoch}"
            );

            if expected.flags & 1 == 0 {
                reputation =
                    next_reputation(reputation, epoch_score(&WEIGHTS, expected.violations));
                if expected.violations != 0 {
                    penalties += u128::from(PENALTY).min(BOND - penalties);
                }
            }
        }
        assert_eq!(
            outcome.reputation, reputation,
            "reputation of data unit {}",
            outcome.data_unit
        );
        // Penalties wait in escrow until claimed (nothing claimed them yet).
        assert_eq!(
            (outcome.owed, outcome.withdrawable),
            (U256::from(penalties), U256::ZERO),
            "penalties of data unit {}",
            outcome.data_unit
        );
        assert_eq!(outcome.bonded, U256::from(BOND - penalties));

        // Rules version 2 on the read API: the provider agent's gauges (the sample reporter's
        // `gauges`), its efficiency against its pledge and its fault rate, from the same roll-ups.
        let last = outcome.applied.last().unwrap().result.epoch;
        let m: serde_json::Value = http
            .get(format!(
                "{}/v1/data-units/{}/metrics?epoch={last}&epochs=2",
                stack.ingest_url, outcome.data_unit
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let newest = &m["epochs"][0]["provider"];
        let temp = newest["gauges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "gpu0.temp_millicelsius")
            .unwrap_or_else(|| panic!("no temperature: {m:#}"));
        let hot = temp["max"].as_i64().unwrap() >= 88_000;
        assert_eq!(hot, is_failing, "{m:#}");
        assert_eq!(temp["failed"].as_u64().unwrap() > 0, is_failing, "{m:#}");
        let cpu = &newest["efficiency"]["resources"][0];
        assert_eq!(
            (cpu["resource"].as_str(), cpu["pledged"].as_i64()),
            (Some("cpu"), Some(4_000))
        );
        let bps = cpu["efficiency_bps"].as_u64().unwrap();
        assert!(
            (6_000..7_000).contains(&bps),
            "2400-2799 of 4000 millicores: {m:#}"
        );
        let shares = newest["gauges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "pool.shares_accepted_total")
            .unwrap();
        assert!(
            shares["counter"]["increase"].as_u64().unwrap() >= 40,
            "{m:#}"
        );
        assert_eq!(
            newest["fault_rate_bps"].as_u64().unwrap() > 0,
            is_failing,
            "the failing provider's exporter times out: {m:#}"
        );
    }
    assert!(
        outcomes[1].owed > U256::ZERO,
        "the failing provider was penalised"
    );

    // Anyone may claim the escrowed penalties; they go to the consumer's withdrawable balance.
    let failing = &outcomes[1];
    let oracle = SlaOracle::new(contract, stack.account(0).unwrap().provider);
    let mut refs = Vec::new();
    for a in &failing.applied {
        let owed = oracle
            .resultOf(failing.data_unit, a.result.epoch)
            .call()
            .await
            .unwrap()
            .penaltyOwed;
        if owed > U256::ZERO {
            refs.push(ISlaOracle::ResultRef {
                dataUnitId: failing.data_unit,
                epoch: a.result.epoch,
            });
        }
    }
    let receipt = oracle
        .claimPenalties(refs)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "claimPenalties reverted");
    let withdrawable = oracle
        .withdrawableOf(failing.consumer)
        .call()
        .await
        .unwrap();
    assert_eq!(withdrawable, failing.owed, "claimed exactly what was owed");
    assert!(outcomes[0].reputation > outcomes[1].reputation);

    stack.stop().await;
    scenario.finish().await.unwrap();
}
