//! Who signed each batch, read back from the chain (`sla_contracts::signers`): two batches of one
//! data unit, the first signed by two of three signers under config version 1, the second by the
//! two signers of version 2 after the admin changed the set. Each batch's signatures recover to
//! exactly its signers and satisfy its own version's set and quorum; checked against the other
//! version, the first batch names the signer that version does not have.

use alloy::primitives::utils::parse_ether;
use sla_contracts::applied::applied_submissions_of;
use sla_contracts::signers::{batch_signatures, signer_problems, signer_sets, BatchSignatures};
use sla_contracts::{pack_results, signing};

use crate::support::{result, terms, Chain};

async fn send<C: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<&alloy::providers::DynProvider, C>,
) {
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "transaction reverted");
}

#[tokio::test]
async fn each_batch_recovers_to_its_signers_under_its_own_config_version() {
    let chain = Chain::start_with_signers(&[7, 8, 9], 2).await;
    let (provider, consumer, admin) = (chain.oracle_as(1), chain.oracle_as(2), chain.oracle_as(0));
    send(provider.registerProvider()).await;
    send(provider.bond().value(parse_ether("1").unwrap())).await;
    let unit = consumer
        .requestAllocation(chain.address(1), terms())
        .call()
        .await
        .unwrap();
    send(consumer.requestAllocation(chain.address(1), terms())).await;
    send(provider.acceptAllocation(unit)).await;
    let first = consumer
        .getAllocation(unit)
        .call()
        .await
        .unwrap()
        .activeFromEpoch;

    // Version 1: signers 7, 8, 9, quorum 2; signed by two of them.
    chain.advance_past(first).await;
    let packed = pack_results(&[result(unit, 0)]);
    let digest = signing::batch_digest(
        chain.deployment.chain_id,
        chain.deployment.contract,
        1,
        first,
        &packed,
    );
    let two = &chain.oracle_signers[..2];
    send(consumer.submitResults(first, packed, signing::sign_batch(two, digest).unwrap())).await;

    // Version 2: the admin drops signer 7.
    let mut kept: Vec<_> = chain.oracle_signers[1..]
        .iter()
        .map(|s| s.address())
        .collect();
    kept.sort();
    send(admin.setOracleConfig(kept.clone(), 2)).await;
    let second = first + 1;
    chain.advance_past(second).await;
    let packed = pack_results(&[result(unit, 0)]);
    let digest = signing::batch_digest(
        chain.deployment.chain_id,
        chain.deployment.contract,
        2,
        second,
        &packed,
    );
    send(consumer.submitResults(
        second,
        packed,
        signing::sign_batch(&chain.oracle_signers[1..], digest).unwrap(),
    ))
    .await;

    let reader = chain.provider_as(3);
    let contract = chain.deployment.contract;
    let sets = signer_sets(&reader, contract, chain.deployment.deploy_block, None)
        .await
        .unwrap();
    assert_eq!(sets.len(), 2, "{sets:?}");
    assert_eq!(sets[&2].signers, kept);
    assert_eq!((sets[&1].quorum, sets[&2].quorum), (2, 2));
    let applied =
        applied_submissions_of(&reader, contract, chain.deployment.deploy_block, None, unit)
            .await
            .unwrap();
    assert_eq!(
        applied
            .iter()
            .map(|s| (s.applied.epoch, s.config_version))
            .collect::<Vec<_>>(),
        [(first, 1), (second, 2)]
    );
    let mut signed = Vec::new();
    for s in &applied {
        assert!(!s.relayed, "sent directly");
        let signatures = batch_signatures(
            &reader,
            chain.deployment.chain_id,
            contract,
            s.tx_hash,
            s.config_version,
            s.results_hash,
        )
        .await
        .unwrap()
        .unwrap();
        let problems = signer_problems(s.config_version, sets.get(&s.config_version), &signatures);
        assert!(problems.is_empty(), "{problems:?}");
        signed.push(signatures);
    }
    let mut first_signers: Vec<_> = two.iter().map(|s| s.address()).collect();
    first_signers.sort();
    assert_eq!(signed[0], BatchSignatures::Recovered(first_signers.clone()));
    assert_eq!(signed[1], BatchSignatures::Recovered(kept.clone()));
    // Under version 2 the first batch's signer 7 is a stranger.
    let dropped = chain.oracle_signers[0].address();
    let problems = signer_problems(2, Some(&sets[&2]), &signed[0]);
    assert!(
        problems.len() == 1 && problems[0].contains(&dropped.to_string()),
        "{problems:?}"
    );
}
