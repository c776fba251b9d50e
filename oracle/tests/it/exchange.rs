//! The report exchange between two nodes' databases over the real feed of a real ingest API (on
//! SQLite and PostgreSQL): reports posted to one node reach the other and roll up to the same
//! summaries; a peer that serves forged, broken or equivocating reports gets nothing stored and
//! every one of them counted against it; a malformed page moves nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::get;
use prometheus_client::registry::Registry;
use serde_json::{json, Value};
use sla_oracle::aggregator::Aggregator;
use sla_oracle::exchange::{ExchangeConfig, ExchangeMetrics, Peer, PeerPuller};
use sla_protocol::{sign_report, Role, VerifiedReport};

use crate::aggregator::fixture::*;
use crate::aggregator::summaries;

fn config(page: u32, hold_ms: u64) -> ExchangeConfig {
    ExchangeConfig {
        deployment: deployment(),
        poll: Duration::from_millis(50),
        page,
        max_page_bytes: 16 * 1024 * 1024,
        timeout: Duration::from_secs(5),
        hold_ms,
        max_future_skew_ms: 60_000,
        max_records_per_report: 10_000,
        arrival_allowance_ms: 30_000,
    }
}

#[tokio::test]
async fn reports_posted_to_one_node_reach_the_other_and_roll_up_the_same() {
    for backend in backends() {
        let (a, b) = (Fixture::new(&backend).await, Fixture::new(&backend).await);
        let reports = scenario_reports(3);
        a.ingest(&reports).await;
        let peer: Peer = format!("a={}", a.serve_api().await).parse().unwrap();
        let metrics = ExchangeMetrics::default();
        // Pages of 5: the puller follows `next` over several pages.
        let mut puller =
            PeerPuller::new(peer.clone(), config(5, 60_000), &b.storage, metrics.clone()).unwrap();
        let (mut stored, mut pulls) = (0, 0);
        loop {
            let stats = puller.pull_once(now_ms()).await.unwrap();
            stored += stats.stored;
            pulls += 1;
            assert_eq!(stats.rejected, 0, "{backend:?}");
            if !stats.more {
                break;
            }
        }
        assert_eq!(stored, reports.len() as u64, "{backend:?}");
        assert!(
            pulls >= reports.len().div_ceil(5),
            "{backend:?}: {pulls} pulls"
        );
        let counts = |fx: &Fixture| {
            let reports = fx.storage.reports();
            async move { reports.counts().await.unwrap() }
        };
        assert_eq!(counts(&a).await, counts(&b).await, "{backend:?}");
        let cursor = b.storage.peers().cursor("a").await.unwrap().unwrap();
        assert_eq!(
            cursor.after_id,
            a.storage.reports().last_id().await.unwrap(),
            "{backend:?}"
        );
        assert_eq!((cursor.stored, cursor.rejected), (reports.len() as u64, 0));
        // Dated when they first arrived (at A), within the allowance.
        let arrivals = |fx: &Fixture| {
            let reports = fx.storage.reports();
            async move {
                let mut all: Vec<_> = reports
                    .after(0, 1_000)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| (r.hash, r.received_at_ms))
                    .collect();
                all.sort();
                all
            }
        };
        assert_eq!(arrivals(&a).await, arrivals(&b).await, "{backend:?}");

        // Nothing new: the cursor stays, nothing is stored twice.
        let again = puller.pull_once(now_ms()).await.unwrap();
        assert_eq!((again.served, again.stored, again.more), (0, 0, false));

        // The same reports, so the same roll-ups, byte for byte.
        for fx in [&a, &b] {
            Aggregator::new(fx.stores(), fx.config())
                .run_once(now_ms())
                .await
                .unwrap();
        }
        let (sa, sb) = (summaries(&a.storage).await, summaries(&b.storage).await);
        assert_eq!(sa.len(), 3, "{backend:?}");
        assert_eq!(sa, sb, "{backend:?}");

        let mut registry = Registry::with_prefix("sla");
        metrics.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for line in [
            format!(
                "sla_exchange_reports_fetched_total{{peer=\"a\"}} {}",
                reports.len()
            ),
            "sla_exchange_peer_lag_reports{peer=\"a\"} 0".to_owned(),
            "sla_exchange_peer_held{peer=\"a\"} 0".to_owned(),
        ] {
            assert!(text.contains(&line), "{line} in\n{text}");
        }
    }
}

