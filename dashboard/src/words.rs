//! Numbers and rules in plain words: amounts, ratios, latencies, speeds and durations as people
//! read them, the terms of an SLA ("mean read latency ≤ 50 ms"), and every verdict explained
//! from its own numbers. Integer arithmetic throughout; values are truncated (never rounded up),
//! so a figure shown never looks better than the one judged.

use sla_protocol::aggregate::{EpochVerdict, Metric, MetricVerdict, SlaTerms};

const WEI_PER_ETH: u128 = 1_000_000_000_000_000_000;

/// Wei as ETH with every significant decimal: `300000000000000000` → `0.3 ETH`.
pub fn eth(wei: u128) -> String {
    let (whole, frac) = (wei / WEI_PER_ETH, wei % WEI_PER_ETH);
    if frac == 0 {
        return format!("{whole} ETH");
    }
    let digits = format!("{frac:018}");
    format!("{whole}.{} ETH", digits.trim_end_matches('0'))
}

/// Basis points as a percentage with two decimals: `9995` → `99.95 %`.
pub fn percent(bps: u64) -> String {
    format!("{}.{:02} %", bps / 100, bps % 100)
}

/// Microseconds as µs below a millisecond, else milliseconds with one decimal (truncated).
pub fn latency(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else {
        format!("{}.{} ms", us / 1_000, us % 1_000 / 100)
    }
}

/// Bytes per second in decimal units with one decimal (truncated): `1234567` → `1.2 MB/s`.
pub fn speed(bps: u64) -> String {
    format!("{}/s", bytes(bps))
}

/// Bytes in decimal units with one decimal (truncated).
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1_000_000_000_000, "TB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1_000, "kB"),
    ];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{}.{} {unit}", n / size, n % size * 10 / size);
        }
    }
    format!("{n} B")
}

/// A duration in its two largest units: `3h 20min`, `45 s`, `30 days`.
pub fn duration_s(s: u64) -> String {
    match s {
        0..=59 => format!("{s} s"),
        60..=3_599 if s.is_multiple_of(60) => format!("{} min", s / 60),
        60..=3_599 => format!("{} min {} s", s / 60, s % 60),
        3_600..=86_399 if s.is_multiple_of(3_600) => format!("{} h", s / 3_600),
        3_600..=86_399 => format!("{} h {} min", s / 3_600, s % 3_600 / 60),
        _ if s.is_multiple_of(86_400) => format!("{} days", s / 86_400),
        _ => format!("{} days {} h", s / 86_400, s % 86_400 / 3_600),
    }
}

/// A metric's name in words.
pub fn metric_name(metric: Metric) -> &'static str {
    match metric {
        Metric::ReadLatency => "mean read latency",
        Metric::WriteLatency => "mean write latency",
        Metric::Upload => "upload speed",
        Metric::Download => "download speed",
        Metric::Uptime => "uptime",
        Metric::ErrorRate => "error rate",
    }
}

/// The threshold of an enforced term, and whether a value must stay at most (`≤`) or at least
/// (`≥`) it; `None` when the term is not enforced.
pub fn threshold(terms: &SlaTerms, metric: Metric) -> Option<(u64, Bound)> {
    let (value, bound) = match metric {
        Metric::ReadLatency => (u64::from(terms.max_read_latency_us), Bound::AtMost),
        Metric::WriteLatency => (u64::from(terms.max_write_latency_us), Bound::AtMost),
        Metric::Upload => (terms.min_upload_bps, Bound::AtLeast),
        Metric::Download => (terms.min_download_bps, Bound::AtLeast),
        Metric::Uptime => (u64::from(terms.min_uptime_bps), Bound::AtLeast),
        Metric::ErrorRate => {
            let max = u64::from(terms.max_error_rate_bps);
            // 10000 (100 %) is the contract's "not enforced".
            return (max < 10_000).then_some((max, Bound::AtMost));
        }
    };
    (value > 0).then_some((value, bound))
}

/// Which side of a threshold complies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The value complies when it is at most the threshold.
    AtMost,
    /// The value complies when it is at least the threshold.
    AtLeast,
}

impl Bound {
    /// `≤` or `≥`.
    pub fn symbol(self) -> &'static str {
        match self {
            Bound::AtMost => "≤",
            Bound::AtLeast => "≥",
        }
    }

    /// The symbol of a value that breaks the bound: `>` or `<`.
    pub fn broken(self) -> &'static str {
        match self {
            Bound::AtMost => ">",
            Bound::AtLeast => "<",
        }
    }
}

/// A metric's value in its unit.
pub fn value(metric: Metric, v: u64) -> String {
    match metric {
        Metric::ReadLatency | Metric::WriteLatency => latency(v),
        Metric::Upload | Metric::Download => speed(v),
        Metric::Uptime | Metric::ErrorRate => percent(v),
    }
}

