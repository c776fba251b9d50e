//! `sla-deploy`: deploys `SlaOracle` (and `SlaPolicies` beside it, `SlaCourt` bound to it) to anvil
//! or any JSON-RPC URL and writes the addresses file.

use std::{fmt, path::PathBuf, str::FromStr};

use alloy::{
    primitives::Address, signers::local::PrivateKeySigner, transports::http::reqwest::Url,
};
use anyhow::Context;
use clap::Parser;
use sla_contracts::{deploy, CourtDeployConfig, DeployConfig};

/// Deploy the SLA oracle contract and write the deployment file the services read.
#[derive(Debug, Parser)]
#[command(
    name = "sla-deploy",
    version,
    about = "Deploys the SlaOracle contract, its SlaPolicies and its SlaCourt to a JSON-RPC endpoint \
             (anvil or any EVM chain) and writes the deployment file (chain id, contracts, epoch timing) the \
             ingest API, the oracle and the sla command read"
)]
struct Args {
    /// JSON-RPC endpoint of the chain.
    #[arg(long, env = "SLA_RPC_URL", default_value = "http://127.0.0.1:8545")]
    rpc_url: Url,
    /// Deployer private key (hex). Prefer the environment variable to the flag.
    #[arg(long, env = "SLA_DEPLOYER_KEY", hide_env_values = true)]
    private_key: SecretKey,
    /// Seconds per epoch.
    #[arg(long, default_value_t = 3600)]
    epoch_length: u32,
    /// Start of epoch 0 (unix seconds); default: the latest block time rounded down to an epoch.
    #[arg(long)]
    genesis_time: Option<u64>,
    /// Seconds after an epoch's end during which results may be submitted.
    #[arg(long, default_value_t = 7200)]
    submission_window: u32,
    /// Seconds unbonding stake stays locked; default (and minimum): epoch length + submission window.
    #[arg(long)]
    unbonding_delay: Option<u32>,
    /// Seconds an allocation request waits for the provider.
    #[arg(long, default_value_t = 86_400)]
    allocation_request_ttl: u32,
    /// Admin and pauser; default: the deployer.
    #[arg(long)]
    admin: Option<Address>,
    /// An oracle signer (repeat for several); default: the deployer.
    #[arg(long = "oracle-signer")]
    oracle_signers: Vec<Address>,
    /// Signatures needed per result batch.
    #[arg(long, default_value_t = 1)]
    quorum: u8,
    /// Deploy no SlaPolicies (the parties then cannot agree on penalty policies: every violating
    /// epoch costs the flat penalty).
    #[arg(long)]
    no_policies: bool,
    /// Deploy no court (nothing can then slash or suspend a provider).
    #[arg(long)]
    no_court: bool,
    /// Court: seconds a case's validators have to commit their votes.
    #[arg(long, default_value_t = CourtDeployConfig::default().commit_period)]
    commit_period: u32,
    /// Court: seconds after the commit phase to reveal them.
    #[arg(long, default_value_t = CourtDeployConfig::default().reveal_period)]
    reveal_period: u32,
    /// Court: basis points of the validator set one verdict needs, in (5000, 10000].
    #[arg(long, default_value_t = CourtDeployConfig::default().supermajority_bps)]
    supermajority_bps: u16,
    /// Court: a flag's fault rate must be above this (basis points).
    #[arg(long, default_value_t = CourtDeployConfig::default().fault_threshold_bps)]
    fault_threshold_bps: u16,
    /// Court: basis points of the provider's stake a slash takes.
    #[arg(long, default_value_t = CourtDeployConfig::default().slash_bps)]
    slash_bps: u16,
    /// Court: seconds a suspension bars the provider from accepting allocations.
    #[arg(long, default_value_t = CourtDeployConfig::default().suspension_period)]
    suspension_period: u32,
    /// Court: a validator (repeat for several); default: the oracle signers.
    #[arg(long = "validator")]
    validators: Vec<Address>,
    /// Where to write the deployment file.
    #[arg(long, default_value = "deployment.json")]
    out: PathBuf,
}

/// A private key that never shows in `Debug` output or logs.
#[derive(Clone)]
struct SecretKey(PrivateKeySigner);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl FromStr for SecretKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PrivateKeySigner::from_str(s.trim())
            .map(Self)
            .map_err(|_| "not a hex secp256k1 private key".into())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let court = (!args.no_court).then_some(CourtDeployConfig {
        commit_period: args.commit_period,
        reveal_period: args.reveal_period,
        supermajority_bps: args.supermajority_bps,
        fault_threshold_bps: args.fault_threshold_bps,
        slash_bps: args.slash_bps,
        suspension_period: args.suspension_period,
        validators: args.validators,
    });
    let config = DeployConfig {
        admin: args.admin,
        genesis_time: args.genesis_time,
        epoch_length: args.epoch_length,
        submission_window: args.submission_window,
        unbonding_delay: args.unbonding_delay,
        allocation_request_ttl: args.allocation_request_ttl,
        oracle_signers: args.oracle_signers,
        quorum: args.quorum,
        policies: !args.no_policies,
        court,
    };
    let deployment = deploy(args.rpc_url.clone(), args.private_key.0, &config)
        .await
        .with_context(|| format!("deploying SlaOracle through {}", args.rpc_url))?;
    deployment.write(&args.out)?;
    println!(
        "SlaOracle deployed at {} on chain {} (block {}); wrote {}",
        deployment.contract,
        deployment.chain_id,
        deployment.deploy_block,
        args.out.display()
    );
    if let Some(policies) = deployment.policies {
        println!("SlaPolicies deployed at {policies}");
    }
    if let Some(court) = deployment.court {
        if deployment.admin == deployment.deployer {
            println!("SlaCourt deployed at {court} and bound to the oracle");
        } else {
            // Only the admin may bind a court, and the deployer does not hold its key.
            println!(
                "SlaCourt deployed at {court}, not bound: the admin {} must call setCourt({court}) \
                 on the oracle",
                deployment.admin
            );
        }
    }
    Ok(())
}
