//! A signed batch relayed through another contract (anyone may relay what they saw in the
//! mempool): the transaction's input is the relay's, so the contract repeats the records in
//! `ResultsRelayed`, and the indexer and the bindings' reader take them from there
//! (docs/indexer.md, "Relayed batches"). Before, such a batch stopped the indexer for good.

use alloy::providers::Provider;
use alloy::sol_types::SolEvent;
use sla_contracts::applied::submitted_results;
use sla_contracts::SlaOracle;

use super::support::*;

#[tokio::test]
async fn a_batch_relayed_through_a_contract_is_mirrored_from_its_event() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let (ids, epoch) = chain.provider_with_units(PENALTY * 3, 3).await;
        chain.advance_past(epoch).await;

        // Epoch e relayed (one violation), then e + 1 sent directly, then e relayed again with
        // another verdict: skipped, as the contract keeps the first.
        let relayed = [
            epoch_result(ids[0], 0),
            epoch_result(ids[1], 0b1),
            epoch_result(ids[2], 0),
        ];
        let receipt = chain.submit_relayed(epoch, 1, &relayed).await;
        let topics: Vec<_> = receipt
            .inner
            .logs()
            .iter()
            .filter_map(|l| l.topic0().copied())
            .collect();
        let at = |sig| topics.iter().position(|t| *t == sig);
        let (Some(records), Some(batch)) = (
            at(SlaOracle::ResultsRelayed::SIGNATURE_HASH),
            at(SlaOracle::ResultsSubmitted::SIGNATURE_HASH),
        ) else {
            panic!("a relayed batch logs ResultsRelayed and ResultsSubmitted: {topics:?}");
        };
        assert_eq!(records + 1, batch, "ResultsRelayed just before its batch");
        let tx = chain
            .oracle_as(ADMIN)
            .provider()
            .get_transaction_by_hash(receipt.transaction_hash)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(
            alloy::consensus::Transaction::to(&tx),
            Some(chain.deployment.contract),
            "the transaction went to the relay, not to the oracle"
        );

        chain.advance_past(epoch + 1).await;
        let direct = chain
            .submit(epoch + 1, 1, &[epoch_result(ids[0], 0b1)])
            .await;
        assert!(
            direct
                .inner
                .logs()
                .iter()
                .all(|l| l.topic0() != Some(&SlaOracle::ResultsRelayed::SIGNATURE_HASH)),
            "a direct batch does not repeat its records"
        );
        chain
            .submit_relayed(epoch, 1, &[epoch_result(ids[2], 0b1)])
            .await;

        let mut indexer = chain.indexer(&db.storage, 0);
        indexer.sync().await.unwrap();
        let mirror = db.storage.mirror();
        for (id, e, violations) in [
            (ids[0], epoch, 0),
            (ids[1], epoch, 0b1),
            (ids[2], epoch, 0),
            (ids[0], epoch + 1, 0b1),
        ] {
            let row = mirror
                .result(id, e)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("result of {id} in epoch {e} mirrored"));
            assert_eq!(row.result.violations, violations, "{id} epoch {e}");
        }
        let penalties = mirror.penalties(ids[1]).await.unwrap();
        assert_eq!(penalties.len(), 1);
        assert_eq!((penalties[0].epoch, penalties[0].amount), (epoch, PENALTY));
        assert!(
            mirror.penalties(ids[2]).await.unwrap().is_empty(),
            "skipped"
        );

        // The bindings' reader (auditor, claim, devstack) agrees: three batches, five records,
        // the last one skipped.
        let read = submitted_results(
            chain.oracle_as(ADMIN).provider(),
            chain.deployment.contract,
            0,
            None,
            None,
            &mut Default::default(),
        )
        .await
        .unwrap();
        let marks: Vec<(u64, u64, bool)> = read
            .iter()
            .map(|r| (r.applied.data_unit_id(), r.applied.epoch, r.was_applied))
            .collect();
        assert_eq!(
            marks,
            vec![
                (ids[0], epoch, true),
                (ids[1], epoch, true),
                (ids[2], epoch, true),
                (ids[0], epoch + 1, true),
                (ids[2], epoch, false),
            ]
        );
        assert_mirror_equals_chain(&chain, &db.storage, &[], &[PROVIDER, CONSUMER]).await;
    }
}
