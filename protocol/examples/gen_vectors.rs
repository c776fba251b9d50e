//! Generates the published test vectors in `protocol/test-vectors/`:
//!
//! - `reports-v1.json`, the format-v1 report vectors of `docs/report-format.md`;
//! - `merkle-v1.json`, Merkle leaves, roots and proofs (`docs/aggregation.md`, "Merkle tree");
//! - `aggregation-v2.json`, epochs of signed reports and what the rules derive from them:
//!   accumulators, summaries, windows, verdicts and the contract's `EpochResult`.
//!
//! ```text
//! cargo run -p sla-protocol --example gen_vectors            # writes protocol/test-vectors/*.json
//! cargo run -p sla-protocol --example gen_vectors -- DIR     # writes them into DIR instead
//! ```
//!
//! The output is deterministic: fixed key seeds, deterministic ed25519 signatures, no clock and
//! no randomness. Every vector states the verdict it is meant to have; the generator runs the
//! library on it and stops if the library disagrees, so a bug cannot be silently pinned. The
//! tests `vectors_file_is_up_to_date`, `merkle_vectors_file_is_up_to_date` and
//! `aggregation_vectors_file_is_up_to_date` (protocol/tests/it) check the committed files
//! against this output; `vectors_match`, `merkle_vectors_match` and `aggregation_vectors_match`
//! check the files against the library.
//!
//! Invalid payloads are written with `RawReport`, a byte writer that follows the layout but
//! checks nothing, so that each invalid vector breaks exactly the rules it names and is otherwise
//! correctly signed by its key (a verifier that skips the rule would accept it).

use ed25519_dalek::{Signer as _, SigningKey};
use serde::Serialize;
use sla_protocol::codec::{self, DOMAIN_TAG, FORMAT_VERSION};
use sla_protocol::{
    report_hash, Deployment, Operation, QosRecord, Report, ReportHash, Role, SignedReport,
    MAX_PERIOD_MS,
};

/// Chain id of every vector's deployment (anvil's default).
pub(crate) const CHAIN_ID: u64 = 31337;
/// SLA contract of every vector's deployment (the first contract anvil's default account deploys).
pub(crate) const CONTRACT_HEX: &str = "5fbdb2315678afecb367f032d93f642f64180aa3";
/// Consumer key seed: the secret key of RFC 8032 section 7.1, TEST 1.
pub(crate) const CONSUMER_SEED_HEX: &str =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// Provider key seed: the secret key of RFC 8032 section 7.1, TEST 2.
pub(crate) const PROVIDER_SEED_HEX: &str =
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
/// 2026-01-01T00:00:00Z in Unix milliseconds: the start of most vectors' periods.
pub(crate) const START: u64 = 1_767_225_600_000;
/// One hour in milliseconds.
pub(crate) const HOUR: u64 = 3_600_000;
/// The order L of the ed25519 prime-order subgroup, little-endian.
const ORDER_L_LE: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

#[path = "vectors/aggregation.rs"]
mod aggregation;
#[path = "vectors/merkle.rs"]
mod merkle;

fn main() {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors"),
    };
    for (name, text) in files() {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
    }
}

/// Every file this program writes, by name, with its whole text.
pub(crate) fn files() -> Vec<(&'static str, String)> {
    vec![
        ("reports-v1.json", vectors_json()),
        ("merkle-v1.json", merkle::merkle_json()),
        ("aggregation-v2.json", aggregation::aggregation_json()),
    ]
}

/// How to regenerate every file, as the files say.
pub(crate) const GENERATOR: &str = "cargo run -p sla-protocol --example gen_vectors";

