//! Gauges: custom metrics whose signed values are aggregated (rules version 2).
//!
//! A gauge sample is an [`Operation::Custom`](crate::Operation::Custom) record: its name says what
//! was measured and, by its last suffix, in which unit; its `value` is the measurement scaled to
//! an integer in that unit. A *successful* record is a sample; a failed one is a check that could
//! not be made (an exporter down, garbage, a timeout) and counts for the fault rate only.
//!
//! The unit is part of the name so that it travels inside the signed bytes: whoever reads a
//! report knows the unit without any configuration. A name with no known suffix is still
//! aggregated, with [`GaugeUnit::Unspecified`] (format v1 custom metrics stay valid). A name ending
//! in `_total` is a **counter** (a monotonic series that may reset, as in Prometheus): its epoch
//! summary adds the increase and the rate. Documented in `docs/aggregation.md`, "Gauges".

use serde::{Deserialize, Serialize};

/// The unit of a gauge, read from its name's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GaugeUnit {
    /// `_bytes`: bytes.
    Bytes,
    /// `_bytes_per_s`: bytes per second.
    BytesPerS,
    /// `_bp`: basis points, 10 000 = 100 %.
    Bp,
    /// `_millicores`: thousandths of a CPU core.
    Millicores,
    /// `_milli`: thousandths of a dimensionless number (a load average of 1.5 is 1500).
    Milli,
    /// `_count`: a number of things (connections, peers, blocks assigned).
    Count,
    /// `_blocks`: a number of blocks (a node's lag behind a reference).
    Blocks,
    /// `_s`: seconds.
    Seconds,
    /// `_ms`: milliseconds.
    Millis,
    /// `_us`: microseconds.
    Micros,
    /// `_millicelsius`: thousandths of a degree Celsius.
    Millicelsius,
    /// `_milliwatts`: thousandths of a watt.
    Milliwatts,
    /// `_hashes_per_s`: hashes per second.
    HashesPerS,
    /// `_bool`: 0 or 1 (a process running, a node being leader).
    Bool,
    /// `_version`: a version `a.b.c` as `a * 1 000 000 + b * 1 000 + c`.
    Version,
    /// No known suffix.
    Unspecified,
}

/// Suffixes, longest first where one ends another (`_bytes_per_s` before `_s`).
const SUFFIXES: [(&str, GaugeUnit); 15] = [
    ("_bytes_per_s", GaugeUnit::BytesPerS),
    ("_hashes_per_s", GaugeUnit::HashesPerS),
    ("_millicelsius", GaugeUnit::Millicelsius),
    ("_milliwatts", GaugeUnit::Milliwatts),
    ("_millicores", GaugeUnit::Millicores),
    ("_version", GaugeUnit::Version),
    ("_blocks", GaugeUnit::Blocks),
    ("_bytes", GaugeUnit::Bytes),
    ("_count", GaugeUnit::Count),
    ("_milli", GaugeUnit::Milli),
    ("_bool", GaugeUnit::Bool),
    ("_bp", GaugeUnit::Bp),
    ("_ms", GaugeUnit::Millis),
    ("_us", GaugeUnit::Micros),
    ("_s", GaugeUnit::Seconds),
];

/// The suffix that makes a gauge a counter.
pub const COUNTER_SUFFIX: &str = "_total";

impl GaugeUnit {
    /// Every unit with a suffix, in the order of [`GaugeUnit::suffix`]'s table.
    pub fn all() -> impl Iterator<Item = GaugeUnit> {
        SUFFIXES.iter().map(|&(_, unit)| unit)
    }

    /// The unit a gauge name declares: its longest known suffix (after a `_total`, for a
    /// counter), or [`GaugeUnit::Unspecified`]; a bare counter (`…_total`) is a
    /// [`GaugeUnit::Count`].
    pub fn of(name: &str) -> GaugeUnit {
        let (stem, counter) = match name.strip_suffix(COUNTER_SUFFIX) {
            Some(stem) => (stem, true),
            None => (name, false),
        };
        SUFFIXES
            .iter()
            .find(|(suffix, _)| stem.len() > suffix.len() && stem.ends_with(suffix))
            .map(|&(_, unit)| unit)
            .unwrap_or(if counter {
                GaugeUnit::Count
            } else {
                GaugeUnit::Unspecified
            })
    }

