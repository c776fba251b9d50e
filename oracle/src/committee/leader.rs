//! Leading a round (docs/committee.md, "What a leader does"): the results of the epoch this node
//! computed, not yet on chain nor in its own transactions, proposed to every other member; each
//! answer's signatures checked against the signer set; with a quorum for every batch, the
//! batches go to the submitter. Signatures gathered under a configuration version that changed
//! meanwhile are thrown away, never sent.

use std::collections::BTreeMap;

use alloy::primitives::{Address, Bytes, Signature};
use sla_contracts::signing;
use sla_protocol::aggregate::EpochResult;
use sla_storage::RollupStatus;

use super::proposal::{sign_body, DataUnits, Proposal, Refusal, Signatures, SIGNATURE_HEADER};
use super::{schedule, Committee, SignedBatch};

/// Why a tick failed: retried at the next.
#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[from] sla_storage::StorageError),
    /// Signing failed.
    #[error("signing: {0}")]
    Signing(String),
}

/// How often landed results without a roll-up here are looked for, ms.
const CATCH_UP_EVERY_MS: u64 = 5_000;

/// One follower's answer, as the leader reads it.
enum Answer {
    Signed(Vec<Bytes>),
    Refused(Refusal),
    Failed(&'static str),
}

impl Committee {
    /// Marks results that landed, expires what can no longer land, and leads every attempt this
    /// node is scheduled for.
    pub async fn tick(&self, now_ms: u64) -> Result<(), LeadError> {
        use std::sync::atomic::Ordering::Relaxed;
        // Landed results are marked when the mirror moved, and with every catch-up pass (a
        // roll-up closed here after its result was mirrored).
        let catch_up_due =
            now_ms.saturating_sub(self.caught_up_at_ms.load(Relaxed)) >= CATCH_UP_EVERY_MS;
        let block = self.stores.mirror.cursor().await?.map_or(0, |c| c.number);
        if self.marked_at_block.swap(block, Relaxed) != block || catch_up_due {
            if let Err(e) = self.stores.rollups.mark_landed().await {
                self.marked_at_block.store(u64::MAX, Relaxed); // again at the next tick
                return Err(e.into());
            }
        }
        if catch_up_due {
            self.caught_up_at_ms.store(now_ms, Relaxed);
            self.catch_up(now_ms).await?;
        }
        let Some(config) = self.stores.mirror.oracle_config().await? else {
            return Ok(());
        };
        if !config.signers.contains(&self.address()) {
            return Ok(());
        }
        for epoch in self.stores.rollups.final_epochs().await? {
            let Some((_, end_ms)) = self.config.epochs.bounds_ms(epoch) else {
                continue;
            };
            if now_ms / 1000 > end_ms / 1000 + self.config.submission_window_s {
                self.expire(epoch).await?;
                continue;
            }
            let Some(attempt) =
                schedule::attempt_at(self.round_start_ms(epoch), now_ms, self.round_timeout_ms)
            else {
                continue;
            };
            if schedule::leader(&config.signers, epoch, attempt) != Some(self.address()) {
                continue;
            }
            let led = self.led.lock().expect("led lock").get(&epoch).copied();
            if led.is_some_and(|l| l.transmitted == Some(attempt) || l.retry_at_ms > now_ms) {
                continue;
            }
            // Parts of this attempt already sent are not proposed again.
            let from = led
                .and_then(|l| l.sent_through)
                .filter(|(a, _)| *a == attempt)
                .map_or(0, |(_, through)| through.saturating_add(1));
            let progress = self
                .lead(epoch, attempt, config.config_version, now_ms, from)
                .await?;
            let mut all = self.led.lock().expect("led lock");
            let entry = all.entry(epoch).or_default();
            match progress {
                Progress::Done => entry.transmitted = Some(attempt),
                Progress::Partly(through) => {
                    entry.retry_at_ms = now_ms + 1_000;
                    if let Some(through) = through {
                        entry.sent_through = Some((attempt, through));
                    }
                }
            }
            // Epochs long done are forgotten.
            while all.len() > 1_000 {
                all.pop_first();
            }
        }
        Ok(())
    }

    async fn expire(&self, epoch: u64) -> Result<(), LeadError> {
        let keys: Vec<(u64, u64)> = self
            .stores
            .rollups
            .of_epoch(epoch, 0..=u64::MAX)
            .await?
            .into_iter()
            .filter(|r| r.status == RollupStatus::Final)
            .map(|r| (r.data_unit, epoch))
            .collect();
        tracing::error!(
            epoch,
            count = keys.len(),
            "results past their submission window; marked expired"
        );
        self.stores
            .rollups
            .set_status(&keys, RollupStatus::Expired)
            .await?;
        Ok(())
    }