/// Every enforced term in words, then how often each side reports and the penalty.
pub fn terms(terms: &SlaTerms) -> Vec<String> {
    let mut out = Vec::new();
    for metric in Metric::ALL {
        let Some((limit, bound)) = threshold(terms, metric) else {
            continue;
        };
        let mut line = format!(
            "{} {} {}",
            metric_name(metric),
            bound.symbol(),
            value(metric, limit)
        );
        match metric {
            Metric::Upload | Metric::Download => {
                line += &format!(" for objects up to {}", bytes(terms.speed_size_bound));
            }
            Metric::Uptime => {
                line += &format!(" over {}", duration_s(u64::from(terms.uptime_window)));
            }
            _ => {}
        }
        out.push(line);
    }
    if out.is_empty() {
        out.push("no term enforced: results are informational".to_owned());
    }
    out.push(format!(
        "each side reports at least every {}",
        duration_s(u64::from(terms.reporting_interval))
    ));
    out.push(format!(
        "penalty {} per violating epoch",
        eth(terms.penalty_per_epoch)
    ));
    out
}

/// One metric's verdict in words, from its numbers: `uptime 99.91 % over 30 days < 99.95 %:
/// violated`. `None` for a metric that is not enforced.
pub fn metric_verdict(terms: &SlaTerms, m: &MetricVerdict) -> Option<String> {
    let (limit, bound) = threshold(terms, m.metric)?;
    let name = metric_name(m.metric);
    let over = if m.metric == Metric::Uptime {
        format!(" over {}", duration_s(u64::from(terms.uptime_window)))
    } else {
        String::new()
    };
    if !m.has_evidence {
        return Some(format!("{name}: no samples, not judged"));
    }
    let shown = value(m.metric, m.value);
    let limit = value(m.metric, limit);
    Some(if m.violated {
        format!("{name} {shown}{over} {} {limit}: violated", bound.broken())
    } else if m.disputed {
        format!(
            "{name} {shown}{over} {} {limit}: met (the consumer's view breaches it: disputed)",
            bound.symbol()
        )
    } else {
        format!("{name} {shown}{over} {} {limit}: met", bound.symbol())
    })
}

/// A whole verdict in words: each enforced metric, then the penalty.
pub fn verdict(terms: &SlaTerms, v: &EpochVerdict) -> Vec<String> {
    let mut out: Vec<String> = v
        .metrics
        .iter()
        .filter_map(|m| metric_verdict(terms, m))
        .collect();
    out.push(if v.violations != 0 && v.waived_pct == 100 {
        "waived in full by the penalty policy (its grace, or a rule that only warns): no penalty"
            .to_owned()
    } else if v.violations != 0 && v.waived_pct != 0 {
        format!(
            "penalty {} ({} % of the epoch's penalty: the policy's tier or metric rule)",
            eth(v.penalty_wei),
            100 - u16::from(v.waived_pct)
        )
    } else if v.violations != 0 {
        format!("penalty {}", eth(v.penalty_wei))
    } else if v.is_no_data() {
        "no data from either side: no penalty".to_owned()
    } else {
        "every enforced term met: no penalty".to_owned()
    });
    out
}

/// A penalty policy in words: each metric's tiers (in the metric's unit), then the grace.
pub fn policy(policy: &sla_protocol::policy::Policy) -> Vec<String> {
    let mut out = Vec::new();
    for metric in Metric::ALL {
        let tiers: Vec<String> = policy.tiers[metric.index()]
            .iter()
            .take_while(|t| t.share_pct != 0)
            .map(|t| {
                let reach = match metric {
                    Metric::Upload | Metric::Download | Metric::Uptime => "at least",
                    _ => "at most",
                };
                format!("{reach} {}: {} %", value(metric, t.bound), t.share_pct)
            })
            .collect();
        if !tiers.is_empty() {
            out.push(format!(
                "{} violated: {}; beyond: 100 % of the penalty",
                metric.as_str().replace('_', " "),
                tiers.join(", ")
            ));
        }
    }
    if policy.grace_epochs != 0 {
        out.push(format!(
            "the first {} violating epoch(s) of any {} cost nothing",
            policy.grace_epochs, policy.grace_window_epochs
        ));
    }
    if out.is_empty() {
        out.push("no tiers and no grace: every violating epoch costs the whole penalty".into());
    }
    out.push(policy.maintenance_text());
    out.extend(
        policy
            .used_rules()
            .map(|r| format!("metric rule: {}", r.text())),
    );
    out
}

/// The metrics whose bits are set in `violations`, by name.
pub fn violated(violations: u8) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Metric::ALL
        .iter()
        .filter(|m| violations & m.bit() != 0)
        .map(|m| m.as_str())
        .collect();
    if violations & sla_protocol::policy::VIOLATION_RULES != 0 {
        names.push("metric_rules");
    }
    names
}

/// One metric rule's verdict in words: `metric rule disk_free_bp mean ≥ 1000 (50 % of the
/// penalty): 1266 on the provider's samples, kept`.
pub fn rule_verdict(r: &sla_protocol::policy::RuleVerdict) -> String {
    use sla_protocol::aggregate::EvidenceSource;
    let rule = r.rule.text();
    let Some(value) = r.value else {
        return format!(
            "metric rule {rule}: no sample of {} this epoch, not judged",
            r.rule.gauge.text()
        );
    };
    let source = match r.source {
        EvidenceSource::Consumer => "the consumer's",
        _ => "the provider's",
    };
    let outcome = if r.violated { "violated" } else { "kept" };
    format!("metric rule {rule}: {value} on {source} samples, {outcome}")
}

