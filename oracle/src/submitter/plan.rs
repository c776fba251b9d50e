//! Choosing results to submit and recording planned transactions.

use std::collections::BTreeMap;

use sla_contracts::{pack_results, signing, ISlaOracle, SlaOracle};
use sla_protocol::aggregate::EpochResult;
use sla_storage::{OracleTx, RollupStatus, TxState};

use super::chain::Head;
use super::{Submitter, SubmitterError};

/// Final roll-ups looked at per tick.
const PLAN_LIMIT: u32 = 100_000;

impl Submitter {
    /// Plans transactions for final roll-ups that no transaction in flight carries, for epochs
    /// the chain itself says are closed, then signs and sends each.
    pub(super) async fn plan_and_send(
        &mut self,
        head: &Head,
        now_ms: u64,
    ) -> Result<(), SubmitterError> {
        let in_flight = self.stores.txs.results_in_flight().await?;
        let mut by_epoch: BTreeMap<u64, Vec<EpochResult>> = BTreeMap::new();
        let mut expired = Vec::new();
        for (data_unit, epoch, verdict) in self.stores.rollups.final_verdicts(PLAN_LIMIT).await? {
            if in_flight.contains(&(data_unit, epoch)) {
                continue;
            }
            let Some((_, end_ms)) = self.config.epochs.bounds_ms(epoch) else {
                continue;
            };
            let end_s = end_ms / 1000;
            // The node's head decides, not our clock: a lagging node never gets an epoch it
            // does not consider closed (catalogue item 21).
            if head.timestamp < end_s {
                continue;
            }
            if head.timestamp > end_s + self.config.submission_window_s {
                expired.push((data_unit, epoch));
                continue;
            }
            by_epoch
                .entry(epoch)
                .or_default()
                .push(verdict.epoch_result());
        }
        if !expired.is_empty() {
            tracing::error!(
                count = expired.len(),
                "results past their submission window; marked expired"
            );
            self.stores
                .rollups
                .set_status(&expired, RollupStatus::Expired)
                .await?;
        }
        if by_epoch.is_empty() {
            return Ok(());
        }
        let oracle = SlaOracle::new(self.config.contract, &self.provider);
        let config_version = oracle
            .oracleConfig()
            .call()
            .await
            .map_err(|e| SubmitterError::Rpc(e.to_string()))?
            .configVersion;
        // Sorted by data unit id, which is `providerId << 32 | n`: a provider's results next to each
        // other (the contract writes its reputation and stake once per run) and its data units in
        // order (one result-bitmap slot per 128 of them).
        for (epoch, mut results) in by_epoch {
            results.sort_by_key(|r| r.data_unit_id);
            for chunk in results.chunks(self.config.max_batch) {
                let tx = self
                    .record_planned(epoch, chunk, config_version, now_ms)
                    .await?;
                self.sign_and_send(tx, now_ms).await?;
            }
        }
        Ok(())
    }

    async fn record_planned(
        &self,
        epoch: u64,
        results: &[EpochResult],
        config_version: u64,
        now_ms: u64,
    ) -> Result<OracleTx, SubmitterError> {
        let chain_results: Vec<ISlaOracle::EpochResult> = results.iter().map(Into::into).collect();
        let packed = pack_results(&chain_results);
        let digest = signing::batch_digest(
            self.config.chain_id,
            self.config.contract,
            config_version,
            epoch,
            &packed,
        );
        let signatures = signing::sign_batch(std::slice::from_ref(&self.signer), digest)
            .map_err(|e| SubmitterError::Signing(e.to_string()))?;
        let keys = results.iter().map(|r| (r.data_unit_id, epoch)).collect();
        self.record_signed(
            epoch,
            packed.to_vec(),
            config_version,
            &signatures,
            keys,
            now_ms,
        )
        .await
    }

    /// Records a planned transaction for a signed batch.
    async fn record_signed(
        &self,
        epoch: u64,
        packed: Vec<u8>,
        config_version: u64,
        signatures: &[alloy::primitives::Bytes],
        results: Vec<(u64, u64)>,
        now_ms: u64,
    ) -> Result<OracleTx, SubmitterError> {
        let count = results.len();
        let nonce = self.next_nonce().await?;
        let mut tx = OracleTx {
            id: 0,
            nonce,
            epoch,
            state: TxState::Planned,
            packed_results: packed,
            config_version,
            signatures: signatures.iter().flat_map(|s| s.to_vec()).collect(),
            raw_tx: None,
            tx_hash: None,
            max_fee_per_gas: None,
            max_priority_fee_per_gas: None,
            gas_limit: None,
            sent_at_ms: None,
            block_number: None,
            gas_used: None,
            error: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            results,
        };
        tx.id = self.stores.txs.insert(&tx).await?;
        tracing::info!(id = tx.id, nonce, epoch, results = count, "planned");
        Ok(tx)
    }

    /// Sends the batches committee rounds handed over, each under the configuration version
    /// its signatures were made for: one whose version is no longer the contract's is dropped
    /// unsent (its results stay final for the next round).
    pub(super) async fn send_committee_batches(
        &mut self,
        now_ms: u64,
    ) -> Result<(), SubmitterError> {
        let mut batches = Vec::new();
        if let Some(rx) = self.committee.as_mut() {
            while let Ok(batch) = rx.try_recv() {
                batches.push(batch);
            }
        }
        if batches.is_empty() {
            return Ok(());
        }
        let oracle = SlaOracle::new(self.config.contract, &self.provider);
        let version = oracle
            .oracleConfig()
            .call()
            .await
            .map_err(|e| SubmitterError::Rpc(e.to_string()))?
            .configVersion;
        for batch in batches {
            if batch.config_version != version {
                tracing::warn!(
                    epoch = batch.epoch,
                    signed_under = batch.config_version,
                    current = version,
                    "a committee batch signed under an old signer set; dropped unsent"
                );
                continue;
            }
            let tx = self
                .record_signed(
                    batch.epoch,
                    batch.packed,
                    batch.config_version,
                    &batch.signatures,
                    batch.results,
                    now_ms,
                )
                .await?;
            self.sign_and_send(tx, now_ms).await?;
        }
        Ok(())
    }

    /// The next nonce: above every nonce this service holds, and not below what the chain has
    /// mined for the account (another sender may have used some).
    pub(super) async fn next_nonce(&self) -> Result<u64, SubmitterError> {
        let ours = self
            .stores
            .txs
            .highest_nonce()
            .await?
            .map(|n| n + 1)
            .unwrap_or(0);
        let mined = self.mined_nonce(self.address()).await?;
        Ok(ours.max(mined))
    }
}
