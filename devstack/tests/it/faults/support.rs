//! The fault-test harness: the dev stack (anvil with `SlaOracle`, the ingest API on SQLite) with
//! one compliant and one failing allocation and their sample reporters, the oracle as a separate
//! process (`sla-devstack-oracle`, killable, with the crash hook), anvil's mining and fee knobs,
//! and the end-state checks every test shares: each (data unit, epoch) applied exactly once and
//! equal to the aggregator's verdict, reputation and penalties equal to one application each, and
//! the oracle account's nonces accounted for.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use sla_contracts::applied::{submitted_results, AppliedResult, SubmittedResult};
use sla_contracts::SlaOracle;
use sla_devstack::chain::{demo_terms, open_allocation, register_provider};
use sla_devstack::ports::free_port;
use sla_devstack::reporter::SampleReporter;
use sla_devstack::scenario::sample_reporters;
use sla_devstack::stack::{Stack, StackOptions};
use sla_protocol::EpochVerdict;
use sla_storage::{Database, OracleTx, Rollup, RollupStatus, TxState};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Seconds per epoch: short, so that a test sees several epochs close in well under a minute.
pub(super) const EPOCH_S: u32 = 6;
pub(super) const GRACE_MS: u64 = 2_000;
pub(super) const BOND_WEI: u128 = 1_000_000_000_000_000_000;
pub(super) const PENALTY_WEI: u64 = 10_000_000_000_000_000;
pub(super) const GWEI: u128 = 1_000_000_000;
pub(super) const START_REPUTATION: u16 = 5_000;

