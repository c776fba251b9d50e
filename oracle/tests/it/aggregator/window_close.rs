//! The epoch close judges uptime over a window of several epochs from the running totals it
//! keeps per roll-up, not from the window's summaries (docs/aggregation.md, "Closing an epoch
//! at scale"): every verdict must equal the pure path's, `evaluate` over `WindowSummary` of the
//! stored summaries, epoch after epoch and across a restart, on both backends.

use sla_oracle::aggregator::Aggregator;
use sla_protocol::aggregate::{evaluate, EpochSummary, WindowSummary};

use super::fixture::*;

#[tokio::test]
async fn verdicts_from_running_totals_equal_verdicts_from_the_windows_summaries() {
    const EPOCHS: u64 = 7;
    let reports = scenario_reports(EPOCHS);
    let config = Fixture::epoch_config();
    let epochs: Vec<u64> = {
        let mut e: Vec<u64> = reports
            .iter()
            .flat_map(|v| {
                config
                    .epochs_overlapping(v.report.period_start_ms, v.report.period_end_ms)
                    .unwrap()
            })
            .collect();
        e.sort();
        e.dedup();
        e
    };
    assert_eq!(epochs.len() as u64, EPOCHS);
    for backend in backends() {
        let fx = Fixture::new(&backend).await;
        fx.ingest(&reports).await;
        let agg_config = fx.config();
        let close_at =
            |epoch: u64| (epoch + 1) * u64::from(EPOCH_LEN_S) * 1000 + agg_config.grace_ms;
        // One epoch at a time, as the service closes them; a new aggregator (nothing in
        // memory) after the third, as after a restart.
        let mut aggregator = Aggregator::new(fx.stores(), agg_config);
        for (i, &epoch) in epochs.iter().enumerate() {
            if i == 3 {
                aggregator = Aggregator::new(fx.stores(), agg_config);
            }
            let stats = aggregator.run_once(close_at(epoch)).await.unwrap();
            assert_eq!(stats.epochs_finalized, 1, "epoch {epoch}: {stats:?}");
        }

        let rollups = fx
            .storage
            .rollups()
            .of_data_unit(DATA_UNIT, 0, u64::MAX)
            .await
            .unwrap();
        let summaries: Vec<EpochSummary> = rollups.iter().map(|r| r.summary.clone()).collect();
        let mut windowed = 0;
        for r in &rollups {
            let window =
                WindowSummary::for_terms(&config, &terms(), DATA_UNIT, r.epoch, &summaries)
                    .unwrap();
            let expected = evaluate(&terms(), &r.summary, &window).unwrap();
            assert_eq!(r.verdict.as_ref(), Some(&expected), "epoch {}", r.epoch);
            if window.epochs_with_summary == 3 {
                windowed += 1;
            }
        }
        assert!(
            windowed >= 4,
            "the later epochs' windows span three epochs with summaries ({windowed})"
        );
    }
}
