//! Gauges from a Prometheus exporter: one scrape per round of `url`, each configured series
//! (a metric name and label matchers) mapped to a gauge, scaled exactly (`mapping.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;
use sla_protocol::gauge::GaugeUnit;

use super::decimal::Decimal;
use super::exposition::{self, Series, Value};
use super::http::get_bounded;
use super::mapping::{self, Mapping, ScaleText};
use super::{
    presets, Failure, Sample, ERR_AMBIGUOUS, ERR_FORMAT, ERR_MISSING, ERR_NOT_A_NUMBER, ERR_RANGE,
};
use crate::probe::config::Interval;

/// A `[[gauges.prometheus]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    /// A name for logs and error details.
    pub name: String,
    /// The exporter's metrics URL, e.g. `http://127.0.0.1:9100/metrics`.
    pub url: String,
    /// The whole scrape's time limit (default `5s`).
    #[serde(default = "default_timeout")]
    pub timeout: Interval,
    /// A shipped set of series (`cli/agent-presets/`), added before `series`.
    #[serde(default)]
    pub preset: Option<String>,
    /// The series to map.
    #[serde(default)]
    pub series: Vec<SeriesConfig>,
}

fn default_timeout() -> Interval {
    Interval(Duration::from_secs(5))
}

/// How several matching series become one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// The exact sum of the values, then scaled.
    Sum,
    /// The largest scaled value.
    Max,
    /// The smallest scaled value.
    Min,
}

/// A `[[gauges.prometheus.series]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesConfig {
    /// The Prometheus metric name.
    pub metric: String,
    /// Label matchers: a series matches when it has each of these labels with exactly this value.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Our gauge name; its unit suffix must be `unit`.
    pub gauge: String,
    /// The unit word (`GaugeUnit::parse`).
    pub unit: String,
    /// The multiplier (default 1).
    #[serde(default)]
    pub scale: Option<ScaleText>,
    /// How several matching series combine (default: more than one is a failure).
    #[serde(default)]
    pub aggregate: Option<Aggregate>,
    /// Take the value from this label (a version `a.b.c`) instead of the sample value.
    #[serde(default)]
    pub from_label: Option<String>,
}

/// A checked series mapping.
#[derive(Debug, Clone)]
struct SeriesMapping {
    metric: String,
    labels: Vec<(String, String)>,
    mapping: Mapping,
    aggregate: Option<Aggregate>,
    from_label: Option<String>,
}

/// A checked exporter.
#[derive(Debug)]
pub struct PrometheusSource {
    /// The configured name.
    pub name: String,
    url: reqwest::Url,
    /// The scrape's time limit.
    pub timeout: Duration,
    series: Vec<SeriesMapping>,
}

impl PrometheusSource {
    /// Checks the table at `field` (with its preset's series first).
    pub fn new(config: &PrometheusConfig, field: &str) -> anyhow::Result<PrometheusSource> {
        let url = super::http::check_source(field, &config.name, &config.url, config.timeout.0)?;
        let preset_series;
        let mut all: Vec<(String, &SeriesConfig)> = Vec::new();
        if let Some(preset) = &config.preset {
            preset_series =
                presets::prometheus_series(preset).with_context(|| format!("{field}.preset"))?;
            for (i, s) in preset_series.iter().enumerate() {
                all.push((format!("{field}.preset {preset:?} series[{i}]"), s));
            }
        }
        for (i, s) in config.series.iter().enumerate() {
            all.push((format!("{field}.series[{i}]"), s));
        }
        if all.is_empty() {
            bail!("{field}: give `series` (or a `preset`): nothing to map");
        }
        let series = all
            .into_iter()
            .map(|(f, s)| check_series(&f, s))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(PrometheusSource {
            name: config.name.clone(),
            url,
            timeout: config.timeout.0,
            series,
        })
    }

    /// The gauges this exporter feeds.
    pub fn gauges(&self) -> Vec<String> {
        self.series
            .iter()
            .map(|s| s.mapping.gauge.clone())
            .collect()
    }

    /// One scrape; every mapped series gives a sample or a failure.
    pub async fn sample(&self, http: &reqwest::Client) -> Vec<Sample> {
        let scraped = match get_bounded(http, &self.url, &Default::default()).await {
            Ok(body) => match String::from_utf8(body) {
                Ok(text) => text,
                Err(_) => {
                    return self
                        .all_failed(&Failure::new(ERR_FORMAT, "not Prometheus text: not UTF-8"))
                }
            },
            Err(failure) => return self.all_failed(&failure),
        };
        let series = match exposition::parse(&scraped) {
            Ok(series) => series,
            Err(why) => {
                return self.all_failed(&Failure::new(
                    ERR_FORMAT,
                    format!("not Prometheus text: {why}"),
                ));
            }
        };
        self.series
            .iter()
            .map(|m| (m.mapping.gauge.clone(), m.value(&series)))
            .collect()
    }

    fn all_failed(&self, failure: &Failure) -> Vec<Sample> {
        self.gauges()
            .into_iter()
            .map(|g| (g, Err(failure.clone())))
            .collect()
    }
}

fn check_series(field: &str, s: &SeriesConfig) -> anyhow::Result<SeriesMapping> {
    let valid_metric = s.metric.bytes().enumerate().all(|(i, c)| {
        c.is_ascii_alphabetic() || c == b'_' || c == b':' || (i > 0 && c.is_ascii_digit())
    });
    if s.metric.is_empty() || !valid_metric {
        bail!(
            "{field}.metric: {:?} is not a Prometheus metric name",
            s.metric
        );
    }
    let mapping = mapping::resolve(field, &s.gauge, &s.unit, s.scale.as_ref())?;
    if s.from_label.is_some() {
        if mapping.unit != GaugeUnit::Version {
            bail!("{field}.from_label: only a version gauge (unit \"version\") takes its value from a label");
        }
        if s.scale.is_some() || s.aggregate.is_some() {
            bail!("{field}.from_label: a version gauge has no scale and no aggregate");
        }
    }
    Ok(SeriesMapping {
        metric: s.metric.clone(),
        labels: s
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        mapping,
        aggregate: s.aggregate,
        from_label: s.from_label.clone(),
    })
}

