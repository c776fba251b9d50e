//! The vectors of what follows a report: `test-vectors/merkle-v1.json` (leaves, roots and
//! proofs) and `test-vectors/aggregation-v2.json` (accumulators, summaries, windows, verdicts).
//! Each expected output is derived again here from the file's own inputs (report hashes, signed
//! reports, terms, epoch clock), through the functions the oracle, the API and the auditor call.

use crate::common::{bytes, load};
use serde_json::{json, Value};
use sla_protocol::aggregate::{
    evaluate, evaluate_uptime_window, AggregationContext, EpochAccumulator, EpochConfig,
    EpochSummary, SlaTerms, Trend, UptimeWindow, WindowSummary, REPUTATION_START, RULES_VERSION,
};
use sla_protocol::merkle::{self, MerkleProof, MerkleTree};
use sla_protocol::{Deployment, ReportHash, SignedReport, VerifiedReport};

fn hash(v: &Value) -> ReportHash {
    ReportHash(bytes(v).try_into().expect("32 bytes"))
}

fn root(v: &Value) -> [u8; 32] {
    bytes(v).try_into().expect("32 bytes")
}

fn hexes(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|h| h.as_str().expect("hex").to_owned())
        .collect()
}

/// The deployment of every vector: anvil's chain and first contract, as in reports-v1.json.
fn deployment() -> Deployment {
    Deployment {
        chain_id: 31337,
        contract: hex::decode("5fbdb2315678afecb367f032d93f642f64180aa3")
            .expect("hex")
            .try_into()
            .expect("20 bytes"),
    }
}

fn verified(report: &Value) -> VerifiedReport {
    let signed = SignedReport {
        payload: bytes(&report["payload"]),
        signature: bytes(&report["signature"]),
    };
    let verified = signed
        .verify(&deployment())
        .expect("the vectors' reports are valid");
    assert_eq!(verified.hash, hash(&report["report_hash"]), "report_hash");
    verified
}

#[test]
fn merkle_vectors_match() {
    let file = load("merkle-v1.json");
    for report in file["reports"].as_array().expect("reports") {
        verified(report);
    }
    let trees = file["trees"].as_array().expect("trees");
    let mut sizes = Vec::new();
    for t in trees {
        let name = t["name"].as_str().expect("name");
        let inputs: Vec<ReportHash> = t["report_hashes"]
            .as_array()
            .expect("report_hashes")
            .iter()
            .map(hash)
            .collect();
        let tree = MerkleTree::new(&inputs);
        let expected_root = root(&t["root"]);
        assert_eq!(tree.root(), expected_root, "{name}: root");
        assert_eq!(merkle::root(&inputs), expected_root, "{name}: root");

        // Leaves: the sorted distinct report hashes, each with SHA-256(0x00 ‖ hash).
        let leaves = t["leaves"].as_array().expect("leaves");
        assert_eq!(leaves.len(), tree.leaves().len(), "{name}: leaf count");
        for (l, leaf) in leaves.iter().zip(tree.leaves()) {
            assert_eq!(hash(&l["report_hash"]), *leaf, "{name}: leaf order");
            assert_eq!(
                root(&l["leaf_hash"]),
                merkle::leaf_hash(leaf),
                "{name}: leaf hash"
            );
        }
        sizes.push(leaves.len());

        // Levels: pairs hashed left to right, an odd last node promoted; the top is the root.
        let levels = t["levels"].as_array().expect("levels");
        let mut level: Vec<[u8; 32]> = tree.leaves().iter().map(merkle::leaf_hash).collect();
        for (i, l) in levels.iter().enumerate() {
            assert_eq!(
                hexes(l),
                level.iter().map(hex::encode).collect::<Vec<_>>(),
                "{name}: level {i}"
            );
            level = level
                .chunks(2)
                .map(|p| {
                    if p.len() == 2 {
                        merkle::node_hash(&p[0], &p[1])
                    } else {
                        p[0]
                    }
                })
                .collect();
        }
        match levels.last() {
            Some(top) => assert_eq!(hexes(top), [hex::encode(expected_root)], "{name}: top"),
            None => assert_eq!(expected_root, merkle::EMPTY_ROOT, "{name}: empty root"),
        }
        if tree.leaves().len() == 1 {
            let only = tree.leaves()[0];
            assert_eq!(expected_root, merkle::leaf_hash(&only), "{name}: one leaf");
            assert_ne!(expected_root, only.0, "{name}: not the report hash itself");
        }

        // Every leaf's proof, in the API's JSON shape, is the crate's and verifies.
        let proofs = t["proofs"].as_array().expect("proofs");
        assert_eq!(
            proofs.len(),
            tree.leaves().len(),
            "{name}: one proof per leaf"
        );
        for p in proofs {
            let leaf = hash(&p["report_hash"]);
            let proof: MerkleProof =
                serde_json::from_value(p["proof"].clone()).expect("proof shape");
            assert_eq!(tree.proof(&leaf).as_ref(), Some(&proof), "{name}: proof");
            assert!(
                proof.verify(&expected_root, &leaf),
                "{name}: proof verifies"
            );
            assert_eq!(serde_json::to_value(&proof).expect("json"), p["proof"]);
        }
    }
    assert_eq!(sizes, [0, 1, 2, 3, 5, 8, 13, 3], "tree sizes");

    let invalid = file["invalid_proofs"].as_array().expect("invalid_proofs");
    assert!(invalid.len() >= 5);
    for p in invalid {
        let name = p["name"].as_str().expect("name");
        assert_eq!(p["valid"], false, "{name}");
        let proof: MerkleProof = serde_json::from_value(p["proof"].clone()).expect("proof shape");
        assert!(
            !proof.verify(&root(&p["root"]), &hash(&p["report_hash"])),
            "{name}: must not verify"
        );
    }
}

