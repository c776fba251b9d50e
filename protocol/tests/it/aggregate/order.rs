//! Catalogue 14: the same reports give byte-identical summaries whatever the order, the split
//! into partial accumulators, or a persist/restore round trip in between.

use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sla_protocol::aggregate::{aggregate_records, EpochAccumulator, ViewAccumulator};
use sla_protocol::{AggregateError, Role};

use super::common::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn shuffled_records_give_identical_encodings(records in records_strategy(250), seed in any::<u64>()) {
        let a = aggregate_records(ctx(0), Role::Consumer, &records);
        let mut shuffled = records.clone();
        shuffled.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        let b = aggregate_records(ctx(0), Role::Consumer, &shuffled);
        prop_assert_eq!(a.encode(), b.encode());
        prop_assert_eq!(a.summary(), b.summary());
    }

    #[test]
    fn split_and_merge_equals_one_pass(records in records_strategy(250), cut in any::<prop::sample::Index>(), cut2 in any::<prop::sample::Index>()) {
        let whole = aggregate_records(ctx(0), Role::Provider, &records);
        let (i, j) = {
            let (x, y) = (cut.index(records.len() + 1), cut2.index(records.len() + 1));
            (x.min(y), x.max(y))
        };
        // Uncompacted partials merged in a different order than they were cut.
        let part = |rs: &[sla_protocol::QosRecord]| {
            let mut acc = ViewAccumulator::new(ctx(0), Role::Provider);
            for r in rs {
                acc.add_record(r);
            }
            acc
        };
        let mut merged = part(&records[j..]);
        merged.merge(&part(&records[..i])).unwrap();
        merged.merge(&part(&records[i..j])).unwrap();
        prop_assert_eq!(merged.encode(), whole.encode());
        prop_assert_eq!(merged.summary(), whole.summary());
    }

    #[test]
    fn accumulator_encoding_round_trips_and_restored_state_merges_alike(records in records_strategy(200), more in records_strategy(200)) {
        let acc = aggregate_records(ctx(0), Role::Consumer, &records);
        let bytes = acc.encode();
        let mut restored = ViewAccumulator::decode(&bytes).unwrap();
        prop_assert_eq!(&restored, &acc);
        prop_assert_eq!(restored.encode(), bytes);
        // Incremental: restore, add new records, compare with a full recomputation.
        for r in &more {
            restored.add_record(r);
        }
        let all: Vec<_> = records.iter().chain(&more).cloned().collect();
        prop_assert_eq!(restored.encode(), aggregate_records(ctx(0), Role::Consumer, &all).encode());
    }

    #[test]
    fn reports_in_any_order_give_one_epoch_summary(consumer in records_strategy(150), provider in records_strategy(150), seed in any::<u64>()) {
        let mut reports = Vec::new();
        for (k, chunk) in consumer.chunks(40).enumerate() {
            reports.push((report(Role::Consumer, 0, chunk.to_vec()), hash_of(k as u64)));
        }
        for (k, chunk) in provider.chunks(40).enumerate() {
            reports.push((report(Role::Provider, 0, chunk.to_vec()), hash_of(1_000 + k as u64)));
        }
        let build = |rs: &[(sla_protocol::Report, sla_protocol::ReportHash)]| {
            let mut acc = EpochAccumulator::new(ctx(0));
            for (r, h) in rs {
                acc.add_report(r, *h).unwrap();
            }
            acc
        };
        let a = build(&reports);
        reports.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        // Adding a report twice changes nothing.
        if let Some(first) = reports.first().cloned() {
            reports.push(first);
        }
        let b = build(&reports);
        prop_assert_eq!(a.summary().encode(), b.summary().encode());
        prop_assert_eq!(a.encode(), b.encode());
        prop_assert_eq!(EpochAccumulator::decode(&a.encode()).unwrap(), a);
    }
}

#[test]
fn summary_encoding_is_versioned_and_tagged() {
    let s = EpochAccumulator::new(ctx(3)).summary().encode();
    assert!(s.starts_with(b"SLA-ORACLE/EPOCH-SUMMARY\x02"));
    let a = ViewAccumulator::new(ctx(3), Role::Consumer).encode();
    assert!(a.starts_with(b"SLA-ORACLE/VIEW-ACCUMULATOR\x02"));
}

#[test]
fn decode_refuses_non_canonical_or_corrupt_bytes() {
    let mut acc = ViewAccumulator::new(ctx(0), Role::Consumer);
    acc.add_record(&rec(0, 0, sla_protocol::Operation::Read, 5, true));
    acc.add_report_hash(hash_of(1));
    let bytes = acc.encode();
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(ViewAccumulator::decode(&trailing).is_err());
    assert!(ViewAccumulator::decode(&bytes[..bytes.len() - 1]).is_err());
    let mut version = bytes.clone();
    version[27] = 3;
    assert!(ViewAccumulator::decode(&version).is_err());
    version[27] = 0;
    assert!(ViewAccumulator::decode(&version).is_err());
    // Every single-byte flip either fails to decode or decodes to a different state.
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        if let Ok(other) = ViewAccumulator::decode(&b) {
            assert_ne!(other, acc, "flip at {i} decoded to the same state");
        }
    }
}

