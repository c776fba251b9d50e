//! Rolling windows, trends, and the uptime verdict over the window.

use proptest::prelude::*;
use sla_protocol::aggregate::{
    evaluate, EpochAccumulator, EpochSummary, Metric, Trend, WindowSummary,
};
use sla_protocol::{AggregateError, Operation, Role};

use super::common::*;

/// Epoch `e` with `down` provider-down slots and the rest up (provider probes every slot).
fn epoch_with_downtime(e: u64, down: u64) -> EpochSummary {
    let mut acc = EpochAccumulator::new(ctx(e));
    for slot in 0..60 {
        acc.provider.add_record(&rec(
            e,
            slot * 60_000,
            Operation::Probe,
            100 + slot as u32,
            slot >= down,
        ));
    }
    acc.summary()
}

fn uptime_terms(window_epochs: u32) -> sla_protocol::SlaTerms {
    let mut t = terms();
    t.min_uptime_bps = 9_995;
    t.uptime_window = window_epochs * EPOCH_LEN_S;
    t
}

#[test]
fn window_uptime_is_summed_over_epoch_summaries() {
    let summaries: Vec<_> = (0..5).map(|e| epoch_with_downtime(e, e)).collect();
    let w = WindowSummary::compute(&config(), DATA_UNIT, 4, 3, &summaries).unwrap();
    assert_eq!(
        (w.first_epoch, w.last_epoch, w.epochs, w.epochs_with_summary),
        (2, 4, 3, 3)
    );
    assert_eq!(w.combined.down, 2 + 3 + 4);
    assert_eq!(w.combined.up, 180 - 9);
    assert_eq!(w.uptime_bps, Some((171 * 10_000 / 180) as u16));
    // Near genesis the window is shorter.
    let w = WindowSummary::compute(&config(), DATA_UNIT, 1, 3, &summaries).unwrap();
    assert_eq!((w.first_epoch, w.epochs), (0, 2));
    // Missing epochs count as silent slots, not as downtime.
    let w = WindowSummary::compute(&config(), DATA_UNIT, 9, 10, &summaries).unwrap();
    assert_eq!(
        (w.epochs_with_summary, w.combined.silent, w.slots_total),
        (5, 300, 600)
    );
    assert_eq!(w.uptime_bps, Some(((300 - 10) * 10_000 / 300) as u16));
}

#[test]
fn window_means_are_exact_not_means_of_means() {
    let mut a = EpochAccumulator::new(ctx(0));
    a.consumer.add_record(&rec(0, 0, Operation::Read, 10, true));
    let mut b = EpochAccumulator::new(ctx(1));
    for i in 0..3 {
        b.consumer.add_record(&rec(1, i, Operation::Read, 30, true));
    }
    let w =
        WindowSummary::compute(&config(), DATA_UNIT, 1, 2, &[a.summary(), b.summary()]).unwrap();
    // (10 + 90) / 4 = 25, where the mean of means would be 20.
    assert_eq!(w.consumer.metric(Metric::ReadLatency), (4, Some(25)));
}

#[test]
fn duplicate_epochs_in_a_window_are_refused_and_other_units_ignored() {
    let s = epoch_with_downtime(0, 0);
    assert_eq!(
        WindowSummary::compute(&config(), DATA_UNIT, 0, 1, &[s.clone(), s.clone()]),
        Err(AggregateError::DuplicateEpoch(0))
    );
    let w = WindowSummary::compute(&config(), DATA_UNIT + 1, 0, 1, &[s]).unwrap();
    assert_eq!(w.epochs_with_summary, 0);
}

#[test]
fn uptime_is_judged_over_the_window_ending_at_the_epoch() {
    let t = uptime_terms(10);
    // Epoch 0: one minute down in 60 -> 9833 alone, but 599 / 600 = 9983 over ten epochs...
    let mut summaries: Vec<_> = (0..10)
        .map(|e| epoch_with_downtime(e, u64::from(e == 9)))
        .collect();
    let w = WindowSummary::for_terms(&config(), &t, DATA_UNIT, 9, &summaries).unwrap();
    assert_eq!(w.uptime_bps, Some(9_983));
    let v = evaluate(&t, &summaries[9], &w).unwrap();
    assert_eq!(v.violations, Metric::Uptime.bit());
    assert_eq!(v.uptime_bps, 9_983);
    // ...and with a window of 20 clean-before epochs it complies: 1199 / 1200 = 9991 < 9995 still
    // violates, 40 epochs: 2399 / 2400 = 9995 complies.
    let t40 = uptime_terms(40);
    summaries = (0..40)
        .map(|e| epoch_with_downtime(e, u64::from(e == 39)))
        .collect();
    let w = WindowSummary::for_terms(&config(), &t40, DATA_UNIT, 39, &summaries).unwrap();
    assert_eq!(w.uptime_bps, Some(9_995));
    assert_eq!(evaluate(&t40, &summaries[39], &w).unwrap().violations, 0);
}

