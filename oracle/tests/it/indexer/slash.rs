//! Court decisions (docs/court.md) change providers without a result: a `Slash` moves stake to
//! consumers' withdrawable balances, mirrored from `ProviderSlashed` (stake down, bonded first)
//! and each `SlashCredited` (balance up); a `Remove` is mirrored from `ProviderSuspended`. The
//! mirror equals the contract's views on both backends.

use alloy::primitives::{keccak256, U256};
use alloy::signers::local::PrivateKeySigner;
use sla_contracts::court::{self, vote_commitment, vote_salt, Verdict};
use sla_contracts::{ISlaCourt::FaultFlag, SlaCourt};

use super::support::*;
use crate::send;

const DAY: u64 = 86_400;

#[tokio::test]
async fn a_slash_by_the_court_is_mirrored() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let (ids, epoch) = chain.provider_with_units(2 * ETHER, 2).await;
        // Part of the stake unbonding, so the slash takes from both buckets.
        send!(chain
            .oracle_as(PROVIDER)
            .requestUnbond(U256::from(2 * ETHER - ETHER / 10)));
        chain.advance_past(epoch + 1).await;

        // The default deployment's court: its one validator is the one oracle signer.
        let court_address = chain.deployment.court.expect("a court");
        let oracle_key: PrivateKeySigner = chain.anvil.keys()[ORACLE].clone().into();
        let flag = FaultFlag {
            provider: chain.address(PROVIDER),
            fromEpoch: epoch,
            toEpoch: epoch + 1,
            faultRateBps: 3000,
            evidenceRoot: keccak256(b"evidence"),
            dataUnitIds: ids.clone(),
            faults: vec![3, 1],
        };
        let digest = court::flag_digest(chain.deployment.chain_id, court_address, 1, &flag);
        let signatures = court::sign_flag(std::slice::from_ref(&oracle_key), digest).unwrap();
        let oracle = chain.oracle_as(ORACLE);
        let court = SlaCourt::new(court_address, oracle.provider().clone());
        send!(court.flagProvider(flag.clone(), signatures));
        let salt = vote_salt(&oracle_key, chain.deployment.chain_id, court_address, 1).unwrap();
        let commitment = vote_commitment(U256::from(1), Verdict::Slash, salt, oracle_key.address());
        send!(court.commitVote(U256::from(1), commitment));
        chain.advance(DAY).await;
        send!(court.revealVote(U256::from(1), Verdict::Slash.into(), salt));
        chain.advance(DAY).await;
        let receipt =
            send!(court.decide(U256::from(1), flag.dataUnitIds.clone(), flag.faults.clone()));
        assert!(
            receipt
                .decoded_log::<sla_contracts::SlaOracle::ProviderSlashed>()
                .is_some(),
            "the case slashed"
        );

        let mut indexer = chain.indexer(&db.storage, 0);
        indexer.sync().await.unwrap();
        assert_mirror_equals_chain(&chain, &db.storage, &[], &[PROVIDER, CONSUMER]).await;

        // A second case, on the next epochs, removes the provider.
        chain.advance_past(epoch + 3).await;
        let second = FaultFlag {
            fromEpoch: epoch + 2,
            toEpoch: epoch + 3,
            ..flag.clone()
        };
        let digest = court::flag_digest(chain.deployment.chain_id, court_address, 1, &second);
        let signatures = court::sign_flag(std::slice::from_ref(&oracle_key), digest).unwrap();
        send!(court.flagProvider(second.clone(), signatures));
        let salt = vote_salt(&oracle_key, chain.deployment.chain_id, court_address, 2).unwrap();
        let commitment =
            vote_commitment(U256::from(2), Verdict::Remove, salt, oracle_key.address());
        send!(court.commitVote(U256::from(2), commitment));
        chain.advance(DAY).await;
        send!(court.revealVote(U256::from(2), Verdict::Remove.into(), salt));
        chain.advance(DAY).await;
        send!(court.decide(U256::from(2), second.dataUnitIds, second.faults));
        indexer.sync().await.unwrap();
        let mirrored = db
            .storage
            .mirror()
            .provider(&chain.address(PROVIDER))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(mirrored.suspended_until, u64::MAX, "removed for good");
        // 10 % of 2 ether: 0.1 from the bond, 0.1 from unbonding; both shares to the consumer.
        let info = chain
            .oracle_as(ADMIN)
            .providerInfo(chain.address(PROVIDER))
            .call()
            .await
            .unwrap();
        assert_eq!(info.bonded, 0);
        assert_eq!(info.unbonding, 2 * ETHER - ETHER / 10 - ETHER / 10);
        assert_mirror_equals_chain(&chain, &db.storage, &[], &[PROVIDER, CONSUMER]).await;
        assert_eq!(
            db.storage
                .mirror()
                .withdrawable(&chain.address(CONSUMER))
                .await
                .unwrap(),
            ETHER / 5,
            "both shares"
        );
    }
}
