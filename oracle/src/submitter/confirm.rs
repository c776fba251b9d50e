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
            .storage
            .txs_in_states(&[TxState::Planned, TxState::Signed, TxState::Sent])
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
        for tx in &group {
            let Some(hash) = tx.tx_hash else { continue };
            let Some(receipt) = self.receipt(B256::from(hash)).await? else {
                continue;
            };
            let block = receipt.block_number.unwrap_or(head.number);
            if head.number + 1 < block + self.config.confirmations {
                return Ok(()); // mined, not yet deep enough: wait (a reorg may still drop it)
            }
            let mut done = tx.clone();
            done.block_number = Some(block);
            done.gas_used = Some(receipt.gas_used);
            done.updated_at_ms = now_ms;
            if receipt.status() {
                done.state = TxState::Confirmed;
                self.storage.update_tx(&done).await?;
                self.storage
                    .set_rollup_status(&done.results, RollupStatus::Submitted)
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
                self.storage.update_tx(&done).await?;
                tracing::error!(id = done.id, nonce, error = ?done.error, "transaction reverted");
                self.storage
                    .set_rollup_status(&done.results, RollupStatus::Expired)
                    .await?;
            }
            for other in group.iter().filter(|o| o.id != done.id) {
                let mut other = other.clone();
                other.state = TxState::Replaced;
                other.updated_at_ms = now_ms;
                self.storage.update_tx(&other).await?;
            }
            return Ok(());
        }
        // None of ours is mined under this nonce.
        if mined > nonce {
            // Another sender used the nonce: drop ours; the results are planned again.
            for tx in group {
                let mut tx = tx;
                tx.state = TxState::Dropped;
                tx.error = Some(format!("nonce {nonce} was used by another transaction"));
                tx.updated_at_ms = now_ms;
                self.storage.update_tx(&tx).await?;
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
            TxState::Signed => self.send_signed(latest, now_ms).await,
            TxState::Sent => {
                let hash = B256::from(latest.tx_hash.expect("sent transactions have a hash"));
                if !self.known(hash).await? {
                    // Dropped from the node (a reorg, or an evicted mempool entry): send again.
                    tracing::warn!(nonce, %hash, "transaction unknown to the node; sending again");
                    self.send_signed(latest, now_ms).await
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
