//! Gauges against real exporters: Debian's prometheus-node-exporter serving a textfile with the
//! Cardano node's and a mining rig's series (real names and labels) and its own host series;
//! exporters that answer garbage, hang or refuse; configuration mistakes; and the agent with
//! only `[gauges]` posting signed reports to the real ingest API.
//! prometheus-node-exporter is installed by `scripts/install-test-deps.sh`; without it the tests
//! fail, never skip.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use sla_protocol::{Operation, QosRecord};

use crate::helpers::{
    assert_chain, eventually, generate_key, run_sla, sla_json, stderr, write_probe_config, Agent,
    Ingest,
};
use crate::nginx::free_port;

/// The exporter binary: `$NODE_EXPORTER_BIN`, else Debian's `prometheus-node-exporter`.
fn node_exporter_bin() -> PathBuf {
    let candidates: Vec<PathBuf> = match std::env::var_os("NODE_EXPORTER_BIN") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![
            PathBuf::from("/usr/bin/prometheus-node-exporter"),
            PathBuf::from("/usr/local/bin/node_exporter"),
        ],
    };
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "prometheus-node-exporter not found ($NODE_EXPORTER_BIN, /usr/bin): \
                 run scripts/install-test-deps.sh to install it from Debian's packages"
            )
        })
}