/// Unix ms as a UTC date and time: `2026-12-03 13:45:02 UTC`.
pub fn utc(ms: u64) -> String {
    let [y, mo, d, h, mi, s] = sla_runtime::utc_parts(ms / 1_000);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// How long ago `then_ms` was at `now_ms`: `45 s ago`.
pub fn ago(then_ms: u64, now_ms: u64) -> String {
    format!("{} ago", duration_s(now_ms.saturating_sub(then_ms) / 1_000))
}

/// A gauge's value in its unit, in words: `61500` millicelsius → `61.5 °C`.
pub fn gauge(unit: sla_protocol::gauge::GaugeUnit, v: i64) -> String {
    use sla_protocol::gauge::GaugeUnit as U;
    let thousandths = |v: i64, unit: &str| {
        let sign = if v < 0 { "-" } else { "" };
        let a = v.unsigned_abs();
        match a % 1_000 {
            0 => format!("{sign}{} {unit}", a / 1_000),
            f => format!(
                "{sign}{}.{} {unit}",
                a / 1_000,
                format!("{f:03}").trim_end_matches('0')
            ),
        }
        .trim_end()
        .to_string()
    };
    let unsigned = |v: i64, f: fn(u64) -> String| match u64::try_from(v) {
        Ok(v) => f(v),
        Err(_) => v.to_string(),
    };
    match unit {
        U::Bytes => unsigned(v, bytes),
        U::BytesPerS => unsigned(v, speed),
        U::Bp => unsigned(v, percent),
        U::Millicores => thousandths(v, "cores"),
        U::Milli => thousandths(v, ""),
        U::Millicelsius => thousandths(v, "°C"),
        U::Milliwatts => thousandths(v, "W"),
        U::Seconds => unsigned(v, duration_s),
        U::Millis => format!("{v} ms"),
        U::Micros => unsigned(v, latency),
        U::HashesPerS => format!("{v} H/s"),
        U::Blocks => format!("{v} blocks"),
        U::Bool => (if v != 0 { "yes" } else { "no" }).to_string(),
        U::Version => format!("{}.{}.{}", v / 1_000_000, v / 1_000 % 1_000, v % 1_000),
        U::Count | U::Unspecified => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_rules_read_as_sentences() {
        use sla_protocol::aggregate::EvidenceSource;
        use sla_protocol::policy::{GaugeName, MetricRule, RuleVerdict};
        let rule = MetricRule {
            gauge: GaugeName::try_from("gpu0.temp_millicelsius").unwrap(),
            aggregation: 5,
            comparator: 2,
            level: 85_000,
            threshold: 5,
            share_pct: 25,
        };
        let verdict = |value, violated| RuleVerdict {
            index: 0,
            rule,
            source: EvidenceSource::Provider,
            value,
            violated,
        };
        assert_eq!(
            rule_verdict(&verdict(Some(7), true)),
            "metric rule gpu0.temp_millicelsius slots above 85000 ≤ 5 (25 % of the penalty): 7 on the provider's samples, violated"
        );
        assert_eq!(
            rule_verdict(&verdict(None, false)),
            "metric rule gpu0.temp_millicelsius slots above 85000 ≤ 5 (25 % of the penalty): no sample of gpu0.temp_millicelsius this epoch, not judged"
        );
        assert_eq!(violated(0x50), ["uptime", "metric_rules"]);
    }

    #[test]
    fn amounts_and_ratios_read_as_people_write_them() {
        assert_eq!(eth(300_000_000_000_000_000), "0.3 ETH");
        assert_eq!(eth(1_000_000_000_000_000_000), "1 ETH");
        assert_eq!(eth(1), "0.000000000000000001 ETH");
        assert_eq!(percent(9_995), "99.95 %");
        assert_eq!(percent(5), "0.05 %");
        assert_eq!(latency(50_000), "50.0 ms");
        assert_eq!(latency(999), "999 µs");
        assert_eq!(speed(1_234_567), "1.2 MB/s");
        assert_eq!(duration_s(2_592_000), "30 days");
        assert_eq!(duration_s(12_000), "3 h 20 min");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_300_702_000), "2026-12-03 12:25:02 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn gauges_are_said_in_their_units() {
        use sla_protocol::gauge::GaugeUnit as U;
        assert_eq!(gauge(U::Millicelsius, 61_500), "61.5 °C");
        assert_eq!(gauge(U::Millicelsius, -500), "-0.5 °C");
        assert_eq!(gauge(U::Millicores, 2_000), "2 cores");
        assert_eq!(gauge(U::Milli, 1_250), "1.25");
        assert_eq!(gauge(U::Bp, 9_995), "99.95 %");
        assert_eq!(gauge(U::Bytes, 1_500_000), "1.5 MB");
        assert_eq!(gauge(U::Bytes, -1), "-1");
        assert_eq!(gauge(U::Version, 10_001_004), "10.1.4");
        assert_eq!(gauge(U::Bool, 1), "yes");
    }
}
