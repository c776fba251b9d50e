//! `sla audit` against the real stack (anvil with the contract, the ingest API, the oracle, all
//! in process) with a compliant and a failing provider: an honest epoch matches; a tampered stored
//! report, a withheld report and a wrong on-chain result are each detected and named.
//!
//! Fails (never skips) when anvil is missing: run `contracts/scripts/setup.sh` or set `ANVIL_BIN`.

use std::time::Duration;

use alloy::primitives::{Bytes, B256, U256};
use sla_contracts::ISlaOracle::EpochResult as ChainResult;
use sla_contracts::{court, pack_results, signing, SlaCourt, SlaOracle};
use sla_devstack::scenario::Scenario;
use sla_devstack::stack::{Stack, StackOptions};
use sla_devstack::summary;
use sla_protocol::aggregate::{
    evaluate, AggregationContext, EpochAccumulator, EpochConfig, EpochResult, WindowSummary,
};
use sla_protocol::court::{flag_evidence, EpochFaults, FlagEvidence};
use sla_protocol::{codec, SignedReport};
use sla_storage::RollupStatus;
use sqlx::Row;

const EPOCH_LENGTH: u32 = 8;
const PENALTY: u64 = 300_000_000_000_000_000;

fn now_ms() -> u64 {
    sla_runtime::now_ms()
}

/// Runs the `sla audit` binary; returns (exit code, stdout, stderr).
async fn audit(stack: &Stack, data_unit: u64, epoch: u64, extra: &[&str]) -> (i32, String, String) {
    let (unit, epoch) = (data_unit.to_string(), epoch.to_string());
    let mut args = vec!["audit", "--data-unit", &unit, "--epoch", &epoch];
    args.extend_from_slice(extra);
    run_sla(stack, &args).await
}

/// Runs `sla ARGS --api <the stack's API>` against the stack's chain; returns (exit code,
/// stdout, stderr), and prints them for the test's log.
async fn run_sla(stack: &Stack, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sla"))
        .args(["--rpc-url", &stack.rpc_url, "--deployment"])
        .arg(&stack.deployment_path)
        .args(args)
        .args(["--api", &stack.ingest_url])
        .output()
        .await
        .expect("the sla binary runs");
    let result = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    eprintln!("sla {args:?} -> {}\n{}{}", result.0, result.1, result.2);
    result
}

