//! Gauge samples in a provider agent's shape, shared by `sla-rollup-bench` and
//! `sla-aggregate-bench` (`--gauges`): every round samples the same 50 names (40 gauges of the
//! host, its GPUs and the node it runs, and 10 counters `…_total` that grow monotonically and
//! restart from zero now and then); about 1 % of the checks fail (a failed record of that gauge,
//! value 0, as the agent writes when an exporter is down).
//!
//! Values are a pure function of `(series, round, name)`, so a data unit's chain of reports can be
//! generated report by report and every counter still grows across reports.

use sla_protocol::{Operation, QosRecord};

/// How a name's values move.
#[derive(Clone, Copy)]
enum Shape {
    /// Uniform in `[lo, hi)`, sample by sample.
    Range(i64, i64),
    /// A counter: grows by up to `step` per round, restarts from zero every `period` rounds
    /// (shifted per series, so that the restarts of different data units fall apart).
    Counter { step: i64, period: u64 },
}

const GIB: i64 = 1 << 30;

/// The names an agent samples each round, and how their values move.
const GAUGES: [(&str, Shape); 50] = [
    ("host.cpu.util_bp", Shape::Range(0, 10_001)),
    ("host.cpu.used_millicores", Shape::Range(0, 16_001)),
    ("host.cpu.cores_count", Shape::Range(16, 17)),
    ("host.load1_milli", Shape::Range(0, 24_000)),
    ("host.load5_milli", Shape::Range(500, 16_000)),
    ("host.load15_milli", Shape::Range(1_000, 12_000)),
    ("host.memory.used_bytes", Shape::Range(8 * GIB, 60 * GIB)),
    (
        "host.memory.total_bytes",
        Shape::Range(64 * GIB, 64 * GIB + 1),
    ),
    (
        "host.memory.available_bytes",
        Shape::Range(4 * GIB, 56 * GIB),
    ),
    ("host.swap.used_bytes", Shape::Range(0, 2 * GIB)),
    ("host.disk.used_bytes", Shape::Range(900 * GIB, 1_800 * GIB)),
    ("host.disk.free_bytes", Shape::Range(200 * GIB, 1_100 * GIB)),
    ("host.disk.read_bytes_per_s", Shape::Range(0, 500_000_000)),
    ("host.disk.write_bytes_per_s", Shape::Range(0, 400_000_000)),
    (
        "host.net.traffic_bytes_per_s",
        Shape::Range(0, 1_250_000_000),
    ),
    ("host.net.rx_bytes_per_s", Shape::Range(0, 625_000_000)),
    ("host.net.tx_bytes_per_s", Shape::Range(0, 625_000_000)),
    ("host.tcp.connections_count", Shape::Range(10, 5_000)),
    ("host.procs.running_count", Shape::Range(1, 64)),
    ("host.uptime_s", Shape::Range(86_400, 8_640_000)),
    ("gpu0.temp_millicelsius", Shape::Range(35_000, 88_000)),
    ("gpu1.temp_millicelsius", Shape::Range(35_000, 88_000)),
    ("gpu0.power_milliwatts", Shape::Range(20_000, 350_000)),
    ("gpu1.power_milliwatts", Shape::Range(20_000, 350_000)),
    ("gpu0.util_bp", Shape::Range(0, 10_001)),
    ("gpu1.util_bp", Shape::Range(0, 10_001)),
    ("gpu0.memory.used_bytes", Shape::Range(0, 24 * GIB)),
    ("gpu1.memory.used_bytes", Shape::Range(0, 24 * GIB)),
    ("gpu0.fan_bp", Shape::Range(2_000, 10_001)),
    ("gpu1.fan_bp", Shape::Range(2_000, 10_001)),
    (
        "miner.hashrate_hashes_per_s",
        Shape::Range(90_000_000, 130_000_000),
    ),
    ("node.peers_count", Shape::Range(8, 200)),
    ("node.block_lag_blocks", Shape::Range(0, 12)),
    ("node.sync_bp", Shape::Range(9_900, 10_001)),
    ("node.leader_bool", Shape::Range(0, 2)),
    ("node.agent_version", Shape::Range(1_004_002, 1_004_003)),
    ("rpc.latency_p50_us", Shape::Range(200, 20_000)),
    ("rpc.latency_p99_us", Shape::Range(5_000, 400_000)),
    ("rpc.queue_ms", Shape::Range(0, 2_000)),
    ("pledge.cpu_millicores", Shape::Range(16_000, 16_001)),
    (
        "host.cpu.busy_ms_total",
        Shape::Counter {
            step: 16_000,
            period: 5_000,
        },
    ),
    (
        "host.net.rx_bytes_total",
        Shape::Counter {
            step: 600_000_000,
            period: 7_000,
        },
    ),
    (
        "host.net.tx_bytes_total",
        Shape::Counter {
            step: 600_000_000,
            period: 7_100,
        },
    ),
    (
        "host.disk.read_bytes_total",
        Shape::Counter {
            step: 400_000_000,
            period: 9_000,
        },
    ),
    (
        "host.disk.written_bytes_total",
        Shape::Counter {
            step: 300_000_000,
            period: 9_100,
        },
    ),
    (
        "host.context_switches_total",
        Shape::Counter {
            step: 2_000_000,
            period: 3_000,
        },
    ),
    (
        "rpc.requests_total",
        Shape::Counter {
            step: 50_000,
            period: 2_000,
        },
    ),
    (
        "rpc.errors_total",
        Shape::Counter {
            step: 40,
            period: 2_500,
        },
    ),
    (
        "pool.shares_total",
        Shape::Counter {
            step: 30,
            period: 1_500,
        },
    ),
    (
        "node.blocks_total",
        Shape::Counter {
            step: 3,
            period: 20_000,
        },
    ),
];

/// Gauge names sampled per round.
pub(crate) const NAMES_PER_ROUND: u64 = GAUGES.len() as u64;

/// SplitMix64: a cheap, well mixed hash of the sample's coordinates.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The record of check `name` (index into the 50 names) of round `round` of series `series` (a
/// data unit's agent) taken at `timestamp_ms`; about 1 in 100 is a failed check.
pub(crate) fn sample(series: u64, round: u64, name: usize, timestamp_ms: u64) -> QosRecord {
    let (label, shape) = GAUGES[name];
    let h = mix(series.wrapping_mul(0x1_0000_0001) ^ round.wrapping_mul(64) ^ name as u64);
    let latency_us = 50 + (h >> 40) as u32 % 5_000;
    let value = match shape {
        Shape::Range(lo, hi) => lo + (h % (hi - lo) as u64) as i64,
        Shape::Counter { step, period } => {
            // Monotonic within a period: round r of it holds r·step plus less than one step.
            let phase = (round + series * 7_919 + name as u64 * 104_729) % period;
            phase as i64 * step + (mix(h) % step as u64) as i64
        }
    };
    let operation = |value| Operation::Custom {
        name: label.to_string(),
        value,
    };
    if h % 100 == 1 {
        QosRecord::failure(timestamp_ms, operation(0), latency_us, 504, "timeout")
    } else {
        QosRecord::success(timestamp_ms, operation(value), latency_us, 0)
    }
}
