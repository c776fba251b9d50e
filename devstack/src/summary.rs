//! What happened on chain, per data unit, next to what the aggregator computed.

use std::collections::HashSet;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::DynProvider;
use sla_contracts::applied::{submitted_results, AppliedResult};
use sla_contracts::SlaOracle;
use sla_storage::{Rollup, RollupStore};

/// One applied result and the transaction that applied it.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The result as its batch's calldata carries it.
    pub result: AppliedResult,
    /// Hash of the `submitResults` transaction.
    pub tx_hash: B256,
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
    /// Wei the consumer may withdraw now: the penalties claimed for it.
    pub withdrawable: U256,
    /// Wei of this data unit's penalties in escrow, not yet claimed (`resultOf`).
    pub owed: U256,
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
    let applied: Vec<Applied> = submitted_results(
        provider,
        contract,
        from_block,
        None,
        None,
        &mut HashSet::new(),
    )
    .await?
    .into_iter()
    .filter(|s| s.was_applied)
    .map(|s| Applied {
        result: s.applied,
        tx_hash: s.tx_hash,
    })
    .collect();
    let mut out = Vec::new();
    for &(data_unit, provider_address, consumer) in units {
        let mine: Vec<Applied> = applied
            .iter()
            .filter(|a| a.result.data_unit_id() == data_unit)
            .cloned()
            .collect();
        let mut owed = U256::ZERO;
        for a in &mine {
            owed += oracle
                .resultOf(data_unit, a.result.epoch)
                .call()
                .await?
                .penaltyOwed;
        }
        out.push(UnitOutcome {
            data_unit,
            provider: provider_address,
            consumer,
            applied: mine,
            owed,
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
            "\ndata unit {} ({label}): provider {} reputation {} / 10000, bond left {} wei, consumer {} may withdraw {} wei, {} wei owed in escrow",
            o.data_unit, o.provider, o.reputation, o.bonded, o.consumer, o.withdrawable, o.owed
        );
        for a in &o.applied {
            let r = &a.result.result;
            println!(
                "  epoch {:>6}: violations {:06b} flags {:02b} read {} us write {} us errors {} bps ops {} root 0x{}.. tx {}",
                a.result.epoch,
                r.violations,
                r.flags,
                r.read_latency_us,
                r.write_latency_us,
                r.error_rate_bps,
                r.operations,
                &hex::encode(r.reports_root)[..12],
                a.tx_hash
            );
        }
    }
}
