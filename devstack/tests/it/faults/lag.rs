//! Catalogue 21: the RPC node the oracle talks to lags (it reports an old head): no result is
//! submitted for an epoch that node does not consider closed, even though the oracle's clock,
//! its roll-ups and the real chain are all past the epoch's end. When the node catches up the
//! results land once.
//!
//! The node is a JSON-RPC proxy in front of anvil that, while frozen, answers "latest block" and
//! "block number" with the block it froze at and forwards everything else.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sla_storage::RollupStatus;

use super::support::*;
use crate::eventually;

#[derive(Debug)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    frozen: Mutex<Option<Value>>,
}

async fn forward(State(proxy): State<Arc<Proxy>>, body: Bytes) -> Response {
    if let Ok(request) = serde_json::from_slice::<Value>(&body) {
        let frozen = proxy.frozen.lock().unwrap().clone();
        if let Some(block) = frozen {
            let latest = request["params"][0].as_str() == Some("latest");
            let result = match request["method"].as_str() {
                Some("eth_getBlockByNumber") if latest => Some(block.clone()),
                Some("eth_blockNumber") => Some(block["number"].clone()),
                _ => None,
            };
            if let Some(result) = result {
                return axum::Json(
                    json!({"jsonrpc": "2.0", "id": request["id"], "result": result}),
                )
                .into_response();
            }
        }
    }
    match proxy
        .http
        .post(&proxy.upstream)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(r) => (
            [("content-type", "application/json")],
            r.bytes().await.unwrap_or_default(),
        )
            .into_response(),
        Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

impl Proxy {
    async fn start(upstream: &str) -> (Arc<Proxy>, String) {
        let proxy = Arc::new(Proxy {
            upstream: upstream.to_string(),
            http: reqwest::Client::new(),
            frozen: Mutex::new(None),
        });
        let app = axum::Router::new()
            .route("/", axum::routing::post(forward))
            .with_state(proxy.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (proxy, url)
    }

    /// From now on the node reports the current latest block as its head.
    async fn freeze(&self) -> Value {
        let response: Value = self
            .http
            .post(&self.upstream)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["latest", false]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let block = response["result"].clone();
        *self.frozen.lock().unwrap() = Some(block.clone());
        block
    }

    fn unfreeze(&self) {
        *self.frozen.lock().unwrap() = None;
    }
}

fn hex_u64(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_node_gets_no_submission_for_an_epoch_it_does_not_consider_closed() {
    let mut h = Harness::start(Options::default()).await;
    let (proxy, url) = Proxy::start(&h.stack.rpc_url).await;
    h.oracle_rpc_url = url;
    h.spawn_oracle(OracleRun::default());
    h.start_reporters();

    // The node stops moving just before epoch E ends.
    let d = h.stack.deployment.clone();
    let mut e = h.first_epoch;
    while d.epoch_end(e) * 1000 < sla_runtime::now_ms() + 1_500 {
        e += 1;
    }
    sleep_until_ms(d.epoch_end(e) * 1000 - 1_000).await;
    let head = proxy.freeze().await;
    assert!(
        hex_u64(&head["timestamp"]) < d.epoch_end(e),
        "froze before the end"
    );

    // The oracle's own clock closes E, the aggregator finalizes it, the real chain is past it...
    eventually!(h, 30, format!("epoch {e}'s roll-ups final"), {
        let rollups = h.rollups().await;
        let of_e: Vec<_> = rollups.iter().filter(|r| r.epoch == e).collect();
        (of_e.len() == 2 && of_e.iter().all(|r| r.status == RollupStatus::Final)).then_some(())
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        h.head().await.1 >= d.epoch_end(e),
        "the real chain closed E"
    );
    // ... but nothing is planned for it while the node says it is still running.
    let planned: Vec<_> = h.txs().await.into_iter().filter(|t| t.epoch >= e).collect();
    assert!(
        planned.is_empty(),
        "planned for an epoch the node has not closed: {planned:#?}"
    );
    assert_eq!(h.applications_of(e).await, vec![0, 0]);

    proxy.unfreeze();
    h.wait_applied_once(e, 40).await;
    h.settle(60).await;
    h.assert_end_state(&[]).await;
}
