//! What a result batch does to the mirror: the contract's rules replayed on its records, as the
//! contract emits no event per result (docs/indexer.md, "Result batches").
//!
//! - A record is applied iff no result of its (data unit, epoch) was applied before it, in chain
//!   order (the contract's per-epoch bitmap); the others are skipped. The counts must equal the
//!   batch's `ResultsSubmitted`.
//! - A run is a stretch of consecutive records of one provider (the provider is the high half of
//!   the data unit id). A run whose violating results (violations, no `NO_DATA` flag, a nonzero
//!   penalty) took anything from the stake emitted one `PenaltiesEscrowed`, before the batch's
//!   `ResultsSubmitted`. Within the run, in record order, each such result owes
//!   `min(its penalty, what is left of the event's amount)`, where its penalty is
//!   `penaltyPerEpoch` less the percent its flags waive (a policy's tier or grace, rounded down as
//!   the contract does: `sla_protocol::policy::owed_penalty`), and the event's `fromBonded`
//!   covers the first of them (the contract takes the run's total from the bond first). A run
//!   with no event took nothing: the stake was empty.

use std::collections::VecDeque;

use alloy::primitives::Address;
use sla_protocol::aggregate::{EpochResult, FLAG_NO_DATA};
use sla_protocol::policy::{owed_penalty, waived_pct_of_flags};
use sla_storage::mirror::{ChainOrigin, MirroredPenalty, MirroredResult};
use sla_storage::MirrorWrite;

use super::apply::{allocation_version, inconsistent};
use super::error::IndexerError;

/// A `PenaltiesEscrowed` waiting for its batch's records.
#[derive(Debug, Clone)]
pub(super) struct Escrow {
    pub tx_hash: [u8; 32],
    pub provider: Address,
    pub epoch: u64,
    pub amount: u128,
    pub from_bonded: u128,
    pub origin: ChainOrigin,
}

/// The escrows of the range not yet matched to their batch, in log order.
#[derive(Debug, Default)]
pub(super) struct PendingEscrows(Vec<Escrow>);

impl PendingEscrows {
    pub(super) fn push(&mut self, escrow: Escrow) {
        self.0.push(escrow);
    }

    /// The escrows of transaction `tx_hash`, in log order, removed from the pending ones.
    pub(super) fn take(&mut self, tx_hash: &[u8; 32]) -> VecDeque<Escrow> {
        let (mine, rest) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|e| &e.tx_hash == tx_hash);
        self.0 = rest;
        mine.into_iter().collect()
    }

    /// Every escrow must have met its batch by the end of a range (they share a transaction).
    pub(super) fn require_empty(&self) -> Result<(), IndexerError> {
        match self.0.first() {
            None => Ok(()),
            Some(e) => Err(inconsistent(format!(
                "PenaltiesEscrowed of {} in block {} has no ResultsSubmitted in its transaction",
                e.provider, e.origin.block_number
            ))),
        }
    }
}

/// A violating result of the current run that may owe a penalty.
struct Owing {
    data_unit: u64,
    penalty: u128,
    provider: Address,
    consumer: Address,
}

/// Applies a batch's records; returns (applied, skipped).
pub(super) async fn apply_batch(
    m: &mut MirrorWrite,
    epoch: u64,
    results: &[EpochResult],
    mut escrows: VecDeque<Escrow>,
    origin: &ChainOrigin,
) -> Result<(u64, u64), IndexerError> {
    let (mut applied, mut skipped) = (0u64, 0u64);
    let mut run_provider: Option<u64> = None;
    let mut run: Vec<Owing> = Vec::new();
    for result in results {
        let provider_id = result.data_unit_id >> 32;
        if run_provider != Some(provider_id) {
            settle(m, epoch, &mut run, &mut escrows).await?;
            run_provider = Some(provider_id);
        }
        let row = MirroredResult {
            epoch,
            result: *result,
            origin: *origin,
        };
        if !m.insert_result_if_new(&row).await? {
            skipped += 1;
            continue;
        }
        applied += 1;
        if result.violations == 0 || result.flags & FLAG_NO_DATA != 0 {
            continue;
        }
        let at = || format!("block {}", origin.block_number);
        let version = allocation_version(m, result.data_unit_id, at).await?;
        let penalty = owed_penalty(
            version.allocation.terms.penalty_per_epoch,
            waived_pct_of_flags(result.flags),
        );
        if penalty > 0 {
            run.push(Owing {
                data_unit: result.data_unit_id,
                penalty,
                provider: version.allocation.provider,
                consumer: version.allocation.consumer,
            });
        }
    }
    settle(m, epoch, &mut run, &mut escrows).await?;
    if let Some(e) = escrows.front() {
        return Err(inconsistent(format!(
            "PenaltiesEscrowed of {} in block {} matches no run of its batch",
            e.provider, e.origin.block_number
        )));
    }
    Ok((applied, skipped))
}

/// Ends a run: shares its escrow (if it has one) among its owing results, in order.
async fn settle(
    m: &mut MirrorWrite,
    epoch: u64,
    run: &mut Vec<Owing>,
    escrows: &mut VecDeque<Escrow>,
) -> Result<(), IndexerError> {
    let owing = std::mem::take(run);
    let Some(first) = owing.first() else {
        return Ok(());
    };
    let matches = escrows
        .front()
        .is_some_and(|e| e.provider == first.provider && e.epoch == epoch);
    if !matches {
        return Ok(()); // the stake was empty: nothing taken, nothing owed
    }
    let escrow = escrows.pop_front().expect("checked above");
    let mut left = escrow.amount;
    let mut bonded_left = escrow.from_bonded;
    for o in &owing {
        let amount = o.penalty.min(left);
        if amount == 0 {
            break;
        }
        left -= amount;
        let from_bonded = amount.min(bonded_left);
        bonded_left -= from_bonded;
        m.insert_penalty(&MirroredPenalty {
            data_unit: o.data_unit,
            epoch,
            provider: o.provider,
            consumer: o.consumer,
            amount,
            from_bonded,
            from_unbonding: amount - from_bonded,
            origin: escrow.origin,
        })
        .await?;
    }
    if left != 0 {
        return Err(inconsistent(format!(
            "PenaltiesEscrowed of {} in block {} takes {} wei more than its run's penalties",
            escrow.provider, escrow.origin.block_number, left
        )));
    }
    Ok(())
}
