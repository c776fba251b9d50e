//! The agent's own host, through `sysinfo` (and `/proc/net/tcp*` on Linux): CPU, load, memory,
//! configured mounts, network rates, TCP connections, uptime and configured processes. The
//! names are fixed (`docs/cli.md`); those the efficiency rules read are `sla_protocol`'s
//! `gauge::names`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::bail;
use serde::Deserialize;
use sla_protocol::gauge::names;
use sysinfo::{Disks, Networks, ProcessRefreshKind, ProcessesToUpdate, System};

use super::{Failure, Sample, ERR_UNAVAILABLE};

/// The `[gauges.host]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Whether the host is sampled (default true once the table is there).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Mount points whose space is reported (default `["/"]`).
    #[serde(default = "root")]
    pub mounts: Vec<String>,
    /// Process names (as in `/proc/PID/comm`) whose presence is reported.
    #[serde(default)]
    pub processes: Vec<String>,
    /// Network interfaces counted (default: all but loopback).
    #[serde(default)]
    pub interfaces: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}
fn root() -> Vec<String> {
    vec!["/".into()]
}

/// A name part of only `[a-z0-9_]`: `/` → `root`, `/var/lib` → `var_lib`, `cardano-node` →
/// `cardano_node`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "root".into()
    } else {
        out
    }
}

const CPU_UTIL: &str = "host.cpu.util_bp";
const CPU_CORES: &str = "host.cpu.cores_count";
const LOAD1: &str = "host.load1_milli";
const LOAD5: &str = "host.load5_milli";
const MEMORY_TOTAL: &str = "host.memory.total_bytes";
const RX: &str = "host.net.rx_bytes_per_s";
const TX: &str = "host.net.tx_bytes_per_s";
const TCP: &str = "host.tcp.connections_count";
const UPTIME: &str = "host.uptime_s";

/// What is kept between rounds: CPU and network figures are differences.
#[derive(Debug)]
struct State {
    system: System,
    cpu_read: Option<Instant>,
    networks: Option<Networks>,
    last_net: Option<(Instant, u64, u64)>,
}

/// A checked host source.
#[derive(Debug)]
pub struct HostSource {
    mounts: Vec<(String, String)>,
    processes: Vec<(String, String)>,
    interfaces: Option<Vec<String>>,
    state: Arc<Mutex<State>>,
}

impl HostSource {
    /// Checks `[gauges.host]`: slugs of mounts and processes must be distinct and names valid.
    pub fn new(config: &HostConfig) -> anyhow::Result<HostSource> {
        let named = |list: &[String], what: &str, name: fn(&str) -> String| {
            let mut out: Vec<(String, String)> = Vec::new();
            for item in list {
                let gauge = name(&slug(item));
                if let Some((other, _)) = out.iter().find(|(_, g)| *g == gauge) {
                    bail!(
                        "gauges.host.{what}: {item:?} and {other:?} give the same gauge {gauge:?}"
                    );
                }
                super::mapping::check_name(&format!("gauges.host.{what}"), &gauge)?;
                out.push((item.clone(), gauge));
            }
            Ok(out)
        };
        let mounts = named(&config.mounts, "mounts", |s| {
            format!("host.disk.{s}.free_bytes")
        })?;
        let processes = named(&config.processes, "processes", |s| {
            format!("host.process.{s}.running_bool")
        })?;
        Ok(HostSource {
            mounts,
            processes,
            interfaces: config.interfaces.clone(),
            state: Arc::new(Mutex::new(State {
                system: System::new(),
                cpu_read: None,
                networks: None,
                last_net: None,
            })),
        })
    }

    /// Takes the first CPU reading, so the first round has a CPU figure.
    pub fn prime(&self) {
        let mut state = self.state.lock().expect("host state");
        state.system.refresh_cpu_usage();
        state.cpu_read = Some(Instant::now());
    }

    /// Every gauge the host may give (rates only from the second round on).
    pub fn gauges(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            CPU_UTIL,
            names::CPU_USED,
            CPU_CORES,
            LOAD1,
            LOAD5,
            names::MEMORY_USED,
            MEMORY_TOTAL,
        ]
        .map(String::from)
        .to_vec();
        for (_, free) in &self.mounts {
            out.push(free.clone());
            out.push(free.replace(".free_bytes", ".total_bytes"));
        }
        out.push(names::STORAGE_USED.into());
        out.extend([RX, TX, names::NETWORK, TCP, UPTIME].map(String::from));
        out.extend(self.processes.iter().map(|(_, g)| g.clone()));
        out
    }

    /// One reading, off the async threads (it reads `/proc` and may wait for the CPU interval).
    pub async fn sample(&self) -> Vec<Sample> {
        let state = self.state.clone();
        let mounts = self.mounts.clone();
        let processes = self.processes.clone();
        let interfaces = self.interfaces.clone();
        let read = tokio::task::spawn_blocking(move || {
            let mut state = state.lock().expect("host state");
            read(&mut state, &mounts, &processes, interfaces.as_deref())
        });
        read.await.unwrap_or_else(|e| {
            let failure = Failure::new(ERR_UNAVAILABLE, format!("host reading failed: {e}"));
            self.gauges()
                .into_iter()
                .map(|g| (g, Err(failure.clone())))
                .collect()
        })
    }
}

fn int(v: u64) -> Result<i64, Failure> {
    i64::try_from(v).map_err(|_| Failure::new(super::ERR_RANGE, "value out of range"))
}