/// Waits up to `$secs` seconds for `$check` (an expression giving `Option<T>`) to be `Some`,
/// polling every 200 ms; on timeout fails with the oracle's logs and transactions.
#[macro_export]
macro_rules! eventually {
    ($h:expr, $secs:expr, $what:expr, $check:expr) => {{
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs($secs);
        loop {
            if let Some(value) = $check {
                break value;
            }
            if std::time::Instant::now() > deadline {
                $h.fail(&format!(
                    "timed out after {} s waiting for {}",
                    $secs, $what
                ))
                .await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }};
}

/// Stack options for one test.
#[derive(Debug, Clone, Copy)]
pub(super) struct Options {
    /// Confirmations for the indexer and the submitter.
    pub confirmations: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { confirmations: 1 }
    }
}

/// One way of running the oracle process.
#[derive(Debug, Clone, Default)]
pub(super) struct OracleRun {
    /// `SLA_ORACLE_CRASH_AFTER`: abort right after this step is recorded.
    pub crash_after: Option<&'static str>,
    /// Flags replacing (or added to) the stack's `sla-oracle` arguments.
    pub flags: Vec<(&'static str, String)>,
}

impl OracleRun {
    pub(super) fn crash_after(step: &'static str) -> Self {
        OracleRun {
            crash_after: Some(step),
            ..OracleRun::default()
        }
    }

    pub(super) fn flag(mut self, name: &'static str, value: impl ToString) -> Self {
        self.flags.push((name, value.to_string()));
        self
    }
}

/// A running `sla-devstack-oracle` process; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub(super) struct OracleProcess {
    pub child: Child,
    pub metrics_url: String,
}

impl Drop for OracleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One allocation of the stack and the parties around it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Unit {
    pub data_unit: u64,
    pub provider: Address,
    pub consumer: Address,
}

/// The stack, two allocations (compliant, failing), reporters, and the oracle process.
#[derive(Debug)]
pub(super) struct Harness {
    pub stack: Stack,
    _dir: tempfile::TempDir,
    pub storage: Database,
    /// A plain provider on anvil (no wallet).
    pub reader: DynProvider,
    /// Compliant first, failing second.
    pub units: [Unit; 2],
    /// The first epoch the reporters report in.
    pub first_epoch: u64,
    /// The RPC URL the oracle is started with (anvil, or a proxy in front of it).
    pub oracle_rpc_url: String,
    pub oracle: Option<OracleProcess>,
    logs: Vec<PathBuf>,
    reporters_stop: watch::Sender<bool>,
    reporters: Vec<JoinHandle<anyhow::Result<u64>>>,
    reporter_errors: Arc<std::sync::Mutex<Vec<String>>>,
    pending_reporters: Vec<(SampleReporter, u64)>,
}

impl Harness {
    /// Starts anvil (1 s blocks), deploys, starts the ingest API (waiting until it has migrated
    /// the database, so the oracle process never races it), and sets up a compliant and a
    /// failing provider with one allocation each. The oracle and the reporters are started by
    /// the test ([`Harness::spawn_oracle`], [`Harness::start_reporters`]).
    pub(super) async fn start(options: Options) -> Harness {
        sla_devstack::stack::log_to_test_output();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut stack_options = StackOptions::new(dir.path());
        stack_options.epoch_length = EPOCH_S;
        stack_options.block_time = 1;
        stack_options.confirmations = options.confirmations;
        stack_options.grace_ms = GRACE_MS;
        stack_options.oracle_in_process = false;
        let stack = Stack::start(stack_options).await.expect("start the stack");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = http
                .get(format!("{}/healthz", stack.ingest_url))
                .timeout(Duration::from_secs(5))
                .send()
                .await
            {
                if r.status().is_success() {
                    ready = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "the ingest API did not come up");
        let storage = Database::connect(&stack.database_url)
            .await
            .expect("open the database");
        let reader = ProviderBuilder::new()
            .connect_http(stack.rpc_url.parse().expect("rpc url"))
            .erased();

        // Accounts: 0 admin, 1 oracle, 2 and 3 providers, 4 and 5 consumers.
        let contract = stack.deployment.contract;
        let account = |i| stack.account(i).expect("account");
        let (good, bad, alice, bob) = (account(2), account(3), account(4), account(5));
        tokio::try_join!(
            register_provider(contract, &good, BOND_WEI),
            register_provider(contract, &bad, BOND_WEI)
        )
        .expect("register providers");
        let terms = demo_terms(EPOCH_S, PENALTY_WEI);
        let (compliant, failing) = tokio::try_join!(
            open_allocation(contract, &alice, &good, terms.clone(), 1),
            open_allocation(contract, &bob, &bad, terms, 2)
        )
        .expect("open allocations");

        let (start, reporters) = sample_reporters(&stack, &compliant, &failing);
        let pending_reporters = reporters.into_iter().map(|r| (r, start)).collect();
        let first_epoch = stack.deployment.epoch_at(start / 1000);
        let units = [
            Unit {
                data_unit: compliant.data_unit,
                provider: good.address(),
                consumer: alice.address(),
            },
            Unit {
                data_unit: failing.data_unit,
                provider: bad.address(),
                consumer: bob.address(),
            },
        ];
        let (reporters_stop, _) = watch::channel(false);
        Harness {
            oracle_rpc_url: stack.rpc_url.clone(),
            stack,
            _dir: dir,
            storage,
            reader,
            units,
            first_epoch,
            oracle: None,
            logs: Vec::new(),
            reporters_stop,
            reporters: Vec::new(),
            reporter_errors: Arc::default(),
            pending_reporters,
        }
    }

    /// Starts the four sample reporters (they post once the oracle's indexer has mirrored the
    /// allocations and keys).
    pub(super) fn start_reporters(&mut self) {
        for (reporter, start) in self.pending_reporters.drain(..) {
            let stop = self.reporters_stop.subscribe();
            let errors = self.reporter_errors.clone();
            let what = format!(
                "{:?} reporter of data unit {}",
                reporter.role, reporter.data_unit
            );
            self.reporters.push(tokio::spawn(async move {
                let result = super::reporter::run(reporter, start, stop).await;
                if let Err(e) = &result {
                    errors.lock().unwrap().push(format!("{what}: {e}"));
                }
                result
            }));
        }
    }

    /// Stops the reporters and checks none of them failed.
    pub(super) async fn stop_reporters(&mut self) {
        let _ = self.reporters_stop.send(true);
        for r in self.reporters.drain(..) {
            let accepted = r.await.expect("reporter task").expect("reporter");
            assert!(accepted > 0, "a reporter had no report accepted");
        }
    }

    pub(super) fn oracle_address(&self) -> Address {
        self.stack.accounts[1].address()
    }

    // ---- the oracle process ------------------------------------------------------------------

    /// Starts `sla-devstack-oracle` with the stack's arguments and `run`'s changes; its output
    /// goes to a log file that [`Harness::fail`] prints.
    pub(super) fn spawn_oracle(&mut self, run: OracleRun) {
        if let Some(mut old) = self.oracle.take() {
            assert!(
                old.child.try_wait().expect("try_wait").is_some(),
                "the previous oracle process is still running"
            );
        }
        let listen = format!("127.0.0.1:{}", free_port().expect("free port"));
        let mut args = self.stack.oracle_args(&listen);
        args.remove(0);
        set_flag(&mut args, "--rpc-url", &self.oracle_rpc_url);
        for (name, value) in &run.flags {
            set_flag(&mut args, name, value);
        }
        let log = self
            .stack
            .data_dir()
            .join(format!("oracle-{}.log", self.logs.len() + 1));
        let out = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_sla-devstack-oracle"));
        command
            .args(&args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env_remove("SLA_ORACLE_CRASH_AFTER")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out);
        if let Some(step) = run.crash_after {
            command.env("SLA_ORACLE_CRASH_AFTER", step);
        }
        let child = command.spawn().expect("start sla-devstack-oracle");
        self.logs.push(log);
        self.oracle = Some(OracleProcess {
            child,
            metrics_url: format!("http://{listen}/metrics"),
        });
    }

    /// Waits for the oracle process to abort (the crash hook) and checks that it did abort.
    pub(super) async fn wait_for_crash(&mut self, secs: u64) {
        let status = eventually!(self, secs, "the oracle process to crash", {
            let oracle = self.oracle.as_mut().expect("an oracle process");
            oracle.child.try_wait().expect("try_wait")
        });
        use std::os::unix::process::ExitStatusExt;
        if status.signal() != Some(6) {
            self.fail(&format!(
                "the oracle exited with {status}, not by the crash hook's abort"
            ))
            .await;
        }
        self.oracle = None;
    }

    /// `kill -9` the oracle process.
    pub(super) fn kill_oracle(&mut self) {
        self.oracle = None; // Drop sends SIGKILL and reaps it
    }

    /// The value of a counter or gauge on the oracle's /metrics (0 when absent).
    pub(super) async fn metric(&self, name: &str) -> f64 {
        let url = &self.oracle.as_ref().expect("oracle running").metrics_url;
        let Ok(r) = reqwest::get(url).await else {
            return 0.0;
        };
        let text = r.text().await.unwrap_or_default();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(' '))
            .find(|(key, _)| *key == name || *key == format!("{name}_total"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// Panics with `what`, the oracle logs (tails) and the `oracle_txs` table.
    pub(super) async fn fail(&self, what: &str) -> ! {
        let mut out = format!("{what}\n");
        for log in &self.logs {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            out.push_str(&format!("--- {} (last 40 lines)\n", log.display()));
            for line in &lines[lines.len().saturating_sub(40)..] {
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push_str(&format!(
            "--- reporter errors: {:?}\n",
            self.reporter_errors.lock().unwrap()
        ));
        out.push_str("--- oracle_txs\n");
        for tx in self.txs().await {
            out.push_str(&describe(&tx));
            out.push('\n');
        }
        panic!("{out}");
    }

    /// Whether any oracle log contains `needle`.
    pub(super) fn logs_contain(&self, needle: &str) -> bool {
        self.logs.iter().any(|log| {
            std::fs::read_to_string(log)
                .unwrap_or_default()
                .contains(needle)
        })
    }

    // ---- the database ------------------------------------------------------------------------

    /// Every row of `oracle_txs`, by nonce then id.
    pub(super) async fn txs(&self) -> Vec<OracleTx> {
        self.storage
            .txs()
            .in_states(&TxState::ALL)
            .await
            .expect("oracle_txs")
    }

    /// The newest transaction of `epoch` in `state`.
    pub(super) async fn tx_of_epoch(&self, epoch: u64, state: TxState) -> Option<OracleTx> {
        self.txs()
            .await
            .into_iter()
            .filter(|t| t.epoch == epoch && t.state == state)
            .max_by_key(|t| t.id)
    }

    pub(super) async fn rollups(&self) -> Vec<Rollup> {
        let mut out = Vec::new();
        for unit in &self.units {
            out.extend(
                self.storage
                    .rollups()
                    .of_data_unit(unit.data_unit, 0, u64::MAX)
                    .await
                    .expect("rollups"),
            );
        }
        out
    }

    /// Whether the aggregator has read every stored report (its cursor is at the newest id).
    pub(super) async fn all_reports_counted(&self) -> bool {
        let cursor = self.storage.rollups().cursor().await.expect("cursor");
        let after = self
            .storage
            .reports()
            .after(cursor, 1)
            .await
            .expect("reports");
        after.is_empty()
    }

    /// Stops the reporters, then waits until the aggregator has counted their last reports, every
    /// roll-up is past `final` (the aggregator closed the last epochs and the submitter put them
    /// on chain) and no transaction is in flight. The counting check comes first: a report the
    /// aggregator has not read yet would open a roll-up after the roll-ups were read.
    pub(super) async fn settle(&mut self, secs: u64) {
        self.stop_reporters().await;
        eventually!(
            self,
            secs,
            "every report counted, every roll-up submitted and no transaction in flight",
            {
                let counted = self.all_reports_counted().await;
                let rollups = self.rollups().await;
                let busy = rollups
                    .iter()
                    .any(|r| matches!(r.status, RollupStatus::Open | RollupStatus::Final));
                let in_flight = self.txs().await.iter().any(|t| t.state.is_active());
                (counted && !rollups.is_empty() && !busy && !in_flight).then_some(())
            }
        );
    }

    // ---- the chain ---------------------------------------------------------------------------

    pub(super) async fn rpc<T: alloy::rpc::json_rpc::RpcRecv>(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> T {
        self.reader
            .raw_request(method.into(), params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Turns anvil's 1 s interval mining on or off.
    pub(super) async fn mining(&self, on: bool) {
        let _: serde_json::Value = self
            .rpc("evm_setIntervalMining", serde_json::json!([u64::from(on)]))
            .await;
    }

    /// Mines one block now.
    pub(super) async fn mine_one(&self) {
        let _: serde_json::Value = self.rpc("evm_mine", serde_json::json!([])).await;
    }

    /// Mines `n` blocks now.
    pub(super) async fn mine(&self, n: u64) {
        let _: serde_json::Value = self
            .rpc("anvil_mine", serde_json::json!([format!("0x{n:x}")]))
            .await;
    }

    /// The base fee of the next block.
    pub(super) async fn set_next_base_fee(&self, wei: u128) {
        let _: serde_json::Value = self
            .rpc(
                "anvil_setNextBlockBaseFeePerGas",
                serde_json::json!([format!("0x{wei:x}")]),
            )
            .await;
    }

    pub(super) async fn snapshot(&self) -> U256 {
        self.rpc("evm_snapshot", serde_json::json!([])).await
    }

    pub(super) async fn revert(&self, snapshot: U256) {
        let ok: bool = self.rpc("evm_revert", serde_json::json!([snapshot])).await;
        assert!(ok, "evm_revert");
    }

    /// (number, timestamp) of the latest block.
    pub(super) async fn head(&self) -> (u64, u64) {
        let block = self
            .reader
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .expect("latest block")
            .expect("a latest block");
        (block.header.number, block.header.timestamp)
    }

    /// Stops block production just before the end of the first epoch `>= min_epoch` that is
    /// still far enough away, then mines one block after its end: the epoch is closed on chain
    /// and no further block comes until [`Harness::mining`]`(true)`. Returns the epoch.
    pub(super) async fn close_epoch_and_hold(&self, min_epoch: u64) -> u64 {
        let d = &self.stack.deployment;
        let now_ms = sla_runtime::now_ms();
        let mut epoch = min_epoch;
        while d.epoch_end(epoch) * 1000 < now_ms + 1_800 {
            epoch += 1;
        }
        let end_ms = d.epoch_end(epoch) * 1000;
        sleep_until_ms(end_ms - 1_200).await;
        self.mining(false).await;
        let (_, ts) = self.head().await;
        assert!(
            ts * 1000 < end_ms,
            "a block after the end was mined too early"
        );
        sleep_until_ms(end_ms + 100).await;
        self.mine_one().await;
        let (_, ts) = self.head().await;
        assert!(ts * 1000 >= end_ms, "the closing block is not past the end");
        epoch
    }

    /// Every result submitted to the contract, in chain order, read from the batches' calldata.
    async fn submitted(&self) -> Vec<SubmittedResult> {
        submitted_results(
            &self.reader,
            self.stack.deployment.contract,
            self.stack.deployment.deploy_block,
            None,
            None,
            &mut HashSet::new(),
        )
        .await
        .expect("submitted results")
    }

    /// Every applied result of the contract and the transaction that applied it.
    pub(super) async fn applied(&self) -> Vec<(OnChain, B256)> {
        self.submitted()
            .await
            .into_iter()
            .filter(|s| s.was_applied)
            .map(|s| (OnChain::from(&s.applied), s.tx_hash))
            .collect()
    }

    /// Every (data unit, epoch) submitted again after it was applied (skipped by the contract).
    pub(super) async fn skipped(&self) -> Vec<(u64, u64)> {
        self.submitted()
            .await
            .into_iter()
            .filter(|s| !s.was_applied)
            .map(|s| (s.applied.data_unit_id(), s.applied.epoch))
            .collect()
    }

    /// How many times each data unit's result for `epoch` was applied (both units listed).
    pub(super) async fn applications_of(&self, epoch: u64) -> Vec<usize> {
        let applied = self.applied().await;
        self.units
            .iter()
            .map(|u| {
                applied
                    .iter()
                    .filter(|(r, _)| r.data_unit_id == u.data_unit && r.epoch == epoch)
                    .count()
            })
            .collect()
    }

    /// Waits until both units' results for `epoch` are applied on chain and the transaction
    /// carrying them is `confirmed`; checks they were applied exactly once. Returns the tx.
    pub(super) async fn wait_applied_once(&self, epoch: u64, secs: u64) -> OracleTx {
        let tx = eventually!(
            self,
            secs,
            format!("epoch {epoch} applied and its transaction confirmed"),
            {
                let applied = self.applications_of(epoch).await;
                match self.tx_of_epoch(epoch, TxState::Confirmed).await {
                    Some(tx) if applied.iter().all(|n| *n >= 1) => Some(tx),
                    _ => None,
                }
            }
        );
        assert_eq!(
            self.applications_of(epoch).await,
            vec![1, 1],
            "epoch {epoch}: each data unit's result applied exactly once"
        );
        tx
    }

    /// The oracle key's account with a provider that signs with it (for "another sender").
    pub(super) fn oracle_key_provider(&self) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(self.stack.accounts[1].clone()))
            .connect_http(self.stack.rpc_url.parse().expect("rpc url"))
            .erased()
    }

    /// Sends an unrelated 0-value transfer from the oracle's key with `nonce`, and waits for it.
    pub(super) async fn foreign_tx(&self, nonce: u64) -> B256 {
        let provider = self.oracle_key_provider();
        let to = self.stack.accounts[0].address();
        let request = TransactionRequest::default()
            .with_to(to)
            .with_value(U256::ZERO)
            .with_nonce(nonce);
        let receipt = provider
            .send_transaction(request)
            .await
            .expect("send the foreign transaction")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
        receipt.transaction_hash
    }

    // ---- the end state -------------------------------------------------------------------------

    /// The checks every test ends with, once [`Harness::settle`] returned:
    /// - each (data unit, epoch) with a roll-up is applied on chain exactly once, nothing was
    ///   skipped (no result was sent twice), and the applied values equal the aggregator's
    ///   verdict; each applying transaction is a `confirmed` row of `oracle_txs` carrying it;
    /// - reputation, the consumer's withdrawable balance and the provider's bond equal one
    ///   application of each verdict;
    /// - nothing is left in `planned`/`signed`/`sent`, nothing `failed`, and the oracle account's
    ///   mined nonce equals its confirmed transactions plus `foreign` (nonces another sender used
    ///   from its key): every nonce below it used once, none pending.
    pub(super) async fn assert_end_state(&self, foreign: &[u64]) {
        let applied = self.applied().await;
        let skipped = self.skipped().await;
        let rollups = self.rollups().await;
        let txs = self.txs().await;
        assert!(
            skipped.is_empty(),
            "results sent twice (skipped by the contract): {skipped:?}"
        );
        let mut count: BTreeMap<(u64, u64), usize> = BTreeMap::new();
        for (r, _) in &applied {
            *count.entry((r.data_unit_id, r.epoch)).or_default() += 1;
        }
        for ((unit, epoch), n) in &count {
            assert_eq!(*n, 1, "data unit {unit} epoch {epoch} applied {n} times");
        }
        assert!(!rollups.is_empty());
        for r in &rollups {
            assert_eq!(
                r.status,
                RollupStatus::Submitted,
                "data unit {} epoch {} ended {:?}",
                r.data_unit,
                r.epoch,
                r.status
            );
            assert_eq!(
                count.get(&(r.data_unit, r.epoch)),
                Some(&1),
                "data unit {} epoch {} is submitted but not on chain",
                r.data_unit,
                r.epoch
            );
        }
        assert_eq!(
            count.len(),
            rollups.len(),
            "applied results without a roll-up"
        );

        // Values, and the transaction that applied each.
        let verdicts: BTreeMap<(u64, u64), EpochVerdict> = rollups
            .iter()
            .map(|r| {
                let v: EpochVerdict = r.verdict.clone().expect("verdict");
                ((r.data_unit, r.epoch), v)
            })
            .collect();
        let confirmed: Vec<&OracleTx> = txs
            .iter()
            .filter(|t| t.state == TxState::Confirmed)
            .collect();
        for (r, hash) in &applied {
            let expected = verdicts[&(r.data_unit_id, r.epoch)].epoch_result();
            assert_eq!(
                (
                    r.read_latency_us,
                    r.write_latency_us,
                    r.error_rate_bps,
                    r.operations,
                    r.violations,
                    r.flags,
                    r.reports_root.0
                ),
                (
                    expected.read_latency_us,
                    expected.write_latency_us,
                    expected.error_rate_bps,
                    expected.operations,
                    expected.violations,
                    expected.flags,
                    expected.reports_root
                ),
                "data unit {} epoch {}: on chain vs the aggregator",
                r.data_unit_id,
                r.epoch
            );
            let row = confirmed
                .iter()
                .find(|t| t.tx_hash == Some(hash.0))
                .unwrap_or_else(|| panic!("transaction {hash} is not a confirmed oracle_txs row"));
            assert!(row.results.contains(&(r.data_unit_id, r.epoch)));
        }

        // Reputation and penalties: one application of each verdict, in epoch order.
        let oracle = SlaOracle::new(self.stack.deployment.contract, self.reader.clone());
        let mut violating = 0;
        for unit in &self.units {
            let mut reputation = START_REPUTATION;
            let mut penalties = 0u128;
            for ((du, _), v) in &verdicts {
                if *du == unit.data_unit {
                    reputation = v.apply_to_reputation(reputation);
                    penalties += v.penalty_wei;
                    violating += usize::from(v.violations != 0);
                }
            }
            let on_chain = oracle.reputationOf(unit.provider).call().await.unwrap();
            assert_eq!(on_chain, reputation, "reputation of {}", unit.provider);
            // Nothing claims in these tests: every penalty is still in escrow.
            let mut owed = U256::ZERO;
            for (du, epoch) in verdicts.keys() {
                if *du == unit.data_unit {
                    owed += oracle
                        .resultOf(*du, *epoch)
                        .call()
                        .await
                        .unwrap()
                        .penaltyOwed;
                }
            }
            assert_eq!(
                owed,
                U256::from(penalties),
                "penalties owed to {}",
                unit.consumer
            );
            let bonded = oracle
                .providerInfo(unit.provider)
                .call()
                .await
                .unwrap()
                .bonded;
            assert_eq!(bonded, BOND_WEI - penalties, "bond of {}", unit.provider);
        }
        assert!(violating > 0, "the failing provider was never penalised");

        // Nonces.
        for tx in &txs {
            assert!(
                !tx.state.is_active() && tx.state != TxState::Failed,
                "left behind: {}",
                describe(tx)
            );
        }
        let address = self.oracle_address();
        let mined = self
            .reader
            .get_transaction_count(address)
            .latest()
            .await
            .unwrap();
        let pending = self
            .reader
            .get_transaction_count(address)
            .pending()
            .await
            .unwrap();
        assert_eq!(pending, mined, "oracle transactions still pending");
        let mut used: Vec<u64> = confirmed.iter().map(|t| t.nonce).collect();
        used.extend_from_slice(foreign);
        used.sort_unstable();
        let expected: Vec<u64> = (0..mined).collect();
        assert_eq!(
            used, expected,
            "every mined nonce of the oracle account is one confirmed transaction or a foreign one"
        );
        let hashes: BTreeSet<_> = confirmed.iter().map(|t| t.tx_hash).collect();
        assert_eq!(hashes.len(), confirmed.len());
        for tx in &confirmed {
            let receipt = self
                .reader
                .get_transaction_receipt(B256::from(tx.tx_hash.unwrap()))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("no receipt for {}", describe(tx)));
            assert!(receipt.status());
            assert_eq!(receipt.from, address);
            assert_eq!(receipt.block_number, tx.block_number);
        }
    }
}

/// One line per transaction, for messages.
pub(super) fn describe(tx: &OracleTx) -> String {
    format!(
        "id {} nonce {} epoch {} {:?} results {:?} fee {:?} tip {:?} hash {} block {:?} error {:?}",
        tx.id,
        tx.nonce,
        tx.epoch,
        tx.state,
        tx.results,
        tx.max_fee_per_gas,
        tx.max_priority_fee_per_gas,
        tx.tx_hash.map(hex::encode).unwrap_or_default(),
        tx.block_number,
        tx.error
    )
}

/// Replaces the value of `--name` in `args`, or appends the flag.
fn set_flag(args: &mut Vec<String>, name: &str, value: &str) {
    match args.iter().position(|a| a == name) {
        Some(i) => args[i + 1] = value.to_string(),
        None => {
            args.push(name.to_string());
            args.push(value.to_string());
        }
    }
}

pub(super) async fn sleep_until_ms(unix_ms: u64) {
    let now = sla_runtime::now_ms();
    if unix_ms > now {
        tokio::time::sleep(Duration::from_millis(unix_ms - now)).await;
    }
}

/// Both `new` fee cap and tip are at least 110 % of `old`'s.
pub(super) fn bumped_ten_percent(old: &OracleTx, new: &OracleTx) -> bool {
    let (of, ot) = (
        old.max_fee_per_gas.unwrap(),
        old.max_priority_fee_per_gas.unwrap(),
    );
    let (nf, nt) = (
        new.max_fee_per_gas.unwrap(),
        new.max_priority_fee_per_gas.unwrap(),
    );
    nf * 100 >= of * 110 && nt * 100 >= ot * 110
}

/// An applied result as the tests compare it: the record's fields and its epoch.
#[derive(Debug, Clone, Copy)]
pub(super) struct OnChain {
    pub data_unit_id: u64,
    pub epoch: u64,
    pub read_latency_us: u32,
    pub write_latency_us: u32,
    pub error_rate_bps: u16,
    pub operations: u32,
    pub violations: u8,
    pub flags: u8,
    pub reports_root: B256,
}

impl From<&AppliedResult> for OnChain {
    fn from(a: &AppliedResult) -> Self {
        let r = &a.result;
        OnChain {
            data_unit_id: r.data_unit_id,
            epoch: a.epoch,
            read_latency_us: r.read_latency_us,
            write_latency_us: r.write_latency_us,
            error_rate_bps: r.error_rate_bps,
            operations: r.operations,
            violations: r.violations,
            flags: r.flags,
            reports_root: B256::from(r.reports_root),
        }
    }
}
