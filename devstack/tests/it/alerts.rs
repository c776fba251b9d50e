//! Alerts against the real stack (anvil with the contract, the ingest API, the oracle, the sample
//! reporters) and a real local webhook receiver, with the alerting service running beside them:
//! the failing provider's burn-rate alert arrives before its first violating epoch closes (before
//! the violation alert), then the violation and the penalty with its transaction, mined on
//! chain; a stopped reporter is reported late within its interval plus the margin; the healthy
//! oracle raises no health alert; every alert arrives signed and once per key.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use sla_devstack::scenario::Scenario;
use sla_devstack::stack::{Stack, StackOptions};
use sla_protocol::aggregate::EpochConfig;

const EPOCH_LENGTH: u32 = 12;
const PENALTY: u64 = 100_000_000_000_000_000;
const SECRET: &str = "whsec-e2e";
const LATE_MARGIN_S: u64 = 2;

/// `(idempotency key, alert, Unix ms received)` of every delivery, and bad signatures.
type Seen = Arc<Mutex<(Vec<(String, serde_json::Value, u64)>, usize)>>;

async fn hook(State(seen): State<Seen>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let signature = header("x-sla-signature");
    let t: u64 = signature
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut seen = seen.lock().unwrap();
    if sla_alerts::deliver::signature(SECRET.as_bytes(), t, &body) != signature {
        seen.1 += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let alert = serde_json::from_str(&body).unwrap_or_default();
    seen.0
        .push((header("idempotency-key"), alert, sla_runtime::now_ms()));
    StatusCode::OK
}

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn find(seen: &Seen, rule: &str, data_unit: u64) -> Option<(serde_json::Value, u64)> {
    find_key(seen, &format!("{rule}:"), data_unit, 0)
}

/// The first delivery whose key starts with `prefix`, about `data_unit`, received at or after
/// `after_ms`.
fn find_key(
    seen: &Seen,
    prefix: &str,
    data_unit: u64,
    after_ms: u64,
) -> Option<(serde_json::Value, u64)> {
    let seen = seen.lock().unwrap();
    seen.0
        .iter()
        .find(|(k, a, at)| k.starts_with(prefix) && a["data_unit"] == data_unit && *at >= after_ms)
        .map(|(_, a, at)| (a.clone(), *at))
}

async fn wait_for(
    seen: &Seen,
    rule: &str,
    data_unit: u64,
    within: Duration,
) -> (serde_json::Value, u64) {
    wait_for_key(seen, &format!("{rule}:"), data_unit, 0, within).await
}

async fn wait_for_key(
    seen: &Seen,
    prefix: &str,
    data_unit: u64,
    after_ms: u64,
    within: Duration,
) -> (serde_json::Value, u64) {
    let until = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = find_key(seen, prefix, data_unit, after_ms) {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "no alert {prefix}… for data unit {data_unit}: {:#?}",
            seen.lock().unwrap().0
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burn_rate_before_the_violation_then_penalty_with_its_transaction_and_late() {
    sla_devstack::stack::log_to_test_output();
    let dir = tempfile::tempdir().unwrap();
    let mut options = StackOptions::new(dir.path());
    options.epoch_length = EPOCH_LENGTH;
    options.grace_ms = 2_000;
    let stack = Stack::start(options)
        .await
        .expect("stack starts (is anvil installed? run contracts/scripts/setup.sh)");
    let (url, seen) = receiver().await;
    let text = serde_json::json!({
        "receivers": [{ "name": "ops", "kind": "webhook", "url": url, "secret_env": "SECRET" }],
        "late_margin_s": LATE_MARGIN_S,
        "dashboard_url": stack.dashboard_url(),
        "rules": {
            "burn-rate": { "windows": [
                { "name": "fast", "long_s": 60, "short_s": 10, "burn": 2, "severity": "critical" }
            ] },
            "oracle-health": {
                "oracle_metrics_url": stack.oracle_metrics_url.clone().unwrap(),
                "ingest_metrics_url": format!("{}/metrics", stack.ingest_url),
                "for_s": 5
            }
        }
    })
    .to_string();
    let config =
        sla_alerts::AlertsConfig::parse(&text, |k| (k == "SECRET").then(|| SECRET.to_owned()))
            .unwrap();
    let db = sla_storage::Database::connect(&stack.database_url)
        .await
        .unwrap();
    let mut stop = stack.stop_signal();
    let timing = sla_alerts::service::Timing {
        tick: Duration::from_millis(250),
        request_timeout: Duration::from_secs(5),
    };
    let alerting = tokio::spawn(sla_alerts::service::run(db, config, timing, async move {
        let _ = stop.wait_for(|s| *s).await;
    }));
    let mut scenario = Scenario::start(&stack, PENALTY).await.unwrap();
    let failing = scenario.failing.data_unit;
    let compliant = scenario.compliant.data_unit;
    let epochs = EpochConfig::new(stack.deployment.genesis_time, EPOCH_LENGTH).unwrap();

    let (burn, _) = wait_for(&seen, "burn-rate", failing, Duration::from_secs(60)).await;
    let (violation, _) = wait_for(&seen, "violation", failing, Duration::from_secs(60)).await;
    let burn_at = burn["raised_at_ms"].as_u64().unwrap();
    let first_violating = {
        let seen = seen.lock().unwrap();
        seen.0
            .iter()
            .filter(|(_, a, _)| a["rule"] == "violation" && a["data_unit"] == failing)
            .map(|(_, a, _)| a["epoch"].as_u64().unwrap())
            .min()
            .unwrap()
    };
    let (_, closes) = epochs.bounds_ms(first_violating).unwrap();
    assert!(
        burn_at < closes + 2_000 && burn_at < violation["raised_at_ms"].as_u64().unwrap(),
        "the burn-rate alert ({burn_at}) comes before epoch {first_violating} closes \
         ({closes} + grace) and before its violation alert: {burn:#}"
    );
    assert_eq!(burn["severity"], "critical");
    assert!(
        burn["summary"]
            .as_str()
            .unwrap()
            .contains("error rate error budget"),
        "{burn:#}"
    );
    assert!(
        find(&seen, "burn-rate", compliant).is_none(),
        "the compliant unit burns nothing"
    );

    let (penalty, _) = wait_for(&seen, "penalty", failing, Duration::from_secs(90)).await;
    let tx = penalty["tx_hash"]
        .as_str()
        .expect("the penalty names its transaction");
    let provider = stack.account(0).unwrap().provider;
    let hash: alloy::primitives::B256 = tx.parse().unwrap();
    use alloy::providers::Provider;
    let receipt = provider
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .expect("the penalty's transaction is mined");
    assert!(receipt.status());
    assert_eq!(penalty["amount"], serde_json::Value::Null);
    assert!(penalty["details"][0]
        .as_str()
        .unwrap()
        .starts_with(&format!("amount {PENALTY} wei")));

    // The compliant consumer's reporter stops: late within its interval plus the margin after
    // its last report's period (the report of a period is sent once the period has ended).
    scenario.reporters_running().await.unwrap();
    scenario.reporters[0].abort();
    let stopped = sla_runtime::now_ms();
    let prefix = format!("late:{compliant}:consumer:");
    let (late, received) =
        wait_for_key(&seen, &prefix, compliant, stopped, Duration::from_secs(60)).await;
    assert_eq!(late["severity"], "warning");
    let bound = (u64::from(EPOCH_LENGTH) + LATE_MARGIN_S) * 1_000 + 3_000;
    assert!(
        received - stopped <= bound,
        "late after {} ms, bound {bound} ms",
        received - stopped
    );

    let (deliveries, bad_signatures) = seen.lock().unwrap().clone();
    assert_eq!(bad_signatures, 0, "every signature verifies");
    let mut keys: Vec<&str> = deliveries.iter().map(|(k, _, _)| k.as_str()).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "once per key");
    assert!(
        !deliveries
            .iter()
            .any(|(_, a, _)| a["rule"] == "oracle-health"),
        "a healthy oracle raises no health alert: {deliveries:#?}"
    );
    stack.stop().await;
    alerting.await.unwrap().unwrap();
}