#[test]
fn a_clean_epoch_is_not_penalized_for_downtime_earlier_in_the_window() {
    let t = uptime_terms(10);
    let summaries: Vec<_> = (0..10)
        .map(|e| epoch_with_downtime(e, if e == 3 { 30 } else { 0 }))
        .collect();
    for e in 3..10 {
        let w = WindowSummary::for_terms(&config(), &t, DATA_UNIT, e, &summaries).unwrap();
        assert!(w.uptime_bps.unwrap() < 9_995);
        let v = evaluate(&t, &summaries[e as usize], &w).unwrap();
        assert_eq!(v.violations != 0, e == 3, "epoch {e}");
        // The window's uptime is reported either way.
        assert_eq!(
            u64::from(v.uptime_bps),
            w.combined.up * 10_000 / w.combined.observed()
        );
    }
}

#[test]
fn evaluate_refuses_a_window_of_another_epoch_or_unit() {
    let t = uptime_terms(1);
    let s = epoch_with_downtime(2, 0);
    let w =
        WindowSummary::for_terms(&config(), &t, DATA_UNIT, 3, std::slice::from_ref(&s)).unwrap();
    assert!(matches!(
        evaluate(&t, &s, &w),
        Err(AggregateError::WindowMismatch { .. })
    ));
    let w = WindowSummary::for_terms(&config(), &t, DATA_UNIT + 1, 2, std::slice::from_ref(&s))
        .unwrap();
    assert!(matches!(
        evaluate(&t, &s, &w),
        Err(AggregateError::WindowMismatch { .. })
    ));
}

#[test]
fn trend_compares_with_the_previous_window() {
    let summaries: Vec<_> = (0..6)
        .map(|e| epoch_with_downtime(e, if e < 3 { 6 } else { 0 }))
        .collect();
    let trend = Trend::compute(&config(), DATA_UNIT, 5, 3, &summaries).unwrap();
    let prev = trend.previous.as_ref().unwrap();
    assert_eq!((prev.first_epoch, prev.last_epoch), (0, 2));
    let uptime = trend.metrics[0];
    assert_eq!((uptime.metric, uptime.view), (Metric::Uptime, None));
    assert_eq!(
        (uptime.current, uptime.previous, uptime.delta),
        (Some(10_000), Some(9_000), Some(1_000))
    );
    assert_eq!(trend.metrics.len(), 13);
    assert!(Trend::compute(&config(), DATA_UNIT, 2, 3, &summaries)
        .unwrap()
        .previous
        .is_none());
    let json = serde_json::to_value(&trend).unwrap();
    assert_eq!(json["metrics"][1]["view"], "consumer");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn window_does_not_depend_on_summary_order(downs in prop::collection::vec(0u64..60, 1..12), rot in any::<prop::sample::Index>()) {
        let mut summaries: Vec<_> = downs.iter().enumerate().map(|(e, d)| epoch_with_downtime(e as u64, *d)).collect();
        let last = summaries.len() as u64 - 1;
        let a = WindowSummary::compute(&config(), DATA_UNIT, last, 5, &summaries).unwrap();
        let k = rot.index(summaries.len());
        summaries.rotate_left(k);
        let b = WindowSummary::compute(&config(), DATA_UNIT, last, 5, &summaries).unwrap();
        prop_assert_eq!(&a, &b);
        let first = last.saturating_sub(4);
        let down: u64 = downs[first as usize..].iter().sum();
        let seen = (last - first + 1) * 60;
        prop_assert_eq!(a.uptime_bps, Some(((seen - down) * 10_000 / seen) as u16));
    }
}

#[test]
fn window_view_counts_per_role() {
    let s = epoch_with_downtime(0, 6);
    let w = WindowSummary::compute(&config(), DATA_UNIT, 0, 1, &[s]).unwrap();
    assert_eq!(
        w.view(Role::Provider).metric(Metric::Uptime),
        (60, Some(9_000))
    );
    assert_eq!(w.view(Role::Consumer).metric(Metric::Uptime), (0, None));
}
