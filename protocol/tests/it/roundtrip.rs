//! encode ∘ decode is the identity for every type with a canonical encoding, both ways where
//! both ways mean something: `decode(encode(x)) == x` for every value, and `encode(decode(b)) ==
//! b` for every byte string that decodes (here: valid encodings with bytes flipped, cut or
//! appended, which the fuzz targets of `fuzz/` explore much further; docs/fuzzing.md).
//!
//! Types: reports (format v1, with every record shape), the binary wire form of signed reports,
//! report hashes in hex, role tags, view and epoch accumulators (gauges and counters included,
//! and version 1 accumulators), packed results, and the types whose canonical form is a name or
//! JSON (summaries, whose binary encoding has no decoder, terms, units, statuses, services).

use proptest::prelude::*;
use sla_protocol::aggregate::{
    aggregate_records, pack_results, unpack_results, AggregationContext, EpochAccumulator,
    ServiceType, SlaTerms, ViewAccumulator, PACKED_RESULT_LEN, VIEW_ACCUMULATOR_TAG,
};
use sla_protocol::codec::{decode, encode};
use sla_protocol::gauge::GaugeUnit;
use sla_protocol::parties::AllocationStatus;
use sla_protocol::{EpochResult, EpochSummary, QosRecord, ReportHash, Role, SignedReport};

use crate::aggregate::common::{ctx, hash_of, records_strategy, DATA_UNIT, EPOCH_LEN_S};
use crate::common::arb_report;

/// Byte edits of a valid encoding: flips at positions taken modulo the length, then a cut or an
/// appendix.
#[derive(Debug, Clone)]
struct Edits {
    flips: Vec<(usize, u8)>,
    cut: Option<usize>,
    append: Vec<u8>,
}

fn arb_edits() -> impl Strategy<Value = Edits> {
    (
        prop::collection::vec((any::<usize>(), 1u8..), 0..3),
        prop::option::weighted(0.1, any::<usize>()),
        prop::collection::vec(any::<u8>(), 0..3),
    )
        .prop_map(|(flips, cut, append)| Edits { flips, cut, append })
}

fn apply(mut bytes: Vec<u8>, edits: &Edits) -> Vec<u8> {
    if !bytes.is_empty() {
        for &(at, xor) in &edits.flips {
            let i = at % bytes.len();
            bytes[i] ^= xor;
        }
    }
    if let Some(cut) = edits.cut {
        bytes.truncate(cut % (bytes.len() + 1));
    }
    bytes.extend_from_slice(&edits.append);
    bytes
}

// ---- accumulators ----

/// A view accumulator of `role` from records (service operations, gauges and counters), with
/// `reports` report hashes and one report period.
fn view(role: Role, records: &[QosRecord], reports: u64, period: (u64, u64)) -> ViewAccumulator {
    let c = ctx(0);
    let mut acc = aggregate_records(c, role, records);
    let (a, b) = (c.start_ms() + period.0, c.start_ms() + period.1);
    acc.add_report_period(a.min(b), a.max(b) + 1);
    for n in 0..reports {
        acc.add_report_hash(hash_of(n));
    }
    acc
}

fn arb_view(role: Role) -> impl Strategy<Value = ViewAccumulator> {
    let len = u64::from(EPOCH_LEN_S) * 1000 - 1;
    (records_strategy(40), 0u64..4, 0..len, 0..len)
        .prop_map(move |(records, reports, a, b)| view(role, &records, reports, (a, b)))
}

fn arb_epoch_accumulator() -> impl Strategy<Value = EpochAccumulator> {
    (arb_view(Role::Consumer), arb_view(Role::Provider)).prop_map(|(consumer, provider)| {
        let mut acc = EpochAccumulator::new(ctx(0));
        acc.consumer.merge(&consumer).expect("same context");
        acc.provider.merge(&provider).expect("same context");
        acc
    })
}

