//! Ingest API replicas behind a real load balancer, one of them killed mid-stream (issue
//! "Scale"): three `sla-devstack-ingest-api` processes (the `sla-ingest-api` service, see
//! `src/bin/ingest_api.rs`) on random ports share one PostgreSQL database; a real nginx (from
//! Debian's packages, `scripts/install-test-deps.sh`) balances over them with the configuration
//! `docs/ingest-api.md` recommends ("Replicas behind a load balancer"); twelve reporters (a
//! consumer and a provider on each of six data units) stream strict report chains through nginx,
//! resending the same bytes after any error or `5xx` as the probe agent does; and the real
//! aggregator (`sla_oracle::aggregator::Aggregator::run`, the oracle's loop) counts the stored
//! reports by arrival id all along. Once a third of the reports are acknowledged, one replica is
//! killed with SIGKILL, with requests and group commits in flight. Twice: with the recommended
//! configuration, where nginx passes a report sent to the dead replica on to another
//! (`non_idempotent`), and without it, where nginx answers `502` and the client resends. And a
//! third time with the replica frozen (SIGSTOP) while its group commit holds the lock under which
//! report ids are drawn: the other replicas must carry on (a regression test).
//!
//! What it proves, once the clients have their acknowledgements:
//!
//! - every acknowledged report is stored, exactly once, and nothing else is (the stored reports
//!   are exactly the acknowledged ones; the records are each report's and no more);
//! - every report chain is whole: sequences `1..=n` without a gap or a duplicate, each linked to
//!   the one before, no equivocation evidence;
//! - the aggregator, reading by id while three writers commit, counts each report once: every
//!   roll-up equals the one recomputed from the stored reports (summary, reports root, report
//!   count), none is missing, and no report is recorded as uncounted.
//!
//! Needs PostgreSQL (`SLA_TEST_POSTGRES_URL`: skipped with a note when unset, except with
//! `CI=true`, where it must run) and nginx (fails without it, never skips). No anvil: the chain
//! mirror is seeded as the ingest API's own tests seed it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use sla_oracle::aggregator::{Aggregator, AggregatorConfig, AggregatorStores};
use sla_protocol::aggregate::{AggregationContext, EpochAccumulator, EpochConfig, SlaTerms};
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_protocol::{
    codec, sign_report, Deployment, Operation, QosRecord, Report, ReportHash, Role,
};
use sla_storage::testing::{postgres_admin_url, postgres_pool, seed_allocation, seed_key};
use sla_storage::testing::{CONSUMER, PROVIDER};
use sla_storage::{Database, StoredReport};

const REPLICAS: usize = 3;
const DATA_UNITS: [u64; 6] = [11, 12, 13, 14, 15, 16];
/// Reports acknowledged in all before the clients stop (about 250 per report chain).
const TARGET_ACKS: usize = 3_000;
/// One report per minute of the past, hour-long epochs: each report lies in one epoch.
const PERIOD_MS: u64 = 60_000;
const HOUR_MS: u64 = 3_600_000;
const EPOCH_S: u32 = 3_600;
/// Long enough that none of the (past) epochs closes during the test: all are counted, none final.
const GRACE_MS: u64 = 30 * 24 * HOUR_MS;
const DEADLINE: Duration = Duration::from_secs(50);

fn deployment() -> Deployment {
    Deployment {
        chain_id: 31337,
        contract: [0xab; 20],
    }
}

fn epochs() -> EpochConfig {
    EpochConfig::new(0, EPOCH_S).expect("epoch configuration")
}

fn terms() -> SlaTerms {
    SlaTerms::reporting_only(EPOCH_S)
}

/// A child process killed (SIGKILL) and reaped when dropped.
struct Proc {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Proc {
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- last lines of {} ({}):", self.name, self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// One replica: the ingest API on a port of its own.
struct Replica {
    proc: Proc,
    addr: SocketAddr,
}

fn start_replica(i: usize, database_url: &str, dir: &Path) -> Replica {
    let contract = format!("0x{}", hex::encode(deployment().contract));
    let log = dir.join(format!("replica-{i}.log"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sla-devstack-ingest-api"))
        .args(["--listen", "127.0.0.1:0", "--database-url", database_url])
        .args(["--chain-id", "31337", "--contract", &contract])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sla-devstack-ingest-api");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read the listen line");
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("replica {i}: no listen line but {line:?}"))
        .parse()
        .expect("listen address");
    // The log (stdout and stderr) goes to a file, shown if the test fails.
    let file = Arc::new(Mutex::new(std::fs::File::create(&log).expect("log file")));
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    for reader in [
        Box::new(stdout) as Box<dyn BufRead + Send>,
        Box::new(stderr),
    ] {
        let file = file.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                let _ = writeln!(file.lock().unwrap(), "{line}");
            }
        });
    }
    Replica {
        proc: Proc {
            name: format!("replica {i} ({addr})"),
            child: Some(child),
            log,
        },
        addr,
    }
}

