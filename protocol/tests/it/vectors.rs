//! The published test vectors: `test-vectors/reports-v1.json` (format v1 reports, catalogue
//! items 2-6 and 10) and `test-vectors/ed25519-speccheck.json` (the ed25519 edge cases of
//! "Taming the many EdDSAs", catalogue item 4). Each vector's pinned verdict must be what this
//! crate gives, through the same functions the ingest API calls.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use crate::common::{bytes, load};
use ed25519_dalek::{Signature, SigningKey, Verifier, VerifyingKey};
use serde_json::{json, Value};
use sla_protocol::codec;
use sla_protocol::signing::verify_message_strict;
use sla_protocol::{
    report_hash, Deployment, Operation, QosRecord, Report, ReportHash, Role, SignedReport,
    VerifyError,
};

fn array<const N: usize>(v: &Value) -> [u8; N] {
    bytes(v).try_into().expect("length")
}

fn uint(v: &Value) -> u64 {
    v.as_str()
        .expect("integers are decimal strings")
        .parse()
        .expect("u64")
}

fn verdict<T>(result: Result<T, VerifyError>) -> Value {
    match result {
        Ok(_) => json!("valid"),
        Err(e) => json!({ "error": e.rule(), "field": e.field() }),
    }
}

fn record_from_json(r: &Value) -> QosRecord {
    let operation = match r["operation"].as_str().expect("operation") {
        "read" => Operation::Read,
        "write" => Operation::Write,
        "upload" => Operation::Upload,
        "download" => Operation::Download,
        "delete" => Operation::Delete,
        "probe" => Operation::Probe,
        "custom" => Operation::Custom {
            name: r["custom_name"].as_str().expect("name").to_owned(),
            value: r["custom_value"]
                .as_str()
                .expect("decimal string")
                .parse()
                .expect("i64"),
        },
        other => panic!("unknown operation {other}"),
    };
    QosRecord {
        timestamp_ms: uint(&r["timestamp"]),
        operation,
        latency_us: uint(&r["latency_us"]).try_into().expect("u32"),
        bytes: uint(&r["bytes"]),
        throughput_bps: uint(&r["throughput_bps"]),
        object_size: uint(&r["object_size"]),
        success: r["success"].as_bool().expect("bool"),
        error_code: uint(&r["error_code"]).try_into().expect("u16"),
        error_detail: r["error_detail"].as_str().expect("detail").to_owned(),
    }
}

