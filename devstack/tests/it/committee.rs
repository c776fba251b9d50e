//! A committee of four oracle nodes, quorum three (docs/committee.md), on a real anvil: each node
//! its own `sla-devstack-oracle` process and its own SQLite database, nodes 1 to 3 their own
//! `sla-devstack-ingest-api` process (node 0's ingest API is the stack's, in this process). The
//! sample reporters post to node 0 only. Five phases, one run:
//!
//! 1. All honest: every result lands once, equal to every node's own roll-up of the same epoch
//!    (so the reports posted to node 0 reached all, dated alike), and every landed batch carries
//!    a quorum of the contract's signers.
//! 2. Node 2 cut off from the others for several epochs (its peer traffic, both ways, through
//!    gates that drop every connection): the others keep landing results; healed, it catches up.
//! 3. Node 3 killed (`kill -9`, oracle and ingest API) for several epochs, one of which it was
//!    scheduled to lead: results still land. Restarted, it catches up: it pulls the reports it
//!    missed and holds the landed results as its own.
//! 4. Node 3 restarted as a byzantine node: as a follower it signs tampered results, as a leader
//!    it leaves one reporter's reports out. None of its signatures is in a landed batch; the
//!    honest followers refuse its proposals naming the left-out report, and the next leader's
//!    round lands with that report counted.
//! 5. The admin removes node 3 from the signer set (quorum two) while rounds go on: every batch
//!    lands under the version its signatures were made for, the new ones by the new set.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use sla_contracts::applied::applied_submissions_of;
use sla_contracts::signers::{batch_signatures, BatchSignatures};
use sla_contracts::SlaOracle;
use sla_devstack::ports::free_port;
use sla_devstack::scenario::Scenario;
use sla_devstack::stack::{Stack, StackOptions};
use sla_oracle::committee::schedule;
use sla_storage::Database;
use tokio::sync::watch;

const EPOCH_LENGTH: u32 = 10;
const NODES: usize = 4;
/// anvil's accounts that sign (2 to 5 are the scenario's providers and consumers).
const SIGNER_ACCOUNTS: [usize; NODES] = [1, 6, 7, 8];
const QUORUM: u8 = 3;
const ROUND_TIMEOUT_MS: u64 = 3_000;

/// A child process, killed (SIGKILL) and reaped when dropped; its log's tail is printed if the
/// test fails.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!("--- last lines of {} ({}):", self.name, self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

impl Proc {
    /// Panics, naming this process and showing its log's last lines, if it has exited: a
    /// member that died (a port taken, a bad flag) must fail the test at once, saying why, not
    /// as results that never land.
    fn assert_running(&mut self) {
        let Ok(Some(status)) = self.child.try_wait() else {
            return;
        };
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("{} exited ({status}):\n{}", self.name, tail.join("\n"));
    }
}

fn spawn(name: &str, program: &str, args: &[String], env: &[(&str, String)], log: &Path) -> Proc {
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    writeln!(out, "=== {name} starts").unwrap();
    let mut command = Command::new(program);
    command
        .args(args)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log file"))
        .stderr(out);
    for (k, v) in env {
        command.env(k, v);
    }
    Proc {
        name: name.to_owned(),
        child: command
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}")),
        log: log.to_owned(),
    }
}

/// One member of the committee.
struct Node {
    index: usize,
    account: usize,
    database_url: String,
    api_port: u16,
    committee_port: u16,
    metrics_port: u16,
    ingest: Option<Proc>,
    oracle: Option<Proc>,
}

impl Node {
    fn start_ingest(&mut self, stack: &Stack) {
        if self.index == 0 {
            return; // the stack's own ingest API
        }
        let log = stack
            .data_dir()
            .join(format!("node-{}-ingest.log", self.index));
        let args = [
            "--listen".to_owned(),
            format!("127.0.0.1:{}", self.api_port),
            "--database-url".into(),
            self.database_url.clone(),
            "--deployment".into(),
            stack.deployment_path.display().to_string(),
        ];
        self.ingest = Some(spawn(
            &format!("node {} ingest API", self.index),
            env!("CARGO_BIN_EXE_sla-devstack-ingest-api"),
            &args,
            &[],
            &log,
        ));
    }

