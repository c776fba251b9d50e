//! The v1 codec on arbitrary bytes: whatever decodes is canonical (re-encoding gives back the
//! same bytes, so the same hash), and the binary wire form splits and joins without loss.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sla_protocol::codec::{decode, encode};
use sla_protocol::{report_hash, SignedReport, VerifyError};

fuzz_target!(|data: &[u8]| {
    match decode(data) {
        Ok(report) => {
            let again = encode(&report).expect("a decoded report encodes");
            assert_eq!(again, data, "decode accepted a non-canonical encoding");
            assert_eq!(report_hash(&again), report_hash(data));
            assert_eq!(decode(&again).as_ref(), Ok(&report));
        }
        Err(err) => {
            // Every refusal names a rule and a field for the problem+json answer.
            let err = VerifyError::from(err);
            assert!(!err.rule().is_empty() && !err.field().is_empty());
            let _ = err.to_string();
        }
    }
    match SignedReport::from_wire(data) {
        Ok(signed) => {
            assert_eq!(signed.signature.len(), 64);
            assert_eq!(signed.to_wire(), data);
            assert_eq!(signed.hash(), report_hash(&signed.payload));
        }
        Err(err) => assert_eq!(err, VerifyError::SignatureLength(data.len())),
    }
});
