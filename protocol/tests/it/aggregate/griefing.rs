//! Catalogue 15: a consumer with no real usage cannot push a provider into penalty on its own
//! word alone; silence never shields the provider; a contradiction is surfaced as DISPUTED.

use proptest::prelude::*;
use sla_protocol::aggregate::{
    evaluate, EpochAccumulator, EvidenceSource, Metric, WindowSummary, FLAG_DISPUTED, FLAG_NO_DATA,
    FLAG_PROVIDER_GAP, MIN_SAMPLES,
};
use sla_protocol::{EpochVerdict, Operation, QosRecord, Role, SlaTerms};

use super::common::*;

fn read_terms() -> SlaTerms {
    let mut t = terms();
    t.max_read_latency_us = 1_000;
    t
}

fn judge(t: &SlaTerms, consumer: Vec<QosRecord>, provider: Vec<QosRecord>) -> EpochVerdict {
    let mut acc = EpochAccumulator::new(ctx(0));
    if !consumer.is_empty() {
        acc.add_report(&report(Role::Consumer, 0, consumer), hash_of(1))
            .unwrap();
    }
    if !provider.is_empty() {
        acc.add_report(&report(Role::Provider, 0, provider), hash_of(2))
            .unwrap();
    }
    let s = acc.summary();
    let w = WindowSummary::for_terms(&config(), t, DATA_UNIT, 0, std::slice::from_ref(&s)).unwrap();
    evaluate(t, &s, &w).unwrap()
}

#[test]
fn consumer_claim_with_too_few_samples_is_no_violation() {
    let v = judge(
        &read_terms(),
        spread(0, MIN_SAMPLES - 1, Operation::Read, 50_000, true),
        vec![],
    );
    assert_eq!(v.violations, 0);
    assert_eq!(v.penalty_wei, 0);
    assert_eq!(v.flags & FLAG_NO_DATA, FLAG_NO_DATA);
    // The value is still reported, from the only view that has samples.
    assert_eq!(v.read_latency_us, 50_000);
}

#[test]
fn silent_provider_is_penalized_on_consumer_evidence_with_enough_samples() {
    let t = read_terms();
    let v = judge(
        &t,
        spread(0, MIN_SAMPLES, Operation::Read, 50_000, true),
        vec![],
    );
    assert_eq!(v.violations, Metric::ReadLatency.bit());
    assert_eq!(v.penalty_wei, t.penalty_per_epoch);
    assert_eq!(v.metrics[0].source, EvidenceSource::Consumer);
    assert_eq!(v.flags & FLAG_PROVIDER_GAP, FLAG_PROVIDER_GAP);
    assert_eq!(v.epoch_result().flags, 0);
    assert_eq!(v.reputation_score_input, Some(8_000));
}

#[test]
fn provider_with_too_few_samples_does_not_shield() {
    let v = judge(
        &read_terms(),
        spread(0, 50, Operation::Read, 50_000, true),
        spread(0, MIN_SAMPLES - 1, Operation::Read, 10, true),
    );
    assert_eq!(v.violations, Metric::ReadLatency.bit());
    assert_eq!(v.flags & FLAG_DISPUTED, 0);
}

#[test]
fn provider_contradiction_makes_it_disputed_not_violated() {
    let v = judge(
        &read_terms(),
        spread(0, 500, Operation::Read, 50_000, true),
        spread(0, MIN_SAMPLES, Operation::Read, 900, true),
    );
    assert_eq!(v.violations, 0);
    assert_eq!(v.penalty_wei, 0);
    assert_eq!(v.flags & FLAG_DISPUTED, FLAG_DISPUTED);
    assert!(v.metrics[0].disputed);
    // The provider's view decided, so its value is reported; the discrepancy is surfaced.
    assert_eq!(v.read_latency_us, 900);
    let d = v.discrepancies[0];
    assert_eq!(
        (d.consumer, d.provider, d.abs_diff),
        (Some(50_000), Some(900), Some(49_100))
    );
    assert_eq!(d.relative_bps, Some(9_820));
    // The contract only ever sees the NO_DATA bit.
    assert_eq!(v.epoch_result().flags, 0);
    assert_eq!(v.reputation_score_input, Some(10_000));
}

