//! `merkle-v1.json`: the reports root of `docs/aggregation.md` ("Merkle tree of the reports
//! used") over the hashes of real signed reports, for 0, 1, 2, 3, 5, 8 and 13 leaves (and a
//! list with duplicates), every proof of every tree, and proofs that must fail.

use serde_json::{json, Value};
use sla_protocol::merkle::{self, MerkleProof, MerkleTree};
use sla_protocol::{codec, report_hash, Operation, QosRecord, ReportHash, Role};

use super::{public_key, report, seed, sign, CONSUMER_SEED_HEX, GENERATOR, HOUR, START};

/// The tree sizes the file shows.
const SIZES: [usize; 7] = [0, 1, 2, 3, 5, 8, 13];

/// Thirteen hourly reports of one consumer chain on data unit 9, one probe record each: the
/// leaves' report hashes are theirs.
fn reports() -> Vec<(Vec<u8>, Vec<u8>, ReportHash)> {
    let consumer = seed(CONSUMER_SEED_HEX);
    let key = public_key(&consumer);
    let mut prev = ReportHash::ZERO;
    (0..13u64)
        .map(|i| {
            let start = START + i * HOUR;
            let r = report(
                Role::Consumer,
                key,
                9,
                i + 1,
                prev,
                (start, start + HOUR),
                vec![QosRecord::success(
                    start + 30_000,
                    Operation::Probe,
                    20_000 + i as u32,
                    0,
                )],
            );
            let payload = codec::encode(&r).expect("valid report");
            let signature = sign(&consumer, &payload);
            prev = report_hash(&payload);
            (payload, signature, prev)
        })
        .collect()
}

fn hex32(h: &[u8; 32]) -> String {
    hex::encode(h)
}

/// Every level of the tree over `leaves` (sorted, distinct), from the leaf hashes up to the root,
/// built with the crate's `leaf_hash` and `node_hash`; the top must be [`MerkleTree::root`].
fn levels(leaves: &[ReportHash]) -> Vec<Vec<[u8; 32]>> {
    let mut out = Vec::new();
    let mut level: Vec<[u8; 32]> = leaves.iter().map(merkle::leaf_hash).collect();
    if level.is_empty() {
        return out;
    }
    while level.len() > 1 {
        let next = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => merkle::node_hash(l, r),
                [odd] => *odd,
                _ => unreachable!(),
            })
            .collect();
        out.push(std::mem::replace(&mut level, next));
    }
    out.push(level);
    out
}