impl SeriesMapping {
    fn describe(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        if labels.is_empty() {
            self.metric.clone()
        } else {
            format!("{}{{{}}}", self.metric, labels.join(","))
        }
    }

    fn value(&self, scraped: &[Series<'_>]) -> Result<i64, Failure> {
        let matched: Vec<&Series<'_>> = scraped
            .iter()
            .filter(|s| {
                s.name == self.metric
                    && self
                        .labels
                        .iter()
                        .all(|(k, v)| s.label(k) == Some(v.as_str()))
            })
            .collect();
        match (matched.len(), self.aggregate) {
            (0, _) => Err(Failure::new(
                ERR_MISSING,
                format!("series missing: {}", self.describe()),
            )),
            (1, _) => self.one(matched[0]),
            (n, None) => Err(Failure::new(
                ERR_AMBIGUOUS,
                format!(
                    "ambiguous: {n} series match {}; add labels or an aggregate",
                    self.describe()
                ),
            )),
            (_, Some(Aggregate::Sum)) => {
                let mut sum = Decimal::ZERO;
                for s in &matched {
                    let Value::Number(v) = s.value else {
                        return Err(self.not_finite());
                    };
                    sum = sum.checked_add(v).ok_or_else(|| {
                        Failure::new(
                            ERR_RANGE,
                            format!("value out of range: the sum of {}", self.describe()),
                        )
                    })?;
                }
                self.mapping.scale_exact(sum)
            }
            (_, Some(agg)) => {
                let values = matched
                    .iter()
                    .map(|s| self.one(s))
                    .collect::<Result<Vec<i64>, Failure>>()?;
                let pick = if agg == Aggregate::Max {
                    values.into_iter().max()
                } else {
                    values.into_iter().min()
                };
                Ok(pick.expect("at least two series"))
            }
        }
    }

    fn not_finite(&self) -> Failure {
        Failure::new(
            ERR_NOT_A_NUMBER,
            format!("not a finite number (NaN or Inf): {}", self.describe()),
        )
    }

    fn one(&self, s: &Series<'_>) -> Result<i64, Failure> {
        if let Some(label) = &self.from_label {
            let text = s.label(label).ok_or_else(|| {
                Failure::new(
                    ERR_MISSING,
                    format!("label {label:?} missing on {}", self.describe()),
                )
            })?;
            return mapping::parse_version(text).ok_or_else(|| {
                Failure::new(
                    ERR_NOT_A_NUMBER,
                    format!(
                        "label {label}={text:?} of {} is not a version a.b.c",
                        self.metric
                    ),
                )
            });
        }
        match s.value {
            Value::Number(v) => self.mapping.scale_exact(v),
            Value::NotFinite => Err(self.not_finite()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(series_toml: &str) -> PrometheusSource {
        let config: PrometheusConfig = toml::from_str(&format!(
            "name = \"x\"\nurl = \"http://127.0.0.1:1/metrics\"\n{series_toml}"
        ))
        .unwrap();
        PrometheusSource::new(&config, "gauges.prometheus[0]").unwrap()
    }

    fn values(source: &PrometheusSource, text: &str) -> Vec<Result<i64, Failure>> {
        let scraped = exposition::parse(text).unwrap();
        source.series.iter().map(|m| m.value(&scraped)).collect()
    }

    #[test]
    fn series_are_matched_by_labels_scaled_and_aggregated() {
        let s = source(
            r#"
[[series]]
metric = "temp"
labels = { uuid = "GPU-b" }
gauge = "gpu1.temp_millicelsius"
unit = "millicelsius"
scale = 1000
[[series]]
metric = "temp"
gauge = "gpu.temp_max_millicelsius"
unit = "millicelsius"
scale = 1000
aggregate = "max"
[[series]]
metric = "cpu_seconds_total"
gauge = "cpu.busy_ms_total"
unit = "ms"
scale = 1000
aggregate = "sum"
[[series]]
metric = "temp"
gauge = "gpu.temp_millicelsius"
unit = "millicelsius"
[[series]]
metric = "build_info"
gauge = "node_version"
unit = "version"
from_label = "version"
[[series]]
metric = "absent"
gauge = "absent_count"
unit = "count"
"#,
        );
        let text = "temp{uuid=\"GPU-a\"} 36.6\ntemp{uuid=\"GPU-b\"} 71.25\n\
            cpu_seconds_total{mode=\"user\"} 0.1\ncpu_seconds_total{mode=\"idle\"} 0.2\n\
            build_info{version=\"10.1.4\",revision=\"abc\"} 1\n";
        let v = values(&s, text);
        assert_eq!(v[0], Ok(71_250));
        assert_eq!(v[1], Ok(71_250));
        assert_eq!(v[2], Ok(300), "an exact sum: 0.1 + 0.2 is 0.3");
        assert_eq!(
            v[3].as_ref().unwrap_err().detail,
            "ambiguous: 2 series match temp; add labels or an aggregate"
        );
        assert_eq!(v[4], Ok(10_001_004));
        assert_eq!(v[5].as_ref().unwrap_err().code, ERR_MISSING);

        let v = values(&s, "temp{uuid=\"GPU-b\"} NaN\n");
        assert_eq!(v[0].as_ref().unwrap_err().code, ERR_NOT_A_NUMBER);
    }
}
