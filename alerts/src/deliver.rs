//! Delivery of one outbox alert to a generic JSON webhook, in the manner of GitHub and Stripe
//! webhooks: the body is signed with HMAC-SHA256 over `"{timestamp}.{body}"`, sent as
//! `X-SLA-Signature: t={unix seconds},v1={hex}` (a receiver refuses an old timestamp against
//! replay), with `Idempotency-Key: {alert key}` (a receiver that sees a key twice, after a crash
//! between its answer and our record of it, drops the second). Retries back off exponentially
//! with jitter.

use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::config::Receiver;

/// The signature header's value for `body` at `timestamp_s`.
pub fn signature(secret: &[u8], timestamp_s: u64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "t={timestamp_s},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// How long to wait after `attempts` failed attempts: 1 s doubled each time up to 5 min, plus up
/// to half again at random (so receivers coming back are not hit by every sender at once).
pub fn backoff(attempts: u32) -> Duration {
    let base = 1_000u64.saturating_mul(1 << attempts.min(9)).min(300_000);
    let jitter = rand::thread_rng().gen_range(0..=base / 2);
    Duration::from_millis(base + jitter)
}

/// Posts `body` to `receiver`; `Ok` when it answered 2xx, else why not.
pub async fn post(
    http: &reqwest::Client,
    receiver: &Receiver,
    alert_key: &str,
    body: &str,
    now_s: u64,
) -> Result<(), String> {
    let response = http
        .post(receiver.url.clone())
        .header("content-type", "application/json")
        .header("idempotency-key", alert_key)
        .header("x-sla-signature", signature(&receiver.secret, now_s, body))
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("unreachable: {}", e.without_url()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {status}"))
    }
}
