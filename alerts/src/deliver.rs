//! Delivery of one outbox alert. To a generic JSON webhook, in the manner of GitHub and Stripe
//! webhooks: the body is signed with HMAC-SHA256 over `"{timestamp}.{body}"`, sent as
//! `X-SLA-Signature: t={unix seconds},v1={hex}` (a receiver refuses an old timestamp against
//! replay), with `Idempotency-Key: {alert key}` (a receiver that sees a key twice, after a crash
//! between its answer and our record of it, drops the second). To Slack, Discord and Telegram, as
//! a message in words (their APIs take no idempotency key: at least once). Retries back off
//! exponentially with jitter.

use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use serde_json::{json, Value};

use crate::config::{Channel, Receiver};

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

/// The alert as a chat message: severity and summary, each detail on its line, the link.
pub fn message(body: &str) -> String {
    let alert: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text = |k: &str| alert[k].as_str().unwrap_or("").to_owned();
    let mut out = format!("[{}] {}", text("severity"), text("summary"));
    for d in alert["details"].as_array().into_iter().flatten() {
        out.push_str("\n• ");
        out.push_str(d.as_str().unwrap_or(""));
    }
    if let Some(tx) = alert["tx_hash"].as_str() {
        out.push_str(&format!("\ntransaction {tx}"));
    }
    let link = text("link");
    if !link.is_empty() {
        out.push_str(&format!("\n{link}"));
    }
    out
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup: escaped as its documentation asks.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Posts `body` (the alert's JSON) to `receiver`; `Ok` when it acknowledged it, else why not.
pub async fn post(
    http: &reqwest::Client,
    receiver: &Receiver,
    alert_key: &str,
    body: &str,
    now_s: u64,
) -> Result<(), String> {
    let request = match &receiver.channel {
        Channel::Email(email) => {
            // A scheduled report is an HTML report with its CSV attached; an alert is a letter.
            let letter =
                crate::reports::letter(body).unwrap_or_else(|| crate::email::alert_letter(body));
            return crate::email::send(email, alert_key, letter).await;
        }
        Channel::Webhook { url, secret } => http
            .post(url.clone())
            .header("content-type", "application/json")
            .header("idempotency-key", alert_key)
            .header("x-sla-signature", signature(secret, now_s, body))
            .body(body.to_owned()),
        Channel::Slack { url } => http
            .post(url.clone())
            .json(&json!({ "text": slack_escape(&message(body)) })),
        Channel::Discord { url } => {
            // Discord caps a message at 2,000 characters and must not ping anyone.
            let content: String = message(body).chars().take(2_000).collect();
            http.post(url.clone()).json(&json!({
                "content": content,
                "allowed_mentions": { "parse": [] },
            }))
        }
        Channel::Telegram {
            api,
            token,
            chat_id,
        } => {
            // Not `Url::join`: a token (`123:abc`) would read as a URL scheme.
            let url = format!(
                "{}/bot{token}/sendMessage",
                api.as_str().trim_end_matches('/')
            );
            let text: String = message(body).chars().take(4_096).collect();
            http.post(url).json(&json!({
                "chat_id": chat_id,
                "text": text,
                "disable_web_page_preview": true,
            }))
        }
    };
    // `without_url`: a Slack, Discord or Telegram URL holds a credential.
    let response = request
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