#[test]
fn merging_accumulators_of_different_contexts_is_refused() {
    let mut a = ViewAccumulator::new(ctx(0), Role::Consumer);
    assert_eq!(
        a.merge(&ViewAccumulator::new(ctx(1), Role::Consumer)),
        Err(AggregateError::ContextMismatch)
    );
    assert_eq!(
        a.merge(&ViewAccumulator::new(ctx(0), Role::Provider)),
        Err(AggregateError::ContextMismatch)
    );
}

#[test]
fn a_report_counts_in_every_epoch_its_period_overlaps_and_only_its_records_there() {
    let (s0, _) = config().bounds_ms(0).unwrap();
    let (_, e1) = config().bounds_ms(1).unwrap();
    let mut r = report(Role::Consumer, 0, vec![]);
    r.period_start_ms = s0 + 1_800_000;
    r.period_end_ms = e1 - 1_800_000;
    r.records = vec![
        rec(0, 1_800_000, sla_protocol::Operation::Read, 1, true),
        rec(1, 0, sla_protocol::Operation::Read, 2, true),
        rec(1, 5, sla_protocol::Operation::Read, 3, true),
    ];
    assert_eq!(
        config().epochs_overlapping(r.period_start_ms, r.period_end_ms),
        Some(0..=1)
    );
    let mut e0 = EpochAccumulator::new(ctx(0));
    let mut e1a = EpochAccumulator::new(ctx(1));
    let mut e2 = EpochAccumulator::new(ctx(2));
    assert!(e0.add_report(&r, hash_of(9)).unwrap());
    assert!(e1a.add_report(&r, hash_of(9)).unwrap());
    assert!(!e2.add_report(&r, hash_of(9)).unwrap());
    assert_eq!(e0.summary().consumer.service_operations, 1);
    assert_eq!(e1a.summary().consumer.service_operations, 2);
    assert_eq!(e2.summary().reports, 0);
    // Half of epoch 0 covered: 30 of 60 slots quiet or observed, 30 silent.
    let s = e0.summary();
    assert_eq!(s.consumer.slots.silent, 30);
    assert_eq!(s.consumer.slots.up + s.consumer.slots.quiet, 30);
}

#[test]
fn a_report_of_another_data_unit_or_role_is_refused() {
    let mut view = ViewAccumulator::new(ctx(0), Role::Consumer);
    let mut r = report(Role::Consumer, 0, vec![]);
    r.data_unit = DATA_UNIT + 1;
    assert!(matches!(
        view.add_report(&r, hash_of(1)),
        Err(AggregateError::WrongDataUnit { .. })
    ));
    let r = report(Role::Provider, 0, vec![]);
    assert!(matches!(
        view.add_report(&r, hash_of(1)),
        Err(AggregateError::WrongRole { .. })
    ));
}

#[test]
fn merging_accumulators_that_share_a_report_is_refused_and_changes_nothing() {
    let r = report(
        Role::Provider,
        0,
        spread(0, 3, sla_protocol::Operation::Probe, 1, true),
    );
    let mut a = EpochAccumulator::new(ctx(0));
    a.add_report(&r, hash_of(1)).unwrap();
    let before = a.clone();
    let b = a.clone();
    assert_eq!(
        a.merge(&b),
        Err(AggregateError::OverlappingReports(hash_of(1)))
    );
    assert_eq!(a, before);
    // Adding the same report again is idempotent.
    assert!(a.add_report(&r, hash_of(1)).unwrap());
    assert_eq!(a, before);
}

#[test]
fn summaries_and_verdicts_serialize_to_json_for_the_api() {
    let mut acc = EpochAccumulator::new(ctx(0));
    let custom = sla_protocol::Operation::Custom {
        name: "rpc.lag".into(),
        value: 1,
    };
    let records = vec![
        rec(0, 0, custom, 5, true),
        rec(0, 0, sla_protocol::Operation::Read, 5, true),
    ];
    acc.add_report(&report(Role::Provider, 0, records), hash_of(3))
        .unwrap();
    let s = acc.summary();
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["provider"]["role"], "provider");
    assert_eq!(json["provider"]["ops"][0]["kind"], "read");
    assert_eq!(json["provider"]["ops"][1]["kind"]["custom"], "rpc.lag");
    assert_eq!(json["reports_root"], hex::encode(s.reports_root));
    let w = sla_protocol::WindowSummary::for_terms(
        &config(),
        &terms(),
        DATA_UNIT,
        0,
        std::slice::from_ref(&s),
    )
    .unwrap();
    let v = sla_protocol::evaluate(&terms(), &s, &w).unwrap();
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["metrics"][0]["metric"], "read_latency");
    assert_eq!(json["metrics"][0]["source"], "provider");
    let r = serde_json::to_value(v.epoch_result()).unwrap();
    assert_eq!(r["reports_root"], hex::encode(s.reports_root));
    assert_eq!(r["flags"], 1);
}
