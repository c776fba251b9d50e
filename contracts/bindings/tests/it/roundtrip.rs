use std::collections::HashSet;

use alloy::{
    primitives::{utils::parse_ether, B256, U256},
    sol_types::SolEvent,
};
use sla_contracts::{
    applied::submitted_results,
    pack_results, signing, unpack_results, ISlaOracle,
    SlaOracle::{PenaltiesEscrowed, PenaltyClaimed, ReputationUpdated, ResultsSubmitted},
};

use crate::support::{result, terms, Chain, PENALTY};

/// RFC 8032 test key 1: an ordinary ed25519 public key.
const REPORTER_KEY: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

#[tokio::test]
async fn provider_profile_allocation_key_and_one_signed_result_round_trip() {
    let chain = Chain::start().await;
    let provider = chain.oracle_as(1);
    let consumer = chain.oracle_as(2);

    // Provider registers, bonds 1 ether and publishes a profile.
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
        .value(parse_ether("1").unwrap())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let profile_id = provider.publishProfile(terms()).call().await.unwrap();
    provider
        .publishProfile(terms())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(profile_id, 1);

    // Consumer allocates from the profile; provider accepts; consumer registers a reporter key.
    let data_unit = consumer
        .requestAllocationFromProfile(profile_id)
        .call()
        .await
        .unwrap();
    consumer
        .requestAllocationFromProfile(profile_id)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    provider
        .acceptAllocation(data_unit)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    consumer
        .registerKey(B256::from(REPORTER_KEY))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();

    let info = consumer.getAllocation(data_unit).call().await.unwrap();
    assert_eq!(info.consumer, chain.address(2));
    assert_eq!(info.provider, chain.address(1));
    assert_eq!(info.status, 2, "Active");
    assert_eq!(info.profileId, profile_id);
    let key = consumer
        .keyInfo(B256::from(REPORTER_KEY))
        .call()
        .await
        .unwrap();
    assert_eq!(key.owner, chain.address(2));
    assert_eq!(key.validUntil, 0);

    // Epoch of acceptance closes; the oracle signs one violating result (read latency) in Rust.
    let epoch = info.activeFromEpoch;
    chain.advance_past(epoch).await;
    let results = vec![result(data_unit, 0b1)];
    // The contract has no packing view any more (removed for bytecode room): that it reads the
    // Rust packing as meant is checked below, by the result and penalty it applies.
    let packed = pack_results(&results);
    assert_eq!(unpack_results(&packed).unwrap(), results);
    let ours = signing::batch_digest(
        chain.deployment.chain_id,
        chain.deployment.contract,
        1,
        epoch,
        &packed,
    );
    let theirs = consumer
        .resultBatchDigest(epoch, packed.clone())
        .call()
        .await
        .unwrap();
    assert_eq!(ours, theirs, "the Rust EIP-712 digest is the contract's");

    // Anyone may relay the signed batch: the consumer does.
    let receipt = consumer
        .submitResults(epoch, packed.clone(), chain.sign(epoch, &packed))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());

    // The applied result, read back from the transaction's calldata (no event per result).
    let logs = receipt.inner.logs();
    let submitted = submitted_results(
        consumer.provider(),
        chain.deployment.contract,
        0,
        None,
        Some(data_unit),
        &mut HashSet::new(),
    )
    .await
    .unwrap();
    assert_eq!(submitted.len(), 1);
    assert!(submitted[0].was_applied);
    assert_eq!(submitted[0].applied.epoch, epoch);
    assert_eq!(
        ISlaOracle::EpochResult::from(&submitted[0].applied.result),
        results[0],
        "every field read back from calldata"
    );

    // The penalty went from the bond into escrow, owed to the consumer.
    let penalty = logs
        .iter()
        .find_map(|l| PenaltiesEscrowed::decode_log_data(l.data()).ok())
        .unwrap();
    assert_eq!(
        (
            penalty.provider,
            penalty.epoch,
            penalty.amount,
            penalty.fromBonded
        ),
        (
            chain.address(1),
            epoch,
            U256::from(PENALTY),
            U256::from(PENALTY)
        )
    );
    let reputation = logs
        .iter()
        .find_map(|l| ReputationUpdated::decode_log_data(l.data()).ok())
        .unwrap();
    // Score = 10000 - weight of read latency (2000); (5000 * 7 + 8000) / 8 = 5375.
    assert_eq!(
        (reputation.oldReputation, reputation.newReputation),
        (5000, 5375)
    );
    let batch = logs
        .iter()
        .find_map(|l| ResultsSubmitted::decode_log_data(l.data()).ok())
        .unwrap();
    assert_eq!(batch.resultsHash, signing::results_hash(&packed));
    assert_eq!(
        (batch.firstDataUnitId, batch.lastDataUnitId),
        (data_unit, data_unit)
    );
    assert_eq!(
        (batch.applied, batch.skipped),
        (
            alloy::primitives::U256::from(1),
            alloy::primitives::U256::ZERO
        )
    );

    // Stored state.
    assert_eq!(
        consumer
            .reputationOf(chain.address(1))
            .call()
            .await
            .unwrap(),
        5375
    );
    let owed = consumer.resultOf(data_unit, epoch).call().await.unwrap();
    assert!(owed.applied);
    assert_eq!(owed.penaltyOwed, U256::from(PENALTY));
    assert_eq!(
        consumer
            .withdrawableOf(chain.address(2))
            .call()
            .await
            .unwrap(),
        U256::ZERO,
        "nothing is credited before the claim"
    );
    let stake = consumer
        .providerInfo(chain.address(1))
        .call()
        .await
        .unwrap();
    assert_eq!(
        stake.bonded,
        parse_ether("1").unwrap().to::<u128>() - PENALTY
    );

    // Resubmitting the same batch is harmless: skipped, not applied twice.
    let again = consumer
        .submitResults(epoch, packed.clone(), chain.sign(epoch, &packed))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let batch = again
        .inner
        .logs()
        .iter()
        .find_map(|l| ResultsSubmitted::decode_log_data(l.data()).ok())
        .unwrap();
    assert_eq!(
        (batch.applied, batch.skipped),
        (
            alloy::primitives::U256::ZERO,
            alloy::primitives::U256::from(1)
        )
    );

    // Anyone may claim (the provider does): the consumer is credited, once.
    let refs = vec![ISlaOracle::ResultRef {
        dataUnitId: data_unit,
        epoch,
    }];
    let claim = provider
        .claimPenalties(refs.clone())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let claimed = claim
        .inner
        .logs()
        .iter()
        .find_map(|l| PenaltyClaimed::decode_log_data(l.data()).ok())
        .unwrap();
    assert_eq!(
        (claimed.dataUnitId, claimed.consumer, claimed.amount),
        (data_unit, chain.address(2), U256::from(PENALTY))
    );
    assert_eq!(
        consumer
            .withdrawableOf(chain.address(2))
            .call()
            .await
            .unwrap(),
        U256::from(PENALTY)
    );
    let Err(err) = provider.claimPenalties(refs).call().await else {
        panic!("a penalty was claimed twice");
    };
    assert!(matches!(
        err.as_decoded_interface_error::<sla_contracts::SlaOracle::SlaOracleErrors>(),
        Some(sla_contracts::SlaOracle::SlaOracleErrors::NoPenaltyOwed(_))
    ));
}

