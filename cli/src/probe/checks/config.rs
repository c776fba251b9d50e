//! The `[checks]` table of the probe configuration: arrays of tables, one per check kind
//! (`[[checks.http_content]]`, `[[checks.json_rpc]]`, `[[checks.compute]]`). Documented in
//! `docs/cli.md`, "Checks".

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::probe::config::Interval;

/// Longest check name: the longest record name built from it (`rpc.<name>.reference_blocks`)
/// must fit the format's 64 bytes of a custom metric name.
pub const MAX_NAME_LEN: usize = 40;
/// Most chained SHA-256 iterations of one compute job (about 10 s on one core of a small host),
/// so that the agent's own reference computation stays bounded.
pub const MAX_ITERATIONS: u64 = 50_000_000;

/// Every configured check, by kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Downloads checked against a known SHA-256.
    #[serde(default)]
    pub http_content: Vec<HttpContentConfig>,
    /// JSON-RPC nodes, optionally compared with a reference node.
    #[serde(default)]
    pub json_rpc: Vec<JsonRpcConfig>,
    /// Compute jobs with a known answer, local or at a compute endpoint.
    #[serde(default)]
    pub compute: Vec<ComputeConfig>,
}

/// `[[checks.http_content]]`: GET a URL whose body has a known SHA-256.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpContentConfig {
    /// The check's name, `[a-z0-9_-]`, used in its gauge names.
    pub name: String,
    /// What to download (http or https).
    pub url: String,
    /// SHA-256 of the expected body, 64 hex digits.
    pub sha256: String,
    /// The whole request, to the last byte (default `10s`).
    #[serde(default = "default_timeout")]
    pub timeout: Interval,
    /// Largest body accepted; a longer one is a failure (default 64 MiB).
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
}

/// `[[checks.json_rpc]]`: one JSON-RPC 2.0 call to a node, and its height against a reference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRpcConfig {
    /// The check's name, `[a-z0-9_-]`, used in its gauge names.
    pub name: String,
    /// The node under test.
    pub url: String,
    /// A node of the same chain to compare heights with (only with `eth_blockNumber`).
    #[serde(default)]
    pub reference: Option<String>,
    /// The method called (default `eth_blockNumber`).
    #[serde(default = "default_method")]
    pub method: String,
    /// Its parameters (default `[]`).
    #[serde(default = "default_params")]
    pub params: serde_json::Value,
    /// Most blocks the node may be behind the reference (default 2).
    #[serde(default = "default_max_lag")]
    pub max_lag_blocks: u64,
    /// Each call, to the last byte of the answer (default `10s`).
    #[serde(default = "default_timeout")]
    pub timeout: Interval,
}

/// `[[checks.compute]]`: chained SHA-256 of a seed, run locally or by a compute endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeConfig {
    /// The check's name, `[a-z0-9_-]`, used in its gauge names.
    pub name: String,
    /// Chained SHA-256 iterations of one job, 1..=50 000 000.
    pub iterations: u64,
    /// The compute endpoint (POST); without it the job runs on the agent's host.
    #[serde(default)]
    pub url: Option<String>,
    /// The job, to the answer (default `10s`).
    #[serde(default = "default_timeout")]
    pub timeout: Interval,
}

fn default_timeout() -> Interval {
    Interval(Duration::from_secs(10))
}
fn default_max_bytes() -> u64 {
    64 << 20
}
fn default_method() -> String {
    "eth_blockNumber".into()
}
fn default_params() -> serde_json::Value {
    serde_json::Value::Array(Vec::new())
}
fn default_max_lag() -> u64 {
    2
}

impl ChecksConfig {
    /// Whether no check is configured.
    pub fn is_empty(&self) -> bool {
        self.http_content.is_empty() && self.json_rpc.is_empty() && self.compute.is_empty()
    }