/// The whole vector file, pretty-printed, with a final newline.
pub(crate) fn vectors_json() -> String {
    let mut out = serde_json::to_string_pretty(&build()).expect("vectors serialize");
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------------------------
// The file's JSON shape. Every integer is a JSON string of decimal digits: 64-bit values do not
// fit the 2^53 integer range of many JSON parsers.

#[derive(Serialize)]
struct VectorFile {
    format: &'static str,
    spec: &'static str,
    generator: &'static str,
    notes: Vec<&'static str>,
    keys: Vec<KeyJson>,
    vectors: Vec<Vector>,
}

#[derive(Serialize)]
struct KeyJson {
    name: &'static str,
    secret_key_seed: String,
    public_key: String,
    source: &'static str,
}

#[derive(Serialize)]
struct DeploymentJson {
    chain_id: String,
    contract: String,
}

#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
#[serde(untagged)]
enum Expected {
    Valid(&'static str),
    Error { error: String, field: String },
}

#[derive(Serialize)]
struct Vector {
    name: String,
    description: String,
    deployment: DeploymentJson,
    secret_key_seed: Option<String>,
    public_key: String,
    payload: String,
    signature: String,
    report_hash: String,
    expected: Expected,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<ReportJson>,
}

#[derive(Serialize)]
struct ReportJson {
    chain_id: String,
    contract: String,
    role: &'static str,
    reporter_key: String,
    data_unit: String,
    sequence: String,
    prev_hash: String,
    period_start: String,
    period_end: String,
    records: Vec<RecordJson>,
}

#[derive(Serialize)]
struct RecordJson {
    timestamp: String,
    operation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_value: Option<String>,
    latency_us: String,
    bytes: String,
    throughput_bps: String,
    object_size: String,
    success: bool,
    error_code: String,
    error_detail: String,
}

fn report_json(r: &Report) -> ReportJson {
    ReportJson {
        chain_id: r.deployment.chain_id.to_string(),
        contract: hex::encode(r.deployment.contract),
        role: r.role.as_str(),
        reporter_key: hex::encode(r.reporter_key),
        data_unit: r.data_unit.to_string(),
        sequence: r.sequence.to_string(),
        prev_hash: r.prev_hash.to_hex(),
        period_start: r.period_start_ms.to_string(),
        period_end: r.period_end_ms.to_string(),
        records: r.records.iter().map(record_json).collect(),
    }
}

fn record_json(q: &QosRecord) -> RecordJson {
    let (operation, custom_name, custom_value) = match &q.operation {
        Operation::Read => ("read", None, None),
        Operation::Write => ("write", None, None),
        Operation::Upload => ("upload", None, None),
        Operation::Download => ("download", None, None),
        Operation::Delete => ("delete", None, None),
        Operation::Probe => ("probe", None, None),
        Operation::Custom { name, value } => {
            ("custom", Some(name.clone()), Some(value.to_string()))
        }
    };
    RecordJson {
        timestamp: q.timestamp_ms.to_string(),
        operation,
        custom_name,
        custom_value,
        latency_us: q.latency_us.to_string(),
        bytes: q.bytes.to_string(),
        throughput_bps: q.throughput_bps.to_string(),
        object_size: q.object_size.to_string(),
        success: q.success,
        error_code: q.error_code.to_string(),
        error_detail: q.error_detail.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// A writer for the v1 layout that checks nothing.

#[derive(Clone)]
struct RawReport {
    tag: Vec<u8>,
    version: u8,
    chain_id: u64,
    contract: [u8; 20],
    role: u8,
    reporter_key: [u8; 32],
    data_unit: u64,
    sequence: u64,
    prev_hash: [u8; 32],
    period_start_ms: u64,
    period_end_ms: u64,
    /// The record count to write; `None` writes the number of records.
    record_count: Option<u32>,
    records: Vec<RawRecord>,
}

#[derive(Clone)]
struct RawRecord {
    timestamp_ms: u64,
    operation: u8,
    /// Name bytes and value, written only when `operation` is 7.
    custom: Option<(Vec<u8>, i64)>,
    latency_us: u32,
    bytes: u64,
    throughput_bps: u64,
    object_size: u64,
    success: u8,
    error_code: u16,
    error_detail: Vec<u8>,
}

impl RawReport {
    fn from_report(r: &Report) -> RawReport {
        RawReport {
            tag: DOMAIN_TAG.to_vec(),
            version: FORMAT_VERSION,
            chain_id: r.deployment.chain_id,
            contract: r.deployment.contract,
            role: r.role.tag(),
            reporter_key: r.reporter_key,
            data_unit: r.data_unit,
            sequence: r.sequence,
            prev_hash: r.prev_hash.0,
            period_start_ms: r.period_start_ms,
            period_end_ms: r.period_end_ms,
            record_count: None,
            records: r.records.iter().map(RawRecord::from_record).collect(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.tag);
        out.push(self.version);
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.contract);
        out.push(self.role);
        out.extend_from_slice(&self.reporter_key);
        out.extend_from_slice(&self.data_unit.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.prev_hash);
        out.extend_from_slice(&self.period_start_ms.to_be_bytes());
        out.extend_from_slice(&self.period_end_ms.to_be_bytes());
        let count = self.record_count.unwrap_or(self.records.len() as u32);
        out.extend_from_slice(&count.to_be_bytes());
        for r in &self.records {
            out.extend_from_slice(&r.timestamp_ms.to_be_bytes());
            out.push(r.operation);
            if r.operation == 7 {
                let (name, value) = r.custom.as_ref().expect("custom record has a name");
                out.push(name.len() as u8);
                out.extend_from_slice(name);
                out.extend_from_slice(&value.to_be_bytes());
            }
            out.extend_from_slice(&r.latency_us.to_be_bytes());
            out.extend_from_slice(&r.bytes.to_be_bytes());
            out.extend_from_slice(&r.throughput_bps.to_be_bytes());
            out.extend_from_slice(&r.object_size.to_be_bytes());
            out.push(r.success);
            out.extend_from_slice(&r.error_code.to_be_bytes());
            out.push(r.error_detail.len() as u8);
            out.extend_from_slice(&r.error_detail);
        }
        out
    }
}

impl RawRecord {
    fn from_record(q: &QosRecord) -> RawRecord {
        RawRecord {
            timestamp_ms: q.timestamp_ms,
            operation: q.operation.tag(),
            custom: match &q.operation {
                Operation::Custom { name, value } => Some((name.as_bytes().to_vec(), *value)),
                _ => None,
            },
            latency_us: q.latency_us,
            bytes: q.bytes,
            throughput_bps: q.throughput_bps,
            object_size: q.object_size,
            success: q.success as u8,
            error_code: q.error_code,
            error_detail: q.error_detail.as_bytes().to_vec(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building the vectors.

fn seed(hex_seed: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_seed, &mut out).expect("seed hex");
    out
}

fn public_key(seed: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

/// The reporter's signature: ed25519 (RFC 8032, pure) over the 32-byte SHA-256 digest.
fn sign(seed: &[u8; 32], payload: &[u8]) -> Vec<u8> {
    SigningKey::from_bytes(seed)
        .sign(&report_hash(payload).0)
        .to_bytes()
        .to_vec()
}

fn deployment() -> Deployment {
    let mut contract = [0u8; 20];
    hex::decode_to_slice(CONTRACT_HEX, &mut contract).expect("contract hex");
    Deployment {
        chain_id: CHAIN_ID,
        contract,
    }
}

fn hex32(s: &str) -> [u8; 32] {
    seed(s)
}

fn err(rule: &str, field: &str) -> Expected {
    Expected::Error {
        error: rule.to_owned(),
        field: field.to_owned(),
    }
}

const VALID: Expected = Expected::Valid("valid");

struct Gen {
    vectors: Vec<Vector>,
    consumer: [u8; 32],
}

/// Who produced a vector's signature.
enum Signer {
    /// A real key, by seed.
    Seed([u8; 32]),
    /// Nobody: the signature was put together by hand; the public key is the payload's key.
    Forged([u8; 32]),
}

impl Gen {
    /// Adds a vector whose signature is given, after checking the library gives `intent`.
    fn push_raw(
        &mut self,
        name: &str,
        description: &str,
        signer: Signer,
        payload: Vec<u8>,
        signature: Vec<u8>,
        intent: Expected,
    ) {
        let deployment = deployment();
        let signed = SignedReport {
            payload: payload.clone(),
            signature: signature.clone(),
        };
        let got = match signed.verify(&deployment) {
            Ok(_) => VALID,
            Err(e) => err(e.rule(), e.field()),
        };
        assert_eq!(got, intent, "vector `{name}`: the library disagrees");
        let report = codec::decode(&payload).ok();
        if let Some(report) = &report {
            // Whatever decodes re-encodes to the same bytes: one encoding per report.
            assert_eq!(codec::encode(report).as_ref(), Ok(&payload), "{name}");
        }
        let (seed, key) = match signer {
            Signer::Seed(seed) => (Some(hex::encode(seed)), public_key(&seed)),
            Signer::Forged(key) => (None, key),
        };
        self.vectors.push(Vector {
            name: name.to_owned(),
            description: description.to_owned(),
            deployment: DeploymentJson {
                chain_id: deployment.chain_id.to_string(),
                contract: hex::encode(deployment.contract),
            },
            secret_key_seed: seed,
            public_key: hex::encode(key),
            payload: hex::encode(&payload),
            signature: hex::encode(&signature),
            report_hash: report_hash(&payload).to_hex(),
            expected: intent,
            report: report.as_ref().map(report_json),
        });
    }

    /// Adds a vector signed correctly by `seed` over `payload`.
    fn push(
        &mut self,
        name: &str,
        description: &str,
        seed: [u8; 32],
        payload: Vec<u8>,
        intent: Expected,
    ) {
        let signature = sign(&seed, &payload);
        self.push_raw(
            name,
            description,
            Signer::Seed(seed),
            payload,
            signature,
            intent,
        );
    }

    /// Adds a valid report, signed by `seed`; returns its hash for chaining.
    fn push_valid(
        &mut self,
        name: &str,
        description: &str,
        seed: [u8; 32],
        report: &Report,
    ) -> ReportHash {
        let payload = codec::encode(report).expect("valid report encodes");
        assert_eq!(payload, RawReport::from_report(report).bytes(), "{name}");
        let hash = report_hash(&payload);
        self.push(name, description, seed, payload, VALID);
        hash
    }

    /// Adds an invalid payload: `raw` after `mutate`, signed by the consumer key.
    fn push_mutated(
        &mut self,
        name: &str,
        description: &str,
        base: &Report,
        mutate: impl FnOnce(&mut RawReport),
        intent: Expected,
    ) {
        let mut raw = RawReport::from_report(base);
        mutate(&mut raw);
        let seed = self.consumer;
        self.push(name, description, seed, raw.bytes(), intent);
    }
}

fn report(
    role: Role,
    key: [u8; 32],
    data_unit: u64,
    sequence: u64,
    prev_hash: ReportHash,
    period: (u64, u64),
    records: Vec<QosRecord>,
) -> Report {
    Report {
        deployment: deployment(),
        role,
        reporter_key: key,
        data_unit,
        sequence,
        prev_hash,
        period_start_ms: period.0,
        period_end_ms: period.1,
        records,
    }
}

/// S + L: the same signature with a non-canonical scalar (S + L < 2^254, so it fits).
fn add_order_to_s(signature: &[u8]) -> Vec<u8> {
    let mut out = signature.to_vec();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = out[32 + i] as u16 + ORDER_L_LE[i] as u16 + carry;
        out[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    assert!(out[63] < 0x40, "S + L < 2^254");
    out
}

fn build() -> VectorFile {
    let consumer = seed(CONSUMER_SEED_HEX);
    let provider = seed(PROVIDER_SEED_HEX);
    let consumer_pk = public_key(&consumer);
    let provider_pk = public_key(&provider);
    let mut g = Gen {
        vectors: Vec::new(),
        consumer,
    };
    let one_hour = (START, START + HOUR);

    // --- Valid reports -----------------------------------------------------------------------

    let worked = report(
        Role::Consumer,
        consumer_pk,
        42,
        1,
        ReportHash::ZERO,
        one_hour,
        vec![QosRecord::success(
            START + 1_234,
            Operation::Download,
            250_000,
            1_048_576,
        )],
    );
    g.push_valid(
        "single-download-record",
        "The worked example of docs/report-format.md: a consumer's first report (sequence 1, \
         zero prev_hash) on data unit 42 for the hour from 2026-01-01T00:00:00Z, with one \
         successful 1 MiB download that took 250 ms (4194304 bytes/s).",
        consumer,
        &worked,
    );

    let minimal = report(
        Role::Consumer,
        consumer_pk,
        7,
        1,
        ReportHash::ZERO,
        one_hour,
        vec![],
    );
    let h1 = g.push_valid(
        "minimal-no-records",
        "The smallest valid report: the 151-byte header and zero records (a reporter that \
         measured nothing in the period still reports, to keep its chain and cadence). \
         First of a chain on data unit 7.",
        consumer,
        &minimal,
    );
    let seq2 = report(
        Role::Consumer,
        consumer_pk,
        7,
        2,
        h1,
        (START + HOUR, START + 2 * HOUR),
        vec![QosRecord::success(
            START + HOUR,
            Operation::Read,
            1_500,
            4_096,
        )],
    );
    let h2 = g.push_valid(
        "chain-sequence-2",
        "Second report of the chain on data unit 7: sequence 2, prev_hash = report_hash of \
         `minimal-no-records`, period starting exactly where the previous one ended. Its record \
         lies at period_start (the start is inclusive).",
        consumer,
        &seq2,
    );
    let seq3 = report(
        Role::Consumer,
        consumer_pk,
        7,
        3,
        h2,
        (START + 2 * HOUR, START + 3 * HOUR),
        vec![],
    );
    g.push_valid(
        "chain-sequence-3",
        "Third report of the chain on data unit 7: sequence 3, prev_hash = report_hash of \
         `chain-sequence-2`.",
        consumer,
        &seq3,
    );

    let all_ops = report(
        Role::Consumer,
        consumer_pk,
        8,
        1,
        ReportHash::ZERO,
        one_hour,
        vec![
            QosRecord::success(START, Operation::Read, 800, 512),
            QosRecord::success(START + 1, Operation::Write, 2_500, 65_536),
            QosRecord::success(START + 2, Operation::Upload, 1_000_000, 10_000_000),
            QosRecord::success(START + 3, Operation::Download, 400_000, 10_000_000),
            QosRecord::success(START + 4, Operation::Delete, 1_200, 0),
            QosRecord::success(START + 5, Operation::Probe, 35_000, 0),
            QosRecord::success(
                START + HOUR - 1,
                Operation::Custom {
                    name: "rpc.block_lag".into(),
                    value: -3,
                },
                0,
                0,
            ),
        ],
    );
    g.push_valid(
        "all-operation-types",
        "One record of each operation: read (1), write (2), upload (3), download (4), \
         delete (5), probe (6) and custom (7) `rpc.block_lag` with the negative value -3. The \
         first record lies at period_start, the last at period_end - 1 ms (the last instant \
         inside the half-open period).",
        consumer,
        &all_ops,
    );

    let provider_report = report(
        Role::Provider,
        provider_pk,
        42,
        1,
        ReportHash::ZERO,
        one_hour,
        vec![QosRecord::success(
            START + 60_000,
            Operation::Probe,
            12_000,
            0,
        )],
    );
    g.push_valid(
        "provider-role",
        "A provider's first report (role byte 2) on data unit 42, signed with the provider \
         key. Each (key, data unit) has its own sequence and hash chain, so it starts at \
         sequence 1 although the consumer also reports on data unit 42.",
        provider,
        &provider_report,
    );

    let failure = report(
        Role::Consumer,
        consumer_pk,
        9,
        1,
        ReportHash::ZERO,
        one_hour,
        vec![QosRecord::failure(
            START + 10_000,
            Operation::Upload,
            30_000_000,
            503,
            "délai dépassé — 超时 ⏱",
        )],
    );
    g.push_valid(
        "failure-record-utf8-detail",
        "A failed upload (success 0) with error code 503 and an error detail in multi-byte \
         UTF-8 (2-, 3- and 4-byte sequences); its length byte counts bytes, not characters.",
        consumer,
        &failure,
    );

    let day = report(
        Role::Consumer,
        consumer_pk,
        10,
        1,
        ReportHash::ZERO,
        (START, START + MAX_PERIOD_MS),
        vec![QosRecord::success(
            START + MAX_PERIOD_MS - 1,
            Operation::Read,
            900,
            1_024,
        )],
    );
    g.push_valid(
        "period-exactly-24h",
        "A period of exactly 24 h (86400000 ms), the longest allowed, with a record at its \
         last millisecond.",
        consumer,
        &day,
    );

    let max_name: String = "abcdefghijklmnopqrstuvwxyz0123456789_.:-"
        .chars()
        .cycle()
        .take(64)
        .collect();
    let max_detail = "e".repeat(255);
    let max_values = report(
        Role::Provider,
        provider_pk,
        u64::MAX,
        1,
        ReportHash::ZERO,
        one_hour,
        vec![
            QosRecord {
                timestamp_ms: START,
                operation: Operation::Download,
                latency_us: u32::MAX,
                bytes: u64::MAX,
                throughput_bps: u64::MAX,
                object_size: u64::MAX,
                success: true,
                error_code: 0,
                error_detail: String::new(),
            },
            QosRecord {
                timestamp_ms: START + 1,
                operation: Operation::Upload,
                latency_us: u32::MAX,
                bytes: u64::MAX,
                throughput_bps: u64::MAX,
                object_size: u64::MAX,
                success: false,
                error_code: u16::MAX,
                error_detail: max_detail,
            },
            QosRecord::success(
                START + 2,
                Operation::Custom {
                    name: max_name,
                    value: i64::MIN,
                },
                0,
                0,
            ),
            QosRecord::success(
                START + 3,
                Operation::Custom {
                    name: "x".into(),
                    value: i64::MAX,
                },
                0,
                0,
            ),
        ],
    );
    g.push_valid(
        "max-values",
        "Extremes in every numeric field: data unit, bytes, throughput_bps and object_size \
         u64::MAX, latency_us u32::MAX, error_code u16::MAX, a 255-byte error detail (the \
         longest), a 64-byte custom metric name (the longest) with value i64::MIN, and a \
         1-byte name with i64::MAX. Readers in languages with signed 64-bit integers must not \
         turn these into negative numbers.",
        provider,
        &max_values,
    );

    let far = report(
        Role::Consumer,
        consumer_pk,
        11,
        1,
        ReportHash::ZERO,
        (u64::MAX - MAX_PERIOD_MS, u64::MAX),
        vec![QosRecord::success(u64::MAX - 1, Operation::Probe, 1, 0)],
    );
    g.push_valid(
        "period-at-u64-max",
        "A 24 h period ending at u64::MAX ms with a record at u64::MAX - 1: valid as bytes \
         (the format has no clock); the ingest API refuses it later as period-in-future.",
        consumer,
        &far,
    );

    // --- Structure: domain tag, version, length --------------------------------------------

    let worked_payload = codec::encode(&worked).expect("encodes");
    g.push(
        "empty-payload",
        "Zero payload bytes.",
        consumer,
        vec![],
        err("truncated", "payload.domain_tag"),
    );
    g.push(
        "domain-tag-only",
        "Only the 21-byte domain tag; the version byte is missing.",
        consumer,
        DOMAIN_TAG.to_vec(),
        err("truncated", "payload.version"),
    );
    g.push_mutated(
        "wrong-domain-tag",
        "The domain tag's last byte changed (\"SLA-ORACLE/QOS-REPORX\"): the bytes are not a \
         report.",
        &worked,
        |r| r.tag[20] = b'X',
        err("domain-tag", "payload.domain_tag"),
    );
    g.push_mutated(
        "lowercase-domain-tag",
        "The domain tag in lower case: tags compare byte for byte.",
        &worked,
        |r| r.tag = b"sla-oracle/qos-report".to_vec(),
        err("domain-tag", "payload.domain_tag"),
    );
    g.push_mutated(
        "unknown-version-2",
        "Version byte 2: only version 1 exists.",
        &worked,
        |r| r.version = 2,
        err("unknown-version", "payload.version"),
    );
    g.push_mutated(
        "unknown-version-0",
        "Version byte 0.",
        &worked,
        |r| r.version = 0,
        err("unknown-version", "payload.version"),
    );
    g.push(
        "truncated-in-header",
        "The worked example cut after 145 bytes, inside period_end (offsets 139..147).",
        consumer,
        worked_payload[..145].to_vec(),
        err("truncated", "payload.period_end"),
    );
    g.push(
        "truncated-in-record",
        "The worked example without its last 5 bytes: the record ends inside object_size.",
        consumer,
        worked_payload[..worked_payload.len() - 5].to_vec(),
        err("truncated", "records[].object_size"),
    );
    g.push_mutated(
        "record-count-exceeds-records",
        "record_count says 2 but one record follows.",
        &worked,
        |r| r.record_count = Some(2),
        err("truncated", "records[].timestamp"),
    );
    g.push(
        "trailing-byte",
        "The worked example followed by one 0x00 byte: nothing may follow the last record.",
        consumer,
        [worked_payload.as_slice(), &[0]].concat(),
        err("trailing-bytes", "payload"),
    );
    g.push_mutated(
        "record-count-fewer-than-records",
        "record_count 0 while one record follows: the record is trailing bytes.",
        &worked,
        |r| r.record_count = Some(0),
        err("trailing-bytes", "payload"),
    );
    g.push_mutated(
        "record-count-over-limit",
        "record_count 100001, over the format's limit of 100000 (refused before any record is \
         read).",
        &minimal,
        |r| r.record_count = Some(100_001),
        err("invalid-field", "payload.record_count"),
    );

    // --- Header rules ------------------------------------------------------------------------

    g.push_mutated(
        "role-0",
        "Role byte 0: only 1 (consumer) and 2 (provider) exist.",
        &worked,
        |r| r.role = 0,
        err("invalid-field", "payload.role"),
    );
    g.push_mutated(
        "role-3",
        "Role byte 3.",
        &worked,
        |r| r.role = 3,
        err("invalid-field", "payload.role"),
    );
    g.push_mutated(
        "sequence-0",
        "Sequence 0 (with a zero prev_hash): sequences start at 1.",
        &worked,
        |r| r.sequence = 0,
        err("invalid-field", "payload.sequence"),
    );
    g.push_mutated(
        "sequence-1-nonzero-prev-hash",
        "Sequence 1 whose prev_hash is not all zeros.",
        &worked,
        |r| r.prev_hash = h1.0,
        err("invalid-field", "payload.prev_hash"),
    );
    g.push_mutated(
        "sequence-2-zero-prev-hash",
        "Sequence 2 with an all-zero prev_hash: every report after the first names its \
         predecessor.",
        &worked,
        |r| r.sequence = 2,
        err("invalid-field", "payload.prev_hash"),
    );
    g.push_mutated(
        "period-end-equals-start",
        "An empty period: period_end == period_start.",
        &minimal,
        |r| r.period_end_ms = r.period_start_ms,
        err("invalid-field", "payload.period_end"),
    );
    g.push_mutated(
        "period-end-before-start",
        "period_end one millisecond before period_start.",
        &minimal,
        |r| r.period_end_ms = r.period_start_ms - 1,
        err("invalid-field", "payload.period_end"),
    );
    g.push_mutated(
        "period-24h-plus-1ms",
        "A period of 24 h + 1 ms (86400001 ms).",
        &minimal,
        |r| r.period_end_ms = r.period_start_ms + MAX_PERIOD_MS + 1,
        err("invalid-field", "payload.period_end"),
    );

    // --- Record rules ------------------------------------------------------------------------

    g.push_mutated(
        "record-timestamp-equals-period-end",
        "A record at period_end: the period is half-open [start, end), so end is outside.",
        &worked,
        |r| r.records[0].timestamp_ms = r.period_end_ms,
        err("invalid-field", "records[].timestamp"),
    );
    g.push_mutated(
        "record-timestamp-before-period-start",
        "A record one millisecond before period_start.",
        &worked,
        |r| r.records[0].timestamp_ms = r.period_start_ms - 1,
        err("invalid-field", "records[].timestamp"),
    );
    g.push_mutated(
        "unknown-operation-0",
        "Operation byte 0.",
        &worked,
        |r| r.records[0].operation = 0,
        err("invalid-field", "records[].operation"),
    );
    g.push_mutated(
        "unknown-operation-8",
        "Operation byte 8: operations are 1..=7.",
        &worked,
        |r| r.records[0].operation = 8,
        err("invalid-field", "records[].operation"),
    );
    let custom_base = report(
        Role::Consumer,
        consumer_pk,
        8,
        1,
        ReportHash::ZERO,
        one_hour,
        vec![QosRecord::success(
            START,
            Operation::Custom {
                name: "rpc.block_lag".into(),
                value: 2,
            },
            0,
            0,
        )],
    );
    let bad_name = |name: &[u8]| {
        let name = name.to_vec();
        move |r: &mut RawReport| r.records[0].custom = Some((name, 2))
    };
    g.push_mutated(
        "custom-name-empty",
        "A custom metric with a 0-byte name.",
        &custom_base,
        bad_name(b""),
        err("invalid-field", "records[].custom_name"),
    );
    g.push_mutated(
        "custom-name-uppercase",
        "A custom metric name with upper-case letters (`RPC.Block_Lag`): names are \
         [a-z0-9_.:-] only.",
        &custom_base,
        bad_name(b"RPC.Block_Lag"),
        err("invalid-field", "records[].custom_name"),
    );
    g.push_mutated(
        "custom-name-non-ascii",
        "A custom metric name with a UTF-8 letter (`latência`).",
        &custom_base,
        bad_name("latência".as_bytes()),
        err("invalid-field", "records[].custom_name"),
    );
    g.push_mutated(
        "custom-name-65-bytes",
        "A custom metric name of 65 bytes (the longest is 64).",
        &custom_base,
        bad_name(&[b'a'; 65]),
        err("invalid-field", "records[].custom_name"),
    );
    g.push_mutated(
        "success-byte-2",
        "Success byte 2: only 0 and 1 exist.",
        &worked,
        |r| r.records[0].success = 2,
        err("invalid-field", "records[].success"),
    );
    g.push_mutated(
        "success-with-error-code",
        "A successful record with error code 500: success means error code 0.",
        &worked,
        |r| r.records[0].error_code = 500,
        err("invalid-field", "records[].error_code"),
    );
    g.push_mutated(
        "success-with-error-detail",
        "A successful record with error code 0 but a non-empty error detail (reported on the \
         field records[].error_code, the rule covering both).",
        &worked,
        |r| r.records[0].error_detail = b"ok".to_vec(),
        err("invalid-field", "records[].error_code"),
    );
    let failed = |detail: &[u8]| {
        let detail = detail.to_vec();
        move |r: &mut RawReport| {
            r.records[0].success = 0;
            r.records[0].error_code = 1;
            r.records[0].error_detail = detail;
        }
    };
    g.push_mutated(
        "error-detail-invalid-utf8",
        "A failed record whose error detail is not UTF-8 (bytes ff fe).",
        &worked,
        failed(&[0xff, 0xfe]),
        err("invalid-field", "records[].error_detail"),
    );
    g.push_mutated(
        "error-detail-utf16-surrogate",
        "A failed record whose error detail encodes a UTF-16 surrogate (ed a0 80, as CESU-8 or \
         \"modified UTF-8\" would): not UTF-8.",
        &worked,
        failed(&[b'x', 0xed, 0xa0, 0x80]),
        err("invalid-field", "records[].error_detail"),
    );
    g.push_mutated(
        "error-detail-overlong-utf8",
        "A failed record whose error detail holds an overlong encoding of '/' (c0 af): not \
         UTF-8.",
        &worked,
        failed(&[0xc0, 0xaf]),
        err("invalid-field", "records[].error_detail"),
    );

    // --- Binding to the deployment -----------------------------------------------------------

    g.push_mutated(
        "wrong-chain-id",
        "Correctly signed, but for chain id 1 while the verifier is on chain id 31337.",
        &worked,
        |r| r.chain_id = 1,
        err("wrong-chain", "payload.chain_id"),
    );
    g.push_mutated(
        "wrong-contract",
        "Correctly signed, but for another contract address.",
        &worked,
        |r| r.contract = [0x11; 20],
        err("wrong-contract", "payload.contract"),
    );

    // --- Signatures --------------------------------------------------------------------------

    let worked_sig = sign(&consumer, &worked_payload);
    g.push_raw(
        "signature-63-bytes",
        "The worked example with its signature's last byte dropped.",
        Signer::Seed(consumer),
        worked_payload.clone(),
        worked_sig[..63].to_vec(),
        err("signature-length", "signature"),
    );
    g.push_raw(
        "signature-65-bytes",
        "The worked example with one extra byte after its signature.",
        Signer::Seed(consumer),
        worked_payload.clone(),
        [worked_sig.as_slice(), &[0]].concat(),
        err("signature-length", "signature"),
    );
    let mut flipped = worked_sig.clone();
    flipped[40] ^= 0x01;
    g.push_raw(
        "flipped-signature-bit",
        "The worked example with bit 0 of signature byte 40 (inside S) flipped.",
        Signer::Seed(consumer),
        worked_payload.clone(),
        flipped,
        err("bad-signature", "signature"),
    );
    let mut flipped = worked_sig.clone();
    flipped[0] ^= 0x80;
    g.push_raw(
        "flipped-signature-r-bit",
        "The worked example with bit 7 of signature byte 0 (inside R) flipped.",
        Signer::Seed(consumer),
        worked_payload.clone(),
        flipped,
        err("bad-signature", "signature"),
    );
    let mut tampered = worked_payload.clone();
    let last = tampered.len() - 1 - 20; // inside the record's bytes field
    tampered[last] ^= 0x01;
    g.push_raw(
        "flipped-payload-bit",
        "The worked example's signature over a payload with one bit of the record's `bytes` \
         field flipped: the payload still decodes, the signature does not hold.",
        Signer::Seed(consumer),
        tampered,
        worked_sig.clone(),
        err("bad-signature", "signature"),
    );
    let mut as_provider = worked_payload.clone();
    as_provider[50] = Role::Provider.tag();
    g.push_raw(
        "role-changed-after-signing",
        "The worked example (signed as consumer) with its role byte changed to provider: the \
         role is signed, so a consumer's signature cannot be replayed as a provider's.",
        Signer::Seed(consumer),
        as_provider,
        worked_sig.clone(),
        err("bad-signature", "signature"),
    );
    let mut other_chain = worked_payload.clone();
    other_chain[22..30].copy_from_slice(&1u64.to_be_bytes());
    g.push_raw(
        "chain-id-changed-after-signing",
        "The worked example with its chain id changed to 1 after signing: refused as \
         wrong-chain before the signature is looked at (binding checks come first).",
        Signer::Seed(consumer),
        other_chain,
        worked_sig.clone(),
        err("wrong-chain", "payload.chain_id"),
    );
    g.push_raw(
        "signed-by-other-key",
        "The worked example (reporter key = consumer key) signed with the provider key.",
        Signer::Seed(provider),
        worked_payload.clone(),
        sign(&provider, &worked_payload),
        err("bad-signature", "signature"),
    );
    let over_payload = SigningKey::from_bytes(&consumer)
        .sign(&worked_payload)
        .to_bytes()
        .to_vec();
    g.push_raw(
        "signed-payload-not-digest",
        "The consumer key's ed25519 signature over the payload bytes themselves instead of \
         their SHA-256 digest (a common client mistake).",
        Signer::Seed(consumer),
        worked_payload.clone(),
        over_payload,
        err("bad-signature", "signature"),
    );
    g.push_raw(
        "non-canonical-s",
        "The worked example's valid signature with L added to S (S + L < 2^254): the same \
         point equation holds, but S >= L is refused (no signature malleability).",
        Signer::Seed(consumer),
        worked_payload.clone(),
        add_order_to_s(&worked_sig),
        err("bad-signature", "signature"),
    );

    // --- Reporter keys -----------------------------------------------------------------------

    // The forged signature R = identity, S = 0 satisfies [S]B = R + [k]A for A = identity and
    // any message: a verifier that does not refuse small-order keys accepts it.
    let forged_sig = {
        let mut s = vec![0u8; 64];
        s[0] = 1;
        s
    };
    let weak_keys: [(&str, &str, &str); 11] = [
        (
            "weak-key-identity",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "The identity point (order 1) as reporter key, with the forged signature R = \
             identity, S = 0, which a verifier without the small-order check accepts for any \
             message.",
        ),
        (
            "weak-key-order-2",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "The point (0, -1) of order 2 as reporter key.",
        ),
        (
            "weak-key-order-4",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "A point of order 4 (y = 0) as reporter key.",
        ),
        (
            "weak-key-order-4-b",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "The other point of order 4 (y = 0, x negative) as reporter key.",
        ),
        (
            "weak-key-order-8-a",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "A point of order 8 as reporter key.",
        ),
        (
            "weak-key-order-8-b",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "Another point of order 8 as reporter key.",
        ),
        (
            "weak-key-order-8-c",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
            "The negation of weak-key-order-8-a (sign bit set) as reporter key.",
        ),
        (
            "weak-key-order-8-d",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
            "The negation of weak-key-order-8-b as reporter key (the public key of speccheck \
             vectors 0 and 1).",
        ),
        (
            "weak-key-non-canonical-identity",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "The identity encoded non-canonically with y = p + 1: the decoder reduces y mod p, \
             and the point is refused as small-order.",
        ),
        (
            "weak-key-negative-zero-identity",
            "0100000000000000000000000000000000000000000000000000000000000080",
            "The identity with the sign bit set although x = 0 (\"negative zero\", a \
             non-canonical encoding): refused as small-order.",
        ),
        (
            "weak-key-negative-zero-order-2",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "The order-2 point (0, -1) with the sign bit set although x = 0 (non-canonical; the \
             public key of speccheck vectors 10 and 11): refused as small-order.",
        ),
    ];
    for (name, key_hex, description) in weak_keys {
        let key = hex32(key_hex);
        let mut forged = worked.clone();
        forged.reporter_key = key;
        let payload = codec::encode(&forged).expect("encodes");
        g.push_raw(
            name,
            description,
            Signer::Forged(key),
            payload,
            forged_sig.clone(),
            err("weak-key", "payload.reporter_key"),
        );
    }

    let y_p_plus_3 = hex32("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    let mut forged = worked.clone();
    forged.reporter_key = y_p_plus_3;
    let payload = codec::encode(&forged).expect("encodes");
    let signature = sign(&consumer, &payload);
    g.push_raw(
        "non-canonical-key-large-order",
        "Reporter key y = p + 3, a non-canonical encoding of a point of large order (the point \
         with y = 3). It is not small-order, but non-canonical encodings are refused as invalid \
         keys so that every strict implementation agrees.",
        Signer::Forged(y_p_plus_3),
        payload,
        signature,
        err("invalid-key", "payload.reporter_key"),
    );

    let not_a_point = hex32("0200000000000000000000000000000000000000000000000000000000000000");
    let mut forged = worked.clone();
    forged.reporter_key = not_a_point;
    let payload = codec::encode(&forged).expect("encodes");
    let signature = sign(&consumer, &payload);
    g.push_raw(
        "invalid-key-not-on-curve",
        "Reporter key y = 2: no point of the curve has y = 2, so the key does not decode.",
        Signer::Forged(not_a_point),
        payload,
        signature,
        err("invalid-key", "payload.reporter_key"),
    );

    // --- Several rules broken at once: the first check that fails names the error -----------
    //
    // Each of these breaks two or more rules; `expected` is the one whose check comes first
    // (docs/report-format.md sections 4 and 6). A verifier that checks in another order
    // answers with another rule.

    let cut = |mut raw: RawReport, mutate: fn(&mut RawReport), len: usize| {
        mutate(&mut raw);
        let mut bytes = raw.bytes();
        bytes.truncate(len);
        bytes
    };
    let base = RawReport::from_report(&worked);
    g.push(
        "multi-short-and-wrong-domain-tag",
        "Ten bytes that are not the start of the domain tag (\"SLA-ORACLX\"): fewer than 21 \
         bytes is `truncated` before the tag's content is compared.",
        consumer,
        b"SLA-ORACLX".to_vec(),
        err("truncated", "payload.domain_tag"),
    );
    g.push_mutated(
        "multi-wrong-domain-tag-and-version",
        "Domain tag \"SLA-ORACLE/QOS-REPORX\" and version 2: the tag is checked first.",
        &worked,
        |r| {
            r.tag[20] = b'X';
            r.version = 2;
        },
        err("domain-tag", "payload.domain_tag"),
    );
    g.push(
        "multi-unknown-version-and-truncated",
        "Version 2 and the payload cut after 40 bytes (inside contract): the version is checked \
         as soon as it is read, before the rest of the header.",
        consumer,
        cut(base.clone(), |r| r.version = 2, 40),
        err("unknown-version", "payload.version"),
    );
    g.push(
        "multi-bad-role-and-truncated",
        "Role byte 3 and the payload cut after 60 bytes (inside reporter_key): the role is \
         checked as soon as it is read.",
        consumer,
        cut(base.clone(), |r| r.role = 3, 60),
        err("invalid-field", "payload.role"),
    );
    g.push(
        "multi-sequence-zero-and-truncated",
        "Sequence 0 and the payload cut after 145 bytes (inside period_end): the header's value \
         rules (sequence, prev_hash, period, record count) are checked only once the whole \
         header is read, so this is `truncated`.",
        consumer,
        cut(base.clone(), |r| r.sequence = 0, 145),
        err("truncated", "payload.period_end"),
    );
    g.push_mutated(
        "multi-sequence-zero-and-empty-period",
        "Sequence 0 and period_end = period_start: sequence is the first header rule.",
        &worked,
        |r| {
            r.sequence = 0;
            r.period_end_ms = r.period_start_ms;
        },
        err("invalid-field", "payload.sequence"),
    );
    g.push_mutated(
        "multi-prev-hash-and-long-period",
        "Sequence 1 with a non-zero prev_hash, and a period of 24 h + 1 ms: prev_hash comes \
         before the period.",
        &worked,
        |r| {
            r.prev_hash = [0x11; 32];
            r.period_end_ms = r.period_start_ms + MAX_PERIOD_MS + 1;
        },
        err("invalid-field", "payload.prev_hash"),
    );
    g.push_mutated(
        "multi-long-period-and-record-count",
        "A period of 24 h + 1 ms and record_count 100001: the period comes before the record \
         count.",
        &worked,
        |r| {
            r.period_end_ms = r.period_start_ms + MAX_PERIOD_MS + 1;
            r.record_count = Some(100_001);
        },
        err("invalid-field", "payload.period_end"),
    );
    g.push_mutated(
        "multi-record-count-and-truncated",
        "record_count 100001 with one record present: the count's limit is checked before any \
         record is read (not `truncated`).",
        &worked,
        |r| r.record_count = Some(100_001),
        err("invalid-field", "payload.record_count"),
    );
    g.push_mutated(
        "multi-bad-operation-and-timestamp",
        "Operation byte 8 and a timestamp at period_end: a record is read whole before its \
         values are checked against the period, and the operation byte is checked as soon as \
         it is read.",
        &worked,
        |r| {
            r.records[0].operation = 8;
            r.records[0].timestamp_ms = r.period_end_ms;
        },
        err("invalid-field", "records[].operation"),
    );
    g.push_mutated(
        "multi-invalid-utf8-and-timestamp",
        "A failed record with error detail ff fe (not UTF-8) and a timestamp before \
         period_start: UTF-8 is checked while the record is read, the timestamp after.",
        &worked,
        |r| {
            r.records[0].success = 0;
            r.records[0].error_code = 1;
            r.records[0].error_detail = vec![0xff, 0xfe];
            r.records[0].timestamp_ms = r.period_start_ms - 1;
        },
        err("invalid-field", "records[].error_detail"),
    );
    g.push_mutated(
        "multi-timestamp-and-success-with-code",
        "A successful record with error code 500 and a timestamp at period_end: the timestamp \
         rule comes before the success rule.",
        &worked,
        |r| {
            r.records[0].error_code = 500;
            r.records[0].timestamp_ms = r.period_end_ms;
        },
        err("invalid-field", "records[].timestamp"),
    );
    let mut success_2 = RawReport::from_report(&worked);
    success_2.records[0].success = 2;
    let mut success_2 = success_2.bytes();
    success_2.push(0);
    g.push(
        "multi-success-byte-and-trailing",
        "Success byte 2 and one trailing byte: trailing bytes are only looked for after the \
         last record.",
        consumer,
        success_2,
        err("invalid-field", "records[].success"),
    );
    let mut two = RawReport::from_report(&worked);
    two.records.push(two.records[0].clone());
    two.records[0].timestamp_ms = two.period_end_ms;
    let mut two_bytes = two.bytes();
    two_bytes.truncate(two_bytes.len() - 10);
    g.push(
        "multi-first-record-invalid-second-truncated",
        "Two records: the first has its timestamp at period_end, the second is cut inside \
         object_size: each record is checked before the next one is read.",
        consumer,
        two_bytes,
        err("invalid-field", "records[].timestamp"),
    );
    let mut long_name = RawReport::from_report(&worked);
    long_name.records[0].operation = 7;
    long_name.records[0].custom = Some((vec![b'a'; 65], 0));
    let mut long_name_bytes = long_name.bytes();
    long_name_bytes.truncate(codec::HEADER_LEN + 9 + 1 + 30);
    g.push(
        "multi-custom-name-too-long-and-truncated",
        "A custom record whose name length byte says 65 (over the limit of 64), with the \
         payload ending 30 bytes into the name: the length is judged once the name is read, so \
         this is `truncated`.",
        consumer,
        long_name_bytes,
        err("truncated", "records[].custom_name"),
    );
    g.push_mutated(
        "multi-invalid-payload-and-wrong-chain",
        "Chain id 1 (another deployment) and sequence 0: the payload is decoded and checked \
         before its binding.",
        &worked,
        |r| {
            r.chain_id = 1;
            r.sequence = 0;
        },
        err("invalid-field", "payload.sequence"),
    );
    g.push_mutated(
        "multi-wrong-chain-and-contract",
        "Another chain id and another contract: the chain id is compared first.",
        &worked,
        |r| {
            r.chain_id = 1;
            r.contract = [0x11; 20];
        },
        err("wrong-chain", "payload.chain_id"),
    );
    let mut wrong_contract = RawReport::from_report(&worked);
    wrong_contract.contract = [0x11; 20];
    let wrong_contract = wrong_contract.bytes();
    let short = sign(&consumer, &wrong_contract)[..63].to_vec();
    g.push_raw(
        "multi-wrong-contract-and-short-signature",
        "Another contract and a 63-byte signature: the binding is checked before the \
         signature's length.",
        Signer::Seed(consumer),
        wrong_contract,
        short,
        err("wrong-contract", "payload.contract"),
    );
    let mut bad_version = RawReport::from_report(&worked);
    bad_version.version = 2;
    g.push_raw(
        "multi-unknown-version-and-short-signature",
        "Version 2 and a 63-byte signature (possible in the JSON form only): the payload is \
         decoded before the signature's length is looked at.",
        Signer::Seed(consumer),
        bad_version.bytes(),
        worked_sig[..63].to_vec(),
        err("unknown-version", "payload.version"),
    );
    let identity = hex32("0100000000000000000000000000000000000000000000000000000000000000");
    let mut weak = worked.clone();
    weak.reporter_key = identity;
    let weak_payload = codec::encode(&weak).expect("encodes");
    g.push_raw(
        "multi-short-signature-and-weak-key",
        "The identity point as reporter key and a 63-byte signature: the signature's length is \
         checked before the key.",
        Signer::Forged(identity),
        weak_payload.clone(),
        forged_sig[..63].to_vec(),
        err("signature-length", "signature"),
    );
    g.push_raw(
        "multi-weak-key-and-bad-signature",
        "The identity point as reporter key and a 64-byte signature of zeros (which does not \
         verify under any key): the key is checked before the signature.",
        Signer::Forged(identity),
        weak_payload,
        vec![0; 64],
        err("weak-key", "payload.reporter_key"),
    );
    let mut trailing = worked_payload.clone();
    trailing.push(0);
    g.push_raw(
        "multi-trailing-byte-and-bad-signature",
        "The worked example followed by one 0x00 byte, with the worked example's signature (over \
         the bytes without it): the payload is refused before the signature is looked at.",
        Signer::Seed(consumer),
        trailing,
        worked_sig.clone(),
        err("trailing-bytes", "payload"),
    );

    VectorFile {
        format: "SLA oracle signed QoS report, format v1",
        spec: "docs/report-format.md",
        generator: GENERATOR,
        notes: vec![
            "All integers are JSON strings of decimal digits (custom_value may start with '-'); all byte strings are lowercase hex without 0x, except the two text fields custom_name (ASCII) and error_detail (UTF-8), which are JSON strings of their text.",
            "deployment is the verifier's deployment; the report's own chain id and contract are in the payload.",
            "secret_key_seed is the 32-byte ed25519 seed (RFC 8032 secret key) of the key that made the signature, or null when the signature was put together by hand; public_key is that key's public half, or the payload's reporter key when secret_key_seed is null.",
            "signature is ed25519 (RFC 8032, pure Ed25519) over the 32 bytes report_hash = SHA-256(payload).",
            "expected is \"valid\" or the first error a verifier reports, as {error: rule, field}; the order of checks is in docs/report-format.md.",
            "report holds the decoded fields whenever the payload decodes (also for vectors refused later, for their binding, key or signature), named as in docs/report-format.md section 2 (period_start, period_end, timestamp: Unix ms); domain_tag, version and record_count are implied.",
            "Invalid payloads are otherwise well-formed and correctly signed, so each breaks exactly one rule; the vectors named multi-* break several, and expected is the rule checked first.",
        ],
        keys: vec![
            KeyJson {
                name: "consumer",
                secret_key_seed: CONSUMER_SEED_HEX.into(),
                public_key: hex::encode(consumer_pk),
                source: "RFC 8032 section 7.1 TEST 1",
            },
            KeyJson {
                name: "provider",
                secret_key_seed: PROVIDER_SEED_HEX.into(),
                public_key: hex::encode(provider_pk),
                source: "RFC 8032 section 7.1 TEST 2",
            },
        ],
        vectors: g.vectors,
    }
}
