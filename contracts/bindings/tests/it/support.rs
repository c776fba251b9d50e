//! A fresh anvil with the contract deployed, funded actors, and chain-time helpers.

use alloy::{
    network::EthereumWallet,
    node_bindings::AnvilInstance,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use sla_contracts::{
    anvil, deploy, signing, DeployConfig, DeploymentFile,
    ISlaOracle::{EpochResult, SlaTerms},
    SlaCourt::{self, SlaCourtInstance},
    SlaOracle::{self, SlaOracleInstance},
    SlaPolicies::{self, SlaPoliciesInstance},
};

pub(crate) const EPOCH: u32 = 3600;
pub(crate) const WINDOW: u32 = 7200;
pub(crate) const PENALTY: u128 = 100_000_000_000_000_000; // 0.1 ether

/// A running anvil with `SlaOracle` (and its court) deployed; anvil stops when this is dropped.
pub(crate) struct Chain {
    pub anvil: AnvilInstance,
    pub deployment: DeploymentFile,
    /// The oracle signer set, in the order given at deployment.
    pub oracle_signers: Vec<PrivateKeySigner>,
}

impl Chain {
    /// Spawns anvil and deploys with one-hour epochs; account 0 deploys and is admin, account 9 is
    /// the single oracle signer.
    pub(crate) async fn start() -> Self {
        Self::start_with_signers(&[9], 1).await
    }

    /// Like [`Chain::start`], with the anvil accounts `signers` as the oracle signers (and, by the
    /// default court config, the court's validators) and `quorum`.
    pub(crate) async fn start_with_signers(signers: &[usize], quorum: u8) -> Self {
        let anvil = anvil::spawn().unwrap_or_else(|e| panic!("cannot run the anvil tests: {e}"));
        let deployer = signer(&anvil, 0);
        let oracle_signers: Vec<_> = signers.iter().map(|&i| signer(&anvil, i)).collect();
        let config = DeployConfig {
            epoch_length: EPOCH,
            submission_window: WINDOW,
            oracle_signers: oracle_signers.iter().map(|s| s.address()).collect(),
            quorum,
            ..DeployConfig::default()
        };
        let deployment = deploy(anvil.endpoint_url(), deployer, &config)
            .await
            .expect("deploy");
        Self {
            anvil,
            deployment,
            oracle_signers,
        }
    }

    /// The contract, called from anvil account `index`.
    pub(crate) fn oracle_as(&self, index: usize) -> SlaOracleInstance<DynProvider> {
        SlaOracle::new(self.deployment.contract, self.provider_as(index))
    }

    /// The court, called from anvil account `index`.
    pub(crate) fn court_as(&self, index: usize) -> SlaCourtInstance<DynProvider> {
        let court = self
            .deployment
            .court
            .expect("the default deployment has a court");
        SlaCourt::new(court, self.provider_as(index))
    }

    /// The policies contract, called from anvil account `index`.
    pub(crate) fn policies_as(&self, index: usize) -> SlaPoliciesInstance<DynProvider> {
        let policies = self
            .deployment
            .policies
            .expect("the default deployment has SlaPolicies");
        SlaPolicies::new(policies, self.provider_as(index))
    }

    /// A provider that sends transactions from anvil account `index`.
    pub(crate) fn provider_as(&self, index: usize) -> DynProvider {
        let wallet = EthereumWallet::from(signer(&self.anvil, index));
        ProviderBuilder::new()
            .wallet(wallet)
            .connect_http(self.anvil.endpoint_url())
            .erased()
    }

    pub(crate) fn address(&self, index: usize) -> Address {
        self.anvil.addresses()[index]
    }

    /// Moves chain time forward by `secs` and mines a block.
    pub(crate) async fn advance(&self, secs: u64) {
        let provider = ProviderBuilder::new().connect_http(self.anvil.endpoint_url());
        let _: serde_json::Value = provider
            .raw_request("evm_increaseTime".into(), (secs,))
            .await
            .expect("evm_increaseTime");
        let _: serde_json::Value = provider
            .raw_request("evm_mine".into(), ())
            .await
            .expect("evm_mine");
    }

    /// Moves chain time to the end of `epoch` (its results become submittable).
    pub(crate) async fn advance_past(&self, epoch: u64) {
        let now = self.now().await;
        let end = self.deployment.epoch_end(epoch);
        if end > now {
            self.advance(end - now).await;
        }
    }

    pub(crate) async fn now(&self) -> u64 {
        let provider = ProviderBuilder::new().connect_http(self.anvil.endpoint_url());
        let block = provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .expect("latest block")
            .expect("a block");
        block.header.timestamp
    }

    /// Signatures of the oracle set over the packed results `packed` for `epoch` under config
    /// version 1.
    pub(crate) fn sign(&self, epoch: u64, packed: &[u8]) -> Vec<alloy::primitives::Bytes> {
        let digest = signing::batch_digest(
            self.deployment.chain_id,
            self.deployment.contract,
            1,
            epoch,
            packed,
        );
        signing::sign_batch(&self.oracle_signers, digest).expect("sign")
    }
}

pub(crate) fn signer(anvil: &AnvilInstance, index: usize) -> PrivateKeySigner {
    anvil.keys()[index].clone().into()
}

/// The example terms: 10 MB/s up to 1 GB, 99.95 % over 30 days, 0.01 % errors.
pub(crate) fn terms() -> SlaTerms {
    SlaTerms {
        maxReadLatencyUs: 50_000,
        maxWriteLatencyUs: 100_000,
        minUploadBps: 10_000_000,
        minDownloadBps: 10_000_000,
        speedSizeBound: 1_000_000_000,
        minUptimeBps: 9995,
        uptimeWindow: 30 * 86_400,
        maxErrorRateBps: 1,
        reportingInterval: 3600,
        penaltyPerEpoch: alloy::primitives::Uint::from(PENALTY),
        weights: [2000, 1000, 1500, 1500, 2500, 1500],
    }
}

pub(crate) fn result(data_unit_id: u64, violations: u8) -> EpochResult {
    EpochResult {
        dataUnitId: data_unit_id,
        readLatencyUs: 12_345,
        writeLatencyUs: 23_456,
        uploadBps: 12_000_000,
        downloadBps: 15_000_000,
        uptimeBps: 9999,
        errorRateBps: 0,
        operations: 1000,
        violations,
        flags: 0,
        // A realistic root: 32 random-looking (nonzero) bytes, as calldata cost depends on them.
        reportsRoot: alloy::primitives::keccak256(data_unit_id.to_be_bytes()),
    }
}
