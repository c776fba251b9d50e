//! Rust face of the SLA oracle's smart contract. It holds the alloy `sol!` bindings of `SlaOracle`
//! generated from the committed forge artifact (`artifacts/SlaOracle.json`, written by
//! `contracts/scripts/export-artifacts.sh` and checked for drift by `scripts/test-contracts.sh`), the
//! deployment routine behind the `sla-deploy` binary, the [`DeploymentFile`] addresses file the services
//! read, the packed wire form of result batches ([`pack_results`], [`unpack_results`]), the EIP-712
//! signing of result batches that the oracle submits, the reading of applied results back from the
//! calldata of `submitResults` transactions ([`applied`]), and a helper that finds the pinned anvil
//! binary for tests and the dev stack.
//!
//! The on-chain rules (units, reputation, penalties, skip-versus-revert) are specified in
//! `docs/contracts.md`; the Rust side mirrors them and must not drift from them.

#![warn(missing_docs)]

pub mod anvil;
pub mod applied;
pub mod convert;
mod deploy;
mod deployment;
pub mod results;
pub mod signing;

pub use deploy::{deploy, DeployConfig};
pub use deployment::DeploymentFile;
pub use results::{pack_results, unpack_results, InvalidResultsLength, RECORD_SIZE};
pub use sol::{ISlaOracle, SlaOracle};

/// The `sol!` output: the `SlaOracle` module (calls, events, errors, the contract instance) and
/// the `ISlaOracle` module with the interface's structs. Generated code, field for field the
/// Solidity declarations: the meaning of every field, event and error is documented in NatSpec in
/// `contracts/src/interfaces/ISlaOracle.sol` and in `docs/contracts.md`. It sits in a module of
/// its own because `sol!` passes the `allow` below only to `SlaOracle`, not to the `ISlaOracle`
/// module it generates next to it (whose `AllocationStatus` type gets no doc comment), and a lint
/// attribute on a macro invocation is ignored. Both modules are re-exported at the crate root.
#[allow(missing_docs)]
mod sol {
    alloy::sol!(
        #[sol(rpc, all_derives)]
        #[allow(missing_docs, clippy::too_many_arguments)]
        SlaOracle,
        "artifacts/SlaOracle.json"
    );
}

/// What can go wrong while deploying, signing or reading deployment files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The JSON-RPC transport failed.
    #[error("rpc error: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// A contract call or deployment failed (including reverts).
    #[error("contract error: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// Waiting for a transaction receipt failed.
    #[error("pending transaction error: {0}")]
    PendingTransaction(#[from] alloy::providers::PendingTransactionError),
    /// The deployment transaction's receipt carries no contract address, or it reverted.
    #[error("deployment transaction {0} created no contract")]
    NotDeployed(alloy::primitives::B256),
    /// Signing a result batch failed.
    #[error("signing error: {0}")]
    Signer(#[from] alloy::signers::Error),
    /// The deployment configuration breaks a contract rule; the message names it.
    #[error("invalid deployment config: {0}")]
    Config(String),
    /// Reading or writing a deployment file failed.
    #[error("deployment file {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A deployment file is not valid JSON of the expected shape.
    #[error("deployment file {path}: {source}")]
    Json {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The anvil binary was not found where it was looked for.
    #[error(
        "anvil binary not found at {0} (run contracts/scripts/setup.sh, or set ANVIL_BIN to an anvil binary)"
    )]
    AnvilNotFound(std::path::PathBuf),
    /// anvil was found but did not start.
    #[error("anvil did not start: {0}")]
    AnvilSpawn(String),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