fn read(
    state: &mut State,
    mounts: &[(String, String)],
    processes: &[(String, String)],
    interfaces: Option<&[String]>,
) -> Vec<Sample> {
    let mut out: Vec<Sample> = Vec::new();
    let mut put = |name: &str, value: Result<i64, Failure>| out.push((name.to_owned(), value));

    // CPU use is measured between two readings at least sysinfo's minimum interval apart.
    let first = *state.cpu_read.get_or_insert_with(|| {
        state.system.refresh_cpu_usage();
        Instant::now()
    });
    if let Some(rest) = sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.checked_sub(first.elapsed()) {
        std::thread::sleep(rest);
    }
    state.system.refresh_cpu_usage();
    state.cpu_read = Some(Instant::now());
    let percent = f64::from(state.system.global_cpu_usage()).clamp(0.0, 100.0);
    let cores = state.system.cpus().len();
    put(CPU_UTIL, Ok((percent * 100.0).round() as i64));
    put(
        names::CPU_USED,
        Ok((percent * 10.0 * cores as f64).round() as i64),
    );
    put(CPU_CORES, int(cores as u64));

    let load = System::load_average();
    put(LOAD1, Ok((load.one * 1000.0).round() as i64));
    put(LOAD5, Ok((load.five * 1000.0).round() as i64));

    state.system.refresh_memory();
    put(names::MEMORY_USED, int(state.system.used_memory()));
    put(MEMORY_TOTAL, int(state.system.total_memory()));

    let disks = Disks::new_with_refreshed_list();
    let mut used: Result<u64, Failure> = Ok(0);
    for (mount, free_name) in mounts {
        let total_name = free_name.replace(".free_bytes", ".total_bytes");
        match disks
            .list()
            .iter()
            .find(|d| d.mount_point() == std::path::Path::new(mount))
        {
            Some(d) => {
                put(free_name, int(d.available_space()));
                put(&total_name, int(d.total_space()));
                // Used is what is not available to users: reserved blocks count as used.
                used = used.map(|u| u + d.total_space().saturating_sub(d.available_space()));
            }
            None => {
                let f = Failure::new(
                    ERR_UNAVAILABLE,
                    format!("mount {mount:?} not found among the host's file systems"),
                );
                put(free_name, Err(f.clone()));
                put(&total_name, Err(f.clone()));
                used = Err(f);
            }
        }
    }
    put(names::STORAGE_USED, used.and_then(int));

    // Rates from the difference to the previous round; the first round has none.
    let networks = state
        .networks
        .get_or_insert_with(Networks::new_with_refreshed_list);
    networks.refresh(true);
    let (mut rx, mut tx) = (0u64, 0u64);
    for (name, data) in networks.list() {
        let counted = match interfaces {
            Some(list) => list.iter().any(|i| i == name),
            None => name != "lo",
        };
        if counted {
            rx = rx.saturating_add(data.total_received());
            tx = tx.saturating_add(data.total_transmitted());
        }
    }
    let now = Instant::now();
    if let Some((then, rx0, tx0)) = state.last_net {
        let ms = now.duration_since(then).as_millis().max(1) as u64;
        // A counter that went down (an interface gone or reset) gives no rate this round.
        if rx >= rx0 && tx >= tx0 {
            let rate = |d: u64| int((u128::from(d) * 1000 / u128::from(ms)) as u64);
            put(RX, rate(rx - rx0));
            put(TX, rate(tx - tx0));
            put(names::NETWORK, rate((rx - rx0) + (tx - tx0)));
        }
    }
    state.last_net = Some((now, rx, tx));

    put(TCP, established_tcp());
    put(UPTIME, int(System::uptime()));

    if !processes.is_empty() {
        state.system.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing(),
        );
        for (process, gauge) in processes {
            // The kernel keeps 15 bytes of a process name (`comm`).
            let short = &process.as_bytes()[..process.len().min(15)];
            let running = state
                .system
                .processes()
                .values()
                .any(|p| p.name().as_encoded_bytes() == short || p.name() == process.as_str());
            put(gauge, Ok(i64::from(running)));
        }
    }
    out
}

/// Established TCP connections (state `01`) in `/proc/net/tcp` and `/proc/net/tcp6`.
#[cfg(target_os = "linux")]
fn established_tcp() -> Result<i64, Failure> {
    let mut n = 0i64;
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        match std::fs::read_to_string(file) {
            Ok(text) => {
                n += text
                    .lines()
                    .skip(1)
                    .filter(|l| l.split_whitespace().nth(3) == Some("01"))
                    .count() as i64;
            }
            // A host without IPv6 has no tcp6 table.
            Err(_) if file.ends_with('6') => {}
            Err(e) => return Err(Failure::new(ERR_UNAVAILABLE, format!("{file}: {e}"))),
        }
    }
    Ok(n)
}

#[cfg(not(target_os = "linux"))]
fn established_tcp() -> Result<i64, Failure> {
    Err(Failure::new(
        ERR_UNAVAILABLE,
        "TCP connections are read from /proc/net on Linux only",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_only_the_name_alphabet() {
        assert_eq!(slug("/"), "root");
        assert_eq!(slug("/var/lib"), "var_lib");
        assert_eq!(slug("/mnt/Data-1/"), "mnt_data_1");
        assert_eq!(slug("cardano-node"), "cardano_node");
    }

    #[test]
    fn colliding_mounts_are_a_config_error() {
        let config = HostConfig {
            enabled: true,
            mounts: vec!["/var/lib".into(), "/var-lib".into()],
            processes: vec![],
            interfaces: None,
        };
        let e = HostSource::new(&config).unwrap_err().to_string();
        assert!(e.contains("give the same gauge"), "{e}");
    }
}