/// A real node_exporter on a free port, serving the `.prom` files of a temporary folder.
struct NodeExporter {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl NodeExporter {
    fn start() -> NodeExporter {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(node_exporter_bin())
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!(
                "--collector.textfile.directory={}",
                dir.path().display()
            ))
            // Only what the tests read: quick scrapes, nothing that probes hardware.
            .args([
                "--collector.disable-defaults",
                "--collector.textfile",
                "--collector.meminfo",
                "--collector.loadavg",
                "--collector.filesystem",
                "--collector.netdev",
                "--collector.cpu",
                "--collector.stat",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus-node-exporter");
        let exporter = NodeExporter { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "node_exporter did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        exporter
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/metrics", self.port)
    }

    /// Writes a textfile atomically (node_exporter may read it at any time).
    fn write(&self, name: &str, text: &str) {
        let tmp = self.dir.path().join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(tmp, self.dir.path().join(name)).unwrap();
    }
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a cardano-node and a GPU rig serve (names and labels as the real exporters have them).
const RIG_SERIES: &str = r#"# HELP cardano_node_metrics_remainingKESPeriods_int Remaining KES periods.
# TYPE cardano_node_metrics_remainingKESPeriods_int gauge
cardano_node_metrics_remainingKESPeriods_int 42
cardano_node_metrics_currentKESPeriod_int 830
cardano_node_metrics_operationalCertificateExpiryKESPeriod_int 872
cardano_node_metrics_Forge_adopted_int 1234
cardano_node_metrics_Forge_node_is_leader_int 1240
cardano_node_metrics_slotsMissedNum_int 3
cardano_node_metrics_blockNum_int 11234567
cardano_node_metrics_connectedPeers_int 25
cardano_node_metrics_cardano_build_info{version="10.1.4",revision="1264bd4d",compiler_name="ghc",compiler_version="9.6",architecture="x86_64",os_name="linux"} 1
nvidia_smi_temperature_gpu{uuid="GPU-5b2a6f9c-0d1e-4c4a-9e8f-2b7d1c3a4e5f"} 36.6
nvidia_smi_power_draw_watts{uuid="GPU-5b2a6f9c-0d1e-4c4a-9e8f-2b7d1c3a4e5f"} 187.25
nvidia_smi_utilization_gpu_ratio{uuid="GPU-5b2a6f9c-0d1e-4c4a-9e8f-2b7d1c3a4e5f"} 0.97
nvidia_smi_fan_speed_ratio{uuid="GPU-5b2a6f9c-0d1e-4c4a-9e8f-2b7d1c3a4e5f"} 0.55
nvidia_smi_memory_used_bytes{uuid="GPU-5b2a6f9c-0d1e-4c4a-9e8f-2b7d1c3a4e5f"} 8.589934592e+09
miner_hashrate_hashes_per_second{gpu="0"} 61.5e6
miner_shares_accepted_total 1024
miner_shares_rejected_total 7
"#;

/// `sla probe once --json`: every record by gauge name.
fn once(config: &Path) -> BTreeMap<String, Value> {
    let out = sla_json(&["probe", "once", "--config", config.to_str().unwrap()]);
    out["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["operation"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

fn value(records: &BTreeMap<String, Value>, gauge: &str) -> i64 {
    let r = records
        .get(gauge)
        .unwrap_or_else(|| panic!("no record of {gauge}: {records:?}"));
    assert_eq!(r["success"], true, "{gauge}: {r}");
    r["value"].as_i64().unwrap()
}

fn failure(records: &BTreeMap<String, Value>, gauge: &str) -> (u64, String) {
    let r = records
        .get(gauge)
        .unwrap_or_else(|| panic!("no record of {gauge}: {records:?}"));
    assert_eq!(r["success"], false, "{gauge}: {r}");
    assert_eq!(r["value"], 0);
    (
        r["error_code"].as_u64().unwrap(),
        r["error_detail"].as_str().unwrap().to_owned(),
    )
}

fn meminfo_total_bytes() -> i64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = text.lines().find(|l| l.starts_with("MemTotal:")).unwrap();
    let kib: i64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn loadavg1() -> f64 {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporter_series_become_exactly_scaled_gauges() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, _) = generate_key(dir.path());
    let exporter = NodeExporter::start();
    exporter.write("rig.prom", RIG_SERIES);
    let url = exporter.url();
    let config = write_probe_config(
        dir.path(),
        &key_file,
        "http://127.0.0.1:1",
        &format!(
            r#"
[[gauges.prometheus]]
name = "cardano-node"
url = "{url}"
preset = "cardano-node"

[[gauges.prometheus]]
name = "gpu"
url = "{url}"
preset = "nvidia-gpu"

[[gauges.prometheus]]
name = "miner"
url = "{url}"
preset = "miner"

[[gauges.prometheus]]
name = "node"
url = "{url}"
preset = "node-exporter"
"#
        ),
    );
    let load_before = loadavg1();
    let records = once(&config);
    let load_after = loadavg1();

    for (gauge, expected) in [
        ("cardano.kes_remaining_count", 42),
        ("cardano.kes_period_count", 830),
        ("cardano.opcert_expiry_kes_period_count", 872),
        ("cardano.blocks_adopted_total", 1234),
        ("cardano.leader_total", 1240),
        ("cardano.slots_missed_total", 3),
        ("cardano.block_height_count", 11_234_567),
        ("cardano.peers_connected_count", 25),
        ("cardano.node_version", 10_001_004),
        ("gpu0.temp_millicelsius", 36_600),
        ("gpu0.power_milliwatts", 187_250),
        ("gpu0.util_bp", 9_700),
        ("gpu0.fan_bp", 5_500),
        ("gpu0.memory.used_bytes", 8_589_934_592),
        ("miner.hashrate_hashes_per_s", 61_500_000),
        ("miner.shares_accepted_total", 1024),
        ("miner.shares_rejected_total", 7),
    ] {
        assert_eq!(value(&records, gauge), expected, "{gauge}");
    }
    // node_exporter's own series of this host.
    assert_eq!(
        value(&records, "node.memory.total_bytes"),
        meminfo_total_bytes()
    );
    let load = value(&records, "node.load1_milli") as f64 / 1000.0;
    assert!(
        load >= load_before.min(load_after) - 0.5 && load <= load_before.max(load_after) + 0.5,
        "node_load1 {load} vs /proc/loadavg {load_before}..{load_after}"
    );
    assert!(value(&records, "node.memory.available_bytes") <= meminfo_total_bytes());
    assert!(value(&records, "node.disk.root.total_bytes") > 0);
    assert!(value(&records, "node.cpu.idle_ms_total") > 0);
    assert!(value(&records, "node.boot_time_s") > 1_500_000_000);
    for r in records.values() {
        assert_eq!(r["success"], true, "{r}");
        assert_eq!(r["bytes"], 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_gauges_describe_this_host() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, _) = generate_key(dir.path());
    let config = write_probe_config(
        dir.path(),
        &key_file,
        "http://127.0.0.1:1",
        r#"
[gauges.host]
mounts = ["/"]
processes = ["sla", "no-such-process"]
"#,
    );
    let records = once(&config);
    let cores = std::thread::available_parallelism().unwrap().get() as i64;
    assert_eq!(value(&records, "host.cpu.cores_count"), cores);
    assert_eq!(
        value(&records, "host.memory.total_bytes"),
        meminfo_total_bytes()
    );
    let used = value(&records, "host.memory.used_bytes");
    assert!(used > 0 && used < meminfo_total_bytes());
    let util = value(&records, "host.cpu.util_bp");
    assert!((0..=10_000).contains(&util), "{util}");
    assert!(value(&records, "host.cpu.used_millicores") <= cores * 1000);
    assert!(value(&records, "host.load1_milli") >= 0);
    assert!(value(&records, "host.load5_milli") >= 0);
    let total = value(&records, "host.disk.root.total_bytes");
    let free = value(&records, "host.disk.root.free_bytes");
    assert!(total > 0 && free <= total);
    assert_eq!(value(&records, "host.disk.used_bytes"), total - free);
    assert!(value(&records, "host.tcp.connections_count") >= 0);
    assert!(value(&records, "host.uptime_s") > 0);
    // `sla probe once` itself is a running process named sla.
    assert_eq!(value(&records, "host.process.sla.running_bool"), 1);
    assert_eq!(
        value(&records, "host.process.no_such_process.running_bool"),
        0
    );
    // Rates need two rounds: one-shot sampling has none.
    assert!(!records.contains_key("host.net.traffic_bytes_per_s"));
}

/// A tiny exporter with a good page, a garbage page and a JSON document; `/flaky` answers
/// garbage until `fixed` is set.
async fn test_exporter(fixed: Arc<AtomicBool>) -> SocketAddr {
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/garbage",
            get(|| async { "<html><body>502 Bad Gateway</body></html>" }),
        )
        .route(
            "/metrics",
            get(|| async {
                "huge_bytes 1e300\nnan_bytes NaN\ndup_bytes{a=\"1\"} 1\ndup_bytes{a=\"2\"} 2\n"
            }),
        )
        .route(
            "/json",
            get(|| async { r#"{"pool": {"hashrate": "12.5", "ok": true}}"# }),
        )
        .route(
            "/flaky",
            get(move || {
                let fixed = fixed.clone();
                async move {
                    if fixed.load(Ordering::SeqCst) {
                        "flaky_seconds 2.5\n".to_owned()
                    } else {
                        "{\"not\": \"prometheus\"}".to_owned()
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A server that accepts connections and never answers.
async fn hanging_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_exporters_give_failed_records_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, _) = generate_key(dir.path());
    let good = test_exporter(Arc::new(AtomicBool::new(false))).await;
    let hang = hanging_server().await;
    let refused = free_port();
    let series = |gauge: &str| {
        format!("[[gauges.prometheus.series]]\nmetric = \"up\"\ngauge = \"{gauge}\"\nunit = \"count\"\n")
    };
    let config = write_probe_config(
        dir.path(),
        &key_file,
        "http://127.0.0.1:1",
        &format!(
            r#"
[[gauges.prometheus]]
name = "garbage"
url = "http://{good}/garbage"
timeout = "1s"
{garbage}
[[gauges.prometheus]]
name = "hang"
url = "http://{hang}/metrics"
timeout = "1s"
{hang_series}
[[gauges.prometheus]]
name = "refused"
url = "http://127.0.0.1:{refused}/metrics"
timeout = "1s"
{refused_series}
[[gauges.prometheus]]
name = "values"
url = "http://{good}/metrics"
[[gauges.prometheus.series]]
metric = "huge_bytes"
gauge = "x.huge_bytes"
unit = "bytes"
[[gauges.prometheus.series]]
metric = "nan_bytes"
gauge = "x.nan_bytes"
unit = "bytes"
[[gauges.prometheus.series]]
metric = "dup_bytes"
gauge = "x.dup_bytes"
unit = "bytes"
[[gauges.prometheus.series]]
metric = "absent_bytes"
gauge = "x.absent_bytes"
unit = "bytes"

[[gauges.json]]
name = "pool"
url = "http://{good}/json"
[[gauges.json.mappings]]
pointer = "/pool/hashrate"
gauge = "pool.hashrate_hashes_per_s"
unit = "hashes_per_s"
scale = 2
[[gauges.json.mappings]]
pointer = "/pool/ok"
gauge = "pool.ok_count"
unit = "count"

[[gauges.json]]
name = "not-json"
url = "http://{good}/garbage"
[[gauges.json.mappings]]
pointer = "/a"
gauge = "nj.a_count"
unit = "count"
"#,
            garbage = series("garbage.up_count"),
            hang_series = series("hang.up_count"),
            refused_series = series("refused.up_count"),
        ),
    );
    let started = Instant::now();
    let records = once(&config);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "sources run at once, each within 1s: {took:?}"
    );

    let (code, detail) = failure(&records, "garbage.up_count");
    assert_eq!(code, 1100);
    assert!(
        detail.starts_with("not Prometheus text: line 1: expected a metric name"),
        "{detail}"
    );
    let (code, detail) = failure(&records, "hang.up_count");
    assert_eq!(code, 1001);
    assert!(
        detail.starts_with("timeout: hang gave no complete answer within 1s"),
        "{detail}"
    );
    let (code, detail) = failure(&records, "refused.up_count");
    assert_eq!(code, 1000, "{detail}");
    assert!(detail.starts_with("connect:"), "{detail}");
    let (code, detail) = failure(&records, "x.huge_bytes");
    assert_eq!(code, 1104);
    assert!(detail.starts_with("value out of range"), "{detail}");
    assert_eq!(failure(&records, "x.nan_bytes").0, 1103);
    let (code, detail) = failure(&records, "x.dup_bytes");
    assert_eq!(
        (code, detail.as_str()),
        (
            1102,
            "ambiguous: 2 series match dup_bytes; add labels or an aggregate"
        )
    );
    let (code, detail) = failure(&records, "x.absent_bytes");
    assert_eq!(
        (code, detail.as_str()),
        (1101, "series missing: absent_bytes")
    );
    assert_eq!(value(&records, "pool.hashrate_hashes_per_s"), 25);
    let (code, detail) = failure(&records, "pool.ok_count");
    assert_eq!(code, 1103);
    assert_eq!(
        detail,
        "at \"/pool/ok\": expected a number or a numeric string, found a boolean"
    );
    let (code, detail) = failure(&records, "nj.a_count");
    assert_eq!(code, 1100);
    assert!(detail.starts_with("not JSON:"), "{detail}");
    for r in records.values() {
        assert!(r["error_detail"].as_str().unwrap().len() <= 255);
    }
}

#[test]
fn configuration_mistakes_are_one_line_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, _) = generate_key(dir.path());
    let series = |body: &str| {
        format!(
            "[[gauges.prometheus]]\nname = \"e\"\nurl = \"http://127.0.0.1:9/metrics\"\n\
             [[gauges.prometheus.series]]\nmetric = \"m\"\n{body}\n"
        )
    };
    for (gauges, expected) in [
        (
            series("gauge = \"gpu0.temp_millicelsius\"\nunit = \"furlongs\""),
            "gauges.prometheus[0].series[0].unit: unknown unit \"furlongs\"; valid units: bytes_per_s, hashes_per_s",
        ),
        (
            series("gauge = \"GPU0.Temp_millicelsius\"\nunit = \"millicelsius\""),
            "gauges.prometheus[0].series[0].gauge: \"GPU0.Temp_millicelsius\" must be 1 to 64 bytes of a-z",
        ),
        (
            series("gauge = \"gpu0.temp_millicelsius\"\nunit = \"bytes\""),
            "gauges.prometheus[0].series[0].unit: \"bytes\" but the gauge name \"gpu0.temp_millicelsius\" declares \"millicelsius\"",
        ),
        (
            series("gauge = \"gpu0.temp_millicelsius\"\nunit = \"millicelsius\"\nscale = 1e30"),
            "gauges.prometheus[0].series[0].scale: \"1000000000000000000000000000000\" is out of range",
        ),
        (
            "[[gauges.prometheus]]\nname = \"p\"\nurl = \"http://127.0.0.1:9/\"\npreset = \"cardano\"\n".to_owned(),
            "gauges.prometheus[0].preset: unknown preset \"cardano\"; shipped presets: cardano-node, nvidia-gpu, miner, node-exporter",
        ),
        (
            "[gauges.host]\nenabled = false\n".to_owned(),
            "nothing to measure: configure [storage], [checks], [gauges] or several",
        ),
    ] {
        let config = write_probe_config(dir.path(), &key_file, "http://127.0.0.1:1", &gauges);
        let out = run_sla(&["probe", "once", "--config", config.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("error: probe config "), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
    }
}

fn custom(r: &QosRecord) -> Option<(&str, i64)> {
    match &r.operation {
        Operation::Custom { name, value } => Some((name.as_str(), *value)),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gauges_only_agent_posts_signed_reports_and_recovers_from_a_broken_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, key) = generate_key(dir.path());
    let ingest = Ingest::start(dir.path(), key).await;
    let fixed = Arc::new(AtomicBool::new(false));
    let exporter = test_exporter(fixed.clone()).await;
    let hang = hanging_server().await;
    let config = write_probe_config(
        dir.path(),
        &key_file,
        &ingest.base(),
        &format!(
            r#"
[gauges.host]

[[gauges.prometheus]]
name = "flaky"
url = "http://{exporter}/flaky"
timeout = "1s"
[[gauges.prometheus.series]]
metric = "flaky_seconds"
gauge = "flaky.busy_ms"
unit = "ms"
scale = 1000

[[gauges.prometheus]]
name = "hang"
url = "http://{hang}/metrics"
timeout = "500ms"
[[gauges.prometheus.series]]
metric = "up"
gauge = "hang.up_count"
unit = "count"
"#
        ),
    );
    let mut agent = Agent::start(&config, dir.path().join("agent.log"));
    // Some rounds with the exporter broken, then it is fixed and the agent picks it up.
    eventually(30, "a report with the failed flaky gauge", || async {
        ingest.reports().await.iter().any(|(_, r)| {
            r.records
                .iter()
                .any(|r| custom(r).is_some_and(|(n, _)| n == "flaky.busy_ms") && !r.success)
        })
    })
    .await;
    fixed.store(true, Ordering::SeqCst);
    eventually(30, "a report with the flaky gauge sampled", || async {
        ingest.reports().await.iter().any(|(_, r)| {
            r.records
                .iter()
                .any(|r| custom(r) == Some(("flaky.busy_ms", 2500)) && r.success)
        })
    })
    .await;
    assert!(agent.stop().await, "clean exit: {}", agent.log_text());

    let reports = ingest.reports().await;
    let records = assert_chain(&reports);
    let of = |name: &str| -> Vec<&QosRecord> {
        records
            .iter()
            .filter(|r| custom(r).is_some_and(|(n, _)| n == name))
            .collect()
    };
    let flaky = of("flaky.busy_ms");
    let broken = flaky.iter().find(|r| !r.success).unwrap();
    assert_eq!(broken.error_code, 1100);
    assert!(
        broken.error_detail.starts_with("not Prometheus text"),
        "{}",
        broken.error_detail
    );
    let hang = of("hang.up_count");
    assert!(
        hang.len() >= 2,
        "every round tried the hanging exporter again"
    );
    assert!(hang.iter().all(|r| !r.success && r.error_code == 1001));
    let memory = of("host.memory.total_bytes");
    assert!(!memory.is_empty() && memory.iter().all(|r| r.success));
    assert_eq!(custom(memory[0]).unwrap().1, meminfo_total_bytes());
    assert!(
        of(sla_protocol::gauge::names::NETWORK)
            .iter()
            .any(|r| r.success),
        "a rate from the second round on"
    );
    assert!(
        records.iter().all(|r| custom(r).is_some()),
        "no storage configured: gauges only"
    );
}
