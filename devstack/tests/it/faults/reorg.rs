//! Catalogue 19: a reorg (anvil `evm_snapshot`/`evm_revert`) drops the block holding the oracle's
//! transaction before it has its confirmations; the node forgets the transaction, the submitter
//! notices, sends the same signed bytes again, and the results land once.

use std::time::Duration;

use alloy::primitives::B256;
use alloy::providers::Provider;
use sla_storage::{RollupStatus, TxState};

use super::support::*;
use crate::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_that_drops_the_transaction_gets_it_sent_again_and_it_lands_once() {
    let mut h = Harness::start(Options { confirmations: 3 }).await;
    h.spawn_oracle(OracleRun::default());
    h.start_reporters();

    // Blocks stop right after epoch E closes; the chain as it is now is what the reorg keeps.
    let e = h.close_epoch_and_hold(h.first_epoch).await;
    let snapshot = h.snapshot().await;
    let sent = eventually!(h, 30, format!("epoch {e}'s results sent"), {
        h.tx_of_epoch(e, TxState::Sent).await
    });
    let hash = B256::from(sent.tx_hash.unwrap());

    // Mined: one confirmation of the three the oracle waits for.
    h.mine_one().await;
    let receipt = h
        .reader
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .expect("mined");
    let first_block = receipt.block_hash.unwrap();
    assert_eq!(h.applications_of(e).await, vec![1, 1]);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let row = h.txs().await.into_iter().find(|t| t.id == sent.id).unwrap();
    assert_eq!(
        row.state,
        TxState::Sent,
        "not counted before 3 confirmations"
    );
    assert!(h
        .rollups()
        .await
        .iter()
        .filter(|r| r.epoch == e)
        .all(|r| r.status == RollupStatus::Final));

    // The reorg: the block is gone and the node no longer knows the transaction.
    h.revert(snapshot).await;
    assert!(h
        .reader
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .is_none());
    assert_eq!(h.applications_of(e).await, vec![0, 0]);
    h.mine(2).await;
    h.mining(true).await;

    let landed = h.wait_applied_once(e, 40).await;
    assert_eq!(landed.id, sent.id, "the same row");
    assert_eq!(landed.tx_hash, sent.tx_hash, "the same signed bytes");
    assert!(
        landed.sent_at_ms > sent.sent_at_ms,
        "sent again after the reorg"
    );
    assert!(h.logs_contain("transaction unknown to the node; sending again"));
    let receipt = h
        .reader
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .expect("mined again");
    assert_ne!(
        receipt.block_hash.unwrap(),
        first_block,
        "in a block of the new chain"
    );

    h.settle(60).await;
    h.assert_end_state(&[]).await;
}
