//! The oracle's transaction records survive a restart as they were written: a replacement is
//! planned with raised fees before it is signed, and a process that restarts in between must
//! sign it with those fees, not with a lower suggestion the node would refuse as underpriced.
//! On SQLite always and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set (mandatory with
//! `CI=true`).

use sla_storage::{OracleTx, TxState};

fn planned_replacement() -> OracleTx {
    OracleTx {
        id: 0,
        nonce: 7,
        epoch: 42,
        state: TxState::Planned,
        packed_results: vec![0xab; 74],
        config_version: 3,
        signatures: vec![0xcd; 65],
        raw_tx: None,
        tx_hash: None,
        // Above u64::MAX: fees are stored as decimal text, losslessly.
        max_fee_per_gas: Some(u128::from(u64::MAX) * 3 + 1),
        max_priority_fee_per_gas: Some(2_000_000_001),
        gas_limit: None,
        sent_at_ms: None,
        block_number: None,
        gas_used: None,
        error: None,
        created_at_ms: 1_700_000_000_000,
        updated_at_ms: 1_700_000_000_001,
        results: vec![(1, 42), (2, 42)],
    }
}

#[tokio::test]
async fn a_planned_transaction_is_read_back_with_its_fees_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "txs.sqlite")
        .await
        .unwrap()
    {
        let db = sla_storage::Database::connect(&url).await.unwrap();
        let mut tx = planned_replacement();
        tx.id = db.txs().insert(&tx).await.unwrap();
        db.close().await;

        let reopened = sla_storage::Database::connect(&url).await.unwrap();
        let planned = reopened.txs().in_states(&[TxState::Planned]).await.unwrap();
        assert_eq!(planned, vec![tx], "{url}");
        reopened.close().await;
    }
}
