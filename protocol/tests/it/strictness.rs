//! What the strict ed25519 path refuses, pinned against the library versions in Cargo.lock
//! (catalogue items 3 and 4). If an upgrade of ed25519-dalek or curve25519-dalek changes any of
//! these, the change is deliberate and docs/report-format.md must say so.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use proptest::prelude::*;
use sha2::{Digest, Sha512};
use sla_protocol::signing::verify_message_strict;
use sla_protocol::strict::{verify_strict_batch, StrictCheck};
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

/// The verdict of `ed25519_dalek`'s own `verify_strict` for a key that passed
/// `check_reporter_key`: what `verify_message_strict` must answer for every input.
fn dalek_verdict(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<(), VerifyError> {
    check_reporter_key(key)?;
    VerifyingKey::from_bytes(key)
        .expect("checked")
        .verify_strict(message, &Signature::from_bytes(signature))
        .map_err(|_| VerifyError::BadSignature)
}

/// How a valid signature is altered before both checks judge it.
#[derive(Debug, Clone)]
enum Alteration {
    None,
    /// One bit of the signature or of the message flipped.
    FlipSignatureBit(usize),
    FlipMessageBit(usize),
    /// `R` replaced by the canonical encoding of a point of small order.
    SmallOrderR(usize),
    /// A point of small order added to `R` (a mixed-order `R`).
    TorsionAddedToR(usize),
    /// `R`'s y coordinate written as y + p where that fits in 255 bits (non-canonical), or
    /// the sign bit of a zero x set.
    NonCanonicalR(u8),
    /// `S` replaced by `S + L` (same equation, non-canonical scalar).
    ScalarPlusOrder,
    /// A signature by a mixed-order key (the signer's point plus a point of small order, which
    /// `check_reporter_key` accepts), made over that key's bytes: `verify_strict` accepts it
    /// only when the challenge kills the torsion part (one message in two to eight).
    MixedOrderKey(usize),
    /// `R` = the identity and `S = k·a`, so that `[S]B - [k]A` is the identity and equals `R`:
    /// the equation holds, and only the refusal of a small-order `R` rejects it.
    IdentityRSatisfyingTheEquation,
}

/// An ed25519 signature by the scalar `a` whose challenge hashes `key` as the public key, with
/// the nonce `r`: `R = [r]B`, `S = r + H(R ‖ key ‖ M)·a`. With `key` the encoding of `[a]B`
/// this is an ordinary signature; with `key` = `[a]B + T` it is a mixed-order key's signature.
fn sign_with_scalar(a: Scalar, r: Scalar, key: &[u8; 32], message: &[u8]) -> [u8; 64] {
    let big_r = (ED25519_BASEPOINT_POINT * r).compress().to_bytes();
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r)
            .chain_update(key)
            .chain_update(message),
    );
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&big_r);
    signature[32..].copy_from_slice(&(r + k * a).to_bytes());
    signature
}

fn mixed_order_key(a: Scalar, torsion: &EdwardsPoint) -> [u8; 32] {
    (ED25519_BASEPOINT_POINT * a + torsion)
        .compress()
        .to_bytes()
}

fn alteration() -> impl Strategy<Value = Alteration> {
    prop_oneof![
        Just(Alteration::None),
        (0usize..512).prop_map(Alteration::FlipSignatureBit),
        (0usize..256).prop_map(Alteration::FlipMessageBit),
        (0usize..8).prop_map(Alteration::SmallOrderR),
        (1usize..8).prop_map(Alteration::TorsionAddedToR),
        (0u8..19).prop_map(Alteration::NonCanonicalR),
        Just(Alteration::ScalarPlusOrder),
        (1usize..8).prop_map(Alteration::MixedOrderKey),
        Just(Alteration::IdentityRSatisfyingTheEquation),
    ]
}

/// L, the order of the prime subgroup, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn add_le(a: &[u8], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = a[i] as u16 + b[i] as u16 + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    out
}