/// A version 2 view accumulator encoding turned into version 1: the version byte, and each
/// custom metric without its gauge section (docs/aggregation.md, "Accumulator encoding").
fn to_version_1(v2: &[u8]) -> Vec<u8> {
    struct Cursor<'a> {
        b: &'a [u8],
        at: usize,
    }
    impl Cursor<'_> {
        fn skip(&mut self, n: usize) {
            self.at += n;
        }
        fn u8(&mut self) -> usize {
            self.at += 1;
            usize::from(self.b[self.at - 1])
        }
        fn u32(&mut self) -> usize {
            self.at += 4;
            u32::from_be_bytes(self.b[self.at - 4..self.at].try_into().unwrap()) as usize
        }
        fn u64(&mut self) -> u64 {
            self.at += 8;
            u64::from_be_bytes(self.b[self.at - 8..self.at].try_into().unwrap())
        }
        fn op(&mut self) {
            self.skip(16);
            let runs = self.u64() as usize;
            self.skip(12 * runs);
        }
    }
    let mut c = Cursor { b: v2, at: 0 };
    let mut out = Vec::with_capacity(v2.len());
    c.skip(VIEW_ACCUMULATOR_TAG.len() + 1 + 40 + 1);
    for _ in 0..6 {
        c.op();
    }
    let customs = c.u32();
    let mut kept = 0;
    for _ in 0..customs {
        let len = c.u8();
        c.skip(len);
        c.op();
        out.extend_from_slice(&v2[kept..c.at]);
        // The gauge: count, then (when > 0) sum, min, max, last, slots, series.
        if c.u64() > 0 {
            c.skip(16 + 8 + 8 + 8 + 8);
            let slots = c.u32();
            c.skip(20 * slots);
            let series = c.u32();
            c.skip(16 * series);
        }
        kept = c.at;
    }
    out.extend_from_slice(&v2[kept..]);
    out[VIEW_ACCUMULATOR_TAG.len()] = 1;
    out
}

// ---- packed results ----

fn arb_result() -> impl Strategy<Value = EpochResult> {
    (
        (any::<u64>(), any::<u32>(), any::<u32>(), any::<u64>()),
        (any::<u64>(), any::<u16>(), any::<u16>(), any::<u32>()),
        (any::<u8>(), any::<u8>(), any::<[u8; 32]>()),
    )
        .prop_map(
            |((d, r, w, up), (down, upt, err, ops), (v, f, root))| EpochResult {
                data_unit_id: d,
                read_latency_us: r,
                write_latency_us: w,
                upload_bps: up,
                download_bps: down,
                uptime_bps: upt,
                error_rate_bps: err,
                operations: ops,
                violations: v,
                flags: f,
                reports_root: root,
            },
        )
}

