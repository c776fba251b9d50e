//! Every kind of event, from real transactions, mirrored on both backends.

use alloy::primitives::{keccak256, U256};
use sla_protocol::parties::AllocationStatus;

use super::support::*;
use crate::send;

#[tokio::test]
async fn a_full_lifecycle_is_mirrored_exactly_as_the_contract_sees_it() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let admin = chain.oracle_as(ADMIN);
        let provider = chain.oracle_as(PROVIDER);
        let provider_b = chain.oracle_as(PROVIDER_B);
        let consumer = chain.oracle_as(CONSUMER);
        let consumer_b = chain.oracle_as(CONSUMER_B);

        // Providers, bonds, profiles (one retired).
        send!(provider.registerProvider());
        send!(provider.bond().value(U256::from(2 * ETHER)));
        send!(provider_b.registerProvider());
        send!(provider.publishProfile(sla_terms()));
        send!(provider.publishProfile(other_terms()));
        send!(provider.retireProfile(2));

        // du1 from the profile, accepted; du2 (provider B's) declined; du3 accepted then closed;
        // du4 left to expire. Ids are `providerId << 32 | n`.
        let (du1, du2, du3, du4) = (du(1, 1), du(2, 1), du(1, 2), du(1, 3));
        send!(consumer.requestAllocationFromProfile(1));
        let accepted = send!(provider.acceptAllocation(du1));
        send!(consumer.requestAllocation(chain.address(PROVIDER_B), sla_terms()));
        send!(provider_b.declineAllocation(du2));
        send!(consumer.requestAllocation(chain.address(PROVIDER), other_terms()));
        send!(provider.acceptAllocation(du3));
        let closed = send!(consumer.closeAllocation(du3));
        send!(consumer_b.requestAllocation(chain.address(PROVIDER), sla_terms()));

        // Keys: registered, rotated, revoked.
        send!(consumer.registerKey(b256(key_of(1))));
        send!(consumer.rotateKey(b256(key_of(1)), b256(key_of(2))));
        send!(provider.registerKey(b256(key_of(3))));
        send!(provider.revokeKey(b256(key_of(3))));

        // A new oracle set (version 2), stake moving to unbonding, a pause and an unpause.
        send!(admin.setOracleConfig(vec![chain.address(ORACLE), chain.address(SIGNER_B)], 1));
        send!(provider.requestUnbond(U256::from(ETHER / 2)));
        send!(admin.pause());
        send!(admin.unpause());

        // Results of the acceptance epoch: du1 violates read latency, du3 complies; the same
        // batch again is skipped. Then anyone claims the penalty for the consumer, who withdraws.
        let epoch = consumer
            .getAllocation(du1)
            .call()
            .await
            .unwrap()
            .activeFromEpoch;
        chain.advance_past(epoch).await;
        let results = vec![epoch_result(du1, 0b1), epoch_result(du3, 0)];
        let applied = chain.submit(epoch, 2, &results).await;
        chain.submit(epoch, 2, &results).await;
        send!(
            provider_b.claimPenalties(vec![sla_contracts::ISlaOracle::ResultRef {
                dataUnitId: du1,
                epoch
            }])
        );
        send!(consumer.withdraw());
        // The request of du4 is now past its expiry.
        chain.advance(u64::from(REQUEST_TTL) + 1).await;

        let mut indexer = chain.indexer(&db.storage, 0);
        let cursor = indexer.sync().await.unwrap();
        assert_eq!(cursor, Some(chain.head().await));
        let storage = &db.storage;

        let keys = [key_of(1), key_of(2), key_of(3), key_of(4)];
        let accounts = [PROVIDER, PROVIDER_B, CONSUMER, CONSUMER_B, ADMIN];
        assert_mirror_equals_chain(&chain, storage, &keys, &accounts).await;

        // Statuses as the ingest API reads them, and the times that date them.
        let status = |du| async move {
            storage
                .mirror()
                .current_allocation(du)
                .await
                .unwrap()
                .unwrap()
                .status
        };
        assert_eq!(status(du1).await, AllocationStatus::Active);
        assert_eq!(status(du2).await, AllocationStatus::Declined);
        assert_eq!(status(du3).await, AllocationStatus::Closed);
        assert_eq!(status(du4).await, AllocationStatus::Expired);
        let row1 = storage
            .mirror()
            .current_allocation(du1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row1.active_from_ms, chain.receipt_ms(&accepted).await);
        assert_eq!(row1.reporting_interval_ms(), 3_600_000);
        let row3 = storage.mirror().allocation(du3).await.unwrap().unwrap();
        assert_eq!(
            row3.allocation.closed_at_ms,
            Some(chain.receipt_ms(&closed).await)
        );
        assert_eq!(row3.closed_by, Some(chain.address(CONSUMER)));
        assert_eq!(row3.profile_id, 0);
        assert_eq!(
            storage
                .mirror()
                .allocation(du1)
                .await
                .unwrap()
                .unwrap()
                .profile_id,
            1
        );

        // Contract configuration, oracle set, roles, profiles.
        let contract = storage.mirror().contract().await.unwrap().unwrap();
        assert_eq!(contract.admin, chain.address(ADMIN));
        assert_eq!(contract.genesis_time, chain.deployment.genesis_time);
        assert_eq!(contract.epoch_length, EPOCH);
        assert_eq!(contract.submission_window, WINDOW);
        assert_eq!(contract.unbonding_delay, chain.deployment.unbonding_delay);
        assert_eq!(contract.allocation_request_ttl, REQUEST_TTL);
        assert_eq!(contract.origin.block_number, chain.deployment.deploy_block);
        let oracle = storage.mirror().oracle_config().await.unwrap().unwrap();
        assert_eq!(oracle.config_version, 2);
        assert_eq!(
            oracle.signers,
            vec![chain.address(ORACLE), chain.address(SIGNER_B)]
        );
        assert_eq!(
            storage.mirror().role_members(&[0; 32]).await.unwrap(),
            vec![chain.address(ADMIN)]
        );
        assert_eq!(
            storage
                .mirror()
                .role_members(&keccak256("PAUSER_ROLE").0)
                .await
                .unwrap(),
            vec![chain.address(ADMIN)]
        );
        let profile = storage.mirror().profile(1).await.unwrap().unwrap();
        assert!(!profile.retired);
        assert_eq!(profile.provider, chain.address(PROVIDER));
        assert_eq!(profile.terms, (&sla_terms()).into());
        assert!(storage.mirror().profile(2).await.unwrap().unwrap().retired);
        assert_eq!(storage.mirror().profile(3).await.unwrap(), None);

        // The applied results, read from the batch's calldata, with their transaction; the
        // penalty; both batches.
        let mirrored = storage.mirror().result(du1, epoch).await.unwrap().unwrap();
        let sent = &results[0];
        assert_eq!(mirrored.epoch, epoch);
        assert_eq!(mirrored.result.data_unit_id, du1);
        assert_eq!(mirrored.result.read_latency_us, sent.readLatencyUs);
        assert_eq!(mirrored.result.write_latency_us, sent.writeLatencyUs);
        assert_eq!(mirrored.result.upload_bps, sent.uploadBps);
        assert_eq!(mirrored.result.download_bps, sent.downloadBps);
        assert_eq!(mirrored.result.uptime_bps, sent.uptimeBps);
        assert_eq!(mirrored.result.error_rate_bps, sent.errorRateBps);
        assert_eq!(mirrored.result.operations, sent.operations);
        assert_eq!(mirrored.result.violations, 0b1);
        assert_eq!(mirrored.result.flags, 0);
        assert_eq!(mirrored.result.reports_root, sent.reportsRoot.0);
        assert_eq!(mirrored.origin.tx_hash, Some(applied.transaction_hash.0));
        assert_eq!(mirrored.origin.block_number, applied.block_number.unwrap());
        assert_eq!(storage.mirror().results(du3, 0, 10).await.unwrap().len(), 1);
        let penalties = storage.mirror().penalties(du1).await.unwrap();
        assert_eq!(penalties.len(), 1);
        assert_eq!(penalties[0].amount, PENALTY);
        assert_eq!(penalties[0].from_bonded, PENALTY);
        assert_eq!(penalties[0].from_unbonding, 0);
        assert_eq!(penalties[0].consumer, chain.address(CONSUMER));
        assert_eq!(penalties[0].provider, chain.address(PROVIDER));
        let batches = storage.mirror().batches(epoch).await.unwrap();
        assert_eq!(
            batches
                .iter()
                .map(|b| (b.applied, b.skipped, b.config_version))
                .collect::<Vec<_>>(),
            vec![(2, 0, 2), (0, 2, 2)]
        );
        assert_eq!(batches[0].submitter, chain.address(RELAYER));

        // Nothing was counted twice: one row per fact.
        let counts = storage.mirror().counts().await.unwrap();
        assert_eq!(counts.results, 2);
        // Skipped results are counted in their batch's row only (the contract emits no event
        // per result, so there is no per-result fact to store).
        assert_eq!(counts.skipped, 0);
        assert_eq!(counts.penalties, 1);
        assert_eq!(counts.batches, 2);
        assert_eq!(counts.oracle_configs, 2);
        assert_eq!(counts.pause_versions, 2);
        assert_eq!(counts.profile_versions, 3);
        // Requests (4), acceptances (2), a decline, a close, an expiry.
        assert_eq!(counts.allocation_versions, 9);
        // Register, rotate (revoke + register), register, revoke.
        assert_eq!(counts.key_versions, 5);
        // Consumer credited by the claim, then emptied by the withdrawal.
        assert_eq!(counts.balance_versions, 2);
        assert_eq!(
            indexer.metrics().last_indexed_block(),
            cursor.unwrap() as i64
        );
        assert_eq!(indexer.metrics().lag_blocks(), 0);
        assert!(indexer.metrics().events() > 0);
        assert_eq!(indexer.metrics().reorgs(), 0);
    }
}
