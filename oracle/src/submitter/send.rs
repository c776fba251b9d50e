//! Signing, sending and replacing transactions; each step recorded before the next.

use alloy::eips::eip2718::Encodable2718;
use alloy::network::TransactionBuilder;
use alloy::primitives::Bytes;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use sla_contracts::SlaOracle;
use sla_storage::{OracleTx, RollupStatus, TxState};

use super::{Submitter, SubmitterError};

/// Gas per result above the fixed part, when the node cannot estimate.
const GAS_PER_RESULT: u64 = 15_000;
const GAS_BASE: u64 = 80_000;

impl Submitter {
    fn calldata(tx: &OracleTx) -> Bytes {
        let signatures = tx
            .signatures
            .chunks(65)
            .map(Bytes::copy_from_slice)
            .collect();
        SlaOracle::submitResultsCall {
            epoch: tx.epoch,
            packedResults: Bytes::copy_from_slice(&tx.packed_results),
            signatures,
        }
        .abi_encode()
        .into()
    }

    /// Gas limit from the node's estimate plus a margin. A revert here is the contract refusing
    /// the batch: `EpochNotClosed` and `EnforcedPause` (paused for now) are retried later,
    /// anything else refuses the transaction for good.
    async fn gas_limit(&self, tx: &OracleTx) -> Result<Option<u64>, SubmitterError> {
        let oracle = SlaOracle::new(self.config.contract, &self.provider);
        let signatures = tx
            .signatures
            .chunks(65)
            .map(Bytes::copy_from_slice)
            .collect();
        let call = oracle
            .submitResults(
                tx.epoch,
                Bytes::copy_from_slice(&tx.packed_results),
                signatures,
            )
            .from(self.address());
        match call.estimate_gas().await {
            Ok(gas) => Ok(Some(gas + gas / 5)),
            Err(err) => match err.as_decoded_interface_error::<SlaOracle::SlaOracleErrors>() {
                Some(
                    SlaOracle::SlaOracleErrors::EpochNotClosed(_)
                    | SlaOracle::SlaOracleErrors::EnforcedPause(_),
                ) => Ok(None),
                Some(decoded) => Err(SubmitterError::Rpc(format!("reverted: {decoded:?}"))),
                None => {
                    let results = (tx.packed_results.len() / sla_contracts::RECORD_SIZE) as u64;
                    tracing::warn!(error = %err, "gas estimate failed; using the static bound");
                    Ok(Some(GAS_BASE + GAS_PER_RESULT * results))
                }
            },
        }
    }

