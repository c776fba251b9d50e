//! Accumulator decoding (view accumulators of rules versions 1 and 2, and epoch accumulators):
//! whatever decodes is canonical (a version 2 encoding re-encodes to the same bytes; every
//! decoded state encodes and decodes back to itself), summarizes and merges without a panic, and
//! merging is commutative. Structured: an accumulator built from reports decodes from its own
//! encoding.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use sla_fuzz::accumulator;
use sla_protocol::aggregate::{
    EpochAccumulator, Thresholds, ViewAccumulator, ViewSummary, WindowGauges, RULES_VERSION,
    VIEW_ACCUMULATOR_TAG,
};

/// The version byte of an encoded view accumulator.
fn version(bytes: &[u8]) -> Option<u8> {
    bytes.get(VIEW_ACCUMULATOR_TAG.len()).copied()
}

/// What must hold of every view accumulator that decoded from `bytes`.
fn check_view(view: &ViewAccumulator, bytes: &[u8]) {
    let encoded = view.encode();
    if version(bytes) == Some(RULES_VERSION) {
        assert_eq!(encoded, bytes, "decode accepted a non-canonical encoding");
    }
    let again = ViewAccumulator::decode(&encoded).expect("own encoding decodes");
    assert_eq!(&again, view);
    assert_eq!(again.encode(), encoded);
    let summary = view.summary();
    assert_eq!(again.summary(), summary);
    for gauge in &summary.gauges {
        let slots = view
            .gauge_slots(&gauge.name)
            .expect("a summarized gauge has slots");
        assert_eq!(slots.len() as u32, gauge.slots);
        let _ = view.gauge_slots_beyond(
            &gauge.name,
            Thresholds {
                above: gauge.mean,
                below: gauge.mean,
            },
        );
    }
    let mut window = WindowGauges::compute([&summary]);
    window.count_slots(
        [view],
        Thresholds {
            above: Some(0),
            below: Some(0),
        },
    );
    // Merging an empty view of the same context changes nothing.
    let mut merged = view.clone();
    merged
        .merge(&ViewAccumulator::new(*view.context(), view.role()))
        .expect("an empty view merges");
    assert_eq!(merged.encode(), encoded);
}

/// Whether a count of the view reached the end of its range (merging saturates).
fn saturated(summary: &ViewSummary) -> bool {
    summary.ops.iter().any(|op| {
        op.total == u64::MAX
            || op.failed == u64::MAX
            || op.latency.is_some_and(|l| l.count == u64::MAX)
    }) || summary.upload.samples == u64::MAX
        || summary.download.samples == u64::MAX
        || summary.gauges.iter().any(|g| {
            g.samples == u64::MAX || g.sum.is_some_and(|s| s == i128::MAX || s == i128::MIN)
        })
}

fn check_epoch(acc: &EpochAccumulator, bytes: &[u8]) {
    let encoded = acc.encode();
    let again = EpochAccumulator::decode(&encoded).expect("own encoding decodes");
    assert_eq!(&again, acc);
    assert_eq!(again.encode(), encoded);
    if version(&bytes[8..]) == Some(RULES_VERSION)
        && acc.consumer.encode().len() + 8 < bytes.len()
        && version(&bytes[16 + acc.consumer.encode().len()..]) == Some(RULES_VERSION)
    {
        assert_eq!(encoded, bytes, "decode accepted a non-canonical encoding");
    }
    assert_eq!(again.summary(), acc.summary());
    let _ = acc.slot_timeline();
}

fn run(mode: u8, rest: &[u8]) -> arbitrary::Result<()> {
    match mode % 4 {
        0 => {
            if let Ok(view) = ViewAccumulator::decode(rest) {
                check_view(&view, rest);
            }
        }
        1 => {
            if let Ok(acc) = EpochAccumulator::decode(rest) {
                check_epoch(&acc, rest);
            }
        }
        // Two view accumulators, the first one's length in two bytes: merged both ways.
        2 => {
            if rest.len() < 2 {
                return Ok(());
            }
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            let rest = &rest[2..];
            let (a, b) = rest.split_at(len.min(rest.len()));
            let (Ok(a), Ok(b)) = (ViewAccumulator::decode(a), ViewAccumulator::decode(b)) else {
                return Ok(());
            };
            let (mut ab, mut ba) = (a.clone(), b.clone());
            let (r1, r2) = (ab.merge(&b), ba.merge(&a));
            assert_eq!(r1.is_ok(), r2.is_ok());
            match r1 {
                Ok(()) => {
                    assert_eq!(ab.encode(), ba.encode(), "merge is not commutative");
                    assert_eq!(ab.summary(), ba.summary());
                    let bytes = ab.encode();
                    if ViewAccumulator::decode(&bytes).is_ok() {
                        check_view(&ab, &bytes);
                    } else {
                        // Only counts past the 64-bit range (saturated) make a state that cannot
                        // be persisted: 2^64 records, far from anything real.
                        assert!(saturated(&ab.summary()), "a merged state does not decode");
                    }
                }
                Err(_) => {
                    assert_eq!(ab, a, "a refused merge changed the accumulator");
                    assert_eq!(ba, b, "a refused merge changed the accumulator");
                }
            }
        }
        _ => {
            let (acc, _, _) = accumulator(&mut Unstructured::new(rest))?;
            let bytes = acc.encode();
            let decoded = EpochAccumulator::decode(&bytes).expect("own encoding decodes");
            assert_eq!(decoded, acc);
            check_epoch(&decoded, &bytes);
            check_view(&acc.consumer, &acc.consumer.encode());
            check_view(&acc.provider, &acc.provider.encode());
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    if let Some((&mode, rest)) = data.split_first() {
        let _ = run(mode, rest);
    }
});
