//! Strict ed25519 verification of arbitrary and of mutated signed reports, signatures and keys:
//! never a panic; the protocol's verdict is `ed25519-dalek`'s `verify_strict` with canonical,
//! not-small-order keys; a batch gives each report the verdict it gets alone; and a report that
//! verifies still verifies, with the same hash, after decoding and re-encoding.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;
use sla_fuzz::{signed_report, DEPLOYMENT};
use sla_protocol::codec::{decode, encode};
use sla_protocol::signing::verify_message_strict;
use sla_protocol::{check_reporter_key, verify_batch, SignedReport};

/// `verify_strict` of ed25519-dalek, with the key rules the protocol adds: a key that is the
/// canonical encoding of a point that is not of small order.
fn reference_verdict(key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = <[u8; 64]>::try_from(signature) else {
        return false;
    };
    let canonical = CompressedEdwardsY(*key)
        .decompress()
        .is_some_and(|p| p.compress().to_bytes() == *key);
    let Ok(vk) = VerifyingKey::from_bytes(key) else {
        return false;
    };
    canonical
        && !vk.is_weak()
        && vk
            .verify_strict(message, &Signature::from_bytes(&signature))
            .is_ok()
}

/// Flips bytes of `bytes` at the positions `edits` name (modulo its length).
fn mutate(bytes: &mut [u8], edits: &[(u16, u8)]) {
    if bytes.is_empty() {
        return;
    }
    for &(at, xor) in edits {
        let i = usize::from(at) % bytes.len();
        bytes[i] ^= xor;
    }
}

/// Verifies `signed` alone and in a batch with a valid report, and checks what must hold of
/// every verdict.
fn check_report(signed: SignedReport, valid: &SignedReport) {
    let alone = signed.clone().verify(&DEPLOYMENT);
    let batch = verify_batch(
        vec![valid.clone(), signed.clone()],
        &DEPLOYMENT,
        check_reporter_key,
    );
    assert!(batch[0].is_ok(), "a valid report failed in a batch");
    assert_eq!(
        batch[1], alone,
        "batch verdict differs from the report's own"
    );
    let Ok(verified) = alone else { return };
    assert_eq!(verified.signed, signed);
    // Verifies after a decode/encode round trip, with the same bytes and hash.
    let report = decode(&signed.payload).expect("verified payload decodes");
    assert_eq!(report, verified.report);
    let payload = encode(&report).expect("decoded report encodes");
    assert_eq!(payload, signed.payload);
    let again = SignedReport {
        payload,
        signature: signed.signature.clone(),
    }
    .verify(&DEPLOYMENT)
    .expect("re-encoded report verifies");
    assert_eq!(again.hash, verified.hash);
    // The signature verifies under the reference too.
    assert!(reference_verdict(
        &report.reporter_key,
        &verified.hash.0,
        &signed.signature
    ));
}

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    match u.int_in_range(0u8..=3)? {
        // Raw key, message and signature: the verdict is the reference's.
        0 => {
            let key = <[u8; 32]>::arbitrary(u)?;
            let message = Vec::<u8>::arbitrary(u)?;
            let signature = Vec::<u8>::arbitrary(u)?;
            let ours = verify_message_strict(&key, &message, &signature).is_ok();
            assert_eq!(ours, reference_verdict(&key, &message, &signature));
        }
        // A real signature by a key of any seed, then bits of the key, message or signature
        // flipped: still the reference's verdict.
        1 => {
            let signer = SigningKey::from_bytes(&<[u8; 32]>::arbitrary(u)?);
            let mut message = Vec::<u8>::arbitrary(u)?;
            let mut signature = signer.sign(&message).to_bytes();
            let mut key = signer.verifying_key().to_bytes();
            let edits = Vec::<(u16, u8)>::arbitrary(u)?;
            match u.int_in_range(0u8..=3)? {
                0 => {}
                1 => mutate(&mut key, &edits),
                2 => mutate(&mut message, &edits),
                _ => mutate(&mut signature, &edits),
            }
            let ours = verify_message_strict(&key, &message, &signature).is_ok();
            assert_eq!(ours, reference_verdict(&key, &message, &signature));
        }
        // A valid signed report, then payload or signature bytes flipped, cut or extended.
        2 => {
            let (report, valid) = signed_report(u)?;
            let verified = valid
                .clone()
                .verify(&DEPLOYMENT)
                .expect("signed report verifies");
            assert_eq!(verified.report, report);
            let mut signed = valid.clone();
            let edits = Vec::<(u16, u8)>::arbitrary(u)?;
            match u.int_in_range(0u8..=4)? {
                0 => mutate(&mut signed.payload, &edits),
                1 => mutate(&mut signed.signature, &edits),
                2 => {
                    let keep = u.int_in_range(0..=signed.payload.len())?;
                    signed.payload.truncate(keep);
                }
                3 => signed.payload.extend(Vec::<u8>::arbitrary(u)?),
                _ => {
                    let keep = u.int_in_range(0..=signed.signature.len())?;
                    signed.signature.truncate(keep);
                }
            }
            check_report(signed, &valid);
        }
        // The binary wire form, any bytes (the seeds: a mode byte 3, then a vector's payload and
        // signature).
        _ => {
            let (_, valid) = signed_report(&mut Unstructured::new(&[]))?;
            let wire = u.bytes(u.len())?;
            if let Ok(signed) = SignedReport::from_wire(wire) {
                check_report(signed, &valid);
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
