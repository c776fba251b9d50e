//! The `sla-alerts` process against a database holding a violating epoch (final, not yet on
//! chain) and five penalties applied on chain, and a real receiver that is down for its first
//! four requests: every alert reaches the receiver with a valid signature, the process is
//! killed with SIGKILL after the first acknowledgements and started again, and afterwards every
//! alert has been acknowledged exactly once per idempotency key and nothing is pending.
//! On SQLite always and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set.

use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use sla_protocol::aggregate::{
    evaluate, AggregationContext, EpochAccumulator, EpochConfig, SlaTerms, WindowSummary,
    EQUAL_WEIGHTS,
};
use sla_protocol::parties::{Allocation, AllocationStatus};
use sla_protocol::{Operation, QosRecord, ReportHash, Role};
use sla_storage::mirror::{ChainOrigin, MirroredPenalty};
use sla_storage::rollups::RollupWrite;
use sla_storage::{Database, RollupStatus};

use crate::receiver::Receiver;

const SECRET: &str = "whsec-test-only";
const PROVIDER: Address = Address::repeat_byte(0xb1);
const CONSUMER: Address = Address::repeat_byte(0xc1);

fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 50_000,
        max_write_latency_us: 0,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 0,
        uptime_window: 60,
        max_error_rate_bps: 10_000,
        reporting_interval: 60,
        penalty_per_epoch: 300_000_000_000_000_000,
        weights: EQUAL_WEIGHTS,
    }
}

/// A penalty on chain for epochs 1 to 5 and a final violating epoch 6, of data unit 1.
pub(crate) async fn seed(db: &Database) {
    let mut w = db.mirror().begin_write().await.unwrap();
    w.upsert_current_allocation(&Allocation {
        data_unit: 1,
        consumer: CONSUMER,
        provider: PROVIDER,
        status: AllocationStatus::Active,
        terms_hash: [1; 32],
        terms: terms(),
        active_from_ms: 0,
        closed_at_ms: None,
    })
    .await
    .unwrap();
    for epoch in 1..=5u64 {
        w.insert_penalty(&MirroredPenalty {
            data_unit: 1,
            epoch,
            provider: PROVIDER,
            consumer: CONSUMER,
            amount: terms().penalty_per_epoch,
            from_bonded: terms().penalty_per_epoch,
            from_unbonding: 0,
            origin: ChainOrigin {
                block_number: 10 + epoch,
                log_index: Some(1),
                tx_hash: Some([epoch as u8; 32]),
            },
        })
        .await
        .unwrap();
    }
    w.commit().await.unwrap();

    // Epoch 6: reads at 180 ms against a 50 ms term, final and not yet submitted.
    let config = EpochConfig::new(0, 60).unwrap();
    let mut acc = EpochAccumulator::new(AggregationContext::new(&config, &terms(), 1, 6).unwrap());
    let view = acc.view_mut(Role::Provider);
    view.add_report_period(360_000, 420_000);
    for i in 0..30u64 {
        view.add_record(&QosRecord::success(
            360_000 + i * 1_000,
            Operation::Read,
            180_000,
            1,
        ));
    }
    view.add_report_hash(ReportHash([6; 32]));
    let summary = acc.summary();
    let window = WindowSummary::compute(&config, 1, 6, 1, std::slice::from_ref(&summary)).unwrap();
    let verdict = evaluate(&terms(), &summary, &window).unwrap();
    assert_ne!(verdict.violations, 0, "the seeded epoch violates");
    db.rollups()
        .save(
            &[RollupWrite {
                accumulator: &acc,
                summary: &summary,
                status: RollupStatus::Final,
                verdict: Some(&verdict),
                updated_at_ms: 1,
            }],
            &[],
            None,
        )
        .await
        .unwrap();
}

