//! Talking to the `SlaOracle` contract: connecting with the deployment file and an EVM account,
//! sending a transaction and waiting for its confirmations (with a progress indicator), and turning
//! reverts into the contract's named custom errors.

pub mod revert;
pub mod terms;
pub mod units;

use std::time::Duration;

use alloy::contract::{CallBuilder, CallDecoder};
use alloy::eips::BlockId;
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use sla_contracts::{DeploymentFile, SlaCourt, SlaOracle, SlaPolicies};

use crate::args::ChainArgs;
use crate::progress::Spinner;
use revert::ContractRevert;

/// The contract instance type used throughout.
pub type Contract = SlaOracle::SlaOracleInstance<DynProvider>;

/// The court's instance type.
pub type Court = SlaCourt::SlaCourtInstance<DynProvider>;

/// The penalty policies contract's instance type.
pub type Policies = SlaPolicies::SlaPoliciesInstance<DynProvider>;

/// A connection to the deployment named on the command line.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The `SlaOracle` contract, through the RPC provider (with the wallet when a key is given).
    pub contract: Contract,
    /// The deployment file: chain id, contract address, deployment block.
    pub deployment: DeploymentFile,
    /// The deployment's `SlaCourt`, if it has one.
    court: Option<Court>,
    /// The deployment's `SlaPolicies`, if it has one.
    policies: Option<Policies>,
    signer: Option<PrivateKeySigner>,
    account: Option<Address>,
    confirmations: u64,
    timeout: Duration,
    /// The block views read at (`None`: the latest).
    block: Option<u64>,
}

/// A mined, successful transaction.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its receipt.
    pub receipt: TransactionReceipt,
}

impl Sent {
    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        self.receipt.transaction_hash
    }

    /// The block it was mined in (0 if the receipt names none).
    pub fn block(&self) -> u64 {
        self.receipt.block_number.unwrap_or_default()
    }

    /// The first event of type `E` the transaction emitted.
    pub fn event<E: SolEvent>(&self) -> anyhow::Result<E> {
        self.receipt
            .decoded_log::<E>()
            .map(|log| log.data)
            .ok_or_else(|| {
                anyhow!(
                    "transaction {} emitted no {} event",
                    self.hash(),
                    E::SIGNATURE
                )
            })
    }

    /// `{"tx": …, "block": …, "gas_used": …}`, to extend with the command's own fields.
    pub fn json(&self) -> Value {
        json!({
            "tx": self.hash().to_string(),
            "block": self.block(),
            "gas_used": self.receipt.gas_used,
        })
    }

    /// ` (tx 0x…, block N)`.
    pub fn human_suffix(&self) -> String {
        format!(" (tx {}, block {})", self.hash(), self.block())
    }
}

impl Chain {
    /// Reads the deployment file and connects; checks the node's chain id against it.
    pub async fn connect(args: &ChainArgs) -> anyhow::Result<Chain> {
        let deployment = DeploymentFile::read(&args.deployment)?;
        let url = args.rpc_url.clone();
        let (provider, account) = match &args.private_key {
            Some(key) => (
                ProviderBuilder::new()
                    .wallet(EthereumWallet::from(key.0.clone()))
                    .connect_http(url)
                    .erased(),
                Some(key.0.address()),
            ),
            None => (ProviderBuilder::new().connect_http(url).erased(), None),
        };
        let chain_id = provider
            .get_chain_id()
            .await
            .with_context(|| format!("connecting to {}", args.rpc_url))?;
        if chain_id != deployment.chain_id {
            bail!(
                "{} is chain {chain_id}, but {} is a deployment on chain {}",
                args.rpc_url,
                args.deployment.display(),
                deployment.chain_id
            );
        }
        Ok(Chain {
            court: deployment
                .court
                .map(|court| SlaCourt::new(court, provider.clone())),
            policies: deployment
                .policies
                .map(|policies| SlaPolicies::new(policies, provider.clone())),
            contract: SlaOracle::new(deployment.contract, provider),
            deployment,
            signer: args.private_key.as_ref().map(|key| key.0.clone()),
            account,
            confirmations: args.confirmations.max(1),
            timeout: Duration::from_secs(args.tx_timeout.max(1)),
            block: args.block,
        })
    }