/// Status of the oracle's roll-up of (data unit, epoch), if any.
async fn rollup_status(
    storage: &sla_storage::Database,
    data_unit: u64,
    epoch: u64,
) -> Option<RollupStatus> {
    storage
        .rollups()
        .get(data_unit, epoch)
        .await
        .unwrap()
        .map(|r| r.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_matches_honest_results_and_names_tampered_withheld_and_wrong_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = StackOptions::new(dir.path());
    options.epoch_length = EPOCH_LENGTH;
    // Long enough for the test to put its own (wrong) result on chain before the oracle does.
    options.grace_ms = 6_000;
    let stack = Stack::start(options)
        .await
        .expect("stack starts (is anvil installed? run contracts/scripts/setup.sh)");
    let contract = stack.deployment.contract;
    let scenario = Scenario::start(&stack, PENALTY).await.unwrap();

    // Wait until at least one epoch of each data unit is applied on chain by the oracle.
    let storage = sla_storage::Database::connect(&stack.database_url)
        .await
        .unwrap();
    let units = scenario.units();
    let admin = stack.account(0).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let audited: Vec<(u64, u64)> = loop {
        let outcomes = summary::outcomes(
            &admin.provider,
            contract,
            stack.deployment.deploy_block,
            &storage.rollups(),
            &units,
        )
        .await
        .unwrap();
        let first_submitted = |o: &summary::UnitOutcome| {
            o.applied.iter().map(|a| a.result.epoch).find(|e| {
                o.rollups
                    .iter()
                    .any(|r| r.epoch == *e && r.status == RollupStatus::Submitted)
            })
        };
        let firsts: Vec<Option<u64>> = outcomes.iter().map(first_submitted).collect();
        if firsts.iter().all(Option::is_some) {
            break outcomes
                .iter()
                .zip(firsts)
                .map(|(o, e)| (o.data_unit, e.unwrap()))
                .collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "results did not reach the chain: {outcomes:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let (good_unit, good_epoch) = audited[0];
    let (bad_unit, bad_epoch) = audited[1];

    // 1. Honest: both data units match, in text and in JSON.
    for (unit, epoch) in [(good_unit, good_epoch), (bad_unit, bad_epoch)] {
        let (code, out, err) = audit(&stack, unit, epoch, &[]).await;
        assert_eq!(code, 0, "honest audit of {unit}/{epoch}: {out}\n{err}");
        assert!(
            out.contains(&format!("data unit {unit}, epoch {epoch}: match")),
            "{out}"
        );
    }
    let (code, out, err) = audit(&stack, bad_unit, bad_epoch, &["--json"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["match"], true, "{doc:#}");
    assert_eq!(doc["epochs"][0]["status"], "match", "{doc:#}");
    assert_ne!(
        doc["epochs"][0]["on_chain"]["violations"], 0,
        "the failing provider's epoch is a violation that the auditor confirms: {doc:#}"
    );
    // Who signed it, recovered from the batch's transaction: the dev stack's one oracle signer
    // (account 1), a member of config version 1 (quorum 1).
    let signers = &doc["epochs"][0]["signers"];
    let oracle = stack.account(1).unwrap().signer.address().to_string();
    assert_eq!(signers["config_version"], 1, "{signers:#}");
    assert_eq!(
        signers["signed_by"],
        serde_json::json!([oracle]),
        "{signers:#}"
    );
    assert_eq!(
        signers["signer_set"]["signers"],
        serde_json::json!([oracle])
    );
    assert_eq!(signers["signer_set"]["quorum"], 1);
    assert_eq!(signers["problems"], serde_json::json!([]));

    // A quiet epoch, before the data unit's first report: nothing counted, nothing on chain,
    // nothing to enforce: not a mismatch.
    let first_counted = storage
        .rollups()
        .of_data_unit(good_unit, 0, u64::MAX)
        .await
        .unwrap()
        .first()
        .map(|r| r.epoch)
        .expect("a roll-up");
    assert!(
        first_counted > 0,
        "the scenario reports from a later epoch than genesis"
    );
    let quiet = first_counted - 1;
    let (code, out, err) = audit(&stack, good_unit, quiet, &["--json"]).await;
    assert_eq!(code, 0, "quiet epoch {quiet}: {out}\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["epochs"][0]["status"], "quiet", "{doc:#}");

    // 4. A wrong on-chain result: before the oracle closes a later epoch of the compliant data
    //    unit, the oracle's signer (anvil account 1) submits the correct result but for a wrong
    //    errorRateBps.
    let epochs = EpochConfig::new(stack.deployment.genesis_time, EPOCH_LENGTH).unwrap();
    let (wrong_epoch, honest) = submit_wrong_result(&stack, &storage, &epochs, good_unit).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while rollup_status(&storage, good_unit, wrong_epoch).await == Some(RollupStatus::Open) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the oracle did not close epoch {wrong_epoch}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (code, out, err) = audit(&stack, good_unit, wrong_epoch, &[]).await;
    assert_eq!(code, 1, "wrong result: {out}\n{err}");
    let line = format!(
        "errorRateBps: expected {}, on chain {}",
        honest.error_rate_bps,
        wrong_error_rate(honest.error_rate_bps)
    );
    assert!(out.contains(&line), "missing `{line}` in:\n{out}");
    assert!(!out.contains("withheld"), "{out}");
    assert!(!out.contains("check failed"), "{out}");

    let db = sqlx::SqlitePool::connect(&stack.database_url)
        .await
        .unwrap();
    let (start_ms, end_ms) = epochs.bounds_ms(bad_epoch).unwrap();

    // 2. A tampered stored report: one record of one report of the failing unit's audited epoch
    //    changes in the database (its `hash` column stays).
    let row = sqlx::query(
        "SELECT id, hash, payload FROM reports WHERE data_unit = ? AND period_start_ms < ? \
         AND period_end_ms > ? ORDER BY id LIMIT 1",
    )
    .bind(bad_unit as i64)
    .bind(end_ms as i64)
    .bind(start_ms as i64)
    .fetch_one(&db)
    .await
    .unwrap();
    let (id, hash, original): (i64, Vec<u8>, Vec<u8>) =
        (row.get("id"), row.get("hash"), row.get("payload"));
    let mut report = codec::decode(&original).unwrap();
    report.records[0].latency_us += 1;
    let tampered = codec::encode(&report).unwrap();
    assert_ne!(tampered, original);
    sqlx::query("UPDATE reports SET payload = ? WHERE id = ?")
        .bind(&tampered)
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    let (code, out, err) = audit(&stack, bad_unit, bad_epoch, &[]).await;
    assert_eq!(code, 1, "tampered report: {out}\n{err}");
    let line = format!("report {}: signature check failed", hex::encode(&hash));
    assert!(out.contains(&line), "missing `{line}` in:\n{out}");
    let (code, out, _) = audit(&stack, bad_unit, bad_epoch, &["--json"]).await;
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failures = doc["epochs"][0]["report_failures"].as_array().unwrap();
    assert!(
        failures
            .iter()
            .any(|f| f["report"] == hex::encode(&hash) && f["check"] == "signature"),
        "{doc:#}"
    );
    sqlx::query("UPDATE reports SET payload = ? WHERE id = ?")
        .bind(&original)
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    let (code, out, err) = audit(&stack, bad_unit, bad_epoch, &[]).await;
    assert_eq!(code, 0, "restored: {out}\n{err}");

    // 2b. A served summary whose gauges were changed: no chain holds gauges, so the auditor
    //     compares the served roll-up with the one it recomputes, and names the gauge.
    let json: String = sqlx::query_scalar(
        "SELECT summary_json FROM epoch_rollups WHERE data_unit = ? AND epoch = ?",
    )
    .bind(bad_unit as i64)
    .bind(bad_epoch as i64)
    .fetch_one(&db)
    .await
    .unwrap();
    let mut forged: serde_json::Value = serde_json::from_str(&json).unwrap();
    forged["provider"]["gauges"] = serde_json::json!([{
        "name": "host.cpu.util_bp", "unit": "bp", "samples": 1, "failed": 0, "sum": "100",
        "min": 100, "max": 100, "mean": 100, "last": 100, "last_at_ms": start_ms,
        "slots": 1, "counter": null
    }]);
    sqlx::query("UPDATE epoch_rollups SET summary_json = ? WHERE data_unit = ? AND epoch = ?")
        .bind(forged.to_string())
        .bind(bad_unit as i64)
        .bind(bad_epoch as i64)
        .execute(&db)
        .await
        .unwrap();
    let (code, out, err) = audit(&stack, bad_unit, bad_epoch, &[]).await;
    assert_eq!(code, 1, "forged gauges: {out}\n{err}");
    assert!(
        out.contains("the served epoch summary differs")
            && out.contains("provider gauge host.cpu.util_bp"),
        "{out}"
    );
    sqlx::query("UPDATE epoch_rollups SET summary_json = ? WHERE data_unit = ? AND epoch = ?")
        .bind(&json)
        .bind(bad_unit as i64)
        .bind(bad_epoch as i64)
        .execute(&db)
        .await
        .unwrap();

    // 3. A withheld report: one report of the compliant unit's audited epoch is deleted.
    let (start_ms, end_ms) = epochs.bounds_ms(good_epoch).unwrap();
    let deleted = sqlx::query(
        "DELETE FROM reports WHERE id = (SELECT id FROM reports WHERE data_unit = ? \
         AND period_start_ms < ? AND period_end_ms > ? ORDER BY id LIMIT 1)",
    )
    .bind(good_unit as i64)
    .bind(end_ms as i64)
    .bind(start_ms as i64)
    .execute(&db)
    .await
    .unwrap();
    assert_eq!(deleted.rows_affected(), 1);
    let onchain_root = summary::outcomes(
        &admin.provider,
        contract,
        stack.deployment.deploy_block,
        &storage.rollups(),
        &units[..1],
    )
    .await
    .unwrap()[0]
        .applied
        .iter()
        .find(|a| a.result.epoch == good_epoch)
        .unwrap()
        .result
        .result
        .reports_root;
    let onchain_root = B256::from(onchain_root);
    let (code, out, err) = audit(&stack, good_unit, good_epoch, &[]).await;
    assert_eq!(code, 1, "withheld report: {out}\n{err}");
    let line = format!(
        "reports withheld or changed: on-chain root {onchain_root}, root of the served reports 0x"
    );
    assert!(out.contains(&line), "missing `{line}` in:\n{out}");

    // A range covering an epoch with a wrong result fails as a whole; usage errors exit 2.
    let (code, _, err) = audit(&stack, good_unit, wrong_epoch, &["--to-epoch", "0"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--to-epoch"), "{err}");

    // 5. The court: a flag of the failing provider computed as the oracle's flagger computes it
    //    from its closed roll-ups, signed by the oracle (account 1), is what `sla court audit`
    //    recomputes from the served reports; a false flag of the compliant provider is named.
    let failing_provider = units[1].1;
    // Every closed epoch of the failing unit so far (at least 100 checks).
    let rollups = storage
        .rollups()
        .of_data_unit(bad_unit, 0, u64::MAX)
        .await
        .unwrap();
    let rows: Vec<EpochFaults> = rollups
        .iter()
        .take_while(|r| r.verdict.is_some())
        .map(|r| EpochFaults::of(&r.summary))
        .collect();
    let (from, to) = (rows[0].epoch, rows[rows.len() - 1].epoch);
    let evidence = flag_evidence(&rows, from, to, 0)
        .unwrap_or_else(|| panic!("enough checks and faults: {rows:?}"));
    assert!(
        evidence.fault_rate_bps > 2000,
        "the failing provider faults above the default 20 %: {evidence:?}"
    );
    flag(&stack, failing_provider, &evidence).await;
    let (code, out, err) = court_audit(&stack, 1).await;
    assert_eq!(code, 0, "honest flag: {out}\n{err}");
    assert!(
        out.contains("case 1: flag of") && out.contains(": match"),
        "{out}"
    );

    let mut false_flag = evidence.clone();
    false_flag.data_units = vec![good_unit];
    false_flag.faults = vec![50];
    false_flag.fault_rate_bps = 5000;
    flag(&stack, units[0].1, &false_flag).await;
    let (code, out, err) = court_audit(&stack, 2).await;
    assert_eq!(code, 1, "false flag: {out}\n{err}");
    assert!(out.contains("case 2") && out.contains("MISMATCH"), "{out}");
    assert!(out.contains("faultRateBps: expected"), "{out}");

    stack.stop().await;
    scenario.finish().await.unwrap();
}

/// Flags `provider` with `evidence`, signed by the stack's oracle (account 1), sent by account 0.
async fn flag(stack: &Stack, provider: alloy::primitives::Address, evidence: &FlagEvidence) {
    let court_address = stack.deployment.court.expect("the stack deploys a court");
    let flag = sla_contracts::convert::fault_flag(provider, evidence);
    let digest = court::flag_digest(stack.deployment.chain_id, court_address, 1, &flag);
    let signatures = court::sign_flag(&[stack.accounts[1].clone()], digest).unwrap();
    let receipt = SlaCourt::new(court_address, stack.account(0).unwrap().provider)
        .flagProvider(flag, signatures)
        .send()
        .await
        .expect("flagProvider is accepted")
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "flagProvider reverted");
}

/// Runs `sla court audit CASE`; returns (exit code, stdout, stderr).
async fn court_audit(stack: &Stack, case: u64) -> (i32, String, String) {
    run_sla(stack, &["court", "audit", &case.to_string()]).await
}

fn wrong_error_rate(honest: u16) -> u16 {
    if honest == 4_321 {
        4_322
    } else {
        4_321
    }
}

/// Waits for an epoch of `data_unit` that has ended on chain while the oracle still counts it,
/// recomputes its result from the served reports, and submits it with a wrong `errorRateBps`,
/// signed by the oracle's key. Returns the epoch and the honest result.
async fn submit_wrong_result(
    stack: &Stack,
    storage: &sla_storage::Database,
    epochs: &EpochConfig,
    data_unit: u64,
) -> (u64, EpochResult) {
    let http = reqwest::Client::new();
    let c = SlaOracle::new(
        stack.deployment.contract,
        stack.account(0).unwrap().provider,
    );
    let terms = sla_protocol::SlaTerms::from(&c.allocationTerms(data_unit).call().await.unwrap());
    for _attempt in 0..4 {
        let epoch = epochs.epoch_of(now_ms()).unwrap();
        let (start_ms, end_ms) = epochs.bounds_ms(epoch).unwrap();
        // Both parties' two reports of the epoch arrive just after its end.
        tokio::time::sleep(Duration::from_millis(
            (end_ms + 1_200).saturating_sub(now_ms()),
        ))
        .await;
        let page: serde_json::Value = http
            .get(format!(
                "{}/v1/data-units/{data_unit}/reports?from_ms={start_ms}&to_ms={end_ms}&limit=1000",
                stack.ingest_url
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let served = page["reports"].as_array().unwrap();
        if served.len() < 4
            || rollup_status(storage, data_unit, epoch).await != Some(RollupStatus::Open)
        {
            continue;
        }
        let ctx = AggregationContext::new(epochs, &terms, data_unit, epoch).unwrap();
        let mut acc = EpochAccumulator::new(ctx);
        for r in served {
            let signed = SignedReport {
                payload: hex::decode(r["payload"].as_str().unwrap()).unwrap(),
                signature: hex::decode(r["signature"].as_str().unwrap()).unwrap(),
            };
            let verified = signed
                .verify(&sla_protocol::Deployment {
                    chain_id: stack.deployment.chain_id,
                    contract: stack.deployment.contract.into_array(),
                })
                .unwrap();
            acc.add_verified(&verified).unwrap();
        }
        let summary = acc.summary();
        let window = WindowSummary::for_terms(
            epochs,
            &terms,
            data_unit,
            epoch,
            std::slice::from_ref(&summary),
        )
        .unwrap();
        let honest = evaluate(&terms, &summary, &window).unwrap().epoch_result();
        let wrong = ChainResult {
            dataUnitId: honest.data_unit_id,
            readLatencyUs: honest.read_latency_us,
            writeLatencyUs: honest.write_latency_us,
            uploadBps: honest.upload_bps,
            downloadBps: honest.download_bps,
            uptimeBps: honest.uptime_bps,
            errorRateBps: wrong_error_rate(honest.error_rate_bps),
            operations: honest.operations,
            violations: honest.violations,
            flags: honest.flags,
            reportsRoot: honest.reports_root.into(),
        };
        let packed = pack_results(&[wrong]);
        let digest = signing::batch_digest(
            stack.deployment.chain_id,
            stack.deployment.contract,
            1,
            epoch,
            &packed,
        );
        let signatures: Vec<Bytes> =
            signing::sign_batch(&[stack.accounts[1].clone()], digest).unwrap();
        let receipt = c
            .submitResults(epoch, packed, signatures)
            .send()
            .await
            .expect("submitResults is accepted")
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status(), "submitResults reverted");
        let batch = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<SlaOracle::ResultsSubmitted>().ok())
            .expect("ResultsSubmitted");
        assert_eq!(
            batch.inner.data.applied,
            U256::from(1),
            "the wrong result of epoch {epoch} was not applied"
        );
        return (epoch, honest);
    }
    panic!("found no epoch to submit a wrong result for before the oracle");
}
