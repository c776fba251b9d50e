//! The probe agent's configuration file (TOML, or JSON when the file name ends in `.json`);
//! documented field by field in `docs/cli.md`. Relative paths are relative to the file's folder.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Deserializer};
use sla_protocol::{Deployment, Role, MAX_PERIOD_MS};

use super::checks::ChecksConfig;
use super::gauges::GaugesConfig;
use crate::keyfile;

/// Largest object the agent will write (it holds objects in memory): 1 GiB.
pub const MAX_OBJECT_BYTES: u64 = 1 << 30;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// The allocation (data unit) id the reports are about.
    pub data_unit: u64,
    /// Which party of the data unit this agent reports as: `consumer` or `provider`.
    pub role: RoleName,
    /// The ed25519 reporter key file (`sla key generate`), registered on chain by that party.
    pub key_file: PathBuf,
    /// Base URL of the ingest API, e.g. `http://127.0.0.1:8080`.
    pub ingest_url: String,
    /// The spool: a SQLite file of this agent's own (created if missing).
    pub spool: PathBuf,
    /// A deployment file from `sla-deploy` (chain id and contract the reports are bound to)…
    #[serde(default)]
    pub deployment: Option<PathBuf>,
    /// …or the chain id and contract address directly.
    #[serde(default)]
    pub chain_id: Option<u64>,
    /// The contract address (hex), given with `chain_id`.
    #[serde(default)]
    pub contract: Option<String>,
    /// Time between the starts of two measurement rounds (default `60s`).
    #[serde(default = "default_probe_interval")]
    pub probe_interval: Interval,
    /// Time between two reports, at most 24 h (default `1h`).
    #[serde(default = "default_report_interval")]
    pub report_interval: Interval,
    /// Most records in one report; more are split over several reports (default 5000).
    #[serde(default = "default_max_records")]
    pub max_records_per_report: usize,
    /// The storage endpoint under test, if any (a configuration has storage, checks or both).
    #[serde(default)]
    pub storage: Option<StorageConfig>,
    /// Checks beyond storage (`[[checks.http_content]]`, …; see `checks/config.rs`).
    #[serde(default)]
    pub checks: ChecksConfig,
    /// Gauges sampled each round (`[gauges]`), if any.
    #[serde(default)]
    pub gauges: Option<GaugesConfig>,
    /// Delivery to the ingest API.
    #[serde(default)]
    pub delivery: DeliveryConfig,
}

/// `consumer` or `provider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    /// The allocation's consumer.
    Consumer,
    /// The allocation's provider.
    Provider,
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Role {
        match role {
            RoleName::Consumer => Role::Consumer,
            RoleName::Provider => Role::Provider,
        }
    }
}

/// The storage endpoint: HTTP PUT, GET and DELETE of objects under a base URL (WebDAV).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Base URL (a collection); objects are written below it, e.g. `http://host/dav/probe/`.
    pub url: String,
    /// Size of the object of the write and read operations, bytes (default 4096).
    #[serde(default = "default_small")]
    pub small_object_bytes: u64,
    /// Sizes of the objects of the upload and download operations, bytes (default `[1048576]`).
    #[serde(default = "default_upload_sizes")]
    pub upload_sizes: Vec<u64>,
    /// Timeout of one operation (default `30s`).
    #[serde(default = "default_storage_timeout")]
    pub timeout: Interval,
    /// Prefix of object names (default `sla-probe-`); letters, digits, `.`, `_` and `-`.
    #[serde(default = "default_prefix")]
    pub object_prefix: String,
    /// HTTP basic auth user name, if the endpoint needs one.
    #[serde(default)]
    pub username: Option<String>,
    /// Environment variable holding the basic auth password (never the password itself).
    #[serde(default)]
    pub password_env: Option<String>,
}

/// How reports are delivered.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Timeout of one request to the ingest API (default `10s`).
    #[serde(default = "default_delivery_timeout")]
    pub timeout: Interval,
    /// First wait after a failed delivery (default `1s`); doubles after each failure…
    #[serde(default = "default_retry_initial")]
    pub retry_initial: Interval,
    /// …up to this (default `60s`).
    #[serde(default = "default_retry_max")]
    pub retry_max: Interval,
    /// On shutdown, how long to keep delivering what is spooled (default `5s`).
    #[serde(default = "default_shutdown_grace")]
    pub shutdown_grace: Interval,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            timeout: default_delivery_timeout(),
            retry_initial: default_retry_initial(),
            retry_max: default_retry_max(),
            shutdown_grace: default_shutdown_grace(),
        }
    }
}