/// The nginx binary: `$NGINX_BIN`, else `nginx` on `PATH`, else `/usr/sbin/nginx` (as
/// `cli/tests/it/nginx.rs` finds it); panics with what to do when there is none.
fn nginx_bin() -> PathBuf {
    let candidates: Vec<PathBuf> = match std::env::var_os("NGINX_BIN") {
        Some(p) => vec![PathBuf::from(p)],
        None => std::env::var_os("PATH")
            .map(|path| {
                std::env::split_paths(&path)
                    .map(|d| d.join("nginx"))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .chain([PathBuf::from("/usr/sbin/nginx")])
            .collect(),
    };
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx not found (looked at $NGINX_BIN, PATH and /usr/sbin/nginx): \
                 run scripts/install-test-deps.sh to install it from Debian's packages"
            )
        })
}

/// How nginx treats a report request that failed on a replica after it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SentReports {
    /// `non_idempotent`: passed on to the next replica (what `docs/ingest-api.md` recommends).
    PassedOn,
    /// nginx's default for a `POST`: answered `502`, and the client sends it again.
    Answered502,
}

/// The load balancer's configuration: the one `docs/ingest-api.md` recommends (without
/// `non_idempotent` for `SentReports::Answered502`), with every path in `dir` and nginx in the
/// foreground as one process (`master_process off`: killing it stops the server).
fn nginx_config(dir: &Path, port: u16, replicas: &[SocketAddr], sent: SentReports) -> String {
    let p = dir.display();
    let reports_next = match sent {
        SentReports::PassedOn => "error timeout http_503 non_idempotent",
        SentReports::Answered502 => "error timeout http_503",
    };
    let servers: String = replicas
        .iter()
        .map(|a| format!("        server {a} max_fails=1 fail_timeout=5s;\n"))
        .collect();
    format!(
        r#"
daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstreams '$status $request_method $uri upstream=[$upstream_addr] upstream_status=[$upstream_status]';
    access_log {p}/logs/access.log upstreams;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    client_max_body_size 8m;

    upstream ingest {{
{servers}        keepalive 32;
    }}

    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_connect_timeout 2s;
        proxy_read_timeout 15s;
        proxy_next_upstream_tries {tries};
        proxy_next_upstream_timeout 30s;

        # Reports: an exact resend answers 200 with the original acknowledgement, so a report
        # request that failed on one replica, even after it was sent, is passed to the next.
        location = /v1/reports {{
            proxy_pass http://ingest;
            proxy_next_upstream {reports_next};
        }}
        location = /v1/reports/batch {{
            proxy_pass http://ingest;
            proxy_next_upstream {reports_next};
        }}
        # Everything else: GETs are retried; the signed writes (a nonce each) never once sent.
        location / {{
            proxy_pass http://ingest;
            proxy_next_upstream error timeout http_503;
        }}
    }}
}}
"#,
        tries = replicas.len()
    )
}

