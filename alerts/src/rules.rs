//! The rules: what in the database is worth an alert. Each rule reads what changed since it last
//! looked and returns alerts keyed by what they are about, so finding a condition twice (after a
//! restart, say) raises nothing new: the outbox keeps one row per receiver and key.
//!
//! - `violation`: an epoch's verdict is final and breaks a term (before it reaches the chain),
//!   with every broken term in words and the penalty that follows.
//! - `penalty`: a penalty was applied on chain: amount, epoch and transaction.

use std::collections::HashMap;

use sla_protocol::parties::Allocation;
use sla_storage::Database;

use crate::alert::Alert;

/// Most rows a rule reads per look.
const BATCH: u32 = 10_000;

/// What the rules remember between looks (only to read less; the outbox is the record).
#[derive(Debug, Default)]
pub struct Rules {
    /// The newest block whose penalties were turned into alerts.
    penalty_block: u64,
    /// Allocations already read (terms, parties).
    allocations: HashMap<u64, Allocation>,
}

impl Rules {
    /// Every alert the database holds a reason for now.
    pub async fn look(
        &mut self,
        db: &Database,
        dashboard_url: &str,
        now_ms: u64,
    ) -> Result<Vec<Alert>, sla_storage::StorageError> {
        let mut out = Vec::new();
        for (data_unit, epoch, verdict) in db.rollups().final_verdicts(BATCH).await? {
            if verdict.violations == 0 {
                continue;
            }
            let Some(a) = self.allocation(db, data_unit).await? else {
                continue;
            };
            let details = sla_dashboard::words::verdict(&a.terms, &verdict);
            out.push(Alert {
                alert_key: format!("violation:{data_unit}:{epoch}"),
                rule: "violation",
                severity: "warning",
                data_unit,
                provider: format!("{:#x}", a.provider),
                consumer: format!("{:#x}", a.consumer),
                epoch,
                summary: format!(
                    "data unit {data_unit} broke its terms in epoch {epoch} ({}); a penalty of {} \
                     follows when the result is applied on chain",
                    sla_dashboard::words::violated(verdict.violations).join(", "),
                    sla_dashboard::words::eth(verdict.penalty_wei)
                ),
                details,
                tx_hash: None,
                link: link(dashboard_url, data_unit),
                raised_at_ms: now_ms,
            });
        }
        let penalties = db
            .mirror()
            .penalties_after_block(self.penalty_block, BATCH)
            .await?;
        for p in penalties {
            self.penalty_block = self.penalty_block.max(p.origin.block_number);
            let tx = p.origin.tx_hash.map(|h| format!("0x{}", hex::encode(h)));
            out.push(Alert {
                alert_key: format!("penalty:{}:{}", p.data_unit, p.epoch),
                rule: "penalty",
                severity: "critical",
                data_unit: p.data_unit,
                provider: format!("{:#x}", p.provider),
                consumer: format!("{:#x}", p.consumer),
                epoch: p.epoch,
                summary: format!(
                    "data unit {} paid a penalty of {} for epoch {}, moved from the provider's \
                     bond to the consumer",
                    p.data_unit,
                    sla_dashboard::words::eth(p.amount),
                    p.epoch
                ),
                details: vec![
                    format!("amount {} wei", p.amount),
                    format!(
                        "from the bond {} wei, from unbonding stake {} wei",
                        p.from_bonded, p.from_unbonding
                    ),
                    format!("block {}", p.origin.block_number),
                ],
                tx_hash: tx,
                link: link(dashboard_url, p.data_unit),
                raised_at_ms: now_ms,
            });
        }
        Ok(out)
    }

    async fn allocation(
        &mut self,
        db: &Database,
        data_unit: u64,
    ) -> Result<Option<Allocation>, sla_storage::StorageError> {
        if let Some(a) = self.allocations.get(&data_unit) {
            return Ok(Some(a.clone()));
        }
        let a = db.mirror().current_allocation(data_unit).await?;
        if let Some(a) = &a {
            self.allocations.insert(data_unit, a.clone());
        }
        Ok(a)
    }
}

fn link(dashboard_url: &str, data_unit: u64) -> String {
    if dashboard_url.is_empty() {
        String::new()
    } else {
        format!("{dashboard_url}/data-units/{data_unit}")
    }
}