fn arb_terms() -> impl Strategy<Value = SlaTerms> {
    (
        (
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
        ),
        (any::<u16>(), any::<u32>(), any::<u16>(), any::<u32>()),
        (any::<u128>(), any::<[u16; 6]>()),
    )
        .prop_map(
            |((rl, wl, up, down, bound), (upt, win, err, interval), (penalty, weights))| SlaTerms {
                max_read_latency_us: rl,
                max_write_latency_us: wl,
                min_upload_bps: up,
                min_download_bps: down,
                speed_size_bound: bound,
                min_uptime_bps: upt,
                uptime_window: win,
                max_error_rate_bps: err,
                reporting_interval: interval,
                penalty_per_epoch: penalty,
                weights,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn reports_round_trip_both_ways(report in arb_report(), edits in arb_edits()) {
        let bytes = encode(&report).unwrap();
        prop_assert_eq!(decode(&bytes).unwrap(), report);
        let edited = apply(bytes, &edits);
        if let Ok(decoded) = decode(&edited) {
            prop_assert_eq!(encode(&decoded).unwrap(), edited);
        }
    }

    #[test]
    fn signed_reports_round_trip_through_the_wire_form(
        payload in prop::collection::vec(any::<u8>(), 0..300),
        signature in any::<[u8; 32]>(),
        extra in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let signed = SignedReport { payload, signature: [signature, signature].concat() };
        prop_assert_eq!(&SignedReport::from_wire(&signed.to_wire()).unwrap(), &signed);
        // Any bytes of at least 64: split and joined again.
        let wire = [signed.to_wire(), extra].concat();
        prop_assert_eq!(SignedReport::from_wire(&wire).unwrap().to_wire(), wire);
    }

    #[test]
    fn report_hashes_round_trip_through_hex(hash in any::<[u8; 32]>(), upper in any::<bool>()) {
        let hash = ReportHash(hash);
        prop_assert_eq!(ReportHash::from_hex(&hash.to_hex()), Some(hash));
        let hex = if upper { hash.to_hex().to_uppercase() } else { hash.to_hex() };
        prop_assert_eq!(ReportHash::from_hex(&hex).unwrap().to_hex(), hex.to_lowercase());
    }

    #[test]
    fn view_accumulators_round_trip_both_ways(
        acc in prop_oneof![arb_view(Role::Consumer), arb_view(Role::Provider)],
        edits in arb_edits(),
    ) {
        let bytes = acc.encode();
        let decoded = ViewAccumulator::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &acc);
        prop_assert_eq!(decoded.summary(), acc.summary());
        let edited = apply(bytes, &edits);
        if let Ok(decoded) = ViewAccumulator::decode(&edited) {
            prop_assert_eq!(decoded.encode(), edited);
            let _ = decoded.summary();
        }
    }

    #[test]
    fn version_1_accumulators_round_trip_both_ways(
        acc in prop_oneof![arb_view(Role::Consumer), arb_view(Role::Provider)],
    ) {
        // A version 1 state is the state without gauge values: what decoding version 1 gives.
        let v1 = to_version_1(&acc.encode());
        let old = ViewAccumulator::decode(&v1).unwrap();
        prop_assert_eq!(to_version_1(&old.encode()), v1);
        let again = ViewAccumulator::decode(&old.encode()).unwrap();
        prop_assert_eq!(&again, &old);
        let (s, o) = (acc.summary(), old.summary());
        prop_assert_eq!(&o.ops, &s.ops);
        prop_assert_eq!(o.gauges.len(), s.gauges.len());
        prop_assert!(o.gauges.iter().all(|g| g.samples == 0));
    }

    #[test]
    fn epoch_accumulators_round_trip_both_ways(acc in arb_epoch_accumulator(), edits in arb_edits()) {
        let bytes = acc.encode();
        let decoded = EpochAccumulator::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &acc);
        prop_assert_eq!(decoded.summary().encode(), acc.summary().encode());
        let edited = apply(bytes, &edits);
        if let Ok(decoded) = EpochAccumulator::decode(&edited) {
            prop_assert_eq!(decoded.encode(), edited);
        }
    }

    #[test]
    fn summaries_round_trip_through_json_with_the_same_encoding(acc in arb_epoch_accumulator()) {
        let summary = acc.summary();
        let json = serde_json::to_vec(&summary).unwrap();
        let back: EpochSummary = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(back.encode(), summary.encode());
        prop_assert_eq!(&back, &summary);
        prop_assert_eq!(serde_json::to_vec(&back).unwrap(), json);
    }

    #[test]
    fn packed_results_round_trip_both_ways(
        results in prop::collection::vec(arb_result(), 0..5),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let packed = pack_results(&results);
        prop_assert_eq!(packed.len(), results.len() * PACKED_RESULT_LEN);
        prop_assert_eq!(unpack_results(&packed).unwrap(), results);
        match unpack_results(&bytes) {
            Ok(unpacked) => prop_assert_eq!(pack_results(&unpacked), bytes),
            Err(_) => prop_assert_ne!(bytes.len() % PACKED_RESULT_LEN, 0),
        }
    }

    #[test]
    fn terms_round_trip_through_json(terms in arb_terms()) {
        let json = serde_json::to_string(&terms).unwrap();
        let back: SlaTerms = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &terms);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    #[test]
    fn epoch_results_round_trip_through_json(result in arb_result()) {
        let json = serde_json::to_string(&result).unwrap();
        prop_assert_eq!(serde_json::from_str::<EpochResult>(&json).unwrap(), result);
    }
}