#[tokio::test]
async fn a_revert_decodes_into_the_contracts_custom_error() {
    let chain = Chain::start().await;
    let consumer = chain.oracle_as(2);
    let Err(err) = consumer.acceptAllocation(7).call().await else {
        panic!("accepting an unknown allocation succeeded");
    };
    let decoded = err.as_decoded_interface_error::<sla_contracts::SlaOracle::SlaOracleErrors>();
    match decoded {
        Some(sla_contracts::SlaOracle::SlaOracleErrors::UnknownAllocation(e)) => {
            assert_eq!(e.dataUnitId, 7)
        }
        other => panic!("expected UnknownAllocation(7), got {other:?}"),
    }
    // A packed batch that is not a whole number of 74-byte records (checked before anything else).
    let one = pack_results(&[result(1, 0)]);
    let Err(err) = consumer
        .submitResults(0, [one.as_ref(), &[0]].concat().into(), vec![])
        .call()
        .await
    else {
        panic!("a 75-byte batch was accepted");
    };
    match err.as_decoded_interface_error::<sla_contracts::SlaOracle::SlaOracleErrors>() {
        Some(sla_contracts::SlaOracle::SlaOracleErrors::InvalidResultsLength(e)) => {
            assert_eq!(e.length, alloy::primitives::U256::from(75))
        }
        other => panic!("expected InvalidResultsLength(75), got {other:?}"),
    }
}