fn start_nginx(dir: &Path, replicas: &[SocketAddr], sent: SentReports) -> (Proc, u16) {
    let bin = nginx_bin();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let port = sla_devstack::ports::free_port().expect("a free port");
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, nginx_config(dir, port, replicas, sent)).unwrap();
    let error_log = dir.join("logs/error.log");
    let child = Command::new(&bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(&error_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut proc = Proc {
        name: "nginx".into(),
        child: Some(child),
        log: error_log,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = proc.child.as_mut().unwrap().try_wait() {
            panic!("nginx exited with {status} before listening");
        }
        assert!(Instant::now() < deadline, "nginx did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
    (proc, port)
}

/// One report chain: a reporter of one data unit.
struct Chain {
    key: SigningKey,
    role: Role,
    data_unit: u64,
}

fn chains() -> Vec<Chain> {
    DATA_UNITS
        .iter()
        .enumerate()
        .flat_map(|(i, &data_unit)| {
            [(Role::Consumer, 0x40), (Role::Provider, 0x60)].map(|(role, seed)| Chain {
                key: SigningKey::from_bytes(&[seed + i as u8; 32]),
                role,
                data_unit,
            })
        })
        .collect()
}

async fn seed_mirror(db: &Database, chains: &[Chain]) {
    for &data_unit in &DATA_UNITS {
        let allocation = Allocation {
            data_unit,
            consumer: CONSUMER,
            provider: PROVIDER,
            status: AllocationStatus::Active,
            terms_hash: [0x11; 32],
            terms: terms(),
            active_from_ms: 0,
            closed_at_ms: None,
        };
        seed_allocation(db, &allocation)
            .await
            .expect("seed allocation");
    }
    for chain in chains {
        let account = match chain.role {
            Role::Consumer => CONSUMER,
            Role::Provider => PROVIDER,
        };
        let key = ReporterKey {
            public_key: chain.key.verifying_key().to_bytes(),
            account,
            valid_from_ms: 0,
            valid_until_ms: None,
        };
        seed_key(db, &key).await.expect("seed key");
    }
}

/// One acknowledgement.
#[derive(Debug, Clone)]
struct Ack {
    hash: ReportHash,
    data_unit: u64,
    reporter_key: [u8; 32],
    /// 201, or 200 for a report an earlier attempt had stored.
    status: u16,
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    acks: Mutex<Vec<Ack>>,
    acked: AtomicUsize,
    /// Resends after a transport error or a 5xx.
    resends: AtomicU64,
    /// The 5xx answers and transport errors behind them, by kind.
    failures: Mutex<BTreeMap<String, u64>>,
}

/// Streams the chain's reports through `base` until `TARGET_ACKS` reports are acknowledged in
/// all, each sent again with the same bytes until it is acknowledged (201, or 200 for a report
/// an earlier attempt stored) after a transport error, a timeout, `408`, `429` or a `5xx`, as the
/// probe agent does; any other answer fails the test.
async fn stream(chain: Chain, start_ms: u64, base: String, seen: Arc<Seen>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(40))
        .build()
        .unwrap();
    let reporter_key = chain.key.verifying_key().to_bytes();
    let mut prev = ReportHash::ZERO;
    let deadline = Instant::now() + DEADLINE;
    for sequence in 1u64.. {
        if seen.acked.load(Ordering::SeqCst) >= TARGET_ACKS {
            return;
        }
        let period_start_ms = start_ms + (sequence - 1) * PERIOD_MS;
        let report = Report {
            deployment: deployment(),
            role: chain.role,
            reporter_key,
            data_unit: chain.data_unit,
            sequence,
            prev_hash: prev,
            period_start_ms,
            period_end_ms: period_start_ms + PERIOD_MS,
            records: vec![
                QosRecord::success(period_start_ms + 10, Operation::Read, 12_000, 4096),
                QosRecord::failure(period_start_ms + 20, Operation::Write, 30_000, 503, "busy"),
            ],
        };
        let signed = sign_report(&report, &chain.key).expect("a valid report");
        let hash = signed.hash();
        let body = serde_json::to_vec(&serde_json::json!({
            "payload": hex::encode(&signed.payload),
            "signature": hex::encode(&signed.signature),
        }))
        .unwrap();
        let status = loop {
            assert!(
                Instant::now() < deadline,
                "report {sequence} of data unit {} not acknowledged in time",
                chain.data_unit
            );
            let failure = match http
                .post(format!("{base}/v1/reports"))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
            {
                Ok(r) if r.status() == 201 || r.status() == 200 => {
                    let status = r.status().as_u16();
                    let ack: serde_json::Value = r.json().await.expect("an acknowledgement");
                    assert_eq!(ack["report_hash"], hash.to_hex(), "ack of another report");
                    assert_eq!(ack["sequence"], sequence);
                    assert_eq!(ack["data_unit"], chain.data_unit);
                    break status;
                }
                // What the probe agent tries again (`cli/src/probe/ingest.rs`).
                Ok(r)
                    if r.status().is_server_error() || matches!(r.status().as_u16(), 408 | 429) =>
                {
                    format!("HTTP {}", r.status().as_u16())
                }
                Ok(r) => {
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    panic!(
                        "report {sequence} of data unit {} ({:?}): {status} {text}",
                        chain.data_unit, chain.role
                    );
                }
                Err(e) if e.is_timeout() => "timeout".into(),
                Err(_) => "transport error".into(),
            };
            *seen.failures.lock().unwrap().entry(failure).or_default() += 1;
            seen.resends.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        seen.acks.lock().unwrap().push(Ack {
            hash,
            data_unit: chain.data_unit,
            reporter_key,
            status,
        });
        seen.acked.fetch_add(1, Ordering::SeqCst);
        prev = hash;
    }
}

/// `sla_ingest_reports_accepted_total` of one replica, read from it directly.
async fn accepted_by(http: &reqwest::Client, addr: SocketAddr) -> u64 {
    let text = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix("sla_ingest_reports_accepted_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .unwrap_or(0)
}

/// Every stored report, in arrival order.
async fn stored_reports(db: &Database) -> Vec<StoredReport> {
    let mut out: Vec<StoredReport> = Vec::new();
    loop {
        let after = out.last().map(|r| r.id).unwrap_or(0);
        let page = db
            .reports()
            .after(after, 1_000)
            .await
            .expect("read reports");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// What happens to replica 0 once a third of the reports are acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// SIGKILL: no drain, no commit of what is queued; its sockets close.
    Kill,
    /// SIGSTOP while its group commit holds the report-id lock in an open transaction (stopped
    /// and resumed until caught there), and left stopped until the end: its sockets stay open.
    FreezeHoldingTheIdLock,
}

/// The recommended configuration: nginx passes a report that failed on the killed replica to
/// another one itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_behind_nginx_store_and_count_each_acknowledged_report_once() {
    one_replica_fails_while_streaming(SentReports::PassedOn, Fault::Kill).await;
}

/// Without `non_idempotent`: nginx answers `502` for a report sent to the killed replica, and the
/// client sends the same bytes again (`200` if the killed replica had committed it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_behind_nginx_without_non_idempotent_the_client_resends() {
    one_replica_fails_while_streaming(SentReports::Answered502, Fault::Kill).await;
}

/// Regression: a replica frozen (not dead) in the middle of its group commit, holding the
/// advisory lock under which report ids are drawn, stopped every replica's commits for as long
/// as it stayed frozen (its socket open, PostgreSQL kept its transaction). The writer's
/// transaction now bounds its idle time (`idle_in_transaction_session_timeout`), so PostgreSQL
/// ends it and the others carry on; nginx takes the frozen replica's requests elsewhere after
/// `proxy_read_timeout`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_behind_nginx_carry_on_while_one_is_frozen_holding_the_id_lock() {
    one_replica_fails_while_streaming(SentReports::PassedOn, Fault::FreezeHoldingTheIdLock).await;
}

fn signal(proc: &Proc, signal: &str) {
    let pid = proc.child.as_ref().expect("running").id().to_string();
    let status = Command::new("kill")
        .args([signal, &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid}");
}

/// Stops `proc` (SIGSTOP) at a moment when a transaction of this database holds the report-id
/// lock and has sat idle for 250 ms: only a stopped writer does (a running one commits within
/// milliseconds). Resumes it and tries again until then.
async fn freeze_holding_the_id_lock(proc: &Proc, pool: &sqlx::PgPool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        signal(proc, "-STOP");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (holders,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() \
               AND a.state = 'idle in transaction' \
               AND a.state_change < now() - interval '250 milliseconds'",
        )
        .fetch_one(pool)
        .await
        .expect("read pg_locks");
        if holders > 0 {
            return;
        }
        signal(proc, "-CONT");
        assert!(
            Instant::now() < deadline,
            "never caught the replica holding the id lock"
        );
        tokio::time::sleep(Duration::from_millis(37)).await;
    }
}

async fn one_replica_fails_while_streaming(sent: SentReports, fault: Fault) {
    let Some(admin_url) = postgres_admin_url() else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = sla_storage::testing::create_postgres_database(&admin_url)
        .await
        .expect("create a test database on SLA_TEST_POSTGRES_URL");
    // Opening it migrates it, before any replica starts.
    let db = Database::connect(&database_url)
        .await
        .expect("open the database");
    let chains = chains();
    seed_mirror(&db, &chains).await;

    let mut replicas: Vec<Replica> = (0..REPLICAS)
        .map(|i| start_replica(i, &database_url, dir.path()))
        .collect();
    let http = reqwest::Client::new();
    for r in &replicas {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match http.get(format!("http://{}/readyz", r.addr)).send().await {
                Ok(a) if a.status().is_success() => break,
                _ if Instant::now() > deadline => panic!("{} never became ready", r.proc.name),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
    let addrs: Vec<SocketAddr> = replicas.iter().map(|r| r.addr).collect();
    let nginx_dir = dir.path().join("nginx");
    let (_nginx, port) = start_nginx(&nginx_dir, &addrs, sent);
    let base = format!("http://127.0.0.1:{port}");

    // The aggregator, as the oracle runs it, all along.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let aggregator = Aggregator::new(
        AggregatorStores::of(&db),
        AggregatorConfig {
            epochs: epochs(),
            grace_ms: GRACE_MS,
            page_size: 1_000,
        },
    );
    let aggregating = tokio::spawn(aggregator.run(Duration::from_millis(200), async {
        let _ = stop_rx.await;
    }));

    // Reports of the past: periods of a minute from five days ago.
    let start_ms = (sla_runtime::now_ms() / HOUR_MS - 120) * HOUR_MS;
    let seen = Arc::new(Seen::default());
    let clients: Vec<_> = chains
        .into_iter()
        .map(|c| tokio::spawn(stream(c, start_ms, base.clone(), seen.clone())))
        .collect();

    // Replica 0 fails once a third of the reports are acknowledged, requests in flight.
    while seen.acked.load(Ordering::SeqCst) < TARGET_ACKS / 3 {
        assert!(started.elapsed() < DEADLINE, "streaming too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut before_kill = Vec::new();
    for r in &replicas {
        before_kill.push(accepted_by(&http, r.addr).await);
    }
    let pool = postgres_pool(&db).expect("a PostgreSQL database");
    match fault {
        Fault::Kill => replicas[0].proc.kill(),
        Fault::FreezeHoldingTheIdLock => freeze_holding_the_id_lock(&replicas[0].proc, pool).await,
    }
    let killed_at = seen.acked.load(Ordering::SeqCst);
    assert!(
        before_kill.iter().all(|&n| n > 0),
        "nginx did not spread reports over every replica: {before_kill:?}"
    );
    for c in clients {
        c.await.expect("a client failed");
    }
    let streamed_in = started.elapsed();
    replicas[0].proc.kill(); // a frozen one too

    // The aggregator catches up with everything stored, then stops.
    let stored = stored_reports(&db).await;
    let last_id = stored.last().map(|r| r.id).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while db.rollups().cursor().await.expect("cursor") < last_id {
        assert!(Instant::now() < deadline, "the aggregator did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(());
    aggregating
        .await
        .expect("aggregator task")
        .expect("the aggregator ran without error");

    // Every acknowledged report stored exactly once, and nothing else.
    let acks = seen.acks.lock().unwrap().clone();
    let acked: BTreeSet<ReportHash> = acks.iter().map(|a| a.hash).collect();
    assert_eq!(acked.len(), acks.len(), "a report was acknowledged twice");
    assert!(acks.len() >= TARGET_ACKS);
    let stored_hashes: BTreeSet<ReportHash> = stored.iter().map(|r| r.hash).collect();
    assert_eq!(
        stored_hashes.len(),
        stored.len(),
        "a report is stored twice"
    );
    let lost: Vec<_> = acked.difference(&stored_hashes).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let unacked: Vec<_> = stored_hashes.difference(&acked).collect();
    assert!(
        unacked.is_empty(),
        "stored but never acknowledged: {unacked:?}"
    );
    for Ack { hash, .. } in acks.iter().take(50) {
        let by_hash = db.reports().by_hash(hash).await.expect("read by hash");
        assert!(by_hash.is_some(), "{hash} not found by its hash");
    }
    let (reports, distinct, records, equivocations): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(DISTINCT hash) FROM reports), \
         (SELECT COUNT(*) FROM records), (SELECT COUNT(*) FROM equivocations)",
    )
    .fetch_one(pool)
    .await
    .expect("count rows");
    assert_eq!(reports as usize, acked.len());
    assert_eq!(distinct as usize, acked.len());
    let expected_records: u64 = stored.iter().map(|r| u64::from(r.record_count)).sum();
    assert_eq!(
        records as u64, expected_records,
        "records stored twice or lost"
    );
    assert_eq!(equivocations, 0);

    // Every chain whole: 1..=n, each report linked to the one before, n = its acknowledgements.
    let mut by_chain: HashMap<(u64, [u8; 32]), Vec<Report>> = HashMap::new();
    for r in &stored {
        let report = codec::decode(&r.payload).expect("a stored report decodes");
        by_chain
            .entry((r.data_unit, r.reporter_key))
            .or_default()
            .push(report);
    }
    assert_eq!(by_chain.len(), DATA_UNITS.len() * 2);
    for ((data_unit, key), reports) in &mut by_chain {
        reports.sort_by_key(|r| r.sequence);
        let acked_here = acks
            .iter()
            .filter(|a| a.data_unit == *data_unit && a.reporter_key == *key)
            .count();
        assert_eq!(reports.len(), acked_here, "data unit {data_unit}");
        let mut prev = ReportHash::ZERO;
        for (i, report) in reports.iter().enumerate() {
            assert_eq!(report.sequence, i as u64 + 1, "data unit {data_unit}: gap");
            assert_eq!(
                report.prev_hash, prev,
                "data unit {data_unit}: chain broken"
            );
            prev = sla_protocol::report_hash(&codec::encode(report).unwrap());
        }
    }

    // The aggregator counted each report once: its roll-ups equal the recomputation.
    let config = epochs();
    let mut expected: BTreeMap<(u64, u64), EpochAccumulator> = BTreeMap::new();
    for r in &stored {
        let report = codec::decode(&r.payload).unwrap();
        for epoch in config
            .epochs_overlapping(report.period_start_ms, report.period_end_ms)
            .expect("a period")
        {
            let acc = expected.entry((r.data_unit, epoch)).or_insert_with(|| {
                let ctx = AggregationContext::new(&config, &terms(), r.data_unit, epoch).unwrap();
                EpochAccumulator::new(ctx)
            });
            acc.add_report(&report, r.hash).expect("add a report");
        }
    }
    let mut counted = 0u64;
    let mut rollups = 0usize;
    for &data_unit in &DATA_UNITS {
        let stored_rollups = db
            .rollups()
            .of_data_unit(data_unit, 0, u64::from(u32::MAX))
            .await
            .expect("roll-ups");
        for rollup in &stored_rollups {
            let want = expected
                .get(&(data_unit, rollup.epoch))
                .unwrap_or_else(|| panic!("a roll-up of no report: {data_unit}/{}", rollup.epoch));
            assert_eq!(
                rollup.summary,
                want.summary(),
                "roll-up {data_unit}/{} differs from the recomputation",
                rollup.epoch
            );
            counted += rollup.report_count;
        }
        rollups += stored_rollups.len();
        let uncounted = db.rollups().uncounted(data_unit).await.expect("uncounted");
        assert!(uncounted.is_empty(), "uncounted reports: {uncounted:?}");
    }
    assert_eq!(rollups, expected.len(), "a roll-up is missing");
    assert_eq!(
        counted as usize,
        stored.len(),
        "reports counted ≠ reports stored"
    );

    let statuses = acks.iter().fold([0u64; 2], |mut n, a| {
        n[usize::from(a.status == 200)] += 1;
        n
    });
    let access = std::fs::read_to_string(nginx_dir.join("logs/access.log")).unwrap_or_default();
    let passed_on = access
        .lines()
        .filter(|l| l.contains("/v1/reports") && l.contains(", "))
        .count();
    eprintln!(
        "{sent:?}, {fault:?}: {} reports acknowledged ({} × 201, {} × 200 for a report an earlier attempt stored) \
         through nginx over {REPLICAS} replicas in {:.1} s; replica 0 failed after {killed_at} \
         (accepted per replica then: {before_kill:?}); {} client resends ({:?}); nginx passed \
         {passed_on} requests on to another replica; {} roll-ups equal to the recomputation; \
         test took {:.1} s",
        acks.len(),
        statuses[0],
        statuses[1],
        streamed_in.as_secs_f64(),
        seen.resends.load(Ordering::SeqCst),
        seen.failures.lock().unwrap(),
        rollups,
        started.elapsed().as_secs_f64(),
    );
}
