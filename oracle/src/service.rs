//! Wiring: the indexer, the aggregator and the submitter run side by side on one database and
//! one RPC endpoint, with one metrics endpoint, until shutdown.

use std::sync::Arc;
use std::time::Duration;

use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use axum::routing::get;
use prometheus_client::registry::Registry;
use sla_contracts::Deployment;
use sla_protocol::aggregate::EpochConfig;
use tokio::sync::watch;

use crate::aggregator::{Aggregator, AggregatorConfig};
use crate::config::OracleConfig;
use crate::indexer::{Indexer, IndexerMetrics};
use crate::submitter::{Submitter, SubmitterConfig, SubmitterMetrics};

/// Runs the oracle until `shutdown` completes.
pub async fn run(
    config: OracleConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let deployment = Deployment::read(&config.deployment)?;
    let storage = sla_storage::connect(&config.database_url).await?;
    let signer: PrivateKeySigner = config
        .oracle_key
        .trim_start_matches("0x")
        .parse()
        .map_err(|e| anyhow::anyhow!("--oracle-key is not a private key: {e}"))?;
    let url = config.rpc_url.parse()?;
    let provider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_http(url)
        .erased();
    let chain_id = provider.get_chain_id().await?;
    anyhow::ensure!(
        chain_id == deployment.chain_id,
        "the RPC serves chain {chain_id}, the deployment file is for chain {}",
        deployment.chain_id
    );
    let epochs = EpochConfig::new(deployment.genesis_time, deployment.epoch_length)?;

    let mut registry = Registry::with_prefix("sla");
    let indexer_metrics = IndexerMetrics::default();
    indexer_metrics.register(&mut registry);
    let submitter_metrics = Arc::new(SubmitterMetrics::default());
    submitter_metrics.register(&mut registry);

    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };

    let indexer = Indexer::new(
        config.indexer.config(&deployment),
        storage.clone(),
        provider.clone(),
    )
    .with_metrics(indexer_metrics);
    let aggregator = Aggregator::new(
        storage.clone(),
        AggregatorConfig {
            epochs,
            grace_ms: config.grace_ms,
            page_size: 1_000,
        },
    );
    let submitter = Submitter::new(
        SubmitterConfig {
            chain_id,
            contract: deployment.contract,
            epochs,
            submission_window_s: u64::from(deployment.submission_window),
            confirmations: config.indexer.confirmations.max(1),
            max_batch: config.max_batch.max(1),
            stuck_after: Duration::from_millis(config.stuck_after_ms),
            fee_bump_percent: u128::from(config.fee_bump_percent),
            max_fee_ceiling: config.max_fee_gwei * 1_000_000_000,
            crash_after: config.crash_after.clone(),
        },
        provider.clone(),
        signer,
        storage.clone(),
        submitter_metrics,
    );
    tracing::info!(oracle = %submitter.address(), contract = %deployment.contract, chain_id, "oracle starting");

    let registry = Arc::new(registry);
    let metrics_app = axum::Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(move || {
                let registry = registry.clone();
                async move {
                    let mut out = String::new();
                    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
                    out
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(config.metrics_listen).await?;
    println!("oracle metrics on {}", listener.local_addr()?);
    let poll = Duration::from_millis(config.poll_ms.max(10));

    let metrics_task = tokio::spawn({
        let stopped = stopped.clone();
        async move {
            axum::serve(listener, metrics_app)
                .with_graceful_shutdown(stopped())
                .await
        }
    });
    let indexer_task = tokio::spawn(indexer.run(stopped()));
    let aggregator_task = tokio::spawn(aggregator.run(poll, stopped()));
    let submitter_task = tokio::spawn(submitter.run(poll, stopped()));

    shutdown.await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    if let Err(e) = indexer_task.await? {
        tracing::error!(error = %e, "indexer stopped with an error");
    }
    if let Err(e) = aggregator_task.await? {
        tracing::error!(error = %e, "aggregator stopped with an error");
    }
    submitter_task.await?;
    metrics_task.await??;
    storage.close().await;
    Ok(())
}
