//! The incremental aggregator over a real SQLite file and a real PostgreSQL database: byte-
//! identical summaries on both and in the pure functions (catalogue 14), incremental runs equal
//! a full run, late reports inside the grace count and after it are marked not counted.

pub(crate) mod fixture;
mod retention;
mod retry;
mod window_close;

use sla_oracle::aggregator::Aggregator;
use sla_protocol::aggregate::EpochAccumulator;
use sla_protocol::Role;
use sla_storage::{Database, RollupStatus};

use fixture::*;

/// Summary bytes of every roll-up of the data unit, by epoch.
pub(crate) async fn summaries(storage: &Database) -> Vec<(u64, Vec<u8>)> {
    storage
        .rollups()
        .of_data_unit(DATA_UNIT, 0, u64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.epoch, r.summary_encoding))
        .collect()
}

#[tokio::test]
async fn same_reports_give_byte_identical_summaries_on_both_backends_and_in_the_pure_functions() {
    let reports = scenario_reports(3);
    let mut per_backend = Vec::new();
    for backend in backends() {
        let fx = Fixture::new(&backend).await;
        fx.ingest(&reports).await;
        let mut aggregator = Aggregator::new(fx.stores(), fx.config());
        let stats = aggregator.run_once(now_ms()).await.unwrap();
        assert_eq!(stats.reports_read, reports.len() as u64);
        per_backend.push(summaries(&fx.storage).await);
    }
    // The auditor's path: the pure accumulator over the same reports.
    let config = Fixture::epoch_config();
    let mut pure = std::collections::BTreeMap::new();
    for v in &reports {
        let r = &v.report;
        for epoch in config
            .epochs_overlapping(r.period_start_ms, r.period_end_ms)
            .unwrap()
        {
            let acc = pure.entry(epoch).or_insert_with(|| {
                EpochAccumulator::new(
                    sla_protocol::aggregate::AggregationContext::new(
                        &config,
                        &terms(),
                        DATA_UNIT,
                        epoch,
                    )
                    .unwrap(),
                )
            });
            acc.add_verified(v).unwrap();
        }
    }
    let pure: Vec<(u64, Vec<u8>)> = pure
        .into_iter()
        .map(|(e, acc)| (e, acc.summary().encode()))
        .collect();
    assert!(!pure.is_empty());
    for backend in &per_backend {
        assert_eq!(backend, &pure);
    }
}

#[tokio::test]
async fn incremental_runs_read_only_new_reports_and_equal_a_full_run() {
    for backend in backends() {
        let reports = scenario_reports(4);
        let (first, rest) = reports.split_at(reports.len() / 2);

        let inc = Fixture::new(&backend).await;
        let mut aggregator = Aggregator::new(inc.stores(), inc.config());
        inc.ingest(first).await;
        assert_eq!(
            aggregator.run_once(now_ms()).await.unwrap().reports_read,
            first.len() as u64
        );
        inc.ingest(rest).await;
        assert_eq!(
            aggregator.run_once(now_ms()).await.unwrap().reports_read,
            rest.len() as u64
        );
        // A restarted aggregator resumes from the stored cursor and accumulators.
        let mut restarted = Aggregator::new(inc.stores(), inc.config());
        assert_eq!(restarted.run_once(now_ms()).await.unwrap().reports_read, 0);

        let full = Fixture::new(&backend).await;
        full.ingest(&reports).await;
        Aggregator::new(full.stores(), full.config())
            .run_once(now_ms())
            .await
            .unwrap();
        assert_eq!(
            summaries(&inc.storage).await,
            summaries(&full.storage).await
        );
    }
}

