//! Scheduled compliance reports on each database: a daily report of a seeded data unit (five
//! penalties on chain, a final violating epoch) is written to the outbox once per period and
//! delivered once to a real webhook receiver (signature checked, JSON fields against the seeded
//! values) and once as an email with the CSV attached to a real SMTP server; ticks after that,
//! and a restarted scheduler, write and send nothing new.

use std::sync::Arc;

use sla_alerts::reports::Reports;
use sla_alerts::rules::Rules;
use sla_alerts::AlertsConfig;
use sla_storage::mirror::{ChainOrigin, ContractConfig};
use sla_storage::Database;

use crate::receiver::Receiver;
use crate::smtp::{self, SmtpSink};

const SECRET: &str = "whsec-report-test";
/// 1970-01-02 01:00 UTC: the day just ended is 1970-01-01, where the seeded epochs are.
const NOW_MS: u64 = 86_400_000 + 3_600_000;

async fn seed_contract(db: &Database) {
    let mut w = db.mirror().begin_write().await.unwrap();
    w.insert_contract(&ContractConfig {
        admin: alloy_primitives::Address::repeat_byte(0xad),
        genesis_time: 0,
        epoch_length: 60,
        submission_window: 60,
        unbonding_delay: 60,
        allocation_request_ttl: 60,
        origin: ChainOrigin {
            block_number: 1,
            log_index: Some(0),
            tx_hash: Some([9; 32]),
        },
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
}

fn config(hook: &str, smtp_port: u16) -> Arc<AlertsConfig> {
    // Both receivers filter rule alerts down to a data unit that does not exist: only the
    // reports, which are addressed to them by name, reach them.
    let text = format!(
        r#"{{"receivers":[
            {{"name":"ops","kind":"webhook","url":"{hook}","secret_env":"SECRET","data_units":[99]}},
            {{"name":"mail","kind":"email","smtp_host":"127.0.0.1","smtp_port":{smtp_port},"tls":"none",
              "from":"oracle@sla.test","to":["ops@sla.test"],"data_units":[99]}},
            {{"name":"team","kind":"slack","url_env":"SLACK","data_units":[99]}}],
            "dashboard_url":"http://127.0.0.1:1/dashboard",
            "reports":[
              {{"name":"daily-hook","receiver":"ops","schedule":"daily","data_unit":1}},
              {{"name":"daily-mail","receiver":"mail","schedule":"daily","data_unit":1}},
              {{"name":"daily-chat","receiver":"team","schedule":"daily","data_unit":1}}]}}"#
    );
    let slack = format!("{}/slack/services/x", hook.trim_end_matches("/hook"));
    let env = move |k: &str| match k {
        "SECRET" => Some(SECRET.to_owned()),
        "SLACK" => Some(slack.clone()),
        _ => None,
    };
    Arc::new(AlertsConfig::parse(&text, env).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_report_is_delivered_once_by_webhook_and_once_by_email_with_its_csv() {
    if !smtp::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "reports.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        crate::delivery::seed(&db).await;
        seed_contract(&db).await;
        let hook = Receiver::start(SECRET, 0).await;
        let port = smtp::free_port();
        let sink = SmtpSink::start(port, &dir.path().join(format!("mail-{port}")), None);
        let config = config(&hook.url, port);
        let http = reqwest::Client::new();
        let mut rules = Rules::start(&db, &config).await.unwrap();

        let mut reports = Reports::default();
        let written = reports
            .enqueue_due(&db, &config.reports, &config.dashboard_url, NOW_MS)
            .await
            .unwrap();
        assert_eq!(written, 3, "{url}: one report per receiver");
        // Again, and from a scheduler that restarted: the period's reports are there already.
        for mut again in [reports, Reports::default()] {
            let n = again
                .enqueue_due(&db, &config.reports, &config.dashboard_url, NOW_MS + 60_000)
                .await
                .unwrap();
            assert_eq!(n, 0, "{url}");
        }
        for _ in 0..3 {
            sla_alerts::service::tick(&db, &config, &http, &mut rules)
                .await
                .unwrap();
        }

        // The webhook: the JSON, signed, once.
        let body = hook.seen(|s| {
            assert_eq!(s.bad_signatures, 0, "{url}");
            assert_eq!(s.acknowledged.len(), 1, "{url}: {:?}", s.acknowledged);
            assert_eq!(s.acknowledged[0].0, "report:daily-hook:0");
            s.acknowledged[0].1.clone()
        });
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["rule"], "compliance-report");
        assert_eq!(report["severity"], "info");
        assert_eq!(
            report["link"],
            "http://127.0.0.1:1/v1/data-units/1/compliance?from=0&to=86400000&format=csv"
        );
        let c = &report["compliance"];
        assert_eq!(
            (c["from_ms"].as_u64(), c["to_ms"].as_u64()),
            (Some(0), Some(86_400_000))
        );
        assert_eq!(
            (c["from_epoch"].as_u64(), c["to_epoch"].as_u64()),
            (Some(0), Some(1_439))
        );
        let unit = &c["data_units"][0];
        assert_eq!(unit["data_unit"], 1);
        assert_eq!(unit["provider"], format!("0x{}", "b1".repeat(20)));
        assert_eq!(unit["terms"]["max_read_latency_us"], 50_000);
        let totals = &unit["totals"];
        assert_eq!(totals["epochs_judged"], 1);
        assert_eq!(totals["epochs_compliant"], 0);
        assert_eq!(totals["compliance_bps"], 0);
        assert_eq!(totals["violations"]["read_latency"], 1);
        assert_eq!(totals["max_read_latency_us"], 180_000);
        assert_eq!(totals["penalties"], 5);
        assert_eq!(totals["penalties_wei"], "1500000000000000000");
        let penalties = unit["penalties"].as_array().unwrap();
        assert_eq!(penalties.len(), 5);
        assert_eq!(penalties[2]["epoch"], 3);
        assert_eq!(penalties[2]["tx_hash"], format!("0x{}", "03".repeat(32)));
        let epochs = unit["epochs"].as_array().unwrap();
        assert_eq!(epochs.len(), 1, "{url}: the one epoch with a roll-up");
        assert_eq!(epochs[0]["epoch"], 6);
        assert_eq!(epochs[0]["rollup_status"], "final");
        assert_eq!(epochs[0]["violations"], serde_json::json!(["read_latency"]));
        let explanation = epochs[0]["explanation"].to_string();
        assert!(
            explanation.contains("mean read latency 180.0 ms > 50.0 ms: violated"),
            "{explanation}"
        );
        assert!(unit["audit_command"]
            .as_str()
            .unwrap()
            .starts_with("sla audit --data-unit 1 --epoch 0 --to-epoch 1439 "));

        // The email: HTML with the CSV attached, once.
        let mail = sink.messages();
        assert_eq!(mail.len(), 1, "{url}");
        let m = &mail[0];
        assert_eq!(m["alert_key"], "report:daily-mail:0");
        assert_eq!(
            m["subject"],
            "[info] compliance report daily-mail from 1970-01-01 00:00:00 UTC to 1970-01-02 00:00:00 UTC"
        );
        let parts = m["parts"].as_array().unwrap();
        let html = parts
            .iter()
            .find(|p| p["content_type"] == "text/html")
            .unwrap()["content"]
            .as_str()
            .unwrap();
        assert!(html.contains("Data unit 1"), "{html}");
        assert!(html.contains("180.0 ms &gt; 50.0 ms"), "{html}");
        let csv = parts
            .iter()
            .find(|p| p["filename"] == "daily-mail-0.csv")
            .unwrap_or_else(|| panic!("no CSV attachment in {m}"));
        assert_eq!(csv["content_type"], "text/csv");
        let rows: Vec<Vec<&str>> = csv["content"]
            .as_str()
            .unwrap()
            .lines()
            .map(|l| l.trim_end_matches('\r').split(',').collect())
            .collect();
        assert_eq!(rows.len(), 2, "a header and epoch 6: {rows:?}");
        assert_eq!(
            rows[0][..5],
            [
                "data_unit",
                "epoch",
                "start_utc",
                "rollup_status",
                "violations"
            ]
        );
        let row = &rows[1];
        assert_eq!(
            row[..5],
            ["1", "6", "1970-01-01 00:06:00 UTC", "final", "read_latency"]
        );
        assert_eq!(row[8], "180000", "read_latency_us");
        assert!(
            row[10].starts_with("0x") && row[10].len() == 66,
            "reports_root {row:?}"
        );
        assert_eq!(row[10], epochs[0]["reports_root"].as_str().unwrap());

        // Chat: the summary in words with the download link, once.
        let chat = hook.seen(|s| s.messages.clone());
        assert_eq!(chat.len(), 1, "{url}");
        let text = chat[0].1["text"].as_str().unwrap();
        assert!(
            text.starts_with("[info] compliance report daily-chat from 1970-01-01"),
            "{text}"
        );
        assert!(text.contains("data unit 1: "), "{text}");
        assert!(text.contains("5 penalties (1.5 ETH)"), "{text}");
        // Slack's mrkdwn has `&` escaped; Slack shows it as `&`.
        assert!(
            text.contains("/v1/data-units/1/compliance?from=0&amp;to=86400000&amp;format=csv"),
            "{text}"
        );

        // Later ticks send nothing more.
        reports = Reports::default();
        reports
            .enqueue_due(
                &db,
                &config.reports,
                &config.dashboard_url,
                NOW_MS + 120_000,
            )
            .await
            .unwrap();
        sla_alerts::service::tick(&db, &config, &http, &mut rules)
            .await
            .unwrap();
        assert_eq!(hook.seen(|s| s.acknowledged.len()), 1, "{url}");
        assert_eq!(sink.messages().len(), 1, "{url}");
        let counts = db.alerts().counts().await.unwrap();
        assert_eq!(hook.seen(|s| s.messages.len()), 1, "{url}");
        assert_eq!((counts.pending, counts.delivered), (0, 3), "{url}");
        db.close().await;
    }
}

#[tokio::test]
async fn a_report_of_an_unknown_data_unit_writes_nothing_and_is_tried_again_a_minute_later() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("unknown.sqlite").display());
    let db = Database::connect(&url).await.unwrap();
    seed_contract(&db).await;
    let config = config("http://127.0.0.1:9/hook", 9);
    let mut reports = Reports::default();
    let specs = &config.reports;
    let n = reports.enqueue_due(&db, specs, "", NOW_MS).await.unwrap();
    assert_eq!(n, 0, "data unit 1 is not known yet");
    assert!(db.alerts().all(10).await.unwrap().is_empty());
    // Once it is known, the report is built at the next try, not at every tick before it.
    crate::delivery::seed(&db).await;
    let n = reports
        .enqueue_due(&db, specs, "", NOW_MS + 30_000)
        .await
        .unwrap();
    assert_eq!(n, 0, "within the minute");
    let n = reports
        .enqueue_due(&db, specs, "", NOW_MS + 61_000)
        .await
        .unwrap();
    assert_eq!(n, 3, "a minute later: one per receiver");
    db.close().await;
}