    /// The unit of a unit name as written in configuration and JSON (`bytes`, `bytes_per_s`, …).
    pub fn parse(word: &str) -> Option<GaugeUnit> {
        GaugeUnit::all().find(|unit| unit.as_str() == word)
    }

    /// The suffix that declares this unit (`_bytes`), empty for [`GaugeUnit::Unspecified`].
    pub fn suffix(self) -> &'static str {
        SUFFIXES
            .iter()
            .find(|&&(_, unit)| unit == self)
            .map_or("", |&(suffix, _)| suffix)
    }

    /// The unit's name in configuration and JSON: the suffix without its `_`.
    pub fn as_str(self) -> &'static str {
        match self {
            GaugeUnit::Unspecified => "unspecified",
            unit => &unit.suffix()[1..],
        }
    }
}

/// Whether a gauge is a counter (its name ends in `_total`).
pub fn is_counter(name: &str) -> bool {
    name.len() > COUNTER_SUFFIX.len() && name.ends_with(COUNTER_SUFFIX)
}

/// The names of the gauges the rules of version 2 read by name: the host gauges that efficiency
/// divides by the pledge, and the pledge itself. An agent measuring its host emits the `host.*`
/// names; a provider declares its pledge with the `pledge.*` names (see `docs/aggregation.md`,
/// "Efficiency").
pub mod names {
    /// CPU in use, thousandths of a core (all cores together).
    pub const CPU_USED: &str = "host.cpu.used_millicores";
    /// Memory in use, bytes.
    pub const MEMORY_USED: &str = "host.memory.used_bytes";
    /// Network traffic in and out together, bytes per second.
    pub const NETWORK: &str = "host.net.traffic_bytes_per_s";
    /// Storage in use on the measured mounts together, bytes.
    pub const STORAGE_USED: &str = "host.disk.used_bytes";
    /// Pledged CPU, thousandths of a core.
    pub const PLEDGE_CPU: &str = "pledge.cpu_millicores";
    /// Pledged memory, bytes.
    pub const PLEDGE_MEMORY: &str = "pledge.memory_bytes";
    /// Pledged bandwidth, bytes per second.
    pub const PLEDGE_BANDWIDTH: &str = "pledge.bandwidth_bytes_per_s";
    /// Pledged storage, bytes.
    pub const PLEDGE_STORAGE: &str = "pledge.storage_bytes";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_read_from_the_longest_suffix() {
        assert_eq!(
            GaugeUnit::of("host.net.traffic_bytes_per_s"),
            GaugeUnit::BytesPerS
        );
        assert_eq!(GaugeUnit::of("host.memory.used_bytes"), GaugeUnit::Bytes);
        assert_eq!(GaugeUnit::of("host.uptime_s"), GaugeUnit::Seconds);
        assert_eq!(
            GaugeUnit::of("gpu0.temp_millicelsius"),
            GaugeUnit::Millicelsius
        );
        assert_eq!(
            GaugeUnit::of("pool.shares_accepted_total"),
            GaugeUnit::Count
        );
        assert_eq!(GaugeUnit::of("host.net.rx_bytes_total"), GaugeUnit::Bytes);
        assert_eq!(GaugeUnit::of("rpc.block_lag"), GaugeUnit::Unspecified);
        // A suffix alone is not a name with a unit.
        assert_eq!(GaugeUnit::of("_bytes"), GaugeUnit::Unspecified);
        assert!(is_counter("a_total") && !is_counter("_total") && !is_counter("a_totals"));
    }

    #[test]
    fn every_unit_round_trips_through_its_word_and_suffix() {
        for unit in GaugeUnit::all() {
            assert_eq!(GaugeUnit::parse(unit.as_str()), Some(unit));
            assert_eq!(GaugeUnit::of(&format!("x{}", unit.suffix())), unit);
        }
        assert_eq!(GaugeUnit::parse("furlongs"), None);
    }
}
