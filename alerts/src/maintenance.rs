//! Maintenance windows: a span in which a provider (all its data units) or one data unit is
//! being worked on, declared in the configuration file (`"maintenance"`). An alert about what
//! lies in a window is muted: an event (violation, late) is not raised (a penalty always is: money moved on chain); a condition
//! stays pending and fires after the window if it still holds.
//!
//! ```json
//! "maintenance": [ { "provider": "0x90f7…", "from_ms": 1796300000000, "until_ms": 1796303600000,
//!                    "reason": "disk replacement" },
//!                  { "data_unit": 7, "from_ms": …, "until_ms": … } ]
//! ```

use alloy_primitives::Address;
use serde::Deserialize;

use crate::alert::Alert;
use crate::config::{refuse, ConfigError};

/// One window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The provider whose data units it covers (all of them unless `data_unit` is set).
    pub provider: Option<Address>,
    /// The one data unit it covers.
    pub data_unit: Option<u64>,
    /// Start, Unix ms (inclusive).
    pub from_ms: u64,
    /// End, Unix ms (exclusive).
    pub until_ms: u64,
    /// Why, for the logs.
    pub reason: String,
}

/// Longest window the file may declare: a month.
pub const MAX_WINDOW_MS: u64 = 31 * 86_400_000;

impl Window {
    /// Whether the window covers `alert` at any time in `[from_ms, to_ms]`.
    pub fn mutes(&self, alert: &Alert, from_ms: u64, to_ms: u64) -> bool {
        let overlaps = from_ms < self.until_ms && to_ms >= self.from_ms;
        let unit = self
            .data_unit
            .is_none_or(|d| d == alert.data_unit && d != 0);
        let provider = self
            .provider
            .is_none_or(|p| alert.provider.parse::<Address>().is_ok_and(|a| a == p));
        overlaps && unit && provider
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    provider: Option<String>,
    data_unit: Option<u64>,
    from_ms: u64,
    until_ms: u64,
    #[serde(default)]
    reason: String,
}

/// Checks the `"maintenance"` list (absent: none).
pub fn parse(raw: Option<serde_json::Value>) -> Result<Vec<Window>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let list: Vec<RawWindow> =
        serde_json::from_value(raw).map_err(|e| refuse("maintenance", e.to_string()))?;
    let mut out = Vec::new();
    for (i, w) in list.into_iter().enumerate() {
        let at = |f: &str| format!("maintenance[{i}].{f}");
        let provider = w
            .provider
            .map(|p| p.parse::<Address>())
            .transpose()
            .map_err(|_| refuse(at("provider"), "must be a 0x address"))?;
        if provider.is_none() && w.data_unit.is_none() {
            return Err(refuse(
                at("provider"),
                "a window needs a provider or a data_unit",
            ));
        }
        if w.until_ms <= w.from_ms || w.until_ms - w.from_ms > MAX_WINDOW_MS {
            return Err(refuse(
                at("until_ms"),
                "must be after from_ms, at most 31 days later",
            ));
        }
        out.push(Window {
            provider,
            data_unit: w.data_unit,
            from_ms: w.from_ms,
            until_ms: w.until_ms,
            reason: w.reason,
        });
    }
    Ok(out)
}

/// Whether any of `windows` mutes `alert` in `[from_ms, to_ms]`.
pub fn muted(windows: &[Window], alert: &Alert, from_ms: u64, to_ms: u64) -> bool {
    windows.iter().any(|w| w.mutes(alert, from_ms, to_ms))
}
