//! Catalogue 20: another sender uses the oracle's nonces (the same key used elsewhere): the
//! transaction that held the nonce is marked `dropped`, its results are planned again under a
//! free nonce and land once.

use alloy::primitives::B256;
use alloy::providers::Provider;
use sla_storage::TxState;

use super::support::*;
use crate::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonce_used_by_another_sender_is_detected_and_the_results_planned_again() {
    let mut h = Harness::start(Options::default()).await;

    // The oracle signs its first transaction (nonce 0) and stops before sending it.
    h.spawn_oracle(OracleRun::crash_after("signed"));
    h.start_reporters();
    h.wait_for_crash(60).await;
    let tx0 = h.txs().await.remove(0);
    assert_eq!((tx0.state, tx0.nonce), (TxState::Signed, 0));

    // Meanwhile another sender with the oracle's key takes nonce 0, and nonce 1, the one the
    // oracle would pick next.
    h.foreign_tx(0).await;
    h.foreign_tx(1).await;

    h.spawn_oracle(OracleRun::default());
    let dropped = eventually!(h, 30, "tx0 marked dropped", {
        h.txs()
            .await
            .into_iter()
            .find(|t| t.id == tx0.id && t.state == TxState::Dropped)
    });
    assert!(
        dropped.error.as_deref().unwrap_or("").contains("nonce 0"),
        "{}",
        describe(&dropped)
    );
    let again = h.wait_applied_once(tx0.epoch, 40).await;
    assert_ne!(again.id, tx0.id);
    assert_eq!(
        again.results, tx0.results,
        "the same results, planned again"
    );
    assert_eq!(again.nonce, 2, "the first nonce nobody used");
    assert!(h
        .reader
        .get_transaction_receipt(B256::from(tx0.tx_hash.unwrap()))
        .await
        .unwrap()
        .is_none());
    assert!(h.metric("sla_oracle_dropped_nonces").await >= 1.0);

    h.settle(60).await;
    h.assert_end_state(&[0, 1]).await;
}
