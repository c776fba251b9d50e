//! `sla consumer claim`: credits a data unit's escrowed penalties to its consumer
//! (`claimPenalties`). Results leave their penalties in escrow rather than crediting the consumer
//! in the result transaction (that would cost a storage write per violating result); anyone may
//! claim them, and the credit always goes to the allocation's consumer.

use alloy::primitives::U256;
use anyhow::{bail, Context};
use serde_json::json;
use sla_contracts::applied::applied_results_of;
use sla_contracts::{ISlaOracle, SlaOracle};

use crate::chain::units::format_wei;
use crate::chain::Chain;
use crate::output::Output;

/// Claims the penalties of `data_unit` for `epochs`, or for every epoch that has one in escrow
/// when `epochs` is empty (found from the data unit's applied results and `resultOf`).
pub(super) async fn claim(chain: &Chain, data_unit: u64, epochs: &[u64]) -> anyhow::Result<Output> {
    let c = &chain.contract;
    let epochs: Vec<u64> = if epochs.is_empty() {
        owed_epochs(chain, data_unit).await?
    } else {
        epochs.to_vec()
    };
    if epochs.is_empty() {
        bail!("data unit {data_unit} has no penalty in escrow");
    }
    let refs: Vec<ISlaOracle::ResultRef> = epochs
        .iter()
        .map(|&epoch| ISlaOracle::ResultRef {
            dataUnitId: data_unit,
            epoch,
        })
        .collect();
    let sent = chain.send("claimPenalties", c.claimPenalties(refs)).await?;
    let claimed: Vec<SlaOracle::PenaltyClaimed> = sent
        .receipt
        .inner
        .logs()
        .iter()
        .filter_map(|l| l.log_decode::<SlaOracle::PenaltyClaimed>().ok())
        .map(|l| l.inner.data)
        .collect();
    let total = claimed.iter().fold(U256::ZERO, |sum, e| sum + e.amount);
    let consumer = claimed
        .first()
        .map(|e| e.consumer)
        .context("claimPenalties emitted no PenaltyClaimed event")?;
    let mut out = sent.json();
    out["data_unit_id"] = json!(data_unit);
    out["consumer"] = json!(consumer.to_checksum(None));
    out["epochs"] = json!(epochs);
    out["amount_wei"] = json!(total.to_string());
    Ok(Output::new(
        format!(
            "credited {} of data unit {data_unit}'s penalties ({} epochs) to {consumer}; `sla consumer withdraw` sends it{}",
            format_wei(total),
            epochs.len(),
            sent.human_suffix()
        ),
        out,
    ))
}

/// The epochs of `data_unit` whose applied result left a penalty in escrow.
async fn owed_epochs(chain: &Chain, data_unit: u64) -> anyhow::Result<Vec<u64>> {
    let c = &chain.contract;
    let applied = applied_results_of(
        c.provider(),
        chain.deployment.contract,
        chain.deployment.deploy_block,
        chain.block(),
        data_unit,
    )
    .await
    .context("reading the submitted result batches")?;
    let mut epochs = Vec::new();
    for a in applied {
        if a.result.violations == 0 {
            continue;
        }
        let epoch = a.epoch;
        let state = chain.view("resultOf", c.resultOf(data_unit, epoch)).await?;
        if state.penaltyOwed > U256::ZERO {
            epochs.push(epoch);
        }
    }
    Ok(epochs)
}
