//! Penalties the contract takes into escrow, per run of a provider's results, derived per result
//! by the indexer (docs/indexer.md, "Result batches"): a stake that runs out part-way, a run with
//! nothing left to take, and the claim that credits the consumer. The mirror must say what the
//! contract's `resultOf` says, result by result.

use alloy::primitives::U256;

use super::support::*;
use crate::send;

#[tokio::test]
async fn penalties_of_a_run_are_shared_out_in_record_order_until_the_stake_runs_out() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let consumer = chain.oracle_as(CONSUMER);
        let stranger = chain.oracle_as(CONSUMER_B);

        // A stake of 2.5 penalties and four data units of one provider.
        let (ids, epoch) = chain.provider_with_units(PENALTY * 5 / 2, 4).await;
        chain.advance_past(epoch).await;
        // du 1 complies; du 2, 3, 4 violate: 1 and 1 and 0.5 penalty; then nothing is left.
        let results = vec![
            epoch_result(ids[0], 0),
            epoch_result(ids[1], 0b1),
            epoch_result(ids[2], 0b10),
            epoch_result(ids[3], 0b1),
        ];
        chain.submit(epoch, 1, &results).await;
        // The next epoch: a violation with the stake already empty owes nothing.
        chain.advance_past(epoch + 1).await;
        chain
            .submit(epoch + 1, 1, &[epoch_result(ids[1], 0b1)])
            .await;
        // A stranger claims the partial penalty: the consumer is credited.
        send!(
            stranger.claimPenalties(vec![sla_contracts::ISlaOracle::ResultRef {
                dataUnitId: ids[3],
                epoch
            }])
        );

        let mut indexer = chain.indexer(&db.storage, 0);
        indexer.sync().await.unwrap();
        let mirror = db.storage.mirror();

        let expected = [(ids[1], PENALTY), (ids[2], PENALTY), (ids[3], PENALTY / 2)];
        let mut bonded_left = PENALTY * 5 / 2;
        for (id, amount) in expected {
            let rows = mirror.penalties(id).await.unwrap();
            assert_eq!(rows.len(), 1, "one penalty of data unit {id}");
            let row = &rows[0];
            assert_eq!((row.epoch, row.amount), (epoch, amount), "data unit {id}");
            assert_eq!(row.from_bonded + row.from_unbonding, amount);
            assert_eq!(row.from_bonded, amount.min(bonded_left));
            bonded_left -= row.from_bonded;
            assert_eq!(row.consumer, chain.address(CONSUMER));
            assert_eq!(row.provider, chain.address(PROVIDER));
            // What the contract says is still owed (the claimed one: nothing).
            let on_chain = consumer.resultOf(id, epoch).call().await.unwrap();
            assert!(on_chain.applied);
            let owed = if id == ids[3] { 0 } else { amount };
            assert_eq!(on_chain.penaltyOwed, U256::from(owed), "data unit {id}");
        }
        assert!(mirror.penalties(ids[0]).await.unwrap().is_empty());
        let later = mirror.penalties(ids[1]).await.unwrap();
        assert!(
            later.iter().all(|p| p.epoch == epoch),
            "the empty stake owed nothing in epoch {}: {later:?}",
            epoch + 1
        );
        assert!(mirror.result(ids[1], epoch + 1).await.unwrap().is_some());

        let state = mirror
            .provider(&chain.address(PROVIDER))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((state.bonded, state.unbonding), (0, 0));
        assert_eq!(
            mirror.withdrawable(&chain.address(CONSUMER)).await.unwrap(),
            PENALTY / 2,
            "credited by the claim"
        );
        assert_mirror_equals_chain(&chain, &db.storage, &[], &[PROVIDER, CONSUMER]).await;
    }
}