    fn start_oracle(&mut self, stack: &Stack, committee_file: &Path, byzantine: Option<String>) {
        let mut args = stack.oracle_args(&format!("127.0.0.1:{}", self.metrics_port));
        args.remove(0);
        let set = |args: &mut Vec<String>, flag: &str, value: String| {
            let i = args.iter().position(|a| a == flag).expect("flag present");
            args[i + 1] = value;
        };
        set(
            &mut args,
            "--oracle-key",
            hex::encode(stack.accounts[self.account].to_bytes()),
        );
        set(&mut args, "--database-url", self.database_url.clone());
        args.extend([
            "--committee".into(),
            committee_file.display().to_string(),
            "--committee-listen".into(),
            format!("127.0.0.1:{}", self.committee_port),
            "--exchange-poll-ms".into(),
            "250".into(),
            "--exchange-arrival-allowance-ms".into(),
            "3000".into(),
        ]);
        let env: Vec<(&str, String)> = byzantine
            .map(|b| vec![("SLA_TEST_BYZANTINE", b)])
            .unwrap_or_default();
        let log = stack
            .data_dir()
            .join(format!("node-{}-oracle.log", self.index));
        self.oracle = Some(spawn(
            &format!("node {} oracle", self.index),
            env!("CARGO_BIN_EXE_sla-devstack-oracle"),
            &args,
            &env,
            &log,
        ));
    }

