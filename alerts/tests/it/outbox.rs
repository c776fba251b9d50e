//! The outbox on both databases: a condition raised twice is one row per receiver; a failed
//! attempt is due again at its retry time, an acknowledged or expired one never again.

use sla_storage::NewAlert;

fn alert(receiver: &str, key: &str) -> NewAlert {
    NewAlert {
        receiver: receiver.into(),
        alert_key: key.into(),
        rule: "penalty".into(),
        severity: "critical".into(),
        body: format!(r#"{{"alert_key":"{key}"}}"#),
        data_unit: Some(1),
    }
}

#[tokio::test]
async fn each_alert_is_written_once_and_leaves_only_when_acknowledged_or_expired() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "outbox.sqlite")
        .await
        .unwrap()
    {
        let db = sla_storage::Database::connect(&url).await.unwrap();
        let outbox = db.alerts();
        let batch = [
            alert("a", "penalty:1:5"),
            alert("b", "penalty:1:5"),
            alert("a", "penalty:2:5"),
        ];
        assert_eq!(outbox.enqueue(&batch, 1_000).await.unwrap(), 3, "{url}");
        assert_eq!(
            outbox.enqueue(&batch, 2_000).await.unwrap(),
            0,
            "{url}: raised again"
        );
        let due = outbox.due(1_000, 10).await.unwrap();
        assert_eq!(due.len(), 3, "{url}");

        outbox
            .retry(due[0].id, 5_000, "answered 500\0")
            .await
            .unwrap();
        outbox.delivered(due[1].id, 1_500).await.unwrap();
        outbox
            .expire(due[2].id, 1_600, "unreachable")
            .await
            .unwrap();
        assert!(outbox.due(4_999, 10).await.unwrap().is_empty(), "{url}");
        let again = outbox.due(5_000, 10).await.unwrap();
        assert_eq!(again.len(), 1, "{url}");
        assert_eq!(again[0].attempts, 1);
        assert_eq!(again[0].last_error.as_deref(), Some("answered 500\u{fffd}"));
        let counts = outbox.counts().await.unwrap();
        assert_eq!(
            (counts.pending, counts.delivered, counts.expired),
            (1, 1, 1),
            "{url}"
        );
        db.close().await;
    }
}