    /// Leads `attempt` of `epoch`'s round for the data units from `from` on, part after part.
    async fn lead(
        &self,
        epoch: u64,
        attempt: u64,
        config_version: u64,
        now_ms: u64,
        from: u64,
    ) -> Result<Progress, LeadError> {
        let rollups = self.stores.rollups.of_epoch(epoch, from..=u64::MAX).await?;
        if rollups.iter().any(|r| r.status == RollupStatus::Open) {
            return Ok(Progress::Partly(None)); // not closed here yet
        }
        let in_flight = self.stores.txs.results_in_flight().await?;
        let results: Vec<EpochResult> = rollups
            .iter()
            .filter(|r| {
                r.status == RollupStatus::Final && !in_flight.contains(&(r.data_unit, epoch))
            })
            .filter_map(|r| r.verdict.as_ref().map(|v| v.epoch_result()))
            .collect();
        let mut through = None;
        for (data_units, part) in parts(&results, from, self.config.max_proposal_results) {
            let sent = self
                .propose(epoch, attempt, config_version, data_units, part)
                .await?;
            if !sent {
                return Ok(Progress::Partly(through));
            }
            through = Some(data_units.last);
        }
        if !results.is_empty() {
            tracing::info!(
                epoch,
                attempt,
                results = results.len(),
                at_ms = now_ms,
                "round led: a quorum signed every batch"
            );
        }
        Ok(Progress::Done)
    }

    /// Proposes `results`, the part of the epoch's for `data_units`, to every other member;
    /// with a quorum on every batch, hands the batches to the submitter. Returns whether it did.
    async fn propose(
        &self,
        epoch: u64,
        attempt: u64,
        config_version: u64,
        data_units: DataUnits,
        results: &[EpochResult],
    ) -> Result<bool, LeadError> {
        let batches: Vec<Vec<u8>> = results
            .chunks(self.config.max_batch.max(1))
            .map(|chunk| chunk.iter().flat_map(|r| r.pack()).collect())
            .collect();
        let proposal = Proposal {
            config_version,
            epoch,
            attempt,
            data_units,
            batches: batches
                .iter()
                .map(|b| format!("0x{}", hex::encode(b)))
                .collect(),
        };
        let body = serde_json::to_vec(&proposal).expect("a proposal serializes");
        let header = sign_body(&self.signer, &body).map_err(LeadError::Signing)?;

        // Signatures per batch, by signer: this node's own first.
        let digests: Vec<_> = batches
            .iter()
            .map(|b| signing::batch_digest(self.chain_id, self.contract, config_version, epoch, b))
            .collect();
        let mut signed: Vec<BTreeMap<Address, Bytes>> = vec![BTreeMap::new(); batches.len()];
        for (i, digest) in digests.iter().enumerate() {
            let own = signing::sign_batch(std::slice::from_ref(&self.signer), *digest)
                .map_err(|e| LeadError::Signing(e.to_string()))?;
            signed[i].insert(self.address(), own[0].clone());
        }
        let Some(set) = self.stores.mirror.oracle_config().await? else {
            return Ok(false);
        };
        let followers: Vec<_> = set
            .signers
            .iter()
            .filter(|a| **a != self.address())
            .filter_map(|a| self.members.member(*a).map(|m| (*a, m.clone())))
            .collect();
        let answers = futures::future::join_all(followers.iter().map(|(_, member)| {
            let url = member.committee.join("committee/v1/proposals");
            let body = body.clone();
            let header = header.clone();
            async move {
                let Ok(url) = url else {
                    return Answer::Failed("malformed");
                };
                let sent = self
                    .http
                    .post(url)
                    .header(SIGNATURE_HEADER, header)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Err(_) => Answer::Failed("unreachable"),
                    Ok(answer) if answer.status().is_success() => {
                        match answer.json::<Signatures>().await {
                            Ok(s) => Answer::Signed(s.signatures),
                            Err(_) => Answer::Failed("malformed"),
                        }
                    }
                    Ok(answer) => match answer.json::<Refusal>().await {
                        Ok(r) => Answer::Refused(r),
                        Err(_) => Answer::Failed("malformed"),
                    },
                }
            }
        }))
        .await;
        for ((address, member), answer) in followers.iter().zip(answers) {
            match answer {
                Answer::Signed(signatures) if signatures.len() == batches.len() => {
                    for (i, signature) in signatures.into_iter().enumerate() {
                        match recover(&signature, digests[i]) {
                            Some(signer) if signer == *address => {
                                signed[i].insert(signer, signature);
                            }
                            _ => {
                                self.metrics.discarded("bad-signature");
                                tracing::warn!(epoch, attempt, follower = %member.name, batch = i, "a follower's signature is not its own over this batch; discarded");
                            }
                        }
                    }
                }
                Answer::Signed(_) => self.metrics.discarded("malformed"),
                Answer::Refused(refusal) => {
                    tracing::warn!(epoch, attempt, follower = %member.name, reason = %refusal.reason, data_unit = ?refusal.data_unit, report = ?refusal.report, detail = %refusal.detail, "a follower refused the proposal");
                }
                Answer::Failed(kind) => {
                    self.metrics.discarded(kind);
                    tracing::debug!(epoch, attempt, follower = %member.name, kind, "no answer from a follower");
                }
            }
        }
        let quorum = usize::from(set.quorum);
        if signed.iter().any(|s| s.len() < quorum) {
            self.metrics.led("short");
            tracing::warn!(
                epoch,
                attempt,
                quorum,
                signatures = ?signed.iter().map(|s| s.len()).collect::<Vec<_>>(),
                "too few signatures; the attempt will be tried again"
            );
            return Ok(false);
        }
        // The set may have changed while the followers answered: never send stale signatures.
        let current = self.stores.mirror.oracle_config().await?;
        if current.as_ref().map(|c| c.config_version) != Some(config_version) {
            self.metrics.led("stale-config");
            tracing::warn!(
                epoch,
                attempt,
                "the signer set changed during the round; signatures discarded"
            );
            return Ok(false);
        }
        for (i, packed) in batches.into_iter().enumerate() {
            // A quorum, the lowest addresses first (the contract wants them ascending).
            let signatures: Vec<Bytes> = signed[i].values().take(quorum).cloned().collect();
            let results = packed
                .chunks(sla_protocol::aggregate::PACKED_RESULT_LEN)
                .map(|r| {
                    (
                        u64::from_be_bytes(r[..8].try_into().expect("8 bytes")),
                        epoch,
                    )
                })
                .collect();
            let _ = self.to_submitter.send(SignedBatch {
                epoch,
                config_version,
                packed,
                signatures,
                results,
            });
        }
        self.metrics.led("transmitted");
        Ok(true)
    }
}

