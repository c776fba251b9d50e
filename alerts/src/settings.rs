//! The rules' parameters (`"rules"` of the configuration file), each with a documented default,
//! and the hysteresis, cooldown and severity every condition rule takes. A parameter that cannot
//! work (a short window longer than its long one, a burn rate of 0) is refused with its field.
//!
//! ```json
//! "rules": {
//!   "burn-rate": { "windows": [ { "name": "1h", "long_s": 3600, "short_s": 300, "burn": 14.4,
//!                                 "severity": "critical" } ], "min_events": 10 },
//!   "time-to-breach": { "horizon_s": 21600 },
//!   "bond-cover": { "epochs": 24 },
//!   "reputation-drop": { "drop_bps": 500, "window_s": 86400 },
//!   "key-expiry": { "horizon_s": 604800 },
//!   "oracle-health": { "oracle_metrics_url": "http://127.0.0.1:9464/metrics", "for_s": 60 },
//!   "gauge-threshold": { "thresholds": [ { "name": "gpu-hot", "gauge": "gpu0.temp_millicelsius",
//!                        "role": "provider", "value": "max", "above": 85000 } ] },
//!   "fault-rate": { "max_bps": 1000, "min_checks": 20 }
//! }
//! ```

use serde::Deserialize;

use crate::config::{refuse, ConfigError};

/// The rules whose conditions go through the engine (hysteresis, cooldown, resolved).
pub const CONDITION_RULES: [&str; 8] = [
    "burn-rate",
    "time-to-breach",
    "bond-cover",
    "reputation-drop",
    "key-expiry",
    "oracle-health",
    "gauge-threshold",
    "fault-rate",
];

/// Severities, least first.
pub const SEVERITIES: [&str; 3] = ["info", "warning", "critical"];

/// How a condition rule fires: held for `for_ms` first, and not again within `cooldown_ms`
/// of its last resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// How long a condition must hold before it fires (hysteresis), ms.
    pub for_ms: u64,
    /// After a condition resolves, how long the same condition stays quiet, ms.
    pub cooldown_ms: u64,
    /// The severity its alerts carry, when set (else the rule's own).
    pub severity: Option<String>,
}

/// One multi-window burn-rate alert of the SRE workbook: fires when the budget burns at least
/// `burn_milli / 1000` times too fast over both the long and the short window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurnWindow {
    /// Its name in the condition (`1h`).
    pub name: String,
    /// The long window, ms.
    pub long_ms: u64,
    /// The short window (the alert resets fast once the burn stops), ms.
    pub short_ms: u64,
    /// The burn rate threshold in thousandths (14.4 → 14400).
    pub burn_milli: u64,
    /// `warning` or `critical`.
    pub severity: String,
}

/// Every rule's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSettings {
    /// `burn-rate` windows.
    pub burn_windows: Vec<BurnWindow>,
    /// `burn-rate`: fewest events in the long window to judge a burn rate.
    pub burn_min_events: u64,
    /// `time-to-breach`: a forecast breach within this span fires, ms.
    pub breach_horizon_ms: u64,
    /// `bond-cover`: the bond must cover this many epochs of the open data units' penalties.
    pub cover_epochs: u64,
    /// `reputation-drop`: a fall of at least this many basis points...
    pub drop_bps: u64,
    /// ...below the highest reputation seen within this span, ms.
    pub drop_window_ms: u64,
    /// `key-expiry`: a reporter key whose validity ends within this span, ms.
    pub key_horizon_ms: u64,
    /// `oracle-health` parameters.
    pub health: HealthSettings,
    /// `gauge-threshold`: the thresholds over gauges (none by default).
    pub gauge_thresholds: Vec<GaugeThreshold>,
    /// `fault-rate`: a view's fault rate in the epoch in progress above this many bps fires...
    pub fault_max_bps: u64,
    /// ...once it has at least this many checks.
    pub fault_min_checks: u64,
    /// Hysteresis, cooldown and severity of each condition rule, in [`CONDITION_RULES`] order.
    pub timing: Vec<(String, Timing)>,
}