#[test]
fn role_tags_round_trip_both_ways() {
    for role in [Role::Consumer, Role::Provider] {
        assert_eq!(Role::from_tag(role.tag()), Some(role));
    }
    for byte in 0..=u8::MAX {
        if let Some(role) = Role::from_tag(byte) {
            assert_eq!(role.tag(), byte);
        }
    }
}

#[test]
fn names_round_trip_both_ways() {
    for unit in GaugeUnit::all() {
        assert_eq!(GaugeUnit::parse(unit.as_str()), Some(unit));
    }
    for status in AllocationStatus::ALL {
        assert_eq!(AllocationStatus::parse(status.as_str()), Some(status));
    }
    for service in ServiceType::ALL {
        assert_eq!(ServiceType::parse(service.as_str()), Some(service));
    }
    for word in [
        "",
        "bytes",
        "unspecified",
        "Bytes",
        "active",
        "storage",
        "x",
    ] {
        if let Some(unit) = GaugeUnit::parse(word) {
            assert_eq!(unit.as_str(), word);
        }
        if let Some(status) = AllocationStatus::parse(word) {
            assert_eq!(status.as_str(), word);
        }
        if let Some(service) = ServiceType::parse(word) {
            assert_eq!(service.as_str(), word);
        }
    }
}

/// docs/contracts.md, "Packed results": the example batch, byte for byte (the bytes the contract's
/// forge tests and `sla_contracts::pack_results` check).
#[test]
fn packed_results_are_the_documented_bytes() {
    let example = hex::decode(concat!(
        "000000000000002a0000303900005ba00000000000b71b000000000000e4e1c0270f0001000003e8110000112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "000000000000002b000000000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000000",
    ))
    .unwrap();
    let mut root = [0u8; 32];
    root.copy_from_slice(
        &hex::decode("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff").unwrap(),
    );
    let results = vec![
        EpochResult {
            data_unit_id: 42,
            read_latency_us: 12_345,
            write_latency_us: 23_456,
            upload_bps: 12_000_000,
            download_bps: 15_000_000,
            uptime_bps: 9999,
            error_rate_bps: 1,
            operations: 1000,
            violations: 0x11,
            flags: 0,
            reports_root: root,
        },
        EpochResult {
            data_unit_id: 43,
            read_latency_us: 0,
            write_latency_us: 0,
            upload_bps: 0,
            download_bps: 0,
            uptime_bps: 0,
            error_rate_bps: 0,
            operations: 0,
            violations: 0,
            flags: 1,
            reports_root: [0; 32],
        },
    ];
    assert_eq!(pack_results(&results), example);
    assert_eq!(unpack_results(&example).unwrap(), results);
    for len in [1, 73, 75, 147, 149] {
        assert!(unpack_results(&vec![0u8; len]).is_err());
    }
    assert_eq!(unpack_results(&[]).unwrap(), vec![]);
}

#[test]
fn an_empty_accumulator_round_trips() {
    let c: AggregationContext = ctx(0);
    assert_eq!(c.data_unit(), DATA_UNIT);
    for role in [Role::Consumer, Role::Provider] {
        let acc = ViewAccumulator::new(c, role);
        assert_eq!(ViewAccumulator::decode(&acc.encode()).unwrap(), acc);
    }
    let acc = EpochAccumulator::new(c);
    assert_eq!(EpochAccumulator::decode(&acc.encode()).unwrap(), acc);
}