    /// Reads at the latest block from now on, unless `--block` pinned one: every later view
    /// (and the auditor's log queries) sees one state of the chain. Returns the block.
    pub async fn pin(&mut self) -> anyhow::Result<u64> {
        if let Some(block) = self.block {
            return Ok(block);
        }
        let latest = self
            .contract
            .provider()
            .get_block_number()
            .await
            .context("reading the latest block")?;
        self.block = Some(latest);
        Ok(latest)
    }

    /// The block views read at, if pinned.
    pub fn block(&self) -> Option<u64> {
        self.block
    }

    /// The sending account.
    pub fn account(&self) -> anyhow::Result<Address> {
        self.account.ok_or_else(|| {
            anyhow!("no account: pass --private-key or set SLA_PRIVATE_KEY to send transactions")
        })
    }

    /// The sending account's key (the court's vote salt is derived from it).
    pub fn signer(&self) -> anyhow::Result<&PrivateKeySigner> {
        self.signer.as_ref().ok_or_else(|| {
            anyhow!("no account: pass --private-key or set SLA_PRIVATE_KEY to send transactions")
        })
    }

    /// The deployment's court.
    pub fn court(&self) -> anyhow::Result<&Court> {
        self.court.as_ref().ok_or_else(|| {
            anyhow!(
                "the deployment file names no court (deployed without one, or before courts existed)"
            )
        })
    }

    /// The deployment's penalty policies contract.
    pub fn policies(&self) -> anyhow::Result<&Policies> {
        self.policies.as_ref().ok_or_else(|| {
            anyhow!(
                "the deployment file names no policies contract (deployed with --no-policies, or before policies existed)"
            )
        })
    }

    /// The flag that opened `case` (from its `ProviderFlagged` event), refused by name when the
    /// case does not exist.
    pub async fn court_flag(
        &self,
        case: u64,
    ) -> anyhow::Result<sla_contracts::ISlaCourt::FaultFlag> {
        let court = self.court()?;
        sla_contracts::court::flag_of(
            court.provider(),
            *court.address(),
            self.deployment.deploy_block,
            case,
        )
        .await?
        .ok_or_else(|| anyhow!("case {case} does not exist"))
    }

    /// `account` if given, else the sending account.
    pub fn account_or(&self, account: Option<Address>) -> anyhow::Result<Address> {
        account.map(Ok).unwrap_or_else(|| self.account())
    }

    /// Sends `call` as `label`, waits for the configured confirmations (a spinner on a terminal),
    /// and fails with the decoded custom error when the contract refuses it.
    pub async fn send<D: CallDecoder>(
        &self,
        label: &str,
        call: CallBuilder<&DynProvider, D>,
    ) -> anyhow::Result<Sent> {
        self.account()?;
        let pending = call.send().await.map_err(|e| call_error(label, e))?;
        let hash = *pending.tx_hash();
        let spinner = Spinner::start(format!(
            "{label}: waiting for {} confirmation(s) of {hash}",
            self.confirmations
        ));
        let receipt = pending
            .with_required_confirmations(self.confirmations)
            .with_timeout(Some(self.timeout))
            .get_receipt()
            .await;
        spinner.finish().await;
        let receipt =
            receipt.with_context(|| format!("{label}: waiting for transaction {hash}"))?;
        if !receipt.status() {
            bail!(
                "{label}: transaction {hash} reverted in block {}",
                receipt.block_number.unwrap_or_default()
            );
        }
        Ok(Sent { receipt })
    }

    /// Runs a view call, decoding a revert like a transaction's.
    pub async fn view<D: CallDecoder>(
        &self,
        label: &str,
        call: CallBuilder<&DynProvider, D>,
    ) -> anyhow::Result<D::CallOutput> {
        let call = match self.block {
            Some(block) => call.block(BlockId::number(block)),
            None => call,
        };
        call.call().await.map_err(|e| call_error(label, e))
    }
}

/// A revert becomes `label reverted: Name(arg=value, …)` (downcastable to [`ContractRevert`]);
/// anything else keeps its own message.
fn call_error(label: &str, error: alloy::contract::Error) -> anyhow::Error {
    match ContractRevert::from_contract_error(&error) {
        Some(revert) => anyhow::Error::new(revert).context(format!("{label} reverted")),
        None => anyhow::Error::new(error).context(label.to_owned()),
    }
}