    /// Signs `tx` with the given fees, records it as `signed` (raw bytes and hash), then sends.
    pub(super) async fn sign_and_send(
        &mut self,
        mut tx: OracleTx,
        now_ms: u64,
    ) -> Result<(), SubmitterError> {
        let gas = match self.gas_limit(&tx).await {
            Ok(Some(gas)) => gas,
            Ok(None) => return Ok(()), // not closed on chain yet, or paused: stays planned
            Err(SubmitterError::Rpc(reason)) if reason.starts_with("reverted") => {
                tracing::error!(id = tx.id, %reason, "the contract refuses this batch");
                // Never sent, so it does not keep its nonce (`dropped` frees it for the next
                // transaction; a kept one would leave a gap no later transaction gets past).
                // Its results expire rather than being planned again.
                tx.state = TxState::Dropped;
                tx.error = Some(reason);
                tx.updated_at_ms = now_ms;
                self.stores.txs.update(&tx).await?;
                // In a committee the results stay final: the next round proposes them again
                // (the signer set may have changed under the batch).
                if self.committee.is_none() {
                    self.stores
                        .rollups
                        .set_status(&tx.results, RollupStatus::Expired)
                        .await?;
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let (max_fee, tip) = match (tx.max_fee_per_gas, tx.max_priority_fee_per_gas) {
            (Some(fee), Some(tip)) => (fee, tip),
            _ => self.fees().await?,
        };
        let request = TransactionRequest::default()
            .with_from(self.address())
            .with_to(self.config.contract)
            .with_input(Self::calldata(&tx))
            .with_nonce(tx.nonce)
            .with_chain_id(self.config.chain_id)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(max_fee.min(self.config.max_fee_ceiling))
            .with_max_priority_fee_per_gas(tip.min(self.config.max_fee_ceiling));
        let envelope = request
            .build(&self.wallet)
            .await
            .map_err(|e| SubmitterError::Signing(e.to_string()))?;
        tx.raw_tx = Some(envelope.encoded_2718());
        tx.tx_hash = Some(envelope.tx_hash().0);
        tx.gas_limit = Some(gas);
        tx.max_fee_per_gas = Some(max_fee.min(self.config.max_fee_ceiling));
        tx.max_priority_fee_per_gas = Some(tip.min(self.config.max_fee_ceiling));
        tx.state = TxState::Signed;
        tx.updated_at_ms = now_ms;
        self.stores.txs.update(&tx).await?;
        self.maybe_crash("signed");
        self.send_signed(tx, now_ms).await
    }

    /// Sends the recorded raw bytes (again, after a restart) and records `sent`.
    pub(super) async fn send_signed(
        &mut self,
        mut tx: OracleTx,
        now_ms: u64,
    ) -> Result<(), SubmitterError> {
        let raw = tx
            .raw_tx
            .clone()
            .expect("signed transactions keep their bytes");
        if self.send_raw(&raw).await? {
            tx.state = TxState::Sent;
            tx.sent_at_ms = Some(now_ms);
            tx.updated_at_ms = now_ms;
            self.stores.txs.update(&tx).await?;
            tracing::info!(id = tx.id, nonce = tx.nonce, hash = %hex::encode(tx.tx_hash.unwrap_or_default()), "sent");
            self.maybe_crash("sent");
        }
        Ok(())
    }

    /// Replaces a stuck transaction: same nonce and results, fee cap and tip both raised by the
    /// configured percentage (and at least to the current suggestion), never above the ceiling.
    pub(super) async fn replace(
        &mut self,
        old: OracleTx,
        now_ms: u64,
    ) -> Result<(), SubmitterError> {
        let (old_fee, old_tip) = (
            old.max_fee_per_gas.unwrap_or(0),
            old.max_priority_fee_per_gas.unwrap_or(0),
        );
        let (fee_now, tip_now) = self.fees().await?;
        let bump = |v: u128| v * (100 + self.config.fee_bump_percent) / 100 + 1;
        let fee = bump(old_fee).max(fee_now);
        let tip = bump(old_tip).max(tip_now).min(fee);
        if fee > self.config.max_fee_ceiling {
            self.metrics.fee_ceiling_alerts.inc();
            tracing::error!(
                id = old.id,
                nonce = old.nonce,
                needed = fee,
                ceiling = self.config.max_fee_ceiling,
                "ALERT: stuck transaction cannot be replaced under the fee ceiling"
            );
            return Ok(());
        }
        let mut next = old.clone();
        next.id = 0;
        next.state = TxState::Planned;
        next.raw_tx = None;
        next.tx_hash = None;
        next.sent_at_ms = None;
        next.max_fee_per_gas = Some(fee);
        next.max_priority_fee_per_gas = Some(tip);
        next.created_at_ms = now_ms;
        next.updated_at_ms = now_ms;
        next.id = self.stores.txs.insert(&next).await?;
        let mut old = old;
        old.state = TxState::Replaced;
        old.updated_at_ms = now_ms;
        self.stores.txs.update(&old).await?;
        self.metrics.replacements.inc();
        tracing::warn!(
            nonce = old.nonce,
            old_fee,
            fee,
            old_tip,
            tip,
            "replacing stuck transaction"
        );
        self.sign_and_send(next, now_ms).await
    }
}
