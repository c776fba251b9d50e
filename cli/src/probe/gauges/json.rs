//! Gauges from a JSON HTTP endpoint (a miner's or a node's status API): one GET per round, each
//! mapping an RFC 6901 pointer into the document to a gauge. A number or a string holding a
//! decimal is a value; anything else at the pointer is a failure naming the pointer.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

use super::http::get_bounded;
use super::mapping::{self, Mapping, ScaleText};
use super::{Failure, Sample, ERR_FORMAT, ERR_MISSING, ERR_NOT_A_NUMBER};
use crate::probe::config::Interval;

/// A `[[gauges.json]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonConfig {
    /// A name for logs and error details.
    pub name: String,
    /// The URL answering a JSON document.
    pub url: String,
    /// The request's time limit (default `5s`).
    #[serde(default = "default_timeout")]
    pub timeout: Interval,
    /// Extra request headers (e.g. `Authorization`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The values to map.
    #[serde(default)]
    pub mappings: Vec<JsonMappingConfig>,
}

fn default_timeout() -> Interval {
    Interval(Duration::from_secs(5))
}

/// A `[[gauges.json.mappings]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonMappingConfig {
    /// Where the value is: an RFC 6901 JSON pointer (`/hashrate/total/0`).
    pub pointer: String,
    /// Our gauge name; its unit suffix must be `unit`.
    pub gauge: String,
    /// The unit word.
    pub unit: String,
    /// The multiplier (default 1).
    #[serde(default)]
    pub scale: Option<ScaleText>,
}

/// A checked JSON endpoint.
#[derive(Debug)]
pub struct JsonSource {
    /// The configured name.
    pub name: String,
    url: reqwest::Url,
    /// The request's time limit.
    pub timeout: Duration,
    headers: HeaderMap,
    mappings: Vec<(String, Mapping)>,
}

impl JsonSource {
    /// Checks the table at `field`.
    pub fn new(config: &JsonConfig, field: &str) -> anyhow::Result<JsonSource> {
        let url = super::http::check_source(field, &config.name, &config.url, config.timeout.0)?;
        let mut headers = HeaderMap::new();
        for (k, v) in &config.headers {
            let name = HeaderName::try_from(k.as_str())
                .map_err(|_| anyhow::anyhow!("{field}.headers: {k:?} is not a header name"))?;
            let value = HeaderValue::try_from(v.as_str())
                .map_err(|_| anyhow::anyhow!("{field}.headers.{k}: not a valid header value"))?;
            headers.insert(name, value);
        }
        if config.mappings.is_empty() {
            bail!("{field}: give `mappings`: nothing to map");
        }
        let mut mappings = Vec::new();
        for (i, m) in config.mappings.iter().enumerate() {
            let f = format!("{field}.mappings[{i}]");
            if !(m.pointer.is_empty() || m.pointer.starts_with('/')) {
                bail!(
                    "{f}.pointer: {:?} is not a JSON pointer (it starts with '/')",
                    m.pointer
                );
            }
            mappings.push((
                m.pointer.clone(),
                mapping::resolve(&f, &m.gauge, &m.unit, m.scale.as_ref())?,
            ));
        }
        Ok(JsonSource {
            name: config.name.clone(),
            url,
            timeout: config.timeout.0,
            headers,
            mappings,
        })
    }

    /// The gauges this endpoint feeds.
    pub fn gauges(&self) -> Vec<String> {
        self.mappings.iter().map(|(_, m)| m.gauge.clone()).collect()
    }

    /// One request; every mapping gives a sample or a failure.
    pub async fn sample(&self, http: &reqwest::Client) -> Vec<Sample> {
        let document = get_bounded(http, &self.url, &self.headers)
            .await
            .and_then(|body| {
                serde_json::from_slice::<Value>(&body)
                    .map_err(|e| Failure::new(ERR_FORMAT, format!("not JSON: {e}")))
            });
        self.mappings
            .iter()
            .map(|(pointer, m)| {
                let outcome = match &document {
                    Ok(doc) => value_at(doc, pointer, m),
                    Err(failure) => Err(failure.clone()),
                };
                (m.gauge.clone(), outcome)
            })
            .collect()
    }
}

fn value_at(doc: &Value, pointer: &str, m: &Mapping) -> Result<i64, Failure> {
    let value = doc
        .pointer(pointer)
        .ok_or_else(|| Failure::new(ERR_MISSING, format!("no value at {pointer:?}")))?;
    let text = match value {
        // serde_json prints a float as its shortest exact text, an integer exactly.
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        other => {
            let kind = match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Array(_) => "an array",
                _ => "an object",
            };
            return Err(Failure::new(
                ERR_NOT_A_NUMBER,
                format!("at {pointer:?}: expected a number or a numeric string, found {kind}"),
            ));
        }
    };
    m.apply(&text).map_err(|f| {
        if f.code == ERR_NOT_A_NUMBER {
            Failure::new(f.code, format!("at {pointer:?}: {}", f.detail))
        } else {
            f
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_take_numbers_and_numeric_strings_only() {
        let m = mapping::resolve("f", "miner.hashrate_hashes_per_s", "hashes_per_s", None).unwrap();
        let doc: Value = serde_json::from_str(
            r#"{"hashrate": {"total": [1234.56, null]}, "s": " 42 ", "flag": true, "o": {}}"#,
        )
        .unwrap();
        assert_eq!(value_at(&doc, "/hashrate/total/0", &m), Ok(1235));
        assert_eq!(value_at(&doc, "/s", &m), Ok(42));
        let e = value_at(&doc, "/hashrate/total/1", &m).unwrap_err();
        assert_eq!(
            e.detail,
            "at \"/hashrate/total/1\": expected a number or a numeric string, found null"
        );
        assert!(value_at(&doc, "/flag", &m)
            .unwrap_err()
            .detail
            .contains("a boolean"));
        assert_eq!(value_at(&doc, "/nope", &m).unwrap_err().code, ERR_MISSING);
    }
}