    /// Waits until this node's ingest API and oracle answer (`/healthz`, `/metrics`), failing
    /// at once if either exits.
    async fn wait_listening(&mut self) {
        let urls = [
            format!("http://127.0.0.1:{}/healthz", self.api_port),
            format!("http://127.0.0.1:{}/metrics", self.metrics_port),
        ];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        for url in urls {
            loop {
                self.assert_running();
                if reqwest::get(&url)
                    .await
                    .is_ok_and(|r| r.status().is_success())
                {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "node {}: {url} does not answer",
                    self.index
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Panics if one of this node's processes has exited.
    fn assert_running(&mut self) {
        for proc in [&mut self.ingest, &mut self.oracle].into_iter().flatten() {
            proc.assert_running();
        }
    }

    /// `kill -9` both processes.
    fn kill(&mut self) {
        self.oracle = None;
        self.ingest = None;
    }

    async fn metric(&self, name: &str) -> f64 {
        let url = format!("http://127.0.0.1:{}/metrics", self.metrics_port);
        let Ok(answer) = reqwest::get(url).await else {
            return 0.0;
        };
        let text = answer.text().await.unwrap_or_default();
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

/// What landed on chain for the scenario's data units: per (data unit, epoch), the result and
/// its batch's transaction, configuration version and results hash.
type Landed = BTreeMap<(u64, u64), sla_contracts::applied::SubmittedResult>;

async fn landed(stack: &Stack, chain: &DynProvider, units: &[u64]) -> Landed {
    let mut out = BTreeMap::new();
    for &unit in units {
        let submitted = applied_submissions_of(
            chain,
            stack.deployment.contract,
            stack.deployment.deploy_block,
            None,
            unit,
        )
        .await
        .expect("read the submitted results");
        for s in submitted {
            let key = (unit, s.applied.epoch);
            // Recorded once: a second submission of the same result is skipped by the contract.
            if s.was_applied {
                assert!(out.insert(key, s).is_none(), "{key:?} applied twice");
            }
        }
    }
    out
}

/// Waits until at least `count` epochs after `after` have landed for every unit.
#[allow(clippy::too_many_arguments)]
async fn wait_landed(
    stack: &Stack,
    nodes: &mut [Node],
    chain: &DynProvider,
    units: &[u64],
    after: u64,
    count: usize,
    scenario: &mut Scenario,
    what: &str,
) -> Landed {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40 + 15 * count as u64);
    loop {
        let landed = landed(stack, chain, units).await;
        if units
            .iter()
            .all(|u| landed.keys().filter(|(d, e)| d == u && *e > after).count() >= count)
        {
            return landed;
        }
        scenario.reporters_running().await.unwrap();
        for node in nodes.iter_mut() {
            node.assert_running();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: results did not land: {:?}",
            landed.keys().collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The signers of each landed batch (by transaction), recovered from its calldata.
async fn signers_of(
    stack: &Stack,
    chain: &DynProvider,
    landed: &Landed,
) -> BTreeMap<String, Vec<Address>> {
    let mut out = BTreeMap::new();
    for s in landed.values() {
        let key = s.tx_hash.to_string();
        if out.contains_key(&key) {
            continue;
        }
        let recovered = batch_signatures(
            chain,
            stack.deployment.chain_id,
            stack.deployment.contract,
            s.tx_hash,
            s.config_version,
            s.results_hash,
        )
        .await
        .expect("read the transaction")
        .expect("a submitResults batch");
        let BatchSignatures::Recovered(addresses) = recovered else {
            panic!("batch {key}: {recovered:?}");
        };
        out.insert(key, addresses);
    }
    out
}

/// Every node's own result for `(data unit, epoch)` comes to equal the landed one (at once, or
/// once it caught up: a node whose reports arrived late adopts the landed set when its reports
/// give the landed root).
async fn assert_all_nodes_agree(nodes: &[Node], landed: &Landed, keys: &[(u64, u64)]) {
    for node in nodes {
        let rollups = Database::connect(&node.database_url)
            .await
            .unwrap()
            .rollups();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        for key in keys {
            let chain = landed[key].applied.result.pack();
            loop {
                let rollup = rollups.get(key.0, key.1).await.unwrap();
                let own = rollup
                    .and_then(|r| r.verdict)
                    .map(|v| v.epoch_result().pack());
                if own == Some(chain) {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "node {}: its result for {key:?} is not the one that landed: {own:?}",
                    node.index
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// A TCP forwarder to `target_port` on loopback that the test can cut: while `open` is false,
/// new connections are dropped and those in progress are cut. Returns its port.
async fn gate(target_port: u16, open: watch::Receiver<bool>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let mut open = open.clone();
            if !*open.borrow() {
                continue; // dropped: the peer sees the connection reset
            }
            tokio::spawn(async move {
                let Ok(mut outbound) =
                    tokio::net::TcpStream::connect(("127.0.0.1", target_port)).await
                else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = open.wait_for(|o| !*o) => {}
                }
            });
        }
    });
    port
}

/// Where one member reaches another: its API's and committee endpoint's ports.
type Route = (u16, u16);

fn committee_file(
    stack: &Stack,
    nodes: &[Node],
    name: &str,
    route: impl Fn(&Node) -> Route,
) -> PathBuf {
    let members: Vec<serde_json::Value> = nodes
        .iter()
        .map(|n| {
            let (api, committee) = route(n);
            serde_json::json!({
                "name": format!("node-{}", n.index),
                "address": stack.accounts[n.account].address().to_string(),
                "api": format!("http://127.0.0.1:{api}"),
                "committee": format!("http://127.0.0.1:{committee}"),
            })
        })
        .collect();
    let path = stack.data_dir().join(name);
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&serde_json::json!({
            "members": members,
            "round_timeout_ms": ROUND_TIMEOUT_MS,
        }))
        .unwrap(),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_nodes_quorum_three_land_every_result_through_a_partition_a_crash_a_byzantine_node_and_a_new_signer_set(
) {
    sla_devstack::stack::log_to_test_output();
    let dir = tempfile::tempdir().unwrap();
    let mut options = StackOptions::new(dir.path());
    options.epoch_length = EPOCH_LENGTH;
    options.oracle_in_process = false;
    options.oracle_signers = SIGNER_ACCOUNTS.to_vec();
    options.quorum = QUORUM;
    let stack = Stack::start(options)
        .await
        .expect("stack starts (is anvil installed? run contracts/scripts/setup.sh)");
    let chain = ProviderBuilder::new()
        .connect_http(stack.rpc_url.parse().unwrap())
        .erased();
    let signer_set: BTreeSet<Address> = SIGNER_ACCOUNTS
        .iter()
        .map(|&a| stack.accounts[a].address())
        .collect();

    let mut nodes: Vec<Node> = (0..NODES)
        .map(|i| {
            let api_port = free_port().unwrap();
            Node {
                index: i,
                account: SIGNER_ACCOUNTS[i],
                database_url: if i == 0 {
                    stack.database_url.clone()
                } else {
                    format!(
                        "sqlite:{}",
                        stack.data_dir().join(format!("node-{i}.sqlite")).display()
                    )
                },
                api_port: if i == 0 {
                    stack
                        .ingest_url
                        .rsplit(':')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap()
                } else {
                    api_port
                },
                committee_port: free_port().unwrap(),
                metrics_port: free_port().unwrap(),
                ingest: None,
                oracle: None,
            }
        })
        .collect();
    // Node 2's peer traffic goes through gates, both ways: the others reach it through
    // `to_2`, it reaches each of them through `from_2`.
    const CUT: usize = 2;
    let (open_tx, open) = watch::channel(true);
    let to_2 = (
        gate(nodes[CUT].api_port, open.clone()).await,
        gate(nodes[CUT].committee_port, open.clone()).await,
    );
    let mut from_2 = BTreeMap::new();
    for n in nodes.iter().filter(|n| n.index != CUT) {
        let route = (
            gate(n.api_port, open.clone()).await,
            gate(n.committee_port, open.clone()).await,
        );
        from_2.insert(n.index, route);
    }
    let file = committee_file(&stack, &nodes, "committee.json", |n| {
        if n.index == CUT {
            to_2
        } else {
            (n.api_port, n.committee_port)
        }
    });
    let file_2 = committee_file(&stack, &nodes, "committee-2.json", |n| {
        from_2
            .get(&n.index)
            .copied()
            .unwrap_or((n.api_port, n.committee_port))
    });
    for node in &mut nodes {
        node.start_ingest(&stack);
        let file = if node.index == CUT { &file_2 } else { &file };
        node.start_oracle(&stack, file, None);
    }
    for node in &mut nodes {
        node.wait_listening().await;
    }
    // The reporters post to node 0 only.
    let mut scenario = Scenario::start(&stack, 300_000_000_000_000_000)
        .await
        .unwrap();
    let units: Vec<u64> = scenario.units().iter().map(|u| u.0).collect();

    // Phase 1: all honest.
    let landed1 = wait_landed(
        &stack,
        &mut nodes,
        &chain,
        &units,
        0,
        2,
        &mut scenario,
        "all honest",
    )
    .await;
    let keys: Vec<(u64, u64)> = landed1.keys().copied().collect();
    assert_all_nodes_agree(&nodes, &landed1, &keys).await;
    for (tx, signers) in signers_of(&stack, &chain, &landed1).await {
        assert!(
            signers.len() >= usize::from(QUORUM),
            "batch {tx}: {signers:?}"
        );
        assert!(
            signers.iter().all(|s| signer_set.contains(s)),
            "batch {tx}: {signers:?}"
        );
    }
    assert!(
        nodes[1].metric("sla_exchange_reports_fetched_total").await > 0.0,
        "node 1 pulled node 0's reports"
    );

    // Phase 2: node 2 cut off for several epochs; the other three land every result.
    let last0 = landed1.keys().map(|k| k.1).max().unwrap();
    open_tx.send(false).unwrap();
    let cut = wait_landed(
        &stack,
        &mut nodes,
        &chain,
        &units,
        last0,
        3,
        &mut scenario,
        "node 2 cut off",
    )
    .await;
    let cut_keys: Vec<(u64, u64)> = cut.keys().filter(|k| k.1 > last0 + 1).copied().collect();
    open_tx.send(true).unwrap();
    // The cut was real: node 2 signed none of what landed meanwhile.
    let node2 = stack.accounts[SIGNER_ACCOUNTS[CUT]].address();
    let during: Landed = cut_keys.iter().map(|k| (*k, cut[k])).collect();
    for (tx, signers) in signers_of(&stack, &chain, &during).await {
        assert!(
            !signers.contains(&node2),
            "batch {tx}: node 2 signed while cut off"
        );
        assert!(
            signers.len() >= usize::from(QUORUM),
            "batch {tx}: {signers:?}"
        );
    }
    // Healed: it pulls what it missed and holds the landed results as its own.
    assert_all_nodes_agree(&nodes[CUT..=CUT], &cut, &cut_keys).await;

    // Phase 3: node 3 killed for several epochs, one of which it was to lead.
    let last1 = cut.keys().map(|k| k.1).max().unwrap();
    nodes[3].kill();
    let signers: Vec<Address> = signer_set.iter().copied().collect();
    let node3 = stack.accounts[SIGNER_ACCOUNTS[3]].address();
    let landed2 = wait_landed(
        &stack,
        &mut nodes,
        &chain,
        &units,
        last1,
        4,
        &mut scenario,
        "node 3 down",
    )
    .await;
    let led_by_3: Vec<u64> = landed2
        .keys()
        .map(|k| k.1)
        .filter(|&e| e > last1 && schedule::leader(&signers, e, 0) == Some(node3))
        .collect();
    assert!(
        !led_by_3.is_empty(),
        "some epoch landed while its first leader, node 3, was down"
    );
    nodes[3].start_ingest(&stack);
    nodes[3].start_oracle(&stack, &file, None);
    nodes[3].wait_listening().await;
    let keys2: Vec<(u64, u64)> = landed2.keys().filter(|k| k.1 > last1).copied().collect();
    // Node 3 catches up: every report of node 0 pulled, the results it missed computed alike.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let db0 = Database::connect(&nodes[0].database_url).await.unwrap();
    let db3 = Database::connect(&nodes[3].database_url).await.unwrap();
    loop {
        let behind = db0
            .reports()
            .counts()
            .await
            .unwrap()
            .reports
            .saturating_sub(db3.reports().counts().await.unwrap().reports);
        let mut missing = 0;
        for key in &keys2 {
            if db3
                .rollups()
                .get(key.0, key.1)
                .await
                .unwrap()
                .and_then(|r| r.verdict)
                .is_none()
            {
                missing += 1;
            }
        }
        // Reporters keep posting: a few reports behind is the exchange's poll, not a gap.
        if behind <= 4 && missing == 0 {
            break;
        }
        nodes[3].assert_running();
        assert!(
            tokio::time::Instant::now() < deadline,
            "node 3 did not catch up: {behind} reports behind, {missing} verdicts missing"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_all_nodes_agree(&nodes, &landed2, &keys2).await;

    // Phase 4: node 3 byzantine, leaving the compliant unit's consumer out and signing tampered
    // results.
    let last2 = landed2.keys().map(|k| k.1).max().unwrap();
    let dropped_key = hex::encode(scenario.compliant.consumer_key.verifying_key().to_bytes());
    nodes[3].oracle = None;
    nodes[3].start_oracle(
        &stack,
        &file,
        Some(format!("sign-tampered,ignore-reporter:{dropped_key}")),
    );
    nodes[3].wait_listening().await;
    let landed3 = wait_landed(
        &stack,
        &mut nodes,
        &chain,
        &units,
        last2 + 1,
        4,
        &mut scenario,
        "node 3 byzantine",
    )
    .await;
    let keys3: Vec<(u64, u64)> = landed3
        .keys()
        .filter(|k| k.1 > last2 + 1)
        .copied()
        .collect();
    assert_all_nodes_agree(&nodes[..3], &landed3, &keys3).await;
    let phase3: Landed = keys3.iter().map(|k| (*k, landed3[k])).collect();
    for (tx, signers) in signers_of(&stack, &chain, &phase3).await {
        assert!(
            !signers.contains(&node3),
            "batch {tx}: the byzantine node's signature landed"
        );
        assert!(
            signers.len() >= usize::from(QUORUM),
            "batch {tx}: {signers:?}"
        );
    }
    let led_by_byzantine = keys3
        .iter()
        .any(|&(_, e)| schedule::leader(&signers, e, 0) == Some(node3));
    assert!(
        led_by_byzantine,
        "an epoch the byzantine node was to lead landed"
    );
    let mut refused = 0.0;
    for node in &nodes[..3] {
        refused += node
            .metric("sla_committee_proposals_refused_total{reason=\"omits-report\"}")
            .await;
    }
    assert!(
        refused >= 1.0,
        "the honest followers refused the proposal that left a report out"
    );
    // The compliant unit's results count its consumer's reports: a consumer view in every one.
    for key in keys3.iter().filter(|k| k.0 == scenario.compliant.data_unit) {
        let rollup = db0.rollups().get(key.0, key.1).await.unwrap().unwrap();
        assert_eq!(
            landed3[key].applied.result.reports_root,
            rollup.reports_root
        );
        assert!(rollup.summary.consumer.reports > 0, "{key:?}: {rollup:?}");
    }

    // Phase 5: the admin removes the byzantine node from the signer set, quorum two, while
    // rounds go on. Every batch lands under the version it was signed for: none under the old
    // set after the change, the new ones signed by the new set only.
    let last3 = landed3.keys().map(|k| k.1).max().unwrap();
    let new_set: Vec<Address> = SIGNER_ACCOUNTS[..3]
        .iter()
        .map(|&a| stack.accounts[a].address())
        .collect();
    let receipt = stack
        .account(0)
        .unwrap()
        .oracle(stack.deployment.contract)
        .setOracleConfig(new_set.clone(), 2)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let changed_at = receipt.block_number.unwrap();
    let version = SlaOracle::new(stack.deployment.contract, &chain)
        .oracleConfig()
        .call()
        .await
        .unwrap()
        .configVersion;
    let landed5 = wait_landed(
        &stack,
        &mut nodes,
        &chain,
        &units,
        last3 + 1,
        3,
        &mut scenario,
        "new signer set",
    )
    .await;
    let after: Landed = landed5
        .iter()
        .filter(|(_, s)| s.block_number > changed_at)
        .map(|(k, s)| (*k, *s))
        .collect();
    assert!(!after.is_empty(), "results landed after the change");
    for s in after.values() {
        assert_eq!(
            s.config_version, version,
            "a batch landed after the change under the old set"
        );
    }
    for (tx, signers) in signers_of(&stack, &chain, &after).await {
        assert!(signers.len() >= 2, "batch {tx}: {signers:?}");
        assert!(
            signers.iter().all(|s| new_set.contains(s)),
            "batch {tx}: {signers:?}"
        );
    }

    for node in &mut nodes {
        node.kill();
    }
    stack.stop().await;
    scenario.finish().await.unwrap();
}
