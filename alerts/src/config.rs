//! The alerting configuration file (JSON): who receives alerts and which ones. Secrets come from
//! the environment and never appear in `Debug` output, logs or errors.
//!
//! ```json
//! { "receivers": [ { "name": "ops", "kind": "webhook", "url": "https://hooks.example/sla",
//!                    "secret_env": "SLA_ALERT_SECRET_OPS",
//!                    "rules": ["violation", "penalty"], "providers": ["0x…"], "data_units": [7] } ],
//!   "expire_after_s": 86400, "dashboard_url": "https://sla.example/dashboard" }
//! ```

use std::collections::HashSet;
use std::path::Path;

use alloy_primitives::Address;
use serde::Deserialize;

/// The rules there are (`rules` of a receiver names some of them; absent: all).
pub const RULES: [&str; 2] = ["violation", "penalty"];

/// Why a configuration is refused; names the field.
#[derive(Debug, thiserror::Error)]
#[error("alerting configuration: {field}: {detail}")]
pub struct ConfigError {
    /// The field at fault, e.g. `receivers[0].url`.
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

fn refuse(field: impl Into<String>, detail: impl Into<String>) -> ConfigError {
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
}

fn default_expiry() -> u64 {
    86_400
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceiver {
    name: String,
    kind: String,
    url: String,
    secret_env: String,
    rules: Option<Vec<String>>,
    providers: Option<Vec<String>>,
    data_units: Option<Vec<u64>>,
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
}

/// A generic JSON webhook, its body signed with HMAC-SHA256.
#[derive(Clone)]
pub struct Receiver {
    /// Unique name; the outbox keys alerts by it.
    pub name: String,
    /// Where to POST.
    pub url: reqwest::Url,
    /// The HMAC key.
    pub secret: Vec<u8>,
    /// Rules it wants (`None`: all).
    pub rules: Option<HashSet<String>>,
    /// Providers it follows (`None`: all).
    pub providers: Option<HashSet<Address>>,
    /// Data units it follows (`None`: all).
    pub data_units: Option<HashSet<u64>>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .field("secret", &"<redacted>")
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
            if r.kind != "webhook" {
                return Err(refuse(
                    at("kind"),
                    format!("unknown channel {:?}; known: webhook", r.kind),
                ));
            }
            let url = reqwest::Url::parse(&r.url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| refuse(at("url"), "must be an http(s) URL with a host"))?;
            let secret = env(&r.secret_env)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    refuse(
                        at("secret_env"),
                        format!("environment variable {} is not set", r.secret_env),
                    )
                })?;
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
                url,
                secret: secret.into_bytes(),
                rules: r.rules.map(|v| v.into_iter().collect()),
                providers,
                data_units: r.data_units.map(|v| v.into_iter().collect()),
            });
        }
        Ok(AlertsConfig {
            receivers,
            expire_after_ms: raw.expire_after_s.saturating_mul(1_000),
            dashboard_url: raw.dashboard_url.trim_end_matches('/').to_owned(),
        })
    }
}
