//! The `late` rule on both databases: a reporter silent past its interval plus the margin raises
//! a warning, one silent for 23 h a critical alert before its gap reaches 24 h, and one that
//! reports again a `resolved` message; one process raises one silence once, and a restarted one
//! raises it again under the same keys (which the outbox keeps once).

use ed25519_dalek::SigningKey;
use sla_alerts::rules::Rules;
use sla_alerts::AlertsConfig;
use sla_storage::testing::{clock_now, ingest, ReportChains, CONSUMER, DEPLOYMENT};
use sla_storage::Database;

const HOUR_MS: u64 = 3_600_000;

fn keys(alerts: &[sla_alerts::alert::Alert]) -> Vec<(String, &str, &str)> {
    let mut k: Vec<_> = alerts
        .iter()
        .filter(|a| a.rule == "late")
        .map(|a| (a.alert_key.clone(), a.severity.as_str(), a.status.as_str()))
        .collect();
    k.sort();
    k
}

/// One look of the rules, taken as written (the cursors move).
async fn look(rules: &mut Rules, db: &Database) -> Vec<sla_alerts::alert::Alert> {
    let config = AlertsConfig::parse(r#"{"receivers":[]}"#, |_| None).unwrap();
    let look = rules
        .look(db, &config, &reqwest::Client::new(), sla_runtime::now_ms())
        .await
        .unwrap();
    rules.commit(&look);
    look.alerts
}

async fn rules_of(db: &Database) -> Rules {
    let config = AlertsConfig::parse(r#"{"receivers":[]}"#, |_| None).unwrap();
    Rules::start(db, &config).await.unwrap()
}

#[tokio::test]
async fn a_silent_reporter_is_late_then_critical_then_resolved() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "late.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        // Data unit 1, active since the Unix epoch, a report an hour promised; its consumer's
        // one report ended 3 h ago, its provider never reported.
        let now = sla_runtime::now_ms();
        let start = (now - 3 * HOUR_MS) / 60_000 * 60_000;
        let mut chains =
            ReportChains::new(DEPLOYMENT, vec![SigningKey::from_bytes(&[7; 32])], start, 1);
        chains.seed(&db, CONSUMER).await.unwrap();
        ingest(&db, &chains.next_round(), clock_now())
            .await
            .unwrap();

        let mut rules = rules_of(&db).await;
        let first = look(&mut rules, &db).await;
        assert_eq!(
            keys(&first),
            vec![
                ("late-24h:1:provider:0".to_owned(), "critical", "firing"),
                ("late:1:consumer:1".to_owned(), "warning", "firing"),
                ("late:1:provider:0".to_owned(), "warning", "firing"),
            ],
            "{url}"
        );
        let consumer = first
            .iter()
            .find(|a| a.alert_key == "late:1:consumer:1")
            .unwrap();
        assert!(
            consumer
                .summary
                .starts_with("the consumer of data unit 1 has not reported for 2 h"),
            "{}",
            consumer.summary
        );

        // The consumer catches up to two minutes ago.
        for _ in 2..=178 {
            ingest(&db, &chains.next_round(), clock_now())
                .await
                .unwrap();
        }
        let second = look(&mut rules, &db).await;
        assert_eq!(
            keys(&second),
            vec![(
                "late-resolved:1:consumer:178".to_owned(),
                "info",
                "resolved"
            )],
            "{url}: the provider's silence was raised already; the consumer's is resolved"
        );
        // A process that starts afresh raises the provider's silence again under the same keys
        // (the outbox keeps the first), and knows nothing of the consumer's resolved one.
        let restarted = look(&mut rules_of(&db).await, &db).await;
        assert_eq!(
            keys(&restarted),
            vec![
                ("late-24h:1:provider:0".to_owned(), "critical", "firing"),
                ("late:1:provider:0".to_owned(), "warning", "firing"),
            ],
            "{url}"
        );
        let third = look(&mut rules, &db).await;
        assert!(
            !keys(&third).iter().any(|(k, _, _)| k.contains("consumer")),
            "{url}: resolved once"
        );
        db.close().await;
    }
}