#[tokio::test]
async fn closed_epochs_get_a_verdict_and_later_reports_are_marked_not_counted() {
    for backend in backends() {
        let fx = Fixture::new(&backend).await;
        // A provider whose reads all fail: error rate 100 % against a 1 % term.
        let epoch = fx.epoch_ended_hours_ago(3);
        let bad = failing_reports(Role::Provider, epoch, 1, 1);
        fx.ingest(&bad).await;
        let mut aggregator = Aggregator::new(fx.stores(), fx.config_with_grace(4 * 3_600_000));
        let stats = aggregator.run_once(now_ms()).await.unwrap();
        assert_eq!(
            (stats.records_counted, stats.epochs_finalized),
            (30, 0),
            "{stats:?}"
        );
        // Five hours on, the epoch (ended three hours ago, grace four hours) is closed.
        let later = now_ms() + 5 * 3_600_000;
        let stats = aggregator.run_once(later).await.unwrap();
        assert_eq!(stats.epochs_finalized, 1, "{stats:?}");
        let rollup = fx
            .storage
            .rollups()
            .get(DATA_UNIT, epoch)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rollup.status, RollupStatus::Final);
        let verdict = rollup.verdict.clone().unwrap();
        assert_ne!(
            verdict.violations & (1 << 5),
            0,
            "error rate violated: {verdict:?}"
        );

        // The next report of the same chain, for the same (now final) epoch.
        let late = failing_reports(Role::Provider, epoch, 2, 1)
            .into_iter()
            .map(|mut v| {
                v = chain_after(&bad[0], v);
                v
            })
            .collect::<Vec<_>>();
        fx.ingest(&late).await;
        let stats = aggregator.run_once(later).await.unwrap();
        assert_eq!(stats.reports_not_counted, 1, "{stats:?}");
        let uncounted = fx.storage.rollups().uncounted(DATA_UNIT).await.unwrap();
        assert_eq!(uncounted.len(), 1);
        assert!(
            uncounted[0].reason.contains("closed") || uncounted[0].reason.contains("final"),
            "{uncounted:?}"
        );
        // The final roll-up did not change.
        let again = fx
            .storage
            .rollups()
            .get(DATA_UNIT, epoch)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.summary, rollup.summary);
    }
}

#[tokio::test]
async fn rollups_windows_and_merkle_proofs_are_served_by_the_read_api() {
    for backend in backends() {
        let fx = Fixture::new(&backend).await;
        let reports = scenario_reports(2);
        fx.ingest(&reports).await;
        Aggregator::new(fx.stores(), fx.config())
            .run_once(now_ms())
            .await
            .unwrap();
        let base = fx.serve_api().await;
        let http = reqwest::Client::new();
        let body: serde_json::Value = http
            .get(format!("{base}/v1/data-units/{DATA_UNIT}/rollups"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rollups = body["rollups"].as_array().unwrap();
        assert_eq!(rollups.len(), 2, "{body}");
        let epoch = rollups[0]["epoch"].as_u64().unwrap();
        let root = rollups[0]["reports_root"].as_str().unwrap().to_owned();
        assert_eq!(rollups[0]["status"], "open");

        // Every report of the first epoch has a proof that verifies against the served root.
        let config = Fixture::epoch_config();
        let in_epoch: Vec<_> = reports
            .iter()
            .filter(|v| {
                config
                    .epochs_overlapping(v.report.period_start_ms, v.report.period_end_ms)
                    .unwrap()
                    .contains(&epoch)
            })
            .collect();
        assert!(!in_epoch.is_empty());
        for v in in_epoch {
            let body: serde_json::Value = http
                .get(format!(
                    "{base}/v1/data-units/{DATA_UNIT}/epochs/{epoch}/proofs/{}",
                    v.hash
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(body["reports_root"], root);
            let proof: sla_protocol::MerkleProof =
                serde_json::from_value(body["proof"].clone()).unwrap();
            let mut root_bytes = [0u8; 32];
            hex::decode_to_slice(&root, &mut root_bytes).unwrap();
            assert!(
                proof.verify(&root_bytes, &v.hash),
                "proof of {} fails",
                v.hash
            );
        }
        let missing = http
            .get(format!(
                "{base}/v1/data-units/{DATA_UNIT}/epochs/{epoch}/proofs/{}",
                "11".repeat(32)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);

        let window: serde_json::Value = http
            .get(format!(
                "{base}/v1/data-units/{DATA_UNIT}/window?epoch={}&epochs=2",
                epoch + 1
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(window["window"]["epochs_with_summary"], 2, "{window}");
    }
}
