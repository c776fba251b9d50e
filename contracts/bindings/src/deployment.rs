//! The addresses file: where the contract lives and the immutable timing it was deployed with.

use std::path::Path;

use alloy::primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The addresses file of a deployed `SlaOracle`, as written by `sla-deploy` and read by the ingest
/// API, the oracle and the CLI; [`DeploymentFile::deployment`] is the identity reports are bound to. The timing fields repeat the contract's immutables so services can compute epochs offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentFile {
    /// EIP-155 chain id (part of the EIP-712 domain and of the report signing domain).
    pub chain_id: u64,
    /// The `SlaOracle` address.
    pub contract: Address,
    /// Block that holds the deployment: chain mirrors start indexing events here.
    pub deploy_block: u64,
    /// Hash of the deployment transaction.
    pub deploy_tx: B256,
    /// Account that sent the deployment.
    pub deployer: Address,
    /// Holder of the admin and pauser roles.
    pub admin: Address,
    /// Start of epoch 0 (unix seconds).
    pub genesis_time: u64,
    /// Seconds per epoch.
    pub epoch_length: u32,
    /// Seconds after an epoch's end during which its results may be submitted.
    pub submission_window: u32,
    /// Seconds unbonding stake stays locked and slashable.
    pub unbonding_delay: u32,
    /// Seconds an allocation request waits for the provider.
    pub allocation_request_ttl: u32,
    /// The initial oracle signer set (config version 1).
    pub oracle_signers: Vec<Address>,
    /// The initial quorum.
    pub quorum: u8,
    /// The `SlaPolicies` deployed for the contract, if any (absent in files written before it, or
    /// by `sla-deploy --no-policies`): where the parties' agreed penalty policies are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Address>,
    /// The `SlaCourt` deployed for the contract, if any (absent in files written before the court).
    /// `sla-deploy` binds it when the deployer is the admin; otherwise the admin must call
    /// `setCourt` on the contract before the court can slash or suspend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub court: Option<Address>,
}

impl DeploymentFile {
    /// Reads a deployment file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            path: path.into(),
            source,
        })
    }

    /// Writes the deployment as pretty JSON (creating parent directories).
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.into(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut json = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            path: path.into(),
            source,
        })?;
        json.push('\n');
        std::fs::write(path, json).map_err(io)
    }

    /// The epoch containing `timestamp` (0 before genesis), as the contract computes it.
    pub fn epoch_at(&self, timestamp: u64) -> u64 {
        timestamp.saturating_sub(self.genesis_time) / u64::from(self.epoch_length)
    }

    /// The end (exclusive) of `epoch`: results for it may be submitted from then on.
    pub fn epoch_end(&self, epoch: u64) -> u64 {
        self.genesis_time + (epoch + 1) * u64::from(self.epoch_length)
    }
}