/// How far a led attempt got.
pub(super) enum Progress {
    /// Every part went to the submitter, or nothing was left to propose.
    Done,
    /// The parts through this data unit went (none: no part); the rest is tried again.
    Partly(Option<u64>),
}

/// The parts `results` (ascending by data unit, none before `from`) are proposed in: at most
/// `max` results each, for consecutive ranges of data units from `from` to the end, each but
/// the last ending at its last result's data unit. Nothing to propose, no part.
fn parts(results: &[EpochResult], from: u64, max: usize) -> Vec<(DataUnits, &[EpochResult])> {
    let chunks: Vec<&[EpochResult]> = results.chunks(max.max(1)).collect();
    let mut first = from;
    let mut out = Vec::with_capacity(chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
        let last = match chunk.last() {
            Some(r) if i + 1 < chunks.len() => r.data_unit_id,
            _ => u64::MAX,
        };
        out.push((DataUnits { first, last }, *chunk));
        first = last.saturating_add(1);
    }
    out
}

/// The address that signed `digest` with `signature`, if it is a signature.
fn recover(signature: &[u8], digest: alloy::primitives::B256) -> Option<Address> {
    Signature::try_from(signature)
        .ok()?
        .recover_address_from_prehash(&digest)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(units: &[u64]) -> Vec<EpochResult> {
        units
            .iter()
            .map(|&d| EpochResult {
                data_unit_id: d,
                ..EpochResult::unpack(&[0; sla_protocol::aggregate::PACKED_RESULT_LEN])
            })
            .collect()
    }

    #[test]
    fn parts_are_consecutive_ranges_from_the_start_to_the_end_with_at_most_max_results() {
        let all = results(&[3, 5, 8, 13, 21]);
        let ranges = |from, max| -> Vec<(u64, u64, usize)> {
            parts(&all, from, max)
                .iter()
                .map(|(d, p)| (d.first, d.last, p.len()))
                .collect()
        };
        assert_eq!(ranges(0, 2), [(0, 5, 2), (6, 13, 2), (14, u64::MAX, 1)]);
        assert_eq!(ranges(0, 5), [(0, u64::MAX, 5)]);
        assert_eq!(ranges(2, 4), [(2, 13, 4), (14, u64::MAX, 1)]);
        assert!(parts(&[], 0, 2).is_empty());
    }
}
