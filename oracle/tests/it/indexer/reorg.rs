//! Reorgs (anvil `evm_snapshot` / `evm_revert`, then other transactions) end with the mirror
//! equal to the new chain.

use alloy::primitives::U256;
use sla_protocol::parties::AllocationStatus;

use super::support::*;
use crate::send;

const ACCOUNTS: [usize; 3] = [PROVIDER, CONSUMER, CONSUMER_B];

#[tokio::test]
async fn a_reorg_shallower_than_the_confirmation_depth_leaves_the_mirror_equal_to_the_new_chain() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let provider = chain.oracle_as(PROVIDER);
        let consumer = chain.oracle_as(CONSUMER);
        let mut indexer = chain.indexer(&db.storage, 4);
        send!(provider.registerProvider());
        send!(provider.bond().value(U256::from(ETHER)));
        chain.mine(4).await;
        indexer.sync().await.unwrap();

        // Blocks that will be dropped: not yet confirmed, so not mirrored.
        let snapshot = chain.snapshot().await;
        send!(consumer.registerKey(b256(key_of(1))));
        send!(consumer.requestAllocation(chain.address(PROVIDER), sla_terms()));
        chain.mine(1).await;
        indexer.sync().await.unwrap();
        assert_eq!(
            db.storage.mirror().current_key(&key_of(1)).await.unwrap(),
            None
        );
        assert_eq!(
            db.storage.mirror().current_allocation(DU1).await.unwrap(),
            None
        );

        // The chain that stays: another key, the same data unit id with other terms.
        chain.revert(snapshot).await;
        // Contract handles cache their account's nonce: fresh ones for the new chain.
        let consumer = chain.oracle_as(CONSUMER);
        send!(consumer.registerKey(b256(key_of(2))));
        send!(consumer.requestAllocation(chain.address(PROVIDER), other_terms()));
        chain.mine(4).await;
        assert_eq!(indexer.sync().await.unwrap(), Some(chain.head().await - 4));

        assert_eq!(
            db.storage.mirror().current_key(&key_of(1)).await.unwrap(),
            None
        );
        assert!(db
            .storage
            .mirror()
            .current_key(&key_of(2))
            .await
            .unwrap()
            .is_some());
        let du = db
            .storage
            .mirror()
            .current_allocation(DU1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(du.reporting_interval_ms(), 600_000, "the new chain's terms");
        assert_mirror_equals_chain(&chain, &db.storage, &[key_of(1), key_of(2)], &ACCOUNTS).await;
        assert_eq!(indexer.metrics().reorgs(), 0);
    }
}

#[tokio::test]
async fn a_reorg_of_already_mirrored_blocks_is_rolled_back_and_read_again() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let provider = chain.oracle_as(PROVIDER);
        let consumer = chain.oracle_as(CONSUMER);
        let consumer_b = chain.oracle_as(CONSUMER_B);
        let mut indexer = chain.indexer(&db.storage, 1);
        send!(provider.registerProvider());
        send!(provider.bond().value(U256::from(ETHER)));
        send!(consumer.registerKey(b256(key_of(1))));
        chain.mine(1).await;
        indexer.sync().await.unwrap();
        let before = db.storage.mirror().counts().await.unwrap();

        // Mirrored (the reorg is deeper than the confirmation depth of 1), then dropped.
        let snapshot = chain.snapshot().await;
        send!(provider.bond().value(U256::from(ETHER)));
        send!(consumer.requestAllocation(chain.address(PROVIDER), sla_terms()));
        send!(provider.acceptAllocation(DU1));
        send!(consumer.rotateKey(b256(key_of(1)), b256(key_of(3))));
        send!(provider.registerKey(b256(key_of(4))));
        chain.mine(2).await;
        indexer.sync().await.unwrap();
        let du = db
            .storage
            .mirror()
            .current_allocation(DU1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(du.status, AllocationStatus::Active);
        assert!(db
            .storage
            .mirror()
            .current_key(&key_of(3))
            .await
            .unwrap()
            .is_some());

        // The new chain: other transactions, and longer than the dropped one.
        chain.revert(snapshot).await;
        let consumer = chain.oracle_as(CONSUMER);
        send!(consumer.requestAllocation(chain.address(PROVIDER), other_terms()));
        send!(consumer_b.registerKey(b256(key_of(5))));
        chain.mine(10).await;
        assert_eq!(indexer.sync().await.unwrap(), Some(chain.head().await - 1));
        assert_eq!(indexer.metrics().reorgs(), 1);

        let keys = [key_of(1), key_of(3), key_of(4), key_of(5)];
        assert_mirror_equals_chain(&chain, &db.storage, &keys, &ACCOUNTS).await;
        let du = db
            .storage
            .mirror()
            .current_allocation(DU1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(du.status, AllocationStatus::Requested);
        assert_eq!(du.reporting_interval_ms(), 600_000);
        let key = db.storage.mirror().current_key(&key_of(1)).await.unwrap();
        assert_eq!(
            key.unwrap().valid_until_ms,
            None,
            "the rotation was dropped"
        );
        let provider_state = db
            .storage
            .mirror()
            .provider(&chain.address(PROVIDER))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(provider_state.bonded, ETHER);

        // Exactly the rows of the surviving chain: nothing of the dropped blocks is left.
        let after = db.storage.mirror().counts().await.unwrap();
        assert_eq!(after.allocation_versions, before.allocation_versions + 1);
        assert_eq!(after.key_versions, before.key_versions + 1);
        assert_eq!(after.provider_versions, before.provider_versions);
    }
}