/// A signature by the key of `seed` over `message`, altered by `alteration`: (key, message,
/// signature) for both checks to judge.
fn altered(
    seed: [u8; 32],
    mut message: Vec<u8>,
    alteration: &Alteration,
) -> ([u8; 32], Vec<u8>, [u8; 64]) {
    let signer = SigningKey::from_bytes(&seed);
    let mut key = signer.verifying_key().to_bytes();
    let mut signature = signer.sign(&message).to_bytes();
    match *alteration {
        Alteration::None => {}
        Alteration::FlipSignatureBit(bit) => signature[bit / 8] ^= 1 << (bit % 8),
        Alteration::FlipMessageBit(bit) => message[bit / 8] ^= 1 << (bit % 8),
        Alteration::SmallOrderR(i) => {
            signature[..32].copy_from_slice(&EIGHT_TORSION[i].compress().to_bytes());
        }
        Alteration::TorsionAddedToR(i) => {
            let r = CompressedEdwardsY(signature[..32].try_into().unwrap())
                .decompress()
                .expect("a signer's R decodes");
            signature[..32].copy_from_slice(&(r + EIGHT_TORSION[i]).compress().to_bytes());
        }
        Alteration::NonCanonicalR(k) => {
            let mut r = [0xff; 32];
            r[0] = 0xed + k;
            r[31] = 0x7f | if k % 2 == 0 { 0x80 } else { 0 };
            signature[..32].copy_from_slice(&r);
        }
        Alteration::ScalarPlusOrder => {
            let s = add_le(&signature[32..], &L);
            signature[32..].copy_from_slice(&s);
        }
        Alteration::MixedOrderKey(i) => {
            let a = Scalar::from_bytes_mod_order(seed);
            let r = Scalar::from_bytes_mod_order_wide(&[message[0]; 64]);
            key = mixed_order_key(a, &EIGHT_TORSION[i]);
            signature = sign_with_scalar(a, r, &key, &message);
        }
        Alteration::IdentityRSatisfyingTheEquation => {
            let a = Scalar::from_bytes_mod_order(seed);
            key = (ED25519_BASEPOINT_POINT * a).compress().to_bytes();
            let identity = EdwardsPoint::default().compress().to_bytes();
            let k = Scalar::from_hash(
                Sha512::new()
                    .chain_update(identity)
                    .chain_update(key)
                    .chain_update(&message),
            );
            signature[..32].copy_from_slice(&identity);
            signature[32..].copy_from_slice(&(k * a).to_bytes());
        }
    }
    (key, message, signature)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// The production check (`CheckedKey::verify_strict`, which skips decompressing `R`) gives
    /// `ed25519_dalek::VerifyingKey::verify_strict`'s verdict on valid, altered, small-order,
    /// mixed-order and non-canonical inputs.
    #[test]
    fn production_check_gives_verify_strict_verdicts(
        seed in any::<[u8; 32]>(),
        message in proptest::collection::vec(any::<u8>(), 32),
        alteration in alteration(),
    ) {
        let (key, message, signature) = altered(seed, message, &alteration);
        prop_assert_eq!(
            verify_message_strict(&key, &message, &signature),
            dalek_verdict(&key, &message, &signature),
            "{:?}", alteration
        );
        if matches!(alteration, Alteration::None) {
            prop_assert_eq!(verify_message_strict(&key, &message, &signature), Ok(()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Checked together (one field inversion for the batch), every signature of a batch gets
    /// the verdict it gets alone, whatever the others are.
    #[test]
    fn a_batch_gives_each_signature_its_own_verdict(
        items in proptest::collection::vec(
            (any::<[u8; 32]>(), proptest::collection::vec(any::<u8>(), 32), alteration()),
            1..24,
        ),
    ) {
        let cases: Vec<_> = items
            .into_iter()
            .map(|(seed, message, alteration)| altered(seed, message, &alteration))
            .filter(|(key, _, _)| check_reporter_key(key).is_ok())
            .collect();
        let keys: Vec<_> = cases.iter().map(|(key, _, _)| check_reporter_key(key).unwrap()).collect();
        let checks: Vec<StrictCheck<'_>> = cases
            .iter()
            .zip(&keys)
            .map(|((_, message, signature), key)| StrictCheck { key, message, signature })
            .collect();
        let together = verify_strict_batch(&checks);
        for ((key, message, signature), verdict) in cases.iter().zip(together) {
            prop_assert_eq!(verdict, dalek_verdict(key, message, signature).is_ok());
        }
    }
}

/// Mixed-order keys: over many messages `verify_strict` accepts some signatures and refuses
/// others (it depends on the challenge modulo the torsion's order); the production check must
/// split them the same way. A fixed sweep, so that both verdicts are certainly exercised.
#[test]
fn mixed_order_keys_split_the_same_way() {
    let a = Scalar::from_bytes_mod_order([9; 32]);
    let (mut accepted, mut refused) = (0, 0);
    for i in 0u32..400 {
        let key = mixed_order_key(a, &EIGHT_TORSION[1 + (i % 7) as usize]);
        let message = i.to_le_bytes();
        let nonce = Scalar::from_bytes_mod_order_wide(&[i as u8 ^ 0x5c; 64]);
        let signature = sign_with_scalar(a, nonce, &key, &message);
        let ours = verify_message_strict(&key, &message, &signature);
        assert_eq!(
            ours,
            dalek_verdict(&key, &message, &signature),
            "message {i}"
        );
        match ours {
            Ok(()) => accepted += 1,
            Err(_) => refused += 1,
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}