#[test]
fn aggregation_vectors_match() {
    let file = load("aggregation-v2.json");
    assert_eq!(file["rules_version"], json!(RULES_VERSION));
    let config: EpochConfig =
        serde_json::from_value(file["epoch_config"].clone()).expect("epoch_config");
    let scenarios = file["scenarios"].as_array().expect("scenarios");
    assert!(scenarios.len() >= 10);
    let mut violated_bits = 0u8;
    for s in scenarios {
        let name = s["name"].as_str().expect("name");
        let terms: SlaTerms = serde_json::from_value(s["terms"].clone()).expect("terms");
        terms.validate().expect("valid terms");
        let data_unit = s["data_unit"].as_u64().expect("data_unit");
        assert_eq!(
            s["window_epochs"].as_u64(),
            Some(terms.window_epochs(config.epoch_len_s))
        );
        let reports: Vec<(VerifiedReport, bool)> = s["reports"]
            .as_array()
            .expect("reports")
            .iter()
            .map(|r| {
                let v = verified(r);
                assert_eq!(r["role"], v.report.role.as_str(), "{name}: role");
                assert_eq!(v.report.data_unit, data_unit, "{name}: data unit");
                (v, r["counted"].as_bool().expect("counted"))
            })
            .collect();

        let mut summaries: Vec<EpochSummary> = Vec::new();
        let mut reputation = REPUTATION_START;
        for e in s["epochs"].as_array().expect("epochs") {
            let epoch = e["epoch"].as_u64().expect("epoch");
            let at = format!("{name} epoch {epoch}");
            let ctx = AggregationContext::new(&config, &terms, data_unit, epoch).expect("ctx");
            assert_eq!(e["start_ms"], json!(ctx.start_ms()), "{at}: start");
            assert_eq!(e["end_ms"], json!(ctx.end_ms()), "{at}: end");

            // Fold the counted reports in the listed (arrival) order.
            let mut acc = EpochAccumulator::new(ctx);
            let mut used: Vec<String> = Vec::new();
            for (v, counted) in &reports {
                if *counted && acc.add_verified(v).expect("same data unit") {
                    let h = v.hash.to_hex();
                    if !used.contains(&h) {
                        used.push(h);
                    }
                }
            }
            acc.compact();
            assert_eq!(hexes(&e["reports_used"]), used, "{at}: reports used");
            let encoded = acc.encode();
            assert_eq!(e["accumulator"], hex::encode(&encoded), "{at}: accumulator");
            let decoded = EpochAccumulator::decode(&encoded).expect("accumulator decodes");
            assert_eq!(decoded, acc, "{at}: accumulator round trip");

            let summary = acc.summary();
            assert_eq!(
                e["summary"],
                serde_json::to_value(&summary).expect("json"),
                "{at}: summary"
            );
            let encoding = summary.encode();
            assert_eq!(
                e["summary_encoding"],
                hex::encode(&encoding),
                "{at}: encoding"
            );
            // The summary's JSON carries everything its canonical bytes do.
            let from_json: EpochSummary =
                serde_json::from_value(e["summary"].clone()).expect("summary shape");
            assert_eq!(from_json.encode(), encoding, "{at}: JSON to bytes");
            let leaves: Vec<ReportHash> = used.iter().map(|h| hash(&json!(h))).collect();
            assert_eq!(summary.reports_root, merkle::root(&leaves), "{at}: root");
            summaries.push(summary.clone());

            let window = WindowSummary::for_terms(&config, &terms, data_unit, epoch, &summaries)
                .expect("window");
            assert_eq!(
                e["window"],
                serde_json::to_value(&window).expect("json"),
                "{at}: window"
            );
            let verdict = evaluate(&terms, &summary, &window).expect("verdict");
            // The aggregator's close judges from slot totals summed over the window instead
            // of the window's summaries: the same window, the same verdict.
            let range = config.window(epoch, terms.window_epochs(config.epoch_len_s));
            let mut totals = [(0u64, 0u64); 3];
            for s in summaries.iter().filter(|s| range.contains(&s.epoch)) {
                for (t, slots) in
                    totals
                        .iter_mut()
                        .zip([&s.combined.slots, &s.consumer.slots, &s.provider.slots])
                {
                    *t = (t.0 + slots.up, t.1 + slots.down);
                }
            }
            let uptime = UptimeWindow::from_totals(&config, &terms, data_unit, epoch, totals);
            assert_eq!(uptime, UptimeWindow::of(&window), "{at}: uptime window");
            assert_eq!(
                evaluate_uptime_window(&terms, &summary, &uptime).expect("verdict"),
                verdict,
                "{at}: verdict from totals"
            );
            assert_eq!(
                e["verdict"],
                serde_json::to_value(&verdict).expect("json"),
                "{at}: verdict"
            );
            assert_eq!(
                e["epoch_result"],
                serde_json::to_value(verdict.epoch_result()).expect("json"),
                "{at}: epoch result"
            );
            violated_bits |= verdict.violations;
            assert_eq!(e["reputation_before"], json!(reputation), "{at}");
            reputation = verdict.apply_to_reputation(reputation);
            assert_eq!(e["reputation_after"], json!(reputation), "{at}");
        }
        let last = summaries.last().expect("an epoch").epoch;
        let trend = (summaries.len() > 1).then(|| {
            Trend::compute(
                &config,
                data_unit,
                last,
                terms.window_epochs(config.epoch_len_s),
                &summaries,
            )
            .expect("trend")
        });
        assert_eq!(
            s["trend"],
            serde_json::to_value(&trend).expect("json"),
            "{name}: trend"
        );
    }
    assert_eq!(
        violated_bits, 0b11_1111,
        "a scenario violates each of the six metrics"
    );
}
