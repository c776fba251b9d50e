//! Event rules, one alert per event, keyed by what it is about:
//! - `violation`: an epoch's verdict is final and breaks a term (before it reaches the chain),
//!   with every broken term in words and the penalty that follows.
//! - `penalty`: a penalty was applied on chain: amount, epoch and transaction.

use std::collections::HashMap;

use sla_protocol::parties::Allocation;
use sla_storage::{Database, StorageError};

use super::{about, Ctx, BATCH};
use crate::alert::Alert;
use sla_dashboard::words;

/// The event rules' cursor.
#[derive(Debug, Default)]
pub(super) struct Events {
    /// The newest block whose penalties were turned into alerts and written.
    pub(super) penalty_block: u64,
}

impl Events {
    /// New violations and penalties, and the newest block read.
    pub(super) async fn look(
        &self,
        db: &Database,
        ctx: &Ctx<'_>,
        allocations: &mut HashMap<u64, Allocation>,
    ) -> Result<(Vec<Alert>, u64), StorageError> {
        let mut out = Vec::new();
        for (data_unit, epoch, verdict) in db.rollups().final_verdicts(BATCH).await? {
            if verdict.violations == 0 {
                continue;
            }
            let Some(a) = allocation(db, allocations, data_unit).await? else {
                continue;
            };
            let mut alert = Alert::firing(
                "violation",
                "warning",
                format!(
                    "data unit {data_unit} broke its terms in epoch {epoch} ({}); a penalty of {} \
                     follows when the result is applied on chain",
                    words::violated(verdict.violations).join(", "),
                    words::eth(verdict.penalty_wei)
                ),
                words::verdict(&a.terms, &verdict),
            );
            alert.alert_key = format!("violation:{data_unit}:{epoch}");
            alert.epoch = epoch;
            out.push(about(&a, ctx, alert));
        }
        let mut block = self.penalty_block;
        for p in db
            .mirror()
            .penalties_after_block(self.penalty_block, BATCH)
            .await?
        {
            block = block.max(p.origin.block_number);
            let mut alert = Alert::firing(
                "penalty",
                "critical",
                format!(
                    "data unit {} paid a penalty of {} for epoch {}, moved from the provider's \
                     bond to the consumer",
                    p.data_unit,
                    words::eth(p.amount),
                    p.epoch
                ),
                vec![
                    format!("amount {} wei", p.amount),
                    format!(
                        "from the bond {} wei, from unbonding stake {} wei",
                        p.from_bonded, p.from_unbonding
                    ),
                    format!("block {}", p.origin.block_number),
                ],
            );
            alert.alert_key = format!("penalty:{}:{}", p.data_unit, p.epoch);
            alert.data_unit = p.data_unit;
            alert.provider = format!("{:#x}", p.provider);
            alert.consumer = format!("{:#x}", p.consumer);
            alert.epoch = p.epoch;
            alert.tx_hash = p.origin.tx_hash.map(|h| format!("0x{}", hex::encode(h)));
            alert.link = ctx.link(p.data_unit);
            alert.raised_at_ms = ctx.now_ms;
            out.push(alert);
        }
        Ok((out, block))
    }
}

/// An allocation, read once.
pub(super) async fn allocation(
    db: &Database,
    cache: &mut HashMap<u64, Allocation>,
    data_unit: u64,
) -> Result<Option<Allocation>, StorageError> {
    if let Some(a) = cache.get(&data_unit) {
        return Ok(Some(a.clone()));
    }
    let a = db.mirror().current_allocation(data_unit).await?;
    if let Some(a) = &a {
        cache.insert(data_unit, a.clone());
    }
    Ok(a)
}
