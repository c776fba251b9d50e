//! The long-running loop: mirrors as blocks arrive, stops on shutdown, exports its metrics.

use std::time::Duration;

use prometheus_client::registry::Registry;
use sla_oracle::indexer::IndexerMetrics;

use super::support::*;
use crate::send;

#[tokio::test]
async fn run_mirrors_new_blocks_until_shutdown() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let metrics = IndexerMetrics::default();
        let mut registry = Registry::with_prefix("sla");
        metrics.register(&mut registry);
        let indexer = chain.indexer(&db.storage, 0).with_metrics(metrics.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(indexer.run(async {
            let _ = stopped.await;
        }));

        let receipt = send!(chain.oracle_as(CONSUMER).registerKey(b256(key_of(1))));
        let mut mirrored = None;
        for _ in 0..200 {
            mirrored = db.storage.mirror().current_key(&key_of(1)).await.unwrap();
            if mirrored.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(mirrored.unwrap().account, chain.address(CONSUMER));
        assert!(metrics.last_indexed_block() >= receipt.block_number.unwrap() as i64);

        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("run stops on shutdown")
            .expect("task")
            .expect("run ends without error");

        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for name in [
            "sla_indexer_last_indexed_block",
            "sla_indexer_chain_head",
            "sla_indexer_lag_blocks",
            "sla_indexer_events_total",
            "sla_indexer_reorgs_total",
            "sla_indexer_errors_total",
        ] {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
    }
}
