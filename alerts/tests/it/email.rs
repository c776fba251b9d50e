//! Email over a real SMTP server (aiosmtpd) that requires AUTH and is down at first: every
//! alert is delivered once it comes up, once each, with its subject, recipients, escaped HTML
//! and key header. On SQLite always and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sla_alerts::rules::Rules;
use sla_alerts::AlertsConfig;
use sla_storage::Database;

use crate::smtp::{self, SmtpSink};

fn config(port: u16) -> Arc<AlertsConfig> {
    let text = format!(
        r#"{{"receivers":[{{"name":"mail","kind":"email","smtp_host":"127.0.0.1","smtp_port":{port},
            "tls":"none","username_env":"SMTP_USER","password_env":"SMTP_PASSWORD",
            "from":"SLA oracle <oracle@sla.test>","to":["ops@sla.test","oncall@sla.test"],
            "rules":["violation","penalty"]}}],
            "dashboard_url":"http://127.0.0.1:1/dashboard"}}"#
    );
    let env = |k: &str| match k {
        "SMTP_USER" => Some("oracle".to_owned()),
        "SMTP_PASSWORD" => Some("smtp-s3cr3t".to_owned()),
        _ => None,
    };
    Arc::new(AlertsConfig::parse(&text, env).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_alerts_arrive_once_each_after_the_smtp_server_comes_up() {
    if !smtp::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "email.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        crate::delivery::seed(&db).await;
        let port = smtp::free_port();
        let config = config(port);
        let http = reqwest::Client::new();
        let mut rules = Rules::start(&db, &config).await.unwrap();

        // The server is down: the alerts are written, tried, and wait for their retry.
        sla_alerts::service::tick(&db, &config, &http, &mut rules)
            .await
            .unwrap();
        let outbox = db.alerts().all(50).await.unwrap();
        assert_eq!(outbox.len(), 6, "{url}");
        assert!(
            outbox.iter().all(|a| a.delivered_at_ms.is_none()
                && a.last_error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("smtp:"))
                && !e_contains_secret(a.last_error.as_deref())),
            "{url}: {outbox:?}"
        );

        let sink = SmtpSink::start(
            port,
            &dir.path().join(format!("mail-{port}")),
            Some(("oracle", "smtp-s3cr3t")),
        );
        let until = Instant::now() + Duration::from_secs(30);
        while db.alerts().counts().await.unwrap().delivered < 6 {
            assert!(Instant::now() < until, "{url}: not delivered in time");
            tokio::time::sleep(Duration::from_millis(200)).await;
            sla_alerts::service::tick(&db, &config, &http, &mut rules)
                .await
                .unwrap();
        }
        // More ticks send nothing again.
        for _ in 0..3 {
            sla_alerts::service::tick(&db, &config, &http, &mut rules)
                .await
                .unwrap();
        }

        let mail = sink.messages();
        assert_eq!(mail.len(), 6, "{url}: one message per alert, none twice");
        let keys: BTreeSet<&str> = mail
            .iter()
            .map(|m| m["alert_key"].as_str().unwrap())
            .collect();
        let expected: BTreeSet<String> = (1..=5)
            .map(|e| format!("penalty:1:{e}"))
            .chain(["violation:1:6".to_owned()])
            .collect();
        assert_eq!(keys, expected.iter().map(String::as_str).collect(), "{url}");
        for m in &mail {
            assert_eq!(m["authenticated"], true);
            assert_eq!(m["mail_from"], "oracle@sla.test");
            assert_eq!(
                m["rcpt_tos"],
                serde_json::json!(["ops@sla.test", "oncall@sla.test"])
            );
            let key = m["alert_key"].as_str().unwrap();
            assert_eq!(
                m["message_id"],
                format!("<{}@sla-oracle>", key.replace(':', "."))
            );
        }
        let violation = mail
            .iter()
            .find(|m| m["alert_key"] == "violation:1:6")
            .unwrap();
        assert!(
            violation["subject"]
                .as_str()
                .unwrap()
                .starts_with("[warning] data unit 1 broke its terms"),
            "{}",
            violation["subject"]
        );
        let part = |m: &serde_json::Value, t: &str| {
            m["parts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["content_type"] == t)
                .map(|p| p["content"].as_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("no {t} part in {m}"))
        };
        let text = part(violation, "text/plain");
        assert!(
            text.contains("mean read latency 180.0 ms > 50.0 ms: violated"),
            "{text}"
        );
        let html = part(violation, "text/html");
        // `>` of "180.0 ms > 50.0 ms" is escaped in the HTML; the link is there.
        assert!(
            html.contains("mean read latency 180.0 ms &gt; 50.0 ms: violated"),
            "{html}"
        );
        assert!(
            html.contains("http://127.0.0.1:1/dashboard/data-units/1"),
            "{html}"
        );
        let penalty = mail
            .iter()
            .find(|m| m["alert_key"] == "penalty:1:3")
            .unwrap();
        assert!(part(penalty, "text/plain").contains(&format!("0x{}", "03".repeat(32))));
        assert!(penalty["subject"]
            .as_str()
            .unwrap()
            .starts_with("[critical] "));

        let counts = db.alerts().counts().await.unwrap();
        assert_eq!(
            (counts.pending, counts.delivered, counts.expired),
            (0, 6, 0),
            "{url}"
        );
        db.close().await;
    }
}

fn e_contains_secret(error: Option<&str>) -> bool {
    error.is_some_and(|e| e.contains("smtp-s3cr3t"))
}

#[tokio::test]
async fn a_wrong_smtp_password_is_not_an_acknowledgement() {
    if !smtp::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("auth.sqlite").display());
    let db = Database::connect(&url).await.unwrap();
    crate::delivery::seed(&db).await;
    let port = smtp::free_port();
    let sink = SmtpSink::start(port, &dir.path().join("mail"), Some(("oracle", "other")));
    let config = config(port);
    let mut rules = Rules::start(&db, &config).await.unwrap();
    sla_alerts::service::tick(&db, &config, &reqwest::Client::new(), &mut rules)
        .await
        .unwrap();
    assert!(sink.messages().is_empty());
    let outbox = db.alerts().all(50).await.unwrap();
    assert_eq!(outbox.len(), 6);
    for a in &outbox {
        assert!(a.delivered_at_ms.is_none());
        let error = a.last_error.as_deref().unwrap();
        assert!(error.starts_with("smtp:"), "{error}");
        assert!(!error.contains("smtp-s3cr3t"), "{error}");
    }
    db.close().await;
}
