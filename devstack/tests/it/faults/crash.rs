//! Catalogue 17: the oracle dies between signing and sending, between sending and recording, and
//! right after recording `sent`; each restart resumes where the database says it stopped, no
//! result is applied twice and the nonces stay contiguous.

use alloy::primitives::B256;
use alloy::providers::Provider;
use sla_storage::TxState;

use super::support::*;
use crate::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_signing_and_sending_and_between_sending_and_recording() {
    let mut h = Harness::start(Options::default()).await;

    // Run 1 aborts right after recording its first transaction `signed`: it was never sent.
    h.spawn_oracle(OracleRun::crash_after("signed"));
    h.start_reporters();
    h.wait_for_crash(60).await;
    let txs = h.txs().await;
    assert_eq!(txs.len(), 1, "one transaction recorded before the crash");
    let tx0 = txs[0].clone();
    assert_eq!((tx0.state, tx0.nonce), (TxState::Signed, 0));
    assert_eq!(tx0.results.len(), 2, "both data units in one batch");
    let hash0 = B256::from(tx0.tx_hash.expect("signed transactions have a hash"));
    assert!(
        h.reader
            .get_transaction_by_hash(hash0)
            .await
            .unwrap()
            .is_none(),
        "the node never saw the signed transaction"
    );

    // Run 2 (same hook) sends the recorded bytes of tx0 as they are, then aborts at its next
    // signing: tx1 for a later epoch.
    h.spawn_oracle(OracleRun::crash_after("signed"));
    h.wait_for_crash(60).await;
    let txs = h.txs().await;
    let row0 = txs.iter().find(|t| t.id == tx0.id).unwrap();
    assert!(
        matches!(row0.state, TxState::Sent | TxState::Confirmed),
        "tx0 sent again after the restart: {}",
        describe(row0)
    );
    assert_eq!(
        row0.tx_hash, tx0.tx_hash,
        "the same signed bytes, not a new transaction"
    );
    let tx1 = txs.iter().max_by_key(|t| t.id).unwrap().clone();
    assert_eq!((tx1.state, tx1.nonce), (TxState::Signed, 1));
    assert!(tx1.epoch > tx0.epoch);

    // Between sending and recording: the bytes reach the node and are mined, the database still
    // says `signed` (the process died before it could record `sent`).
    let raw = tx1.raw_tx.clone().unwrap();
    let receipt = h
        .reader
        .send_raw_transaction(&raw)
        .await
        .expect("broadcast tx1")
        .get_receipt()
        .await
        .expect("tx1 mined");
    assert!(receipt.status());

    // Run 3 (no hook) finds tx1 mined, records it confirmed and goes on with later epochs.
    h.spawn_oracle(OracleRun::default());
    let confirmed = h.wait_applied_once(tx1.epoch, 40).await;
    assert_eq!(
        confirmed.id, tx1.id,
        "tx1's own row is confirmed, nothing planned again"
    );
    assert_eq!(confirmed.tx_hash, tx1.tx_hash);
    h.wait_applied_once(tx1.epoch + 1, 40).await;
    h.settle(60).await;
    h.assert_end_state(&[]).await;
    let txs = h.txs().await;
    for tx in [&tx0, &tx1] {
        let carrying: Vec<_> = txs
            .iter()
            .filter(|t| t.results.iter().any(|r| tx.results.contains(r)))
            .collect();
        assert_eq!(carrying.len(), 1, "one transaction for epoch {}", tx.epoch);
        assert_eq!(carrying[0].state, TxState::Confirmed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_right_after_recording_sent_then_killed_at_rest() {
    let mut h = Harness::start(Options::default()).await;

    // Run 1 aborts right after recording its first transaction `sent`.
    h.spawn_oracle(OracleRun::crash_after("sent"));
    h.start_reporters();
    h.wait_for_crash(60).await;
    let txs = h.txs().await;
    assert_eq!(txs.len(), 1);
    let tx0 = txs[0].clone();
    assert_eq!((tx0.state, tx0.nonce), (TxState::Sent, 0));

    // Run 2 looks the transaction up by hash and records it confirmed.
    h.spawn_oracle(OracleRun::default());
    let confirmed = h.wait_applied_once(tx0.epoch, 40).await;
    assert_eq!((confirmed.id, confirmed.tx_hash), (tx0.id, tx0.tx_hash));

    // kill -9 at rest, between two epochs, and once more a restart.
    let next = h.wait_applied_once(tx0.epoch + 1, 40).await;
    h.kill_oracle();
    h.spawn_oracle(OracleRun::default());
    let later = eventually!(h, 40, "a transaction after the kill", {
        h.txs()
            .await
            .into_iter()
            .find(|t| t.epoch > next.epoch && t.state == TxState::Confirmed)
    });
    h.wait_applied_once(later.epoch, 10).await;
    h.settle(60).await;
    h.assert_end_state(&[]).await;
}

/// A replacement is signed (and recorded) but the process dies before sending it, and the
/// original it replaces is mined meanwhile: the original is what landed. The restart must record
/// it `confirmed` (not take the nonce for another sender's and plan the results again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_signing_a_replacement_and_sending_it_while_the_original_lands() {
    let mut h = Harness::start(Options::default()).await;
    h.spawn_oracle(OracleRun::default().flag("--stuck-after-ms", 2_000));
    h.start_reporters();

    // E's transaction waits in the pool: no blocks.
    let e = h.close_epoch_and_hold(h.first_epoch).await;
    let original = eventually!(h, 30, format!("epoch {e}'s results sent"), {
        h.tx_of_epoch(e, TxState::Sent).await
    });
    // A restarted oracle finds it stuck, signs a replacement and dies before sending it.
    h.kill_oracle();
    h.spawn_oracle(OracleRun::crash_after("signed").flag("--stuck-after-ms", 2_000));
    h.wait_for_crash(30).await;
    let txs = h.txs().await;
    let replacement = txs.iter().max_by_key(|t| t.id).unwrap().clone();
    assert_eq!(
        (replacement.nonce, replacement.state),
        (original.nonce, TxState::Signed)
    );
    let old = txs.iter().find(|t| t.id == original.id).unwrap();
    assert_eq!(old.state, TxState::Replaced);

    // Blocks resume: the original, still in the pool, is mined.
    h.mining(true).await;
    let hash = B256::from(original.tx_hash.unwrap());
    eventually!(h, 20, "the original mined", {
        h.reader.get_transaction_receipt(hash).await.unwrap()
    });

    h.spawn_oracle(OracleRun::default().flag("--stuck-after-ms", 2_000));
    let landed = h.wait_applied_once(e, 30).await;
    assert_eq!(
        landed.id, original.id,
        "the original is recorded as what landed"
    );
    let replacement = h
        .txs()
        .await
        .into_iter()
        .find(|t| t.id == replacement.id)
        .unwrap();
    assert_eq!(
        replacement.state,
        TxState::Replaced,
        "{}",
        describe(&replacement)
    );
    h.wait_applied_once(e + 1, 30).await;
    h.settle(60).await;
    h.assert_end_state(&[]).await;
}