/// Which value of a gauge in the epoch in progress a threshold is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GaugeValue {
    /// The latest sample.
    Last,
    /// The greatest sample.
    Max,
    /// The least sample.
    Min,
    /// The mean of the samples.
    Mean,
}

/// One `gauge-threshold`: a gauge of one party's view crossing a bound (strict, like every
/// breach).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaugeThreshold {
    /// Its name in the condition (`gpu-hot`): 1 to 32 of a-z, 0-9, `-`.
    pub name: String,
    /// The gauge (`gpu0.temp_millicelsius`), in its unit's integers.
    pub gauge: String,
    /// Whose view: `provider` (default) or `consumer`.
    #[serde(default = "provider")]
    pub role: String,
    /// Which value (default `last`).
    #[serde(default = "last")]
    pub value: GaugeValue,
    /// Fires when the value is greater.
    pub above: Option<i64>,
    /// Fires when the value is less.
    pub below: Option<i64>,
}

fn provider() -> String {
    "provider".into()
}

fn last() -> GaugeValue {
    GaugeValue::Last
}

/// `oracle-health`: what is scraped and the thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthSettings {
    /// The oracle's `/metrics` (epochs behind, indexer lag, fee ceiling); none: not checked.
    pub oracle_metrics_url: Option<reqwest::Url>,
    /// The ingest API's `/metrics` (load shed); none: not checked.
    pub ingest_metrics_url: Option<reqwest::Url>,
    /// Closed epochs not yet confirmed on chain before it is unhealthy.
    pub epochs_behind: u64,
    /// Blocks the indexer may trail the chain head.
    pub indexer_lag_blocks: u64,
    /// A sent transaction not mined after this long is stuck, ms.
    pub stuck_tx_ms: u64,
    /// Requests shed per minute before it is unhealthy.
    pub shed_per_minute: u64,
}

impl RuleSettings {
    /// The timing of a condition rule.
    pub fn timing(&self, rule: &str) -> Timing {
        self.timing
            .iter()
            .find(|(r, _)| r == rule)
            .map(|(_, t)| t.clone())
            .unwrap_or(Timing {
                for_ms: 0,
                cooldown_ms: 0,
                severity: None,
            })
    }
}

/// Hysteresis, cooldown and severity as written (every rule's object takes them).
struct RawTiming {
    for_s: Option<u64>,
    cooldown_s: Option<u64>,
    severity: Option<String>,
}

/// The timing fields of a rule's raw object (serde's `flatten` does not work with
/// `deny_unknown_fields`, so each object repeats them).
macro_rules! raw_timing {
    ($raw:expr) => {
        RawTiming {
            for_s: $raw.for_s,
            cooldown_s: $raw.cooldown_s,
            severity: $raw.severity,
        }
    };
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    name: String,
    long_s: u64,
    short_s: u64,
    burn: f64,
    #[serde(default = "warning")]
    severity: String,
}

