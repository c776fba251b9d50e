//! The contract refusing a batch at gas estimation. A permanent refusal (here: a result for a
//! data unit that does not exist) expires those results and must not keep the nonce the batch
//! was planned with, or every later transaction waits behind a nonce gap forever. A temporary
//! one (the contract is paused) must not expire anything: the results wait and land once after
//! `unpause`.

use sla_protocol::aggregate::{
    AggregationContext, EpochAccumulator, EpochVerdict, EvidenceSource, Metric, MetricVerdict,
    ViewEvidence,
};
use sla_storage::rollups::RollupWrite;
use sla_storage::{RollupStatus, TxState};

use super::support::*;
use crate::eventually;

/// Saves a final roll-up as the aggregator writes it (no reports counted), with a compliant
/// verdict.
async fn save_final_rollup(h: &Harness, data_unit: u64, epoch: u64) {
    let epochs = h.stack.deployment.epochs().unwrap();
    let ctx = AggregationContext::with_size_bound(&epochs, 0, data_unit, epoch).unwrap();
    let accumulator = EpochAccumulator::new(ctx);
    let summary = accumulator.summary();
    let verdict = compliant_verdict(data_unit, epoch);
    let row = RollupWrite {
        accumulator: &accumulator,
        summary: &summary,
        status: RollupStatus::Final,
        verdict: Some(&verdict),
        updated_at_ms: sla_runtime::now_ms(),
    };
    h.storage.rollups().save(&[row], &[], None).await.unwrap();
}

/// A verdict that every metric met.
fn compliant_verdict(data_unit: u64, epoch: u64) -> EpochVerdict {
    let view = ViewEvidence {
        samples: 24,
        value: Some(10_000),
        sufficient: true,
        breaches: false,
    };
    EpochVerdict {
        data_unit,
        epoch,
        violations: 0,
        flags: 0,
        read_latency_us: 10_000,
        write_latency_us: 20_000,
        upload_bps: 0,
        download_bps: 0,
        uptime_bps: 10_000,
        error_rate_bps: 0,
        operations: 24,
        reports_root: [7; 32],
        penalty_wei: 0,
        waived_pct: 0,
        reputation_score_input: Some(10_000),
        metrics: Metric::ALL.map(|metric| MetricVerdict {
            metric,
            enforced: false,
            consumer: view,
            provider: view,
            source: EvidenceSource::Provider,
            has_evidence: false,
            violated: false,
            disputed: false,
            value: 0,
        }),
        discrepancies: Vec::new(),
        rules: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_batch_releases_its_nonce_and_a_pause_only_delays_results() {
    let mut h = Harness::start(Options::default()).await;

    // A result the contract refuses (no such data unit), for an epoch before the reporters'.
    const UNKNOWN: u64 = 999;
    let early = h.first_epoch - 1;
    save_final_rollup(&h, UNKNOWN, early).await;
    h.spawn_oracle(OracleRun::default());
    h.start_reporters();
    let refused = eventually!(h, 20, "the refused batch recorded", {
        h.txs()
            .await
            .into_iter()
            .find(|t| t.epoch == early && !t.state.is_active())
    });
    assert!(
        refused
            .error
            .as_deref()
            .unwrap_or("")
            .contains("UnknownAllocation"),
        "{}",
        describe(&refused)
    );
    assert_eq!(refused.state, TxState::Dropped, "{}", describe(&refused));
    assert_eq!(refused.tx_hash, None, "never signed, never sent");
    let early_rollup = h.storage.rollups().get(UNKNOWN, early).await.unwrap();
    assert_eq!(early_rollup.unwrap().status, RollupStatus::Expired);

    // Paused before the first real epoch closes: its results wait, nothing expires.
    let admin = h.stack.account(0).unwrap();
    let contract = admin.oracle(h.stack.deployment.contract);
    contract
        .pause()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let e = h.first_epoch;
    eventually!(h, 30, format!("epoch {e}'s roll-ups final"), {
        let rollups = h.rollups().await;
        (rollups
            .iter()
            .filter(|r| r.epoch == e && r.status == RollupStatus::Final)
            .count()
            == 2)
            .then_some(())
    });
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(h.applications_of(e).await, vec![0, 0]);
    for r in h.rollups().await.iter().filter(|r| r.epoch == e) {
        assert_eq!(r.status, RollupStatus::Final, "kept while paused");
    }
    for tx in h.txs().await.iter().filter(|t| t.epoch >= e) {
        assert_eq!(
            tx.state,
            TxState::Planned,
            "waits unsigned: {}",
            describe(tx)
        );
    }

    contract
        .unpause()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let landed = h.wait_applied_once(e, 30).await;
    assert_eq!(
        landed.nonce, 0,
        "the refused batch's nonce is used by the next transaction"
    );
    h.wait_applied_once(e + 1, 30).await;
    let dropped: Vec<_> = h
        .txs()
        .await
        .into_iter()
        .filter(|t| t.state == TxState::Dropped)
        .map(|t| t.id)
        .collect();
    assert_eq!(
        dropped,
        vec![refused.id],
        "only the refused batch lets its nonce go"
    );
    h.settle(60).await;
    h.assert_end_state(&[]).await;
}
