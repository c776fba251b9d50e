//! Property tests: the codec round-trips, never panics, has one encoding per report, refuses in
//! `encode` whatever `decode` refuses; and no single flipped bit survives verification
//! (catalogue item 2).

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use sla_protocol::codec::{self, MAX_RECORDS};
use sla_protocol::record::MAX_ERROR_DETAIL_LEN;
use sla_protocol::signing::verify_message_strict;
use sla_protocol::{
    report_hash, sign_report, verify_signature, DecodeError, Deployment, Operation, QosRecord,
    Report, ReportHash, Role, SignedReport, VerifyError, MAX_PERIOD_MS,
};

use crate::common::{arb_report, arb_report_with, encoded_len, raw_encode};

const DEPLOYMENT: Deployment = Deployment {
    chain_id: 31337,
    contract: [0x5f; 20],
};

/// A signing key and a valid report of its public half, for `DEPLOYMENT`.
fn arb_signed() -> impl Strategy<Value = (SigningKey, Report)> {
    any::<[u8; 32]>().prop_flat_map(|seed| {
        let key = SigningKey::from_bytes(&seed);
        let public = key.verifying_key().to_bytes();
        arb_report_with(public, DEPLOYMENT).prop_map(move |report| (key.clone(), report))
    })
}

/// One way to break a valid report, each refused by `check_header` or the record rules.
#[derive(Debug, Clone)]
enum Violation {
    SequenceZero,
    ZeroPrevHashAfterFirst(u64),
    NonZeroPrevHashOnFirst([u8; 32]),
    EndNotAfterStart(u64),
    PeriodTooLong(u64),
    TimestampBeforeStart(u64),
    TimestampAtOrAfterEnd(u64),
    SuccessWithErrorCode(u16),
    SuccessWithErrorDetail(String),
    BadCustomName(String),
}

fn arb_violation() -> impl Strategy<Value = Violation> {
    prop_oneof![
        Just(Violation::SequenceZero),
        (2..=u64::MAX).prop_map(Violation::ZeroPrevHashAfterFirst),
        any::<[u8; 32]>()
            .prop_filter("non-zero", |h| *h != [0; 32])
            .prop_map(Violation::NonZeroPrevHashOnFirst),
        any::<u64>().prop_map(Violation::EndNotAfterStart),
        (1..=u64::MAX / 2).prop_map(Violation::PeriodTooLong),
        (1..=u64::MAX).prop_map(Violation::TimestampBeforeStart),
        any::<u64>().prop_map(Violation::TimestampAtOrAfterEnd),
        (1..=u16::MAX).prop_map(Violation::SuccessWithErrorCode),
        "\\PC{1,40}".prop_map(Violation::SuccessWithErrorDetail),
        prop_oneof![
            Just(String::new()),
            "[a-z]{65,100}",
            "[a-z]{0,10}[A-Z ;/é\u{0}][a-z]{0,10}",
        ]
        .prop_map(Violation::BadCustomName),
    ]
}