fn default_probe_interval() -> Interval {
    Interval(Duration::from_secs(60))
}
fn default_report_interval() -> Interval {
    Interval(Duration::from_secs(3600))
}
fn default_max_records() -> usize {
    5000
}
fn default_small() -> u64 {
    4096
}
fn default_upload_sizes() -> Vec<u64> {
    vec![1 << 20]
}
fn default_storage_timeout() -> Interval {
    Interval(Duration::from_secs(30))
}
fn default_prefix() -> String {
    "sla-probe-".into()
}
fn default_delivery_timeout() -> Interval {
    Interval(Duration::from_secs(10))
}
fn default_retry_initial() -> Interval {
    Interval(Duration::from_secs(1))
}
fn default_retry_max() -> Interval {
    Interval(Duration::from_secs(60))
}
fn default_shutdown_grace() -> Interval {
    Interval(Duration::from_secs(5))
}

/// A duration written `250ms`, `30s`, `5m`, `1h`, `1d`, or a bare number of seconds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub Duration);

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl Interval {
    /// Parses `250ms`, `30s`, `5m`, `1h`, `1d` or a bare number of seconds; the error says why
    /// not (unknown unit, too long).
    pub fn parse(s: &str) -> Result<Interval, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let n: u64 = number
            .parse()
            .map_err(|_| format!("{s:?} is not a duration (e.g. 500ms, 30s, 5m, 1h)"))?;
        let ms = match unit.trim() {
            "ms" => Some(n),
            "" | "s" => n.checked_mul(1000),
            "m" => n.checked_mul(60_000),
            "h" => n.checked_mul(3_600_000),
            "d" => n.checked_mul(86_400_000),
            other => return Err(format!("unknown unit {other:?} in duration {s:?}")),
        }
        .ok_or_else(|| format!("duration {s:?} is too long"))?;
        Ok(Interval(Duration::from_millis(ms)))
    }

    /// The duration in milliseconds.
    pub fn as_millis(&self) -> u64 {
        self.0.as_millis() as u64
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Seconds(s) => Ok(Interval(Duration::from_secs(s))),
            Raw::Text(t) => Interval::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// What a report is bound to and who signs it, read from the configuration's files.
#[derive(Debug, Clone)]
pub struct Reporter {
    /// The chain id and contract the reports are signed for.
    pub deployment: Deployment,
    /// The party the agent reports as.
    pub role: Role,
    /// The data unit (allocation id) the reports are about.
    pub data_unit: u64,
    /// The ed25519 reporter key that signs the reports.
    pub key: SigningKey,
}

impl Reporter {
    /// The reporter key's public half, as registered on chain.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }
}

/// The rules of `[storage]`; adds the trailing `/` that makes its URL a collection.
fn validate_storage(s: &mut StorageConfig) -> anyhow::Result<()> {
    if !s.url.ends_with('/') {
        s.url.push('/');
    }
    let url = reqwest::Url::parse(&s.url).context("storage.url")?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("storage.url must be an http or https URL");
    }
    for size in std::iter::once(s.small_object_bytes).chain(s.upload_sizes.iter().copied()) {
        if size == 0 || size > MAX_OBJECT_BYTES {
            bail!("object sizes must be 1 byte to 1 GiB, got {size}");
        }
    }
    if s.timeout.0.is_zero() {
        bail!("storage.timeout must be positive");
    }
    let prefix_ok = s
        .object_prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !prefix_ok {
        bail!("storage.object_prefix may hold letters, digits, '.', '_' and '-' only");
    }
    Ok(())
}