#[tokio::test]
async fn a_reorg_to_a_shorter_chain_is_rolled_back_too() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let consumer = chain.oracle_as(CONSUMER);
        let mut indexer = chain.indexer(&db.storage, 0);
        send!(consumer.registerKey(b256(key_of(1))));
        let kept = indexer.sync().await.unwrap();

        let snapshot = chain.snapshot().await;
        send!(consumer.registerKey(b256(key_of(2))));
        send!(consumer.revokeKey(b256(key_of(1))));
        indexer.sync().await.unwrap();
        assert!(db
            .storage
            .mirror()
            .current_key(&key_of(2))
            .await
            .unwrap()
            .is_some());

        // The chain goes back to the snapshot and stays shorter than the mirrored cursor.
        chain.revert(snapshot).await;
        assert_eq!(indexer.sync().await.unwrap(), kept);
        assert_eq!(indexer.metrics().reorgs(), 1);
        assert_mirror_equals_chain(&chain, &db.storage, &[key_of(1), key_of(2)], &[CONSUMER]).await;
    }
}

/// A reorg that drops a policy's agreement drops it from the mirror (and the proposal with it
/// when that goes too); the new chain's agreement of another policy is what stays.
#[tokio::test]
async fn a_reorg_rolls_back_an_agreed_policy() {
    use alloy::providers::Provider as _;
    use sla_contracts::{ISlaPolicies, SlaPolicies};
    use sla_protocol::policy::{Policy, Tier};
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let (ids, _) = chain.provider_with_units(10u128.pow(18), 1).await;
        let unit = ids[0];
        let policies = chain.deployment.policies.expect("deployed");
        let as_party = |index: usize| {
            let signer: alloy::signers::local::PrivateKeySigner =
                chain.anvil.keys()[index].clone().into();
            SlaPolicies::new(
                policies,
                alloy::providers::ProviderBuilder::new()
                    .wallet(alloy::network::EthereumWallet::from(signer))
                    .connect_http(chain.anvil.endpoint_url())
                    .erased(),
            )
        };
        let (consumer, provider) = (as_party(CONSUMER), as_party(PROVIDER));
        let policy = |share: u8| {
            let mut p = Policy::default();
            p.tiers[0][0] = Tier {
                bound: 60_000,
                share_pct: share,
            };
            p
        };
        let mut indexer = chain.indexer(&db.storage, 0);
        indexer.sync().await.unwrap();

        let snapshot = chain.snapshot().await;
        let first = ISlaPolicies::Policy::from(&policy(10));
        let hash = consumer
            .proposePolicy(unit, first.clone())
            .call()
            .await
            .unwrap();
        send!(consumer.proposePolicy(unit, first));
        send!(provider.agreePolicy(unit, hash));
        indexer.sync().await.unwrap();
        let mirrored = db.storage.mirror().agreed_policy(unit).await.unwrap();
        assert_eq!(mirrored.map(|p| p.policy), Some(policy(10)));

        // The chain goes back and agrees another policy instead (with new wallets: the old ones
        // would keep the reverted nonces).
        chain.revert(snapshot).await;
        let (consumer, provider) = (as_party(CONSUMER), as_party(PROVIDER));
        let second = ISlaPolicies::Policy::from(&policy(40));
        let hash = consumer
            .proposePolicy(unit, second.clone())
            .call()
            .await
            .unwrap();
        send!(consumer.proposePolicy(unit, second));
        send!(provider.agreePolicy(unit, hash));
        chain.mine(2).await;
        indexer.sync().await.unwrap();
        assert_eq!(indexer.metrics().reorgs(), 1);
        let mirrored = db
            .storage
            .mirror()
            .agreed_policy(unit)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(mirrored.policy, policy(40), "the new chain's policy");
        assert_eq!(mirrored.policy_hash, hash.0);
    }
}
