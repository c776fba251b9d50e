//! The submitter's planning of one epoch at full scale, without a chain: the reads one planning
//! round makes (`final_verdicts` with the submitter's limit of 100,000, every enforced
//! allocation for the provider order), the order by provider, and for every batch of
//! `--max-batch` results the packing, EIP-712 digest and oracle signature that
//! `oracle/src/submitter/plan.rs` computes before it records a transaction. Sending and gas are
//! measured on anvil by the `submit` phase (`sla-oracle-bench`).

use std::collections::HashMap;
use std::time::Instant;

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use serde_json::{json, Value};
use sla_contracts::{pack_results, signing, ISlaOracle};
use sla_storage::Database;

/// The submitter's `PLAN_LIMIT`.
const PLAN_LIMIT: u32 = 100_000;

pub(crate) async fn plan_round(db: &Database, max_batch: usize) -> anyhow::Result<Value> {
    let started = Instant::now();
    let verdicts = db.rollups().final_verdicts(PLAN_LIMIT).await?;
    let read_verdicts_s = started.elapsed().as_secs_f64();
    let t = Instant::now();
    let provider_of: HashMap<u64, Address> = db
        .mirror()
        .enforced_allocations()
        .await?
        .into_iter()
        .map(|a| (a.data_unit, a.provider))
        .collect();
    let read_allocations_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let Some(epoch) = verdicts.first().map(|(_, e, _)| *e) else {
        anyhow::bail!("no final roll-up to plan");
    };
    let mut results: Vec<_> = verdicts
        .iter()
        .filter(|(_, e, _)| *e == epoch)
        .map(|(_, _, v)| v.epoch_result())
        .collect();
    results.sort_by_key(|r| (provider_of.get(&r.data_unit_id).copied(), r.data_unit_id));
    let signer = PrivateKeySigner::random();
    let contract = Address::repeat_byte(0xab);
    let mut batches = 0;
    for chunk in results.chunks(max_batch) {
        let chain_results: Vec<ISlaOracle::EpochResult> = chunk.iter().map(Into::into).collect();
        let packed = pack_results(&chain_results);
        let digest = signing::batch_digest(31337, contract, 1, epoch, &packed);
        signing::sign_batch(std::slice::from_ref(&signer), digest)?;
        batches += 1;
    }
    let pack_and_sign_s = t.elapsed().as_secs_f64();
    Ok(json!({
        "epoch": epoch,
        "results_planned": results.len(),
        "batches": batches,
        "max_batch": max_batch,
        "read_final_verdicts_s": read_verdicts_s,
        "read_allocations_s": read_allocations_s,
        "order_pack_sign_s": pack_and_sign_s,
        "round_s": started.elapsed().as_secs_f64(),
    }))
}