impl ProbeConfig {
    /// Reads, parses (by extension), resolves relative paths and validates a configuration file.
    pub fn load(path: &Path) -> anyhow::Result<ProbeConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading probe config {}", path.display()))?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut config: ProbeConfig = if is_json {
            serde_json::from_str(&text)
                .with_context(|| format!("probe config {}", path.display()))?
        } else {
            toml::from_str(&text).with_context(|| format!("probe config {}", path.display()))?
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut config.key_file);
        resolve(&mut config.spool);
        if let Some(d) = config.deployment.as_mut() {
            resolve(d);
        }
        config
            .validate()
            .with_context(|| format!("probe config {}", path.display()))?;
        Ok(config)
    }

    /// The rules of the fields that serde cannot express.
    pub fn validate(&mut self) -> anyhow::Result<()> {
        if self.probe_interval.0.is_zero() {
            bail!("probe_interval must be positive");
        }
        let report_ms = self.report_interval.as_millis();
        if report_ms == 0 || report_ms > MAX_PERIOD_MS {
            bail!("report_interval must be positive and at most 24h");
        }
        if self.max_records_per_report == 0
            || self.max_records_per_report > sla_protocol::codec::MAX_RECORDS as usize
        {
            bail!("max_records_per_report must be 1..=100000");
        }
        let gauges = self.gauges.as_ref().filter(|g| !g.is_empty());
        if self.storage.is_none() && self.checks.is_empty() && gauges.is_none() {
            bail!("nothing to measure: configure [storage], [checks], [gauges] or several");
        }
        self.checks.validate()?;
        if let Some(g) = gauges {
            g.validate()?;
        }
        if let Some(s) = self.storage.as_mut() {
            validate_storage(s)?;
        }
        reqwest::Url::parse(&self.ingest_url).context("ingest_url")?;
        let d = &self.delivery;
        if d.timeout.0.is_zero() || d.retry_initial.0.is_zero() || d.retry_max.0 < d.retry_initial.0
        {
            bail!(
                "delivery: timeout and retry_initial must be positive, retry_max >= retry_initial"
            );
        }
        match (&self.deployment, self.chain_id, &self.contract) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => bail!("give either `deployment` (a file) or both `chain_id` and `contract`"),
        }
        Ok(())
    }

    /// The deployment the reports are bound to.
    pub fn deployment(&self) -> anyhow::Result<Deployment> {
        if let Some(path) = &self.deployment {
            return Ok(sla_contracts::DeploymentFile::read(path)?.deployment());
        }
        let text = self.contract.as_deref().unwrap_or_default();
        let mut contract = [0u8; 20];
        hex::decode_to_slice(text.strip_prefix("0x").unwrap_or(text), &mut contract)
            .map_err(|_| anyhow::anyhow!("contract {text:?} is not a 20-byte hex address"))?;
        Ok(Deployment {
            chain_id: self.chain_id.unwrap_or_default(),
            contract,
        })
    }

    /// The reporter: deployment, role, data unit and the key read from `key_file`.
    pub fn reporter(&self) -> anyhow::Result<Reporter> {
        if keyfile::too_open(&self.key_file) {
            tracing::warn!(
                file = %self.key_file.display(),
                "the reporter key file is readable by others; chmod 600 it"
            );
        }
        Ok(Reporter {
            deployment: self.deployment()?,
            role: self.role.into(),
            data_unit: self.data_unit,
            key: keyfile::read(&self.key_file)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_in_every_unit() {
        assert_eq!(
            Interval::parse("250ms").unwrap().0,
            Duration::from_millis(250)
        );
        assert_eq!(Interval::parse("30s").unwrap().0, Duration::from_secs(30));
        assert_eq!(Interval::parse("30").unwrap().0, Duration::from_secs(30));
        assert_eq!(Interval::parse("5m").unwrap().0, Duration::from_secs(300));
        assert_eq!(Interval::parse("1h").unwrap().0, Duration::from_secs(3600));
        assert_eq!(
            Interval::parse("1d").unwrap().0,
            Duration::from_secs(86_400)
        );
        assert!(Interval::parse("1w").is_err());
        assert!(Interval::parse("s").is_err());
    }

    #[test]
    fn toml_and_json_configs_load_with_defaults_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("probe.toml");
        std::fs::write(
            &toml_path,
            r#"
data_unit = 7
role = "consumer"
key_file = "reporter.key"
ingest_url = "http://127.0.0.1:8080"
spool = "spool.sqlite"
chain_id = 31337
contract = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
report_interval = "10m"

[storage]
url = "http://127.0.0.1:8081/dav"
upload_sizes = [65536, 1048576]
"#,
        )
        .unwrap();
        let config = ProbeConfig::load(&toml_path).unwrap();
        assert_eq!(config.spool, dir.path().join("spool.sqlite"));
        assert_eq!(
            config.storage.as_ref().unwrap().url,
            "http://127.0.0.1:8081/dav/"
        );
        assert_eq!(config.report_interval.0, Duration::from_secs(600));
        assert_eq!(config.probe_interval.0, Duration::from_secs(60));
        assert_eq!(config.deployment().unwrap().chain_id, 31337);

        let json_path = dir.path().join("probe.json");
        std::fs::write(
            &json_path,
            r#"{"data_unit": 1, "role": "provider", "key_file": "/k", "ingest_url": "http://x",
                "spool": "s", "chain_id": 1, "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
                "report_interval": "25h", "storage": {"url": "http://y/"}}"#,
        )
        .unwrap();
        let err = format!("{:#}", ProbeConfig::load(&json_path).unwrap_err());
        assert!(err.contains("at most 24h"), "{err}");
    }

    #[test]
    fn checks_alone_are_enough_but_something_must_be_measured() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("probe.toml");
        let head = r#"
data_unit = 7
role = "consumer"
key_file = "reporter.key"
ingest_url = "http://127.0.0.1:8080"
spool = "spool.sqlite"
chain_id = 31337
contract = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
"#;
        std::fs::write(&path, head).unwrap();
        let err = format!("{:#}", ProbeConfig::load(&path).unwrap_err());
        assert!(err.contains("nothing to measure"), "{err}");

        let checks = "[[checks.compute]]\nname = \"cpu\"\niterations = 10\n";
        std::fs::write(&path, format!("{head}{checks}")).unwrap();
        let config = ProbeConfig::load(&path).unwrap();
        assert!(config.storage.is_none());
        assert_eq!(config.checks.compute[0].name, "cpu");
    }
}