#[test]
fn provider_self_admitted_violation_counts_without_any_consumer() {
    let v = judge(
        &read_terms(),
        vec![],
        spread(0, MIN_SAMPLES, Operation::Read, 1_001, true),
    );
    assert_eq!(v.violations, Metric::ReadLatency.bit());
    assert_eq!(v.metrics[0].source, EvidenceSource::Provider);
}

#[test]
fn a_value_equal_to_the_term_complies() {
    let v = judge(
        &read_terms(),
        vec![],
        spread(0, MIN_SAMPLES, Operation::Read, 1_000, true),
    );
    assert_eq!(v.violations, 0);
    assert_eq!(v.flags & FLAG_NO_DATA, 0);
}

#[test]
fn consumer_cannot_fake_downtime_in_slots_the_provider_saw_up() {
    let mut t = terms();
    t.min_uptime_bps = 9_995;
    // Consumer: every slot down. Provider: a successful probe in every slot.
    let v = judge(
        &t,
        spread(0, 600, Operation::Read, 10, false),
        spread(0, 60, Operation::Probe, 10, true),
    );
    assert_eq!(v.violations, 0);
    assert_eq!(v.uptime_bps, 10_000);
    assert_eq!(v.flags & FLAG_DISPUTED, FLAG_DISPUTED);
    assert!(v.metrics[Metric::Uptime.index()].consumer.breaches);
}

#[test]
fn consumer_downtime_counts_in_slots_the_provider_did_not_observe() {
    let mut t = terms();
    t.min_uptime_bps = 9_000;
    // Provider probes the first 50 slots only; the consumer sees the last 10 down.
    let provider = spread(0, 50, Operation::Probe, 10, true);
    let consumer: Vec<_> = (50..60)
        .map(|slot| rec(0, slot * 60_000, Operation::Read, 10, false))
        .collect();
    let v = judge(&t, consumer, provider);
    // 50 up, 10 down: 8333 bps < 9000.
    assert_eq!(v.uptime_bps, 8_333);
    assert_eq!(v.violations, Metric::Uptime.bit());
    assert_eq!(v.flags & FLAG_DISPUTED, 0);
}

#[test]
fn provider_admitted_down_slot_beats_a_consumer_success() {
    let mut t = terms();
    t.min_uptime_bps = 10_000;
    let v = judge(
        &t,
        spread(0, 60, Operation::Read, 10, true),
        vec![rec(0, 0, Operation::Probe, 10, false)],
    );
    assert_eq!(v.uptime_bps, 9_833);
    assert_eq!(v.violations, Metric::Uptime.bit());
}

fn all_terms() -> SlaTerms {
    let mut t = terms();
    t.max_read_latency_us = 1_000;
    t.max_write_latency_us = 1_000;
    t.min_upload_bps = 1_000;
    t.min_download_bps = 1_000;
    t.min_uptime_bps = 9_995;
    t.max_error_rate_bps = 100;
    t
}

/// A provider that probes every slot and reports at least MIN_SAMPLES compliant samples of every
/// enforced metric.
fn diligent_provider() -> Vec<QosRecord> {
    let mut v = Vec::new();
    for op in [
        Operation::Read,
        Operation::Write,
        Operation::Upload,
        Operation::Download,
    ] {
        v.extend(spread(0, 60, op, 100, true));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the consumer reports, a provider whose own sufficient evidence complies on every
    /// enforced metric is never penalized.
    #[test]
    fn no_consumer_report_penalizes_a_diligent_compliant_provider(consumer in records_strategy(250)) {
        let v = judge(&all_terms(), consumer, diligent_provider());
        prop_assert_eq!(v.violations, 0);
        prop_assert_eq!(v.penalty_wei, 0);
        prop_assert_eq!(v.reputation_score_input, Some(10_000));
    }

    /// With fewer than MIN_SAMPLES consumer records and a silent provider, nothing is violated.
    #[test]
    fn a_handful_of_consumer_records_never_penalizes(consumer in records_strategy(MIN_SAMPLES as usize)) {
        let v = judge(&all_terms(), consumer, vec![]);
        prop_assert_eq!(v.violations, 0);
        prop_assert_eq!(v.penalty_wei, 0);
    }
}
