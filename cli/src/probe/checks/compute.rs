//! `[[checks.compute]]`: a compute job with a known answer, timed — `iterations` chained SHA-256
//! of a 32-byte seed (`digest = SHA-256ⁿ(seed)`), which cannot be shortcut or parallelised, so
//! its time is the time of real work.
//!
//! - **Local** (no `url`): the job runs on the agent's host, on a blocking thread (it must not
//!   stall the agent's other tasks). The seed is fixed per check and the answer is computed once,
//!   untimed, on the first round; every round must reproduce it (a faulty CPU or memory would not).
//! - **Remote** (`url`): `POST url` with `{"seed": "<64 hex>", "iterations": N}`; the endpoint
//!   answers `200` with `{"digest": "<64 hex>"}`. The seed is fresh and random every round, so an
//!   answer cannot be cached; the agent computes the expected digest itself meanwhile.
//!
//! Records: one `probe` (latency = the job's time; success iff the digest is right) and, when an
//! answer arrived, the gauge `compute.<name>.duration_us`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sla_protocol::{Operation, QosRecord};
use tokio::sync::OnceCell;

use super::config::ComputeConfig;
use super::{
    gauge, measured, short_hex, timed_out, transport_failure, ERR_BAD_ANSWER, ERR_HTTP_STATUS,
    ERR_MISMATCH,
};

type Digest32 = [u8; 32];
type Failure = (u16, String);

/// The job: SHA-256 applied `iterations` times, starting from `seed`.
pub fn chain_digest(seed: &Digest32, iterations: u64) -> Digest32 {
    let mut digest = *seed;
    for _ in 0..iterations {
        digest = Sha256::digest(digest).into();
    }
    digest
}

/// One configured compute check.
#[derive(Debug)]
pub struct Compute {
    http: reqwest::Client,
    name: String,
    iterations: u64,
    url: Option<String>,
    timeout: Duration,
    /// Local only: the fixed seed's answer, computed on the first round.
    known: OnceCell<Digest32>,
}

impl Compute {
    /// The check of `config` (validated).
    pub fn new(config: &ComputeConfig, http: reqwest::Client) -> Compute {
        Compute {
            http,
            name: config.name.clone(),
            iterations: config.iterations,
            url: config.url.clone(),
            timeout: config.timeout.0,
            known: OnceCell::new(),
        }
    }

    /// One job; never fails.
    pub async fn run(&self, ts: u64) -> Vec<QosRecord> {
        let (duration, answered, failure) = match &self.url {
            Some(url) => self.remote(url).await,
            None => self.local().await,
        };
        let mut records = vec![measured(ts, Operation::Probe, duration, 0, 0, failure)];
        if answered {
            records.push(gauge(
                ts,
                format!("compute.{}.duration_us", self.name),
                i64::from(super::micros(duration)),
            ));
        }
        records
    }

    /// The job on this host: (its time, whether it finished, the failure if any).
    async fn local(&self) -> (Duration, bool, Option<Failure>) {
        // The seed is derived from the name: fixed, so the answer is known after one run.
        let seed: Digest32 = Sha256::digest(format!("sla-probe compute {}", self.name)).into();
        let n = self.iterations;
        let known = self
            .known
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || chain_digest(&seed, n)).await
            })
            .await;
        let known = match known {
            Ok(k) => *k,
            Err(e) => return (Duration::ZERO, false, Some(job_failed(&e))),
        };
        let job = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let digest = chain_digest(&seed, n);
            (digest, started.elapsed())
        });
        match tokio::time::timeout(self.timeout, job).await {
            // The thread cannot be stopped; it ends on its own (iterations are bounded).
            Err(_) => (self.timeout, false, Some(timed_out(self.timeout))),
            Ok(Err(e)) => (Duration::ZERO, false, Some(job_failed(&e))),
            Ok(Ok((digest, took))) => (took, true, compare(&digest, &known)),
        }
    }

    /// The job at the compute endpoint: (request to answer, whether it answered, the failure).
    async fn remote(&self, url: &str) -> (Duration, bool, Option<Failure>) {
        let seed: Digest32 = rand::random();
        let n = self.iterations;
        // The expected answer is computed here while the endpoint works on it.
        let expected = tokio::task::spawn_blocking(move || chain_digest(&seed, n));
        let started = Instant::now();
        let answer = tokio::time::timeout(self.timeout, self.ask(url, &seed))
            .await
            .unwrap_or_else(|_| Err(timed_out(self.timeout)));
        let took = started.elapsed();
        let answer = match answer {
            Ok(answer) => answer,
            Err(failure) => return (took, false, Some(failure)),
        };
        let failure = match (parse_digest(&answer), expected.await) {
            (Err(failure), _) => Some(failure),
            (_, Err(e)) => Some(job_failed(&e)),
            (Ok(got), Ok(expected)) => compare(&got, &expected),
        };
        (took, true, failure)
    }

    /// The request; the answer's JSON once it arrived complete with a 2xx status.
    async fn ask(&self, url: &str, seed: &Digest32) -> Result<Vec<u8>, Failure> {
        let response = self
            .http
            .post(url)
            .json(&json!({ "seed": hex::encode(seed), "iterations": self.iterations }))
            .send()
            .await
            .map_err(|e| transport_failure(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err((ERR_HTTP_STATUS, format!("HTTP {status}")));
        }
        let body = response.bytes().await.map_err(|e| transport_failure(&e))?;
        Ok(body.to_vec())
    }
}

/// `{"digest": "<64 hex>"}`.
fn parse_digest(body: &[u8]) -> Result<Digest32, Failure> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| (ERR_BAD_ANSWER, format!("bad answer: not JSON ({e})")))?;
    let mut digest = [0u8; 32];
    value["digest"]
        .as_str()
        .and_then(|h| hex::decode_to_slice(h, &mut digest).ok())
        .ok_or_else(|| {
            (
                ERR_BAD_ANSWER,
                "bad answer: no \"digest\" of 64 hex digits".to_owned(),
            )
        })?;
    Ok(digest)
}

fn compare(got: &Digest32, expected: &Digest32) -> Option<Failure> {
    (got != expected).then(|| {
        (
            ERR_MISMATCH,
            format!(
                "wrong digest: got {}…, expected {}…",
                short_hex(got),
                short_hex(expected)
            ),
        )
    })
}

fn job_failed(e: &tokio::task::JoinError) -> Failure {
    (ERR_BAD_ANSWER, format!("job failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_is_repeated_sha256() {
        let seed = [7u8; 32];
        assert_eq!(chain_digest(&seed, 0), seed);
        let once: Digest32 = Sha256::digest(seed).into();
        assert_eq!(chain_digest(&seed, 1), once);
        assert_eq!(
            chain_digest(&seed, 2),
            <Digest32>::from(Sha256::digest(once))
        );
    }
}
