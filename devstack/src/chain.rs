//! Setting up providers, consumers, allocations and reporter keys on chain.

use alloy::network::EthereumWallet;
use alloy::primitives::aliases::U96;
use alloy::primitives::{Address, FixedBytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use ed25519_dalek::SigningKey;
use sla_contracts::ISlaOracle::SlaTerms;
use sla_contracts::SlaOracle;

/// An EVM account with a provider that signs with it.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account's secp256k1 key; its address is the account.
    pub signer: PrivateKeySigner,
    /// An HTTP provider to the stack's anvil whose wallet signs transactions with `signer`.
    pub provider: DynProvider,
}

impl Account {
    /// Connects to the node at `rpc_url` over HTTP with `signer` as the wallet. Fails only if the
    /// URL does not parse; nothing is sent yet.
    pub fn new(signer: PrivateKeySigner, rpc_url: &str) -> anyhow::Result<Self> {
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(rpc_url.parse()?)
            .erased();
        Ok(Account { signer, provider })
    }

    /// The account's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The `SlaOracle` contract at `contract`, called and transacted with from this account.
    pub fn oracle(&self, contract: Address) -> SlaOracle::SlaOracleInstance<DynProvider> {
        SlaOracle::new(contract, self.provider.clone())
    }
}

/// The demo's SLA terms: mean read latency ≤ 50 ms, write ≤ 100 ms, error rate ≤ 1 %,
/// a penalty of `penalty_wei` per violating epoch.
pub fn demo_terms(reporting_interval_s: u32, penalty_wei: u64) -> SlaTerms {
    SlaTerms {
        maxReadLatencyUs: 50_000,
        maxWriteLatencyUs: 100_000,
        minUploadBps: 0,
        minDownloadBps: 0,
        speedSizeBound: 0,
        minUptimeBps: 0,
        uptimeWindow: 0,
        maxErrorRateBps: 100,
        reportingInterval: reporting_interval_s,
        penaltyPerEpoch: U96::from(penalty_wei),
        weights: [3000, 2000, 0, 0, 0, 5000],
    }
}

/// One allocation with both parties' reporter keys registered.
#[derive(Debug, Clone)]
pub struct Allocation {
    /// The allocation id on chain, from its `AllocationRequested` event.
    pub data_unit: u64,
    /// The account that requested the allocation.
    pub consumer: Account,
    /// The registered provider that accepted it.
    pub provider: Account,
    /// The consumer's ed25519 reporter key, registered on chain ([`reporter_key`] of
    /// `2 * key_seed`).
    pub consumer_key: SigningKey,
    /// The provider's ed25519 reporter key, registered on chain ([`reporter_key`] of
    /// `2 * key_seed + 1`).
    pub provider_key: SigningKey,
}

fn ensure_ok(
    receipt: alloy::rpc::types::TransactionReceipt,
    what: &str,
) -> anyhow::Result<alloy::rpc::types::TransactionReceipt> {
    anyhow::ensure!(receipt.status(), "{what}: transaction reverted");
    Ok(receipt)
}

/// Sends a contract call and waits for its receipt, naming the step on error.
macro_rules! confirm {
    ($call:expr, $what:expr) => {
        ensure_ok(
            $call
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", $what))?
                .get_receipt()
                .await?,
            $what,
        )
    };
}

/// Registers `provider` and bonds `bond_wei` (once per provider).
pub async fn register_provider(
    contract: Address,
    provider: &Account,
    bond_wei: u128,
) -> anyhow::Result<()> {
    let oracle = provider.oracle(contract);
    confirm!(oracle.registerProvider(), "registerProvider")?;
    confirm!(oracle.bond().value(U256::from(bond_wei)), "bond")?;
    Ok(())
}

/// Requests, accepts and keys an allocation between `consumer` and `provider`.
pub async fn open_allocation(
    contract: Address,
    consumer: &Account,
    provider: &Account,
    terms: SlaTerms,
    key_seed: u64,
) -> anyhow::Result<Allocation> {
    let c = consumer.oracle(contract);
    let receipt = confirm!(
        c.requestAllocation(provider.address(), terms),
        "requestAllocation"
    )?;
    let data_unit = receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| {
            log.log_decode::<SlaOracle::AllocationRequested>()
                .ok()
                .map(|e| e.inner.data.dataUnitId)
        })
        .ok_or_else(|| anyhow::anyhow!("no AllocationRequested event"))?;
    let p = provider.oracle(contract);
    confirm!(p.acceptAllocation(data_unit), "acceptAllocation")?;
    let consumer_key = reporter_key(key_seed * 2);
    let provider_key = reporter_key(key_seed * 2 + 1);
    confirm!(
        c.registerKey(FixedBytes(consumer_key.verifying_key().to_bytes())),
        "registerKey (consumer)"
    )?;
    confirm!(
        p.registerKey(FixedBytes(provider_key.verifying_key().to_bytes())),
        "registerKey (provider)"
    )?;
    Ok(Allocation {
        data_unit,
        consumer: consumer.clone(),
        provider: provider.clone(),
        consumer_key,
        provider_key,
    })
}

/// A deterministic ed25519 reporter key (demo only).
pub fn reporter_key(seed: u64) -> SigningKey {
    let mut bytes = [0x42u8; 32];
    bytes[..8].copy_from_slice(&seed.to_be_bytes());
    SigningKey::from_bytes(&bytes)
}

/// The chain's latest block timestamp.
pub async fn chain_time(provider: &DynProvider) -> anyhow::Result<u64> {
    let block = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no latest block"))?;
    Ok(block.header.timestamp)
}
