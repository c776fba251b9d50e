//! The shipped mappings (`cli/agent-presets/*.toml`), compiled in: `preset = "NAME"` in a
//! `[[gauges.prometheus]]` table takes the series of the shipped table of that name. The same
//! files are meant to be read and copied by people, so they stay plain configuration.

use anyhow::bail;
use serde::Deserialize;

use super::prometheus::{PrometheusConfig, SeriesConfig};

const FILES: [(&str, &str); 3] = [
    (
        "cardano-node.toml",
        include_str!("../../../agent-presets/cardano-node.toml"),
    ),
    (
        "gpu-miner.toml",
        include_str!("../../../agent-presets/gpu-miner.toml"),
    ),
    (
        "node-exporter.toml",
        include_str!("../../../agent-presets/node-exporter.toml"),
    ),
];

#[derive(Deserialize)]
struct File {
    gauges: Tables,
}

#[derive(Deserialize)]
struct Tables {
    prometheus: Vec<PrometheusConfig>,
}

fn tables() -> Vec<PrometheusConfig> {
    FILES
        .iter()
        .flat_map(|(file, text)| {
            let parsed: File = toml::from_str(text)
                .unwrap_or_else(|e| panic!("shipped preset {file} does not parse: {e}"));
            parsed.gauges.prometheus
        })
        .collect()
}

/// The series of the shipped table `name`; an unknown name lists the known ones.
pub fn prometheus_series(name: &str) -> anyhow::Result<Vec<SeriesConfig>> {
    let tables = tables();
    match tables.iter().find(|t| t.name == name) {
        Some(t) => Ok(t.series.clone()),
        None => {
            let known: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
            bail!(
                "unknown preset {name:?}; shipped presets: {}",
                known.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::gauges::prometheus::PrometheusSource;

    #[test]
    fn every_shipped_preset_is_valid() {
        let names: Vec<String> = tables().into_iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            ["cardano-node", "nvidia-gpu", "miner", "node-exporter"]
        );
        for table in tables() {
            PrometheusSource::new(&table, &table.name).unwrap();
        }
        assert!(prometheus_series("nope")
            .unwrap_err()
            .to_string()
            .contains("cardano-node"));
    }
}