/// A peer under the test's control: serves the reports set in `page` past the `after` asked for
/// (by their ids, whatever those are).
async fn byzantine_peer(page: Arc<Mutex<Value>>) -> String {
    let app = axum::Router::new().route(
        "/v1/reports",
        get(
            move |axum::extract::Query(q): axum::extract::Query<HashMap<String, i64>>| {
                let page = page.clone();
                async move {
                    let mut page = page.lock().unwrap().clone();
                    let after = q.get("after").copied().unwrap_or(0);
                    let reports = page["reports"].as_array_mut().unwrap();
                    reports.retain(|r| r["id"].as_i64().unwrap() > after);
                    axum::Json(page)
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn served(id: i64, payload: &[u8], signature: &[u8]) -> Value {
    json!({
        "id": id,
        "payload": hex::encode(payload),
        "signature": hex::encode(signature),
        "received_at_ms": now_ms(),
    })
}

fn feed(reports: Vec<Value>, last_id: i64) -> Value {
    json!({ "reports": reports, "next": null, "last_id": last_id })
}

/// `report` about another data unit, signed by the same (registered) key.
fn for_unknown_data_unit(report: &VerifiedReport) -> VerifiedReport {
    let mut other = report.report.clone();
    other.data_unit = DATA_UNIT + 1_000;
    sign_report(&other, &key(other.role))
        .unwrap()
        .verify(&deployment())
        .unwrap()
}

#[tokio::test]
async fn a_peer_serving_bad_reports_gets_nothing_stored_and_each_counted_against_it() {
    for backend in backends() {
        let b = Fixture::new(&backend).await;
        let reports = scenario_reports(1);
        let (good, second) = (&reports[0], &reports[1]);
        assert_eq!(good.report.role, Role::Consumer);

        // The same key, data unit and sequence as `good`, other bytes.
        let mut twin = good.report.clone();
        twin.period_end_ms -= 1;
        let twin = sign_report(&twin, &key(Role::Consumer)).unwrap();
        let unknown = for_unknown_data_unit(second);

        // Report 1 claims to have arrived in 1970: it is dated the allowance back at most.
        let mut first = served(1, &good.signed.payload, &good.signed.signature);
        first["received_at_ms"] = json!(1);
        let page = Arc::new(Mutex::new(feed(
            vec![
                first,
                // Another report's signature.
                served(2, &good.signed.payload, &second.signed.signature),
                json!({ "id": 3, "payload": "not hex", "signature": "00", "received_at_ms": 0 }),
                served(4, &twin.payload, &twin.signature),
                served(5, &unknown.signed.payload, &unknown.signed.signature),
                served(6, &second.signed.payload, &second.signed.signature),
            ],
            6,
        )));
        let url = byzantine_peer(page.clone()).await;
        let peer: Peer = format!("evil={url}").parse().unwrap();
        let metrics = ExchangeMetrics::default();
        // A hold of 0: a report held back once is refused for good at the next pull.
        let mut puller =
            PeerPuller::new(peer.clone(), config(100, 0), &b.storage, metrics.clone()).unwrap();

        // First pull: the good report stored, three refused, the cursor stops before report 5
        // (its data unit may be one this node has not mirrored yet).
        let first = puller.pull_once(now_ms()).await.unwrap();
        assert_eq!((first.stored, first.rejected), (2, 3), "{backend:?}");
        let cursor = b.storage.peers().cursor("evil").await.unwrap().unwrap();
        assert_eq!(cursor.after_id, 4, "{backend:?}");

        // Second pull: report 5 held too long, refused for good; 6 was stored by the first pull.
        let second_pull = puller.pull_once(now_ms()).await.unwrap();
        assert_eq!((second_pull.stored, second_pull.rejected), (0, 1));
        let cursor = b.storage.peers().cursor("evil").await.unwrap().unwrap();
        assert_eq!((cursor.after_id, cursor.stored, cursor.rejected), (6, 2, 4));

        // Only the two valid reports are stored; the twin is kept as equivocation evidence.
        let stored = b.storage.reports().counts().await.unwrap();
        assert_eq!(
            (stored.reports, stored.equivocations),
            (2, 1),
            "{backend:?}"
        );
        let stored_good = b
            .storage
            .reports()
            .by_hash(&good.hash)
            .await
            .unwrap()
            .unwrap();
        assert!(
            stored_good.received_at_ms + 35_000 >= now_ms(),
            "{stored_good:?}"
        );

        let mut registry = Registry::with_prefix("sla");
        metrics.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for reason in [
            "bad-signature",
            "encoding",
            "equivocation",
            "data-unit-unknown",
        ] {
            let line = format!(
                "sla_exchange_reports_rejected_total{{peer=\"evil\",reason=\"{reason}\"}} 1"
            );
            assert!(text.contains(&line), "{line} in\n{text}");
        }

        // A page whose ids do not increase moves nothing.
        *page.lock().unwrap() = feed(
            vec![
                served(8, &good.signed.payload, &good.signed.signature),
                served(7, &good.signed.payload, &good.signed.signature),
            ],
            8,
        );
        let err = puller.pull_once(now_ms()).await.unwrap_err();
        assert!(
            err.to_string().contains("report id 7 does not follow 8"),
            "{err}"
        );
        let cursor = b.storage.peers().cursor("evil").await.unwrap().unwrap();
        assert_eq!(cursor.after_id, 6);
    }
}

#[tokio::test]
async fn an_unreachable_peer_fails_the_pull_and_moves_nothing() {
    let b = Fixture::new(&backends()[0]).await;
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let peer: Peer = format!("gone={url}").parse().unwrap();
    let mut puller = PeerPuller::new(
        peer.clone(),
        config(10, 0),
        &b.storage,
        ExchangeMetrics::default(),
    )
    .unwrap();
    let err = puller.pull_once(now_ms()).await.unwrap_err();
    assert!(err.to_string().contains("unreachable"), "{err}");
    assert_eq!(b.storage.peers().cursor("gone").await.unwrap(), None);
}

/// With a settle time the verdicts wait past the close, and the reports that count are those
/// dated by the close, however late they were stored: a report another node had before the close
/// counts, one that arrived after it does not.
#[tokio::test]
async fn reports_dated_before_the_close_count_when_they_arrive_within_the_settle_time() {
    for backend in backends() {
        let fx = Fixture::new(&backend).await;
        let epoch = fx.epoch_ended_hours_ago(2);
        let config = fx.config_with_grace(5_000);
        let close = (epoch + 1) * u64::from(EPOCH_LEN_S) * 1000 + config.grace_ms;
        let reports = failing_reports(Role::Consumer, epoch, 1, 2);
        let clock = sla_storage::testing::clock_now();
        let outcomes = fx
            .storage
            .reports()
            .ingest_arrived(
                &reports,
                &[close - 1, close + 1],
                clock,
                sla_protocol::acceptance::plan_batch,
            )
            .await
            .unwrap();
        assert!(outcomes
            .iter()
            .all(|o| matches!(o, Ok(sla_protocol::acceptance::Outcome::Accepted(_)))));

        let settle = 10_000;
        let mut aggregator = Aggregator::new(fx.stores(), config).with_settle(settle);
        let early = aggregator.run_once(close + settle - 1_000).await.unwrap();
        assert_eq!(early.epochs_finalized, 0, "{backend:?}: {early:?}");
        let done = aggregator.run_once(close + settle).await.unwrap();
        assert_eq!(done.epochs_finalized, 1, "{backend:?}: {done:?}");
        let rollup = fx
            .storage
            .rollups()
            .get(DATA_UNIT, epoch)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rollup.report_count, 1, "{backend:?}");
        assert_eq!(
            early.reports_not_counted, 1,
            "{backend:?}: the one dated after the close"
        );
    }
}
