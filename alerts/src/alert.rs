//! An alert as it is delivered: what happened, in words and in numbers, with links to the
//! evidence. The JSON is stored in the outbox as it will be sent.

use serde::{Deserialize, Serialize};

/// One alert, before it is addressed to receivers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Alert {
    /// Unique for what it is about (`penalty:{data unit}:{epoch}`); the idempotency key.
    pub alert_key: String,
    /// The rule that raised it.
    pub rule: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// The data unit (0 for an alert about a provider or the oracle as a whole).
    pub data_unit: u64,
    /// Its provider, `0x` hex (empty for an alert about the oracle).
    pub provider: String,
    /// Its consumer, `0x` hex (empty when not about one data unit).
    pub consumer: String,
    /// The epoch it is about (0 when not about one epoch).
    pub epoch: u64,
    /// One line in words.
    pub summary: String,
    /// The numbers behind it, in words.
    pub details: Vec<String>,
    /// The transaction, for what happened on chain.
    pub tx_hash: Option<String>,
    /// Where to look: the dashboard page of the data unit (empty without a dashboard URL).
    pub link: String,
    /// When it was raised, Unix ms.
    pub raised_at_ms: u64,
    /// `firing`, or `resolved` for the message that a condition has ended.
    pub status: String,
}

impl Alert {
    /// A firing alert of `rule` with its words; keys, parties and times are filled by the
    /// caller or the condition engine.
    pub fn firing(rule: &str, severity: &str, summary: String, details: Vec<String>) -> Alert {
        Alert {
            alert_key: String::new(),
            rule: rule.to_owned(),
            severity: severity.to_owned(),
            data_unit: 0,
            provider: String::new(),
            consumer: String::new(),
            epoch: 0,
            summary,
            details,
            tx_hash: None,
            link: String::new(),
            raised_at_ms: 0,
            status: "firing".to_owned(),
        }
    }
}
