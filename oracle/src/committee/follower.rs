//! A follower's check of a proposal (docs/committee.md, "What a follower checks"). It signs the
//! batches only if every proposed result is byte for byte the one it computed itself from the
//! reports it holds, and no data unit of the proposal's range it has a result for is left out.
//! When a result differs it says why: a report it counted that the leader did not
//! (`omits-report`, named: a leader cannot censor a report quietly), a report the leader counted
//! that it does not hold (`unknown-report`), or the same reports and another result
//! (`results-differ`).

use std::collections::BTreeMap;

use alloy::primitives::{Address, Bytes};
use sla_contracts::signing;
use sla_protocol::{ReportHash, Role};
use sla_storage::RollupStatus;

use super::proposal::{Proposal, Refusal};
use super::schedule;
use super::Committee;

impl Committee {
    /// Checks `proposal`, sent by `sender`, and signs its batches, or says why not.
    pub(super) async fn follow(
        &self,
        proposal: &Proposal,
        sender: Address,
        now_ms: u64,
    ) -> Result<Vec<Bytes>, Refusal> {
        let unavailable = |e: sla_storage::StorageError| Refusal::new("unavailable", e.to_string());
        let config = self
            .stores
            .mirror
            .oracle_config()
            .await
            .map_err(unavailable)?
            .ok_or_else(|| Refusal::new("not-ready", "no signer set indexed yet"))?;
        if proposal.config_version != config.config_version {
            return Err(Refusal::new(
                "config-version",
                format!(
                    "the signer set is at version {}, not {}",
                    config.config_version, proposal.config_version
                ),
            ));
        }
        if !config.signers.contains(&self.address()) {
            return Err(Refusal::new("not-a-member", "this node is not a signer"));
        }
        let expected = schedule::leader(&config.signers, proposal.epoch, proposal.attempt);
        if expected != Some(sender) {
            return Err(Refusal::new(
                "not-leader",
                format!(
                    "attempt {} of epoch {} is led by {expected:?}, not {sender}",
                    proposal.attempt, proposal.epoch
                ),
            ));
        }
        // A later attempt's leader may not start early (its turn has not come by this clock,
        // allowing one attempt of skew).
        let current = schedule::attempt_at(
            self.round_start_ms(proposal.epoch),
            now_ms,
            self.round_timeout_ms,
        );
        if current.is_none_or(|a| proposal.attempt > a + 1) {
            return Err(Refusal::new(
                "not-ready",
                format!("attempt {} has not begun here", proposal.attempt),
            ));
        }
        // An earlier attempt's results this node signed may be on their way to the chain: a
        // later leader waits two round timeouts before proposing them again (then it may: the
        // earlier leader may have died holding the signatures).
        let signed_before = self
            .signed
            .lock()
            .expect("signed lock")
            .get(&proposal.epoch)
            .copied();
        if let Some((attempt, at_ms)) = signed_before {
            if attempt < proposal.attempt
                && now_ms.saturating_sub(at_ms) < 2 * self.round_timeout_ms
            {
                return Err(Refusal::new(
                    "in-flight",
                    format!(
                        "this node signed attempt {attempt}'s results {} ms ago; they may be on \
                         their way to the chain",
                        now_ms.saturating_sub(at_ms)
                    ),
                ));
            }
        }
        let batches = proposal.packed_batches()?;
        let mine: BTreeMap<u64, _> = self
            .stores
            .rollups
            .of_epoch(proposal.epoch, proposal.data_units.range())
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|r| (r.data_unit, r))
            .collect();
        let proposed: BTreeMap<u64, _> = Proposal::results(&batches)
            .map(|r| (r.data_unit_id, r))
            .collect();
        for (data_unit, rollup) in &mine {
            if rollup.status == RollupStatus::Final && !proposed.contains_key(data_unit) {
                return Err(Refusal::new(
                    "omits-data-unit",
                    "this node has a result for this data unit, not on chain yet",
                )
                .about(*data_unit));
            }
        }
        for (data_unit, result) in &proposed {
            let Some(verdict) = mine.get(data_unit).and_then(|r| r.verdict.as_ref()) else {
                return Err(match mine.get(data_unit) {
                    Some(_) => Refusal::new("not-ready", "this roll-up is still open here"),
                    None => Refusal::new("unknown-report", "no report of this data unit here"),
                }
                .about(*data_unit));
            };
            let own = verdict.epoch_result();
            if own.pack() != result.pack() {
                return Err(self
                    .why_different(sender, proposal.epoch, *data_unit, &own, result)
                    .await);
            }
        }
        let mut signatures = Vec::with_capacity(batches.len());
        for packed in &batches {
            let mut packed = packed.clone();
            if self.config.byzantine_signatures {
                // Test hook: a byzantine follower signs results of its own making.
                packed[41] ^= 1;
            }
            let digest = signing::batch_digest(
                self.chain_id,
                self.contract,
                proposal.config_version,
                proposal.epoch,
                &packed,
            );
            let signed = signing::sign_batch(std::slice::from_ref(&self.signer), digest)
                .map_err(|e| Refusal::new("unavailable", e.to_string()))?;
            signatures.extend(signed);
        }
        let mut all = self.signed.lock().expect("signed lock");
        all.insert(proposal.epoch, (proposal.attempt, now_ms));
        while all.len() > 1_000 {
            all.pop_first();
        }
        Ok(signatures)
    }

    /// Why the leader's result for `data_unit` differs from this node's: a report this node
    /// counted that the leader's API has no proof for, else a report set that differs the other
    /// way, else the same reports giving another result.
    async fn why_different(
        &self,
        leader: Address,
        epoch: u64,
        data_unit: u64,
        own: &sla_protocol::aggregate::EpochResult,
        proposed: &sla_protocol::aggregate::EpochResult,
    ) -> Refusal {
        let differ = |reason: &str, detail: String| Refusal::new(reason, detail).about(data_unit);
        if own.reports_root == proposed.reports_root {
            return differ(
                "results-differ",
                "the same reports give another result here".into(),
            );
        }
        let counted: Vec<ReportHash> = match self.stores.rollups.state(data_unit, epoch).await {
            Ok(Some(state)) => [Role::Consumer, Role::Provider]
                .iter()
                .flat_map(|&role| {
                    state
                        .accumulator
                        .view(role)
                        .report_hashes()
                        .copied()
                        .collect::<Vec<_>>()
                })
                .collect(),
            _ => Vec::new(),
        };
        if let Some(api) = self.members.member(leader).map(|m| m.api.clone()) {
            for hash in counted {
                let url = api.join(&format!(
                    "v1/data-units/{data_unit}/epochs/{epoch}/proofs/{}",
                    hash.to_hex()
                ));
                let Ok(url) = url else { break };
                match self.http.get(url).send().await {
                    Ok(answer) if answer.status() == reqwest::StatusCode::NOT_FOUND => {
                        let mut refusal = differ(
                            "omits-report",
                            format!(
                                "report {} was stored here before the epoch closed and \
                                 counts here; the leader's result leaves it out",
                                hash.to_hex()
                            ),
                        );
                        refusal.report = Some(hash.to_hex());
                        return refusal;
                    }
                    Ok(answer) if answer.status().is_success() => {}
                    // The leader's API cannot say: no report is named.
                    _ => break,
                }
            }
        }
        differ(
            "unknown-report",
            "the leader's result counts reports this node does not hold".into(),
        )
    }
}
