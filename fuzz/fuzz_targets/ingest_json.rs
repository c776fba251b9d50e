//! The JSON bodies `POST /v1/reports` and `POST /v1/reports/batch` accept
//! (`ingest-api/src/body.rs`: `{payload, signature}` and `{reports: [...]}`, hex strings, unknown
//! fields refused), parsed with serde_json and decoded with const-hex as the API does: never a
//! panic; parse∘serialize∘parse is stable; and the reports they carry verify like their binary
//! form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};
use sla_fuzz::DEPLOYMENT;
use sla_protocol::{check_reporter_key, verify_batch, SignedReport};

/// `ingest_api::body::JsonSignedReport`, field for field (that crate needs a server to build).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSignedReport {
    payload: String,
    signature: String,
}

/// `ingest_api::body::JsonBatch`.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonBatch {
    reports: Vec<JsonSignedReport>,
}

/// Parses `data` as `T`; when it parses, serializing and parsing again gives the same value and
/// the same JSON.
fn stable<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
{
    let value: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_vec(&value).expect("serializes");
    let again: T = serde_json::from_slice(&json).expect("own JSON parses");
    assert_eq!(again, value);
    assert_eq!(serde_json::to_vec(&again).expect("serializes"), json);
    Some(value)
}

/// `JsonSignedReport::decode`: both fields as hex, an optional `0x`.
fn decode(body: &JsonSignedReport) -> Option<SignedReport> {
    let payload = const_hex::decode(&body.payload).ok()?;
    let signature = const_hex::decode(&body.signature).ok()?;
    // Hex decodes to bytes that encode back to the same digits, up to case and the prefix.
    // const-hex strips a `0x` or a `0X`.
    let digits = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.strip_prefix("0x").map(str::to_owned).unwrap_or(s)
    };
    assert_eq!(const_hex::encode(&payload), digits(&body.payload));
    assert_eq!(const_hex::encode(&signature), digits(&body.signature));
    Some(SignedReport { payload, signature })
}

fuzz_target!(|data: &[u8]| {
    if let Some(body) = stable::<JsonSignedReport>(data) {
        if let Some(signed) = decode(&body) {
            let alone = signed.clone().verify(&DEPLOYMENT);
            let wire = signed.to_wire();
            // The octet-stream body of the same report gets the same verdict, unless the
            // signature's length moved bytes between payload and signature.
            if signed.signature.len() == 64 {
                let binary = SignedReport::from_wire(&wire).expect("64-byte signature");
                assert_eq!(binary.verify(&DEPLOYMENT), alone);
            }
            let batch = verify_batch(vec![signed], &DEPLOYMENT, check_reporter_key);
            assert_eq!(batch, vec![alone]);
        }
    }
    if let Some(batch) = stable::<JsonBatch>(data) {
        let decoded: Vec<SignedReport> = batch.reports.iter().take(16).filter_map(decode).collect();
        let alone: Vec<_> = decoded
            .iter()
            .map(|s| s.clone().verify(&DEPLOYMENT))
            .collect();
        assert_eq!(
            verify_batch(decoded, &DEPLOYMENT, check_reporter_key),
            alone
        );
    }
});
