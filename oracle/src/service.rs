//! Wiring: the indexer, the aggregator and the submitter run side by side on one database and
//! one RPC endpoint, with one metrics endpoint, until shutdown.

use std::sync::Arc;
use std::time::Duration;

use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use axum::routing::get;
use clap::Parser;
use prometheus_client::registry::Registry;
use sla_contracts::DeploymentFile;
use sla_storage::Database;
use tokio::sync::watch;

use crate::aggregator::{Aggregator, AggregatorConfig, AggregatorStores};
use crate::config::OracleConfig;
use crate::indexer::{Indexer, IndexerMetrics};
use crate::maintenance::{ExportArgs, Maintenance, MaintenanceConfig};
use crate::submitter::{Submitter, SubmitterConfig, SubmitterMetrics, SubmitterStores};

/// The `sla-oracle` command: configuration from flags and the environment, logs from `RUST_LOG`
/// (default `info`), runs until Ctrl-C or SIGTERM.
pub async fn main() -> anyhow::Result<()> {
    sla_runtime::init_logging("info");
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "export-reports")
    {
        let args = ExportArgs::parse_from(std::env::args_os().skip(1));
        return crate::maintenance::export_reports(args).await;
    }
    run(OracleConfig::parse(), sla_runtime::shutdown_signal()).await
}

