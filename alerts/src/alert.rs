//! An alert as it is delivered: what happened, in words and in numbers, with links to the
//! evidence. The JSON is stored in the outbox as it will be sent.

use serde::Serialize;

/// One alert, before it is addressed to receivers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Alert {
    /// Unique for what it is about (`penalty:{data unit}:{epoch}`); the idempotency key.
    pub alert_key: String,
    /// The rule that raised it.
    pub rule: &'static str,
    /// `info`, `warning` or `critical`.
    pub severity: &'static str,
    /// The data unit.
    pub data_unit: u64,
    /// Its provider, `0x` hex.
    pub provider: String,
    /// Its consumer, `0x` hex.
    pub consumer: String,
    /// The epoch it is about.
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
    pub status: &'static str,
}
