//! What the strict ed25519 path refuses, pinned against the library versions in Cargo.lock
//! (catalogue items 3 and 4). If an upgrade of ed25519-dalek or curve25519-dalek changes any of
//! these, the change is deliberate and docs/report-format.md must say so.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sla_protocol::signing::verify_message_strict;
use sla_protocol::{check_reporter_key, VerifyError};

fn key(hex_key: &str) -> [u8; 32] {
    hex::decode(hex_key)
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

/// The canonical encodings of the eight points of small order (the torsion subgroup E[8]).
const SMALL_ORDER: [&str; 8] = [
    "0100000000000000000000000000000000000000000000000000000000000000", // identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
    "0000000000000000000000000000000000000000000000000000000000000000", // order 4
    "0000000000000000000000000000000000000000000000000000000000000080", // order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
];

#[test]
fn all_eight_small_order_points_are_weak_keys() {
    for hex_key in SMALL_ORDER {
        assert_eq!(
            check_reporter_key(&key(hex_key)).map(|_| ()),
            Err(VerifyError::WeakKey),
            "{hex_key}"
        );
    }
}

/// Non-canonical encodings exist only for y in [0, 18] (as y + p) and for x = 0 with the sign
/// bit set. The decoder reduces y mod p; the small-order check refuses the ones of small order
/// as weak, and every other non-canonical encoding is refused as invalid (the key must be the
/// canonical encoding of its point). Pinned here.
#[test]
fn non_canonical_key_encodings_are_weak_invalid_or_unusable() {
    // y = p + k, little-endian: p = 2^255 - 19 is ed ff .. ff 7f.
    for k in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut bytes = [0xff; 32];
            bytes[0] = 0xed + k;
            bytes[31] = 0x7f | sign;
            let expected = match k {
                0 | 1 => Err(VerifyError::WeakKey),
                _ => Err(VerifyError::InvalidKey),
            };
            assert_eq!(
                check_reporter_key(&bytes).map(|_| ()),
                expected,
                "y = p + {k}, sign {sign:#x}"
            );
        }
    }
    // x = 0 with the sign bit set ("negative zero"): the identity and the point of order 2.
    for hex_key in [
        "0100000000000000000000000000000000000000000000000000000000000080",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ] {
        assert_eq!(
            check_reporter_key(&key(hex_key)).map(|_| ()),
            Err(VerifyError::WeakKey)
        );
    }
}

/// Why the small-order check matters: with A = identity, R = identity and S = 0 the
/// cofactorless equation [S]B = R + [k]A holds for every message, so ed25519-dalek's lenient
/// `verify` accepts this "signature" of anything. The production path refuses the key.
#[test]
fn identity_key_forgery_is_refused_only_by_the_strict_path() {
    let identity = key(SMALL_ORDER[0]);
    let mut forged = [0u8; 64];
    forged[0] = 1;
    for message in [&b""[..], b"pay the consumer", &[0xab; 32]] {
        let strict = VerifyingKey::from_bytes(&identity)
            .expect("decodes")
            .verify_strict(message, &Signature::from_bytes(&forged));
        assert!(strict.is_err(), "verify_strict refuses small-order R and A");
        let accepted = VerifyingKey::from_bytes(&identity)
            .expect("decodes")
            .verify(message, &Signature::from_bytes(&forged));
        assert!(accepted.is_ok(), "the lenient verify accepts the forgery");
        assert_eq!(
            verify_message_strict(&identity, message, &forged),
            Err(VerifyError::WeakKey)
        );
    }
}

#[test]
fn signature_length_is_checked_first() {
    let k = key(SMALL_ORDER[0]);
    for len in [0usize, 1, 63, 65, 128] {
        assert_eq!(
            verify_message_strict(&k, b"m", &vec![0; len]),
            Err(VerifyError::SignatureLength(len))
        );
    }
}
