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

/// `sla-oracle --index-only`: the indexer alone, with no key, mirrors the chain (e.g. for an
/// ingest API replica with a database of its own); without it, the key is required.
#[tokio::test]
async fn the_service_runs_the_indexer_alone_with_index_only_and_no_key() {
    use clap::Parser;
    use sla_oracle::config::OracleConfig;

    let chain = Chain::start().await;
    let dir = tempfile::tempdir().unwrap();
    let deployment = dir.path().join("deployment.json");
    chain.deployment.write(&deployment).unwrap();
    let database_url = format!("sqlite:{}", dir.path().join("replica.sqlite").display());
    let endpoint = chain.anvil.endpoint_url().to_string();
    let args = |extra: &[&str]| {
        let mut args = vec![
            "sla-oracle",
            "--rpc-url",
            &endpoint,
            "--deployment",
            deployment.to_str().unwrap(),
            "--database-url",
            &database_url,
            "--metrics-listen",
            "127.0.0.1:0",
            "--indexer-poll-ms",
            "50",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let refused = OracleConfig::try_parse_from(args(&[]))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("--oracle-key"), "{refused}");

    let config = OracleConfig::try_parse_from(args(&["--index-only"])).unwrap();
    assert_eq!(
        config.indexer.confirmations(&chain.deployment),
        0,
        "anvil is a dev chain"
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(sla_oracle::service::run(config, async {
        let _ = stopped.await;
    }));
    send!(chain.oracle_as(CONSUMER).registerKey(b256(key_of(1))));
    let db = sla_storage::Database::connect(&database_url).await.unwrap();
    let mut mirrored = None;
    for _ in 0..200 {
        mirrored = db.mirror().current_key(&key_of(1)).await.unwrap();
        if mirrored.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mirrored.expect("indexed").account, chain.address(CONSUMER));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), service)
        .await
        .expect("stops on shutdown")
        .unwrap()
        .expect("no error");
    // Nothing but the indexer ran: no roll-up progress, no transactions.
    assert_eq!(db.rollups().cursor().await.unwrap(), 0);
    assert!(db.txs().counts().await.unwrap().is_empty());
}
