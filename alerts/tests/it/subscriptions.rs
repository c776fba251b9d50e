//! Subscriptions reach the alerting process: two webhook subscriptions stored through the store
//! (as the ingest API's signed route stores them) and none in the configuration file. The real
//! loop (`service::run`) delivers each penalty to both local receivers, signed with each
//! subscription's own secret; a subscription for another data unit gets nothing; after one is
//! deleted, a new penalty reaches the other only. A subscription whose host name resolves to a
//! private address is not delivered to unless the operator allows private targets. On SQLite
//! always and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set.

use std::time::{Duration, Instant};

use alloy_primitives::Address;
use sla_alerts::service::{self, Timing};
use sla_alerts::AlertsConfig;
use sla_protocol::aggregate::SlaTerms;
use sla_protocol::parties::{Allocation, AllocationStatus};
use sla_storage::mirror::{ChainOrigin, MirroredPenalty};
use sla_storage::subscriptions::{ChannelKind, Filters, NewSubscription, SignedRequest};
use sla_storage::Database;

use crate::receiver::Receiver;

const PROVIDER: Address = Address::repeat_byte(0xb1);
const CONSUMER: Address = Address::repeat_byte(0xc1);
const OWNER: Address = Address::repeat_byte(0xd1);

async fn seed(db: &Database) {
    let mut w = db.mirror().begin_write().await.unwrap();
    w.upsert_current_allocation(&Allocation {
        data_unit: 1,
        consumer: CONSUMER,
        provider: PROVIDER,
        status: AllocationStatus::Active,
        terms_hash: [1; 32],
        terms: SlaTerms::reporting_only(60),
        active_from_ms: 0,
        closed_at_ms: None,
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
    penalty(db, 1).await;
}

/// The real loop, until the returned sender is used.
fn run(
    db: &Database,
    allow_private: bool,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let mut config = AlertsConfig::parse(r#"{"receivers": []}"#, |_| None).unwrap();
    config.subscriptions_allow_private_targets = allow_private;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let timing = Timing {
        tick: Duration::from_millis(100),
        request_timeout: Duration::from_secs(2),
    };
    let running = tokio::spawn(service::run(db.clone(), config, timing, async {
        let _ = stopped.await;
    }));
    (stop, running)
}

async fn penalty(db: &Database, epoch: u64) {
    let mut w = db.mirror().begin_write().await.unwrap();
    w.insert_penalty(&MirroredPenalty {
        data_unit: 1,
        epoch,
        provider: PROVIDER,
        consumer: CONSUMER,
        amount: 1_000,
        from_bonded: 1_000,
        from_unbonding: 0,
        origin: ChainOrigin {
            block_number: 10 + epoch,
            log_index: Some(1),
            tx_hash: Some([epoch as u8; 32]),
        },
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
}

async fn subscribe(db: &Database, nonce: &str, url: &str, secret: &str, unit: u64) -> i64 {
    let request = SignedRequest {
        owner: OWNER,
        nonce: nonce.into(),
        message_hash: [0; 32],
        now_ms: sla_runtime::now_ms(),
    };
    let sub = NewSubscription {
        owner: OWNER,
        channel: ChannelKind::Webhook,
        target: Some(url.into()),
        secret: secret.into(),
        filters: Filters {
            rules: vec!["penalty".into()],
            providers: None,
            data_units: Some(vec![unit]),
        },
    };
    db.subscriptions()
        .subscribe(&request, &sub, 20, 100)
        .await
        .unwrap()
        .unwrap()
}

fn keys(r: &Receiver) -> Vec<String> {
    r.seen(|s| s.acknowledged.iter().map(|(k, _)| k.clone()).collect())
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn subscribed_webhooks_get_their_alerts_signed_with_their_secret_until_deleted() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "subs.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        seed(&db).await;

        let (a, b, other) = (
            Receiver::start("secret-of-a-0123456789", 0).await,
            Receiver::start("secret-of-b-0123456789", 0).await,
            Receiver::start("secret-of-other-0123456", 0).await,
        );
        let sub_a = subscribe(&db, "nonce-a-1", &a.url, "secret-of-a-0123456789", 1).await;
        subscribe(&db, "nonce-b-1", &b.url, "secret-of-b-0123456789", 1).await;
        subscribe(&db, "nonce-o-1", &other.url, "secret-of-other-0123456", 2).await;

        let (stop, running) = run(&db, false);

        wait_for("both subscribers get penalty 1", || {
            keys(&a) == ["penalty:1:1"] && keys(&b) == ["penalty:1:1"]
        })
        .await;
        // Each receiver checks the signature with its own secret: none failed.
        for r in [&a, &b] {
            assert_eq!(r.seen(|s| s.bad_signatures), 0, "{url}");
        }

        // Deleted, then (past the reload) a new penalty: only the other subscription gets it.
        let request = SignedRequest {
            owner: OWNER,
            nonce: "nonce-a-2".into(),
            message_hash: [0; 32],
            now_ms: sla_runtime::now_ms(),
        };
        db.subscriptions()
            .unsubscribe(&request, sub_a)
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(sla_alerts::subscribed::RELOAD + Duration::from_millis(300)).await;
        penalty(&db, 2).await;
        wait_for("the remaining subscriber gets penalty 2", || {
            keys(&b) == ["penalty:1:1", "penalty:1:2"]
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            keys(&a),
            ["penalty:1:1"],
            "{url}: nothing new after deletion"
        );
        assert!(
            keys(&other).is_empty(),
            "{url}: another data unit's subscriber"
        );
        let outbox = db.alerts().all(100).await.unwrap();
        assert!(
            !outbox
                .iter()
                .any(|o| o.receiver == format!("sub-{sub_a}") && o.alert_key == "penalty:1:2"),
            "{url}: no outbox row for the deleted subscription"
        );

        let _ = stop.send(());
        running.await.unwrap().unwrap();
        db.close().await;
    }
}

#[tokio::test]
async fn a_subscribed_name_that_resolves_to_a_private_address_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "rebound.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        seed(&db).await;
        // As if the name resolved to a public address when it was subscribed and was rebound
        // to loopback since.
        let rebound = Receiver::start("secret-of-rebound-0123", 0).await;
        let by_name = rebound.url.replace("127.0.0.1", "localhost");
        let id = subscribe(&db, "nonce-r-1", &by_name, "secret-of-rebound-0123", 1).await;
        let control = Receiver::start("secret-of-control-0123", 0).await;
        subscribe(&db, "nonce-c-1", &control.url, "secret-of-control-0123", 1).await;

        let (stop, running) = run(&db, false);
        wait_for("the control subscriber gets penalty 1", || {
            keys(&control) == ["penalty:1:1"]
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            keys(&rebound).is_empty(),
            "{url}: nothing to a private address"
        );
        let outbox = db.alerts().all(100).await.unwrap();
        let row = outbox
            .iter()
            .find(|o| o.receiver == format!("sub-{id}"))
            .expect("written to the outbox");
        assert!(
            row.attempts >= 1 && row.delivered_at_ms.is_none(),
            "{url}: {row:?}"
        );
        assert!(
            row.last_error
                .as_deref()
                .unwrap_or("")
                .contains("unreachable"),
            "{url}: {row:?}"
        );
        let _ = stop.send(());
        running.await.unwrap().unwrap();

        // The operator allows private targets: the retry reaches it.
        let (stop, running) = run(&db, true);
        wait_for("the rebound subscriber gets penalty 1 once allowed", || {
            keys(&rebound) == ["penalty:1:1"]
        })
        .await;
        assert_eq!(rebound.seen(|s| s.bad_signatures), 0);
        let _ = stop.send(());
        running.await.unwrap().unwrap();
        db.close().await;
    }
}
