//! What the pages show, as plain serializable values: each page's view is built here once from
//! the service database and both rendered (`pages/`) and served as JSON (`api.rs`), so the
//! numbers on a page are the numbers of the API.

pub mod compliance;
pub mod data_unit;
pub mod export;
pub mod forecast;
pub mod incidents;
pub mod metrics;
pub mod overview;
pub mod provider;
pub mod status;

use alloy_primitives::Address;
use serde::Serialize;
use sla_protocol::aggregate::EpochConfig;
use sla_storage::mirror::ChainOrigin;
use sla_storage::Database;

use crate::error::DashboardError;

/// The span the overview's and the badge's compliance covers.
pub const COMPLIANCE_SPAN_S: u64 = 30 * 86_400;

/// The service database and what the views need to know of the deployment.
#[derive(Debug, Clone)]
pub struct Source {
    /// The database the ingest API and the oracle share.
    pub db: Database,
    /// The public base URL of the read API, for the `sla audit` command shown (may be empty:
    /// the page then shows a placeholder).
    pub public_url: String,
}

impl Source {
    /// The epoch configuration, from the contract's mirrored configuration.
    pub async fn epochs(&self) -> Result<EpochConfig, DashboardError> {
        let contract = self
            .db
            .mirror()
            .contract()
            .await?
            .ok_or(DashboardError::NotYet("the contract's configuration"))?;
        EpochConfig::new(contract.genesis_time, contract.epoch_length)
            .map_err(|e| DashboardError::Internal(format!("epoch configuration: {e}")))
    }
}

/// Epochs in the compliance span (at least one).
pub fn compliance_epochs(epochs: &EpochConfig) -> u64 {
    (COMPLIANCE_SPAN_S / u64::from(epochs.epoch_len_s.max(1))).max(1)
}

/// The epoch in progress at `now_ms` (0 before genesis).
pub fn current_epoch(epochs: &EpochConfig, now_ms: u64) -> u64 {
    epochs.epoch_of(now_ms).unwrap_or(0)
}

/// An address as the API writes it: lowercase `0x` hex.
pub fn address(a: &Address) -> String {
    format!("{a:#x}")
}

/// Parses a `0x`-prefixed (or bare) 20-byte hex address.
pub fn parse_address(s: &str) -> Option<Address> {
    let hex = s.strip_prefix("0x").unwrap_or(s);
    let mut bytes = [0u8; 20];
    hex::decode_to_slice(hex, &mut bytes).ok()?;
    Some(Address::from(bytes))
}

/// Wei as the API writes it: a decimal string (amounts exceed what JSON readers keep exact).
pub fn wei(v: u128) -> String {
    v.to_string()
}

/// Where a fact was recorded on chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct OnChain {
    /// The block.
    pub block_number: u64,
    /// The transaction, `0x` hex (absent for a derived change).
    pub tx_hash: Option<String>,
}

impl From<&ChainOrigin> for OnChain {
    fn from(o: &ChainOrigin) -> Self {
        OnChain {
            block_number: o.block_number,
            tx_hash: o.tx_hash.map(|h| format!("0x{}", hex::encode(h))),
        }
    }
}

/// Results and compliant results over a span, with the share in basis points (truncated).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default, utoipa::ToSchema)]
pub struct ComplianceShare {
    /// Applied results.
    pub results: u64,
    /// Of which without a violation.
    pub compliant: u64,
    /// `compliant * 10000 / results`, truncated; `None` without results.
    pub share_bps: Option<u64>,
}

impl ComplianceShare {
    /// The share of `compliant` in `results`.
    pub fn new(results: u64, compliant: u64) -> Self {
        ComplianceShare {
            results,
            compliant,
            share_bps: (results > 0).then(|| compliant * 10_000 / results),
        }
    }
}
