//! Starting and stopping the stack: anvil, the contract, the ingest API and the oracle.

use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::signers::local::PrivateKeySigner;
use clap::Parser;
use sla_contracts::{DeployConfig, DeploymentFile};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::chain::Account;

/// How to start the stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Where the SQLite file, the deployment file and logs go.
    pub data_dir: PathBuf,
    /// Seconds per epoch.
    pub epoch_length: u32,
    /// Seconds anvil waits between blocks.
    pub block_time: u64,
    /// Blocks under which events and results count (indexer and submitter).
    pub confirmations: u64,
    /// Grace for late reports, milliseconds.
    pub grace_ms: u64,
    /// Run the oracle inside this process (otherwise the caller starts `sla-oracle` itself).
    pub oracle_in_process: bool,
    /// anvil's accounts (by index) that form the contract's signer set; account 1 alone by
    /// default, several for a committee.
    pub oracle_signers: Vec<usize>,
    /// Signatures a result batch needs.
    pub quorum: u8,
}

impl StackOptions {
    /// The defaults with `data_dir`: 10 s epochs, a block every second, 1 confirmation, 3 s of
    /// grace, and the oracle in process.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        StackOptions {
            data_dir: data_dir.into(),
            epoch_length: 10,
            block_time: 1,
            confirmations: 1,
            grace_ms: 3_000,
            oracle_in_process: true,
            oracle_signers: vec![1],
            quorum: 1,
        }
    }
}

/// A running stack. Dropping it stops anvil; [`Stack::stop`] stops everything gracefully.
#[derive(Debug)]
pub struct Stack {
    /// The anvil process; it is killed when this is dropped.
    pub anvil: AnvilInstance,
    /// anvil's HTTP JSON-RPC endpoint.
    pub rpc_url: String,
    /// Where and how `SlaOracle` was deployed.
    pub deployment: DeploymentFile,
    /// The deployment written as `deployment.json` in the data directory, for the services.
    pub deployment_path: PathBuf,
    /// `sqlite:` URL of the database the ingest API and the oracle share, `sla-oracle.sqlite` in
    /// the data directory (removed at start).
    pub database_url: String,
    /// Base URL of the ingest API, `http://127.0.0.1:<port>`, without a trailing slash.
    pub ingest_url: String,
    /// anvil's funded accounts; 0 is the admin, 1 the oracle.
    pub accounts: Vec<PrivateKeySigner>,
    /// URL of the in-process oracle's Prometheus metrics; `None` when the oracle runs elsewhere.
    pub oracle_metrics_url: Option<String>,
    /// The options the stack was started with.
    pub options: StackOptions,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// The pinned anvil from npm (see `sla_contracts::anvil`).
pub fn spawn_anvil(block_time: u64) -> anyhow::Result<AnvilInstance> {
    let path = sla_contracts::anvil::anvil_path()?;
    Ok(Anvil::at(path)
        .block_time(block_time)
        .arg("--accounts")
        .arg("20")
        .try_spawn()?)
}

impl Stack {
    /// Starts anvil, deploys the contract (account 0 admin, account 1 the one oracle signer),
    /// and starts the ingest API on an SQLite file (and the oracle, if asked).
    pub async fn start(options: StackOptions) -> anyhow::Result<Stack> {
        std::fs::create_dir_all(&options.data_dir)?;
        let anvil = spawn_anvil(options.block_time)?;
        let rpc_url = anvil.endpoint();
        let accounts: Vec<PrivateKeySigner> = anvil
            .keys()
            .iter()
            .map(|k| PrivateKeySigner::from(k.clone()))
            .collect();
        let deployment = sla_contracts::deploy(
            rpc_url.parse()?,
            accounts[0].clone(),
            &DeployConfig {
                epoch_length: options.epoch_length,
                submission_window: 3_600,
                allocation_request_ttl: 3_600,
                oracle_signers: options
                    .oracle_signers
                    .iter()
                    .map(|&i| accounts[i].address())
                    .collect(),
                quorum: options.quorum,
                ..DeployConfig::default()
            },
        )
        .await?;
        let deployment_path = options.data_dir.join("deployment.json");
        deployment.write(&deployment_path)?;
        let db_path = options.data_dir.join("sla-oracle.sqlite");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
        }
        let database_url = format!("sqlite:{}", db_path.display());
        let (stop, _) = watch::channel(false);
        let mut stack = Stack {
            anvil,
            rpc_url,
            deployment,
            deployment_path,
            database_url,
            ingest_url: String::new(),
            accounts,
            oracle_metrics_url: None,
            options,
            stop,
            tasks: Vec::new(),
        };
        stack.start_ingest().await?;
        if stack.options.oracle_in_process {
            stack.start_oracle().await?;
        }
        Ok(stack)
    }

    fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// A receiver that turns true when the stack stops (for reporters).
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    async fn start_ingest(&mut self) -> anyhow::Result<()> {
        let deployment = self.deployment_path.display().to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        self.ingest_url = format!("http://{}", listener.local_addr()?);
        let public_url = self.ingest_url.clone();
        let config = sla_ingest_api::Config::parse_from([
            "sla-ingest-api",
            "--database-url",
            &self.database_url,
            "--deployment",
            &deployment,
            "--public-url",
            &public_url,
        ]);
        let stopped = self.stopped();
        self.tasks.push(tokio::spawn(async move {
            if let Err(e) = sla_ingest_api::serve(listener, config, stopped).await {
                tracing::error!(error = %e, "ingest API stopped");
            }
        }));
        Ok(())
    }

    /// The arguments `sla-oracle` runs with in this stack (also for starting the binary).
    pub fn oracle_args(&self, metrics_listen: &str) -> Vec<String> {
        let key = hex::encode(self.accounts[1].to_bytes());
        vec![
            "sla-oracle".into(),
            "--rpc-url".into(),
            self.rpc_url.clone(),
            "--deployment".into(),
            self.deployment_path.display().to_string(),
            "--database-url".into(),
            self.database_url.clone(),
            "--oracle-key".into(),
            key,
            "--confirmations".into(),
            self.options.confirmations.to_string(),
            "--indexer-poll-ms".into(),
            "250".into(),
            "--grace-ms".into(),
            self.options.grace_ms.to_string(),
            "--poll-ms".into(),
            "250".into(),
            "--stuck-after-ms".into(),
            "4000".into(),
            "--metrics-listen".into(),
            metrics_listen.into(),
        ]
    }

    async fn start_oracle(&mut self) -> anyhow::Result<()> {
        let port = crate::ports::free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let config = sla_oracle::config::OracleConfig::parse_from(self.oracle_args(&listen));
        self.oracle_metrics_url = Some(format!("http://{listen}/metrics"));
        let stopped = self.stopped();
        self.tasks.push(tokio::spawn(async move {
            if let Err(e) = sla_oracle::service::run(config, stopped).await {
                tracing::error!(error = %e, "oracle stopped");
            }
        }));
        Ok(())
    }

    /// An account of anvil's with a provider that signs with it.
    pub fn account(&self, index: usize) -> anyhow::Result<Account> {
        Account::new(self.accounts[index].clone(), &self.rpc_url)
    }

    /// Stops the reporters, the oracle and the ingest API, waiting for each.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }

    /// The dashboard's overview page.
    pub fn dashboard_url(&self) -> String {
        format!("{}/dashboard", self.ingest_url)
    }

    /// Where the SQLite file and the deployment file are ([`StackOptions::data_dir`]).
    pub fn data_dir(&self) -> &Path {
        &self.options.data_dir
    }
}

/// Sends the stack's log (`RUST_LOG`, else warnings and errors, and the oracle's info lines) to
/// the test harness's output, which shows it for a failing test. Later calls do nothing.
pub fn log_to_test_output() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,sla_oracle=info".into()),
        )
        .try_init();
}
