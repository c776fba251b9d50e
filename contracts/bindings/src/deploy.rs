//! Deploying `SlaOracle` to any JSON-RPC endpoint.

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};

use crate::{DeploymentFile, Error, ISlaOracle, Result, SlaOracle};

/// Constructor arguments of `SlaOracle`; `None` fields take the documented defaults.
#[derive(Debug, Clone)]
pub struct DeployConfig {
    /// Admin and pauser; default: the deployer.
    pub admin: Option<Address>,
    /// Start of epoch 0; default: the latest block's timestamp rounded down to a whole epoch.
    pub genesis_time: Option<u64>,
    /// Seconds per epoch.
    pub epoch_length: u32,
    /// Seconds after an epoch's end during which its results may be submitted.
    pub submission_window: u32,
    /// Seconds unbonding stake stays locked; default and minimum: epoch_length + submission_window.
    pub unbonding_delay: Option<u32>,
    /// Seconds an allocation request waits for the provider.
    pub allocation_request_ttl: u32,
    /// Oracle signer set; default: the deployer alone.
    pub oracle_signers: Vec<Address>,
    /// Signatures needed per result batch.
    pub quorum: u8,
}

impl Default for DeployConfig {
    /// One-hour epochs, a two-hour submission window, one-day request TTL, one oracle, quorum 1.
    fn default() -> Self {
        Self {
            admin: None,
            genesis_time: None,
            epoch_length: 3600,
            submission_window: 7200,
            unbonding_delay: None,
            allocation_request_ttl: 86_400,
            oracle_signers: Vec::new(),
            quorum: 1,
        }
    }
}

/// Deploys `SlaOracle` through `rpc_url`, paid and sent by `signer`, and returns what the services
/// need to find and use it. Waits for the receipt.
pub async fn deploy(
    rpc_url: Url,
    signer: PrivateKeySigner,
    config: &DeployConfig,
) -> Result<DeploymentFile> {
    let deployer = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(rpc_url);
    let chain_id = provider.get_chain_id().await?;

    let epoch_length = config.epoch_length;
    if epoch_length == 0 {
        return Err(Error::Config("epoch_length must be positive".into()));
    }
    let minimum_delay = epoch_length
        .checked_add(config.submission_window)
        .ok_or_else(|| Error::Config("epoch_length + submission_window overflows u32".into()))?;
    let unbonding_delay = config.unbonding_delay.unwrap_or(minimum_delay);
    let genesis_time = match config.genesis_time {
        Some(t) => t,
        None => {
            let latest = provider
                .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                .await?
                .ok_or_else(|| Error::Config("the node returned no latest block".into()))?;
            let now = latest.header.timestamp;
            now - now % u64::from(epoch_length)
        }
    };
    let admin = config.admin.unwrap_or(deployer);
    let oracle_signers = if config.oracle_signers.is_empty() {
        vec![deployer]
    } else {
        config.oracle_signers.clone()
    };

    let init = ISlaOracle::InitConfig {
        admin,
        genesisTime: genesis_time,
        epochLength: epoch_length,
        submissionWindow: config.submission_window,
        unbondingDelay: unbonding_delay,
        allocationRequestTtl: config.allocation_request_ttl,
    };
    let receipt = SlaOracle::deploy_builder(&provider, init, oracle_signers.clone(), config.quorum)
        .send()
        .await?
        .get_receipt()
        .await?;
    let deploy_tx = receipt.transaction_hash;
    let contract = match receipt.contract_address {
        Some(address) if receipt.status() => address,
        _ => return Err(Error::NotDeployed(deploy_tx)),
    };
    let deploy_block = receipt.block_number.ok_or(Error::NotDeployed(deploy_tx))?;

    Ok(DeploymentFile {
        chain_id,
        contract,
        deploy_block,
        deploy_tx,
        deployer,
        admin,
        genesis_time,
        epoch_length,
        submission_window: config.submission_window,
        unbonding_delay,
        allocation_request_ttl: config.allocation_request_ttl,
        oracle_signers,
        quorum: config.quorum,
    })
}
