//! The alerting configuration file (JSON): who receives alerts and which ones. Secrets come from
//! the environment and never appear in `Debug` output, logs or errors.
//!
//! ```json
//! { "receivers": [
//!     { "name": "ops", "kind": "webhook", "url": "https://hooks.example/sla",
//!       "secret_env": "SLA_ALERT_SECRET_OPS",
//!       "rules": ["violation", "penalty"], "providers": ["0x…"], "data_units": [7] },
//!     { "name": "team", "kind": "slack", "url_env": "SLA_SLACK_WEBHOOK_URL" },
//!     { "name": "miners", "kind": "discord", "url_env": "SLA_DISCORD_WEBHOOK_URL" },
//!     { "name": "pool", "kind": "telegram", "token_env": "SLA_TELEGRAM_TOKEN", "chat_id": "-100123" } ],
//!   "expire_after_s": 86400, "dashboard_url": "https://sla.example/dashboard" }
//! ```

use std::collections::HashSet;
use std::path::Path;

use alloy_primitives::Address;
use serde::Deserialize;

/// The rules there are (`rules` of a receiver names some of them; absent: all).
pub const RULES: [&str; 9] = [
    "violation",
    "penalty",
    "late",
    "burn-rate",
    "time-to-breach",
    "bond-cover",
    "reputation-drop",
    "key-expiry",
    "oracle-health",
];

/// Why a configuration is refused; names the field.
#[derive(Debug, thiserror::Error)]
#[error("alerting configuration: {field}: {detail}")]
pub struct ConfigError {
    /// The field at fault, e.g. `receivers[0].url`.
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

pub(crate) fn refuse(field: impl Into<String>, detail: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        detail: detail.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    receivers: Vec<RawReceiver>,
    #[serde(default = "default_expiry")]
    expire_after_s: u64,
    #[serde(default)]
    dashboard_url: String,
    #[serde(default = "default_late_margin")]
    late_margin_s: u64,
    rules: Option<serde_json::Value>,
    maintenance: Option<serde_json::Value>,
    #[serde(default)]
    reports: Vec<crate::reports::RawReport>,
}

fn default_late_margin() -> u64 {
    60
}

fn default_expiry() -> u64 {
    86_400
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceiver {
    name: String,
    kind: String,
    url: Option<String>,
    url_env: Option<String>,
    secret_env: Option<String>,
    token_env: Option<String>,
    chat_id: Option<String>,
    api_url: Option<String>,
    rules: Option<Vec<String>>,
    providers: Option<Vec<String>>,
    data_units: Option<Vec<u64>>,
    // The email channel's fields (see `email.rs`).
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    tls: Option<String>,
    username_env: Option<String>,
    password_env: Option<String>,
    from: Option<String>,
    to: Option<Vec<String>>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    /// Where alerts go.
    pub receivers: Vec<Receiver>,
    /// An alert not acknowledged this long after it was raised is given up (counted, visible).
    pub expire_after_ms: u64,
    /// The dashboard's base URL, for links in alerts (may be empty).
    pub dashboard_url: String,
    /// How long past its reporting interval a reporter may be before it is late, ms.
    pub late_margin_ms: u64,
    /// Every rule's parameters (`"rules"`; defaults in `settings.rs` and docs/alerts.md).
    pub settings: crate::settings::RuleSettings,
    /// Maintenance windows declared in the file.
    pub maintenance: Vec<crate::maintenance::Window>,
    /// Whether subscriptions may be delivered to private addresses (the flag
    /// `--subscriptions-allow-private-targets`, not the file).
    pub subscriptions_allow_private_targets: bool,
    /// Scheduled compliance reports (`reports.rs`).
    pub reports: Vec<crate::reports::ReportSpec>,
}

/// The channels there are.
pub const CHANNELS: [&str; 5] = ["webhook", "slack", "discord", "telegram", "email"];

/// Where a receiver's alerts go and how.
#[derive(Clone)]
pub enum Channel {
    /// A generic JSON webhook, its body signed with HMAC-SHA256.
    Webhook {
        /// Where to POST.
        url: reqwest::Url,
        /// The HMAC key.
        secret: Vec<u8>,
    },
    /// A Slack incoming webhook (its URL is the secret).
    Slack {
        /// The incoming webhook's URL.
        url: reqwest::Url,
    },
    /// A Discord webhook (its URL is the secret).
    Discord {
        /// The webhook's URL.
        url: reqwest::Url,
    },
    /// The Telegram Bot API's `sendMessage`.
    Telegram {
        /// The API's base URL (`https://api.telegram.org` unless set, e.g. for tests).
        api: reqwest::Url,
        /// The bot's token.
        token: String,
        /// The chat to post to.
        chat_id: String,
    },
    /// Email over SMTP (`email.rs`).
    Email(crate::email::EmailChannel),
}

/// A receiver of alerts.
#[derive(Clone)]
pub struct Receiver {
    /// Unique name; the outbox keys alerts by it.
    pub name: String,
    /// Where its alerts go.
    pub channel: Channel,
    /// Rules it wants (`None`: all).
    pub rules: Option<HashSet<String>>,
    /// Providers it follows (`None`: all).
    pub providers: Option<HashSet<Address>>,
    /// Data units it follows (`None`: all).
    pub data_units: Option<HashSet<u64>>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets (HMAC keys, webhook URLs, bot tokens) are never shown.
        match self {
            Channel::Webhook { url, .. } => write!(f, "webhook {url} (secret <redacted>)"),
            Channel::Slack { .. } => write!(f, "slack <redacted URL>"),
            Channel::Discord { .. } => write!(f, "discord <redacted URL>"),
            Channel::Telegram { api, chat_id, .. } => {
                write!(f, "telegram {api} chat {chat_id} (token <redacted>)")
            }
            Channel::Email(email) => write!(f, "{email:?}"),
        }
    }
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("name", &self.name)
            .field("channel", &self.channel)
            .field("rules", &self.rules)
            .field("providers", &self.providers)
            .field("data_units", &self.data_units)
            .finish()
    }
}

