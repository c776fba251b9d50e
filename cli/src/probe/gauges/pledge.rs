//! The provider's pledge (`[gauges.pledge]`): the capacity it commits to the data unit, declared
//! each round as the `pledge.*` gauges that efficiency divides the host's use by
//! (`docs/aggregation.md`, "Efficiency"). Declared in the provider's own signed reports, it is
//! public and re-derived by an auditor like every other value.

use serde::Deserialize;
use sla_protocol::gauge::names;

use super::Sample;

/// `[gauges.pledge]`: every field optional, at least one given, each positive.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PledgeConfig {
    /// Pledged CPU, thousandths of a core (4 cores: 4000).
    pub cpu_millicores: Option<i64>,
    /// Pledged memory, bytes.
    pub memory_bytes: Option<i64>,
    /// Pledged network bandwidth, bytes per second (in and out together).
    pub bandwidth_bytes_per_s: Option<i64>,
    /// Pledged storage, bytes.
    pub storage_bytes: Option<i64>,
}

impl PledgeConfig {
    /// `(gauge, value)` of each pledged resource.
    pub fn values(&self) -> Vec<(&'static str, i64)> {
        [
            (names::PLEDGE_CPU, self.cpu_millicores),
            (names::PLEDGE_MEMORY, self.memory_bytes),
            (names::PLEDGE_BANDWIDTH, self.bandwidth_bytes_per_s),
            (names::PLEDGE_STORAGE, self.storage_bytes),
        ]
        .into_iter()
        .filter_map(|(name, v)| v.map(|v| (name, v)))
        .collect()
    }

    /// At least one resource, every value positive; the error names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.values().is_empty() {
            anyhow::bail!(
                "gauges.pledge: pledge at least one of cpu_millicores, memory_bytes, \
                 bandwidth_bytes_per_s, storage_bytes"
            );
        }
        for (field, v) in [
            ("cpu_millicores", self.cpu_millicores),
            ("memory_bytes", self.memory_bytes),
            ("bandwidth_bytes_per_s", self.bandwidth_bytes_per_s),
            ("storage_bytes", self.storage_bytes),
        ] {
            if v.is_some_and(|v| v <= 0) {
                anyhow::bail!("gauges.pledge.{field}: must be positive");
            }
        }
        Ok(())
    }

    /// This round's samples: the pledge as configured.
    pub fn sample(&self) -> Vec<Sample> {
        self.values()
            .into_iter()
            .map(|(name, v)| (name.to_owned(), Ok(v)))
            .collect()
    }

    /// The gauges it declares.
    pub fn gauges(&self) -> Vec<String> {
        self.values()
            .into_iter()
            .map(|(n, _)| n.to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pledge_is_declared_as_its_gauges_and_refuses_nonsense() {
        let p: PledgeConfig = toml::from_str("cpu_millicores = 4000\nstorage_bytes = 10").unwrap();
        p.validate().unwrap();
        assert_eq!(
            p.sample(),
            vec![
                (names::PLEDGE_CPU.to_owned(), Ok(4_000)),
                (names::PLEDGE_STORAGE.to_owned(), Ok(10)),
            ]
        );
        let empty = PledgeConfig::default();
        assert!(empty
            .validate()
            .unwrap_err()
            .to_string()
            .contains("at least one"));
        let zero: PledgeConfig = toml::from_str("memory_bytes = 0").unwrap();
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "gauges.pledge.memory_bytes: must be positive"
        );
        assert!(toml::from_str::<PledgeConfig>("gpus = 2").is_err());
    }
}
