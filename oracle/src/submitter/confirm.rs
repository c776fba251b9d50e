//! Following transactions in flight: confirmations, reverts, reorgs, stuck and dropped ones.

use std::collections::BTreeMap;

use alloy::primitives::B256;
use sla_storage::{OracleTx, RollupStatus, TxState};

use super::chain::Head;
use super::{Submitter, SubmitterError};

impl Submitter {
    /// Looks at every transaction in flight, grouped by nonce (a replacement shares its nonce).
    pub(super) async fn follow_up(
        &mut self,
        head: &Head,
        now_ms: u64,
    ) -> Result<(), SubmitterError> {
        let active = self
            .stores
            .txs
            .in_states(&[TxState::Planned, TxState::Signed, TxState::Sent])
            .await?;
        if active.is_empty() {
            return Ok(());
        }
        let mut by_nonce: BTreeMap<u64, Vec<OracleTx>> = BTreeMap::new();
        for tx in active {
            by_nonce.entry(tx.nonce).or_default().push(tx);
        }
        let mined = self.mined_nonce(self.address()).await?;
        for (nonce, group) in by_nonce {
            self.follow_nonce(nonce, group, mined, head, now_ms).await?;
        }
        Ok(())
    }

    async fn follow_nonce(
        &mut self,
        nonce: u64,
        group: Vec<OracleTx>,
        mined: u64,
        head: &Head,
        now_ms: u64,
    ) -> Result<(), SubmitterError> {
        if self.settle_mined(&group, &group, head, now_ms).await? {
            return Ok(());
        }
        // None of ours in flight is mined under this nonce.
        if mined > nonce {
            // The nonce is used. By a transaction of ours that was already replaced (its
            // replacement never reached the node, or lost the race)? Then that one landed.
            let replaced: Vec<OracleTx> = self
                .stores
                .txs
                .in_states(&[TxState::Replaced])
                .await?
                .into_iter()
                .filter(|t| t.nonce == nonce)
                .collect();
            if self.settle_mined(&replaced, &group, head, now_ms).await? {
                return Ok(());
            }
            // Another sender used the nonce: drop ours; the results are planned again.
            for tx in group {
                let mut tx = tx;
                tx.state = TxState::Dropped;
                tx.error = Some(format!("nonce {nonce} was used by another transaction"));
                tx.updated_at_ms = now_ms;
                self.stores.txs.update(&tx).await?;
            }
            self.metrics.dropped.inc();
            tracing::warn!(
                nonce,
                "nonce used by another sender; results will be planned again"
            );
            return Ok(());
        }
        // The newest transaction of the nonce is the one to push.
        let latest = group
            .into_iter()
            .max_by_key(|t| t.id)
            .expect("non-empty group");
        match latest.state {
            TxState::Planned => self.sign_and_send(latest, now_ms).await,
            TxState::Signed => self.send_or_replace(latest, now_ms).await,
            TxState::Sent => {
                let hash = B256::from(latest.tx_hash.expect("sent transactions have a hash"));
                if !self.known(hash).await? {
                    // Dropped from the node (a reorg, or an evicted mempool entry): send again.
                    tracing::warn!(nonce, %hash, "transaction unknown to the node; sending again");
                    self.send_or_replace(latest, now_ms).await
                } else if now_ms.saturating_sub(latest.sent_at_ms.unwrap_or(now_ms))
                    >= self.config.stuck_after.as_millis() as u64
                {
                    self.replace(latest, now_ms).await
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Looks for a mined one among `candidates` (transactions of one nonce). Returns `false` if
    /// none is mined. Once the mined one has its confirmations it is recorded `confirmed` (or
    /// `failed` if it reverted) and every other transaction of `group` `replaced`; until then
    /// nothing changes (a reorg may still drop it).
    async fn settle_mined(
        &mut self,
        candidates: &[OracleTx],
        group: &[OracleTx],
        head: &Head,
        now_ms: u64,
    ) -> Result<bool, SubmitterError> {
        for tx in candidates {
            let Some(hash) = tx.tx_hash else { continue };
            let Some(receipt) = self.receipt(B256::from(hash)).await? else {
                continue;
            };
            let block = receipt.block_number.unwrap_or(head.number);
            if head.number + 1 < block + self.config.confirmations {
                return Ok(true); // mined, not yet deep enough: wait (a reorg may still drop it)
            }
            let nonce = tx.nonce;
            let mut done = tx.clone();
            done.block_number = Some(block);
            done.gas_used = Some(receipt.gas_used);
            done.updated_at_ms = now_ms;
            if receipt.status() {
                done.state = TxState::Confirmed;
                self.stores.txs.update(&done).await?;
                self.stores
                    .rollups
                    .set_status(&done.results, RollupStatus::Submitted)
                    .await?;
                self.metrics.confirmed(&done);
                tracing::info!(
                    id = done.id,
                    nonce,
                    block,
                    gas = receipt.gas_used,
                    "confirmed"
                );
            } else {
                done.state = TxState::Failed;
                done.error = Some(self.revert_reason(&done, block).await);
                self.stores.txs.update(&done).await?;
                tracing::error!(id = done.id, nonce, error = ?done.error, "transaction reverted");
                self.stores
                    .rollups
                    .set_status(&done.results, RollupStatus::Expired)
                    .await?;
            }
            for other in group.iter().filter(|o| o.id != done.id) {
                let mut other = other.clone();
                other.state = TxState::Replaced;
                other.updated_at_ms = now_ms;
                self.stores.txs.update(&other).await?;
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// Sends recorded bytes (again). If the node refuses them because their fee cap is below its
    /// base fee (after a base-fee spike a node may also evict them from its pool), they can never
    /// be mined as they are: they are replaced with higher fees instead of being offered again
    /// every round.
    async fn send_or_replace(&mut self, tx: OracleTx, now_ms: u64) -> Result<(), SubmitterError> {
        match self.send_signed(tx.clone(), now_ms).await {
            Err(SubmitterError::Rpc(reason)) if fee_too_low(&reason) => {
                tracing::warn!(id = tx.id, nonce = tx.nonce, %reason, "fee too low for the node; replacing");
                self.replace(tx, now_ms).await
            }
            other => other,
        }
    }

    /// Replays a reverted transaction as a call at its block to name the contract's error.
    async fn revert_reason(&self, tx: &OracleTx, block: u64) -> String {
        let oracle = sla_contracts::SlaOracle::new(self.config.contract, &self.provider);
        let signatures = tx
            .signatures
            .chunks(65)
            .map(alloy::primitives::Bytes::copy_from_slice)
            .collect();
        let call = oracle
            .submitResults(
                tx.epoch,
                alloy::primitives::Bytes::copy_from_slice(&tx.packed_results),
                signatures,
            )
            .from(self.address())
            .block(block.into());
        match call.call().await {
            Ok(_) => "reverted (the replay succeeds; state changed since)".into(),
            Err(err) => match err
                .as_decoded_interface_error::<sla_contracts::SlaOracle::SlaOracleErrors>()
            {
                Some(decoded) => format!("{decoded:?}"),
                None => err.to_string(),
            },
        }
    }
}

/// Whether a node refused a transaction for its fees (geth, reth and anvil wordings).
fn fee_too_low(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    reason.contains("less than block base fee")
        || reason.contains("fee cap too low")
        || reason.contains("underpriced")
}
