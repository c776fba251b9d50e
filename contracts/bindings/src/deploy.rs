//! Deploying `SlaOracle`, `SlaPolicies` beside it and `SlaCourt` bound to it, to any JSON-RPC
//! endpoint.

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};

use crate::{
    DeploymentFile, Error, ISlaCourt, ISlaOracle, Result, SlaCourt, SlaOracle, SlaPolicies,
};

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
    /// Whether to deploy `SlaPolicies` beside the oracle (it has no configuration of its own: it
    /// reads the oracle's allocations). Without it the parties cannot agree on penalty policies and
    /// every violating epoch costs the flat penalty. Default: `true`.
    pub policies: bool,
    /// The court deployed beside the oracle; `None` deploys none (the oracle then has no court and
    /// nothing can slash or suspend a provider). Default: `Some` of [`CourtDeployConfig::default`].
    pub court: Option<CourtDeployConfig>,
}

/// Constructor arguments of `SlaCourt` (its immutable rules and first validator set); see
/// `contracts/src/interfaces/ISlaCourt.sol` for each rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourtDeployConfig {
    /// Seconds from a case's opening during which its validators commit votes (and the provider may
    /// attach a rebuttal); > 0.
    pub commit_period: u32,
    /// Seconds after the commit phase during which validators reveal; > 0.
    pub reveal_period: u32,
    /// Share of the validator set, in basis points, that must reveal the same verdict for it to win;
    /// in (5000, 10000].
    pub supermajority_bps: u16,
    /// A flag's fault rate must be above this, in basis points; below 10000.
    pub fault_threshold_bps: u16,
    /// Share of the provider's stake a `Slash` verdict takes, in basis points; in (0, 10000].
    pub slash_bps: u16,
    /// Seconds a `Suspend` verdict bars the provider from accepting allocations; > 0.
    pub suspension_period: u32,
    /// The first validator set; default (empty): the oracle signers.
    pub validators: Vec<Address>,
}

impl Default for CourtDeployConfig {
    /// One-day commit and reveal phases; two thirds of the validators (6666 bps: 2 of 3 suffice) for
    /// a verdict; flags above a 20 % fault rate; a slash takes 10 % of the stake; a suspension lasts
    /// seven days; the oracle signers vote.
    fn default() -> Self {
        Self {
            commit_period: 86_400,
            reveal_period: 86_400,
            supermajority_bps: 6666,
            fault_threshold_bps: 2000,
            slash_bps: 1000,
            suspension_period: 7 * 86_400,
            validators: Vec::new(),
        }
    }
}

impl Default for DeployConfig {
    /// One-hour epochs, a two-hour submission window, one-day request TTL, one oracle, quorum 1,
    /// `SlaPolicies`, a court with [`CourtDeployConfig::default`].
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
            policies: true,
            court: Some(CourtDeployConfig::default()),
        }
    }
}

/// Deploys `SlaOracle` through `rpc_url`, paid and sent by `signer`, and returns what the services
/// need to find and use it. With `config.policies`, then deploys `SlaPolicies` for it. With
/// `config.court`, then deploys `SlaCourt` on it (same admin) and,
/// when the deployer is the admin, binds it (`setCourt`); otherwise binding is the admin's to do
/// (`setCourt(court)` on the oracle), as only the admin may. Waits for every receipt.
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

    let policies = if config.policies {
        Some(deploy_policies(&provider, contract).await?)
    } else {
        None
    };
    let court = match &config.court {
        Some(court) => {
            let validators = if court.validators.is_empty() {
                oracle_signers.clone()
            } else {
                court.validators.clone()
            };
            let address = deploy_court(&provider, contract, admin, court, validators).await?;
            if admin == deployer {
                bind_court(&provider, contract, address).await?;
            }
            Some(address)
        }
        None => None,
    };

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
        policies,
        court,
    })
}

/// Deploys `SlaPolicies` for the oracle at `oracle` and returns its address.
async fn deploy_policies<P: Provider>(provider: &P, oracle: Address) -> Result<Address> {
    let receipt = SlaPolicies::deploy_builder(provider, oracle)
        .send()
        .await?
        .get_receipt()
        .await?;
    match receipt.contract_address {
        Some(address) if receipt.status() => Ok(address),
        _ => Err(Error::NotDeployed(receipt.transaction_hash)),
    }
}

/// Deploys `SlaCourt` for the oracle at `oracle` and returns its address.
async fn deploy_court<P: Provider>(
    provider: &P,
    oracle: Address,
    admin: Address,
    court: &CourtDeployConfig,
    validators: Vec<Address>,
) -> Result<Address> {
    let rules = ISlaCourt::CourtConfig {
        commitPeriod: court.commit_period,
        revealPeriod: court.reveal_period,
        supermajorityBps: court.supermajority_bps,
        faultThresholdBps: court.fault_threshold_bps,
        slashBps: court.slash_bps,
        suspensionPeriod: court.suspension_period,
    };
    let receipt = SlaCourt::deploy_builder(provider, oracle, admin, rules, validators)
        .send()
        .await?
        .get_receipt()
        .await?;
    match receipt.contract_address {
        Some(address) if receipt.status() => Ok(address),
        _ => Err(Error::NotDeployed(receipt.transaction_hash)),
    }
}

/// Binds the court to the oracle (`setCourt`, sent by the admin).
async fn bind_court<P: Provider>(provider: &P, oracle: Address, court: Address) -> Result<()> {
    let receipt = SlaOracle::new(oracle, provider)
        .setCourt(court)
        .send()
        .await?
        .get_receipt()
        .await?;
    if !receipt.status() {
        // A transaction mined as reverted is not an error of `send`: say which one failed.
        return Err(Error::Reverted("setCourt", receipt.transaction_hash));
    }
    Ok(())
}