/// Applies `v` to a valid report, making it invalid in exactly that way.
fn apply(mut r: Report, v: &Violation) -> Report {
    let needs_record = matches!(
        v,
        Violation::TimestampBeforeStart(_)
            | Violation::TimestampAtOrAfterEnd(_)
            | Violation::SuccessWithErrorCode(_)
            | Violation::SuccessWithErrorDetail(_)
            | Violation::BadCustomName(_)
    );
    if needs_record && r.records.is_empty() {
        r.records.push(QosRecord::success(
            r.period_start_ms,
            Operation::Probe,
            1,
            0,
        ));
    }
    match v {
        Violation::SequenceZero => r.sequence = 0,
        Violation::ZeroPrevHashAfterFirst(seq) => {
            r.sequence = *seq;
            r.prev_hash = ReportHash::ZERO;
        }
        Violation::NonZeroPrevHashOnFirst(h) => {
            r.sequence = 1;
            r.prev_hash = ReportHash(*h);
        }
        Violation::EndNotAfterStart(back) => {
            r.period_end_ms = r.period_start_ms.saturating_sub(back % (MAX_PERIOD_MS + 1));
        }
        Violation::PeriodTooLong(extra) => {
            r.period_start_ms = r.period_start_ms.min(u64::MAX / 4);
            r.period_end_ms = r.period_start_ms + MAX_PERIOD_MS + extra % (u64::MAX / 4);
            for record in &mut r.records {
                record.timestamp_ms = r.period_start_ms;
            }
        }
        Violation::TimestampBeforeStart(back) => {
            if r.period_start_ms == 0 {
                r.period_start_ms = 1;
                r.period_end_ms = r.period_end_ms.max(2);
                for record in &mut r.records {
                    record.timestamp_ms = record.timestamp_ms.max(1);
                }
            }
            let last = r.records.len() - 1;
            r.records[last].timestamp_ms = r.period_start_ms - 1 - back % r.period_start_ms;
        }
        Violation::TimestampAtOrAfterEnd(ahead) => {
            let last = r.records.len() - 1;
            r.records[last].timestamp_ms =
                r.period_end_ms + ahead % (u64::MAX - r.period_end_ms + 1);
        }
        Violation::SuccessWithErrorCode(code) => {
            let last = r.records.len() - 1;
            r.records[last] = QosRecord {
                success: true,
                error_code: *code,
                error_detail: String::new(),
                ..r.records[last].clone()
            };
        }
        Violation::SuccessWithErrorDetail(detail) => {
            let last = r.records.len() - 1;
            r.records[last] = QosRecord {
                success: true,
                error_code: 0,
                error_detail: detail.clone(),
                ..r.records[last].clone()
            };
        }
        Violation::BadCustomName(name) => {
            let last = r.records.len() - 1;
            r.records[last].operation = Operation::Custom {
                name: name.clone(),
                value: 1,
            };
        }
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every valid report encodes; the bytes decode to the same report and have the documented
    /// length; an independent writer of the documented layout produces the same bytes.
    #[test]
    fn encode_decode_round_trip(report in arb_report()) {
        let bytes = codec::encode(&report).expect("a valid report encodes");
        prop_assert_eq!(bytes.len(), encoded_len(&report));
        prop_assert_eq!(&bytes, &raw_encode(&report));
        let decoded = codec::decode(&bytes).expect("its encoding decodes");
        prop_assert_eq!(&decoded, &report);
        prop_assert_eq!(codec::encode(&decoded).expect("re-encodes"), bytes);
    }

    /// `decode` returns (never panics, never allocates by a forged count) on any bytes.
    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        let _ = codec::decode(&bytes);
    }

    /// Same, for bytes that start like a report, so that the fuzzing reaches the records.
    #[test]
    fn decode_never_panics_after_a_valid_prefix(
        report in arb_report(),
        cut in any::<prop::sample::Index>(),
        tail in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let bytes = codec::encode(&report).expect("encodes");
        let mut mutated = bytes[..cut.index(bytes.len() + 1)].to_vec();
        mutated.extend_from_slice(&tail);
        if let Ok(decoded) = codec::decode(&mutated) {
            // Anything that decodes has exactly these bytes as its encoding.
            prop_assert_eq!(codec::encode(&decoded).expect("re-encodes"), mutated);
        }
    }

    /// One encoding per report: whatever a few byte edits of a valid encoding turn it into, if
    /// it still decodes, re-encoding gives the edited bytes back.
    #[test]
    fn decoded_bytes_are_canonical(
        report in arb_report(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = codec::encode(&report).expect("encodes");
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(decoded) = codec::decode(&bytes) {
            prop_assert_eq!(codec::encode(&decoded).expect("re-encodes"), bytes);
        }
    }

    /// `encode` refuses every report `decode` refuses, with the same error, so a client using
    /// this crate can never sign a report the server refuses for its shape.
    #[test]
    fn encode_refuses_what_decode_refuses(report in arb_report(), violation in arb_violation()) {
        let bad = apply(report, &violation);
        let from_encode = codec::encode(&bad).expect_err("encode must refuse");
        let from_decode = codec::decode(&raw_encode(&bad)).expect_err("decode must refuse");
        prop_assert_eq!(from_encode, from_decode);
    }

}

// Signing and verifying are slow in unoptimised test builds (a few ms each), hence fewer cases.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A signed report verifies, its hash is SHA-256 of the payload, and the binary wire form
    /// splits back into the same payload and signature.
    #[test]
    fn signed_reports_verify((key, report) in arb_signed()) {
        let signed = sign_report(&report, &key).expect("signs");
        prop_assert_eq!(SignedReport::from_wire(&signed.to_wire()).expect("splits"), signed.clone());
        let verified = signed.clone().verify(&DEPLOYMENT).expect("verifies");
        prop_assert_eq!(verified.report, report);
        prop_assert_eq!(verified.hash, report_hash(&signed.payload));
    }

    /// Catalogue item 2: any single flipped bit of a valid signed report, in the payload or in
    /// the signature, is refused.
    #[test]
    fn any_single_bit_flip_is_refused(
        (key, report) in arb_signed(),
        bit in any::<prop::sample::Index>(),
    ) {
        let signed = sign_report(&report, &key).expect("signs");
        let mut wire = signed.to_wire();
        let bit = bit.index(wire.len() * 8);
        wire[bit / 8] ^= 1 << (bit % 8);
        let flipped = SignedReport::from_wire(&wire).expect("same length");
        prop_assert!(flipped.verify(&DEPLOYMENT).is_err(), "bit {} accepted", bit);
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// S + L (the same point equation, a non-canonical scalar) is refused for every key and
    /// message, while the original signature holds (catalogue item 4).
    #[test]
    fn non_canonical_s_is_refused(seed in any::<[u8; 32]>(), message in proptest::collection::vec(any::<u8>(), 0..64)) {
        use ed25519_dalek::Signer;
        let key = SigningKey::from_bytes(&seed);
        let public = key.verifying_key().to_bytes();
        let signature = key.sign(&message).to_bytes();
        prop_assert_eq!(verify_message_strict(&public, &message, &signature), Ok(()));
        let mut malleated = signature;
        let l: [u8; 32] = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
            .expect("hex").try_into().expect("32 bytes");
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = malleated[32 + i] as u16 + l[i] as u16 + carry;
            malleated[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        prop_assert_eq!(carry, 0);
        prop_assert_eq!(
            verify_message_strict(&public, &message, &malleated),
            Err(VerifyError::BadSignature)
        );
    }

    /// `verify_signature` is `verify_message_strict` over the 32-byte report hash.
    #[test]
    fn verify_signature_is_the_strict_check_of_the_digest(
        seed in any::<[u8; 32]>(),
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        other in proptest::collection::vec(any::<u8>(), 64..=64),
    ) {
        use ed25519_dalek::Signer;
        let key = SigningKey::from_bytes(&seed);
        let public = key.verifying_key().to_bytes();
        let hash = report_hash(&payload);
        let good = key.sign(&hash.0).to_bytes();
        for signature in [&good[..], &other[..], &good[..63]] {
            prop_assert_eq!(
                verify_signature(&public, &hash, signature),
                verify_message_strict(&public, &hash.0, signature)
            );
        }
        prop_assert_eq!(verify_signature(&public, &hash, &good), Ok(()));
    }
}

/// An error detail longer than 255 bytes cannot be written (its length is one byte): `encode`
/// refuses it rather than truncating.
#[test]
fn encode_refuses_an_error_detail_over_255_bytes() {
    let mut record = QosRecord::failure(1_000, Operation::Upload, 1, 7, "é".repeat(128));
    assert_eq!(record.error_detail.len(), 256);
    let report = Report {
        deployment: DEPLOYMENT,
        role: Role::Consumer,
        reporter_key: [7; 32],
        data_unit: 1,
        sequence: 1,
        prev_hash: ReportHash::ZERO,
        period_start_ms: 1_000,
        period_end_ms: 2_000,
        records: vec![record.clone()],
    };
    assert_eq!(
        codec::encode(&report),
        Err(DecodeError::InvalidField {
            field: "records[].error_detail",
            reason: "must be at most 255 bytes",
        })
    );
    record.error_detail = "é".repeat(127) + "e";
    assert_eq!(record.error_detail.len(), MAX_ERROR_DETAIL_LEN);
    let ok = Report {
        records: vec![record],
        ..report
    };
    let bytes = codec::encode(&ok).expect("255 bytes fit");
    assert_eq!(codec::decode(&bytes), Ok(ok));
}

/// More records than the format allows: refused by both sides with the same error.
#[test]
fn encode_and_decode_refuse_too_many_records() {
    let record = QosRecord::success(1_000, Operation::Read, 1, 1);
    let report = Report {
        deployment: DEPLOYMENT,
        role: Role::Provider,
        reporter_key: [9; 32],
        data_unit: 1,
        sequence: 1,
        prev_hash: ReportHash::ZERO,
        period_start_ms: 1_000,
        period_end_ms: 2_000,
        records: vec![record; MAX_RECORDS as usize + 1],
    };
    let from_encode = codec::encode(&report).expect_err("too many");
    let from_decode = codec::decode(&raw_encode(&report)).expect_err("too many");
    assert_eq!(from_encode, from_decode);
    assert_eq!(from_encode.field(), "payload.record_count");

    let at_limit = Report {
        records: report.records[..MAX_RECORDS as usize].to_vec(),
        ..report
    };
    let bytes = codec::encode(&at_limit).expect("the limit itself is allowed");
    assert_eq!(
        codec::decode(&bytes).expect("decodes").records.len(),
        100_000
    );
}
