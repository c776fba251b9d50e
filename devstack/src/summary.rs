//! What happened on chain, per data unit, next to what the aggregator computed.

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use sla_contracts::events::AppliedResult;
use sla_contracts::SlaOracle;
use sla_storage::{Rollup, RollupStore};

/// One applied result and the transaction that applied it.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The result as the `ResultApplied` event records it.
    pub result: AppliedResult,
    /// Hash of the `submitResults` transaction; `None` if the node's log does not carry it.
    pub tx_hash: Option<B256>,
}

/// A data unit's outcome: results applied on chain, the provider's reputation, what its consumer
/// may withdraw, and the aggregator's roll-ups.
#[derive(Debug, Clone)]
pub struct UnitOutcome {
    /// The allocation id on chain.
    pub data_unit: u64,
    /// The provider's account.
    pub provider: Address,
    /// The consumer's account.
    pub consumer: Address,
    /// The data unit's results applied on chain, in log order.
    pub applied: Vec<Applied>,
    /// The provider's reputation now, 0..=10000 (starts at 5000).
    pub reputation: u16,
    /// Wei the consumer may withdraw now: the penalties credited to it.
    pub withdrawable: U256,
    /// Wei still bonded by the provider, after penalties.
    pub bonded: U256,
    /// The aggregator's roll-ups of the data unit, by epoch.
    pub rollups: Vec<Rollup>,
}

/// Reads the outcome of each `(data unit, provider, consumer)`.
pub async fn outcomes(
    provider: &DynProvider,
    contract: Address,
    from_block: u64,
    rollups: &RollupStore,
    units: &[(u64, Address, Address)],
) -> anyhow::Result<Vec<UnitOutcome>> {
    let oracle = SlaOracle::new(contract, provider.clone());
    let logs = provider
        .get_logs(
            &Filter::new()
                .address(contract)
                .event_signature(SlaOracle::ResultApplied::SIGNATURE_HASH)
                .from_block(from_block),
        )
        .await?;
    let applied: Vec<Applied> = logs
        .iter()
        .filter_map(|log| {
            let event = log.log_decode::<SlaOracle::ResultApplied>().ok()?;
            Some(Applied {
                result: AppliedResult::from(&event.inner.data),
                tx_hash: log.transaction_hash,
            })
        })
        .collect();
    let mut out = Vec::new();
    for &(data_unit, provider_address, consumer) in units {
        out.push(UnitOutcome {
            data_unit,
            provider: provider_address,
            consumer,
            applied: applied
                .iter()
                .filter(|a| a.result.data_unit_id == data_unit)
                .cloned()
                .collect(),
            reputation: oracle.reputationOf(provider_address).call().await?,
            withdrawable: oracle.withdrawableOf(consumer).call().await?,
            bonded: U256::from(oracle.providerInfo(provider_address).call().await?.bonded),
            rollups: rollups.of_data_unit(data_unit, 0, u64::MAX).await?,
        });
    }
    Ok(out)
}

/// Prints the outcomes for a person.
pub fn print(outcomes: &[UnitOutcome], labels: &[&str]) {
    for (o, label) in outcomes.iter().zip(labels) {
        println!(
            "\ndata unit {} ({label}): provider {} reputation {} / 10000, bond left {} wei, consumer {} may withdraw {} wei",
            o.data_unit, o.provider, o.reputation, o.bonded, o.consumer, o.withdrawable
        );
        for a in &o.applied {
            let r = &a.result;
            println!(
                "  epoch {:>6}: violations {:06b} flags {:02b} read {} us write {} us errors {} bps ops {} root 0x{}.. tx {}",
                r.epoch,
                r.violations,
                r.flags,
                r.read_latency_us,
                r.write_latency_us,
                r.error_rate_bps,
                r.operations,
                &hex::encode(r.reports_root)[..12],
                a.tx_hash.map(|h| h.to_string()).unwrap_or_default()
            );
        }
    }
}