fn report_from_json(r: &Value) -> Report {
    Report {
        deployment: Deployment {
            chain_id: uint(&r["chain_id"]),
            contract: array(&r["contract"]),
        },
        role: match r["role"].as_str().expect("role") {
            "consumer" => Role::Consumer,
            "provider" => Role::Provider,
            other => panic!("unknown role {other}"),
        },
        reporter_key: array(&r["reporter_key"]),
        data_unit: uint(&r["data_unit"]),
        sequence: uint(&r["sequence"]),
        prev_hash: ReportHash(array(&r["prev_hash"])),
        period_start_ms: uint(&r["period_start"]),
        period_end_ms: uint(&r["period_end"]),
        records: r["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(record_from_json)
            .collect(),
    }
}

/// Every vector in both files gives its pinned verdict; valid reports decode to the listed
/// fields and hash to the listed hash.
#[test]
fn vectors_match() {
    check_report_vectors();
    check_speccheck_vectors();
}

fn check_report_vectors() {
    let file = load("reports-v1.json");

    // The keys are RFC 8032's test keys: seeds and public halves as published.
    let keys = file["keys"].as_array().expect("keys");
    let published = [
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    ];
    assert_eq!(keys.len(), published.len());
    for (k, public) in keys.iter().zip(published) {
        let seed: [u8; 32] = array(&k["secret_key_seed"]);
        let derived = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        assert_eq!(hex::encode(derived), public);
        assert_eq!(k["public_key"], public);
    }

    let vectors = file["vectors"].as_array().expect("vectors");
    let mut names = BTreeSet::new();
    let mut rules = BTreeSet::new();
    let mut hashes = HashMap::new();
    for v in vectors {
        let name = v["name"].as_str().expect("name");
        assert!(names.insert(name), "duplicate vector {name}");
        let deployment = Deployment {
            chain_id: uint(&v["deployment"]["chain_id"]),
            contract: array(&v["deployment"]["contract"]),
        };
        let payload = bytes(&v["payload"]);
        let signature = bytes(&v["signature"]);
        let public_key: [u8; 32] = array(&v["public_key"]);

        assert_eq!(
            v["report_hash"],
            report_hash(&payload).to_hex(),
            "{name}: report_hash"
        );
        hashes.insert(name, report_hash(&payload));
        if !v["secret_key_seed"].is_null() {
            let seed: [u8; 32] = array(&v["secret_key_seed"]);
            let derived = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
            assert_eq!(derived, public_key, "{name}: public_key of the seed");
        }

        let signed = SignedReport {
            payload: payload.clone(),
            signature: signature.clone(),
        };
        let got = verdict(signed.clone().verify(&deployment));
        assert_eq!(got, v["expected"], "{name}: verdict");
        if let Some(error) = v["expected"]["error"].as_str() {
            rules.insert(error.to_owned());
        }
        // The binary wire form (payload ‖ 64-byte signature) gives the same verdict.
        if signature.len() == 64 {
            let wire = SignedReport::from_wire(&signed.to_wire()).expect("splits");
            assert_eq!(wire, signed, "{name}: wire form");
        }

        let decoded = codec::decode(&payload);
        match v.get("report") {
            Some(fields) => {
                let expected = report_from_json(fields);
                assert_eq!(decoded.as_ref(), Ok(&expected), "{name}: decoded fields");
                assert_eq!(
                    codec::encode(&expected).as_ref(),
                    Ok(&payload),
                    "{name}: re-encoding"
                );
            }
            None => assert!(decoded.is_err(), "{name}: decodes but lists no fields"),
        }
        if v["expected"] == "valid" {
            let report = decoded.expect("valid reports decode");
            assert_eq!(report.reporter_key, public_key, "{name}: reporter key");
            assert_eq!(
                verify_message_strict(&public_key, &report_hash(&payload).0, &signature),
                Ok(()),
                "{name}: the signature is over SHA-256(payload)"
            );
        }
    }

    // Every rule of VerifyError::rule() has at least one vector.
    let all_rules = [
        "domain-tag",
        "unknown-version",
        "truncated",
        "trailing-bytes",
        "invalid-field",
        "signature-length",
        "invalid-key",
        "weak-key",
        "bad-signature",
        "wrong-chain",
        "wrong-contract",
    ];
    for rule in all_rules {
        assert!(rules.contains(rule), "no vector for rule {rule}");
    }
    assert_eq!(rules.len(), all_rules.len(), "unknown rules: {rules:?}");

    // The chain vectors link: each names its predecessor's hash.
    let chain = ["minimal-no-records", "chain-sequence-2", "chain-sequence-3"];
    for pair in chain.windows(2) {
        let next = vectors
            .iter()
            .find(|v| v["name"] == pair[1])
            .expect("chain vector");
        assert_eq!(
            next["report"]["prev_hash"],
            hashes[pair[0]].to_hex(),
            "{} chains to {}",
            pair[1],
            pair[0]
        );
    }
}

fn check_speccheck_vectors() {
    let file = load("ed25519-speccheck.json");
    let vectors = file["vectors"].as_array().expect("vectors");
    let mut paper_indices = Vec::new();
    for v in vectors {
        let name = v["name"].as_str().expect("name");
        let message = bytes(&v["message"]);
        let key: [u8; 32] = array(&v["pub_key"]);
        let signature = bytes(&v["signature"]);

        // The production path: the same function that checks every report signature.
        let got = verdict(verify_message_strict(&key, &message, &signature));
        assert_eq!(got, v["expected"], "{name}: verdict");

        // ed25519-dalek's lenient `verify` (no small-order checks), pinned for contrast.
        let signature: [u8; 64] = signature.try_into().expect("64 bytes");
        let lenient = VerifyingKey::from_bytes(&key)
            .map(|k| {
                k.verify(&message, &Signature::from_bytes(&signature))
                    .is_ok()
            })
            .unwrap_or(false);
        let lenient = if lenient { "accepted" } else { "rejected" };
        assert_eq!(v["ed25519_dalek_verify"], lenient, "{name}: lenient verify");

        if let Some(index) = v["paper_index"].as_u64() {
            paper_indices.push(index);
            // Our verdicts agree with the published "Dalek strict" row of speccheck.
            let accepted = v["expected"] == "valid";
            let row = v["speccheck_results_dalek_strict"].as_str().expect("row");
            assert_eq!(row == "accepted", accepted, "{name}: Dalek strict row");
        }
    }
    assert_eq!(paper_indices, (0..12).collect::<Vec<u64>>());
}

/// The committed file `name` is exactly what `gen_vectors` writes (regenerate every file with
/// `cargo run -p sla-protocol --example gen_vectors`).
fn assert_generated_file_is_committed(name: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test-vectors")
        .join(name);
    let committed = std::fs::read_to_string(path).expect("vector file");
    let (_, generated) = crate::gen_vectors::files()
        .into_iter()
        .find(|(file, _)| *file == name)
        .expect("the generator writes this file");
    assert!(
        committed == generated,
        "protocol/test-vectors/{name} is stale: regenerate it with \
         `cargo run -p sla-protocol --example gen_vectors`"
    );
}

#[test]
fn vectors_file_is_up_to_date() {
    assert_generated_file_is_committed("reports-v1.json");
}

#[test]
fn merkle_vectors_file_is_up_to_date() {
    assert_generated_file_is_committed("merkle-v1.json");
}

#[test]
fn aggregation_vectors_file_is_up_to_date() {
    assert_generated_file_is_committed("aggregation-v2.json");
}

/// The generator writes exactly the files the tests above check, and nothing else.
#[test]
fn generator_writes_every_checked_file() {
    let names: Vec<&str> = crate::gen_vectors::files()
        .iter()
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(
        names,
        ["reports-v1.json", "merkle-v1.json", "aggregation-v2.json"]
    );
}

/// The committed rules version 2 vectors are exactly what their generator writes (regenerate
/// with `cargo run -p sla-protocol --example gen_gauge_vectors > protocol/test-vectors/gauges-v2.json`).
/// The generator derives them with the library; the proptests of `aggregate::gauges` check the
/// library against naive references, and these pin the bytes for other implementations.
#[test]
fn gauge_vectors_file_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors/gauges-v2.json");
    let committed = std::fs::read_to_string(path).expect("gauge vector file");
    assert!(
        committed == crate::gen_gauge_vectors::gauge_vectors_json(),
        "protocol/test-vectors/gauges-v2.json is stale: regenerate it with \
         `cargo run -p sla-protocol --example gen_gauge_vectors > protocol/test-vectors/gauges-v2.json`"
    );
}

/// docs/report-format.md section 10 shows the `single-download-record` vector: its payload,
/// report hash and signature must be the file's.
#[test]
fn worked_example_in_docs_matches_vector() {
    let doc_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/report-format.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/report-format.md");
    let file = load("reports-v1.json");
    let v = file["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .find(|v| v["name"] == "single-download-record")
        .expect("the worked example vector");
    for member in [
        "payload",
        "report_hash",
        "signature",
        "secret_key_seed",
        "public_key",
    ] {
        let value = v[member].as_str().expect("hex");
        assert!(
            doc.lines().any(|line| line.contains(value)),
            "docs/report-format.md does not show the vector's {member} {value}"
        );
    }
}
