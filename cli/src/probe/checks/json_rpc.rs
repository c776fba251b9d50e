//! `[[checks.json_rpc]]`: one JSON-RPC 2.0 call to the node under test and, for
//! `eth_blockNumber` with a `reference`, the node's height against a reference node asked at the
//! same moment — a node that answers fast but is behind serves stale data (the idea of Lava's
//! sync score and Forta's data quality checks).
//!
//! Records: one `read` (latency = the node's answer time; success iff HTTP 200, a JSON-RPC 2.0
//! answer with `result` and no `error`, and the lag within `max_lag_blocks`); for
//! `eth_blockNumber` the gauges `rpc.<name>.height_blocks` and, with a reference,
//! `rpc.<name>.reference_blocks` and `rpc.<name>.lag_blocks` (reference − node, negative when the
//! node is ahead). A reference that fails is recorded as a failed `rpc.<name>.reference_blocks`
//! and never counts against the node, which is then judged on its own answer.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sla_protocol::{Operation, QosRecord};

use super::config::JsonRpcConfig;
use super::{
    gauge, gauge_failed, measured, timed_out, transport_failure, ERR_BAD_ANSWER, ERR_HTTP_STATUS,
    ERR_LAG, ERR_RPC_ERROR,
};

/// The method whose result is a height that can be compared with a reference.
const BLOCK_NUMBER: &str = "eth_blockNumber";
/// Largest answer read: a height or a typical call is tiny; this only bounds a broken node.
const MAX_ANSWER_BYTES: usize = 4 << 20;

/// One configured JSON-RPC check.
#[derive(Debug)]
pub struct JsonRpc {
    http: reqwest::Client,
    name: String,
    url: String,
    reference: Option<String>,
    request: Value,
    is_height: bool,
    max_lag: u64,
    timeout: Duration,
}

type Failure = (u16, String);

impl JsonRpc {
    /// The check of `config` (validated).
    pub fn new(config: &JsonRpcConfig, http: reqwest::Client) -> JsonRpc {
        JsonRpc {
            http,
            name: config.name.clone(),
            url: config.url.clone(),
            reference: config.reference.clone(),
            request: json!({
                "jsonrpc": "2.0",
                "id": 1,
                "method": config.method,
                "params": config.params,
            }),
            is_height: config.method == BLOCK_NUMBER,
            max_lag: config.max_lag_blocks,
            timeout: config.timeout.0,
        }
    }

    /// One call to the node (and the reference, concurrently); never fails.
    pub async fn run(&self, ts: u64) -> Vec<QosRecord> {
        let started = Instant::now();
        let node = async {
            let answer = self.call(&self.url).await;
            (answer, started.elapsed())
        };
        let reference = async {
            match &self.reference {
                Some(url) => Some(self.call(url).await.and_then(|v| height(&v))),
                None => None,
            }
        };
        let ((answer, latency), reference) = tokio::join!(node, reference);

        let mut records = Vec::new();
        let reference_name = format!("rpc.{}.reference_blocks", self.name);
        let reference = match reference {
            Some(Ok(h)) => {
                records.push(gauge(ts, reference_name, clamp(h)));
                Some(h)
            }
            Some(Err((code, detail))) => {
                records.push(gauge_failed(ts, reference_name, code, &detail));
                None
            }
            None => None,
        };
        let failure = match answer {
            Err(failure) => Some(failure),
            Ok(_) if !self.is_height => None,
            Ok(result) => match height(&result) {
                Err(failure) => Some(failure),
                Ok(h) => {
                    records.push(gauge(
                        ts,
                        format!("rpc.{}.height_blocks", self.name),
                        clamp(h),
                    ));
                    reference.and_then(|r| self.judge_lag(ts, h, r, &mut records))
                }
            },
        };
        records.insert(0, measured(ts, Operation::Read, latency, 0, 0, failure));
        records
    }

    /// Records the lag gauge; a failure when the node is too far behind.
    fn judge_lag(
        &self,
        ts: u64,
        node: u64,
        reference: u64,
        records: &mut Vec<QosRecord>,
    ) -> Option<Failure> {
        let lag = i128::from(reference) - i128::from(node);
        let lag_value = lag.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        records.push(gauge(
            ts,
            format!("rpc.{}.lag_blocks", self.name),
            lag_value,
        ));
        (lag > i128::from(self.max_lag)).then(|| {
            (
                ERR_LAG,
                format!(
                    "lag: node at block {node}, reference at {reference}: {lag} blocks behind, at most {} allowed",
                    self.max_lag
                ),
            )
        })
    }

    /// Posts the request to `url`: the `result` of a valid answer, else why not.
    async fn call(&self, url: &str) -> Result<Value, Failure> {
        let exchange = async {
            let response = self
                .http
                .post(url)
                .json(&self.request)
                .send()
                .await
                .map_err(|e| transport_failure(&e))?;
            let status = response.status();
            if status != reqwest::StatusCode::OK {
                return Err((ERR_HTTP_STATUS, format!("HTTP {status}")));
            }
            let body = read_bounded(response).await?;
            parse_answer(&body)
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(timed_out(self.timeout)))
    }
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_failure(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return Err((
                ERR_BAD_ANSWER,
                format!("bad answer: longer than {MAX_ANSWER_BYTES} bytes"),
            ));
        }
    }
    Ok(body)
}

/// The `result` of a JSON-RPC 2.0 answer to request id 1.
fn parse_answer(body: &[u8]) -> Result<Value, Failure> {
    let bad = |why: String| (ERR_BAD_ANSWER, format!("bad answer: {why}"));
    let answer: Value = serde_json::from_slice(body).map_err(|e| bad(format!("not JSON ({e})")))?;
    if answer["jsonrpc"] != "2.0" || answer["id"] != 1 {
        return Err(bad("not a JSON-RPC 2.0 answer to request id 1".into()));
    }
    if let Some(error) = answer.get("error") {
        return Err((
            ERR_RPC_ERROR,
            format!("rpc error {}: {}", error["code"], error["message"]),
        ));
    }
    answer
        .get("result")
        .cloned()
        .ok_or_else(|| bad("no result".into()))
}

/// A block number: a hex quantity (`"0x1b4"`).
fn height(result: &Value) -> Result<u64, Failure> {
    result
        .as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .filter(|digits| !digits.is_empty())
        .and_then(|digits| u64::from_str_radix(digits, 16).ok())
        .ok_or_else(|| {
            let mut shown = result.to_string();
            shown.truncate(80);
            (
                ERR_BAD_ANSWER,
                format!("bad answer: result {shown} is not a block number"),
            )
        })
}

fn clamp(height: u64) -> i64 {
    i64::try_from(height).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_parsed_strictly() {
        let ok = parse_answer(br#"{"jsonrpc":"2.0","id":1,"result":"0x1b4"}"#).unwrap();
        assert_eq!(height(&ok).unwrap(), 436);
        let code = |body: &[u8]| parse_answer(body).unwrap_err().0;
        assert_eq!(code(b"<html>"), ERR_BAD_ANSWER);
        assert_eq!(
            code(br#"{"jsonrpc":"1.0","id":1,"result":1}"#),
            ERR_BAD_ANSWER
        );
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1}"#), ERR_BAD_ANSWER);
        let (c, detail) = parse_answer(
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no such method"}}"#,
        )
        .unwrap_err();
        assert_eq!(c, ERR_RPC_ERROR);
        assert!(detail.contains("-32601"), "{detail}");
        assert!(height(&json!("0x")).is_err());
        assert!(height(&json!(12)).is_err());
    }
}
