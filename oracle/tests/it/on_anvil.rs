//! What the anvil tests of the oracle's roles share: wallets of anvil's accounts, moving the
//! chain's clock, and the consumer's signed report chain of a data unit, one report per epoch.

use alloy::network::EthereumWallet;
use alloy::node_bindings::AnvilInstance;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use sla_contracts::{DeploymentFile, ISlaOracle::SlaTerms};
use sla_protocol::{sign_report, QosRecord, Report, ReportHash, Role, VerifiedReport};

/// A provider whose wallet signs as anvil's account `index` (one per account: each keeps its
/// own nonce).
pub(crate) fn wallet(anvil: &AnvilInstance, index: usize) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(key(anvil, index)))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// Anvil's account `index`.
pub(crate) fn key(anvil: &AnvilInstance, index: usize) -> PrivateKeySigner {
    anvil.keys()[index].clone().into()
}

/// A provider without a wallet.
pub(crate) fn reader(anvil: &AnvilInstance) -> DynProvider {
    ProviderBuilder::new()
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// Moves the chain's clock `secs` ahead and mines a block.
pub(crate) async fn advance(anvil: &AnvilInstance, secs: u64) {
    let provider = reader(anvil);
    let _: serde_json::Value = provider
        .raw_request("evm_increaseTime".into(), (secs,))
        .await
        .unwrap();
    let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
}

/// The consumer's signed reports of `unit` for `epochs`, one per epoch covering all of it, in one
/// chain (sequence from 1); `records(epoch start, ms)` gives each report's records.
pub(crate) fn consumer_reports(
    deployment: &DeploymentFile,
    key: &ed25519_dalek::SigningKey,
    unit: u64,
    epochs: impl IntoIterator<Item = u64>,
    records: impl Fn(u64) -> Vec<QosRecord>,
) -> Vec<VerifiedReport> {
    let binding = deployment.deployment();
    let epoch_ms = u64::from(deployment.epoch_length) * 1000;
    let mut prev = ReportHash::ZERO;
    let mut out = Vec::new();
    for (i, epoch) in epochs.into_iter().enumerate() {
        let start = deployment.epoch_end(epoch) * 1000 - epoch_ms;
        let report = Report {
            deployment: binding,
            role: Role::Consumer,
            reporter_key: key.verifying_key().to_bytes(),
            data_unit: unit,
            sequence: i as u64 + 1,
            prev_hash: prev,
            period_start_ms: start,
            period_end_ms: start + epoch_ms,
            records: records(start),
        };
        let verified = sign_report(&report, key).unwrap().verify(&binding).unwrap();
        prev = verified.hash;
        out.push(verified);
    }
    out
}

/// 0.1 ether, the penalty per violating epoch of [`read_latency_terms`].
pub(crate) const PENALTY: u128 = 100_000_000_000_000_000;

/// Read latency at most 50 ms, nothing else enforced, [`PENALTY`] per violating epoch, hourly
/// reports.
pub(crate) fn read_latency_terms() -> SlaTerms {
    SlaTerms {
        maxReadLatencyUs: 50_000,
        maxWriteLatencyUs: 0,
        minUploadBps: 0,
        minDownloadBps: 0,
        speedSizeBound: 0,
        minUptimeBps: 0,
        uptimeWindow: 0,
        maxErrorRateBps: 10_000,
        reportingInterval: 3600,
        penaltyPerEpoch: alloy::primitives::Uint::from(PENALTY),
        weights: [10_000, 0, 0, 0, 0, 0],
    }
}
