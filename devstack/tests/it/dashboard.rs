//! The dashboard in a real browser: Debian's Chromium, driven by playwright-core
//! (`dashboard/browser-tests/check.mjs`), against the whole stack (anvil, the deployed contract,
//! the ingest API with the dashboard, the oracle and the sample reporters). The failing
//! reporters sign `<script>alert(1)</script>` as the error detail of their failed records. The
//! script's checks are listed at its top; screenshots of every page land in
//! `target/dashboard-screenshots/`.
//!
//! Needs `node`, `chromium` (`CHROMIUM_BIN`, default `/usr/bin/chromium`) and the script's npm
//! package (`scripts/install-browser-deps.sh`, which `scripts/test.sh` runs). Without them the test
//! says so and passes, except with `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sla_devstack::scenario::Scenario;
use sla_devstack::stack::{Stack, StackOptions};

const EPOCH_LENGTH: u32 = 8;
const PENALTY: u64 = 300_000_000_000_000_000;
const XSS: &str = "<script>alert(1)</script>";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What is missing to run a browser, if anything.
fn missing() -> Option<String> {
    let chromium = std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!("chromium not found at {chromium}"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node not found".into());
    }
    let pkg = repo().join("dashboard/browser-tests/node_modules/playwright-core");
    if !pkg.exists() {
        return Some(format!("{} not installed", pkg.display()));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_the_api_numbers_in_a_real_browser() {
    if let Some(why) = missing() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and the browser test cannot run: {why} (run scripts/install-browser-deps.sh)"
        );
        eprintln!("SKIPPED dashboard browser test: {why} (run scripts/install-browser-deps.sh)");
        return;
    }
    sla_devstack::stack::log_to_test_output();
    let dir = tempfile::tempdir().unwrap();
    let mut options = StackOptions::new(dir.path());
    options.epoch_length = EPOCH_LENGTH;
    options.grace_ms = 2_000;
    let stack = Stack::start(options).await.expect("stack starts");
    let mut scenario = Scenario::start_with(&stack, PENALTY, XSS).await.unwrap();
    let [(good_unit, good, _), (bad_unit, bad, _)] = scenario.units();

    // Wait until the failing unit has paid two penalties and the compliant one has results.
    let mirror = sla_storage::Database::connect(&stack.database_url)
        .await
        .unwrap()
        .mirror();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
    loop {
        let paid = mirror.penalties(bad_unit).await.unwrap().len();
        let good_results = mirror.results(good_unit, 0, 10).await.unwrap().len();
        if paid >= 2 && good_results >= 2 {
            break;
        }
        scenario.reporters_running().await.unwrap();
        assert!(
            tokio::time::Instant::now() < deadline,
            "no penalty on chain in time (paid {paid}, compliant results {good_results})"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let spec = serde_json::json!({
        "failing": { "data_unit": bad_unit, "provider": format!("{bad:#x}") },
        "compliant": { "data_unit": good_unit, "provider": format!("{good:#x}") },
        "error_detail": XSS,
    });
    let artifacts = repo().join("target/dashboard-screenshots");
    let url = stack.ingest_url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(repo().join("dashboard/browser-tests/check.mjs"))
            .args([&url, "/dashboard", &artifacts.display().to_string()])
            .arg(spec.to_string())
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    stack.stop().await;
    assert!(
        output.status.success(),
        "browser checks failed:\n{stdout}\n{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim().lines().last().unwrap())
        .expect("the script prints its summary");
    assert!(summary["checked"].as_u64().unwrap() > 40, "{summary}");
    assert_eq!(summary["failures"], serde_json::json!([]));
}