fn warning() -> String {
    "warning".into()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRules {
    #[serde(default)]
    burn_rate: RawBurn,
    #[serde(default)]
    time_to_breach: RawHorizon,
    #[serde(default)]
    bond_cover: RawCover,
    #[serde(default)]
    reputation_drop: RawDrop,
    #[serde(default)]
    key_expiry: RawHorizon,
    #[serde(default)]
    oracle_health: RawHealth,
    #[serde(default)]
    gauge_threshold: RawGauges,
    #[serde(default)]
    fault_rate: RawFaults,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGauges {
    #[serde(default)]
    thresholds: Vec<GaugeThreshold>,
    for_s: Option<u64>,
    cooldown_s: Option<u64>,
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFaults {
    max_bps: Option<u64>,
    min_checks: Option<u64>,
    for_s: Option<u64>,
    cooldown_s: Option<u64>,
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBurn {
    windows: Option<Vec<RawWindow>>,
    min_events: Option<u64>,
    for_s: Option<u64>,
    cooldown_s: Option<u64>,
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHorizon {
    horizon_s: Option<u64>,
    for_s: Option<u64>,
    cooldown_s: Option<u64>,
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCover {
    epochs: Option<u64>,
    for_s: Option<u64>,
    cooldown_s: Option<u64>,
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDrop {
    drop_bps: Option<u64>,
    window_s: Option<u64>,
    for_s: Option<u64>,
    cooldown_s: Option<u64>,
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    oracle_metrics_url: Option<String>,
    ingest_metrics_url: Option<String>,
    epochs_behind: Option<u64>,
    indexer_lag_blocks: Option<u64>,
    stuck_tx_s: Option<u64>,
    shed_per_minute: Option<u64>,
    for_s: Option<u64>,
    cooldown_s: Option<u64>,
    severity: Option<String>,
}

/// The SRE workbook's three alerts (page at 14.4× over 1 h and 5 min, page at 6× over 6 h and
/// 30 min, ticket at 1× over 3 days and 6 h).
fn default_windows() -> Vec<BurnWindow> {
    let w = |name: &str, long_s: u64, short_s: u64, burn_milli, severity: &str| BurnWindow {
        name: name.into(),
        long_ms: long_s * 1_000,
        short_ms: short_s * 1_000,
        burn_milli,
        severity: severity.into(),
    };
    vec![
        w("1h", 3_600, 300, 14_400, "critical"),
        w("6h", 21_600, 1_800, 6_000, "critical"),
        w("3d", 259_200, 21_600, 1_000, "warning"),
    ]
}

const DAY_S: u64 = 86_400;

/// Checks the `"rules"` object (absent: every default).
pub fn parse(raw: Option<serde_json::Value>) -> Result<RuleSettings, ConfigError> {
    let raw: RawRules = match raw {
        None => RawRules::default(),
        Some(v) => serde_json::from_value(v).map_err(|e| refuse("rules", e.to_string()))?,
    };
    let burn_windows = match raw.burn_rate.windows {
        None => default_windows(),
        Some(list) => windows(list)?,
    };
    let positive = |v: Option<u64>, default: u64, field: &str| -> Result<u64, ConfigError> {
        match v {
            Some(0) => Err(refuse(format!("rules.{field}"), "must be at least 1")),
            Some(v) => Ok(v),
            None => Ok(default),
        }
    };
    let drop_bps = positive(
        raw.reputation_drop.drop_bps,
        500,
        "reputation-drop.drop_bps",
    )?;
    if drop_bps > 10_000 {
        return Err(refuse(
            "rules.reputation-drop.drop_bps",
            "must be at most 10000",
        ));
    }
    let url = |v: Option<String>, field: &str| {
        v.map(|u| {
            reqwest::Url::parse(&u)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| {
                    refuse(
                        format!("rules.oracle-health.{field}"),
                        "must be an http(s) URL with a host",
                    )
                })
        })
        .transpose()
    };
    let h = raw.oracle_health;
    let health = HealthSettings {
        oracle_metrics_url: url(h.oracle_metrics_url, "oracle_metrics_url")?,
        ingest_metrics_url: url(h.ingest_metrics_url, "ingest_metrics_url")?,
        epochs_behind: positive(h.epochs_behind, 3, "oracle-health.epochs_behind")?,
        indexer_lag_blocks: positive(h.indexer_lag_blocks, 50, "oracle-health.indexer_lag_blocks")?,
        stuck_tx_ms: positive(h.stuck_tx_s, 600, "oracle-health.stuck_tx_s")? * 1_000,
        shed_per_minute: positive(h.shed_per_minute, 10, "oracle-health.shed_per_minute")?,
    };
    let timing = vec![
        timing("burn-rate", raw_timing!(raw.burn_rate), 0, 600)?,
        timing("time-to-breach", raw_timing!(raw.time_to_breach), 0, 3_600)?,
        timing("bond-cover", raw_timing!(raw.bond_cover), 0, 3_600)?,
        timing(
            "reputation-drop",
            raw_timing!(raw.reputation_drop),
            0,
            3_600,
        )?,
        timing("key-expiry", raw_timing!(raw.key_expiry), 0, DAY_S)?,
        timing("oracle-health", raw_timing!(h), 60, 600)?,
        timing("gauge-threshold", raw_timing!(raw.gauge_threshold), 60, 600)?,
        timing("fault-rate", raw_timing!(raw.fault_rate), 60, 600)?,
    ];
    let gauge_thresholds = gauge_thresholds(raw.gauge_threshold.thresholds)?;
    let fault_max_bps = raw.fault_rate.max_bps.unwrap_or(1_000);
    if fault_max_bps >= 10_000 {
        return Err(refuse(
            "rules.fault-rate.max_bps",
            "must be less than 10000 (a rate above it is impossible)",
        ));
    }
    Ok(RuleSettings {
        burn_windows,
        burn_min_events: positive(raw.burn_rate.min_events, 10, "burn-rate.min_events")?,
        breach_horizon_ms: positive(
            raw.time_to_breach.horizon_s,
            6 * 3_600,
            "time-to-breach.horizon_s",
        )? * 1_000,
        cover_epochs: positive(raw.bond_cover.epochs, 24, "bond-cover.epochs")?,
        drop_bps,
        drop_window_ms: positive(
            raw.reputation_drop.window_s,
            DAY_S,
            "reputation-drop.window_s",
        )? * 1_000,
        key_horizon_ms: positive(raw.key_expiry.horizon_s, 7 * DAY_S, "key-expiry.horizon_s")?
            * 1_000,
        health,
        gauge_thresholds,
        fault_max_bps,
        fault_min_checks: positive(raw.fault_rate.min_checks, 20, "fault-rate.min_checks")?,
        timing,
    })
}

fn gauge_thresholds(list: Vec<GaugeThreshold>) -> Result<Vec<GaugeThreshold>, ConfigError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, t) in list.iter().enumerate() {
        let at = |f: &str| format!("rules.gauge-threshold.thresholds[{i}].{f}");
        let ok_name = !t.name.is_empty()
            && t.name.len() <= 32
            && t.name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
        if !ok_name {
            return Err(refuse(at("name"), "must be 1 to 32 of a-z, 0-9 and '-'"));
        }
        if !seen.insert(t.name.clone()) {
            return Err(refuse(at("name"), "is used by another threshold"));
        }
        if sla_protocol::record::validate_custom_name(t.gauge.as_bytes()).is_err() {
            return Err(refuse(
                at("gauge"),
                "must be a gauge name: 1 to 64 of a-z, 0-9, '_', '.', ':' and '-'",
            ));
        }
        if !matches!(t.role.as_str(), "provider" | "consumer") {
            return Err(refuse(at("role"), "must be provider or consumer"));
        }
        if t.above.is_none() && t.below.is_none() {
            return Err(refuse(at("above"), "give above, below or both"));
        }
    }
    Ok(list)
}

fn windows(list: Vec<RawWindow>) -> Result<Vec<BurnWindow>, ConfigError> {
    let mut out: Vec<BurnWindow> = Vec::new();
    for (i, w) in list.into_iter().enumerate() {
        let at = |f: &str| format!("rules.burn-rate.windows[{i}].{f}");
        if w.name.is_empty()
            || !w
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(refuse(at("name"), "must be letters, digits and dashes"));
        }
        if out.iter().any(|o| o.name == w.name) {
            return Err(refuse(at("name"), "is used twice"));
        }
        if w.long_s == 0 || w.long_s > 30 * DAY_S {
            return Err(refuse(at("long_s"), "must be 1 s to 30 days"));
        }
        if w.short_s == 0 || w.short_s >= w.long_s {
            return Err(refuse(
                at("short_s"),
                "must be at least 1 s and shorter than long_s",
            ));
        }
        if !(w.burn.is_finite() && w.burn >= 0.001 && w.burn <= 10_000.0) {
            return Err(refuse(at("burn"), "must be a number from 0.001 to 10000"));
        }
        if !SEVERITIES.contains(&w.severity.as_str()) {
            return Err(refuse(at("severity"), "must be info, warning or critical"));
        }
        out.push(BurnWindow {
            name: w.name,
            long_ms: w.long_s * 1_000,
            short_ms: w.short_s * 1_000,
            burn_milli: (w.burn * 1_000.0).round() as u64,
            severity: w.severity,
        });
    }
    if out.is_empty() {
        return Err(refuse(
            "rules.burn-rate.windows",
            "needs at least one window",
        ));
    }
    Ok(out)
}

fn timing(
    rule: &str,
    raw: RawTiming,
    for_s: u64,
    cooldown_s: u64,
) -> Result<(String, Timing), ConfigError> {
    if let Some(s) = &raw.severity {
        if !SEVERITIES.contains(&s.as_str()) {
            return Err(refuse(
                format!("rules.{rule}.severity"),
                "must be info, warning or critical",
            ));
        }
    }
    let for_s = raw.for_s.unwrap_or(for_s);
    let cooldown_s = raw.cooldown_s.unwrap_or(cooldown_s);
    if for_s > 7 * DAY_S || cooldown_s > 7 * DAY_S {
        return Err(refuse(
            format!("rules.{rule}"),
            "for_s and cooldown_s must be at most 7 days",
        ));
    }
    Ok((
        rule.to_owned(),
        Timing {
            for_ms: for_s * 1_000,
            cooldown_ms: cooldown_s * 1_000,
            severity: raw.severity,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        let err = parse(Some(serde_json::from_str(text).unwrap())).unwrap_err();
        err.to_string()
    }

    #[test]
    fn defaults_are_the_sre_workbook_windows() {
        let s = parse(None).unwrap();
        let w: Vec<_> = s
            .burn_windows
            .iter()
            .map(|w| (w.name.as_str(), w.long_ms, w.short_ms, w.burn_milli))
            .collect();
        assert_eq!(
            w,
            vec![
                ("1h", 3_600_000, 300_000, 14_400),
                ("6h", 21_600_000, 1_800_000, 6_000),
                ("3d", 259_200_000, 21_600_000, 1_000)
            ]
        );
        assert_eq!(s.timing("oracle-health").for_ms, 60_000);
        assert_eq!(s.cover_epochs, 24);
    }

    #[test]
    fn impossible_parameters_are_refused_by_field() {
        for (text, field) in [
            (
                r#"{"burn-rate":{"windows":[{"name":"a","long_s":60,"short_s":60,"burn":2}]}}"#,
                "rules.burn-rate.windows[0].short_s",
            ),
            (
                r#"{"burn-rate":{"windows":[{"name":"a","long_s":60,"short_s":5,"burn":0}]}}"#,
                "rules.burn-rate.windows[0].burn",
            ),
            (r#"{"burn-rate":{"windows":[]}}"#, "rules.burn-rate.windows"),
            (r#"{"bond-cover":{"epochs":0}}"#, "rules.bond-cover.epochs"),
            (
                r#"{"reputation-drop":{"drop_bps":10001}}"#,
                "rules.reputation-drop.drop_bps",
            ),
            (
                r#"{"key-expiry":{"severity":"loud"}}"#,
                "rules.key-expiry.severity",
            ),
            (
                r#"{"oracle-health":{"oracle_metrics_url":"ftp://x"}}"#,
                "rules.oracle-health.oracle_metrics_url",
            ),
            (r#"{"bond-cover":{"for_s":9999999}}"#, "rules.bond-cover"),
            (r#"{"no-such-rule":{}}"#, "rules"),
            (r#"{"bond-cover":{"epoch":3}}"#, "rules"),
        ] {
            let e = refused(text);
            assert!(e.contains(&format!("{field}: ")), "{text}: {e}");
        }
    }
}