fn tree(name: &str, description: &str, inputs: &[ReportHash]) -> Value {
    let tree = MerkleTree::new(inputs);
    let levels = levels(tree.leaves());
    let root = tree.root();
    assert_eq!(
        levels.last().map_or(merkle::EMPTY_ROOT, |top| top[0]),
        root,
        "{name}: levels lead to the root"
    );
    assert_eq!(merkle::root(inputs), root, "{name}");
    let proofs: Vec<Value> = tree
        .leaves()
        .iter()
        .map(|leaf| {
            let proof = tree.proof(leaf).expect("a leaf has a proof");
            assert!(proof.verify(&root, leaf), "{name}: proof verifies");
            json!({ "report_hash": leaf.to_hex(), "proof": proof })
        })
        .collect();
    json!({
        "name": name,
        "description": description,
        "report_hashes": inputs.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
        "leaves": tree.leaves().iter().map(|h| json!({
            "report_hash": h.to_hex(),
            "leaf_hash": hex32(&merkle::leaf_hash(h)),
        })).collect::<Vec<_>>(),
        "levels": levels.iter().map(|l| l.iter().map(hex32).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "root": hex32(&root),
        "proofs": proofs,
    })
}

/// A proof that must not verify, after checking the crate refuses it.
fn bad_proof(
    name: &str,
    description: &str,
    root: &[u8; 32],
    leaf: &ReportHash,
    proof: MerkleProof,
) -> Value {
    assert!(!proof.verify(root, leaf), "{name}: must not verify");
    json!({
        "name": name,
        "description": description,
        "root": hex32(root),
        "report_hash": leaf.to_hex(),
        "proof": proof,
        "valid": false,
    })
}

fn invalid_proofs(hashes: &[ReportHash]) -> Vec<Value> {
    let five = MerkleTree::new(&hashes[..5]);
    let root = five.root();
    let last = five.leaves()[4];
    let first = five.leaves()[0];
    let good_last = five.proof(&last).expect("leaf");
    let good_first = five.proof(&first).expect("leaf");
    let mut out = Vec::new();
    out.push(bad_proof(
        "index-of-another-leaf",
        "The proof of leaf 0 of the 5-leaf tree with index 1: the sides follow from the index, \
         so a proof holds for one position only.",
        &root,
        &first,
        MerkleProof {
            index: 1,
            ..good_first.clone()
        },
    ));
    out.push(bad_proof(
        "index-not-below-leaf-count",
        "The proof of the last leaf of the 5-leaf tree with index 5 = leaf_count.",
        &root,
        &last,
        MerkleProof {
            index: 5,
            ..good_last.clone()
        },
    ));
    let mut extra = good_last.clone();
    extra
        .siblings
        .push(merkle::Hash32(merkle::leaf_hash(&first)));
    out.push(bad_proof(
        "extra-sibling",
        "The proof of the promoted last leaf of the 5-leaf tree with one sibling too many: \
         every sibling must be consumed.",
        &root,
        &last,
        extra,
    ));
    let mut missing = good_first.clone();
    missing.siblings.pop();
    out.push(bad_proof(
        "missing-sibling",
        "The proof of leaf 0 of the 5-leaf tree without its last sibling.",
        &root,
        &first,
        missing,
    ));
    out.push(bad_proof(
        "wrong-leaf-count",
        "The proof of the last leaf of the 5-leaf tree claiming 6 leaves: leaf 4 then has a \
         sibling at the bottom level, and the proof runs out of siblings.",
        &root,
        &last,
        MerkleProof {
            leaf_count: 6,
            ..good_last.clone()
        },
    ));
    let one = MerkleTree::new(&hashes[..1]);
    let only = one.leaves()[0];
    out.push(bad_proof(
        "single-leaf-root-is-not-the-report-hash",
        "A tree of one leaf: its root is the leaf hash SHA-256(0x00 ‖ report_hash), not the \
         report hash; this checks the (empty) proof against the report hash as root.",
        &only.0,
        &only,
        one.proof(&only).expect("leaf"),
    ));
    out.push(bad_proof(
        "not-a-leaf",
        "The proof of leaf 0 of the 5-leaf tree presented for a report hash that is not a \
         leaf (the sixth report).",
        &root,
        &hashes[5],
        good_first,
    ));
    out
}

/// The whole file, pretty-printed, with a final newline.
pub(crate) fn merkle_json() -> String {
    let reports = reports();
    let hashes: Vec<ReportHash> = reports.iter().map(|r| r.2).collect();
    let mut trees: Vec<Value> = SIZES
        .iter()
        .map(|&n| {
            let description = match n {
                0 => "No reports: the root is 32 zero bytes and there is no proof.".to_owned(),
                1 => "One report: the root is its leaf hash SHA-256(0x00 ‖ report_hash), not \
                      the report hash itself; its proof has no siblings."
                    .to_owned(),
                n if n.is_power_of_two() => format!(
                    "The first {n} reports: a full tree, every proof has {} siblings.",
                    n.trailing_zeros()
                ),
                n => format!(
                    "The first {n} reports: an odd count, the last node of an odd level is \
                     promoted unchanged, so its proof skips that level."
                ),
            };
            tree(&format!("leaves-{n}"), &description, &hashes[..n])
        })
        .collect();
    let mut repeated: Vec<ReportHash> = hashes[..3].iter().rev().copied().collect();
    repeated.extend_from_slice(&hashes[..3]);
    trees.push(tree(
        "leaves-3-repeated",
        "The first 3 report hashes given in reverse and then again: leaves are the distinct \
         hashes sorted ascending, so the tree is `leaves-3`.",
        &repeated,
    ));
    let file = json!({
        "format": "SLA oracle reports root: Merkle tree over report hashes",
        "spec": "docs/aggregation.md, \"Merkle tree of the reports used\"",
        "generator": GENERATOR,
        "notes": [
            "Byte strings are lowercase hex without 0x. Integers (index, leaf_count) are JSON numbers, as in the proof answers of the ingest API.",
            "leaf_hash = SHA-256(0x00 ‖ report_hash); node = SHA-256(0x01 ‖ left ‖ right); leaves are the distinct report hashes sorted ascending (bytewise); the last node of an odd level is promoted unchanged.",
            "report_hashes is the input in the order given (any order, duplicates allowed); leaves are the sorted distinct hashes with their leaf hashes; levels are the node hashes of every level from the leaf hashes up to the root (empty for no leaves).",
            "proof is exactly the proof member of GET /v1/data-units/{id}/epochs/{epoch}/proofs/{hash}: {index, leaf_count, siblings}; every proof of trees verifies against its tree's root, and every proof of invalid_proofs does not.",
            "reports are the signed reports whose hashes the trees use: a consumer's chain of 13 hourly reports on data unit 9 (keys, chain id and contract of reports-v1.json).",
        ],
        "reports": reports.iter().map(|(payload, signature, hash)| json!({
            "payload": hex::encode(payload),
            "signature": hex::encode(signature),
            "report_hash": hash.to_hex(),
        })).collect::<Vec<_>>(),
        "trees": trees,
        "invalid_proofs": invalid_proofs(&hashes),
    });
    let mut out = serde_json::to_string_pretty(&file).expect("vectors serialize");
    out.push('\n');
    out
}