impl Receiver {
    /// Whether this receiver wants an alert of `rule` about `data_unit` of `provider`.
    pub fn wants(&self, rule: &str, provider: &Address, data_unit: u64) -> bool {
        self.rules.as_ref().is_none_or(|r| r.contains(rule))
            && self.providers.as_ref().is_none_or(|p| p.contains(provider))
            && self
                .data_units
                .as_ref()
                .is_none_or(|d| d.contains(&data_unit))
    }
}

impl AlertsConfig {
    /// Reads and checks the file at `path`, taking secrets from `env`.
    pub fn read(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<AlertsConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| refuse("file", format!("{}: {e}", path.display())))?;
        Self::parse(&text, env)
    }

    /// Checks a configuration's JSON text, taking secrets from `env`.
    pub fn parse(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<AlertsConfig, ConfigError> {
        let raw: RawConfig =
            serde_json::from_str(text).map_err(|e| refuse("file", format!("not valid: {e}")))?;
        if raw.expire_after_s == 0 {
            return Err(refuse("expire_after_s", "must be at least 1"));
        }
        let mut names = HashSet::new();
        let mut receivers = Vec::new();
        for (i, r) in raw.receivers.into_iter().enumerate() {
            let at = |f: &str| format!("receivers[{i}].{f}");
            if r.name.is_empty() || !names.insert(r.name.clone()) {
                return Err(refuse(at("name"), "must be non-empty and unique"));
            }
            let channel = channel(&r, &at, &env)?;
            if let Some(rules) = &r.rules {
                if let Some(bad) = rules.iter().find(|x| !RULES.contains(&x.as_str())) {
                    return Err(refuse(
                        at("rules"),
                        format!("unknown rule {bad:?}; known: {}", RULES.join(", ")),
                    ));
                }
            }
            let providers = match &r.providers {
                None => None,
                Some(list) => Some(
                    list.iter()
                        .map(|p| p.parse::<Address>())
                        .collect::<Result<HashSet<_>, _>>()
                        .map_err(|_| refuse(at("providers"), "every entry must be a 0x address"))?,
                ),
            };
            receivers.push(Receiver {
                name: r.name,
                channel,
                rules: r.rules.map(|v| v.into_iter().collect()),
                providers,
                data_units: r.data_units.map(|v| v.into_iter().collect()),
            });
        }
        let reports = crate::reports::check(raw.reports, &receivers)?;
        Ok(AlertsConfig {
            reports,
            receivers,
            expire_after_ms: raw.expire_after_s.saturating_mul(1_000),
            dashboard_url: raw.dashboard_url.trim_end_matches('/').to_owned(),
            late_margin_ms: raw.late_margin_s.saturating_mul(1_000),
            settings: crate::settings::parse(raw.rules)?,
            maintenance: crate::maintenance::parse(raw.maintenance)?,
            subscriptions_allow_private_targets: false,
        })
    }
}

fn http_url(text: &str, field: String) -> Result<reqwest::Url, ConfigError> {
    reqwest::Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| refuse(field, "must be an http(s) URL with a host"))
}

/// The value of the environment variable a field names, which must be set and non-empty.
fn from_env(
    name: &Option<String>,
    field: String,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    let name = name
        .as_deref()
        .ok_or_else(|| refuse(field.clone(), "is required for this kind"))?;
    env(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| refuse(field, format!("environment variable {name} is not set")))
}

fn channel(
    r: &RawReceiver,
    at: &impl Fn(&str) -> String,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Channel, ConfigError> {
    match r.kind.as_str() {
        "webhook" => {
            let url = r
                .url
                .as_deref()
                .ok_or_else(|| refuse(at("url"), "is required for a webhook"))?;
            Ok(Channel::Webhook {
                url: http_url(url, at("url"))?,
                secret: from_env(&r.secret_env, at("secret_env"), env)?.into_bytes(),
            })
        }
        "slack" | "discord" => {
            // Their webhook URLs carry the credential: only from the environment.
            let url = http_url(&from_env(&r.url_env, at("url_env"), env)?, at("url_env"))?;
            Ok(if r.kind == "slack" {
                Channel::Slack { url }
            } else {
                Channel::Discord { url }
            })
        }
        "telegram" => {
            let chat_id = r
                .chat_id
                .clone()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| refuse(at("chat_id"), "is required for telegram"))?;
            let api = http_url(
                r.api_url.as_deref().unwrap_or("https://api.telegram.org"),
                at("api_url"),
            )?;
            Ok(Channel::Telegram {
                api,
                token: from_env(&r.token_env, at("token_env"), env)?,
                chat_id,
            })
        }
        "email" => crate::email::channel(
            crate::email::EmailFields {
                smtp_host: r.smtp_host.as_deref(),
                smtp_port: r.smtp_port,
                tls: r.tls.as_deref(),
                username_env: r.username_env.as_deref(),
                password_env: r.password_env.as_deref(),
                from: r.from.as_deref(),
                to: r.to.as_deref(),
            },
            at,
            env,
        )
        .map(Channel::Email),
        other => Err(refuse(
            at("kind"),
            format!("unknown channel {other:?}; known: {}", CHANNELS.join(", ")),
        )),
    }
}