    /// The rules serde cannot express; normalises hex digests to lowercase.
    pub fn validate(&mut self) -> anyhow::Result<()> {
        let mut names = HashSet::new();
        let mut name = |kind: &str, name: &str| -> anyhow::Result<()> {
            check_name(name).with_context(|| format!("checks.{kind}"))?;
            if !names.insert(name.to_owned()) {
                bail!("checks.{kind}: the name {name:?} is used twice");
            }
            Ok(())
        };
        for c in &mut self.http_content {
            name("http_content", &c.name)?;
            let at = || format!("checks.http_content {:?}", c.name);
            check_url(&c.url).with_context(at)?;
            c.sha256 = c.sha256.trim().to_ascii_lowercase();
            if c.sha256.len() != 64 || hex::decode(&c.sha256).is_err() {
                bail!("{}: sha256 must be 64 hex digits", at());
            }
            if c.max_bytes == 0 {
                bail!("{}: max_bytes must be positive", at());
            }
            positive(c.timeout).with_context(at)?;
        }
        for c in &self.json_rpc {
            name("json_rpc", &c.name)?;
            let at = || format!("checks.json_rpc {:?}", c.name);
            check_url(&c.url).with_context(at)?;
            if let Some(reference) = &c.reference {
                check_url(reference).with_context(at)?;
                // Heights are only comparable for the height call itself.
                if c.method != "eth_blockNumber" {
                    bail!("{}: a reference needs method eth_blockNumber", at());
                }
            }
            if c.method.is_empty() {
                bail!("{}: method must not be empty", at());
            }
            if !(c.params.is_array() || c.params.is_object()) {
                bail!("{}: params must be an array or a table", at());
            }
            positive(c.timeout).with_context(at)?;
        }
        for c in &self.compute {
            name("compute", &c.name)?;
            let at = || format!("checks.compute {:?}", c.name);
            if c.iterations == 0 || c.iterations > MAX_ITERATIONS {
                bail!("{}: iterations must be 1..={MAX_ITERATIONS}", at());
            }
            if let Some(url) = &c.url {
                check_url(url).with_context(at)?;
            }
            positive(c.timeout).with_context(at)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-');
    if !ok {
        bail!("name {name:?} must be 1 to {MAX_NAME_LEN} characters of a-z, 0-9, '_' and '-'");
    }
    Ok(())
}

fn check_url(url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("url {url:?}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("url {url:?} must be http or https");
    }
    Ok(())
}

fn positive(timeout: Interval) -> anyhow::Result<()> {
    if timeout.0.is_zero() {
        bail!("timeout must be positive");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<ChecksConfig> {
        let mut c: ChecksConfig = toml::from_str(text)?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn defaults_and_rules() {
        let c = parse(
            r#"
[[http_content]]
name = "index"
url = "http://127.0.0.1/x"
sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"

[[json_rpc]]
name = "node-1"
url = "http://127.0.0.1:8545"
reference = "http://127.0.0.1:8546"

[[compute]]
name = "local"
iterations = 1000
"#,
        )
        .unwrap();
        assert_eq!(c.http_content[0].max_bytes, 64 << 20);
        assert_eq!(c.http_content[0].timeout.0, Duration::from_secs(10));
        assert!(c.http_content[0].sha256.starts_with("e3b0"));
        assert_eq!(c.json_rpc[0].method, "eth_blockNumber");
        assert_eq!(c.json_rpc[0].max_lag_blocks, 2);
        assert!(c.compute[0].url.is_none());

        let bad = |text: &str, why: &str| {
            let err = format!("{:#}", parse(text).unwrap_err());
            assert!(err.contains(why), "{err}");
        };
        bad(
            "[[compute]]\nname = \"Big\"\niterations = 1",
            "a-z, 0-9, '_' and '-'",
        );
        bad(
            "[[compute]]\nname = \"a\"\niterations = 1\n[[compute]]\nname = \"a\"\niterations = 1",
            "used twice",
        );
        bad("[[compute]]\nname = \"a\"\niterations = 0", "iterations");
        bad(
            "[[http_content]]\nname = \"a\"\nurl = \"http://x/\"\nsha256 = \"00\"",
            "64 hex digits",
        );
        bad(
            "[[json_rpc]]\nname = \"a\"\nurl = \"http://x/\"\nreference = \"http://y/\"\nmethod = \"eth_chainId\"",
            "needs method eth_blockNumber",
        );
        bad(
            "[[json_rpc]]\nname = \"a\"\nurl = \"ftp://x/\"",
            "http or https",
        );
    }
}
