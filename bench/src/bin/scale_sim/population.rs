//! Who the simulated deployment holds: data units `1..=N` spread over providers in contiguous
//! runs (a provider's data units next to each other, as the submitter orders results), each with
//! a consumer (data unit `u` belongs to consumer `(u - 1) % consumers`), and one reporter key per
//! account: a provider's agent signs for all of its data units, a consumer's client for all of
//! its own.

use alloy_primitives::Address;
use ed25519_dalek::SigningKey;
use sla_protocol::aggregate::SlaTerms;
use sla_protocol::Deployment;

/// The deployment every report is signed for (anvil's chain id, the ingest benchmark's contract).
pub(crate) const DEPLOYMENT: Deployment = Deployment {
    chain_id: 31337,
    contract: [0xab; 20],
};

/// Epochs of one hour, as the simulation's reports (one per side per hour).
pub(crate) const EPOCH_LEN_S: u32 = 3_600;
pub(crate) const HOUR_MS: u64 = 3_600_000;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Population {
    pub(crate) data_units: u64,
    pub(crate) providers: u64,
    pub(crate) consumers: u64,
}

impl Population {
    /// Index of the provider of data unit `unit` (1-based unit).
    pub(crate) fn provider_of(&self, unit: u64) -> u64 {
        let per = self.data_units.div_ceil(self.providers).max(1);
        (unit - 1) / per
    }

    /// Index of the consumer of data unit `unit`.
    pub(crate) fn consumer_of(&self, unit: u64) -> u64 {
        (unit - 1) % self.consumers
    }

    pub(crate) fn provider_keys(&self) -> Vec<SigningKey> {
        (0..self.providers).map(|i| key(0xb1, i)).collect()
    }

    pub(crate) fn consumer_keys(&self) -> Vec<SigningKey> {
        (0..self.consumers).map(|i| key(0xc1, i)).collect()
    }
}

pub(crate) fn provider_address(index: u64) -> Address {
    address(0xb1, index)
}

pub(crate) fn consumer_address(index: u64) -> Address {
    address(0xc1, index)
}

fn address(tag: u8, index: u64) -> Address {
    let mut bytes = [tag; 20];
    bytes[12..].copy_from_slice(&index.to_be_bytes());
    Address::from(bytes)
}

fn key(tag: u8, index: u64) -> SigningKey {
    let mut seed = [tag; 32];
    seed[..8].copy_from_slice(&index.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

/// Terms with read and write latency, uptime and error rate enforced, a 24-hour uptime window
/// (so closing an epoch reads up to 23 earlier summaries per data unit) and a report an hour.
pub(crate) fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 50_000,
        max_write_latency_us: 80_000,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 9_000,
        uptime_window: 24 * 3600,
        max_error_rate_bps: 100,
        reporting_interval: 3600,
        penalty_per_epoch: 1,
        weights: [2000, 2000, 0, 0, 3000, 3000],
    }
}
