//! Gas per data-unit result from real anvil receipts (the figures in contracts/GAS.md), results
//! packed as `submitResults` takes them (74 bytes each), for a provider with 100 data units (the
//! issue's network has 100 per provider: a batch of 100 sorted by id is one provider's run).

use alloy::primitives::utils::parse_ether;

use sla_contracts::pack_results;

use crate::support::{result, terms, Chain};

/// The target for gas per data-unit result at batch 100, 10 % violating.
const TARGET_AT_BATCH_100: u64 = 2_500;
/// The cases: (batch size, every how many results one violates; 0 = none).
const CASES: [(usize, usize); 4] = [(1, 0), (10, 0), (100, 0), (100, 10)];
/// Gas per data-unit result of each case: the GAS.md figures plus ~2 %.
const REGRESSION_BOUNDS: [u64; 4] = [73_600, 8_550, 2_465, 2_520];

#[tokio::test]
async fn gas_per_result_at_batch_100_stays_within_its_bound() {
    let chain = Chain::start().await;
    let provider = chain.oracle_as(1);
    let consumer = chain.oracle_as(2);
    provider
        .registerProvider()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    provider
        .bond()
        .value(parse_ether("100").unwrap())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..100 {
        let id = consumer
            .requestAllocation(chain.address(1), terms())
            .call()
            .await
            .unwrap();
        consumer
            .requestAllocation(chain.address(1), terms())
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        provider
            .acceptAllocation(id)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        ids.push(id);
    }
    let first = consumer
        .getAllocation(ids[0])
        .call()
        .await
        .unwrap()
        .activeFromEpoch;
    let mut per_result = Vec::new();
    // Each case on its own epoch, so every result is applied (none skipped).
    for (round, (size, violate_every)) in CASES.into_iter().enumerate() {
        let epoch = first + round as u64;
        chain.advance_past(epoch).await;
        let results: Vec<_> = ids[..size]
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let violating = violate_every != 0 && i % violate_every == 0;
                result(id, u8::from(violating))
            })
            .collect();
        let packed = pack_results(&results);
        let receipt = consumer
            .submitResults(epoch, packed.clone(), chain.sign(epoch, &packed))
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
        let gas = receipt.gas_used;
        println!(
            "batch {size:>3}, 1 in {violate_every} violating: {gas} gas, {} per data-unit result",
            gas / size as u64
        );
        per_result.push(gas / size as u64);
    }
    // The target: <= 2,500 gas per data-unit result at batch 100, 10 % violating, with
    // realistic (random) report roots; per-case regression bounds are the contracts/GAS.md
    // figures plus ~2 %.
    assert!(
        per_result[3] <= TARGET_AT_BATCH_100,
        "batch 100, 10 % violating: {} gas per result, above the target {TARGET_AT_BATCH_100}",
        per_result[3]
    );
    for ((case, got), bound) in CASES.iter().zip(&per_result).zip(REGRESSION_BOUNDS) {
        assert!(
            *got <= bound,
            "{case:?}: {got} gas per result, regression bound {bound}"
        );
    }
}
