//! The probe agent against a real nginx (WebDAV) and the real ingest API: healthy, corrupting and
//! stopped storage each reported truthfully; the spool keeping everything while the ingest API is
//! down; the chain continuing across crashes and a lost spool; a rejected report kept.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sla_protocol::{Operation, QosRecord};

use crate::helpers::{
    assert_chain, eventually, generate_key, run_sla, sla_json, stderr, stdout, write_config, Agent,
    CorruptingProxy, Ingest,
};
use crate::nginx::Nginx;

const UPLOAD: u64 = 65_536;

/// What a test needs: a temp dir with a key file, and the key.
struct Setup {
    dir: tempfile::TempDir,
    key_file: PathBuf,
    key: [u8; 32],
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, key) = generate_key(dir.path());
    Setup { dir, key_file, key }
}

fn once(config: &Path) -> Vec<Value> {
    let out = sla_json(&["probe", "once", "--config", config.to_str().unwrap()]);
    out["records"].as_array().unwrap().clone()
}

fn status(config: &Path) -> Value {
    sla_json(&["probe", "status", "--config", config.to_str().unwrap()])
}

/// `sla probe status` while the agent may still be creating the spool: `None` until it can answer.
fn try_status(config: &Path) -> Option<Value> {
    let out = run_sla(&[
        "--json",
        "probe",
        "status",
        "--config",
        config.to_str().unwrap(),
    ]);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

fn ops(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect()
}

async fn wait_for_sequence(ingest: &Ingest, key: &[u8; 32], n: u64, agent: &Agent) {
    let mut last = 0;
    for _ in 0..600 {
        last = ingest.last_sequence(key).await;
        if last >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the ingest API reached sequence {last}, not {n}; agent log:\n{}",
        agent.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_storage_gives_successful_records_and_accepted_reports() {
    let s = setup();
    let nginx = Nginx::start();
    let ingest = Ingest::start(s.dir.path(), s.key).await;
    let config = write_config(
        s.dir.path(),
        &s.key_file,
        &nginx.url(),
        &ingest.base(),
        &[UPLOAD],
    );

    let records = once(&config);
    assert_eq!(
        ops(&records),
        ["write", "read", "delete", "upload", "download", "delete"]
    );
    for r in &records {
        assert_eq!(r["success"], true, "{r}");
        assert_eq!(r["error_code"], 0);
        assert!(r["latency_us"].as_u64().unwrap() > 0);
    }
    assert_eq!(records[0]["object_size"], 4096);
    assert_eq!(records[1]["bytes"], 4096);
    assert_eq!(records[3]["bytes"], UPLOAD);
    assert_eq!(records[4]["bytes"], UPLOAD);
    assert!(records[4]["throughput_bps"].as_u64().unwrap() > 0);
    assert!(
        nginx.stored_files().is_empty(),
        "the probe deletes what it wrote"
    );

    let human = run_sla(&["probe", "once", "--config", config.to_str().unwrap()]);
    assert!(human.status.success());
    assert!(
        stdout(&human).contains("6 operations, 0 failed"),
        "{}",
        stdout(&human)
    );

    let mut agent = Agent::start(&config, s.dir.path().join("agent.log"));
    wait_for_sequence(&ingest, &s.key, 2, &agent).await;
    assert!(agent.stop().await, "clean exit: {}", agent.log_text());

    let reports = ingest.reports().await;
    let records = assert_chain(&reports);
    assert!(records.len() >= 6);
    assert!(records.iter().all(|r| r.success), "all successful");
    for op in [
        Operation::Write,
        Operation::Read,
        Operation::Upload,
        Operation::Download,
        Operation::Delete,
    ] {
        assert!(records.iter().any(|r| r.operation == op), "{op:?} measured");
    }
    // The final report on shutdown took every record: the spool and the server agree.
    let st = status(&config);
    assert_eq!(st["reports_pending"], 0, "{st}");
    assert_eq!(st["reports_rejected"], 0);
    assert_eq!(st["records_unreported"], 0);
    assert_eq!(st["reports_sent"].as_u64().unwrap(), reports.len() as u64);
    assert_eq!(st["records"].as_u64().unwrap(), records.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_bytes_are_recorded_as_integrity_failures() {
    let s = setup();
    let nginx = Nginx::start();
    let proxy = CorruptingProxy::start(nginx.port).await;
    let ingest = Ingest::start(s.dir.path(), s.key).await;
    let config = write_config(
        s.dir.path(),
        &s.key_file,
        &proxy.url(),
        &ingest.base(),
        &[UPLOAD],
    );

    let records = once(&config);
    assert_eq!(
        ops(&records),
        ["write", "read", "delete", "upload", "download", "delete"]
    );
    for r in &records {
        match r["operation"].as_str().unwrap() {
            "read" | "download" => {
                assert_eq!(r["success"], false, "{r}");
                assert_eq!(r["error_code"], 1003);
                let detail = r["error_detail"].as_str().unwrap();
                assert!(detail.starts_with("integrity: read back "), "{detail}");
                assert!(detail.contains("sha-256"), "{detail}");
                assert_eq!(r["bytes"], r["object_size"], "same length, other bytes");
            }
            _ => assert_eq!(r["success"], true, "{r}"),
        }
    }

    let mut agent = Agent::start(&config, s.dir.path().join("agent.log"));
    wait_for_sequence(&ingest, &s.key, 1, &agent).await;
    assert!(agent.stop().await);
    let records = assert_chain(&ingest.reports().await);
    let failures: Vec<&QosRecord> = records.iter().filter(|r| !r.success).collect();
    assert!(!failures.is_empty());
    for f in &failures {
        assert!(matches!(f.operation, Operation::Read | Operation::Download));
        assert_eq!(f.error_code, 1003);
        assert!(
            f.error_detail.starts_with("integrity:"),
            "{}",
            f.error_detail
        );
    }
    assert!(records
        .iter()
        .filter(|r| matches!(r.operation, Operation::Write | Operation::Upload))
        .all(|r| r.success));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_storage_is_recorded_as_connection_failures() {
    let s = setup();
    let mut nginx = Nginx::start();
    let url = nginx.url();
    nginx.stop();
    let ingest = Ingest::start(s.dir.path(), s.key).await;
    let config = write_config(s.dir.path(), &s.key_file, &url, &ingest.base(), &[UPLOAD]);

    let records = once(&config);
    // Nothing was written, so nothing is read back or deleted: one failure per object.
    assert_eq!(ops(&records), ["write", "upload"]);
    for r in &records {
        assert_eq!(r["success"], false);
        assert_eq!(r["error_code"], 1000, "{r}");
        assert_eq!(r["bytes"], 0);
        let detail = r["error_detail"].as_str().unwrap();
        assert!(detail.starts_with("connect: "), "{detail}");
        assert!(detail.to_lowercase().contains("refused"), "{detail}");
        assert!(detail.len() <= 255);
    }
    let human = run_sla(&["probe", "once", "--config", config.to_str().unwrap()]);
    assert!(
        human.status.success(),
        "a measured failure is not a command failure"
    );
    assert!(
        stdout(&human).contains("FAILED 1000 connect:"),
        "{}",
        stdout(&human)
    );

    let mut agent = Agent::start(&config, s.dir.path().join("agent.log"));
    wait_for_sequence(&ingest, &s.key, 1, &agent).await;
    assert!(agent.stop().await);
    let records = assert_chain(&ingest.reports().await);
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| !r.success && r.error_code == 1000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_wait_in_the_spool_while_ingest_is_down_and_arrive_in_order() {
    let s = setup();
    let nginx = Nginx::start();
    let mut ingest = Ingest::start(s.dir.path(), s.key).await;
    let config = write_config(
        s.dir.path(),
        &s.key_file,
        &nginx.url(),
        &ingest.base(),
        &[UPLOAD],
    );
    let mut agent = Agent::start(&config, s.dir.path().join("agent.log"));
    wait_for_sequence(&ingest, &s.key, 1, &agent).await;

    ingest.stop().await;
    // Several report intervals pass: reports are built and signed into the spool, none sent.
    eventually(20, "three reports waiting in the spool", || async {
        try_status(&config).is_some_and(|s| s["reports_pending"].as_u64().unwrap() >= 3)
    })
    .await;
    let waiting = status(&config);
    let attempts: u64 = waiting["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attempts"].as_u64().unwrap())
        .sum();
    assert!(attempts > 0, "delivery was retried: {waiting}");
    let built = waiting["head"]["sequence"].as_u64().unwrap();

    ingest.resume().await;
    wait_for_sequence(&ingest, &s.key, built, &agent).await;
    assert!(agent.stop().await, "{}", agent.log_text());

    let reports = ingest.reports().await;
    // Arrival order is sequence order.
    let sequences: Vec<u64> = reports.iter().map(|(_, r)| r.sequence).collect();
    let mut sorted = sequences.clone();
    sorted.sort();
    assert_eq!(sequences, sorted, "delivered in order");
    let records = assert_chain(&reports);
    let st = status(&config);
    assert_eq!(st["reports_pending"], 0, "{st}");
    assert_eq!(st["reports_rejected"], 0);
    assert_eq!(st["records_unreported"], 0);
    assert_eq!(
        st["records"].as_u64().unwrap(),
        records.len() as u64,
        "nothing measured was lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_continues_across_a_crash_and_a_lost_spool() {
    let s = setup();
    let nginx = Nginx::start();
    let ingest = Ingest::start(s.dir.path(), s.key).await;
    let config = write_config(
        s.dir.path(),
        &s.key_file,
        &nginx.url(),
        &ingest.base(),
        &[UPLOAD],
    );

    let mut agent = Agent::start(&config, s.dir.path().join("agent1.log"));
    wait_for_sequence(&ingest, &s.key, 2, &agent).await;
    agent.kill();
    let after_crash = ingest.last_sequence(&s.key).await;

    let mut agent = Agent::start(&config, s.dir.path().join("agent2.log"));
    wait_for_sequence(&ingest, &s.key, after_crash + 2, &agent).await;
    assert!(agent.stop().await);
    assert_chain(&ingest.reports().await);
    let st = status(&config);
    assert_eq!(st["reports_rejected"], 0, "{st}");
    assert_eq!(st["reports_pending"], 0, "{st}");

    // The spool is gone (a new disk): the agent learns the head from the ingest API and
    // continues the chain instead of starting a second one at sequence 1.
    let before = ingest.last_sequence(&s.key).await;
    std::fs::remove_dir_all(s.dir.path().join("spool")).unwrap();
    let mut agent = Agent::start(&config, s.dir.path().join("agent3.log"));
    wait_for_sequence(&ingest, &s.key, before + 2, &agent).await;
    assert!(agent.stop().await);
    assert_chain(&ingest.reports().await);
    assert!(
        agent.log_text().contains("continuing from its head"),
        "{}",
        agent.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_report_is_kept_and_sent_after_retry() {
    let s = setup();
    let nginx = Nginx::start();
    let ingest = Ingest::start_without_key(s.dir.path()).await;
    let config = write_config(
        s.dir.path(),
        &s.key_file,
        &nginx.url(),
        &ingest.base(),
        &[UPLOAD],
    );

    let mut agent = Agent::start(&config, s.dir.path().join("agent1.log"));
    eventually(20, "a rejected report", || async {
        try_status(&config).is_some_and(|s| s["reports_rejected"].as_u64().unwrap() >= 1)
    })
    .await;
    assert!(agent.stop().await);
    let st = status(&config);
    let rejected = &st["reports"][0];
    assert_eq!(rejected["status"], "rejected");
    assert!(
        rejected["last_error"]
            .as_str()
            .unwrap()
            .contains("HTTP 403: key-not-registered"),
        "{st}"
    );
    assert!(agent.log_text().contains("sla probe retry"));
    assert_eq!(ingest.last_sequence(&s.key).await, 0);
    let human = run_sla(&["probe", "status", "--config", config.to_str().unwrap()]);
    assert!(stdout(&human).contains("rejected"), "{}", stderr(&human));

    // The key reaches the ingest API's mirror; the operator retries.
    ingest.register_key(s.key).await;
    let retried = sla_json(&["probe", "retry", "--config", config.to_str().unwrap()]);
    assert_eq!(retried["requeued"], 1);
    let built = st["head"]["sequence"].as_u64().unwrap();
    let mut agent = Agent::start(&config, s.dir.path().join("agent2.log"));
    wait_for_sequence(&ingest, &s.key, built + 1, &agent).await;
    assert!(agent.stop().await);
    assert_chain(&ingest.reports().await);
}

#[test]
fn a_second_agent_on_the_same_spool_is_refused() {
    let s = setup();
    // No storage or ingest needed: the lock is taken before anything else.
    let config = write_config(
        s.dir.path(),
        &s.key_file,
        "http://127.0.0.1:9/dav/",
        "http://127.0.0.1:9",
        &[UPLOAD],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut agent = Agent::start(&config, s.dir.path().join("agent1.log"));
        eventually(10, "the spool lock file", || async {
            s.dir.path().join("spool/probe.sqlite.lock").exists()
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let out = run_sla(&["probe", "run", "--config", config.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("in use by another agent"), "{err}");
        assert!(agent.stop().await);
    });
}