/// Runs the oracle until `shutdown` completes.
pub async fn run(
    config: OracleConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let deployment = DeploymentFile::read(&config.deployment)?;
    let db = Database::connect(&config.database_url).await?;
    db.bind_deployment(&deployment.deployment()).await?;
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
    let epochs = deployment.epochs()?;

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

    let indexer_config = config.indexer.config(&deployment);
    let confirmations = indexer_config.confirmations;
    let indexer =
        Indexer::new(indexer_config, db.mirror(), provider.clone()).with_metrics(indexer_metrics);
    let signer: Option<PrivateKeySigner> = config
        .oracle_key
        .as_deref()
        .map(|key| {
            key.trim_start_matches("0x")
                .parse()
                .map_err(|e| anyhow::anyhow!("--oracle-key is not a private key: {e}"))
        })
        .transpose()?;
    // The committee (docs/committee.md): the other members are peers of the report exchange.
    let committee_file = match (&config.committee, &signer) {
        (None, _) => None,
        (Some(_), None) => anyhow::bail!("--committee needs --oracle-key (the member's signer)"),
        (Some(path), Some(signer)) => {
            let file = crate::committee::CommitteeFile::read(path)?;
            anyhow::ensure!(
                file.member(signer.address()).is_some(),
                "committee file {}: this node's signer {} is not a member",
                path.display(),
                signer.address()
            );
            Some(file)
        }
    };
    let mut peers = config.peers.clone();
    if let (Some(file), Some(signer)) = (&committee_file, &signer) {
        for peer in file.peers_of(signer.address()) {
            if !peers.iter().any(|p| p.name == peer.name) {
                peers.push(peer);
            }
        }
    }
    let mut committee_parts = None;
    // The aggregator and the submitter, unless the indexer runs alone.
    let oracle = match (signer, config.index_only) {
        (_, true) => None,
        (None, false) => anyhow::bail!("--oracle-key is required unless --index-only is given"),
        (Some(signer), false) => {
            let grace_ms = config.grace_ms(deployment.epoch_length);
            let aggregator = Aggregator::new(
                AggregatorStores::of(&db),
                AggregatorConfig {
                    epochs,
                    grace_ms,
                    page_size: 1_000,
                },
            )
            // With peers, reports that reached another node by an epoch's close may arrive
            // here up to the allowance later: the verdicts wait for them.
            .with_settle(if peers.is_empty() {
                0
            } else {
                config.exchange_arrival_allowance_ms
            });
            let aggregator = match crate::committee::byzantine_ignored_reporter(&config) {
                Some(key) => aggregator.with_ignored_reporter(key),
                None => aggregator,
            };
            let mut submitter = Submitter::new(
                SubmitterConfig {
                    chain_id,
                    contract: deployment.contract,
                    epochs,
                    submission_window_s: u64::from(deployment.submission_window),
                    confirmations: confirmations.max(1),
                    max_batch: config.max_batch.max(1),
                    stuck_after: Duration::from_millis(config.stuck_after_ms),
                    fee_bump_percent: u128::from(config.fee_bump_percent),
                    max_fee_ceiling: config.max_fee_gwei * 1_000_000_000,
                    crash_after: config.crash_after.clone(),
                },
                provider.clone(),
                signer,
                SubmitterStores::of(&db),
                submitter_metrics,
            );
            if let Some(file) = committee_file {
                let (to_submitter, batches) = tokio::sync::mpsc::unbounded_channel();
                submitter = submitter.with_committee(batches);
                let metrics = crate::committee::CommitteeMetrics::default();
                metrics.register(&mut registry);
                let committee = crate::committee::Committee::new(
                    submitter.signer().clone(),
                    crate::committee::CommitteeConfig {
                        chain_id,
                        contract: deployment.contract,
                        epochs,
                        grace_ms,
                        settle_ms: config.exchange_arrival_allowance_ms,
                        submission_window_s: u64::from(deployment.submission_window),
                        max_batch: config.max_batch.max(1),
                        max_proposal_results: config.committee_max_proposal_results.max(1),
                        byzantine_signatures: config
                            .test_byzantine
                            .as_deref()
                            .is_some_and(|h| h.split(',').any(|h| h == "sign-tampered")),
                    },
                    file,
                    crate::committee::CommitteeStores::of(&db),
                    metrics,
                    to_submitter,
                )?;
                committee_parts = Some(Arc::new(committee));
            }
            tracing::info!(
                oracle = %submitter.address(),
                contract = %deployment.contract,
                chain_id,
                confirmations,
                grace_ms,
                "oracle starting"
            );
            Some((aggregator, submitter))
        }
    };
    if oracle.is_none() {
        tracing::info!(contract = %deployment.contract, chain_id, confirmations, "indexer starting alone (--index-only)");
    }

    // Partitions ahead in every mode (an ingest replica's database needs them too); retention
    // only where this process aggregates and submits (an index-only database has no roll-ups, so
    // nothing there would ever be settled).
    let maintenance = Maintenance::new(
        db.retention(),
        MaintenanceConfig {
            partition_width_ms: config.records_partition_hours.saturating_mul(3_600_000),
            partitions_ahead: config.records_partitions_ahead,
            report_partition_ids: config.reports_partition_ids,
            report_partitions_ahead: config.reports_partitions_ahead,
            interval: Duration::from_secs(config.maintenance_interval_s),
            records_retention_ms: config
                .records_retention_days
                .filter(|_| oracle.is_some())
                .map(|d| d.saturating_mul(86_400_000)),
            epochs,
        },
    );

    let validator = match &config.validator_key {
        None => None,
        Some(key) => {
            let validator = crate::validator::from_key(
                key,
                &deployment,
                &config.rpc_url,
                Duration::from_millis(config.validator_poll_ms),
            )?;
            let metrics = crate::validator::ValidatorMetrics::default();
            metrics.register(&mut registry);
            let validator = validator.with_metrics(metrics);
            // Flags need the oracle's roll-ups and its signing key.
            Some(match (&oracle, &config.oracle_key) {
                (Some((_, submitter)), Some(_)) => {
                    validator.with_flagger(crate::validator::Flagger::new(
                        &db,
                        submitter.signer().clone(),
                        deployment.contract,
                        config.flag_window_epochs,
                    ))
                }
                _ => validator,
            })
        }
    };

    // The report exchange: one puller per peer (docs/committee.md).
    let exchange_metrics = crate::exchange::ExchangeMetrics::default();
    exchange_metrics.register(&mut registry);
    let exchange_config = crate::exchange::ExchangeConfig {
        deployment: deployment.deployment(),
        poll: Duration::from_millis(config.exchange_poll_ms),
        page: config.exchange_page,
        max_page_bytes: config.exchange_max_page_bytes,
        timeout: Duration::from_millis(config.exchange_timeout_ms),
        hold_ms: config.exchange_hold_ms,
        max_future_skew_ms: config.max_future_skew_ms,
        max_records_per_report: config.max_records_per_report,
        arrival_allowance_ms: config.exchange_arrival_allowance_ms,
    };
    let pullers = peers
        .iter()
        .map(|peer| {
            crate::exchange::PeerPuller::new(
                peer.clone(),
                exchange_config.clone(),
                &db,
                exchange_metrics.clone(),
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

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
    // The components run until shutdown. One that stops on its own has met an error it cannot
    // retry: the whole service then stops with it, so that the process exits non-zero (and its
    // supervisor restarts it) instead of serving on with a part missing.
    let mut components = tokio::task::JoinSet::new();
    components.spawn({
        let stopped = stopped();
        async move {
            (
                "indexer",
                indexer.run(stopped).await.map_err(anyhow::Error::from),
            )
        }
    });
    let maintenance_task = tokio::spawn(maintenance.run(stopped()));
    if let Some((aggregator, submitter)) = oracle {
        components.spawn({
            let stopped = stopped();
            async move {
                let result = aggregator.run(poll, stopped).await;
                ("aggregator", result.map_err(anyhow::Error::from))
            }
        });
        components.spawn({
            let stopped = stopped();
            async move {
                submitter.run(poll, stopped).await;
                ("submitter", Ok(()))
            }
        });
    }

    if let Some(validator) = validator {
        tracing::info!(validator = %validator.address(), "validator role starting");
        components.spawn({
            let stopped = stopped();
            async move {
                validator.run(stopped).await;
                ("validator", Ok(()))
            }
        });
    }

    if let Some(committee) = committee_parts {
        let listener = tokio::net::TcpListener::bind(config.committee_listen).await?;
        println!("committee endpoint on {}", listener.local_addr()?);
        tracing::info!(member = %committee.address(), listen = %listener.local_addr()?, "committee member starting");
        components.spawn({
            let stopped = stopped();
            let committee = committee.clone();
            let limits = crate::committee::EndpointLimits::default();
            async move {
                let served = crate::committee::serve(listener, committee, limits, stopped).await;
                ("committee endpoint", served.map_err(anyhow::Error::from))
            }
        });
        components.spawn({
            let stopped = stopped();
            async move {
                committee.run(Duration::from_millis(250), stopped).await;
                ("committee", Ok(()))
            }
        });
    }
    for puller in pullers {
        tracing::info!(peer = %puller.peer().name, url = %puller.peer().url, "following a peer's reports");
        components.spawn({
            let stopped = stopped();
            async move {
                puller.run(stopped).await;
                ("report exchange", Ok(()))
            }
        });
    }

    let failure = tokio::select! {
        _ = shutdown => None,
        Some(joined) = components.join_next() => Some(match joined {
            Ok((name, Err(e))) => e.context(format!("the {name} stopped")),
            Ok((name, Ok(()))) => anyhow::anyhow!("the {name} stopped before shutdown"),
            Err(e) => anyhow::anyhow!("an oracle component panicked: {e}"),
        }),
    };
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    while let Some(joined) = components.join_next().await {
        match joined {
            Ok((_, Ok(()))) => {}
            Ok((name, Err(e))) => tracing::error!(error = %e, "the {name} stopped with an error"),
            Err(e) => tracing::error!(error = %e, "an oracle component panicked"),
        }
    }
    let _ = maintenance_task.await;
    metrics_task.await??;
    db.close().await;
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
