//! Catalogue 18: a sent transaction gets stuck, first because no block comes for longer than
//! `--stuck-after-ms` (it stays pending at the node), then because the base fee jumps above its
//! fee cap (anvil evicts it and refuses its bytes as underpriced). Each time it is replaced (same
//! nonce and results) with fee cap and tip both at least 10 % higher, at least at the new base
//! fee, and the results land once. With a fee ceiling below what the spike needs, the oracle
//! raises the fee-ceiling alert instead, signs nothing above the ceiling, and the transaction
//! lands once when the fee falls.

use alloy::primitives::B256;
use alloy::providers::Provider;
use sla_storage::{OracleTx, TxState};

use super::support::*;
use crate::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_fee_spike_gets_the_stuck_transaction_replaced_and_past_the_ceiling_an_alert() {
    let mut h = Harness::start(Options::default()).await;
    h.spawn_oracle(OracleRun::default().flag("--stuck-after-ms", 2_000));
    h.start_reporters();

    // Blocks stop just after epoch E closes, so E's results wait in the pool at the fee the
    // oracle offered for the current base fee.
    let e = h.close_epoch_and_hold(h.first_epoch).await;
    let original = eventually!(h, 30, format!("epoch {e}'s results sent"), {
        h.tx_of_epoch(e, TxState::Sent).await
    });

    // No block for longer than --stuck-after-ms: replaced by the same nonce and results, fee cap
    // and tip +10 %, while the original is still pending at the node.
    let bumped = eventually!(h, 20, "a replacement of the pending transaction", {
        h.tx_of_epoch(e, TxState::Sent)
            .await
            .filter(|t| t.id != original.id)
    });
    assert_eq!(bumped.nonce, original.nonce);
    let fee = bumped.max_fee_per_gas.unwrap();

    // Then the base fee jumps far above its fee cap and blocks resume: the node evicts it as
    // underpriced and refuses its bytes, so it is replaced at the new base fee and lands.
    h.set_next_base_fee((fee * 20).max(10 * GWEI)).await;
    h.mining(true).await;
    let landed = h.wait_applied_once(e, 40).await;
    let rows: Vec<OracleTx> = h
        .txs()
        .await
        .into_iter()
        .filter(|t| t.nonce == original.nonce)
        .collect();
    assert!(
        rows.len() >= 3,
        "replaced while pending and after the spike: {rows:#?}"
    );
    assert_eq!(rows[0].id, original.id);
    for pair in rows.windows(2) {
        assert_eq!(pair[0].state, TxState::Replaced, "{}", describe(&pair[0]));
        assert_eq!(pair[1].results, original.results);
        assert!(
            bumped_ten_percent(&pair[0], &pair[1]),
            "fee cap and tip +10 %: {} -> {}",
            describe(&pair[0]),
            describe(&pair[1])
        );
    }
    assert_eq!(rows.last().unwrap().id, landed.id);
    assert!(h
        .reader
        .get_transaction_receipt(B256::from(original.tx_hash.unwrap()))
        .await
        .unwrap()
        .is_none());
    assert!(h.metric("sla_oracle_replacements").await >= 2.0);
    assert!(
        landed.max_fee_per_gas.unwrap() > 10 * GWEI,
        "priced for the spike"
    );

    // A ceiling of 3 gwei: enough for the normal base fee, far below what a 30 gwei spike needs.
    h.set_next_base_fee(GWEI).await;
    h.kill_oracle();
    h.spawn_oracle(
        OracleRun::default()
            .flag("--stuck-after-ms", 2_000)
            .flag("--max-fee-gwei", 3),
    );
    let e2 = h.close_epoch_and_hold(e + 1).await;
    let stuck = eventually!(h, 30, format!("epoch {e2}'s results sent"), {
        h.tx_of_epoch(e2, TxState::Sent).await
    });
    h.set_next_base_fee(30 * GWEI).await;
    h.mining(true).await;
    eventually!(h, 30, "the fee ceiling alert", {
        (h.metric("sla_oracle_fee_ceiling_alerts").await >= 1.0).then_some(())
    });
    for tx in h.txs().await.iter().filter(|t| t.nonce == stuck.nonce) {
        assert!(
            tx.max_fee_per_gas.unwrap() <= 3 * GWEI,
            "nothing above the ceiling: {}",
            describe(tx)
        );
    }
    assert_eq!(h.applications_of(e2).await, vec![0, 0], "still stuck");

    // The base fee falls back: the transaction lands, once.
    h.set_next_base_fee(GWEI / 10).await;
    let landed = h.wait_applied_once(e2, 40).await;
    assert_eq!(landed.nonce, stuck.nonce);
    h.settle(60).await;
    h.assert_end_state(&[]).await;
}