fn start(url: &str, config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sla-alerts"))
        .args(["--database-url", url, "--config"])
        .arg(config)
        .args(["--tick-ms", "200", "--request-timeout-ms", "2000"])
        .env("TEST_WEBHOOK_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("sla-alerts starts")
}

async fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + deadline;
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_alert_arrives_signed_once_per_key_across_a_down_receiver_and_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "alerts.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        seed(&db).await;
        let receiver = Receiver::start(SECRET, 4).await;
        let config = dir.path().join("alerts.json");
        std::fs::write(
            &config,
            format!(
                r#"{{"receivers":[{{"name":"ops","kind":"webhook","url":"{}","secret_env":"TEST_WEBHOOK_SECRET","rules":["violation","penalty"]}}],
                   "dashboard_url":"http://127.0.0.1:1/dashboard"}}"#,
                receiver.url
            ),
        )
        .unwrap();
        let expected: BTreeSet<String> = (1..=5)
            .map(|e| format!("penalty:1:{e}"))
            .chain(["violation:1:6".to_owned()])
            .collect();

        let mut alerts = start(&url, &config);
        wait_for("a first acknowledgement", Duration::from_secs(30), || {
            receiver.seen(|s| !s.acknowledged.is_empty())
        })
        .await;
        alerts.kill().unwrap(); // SIGKILL
        alerts.wait().unwrap();

        let mut alerts = start(&url, &config);
        wait_for("every alert", Duration::from_secs(60), || {
            receiver.seen(|s| {
                s.acknowledged
                    .iter()
                    .map(|(k, _)| k.clone())
                    .collect::<BTreeSet<_>>()
                    == expected
            })
        })
        .await;
        // A last round, to see that nothing is sent again once acknowledged.
        tokio::time::sleep(Duration::from_millis(600)).await;
        alerts.kill().unwrap();
        alerts.wait().unwrap();

        receiver.seen(|s| {
            assert_eq!(s.refused, 4, "{url}");
            assert_eq!(s.bad_signatures, 0, "{url}");
            // At least once: a kill between the receiver's answer and our record of it may send
            // again, with the same key (the receiver drops it), each alert that was in flight
            // (deliveries run several at a time); never more than once again.
            let mut times: std::collections::BTreeMap<&str, usize> = Default::default();
            for (key, _) in &s.acknowledged {
                *times.entry(key.as_str()).or_default() += 1;
            }
            assert!(times.values().all(|&n| n <= 2), "{url}: {times:?}");
            for (key, body) in &s.acknowledged {
                let alert: serde_json::Value = serde_json::from_str(body).unwrap();
                assert_eq!(alert["alert_key"], key.as_str());
            }
            let violation = s
                .acknowledged
                .iter()
                .find(|(k, _)| k == "violation:1:6")
                .map(|(_, b)| serde_json::from_str::<serde_json::Value>(b).unwrap())
                .unwrap();
            assert_eq!(violation["severity"], "warning");
            let details = violation["details"].to_string();
            assert!(
                details.contains("mean read latency 180.0 ms > 50.0 ms: violated"),
                "{details}"
            );
            assert_eq!(
                violation["link"],
                "http://127.0.0.1:1/dashboard/data-units/1"
            );
        });
        let penalty = receiver.seen(|s| {
            s.acknowledged
                .iter()
                .find(|(k, _)| k == "penalty:1:3")
                .map(|(_, b)| serde_json::from_str::<serde_json::Value>(b).unwrap())
                .unwrap()
        });
        assert_eq!(penalty["tx_hash"], format!("0x{}", "03".repeat(32)));
        assert!(penalty["summary"].as_str().unwrap().contains("0.3 ETH"));

        let counts = db.alerts().counts().await.unwrap();
        assert_eq!(
            (counts.pending, counts.delivered, counts.expired),
            (0, expected.len() as u64, 0),
            "{url}"
        );
        let retried = db.alerts().all(100).await.unwrap();
        assert!(
            retried.iter().any(|a| a.attempts > 1),
            "{url}: the 500s were retried"
        );
        db.close().await;
    }
}

#[tokio::test]
async fn chat_channels_get_the_alert_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("chat.sqlite").display());
    let db = Database::connect(&url).await.unwrap();
    seed(&db).await;
    let receiver = Receiver::start(SECRET, 0).await;
    let base = receiver.url.trim_end_matches("/hook").to_owned();
    let text = format!(
        r#"{{"receivers":[
            {{"name":"s","kind":"slack","url_env":"SLACK","rules":["violation","penalty"]}},
            {{"name":"d","kind":"discord","url_env":"DISCORD","rules":["violation"]}},
            {{"name":"t","kind":"telegram","token_env":"TG","chat_id":"-100","api_url":"{base}/","rules":["violation","penalty"]}}]}}"#
    );
    let env = |k: &str| match k {
        "SLACK" => Some(format!("{base}/slack/services/x")),
        "DISCORD" => Some(format!("{base}/discord/webhooks/x")),
        "TG" => Some("123:abc".to_owned()),
        _ => None,
    };
    let config = std::sync::Arc::new(sla_alerts::AlertsConfig::parse(&text, env).unwrap());
    let http = reqwest::Client::new();
    let mut rules = sla_alerts::rules::Rules::start(&db, &config).await.unwrap();
    sla_alerts::service::tick(&db, &config, &http, &mut rules)
        .await
        .unwrap();
    sla_alerts::service::tick(&db, &config, &http, &mut rules)
        .await
        .unwrap();
    let outbox = db.alerts().all(50).await.unwrap();
    let errors: Vec<_> = outbox.iter().filter_map(|a| a.last_error.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    receiver.seen(|s| {
        let on = |p: &str| s.messages.iter().filter(|(path, _)| path == p).count();
        assert_eq!(on("/slack/services/x"), 6, "5 penalties and a violation");
        assert_eq!(on("/discord/webhooks/x"), 1, "the violation only");
        assert_eq!(on("/bot123:abc/sendMessage"), 6);
        let slack = s
            .messages
            .iter()
            .find(|(p, m)| {
                p.starts_with("/slack") && m["text"].as_str().unwrap().contains("violated")
            })
            .unwrap();
        // Slack's markup characters are escaped: `>` of "180.0 ms > 50.0 ms".
        assert!(
            slack.1["text"].as_str().unwrap().contains("&gt; 50.0 ms"),
            "{}",
            slack.1
        );
        let discord = &s
            .messages
            .iter()
            .find(|(p, _)| p.starts_with("/discord"))
            .unwrap()
            .1;
        assert!(discord["content"]
            .as_str()
            .unwrap()
            .starts_with("[warning] data unit 1 broke its terms"));
        assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
        let telegram = &s
            .messages
            .iter()
            .find(|(p, _)| p.starts_with("/bot"))
            .unwrap()
            .1;
        assert_eq!(telegram["chat_id"], "-100");
    });
    let counts = db.alerts().counts().await.unwrap();
    assert_eq!((counts.pending, counts.delivered), (0, 13));
    db.close().await;
}
