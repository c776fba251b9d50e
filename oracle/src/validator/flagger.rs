//! Fault flags from the oracle's closed roll-ups (docs/court.md, "Flags"): for each provider
//! without an open case, the epochs since its last flag (at most `window_epochs` back) whose
//! roll-ups are all closed are judged by [`sla_protocol::court::flag_evidence`]; a flag it calls
//! for is signed with the oracle key and sent, with the validator's key paying for it.
//!
//! One signature makes a flag only where the oracle's quorum is 1: with a larger quorum the
//! signers must combine theirs (the committee, issue #20), and this does nothing.

use alloy::primitives::Address;
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use sla_contracts::convert::fault_flag;
use sla_contracts::court::{flag_digest, sign_flag};
use sla_contracts::SlaOracle;
use sla_protocol::court::{flag_evidence, EpochFaults};
use sla_storage::{Database, MirrorStore, RollupStore};

use super::chain::Court;
use super::ValidatorError;

/// What one pass of the flagger judges against.
struct Pass {
    chain_id: u64,
    config_version: u64,
    threshold_bps: u16,
    /// The current epoch on chain.
    current: u64,
    /// The last closed epoch.
    last: u64,
}

/// What the flagger reads and signs with.
#[derive(Debug, Clone)]
pub struct Flagger {
    mirror: MirrorStore,
    rollups: RollupStore,
    oracle_key: PrivateKeySigner,
    oracle: Address,
    window_epochs: u64,
}

fn storage(what: &str) -> impl FnOnce(sla_storage::StorageError) -> ValidatorError + '_ {
    move |e| ValidatorError::Chain(format!("{what}: {e}"))
}

impl Flagger {
    /// Flags from `db`'s roll-ups, signed by `oracle_key` (an oracle signer of the contract at
    /// `oracle`), over at most `window_epochs` epochs.
    pub fn new(
        db: &Database,
        oracle_key: PrivateKeySigner,
        oracle: Address,
        window_epochs: u64,
    ) -> Self {
        Flagger {
            mirror: db.mirror(),
            rollups: db.rollups(),
            oracle_key,
            oracle,
            window_epochs: window_epochs.max(1),
        }
    }

    /// The checks and faults of `provider`'s data units in `[from, last]`, cut at the first epoch
    /// that still has an open roll-up (its flag waits for it). `None` when no epoch qualifies.
    pub async fn provider_rows(
        &self,
        provider: &Address,
        from: u64,
        last: u64,
    ) -> Result<Option<(u64, Vec<EpochFaults>)>, ValidatorError> {
        let units = self
            .mirror
            .allocations_of(provider)
            .await
            .map_err(storage("allocations"))?;
        let mut rows = Vec::new();
        let mut first_open: Option<u64> = None;
        for unit in units {
            let rollups = self
                .rollups
                .of_data_unit(unit.data_unit, from, last)
                .await
                .map_err(storage("roll-ups"))?;
            for r in rollups {
                if r.verdict.is_some() {
                    rows.push(EpochFaults::of(&r.summary));
                } else {
                    first_open = Some(first_open.map_or(r.epoch, |e| e.min(r.epoch)));
                }
            }
        }
        let to = match first_open {
            Some(0) => return Ok(None),
            Some(open) => open - 1,
            None => last,
        };
        if to < from {
            return Ok(None);
        }
        rows.retain(|r| r.epoch <= to);
        Ok(Some((to, rows)))
    }

    /// One pass: flags every provider whose closed epochs call for it. Returns the providers
    /// flagged; a provider whose flag fails is named in `failed` and the others go on.
    pub(super) async fn step(
        &self,
        court: &Court,
        provider: &DynProvider,
        chain_id: u64,
        threshold_bps: u16,
        failed: &mut Vec<String>,
    ) -> Result<Vec<Address>, ValidatorError> {
        let oracle = SlaOracle::new(self.oracle, provider.clone());
        let config = oracle
            .oracleConfig()
            .call()
            .await
            .map_err(|e| ValidatorError::Chain(format!("oracleConfig: {e}")))?;
        if config.quorum != 1 || !config.signers.contains(&self.oracle_key.address()) {
            tracing::debug!(
                quorum = config.quorum,
                "not flagging: one signature is not a quorum, or the key is no oracle signer"
            );
            return Ok(Vec::new());
        }
        let current = oracle
            .currentEpoch()
            .call()
            .await
            .map_err(|e| ValidatorError::Chain(format!("currentEpoch: {e}")))?;
        let Some(last) = current.checked_sub(1) else {
            return Ok(Vec::new());
        };
        let providers = self
            .mirror
            .providers()
            .await
            .map_err(storage("providers"))?;
        let pass = Pass {
            chain_id,
            config_version: config.configVersion,
            threshold_bps,
            current,
            last,
        };
        let mut flagged = Vec::new();
        for p in providers {
            let account = p.provider;
            match self.provider_step(court, account, &pass).await {
                Ok(true) => flagged.push(account),
                Ok(false) => {}
                Err(err) => failed.push(format!("flag of {account}: {err}")),
            }
        }
        Ok(flagged)
    }

    /// Flags `account` if its closed epochs call for it; `true` when it did.
    async fn provider_step(
        &self,
        court: &Court,
        account: Address,
        pass: &Pass,
    ) -> Result<bool, ValidatorError> {
        if court.open_case_of(account).await? != 0 {
            return Ok(false);
        }
        let from = court
            .next_flaggable(account)
            .await?
            .max(pass.current.saturating_sub(self.window_epochs));
        if from > pass.last {
            return Ok(false);
        }
        let Some((to, rows)) = self.provider_rows(&account, from, pass.last).await? else {
            return Ok(false);
        };
        let Some(evidence) = flag_evidence(&rows, from, to, pass.threshold_bps) else {
            return Ok(false);
        };
        let flag = fault_flag(account, &evidence);
        let digest = flag_digest(pass.chain_id, court.address(), pass.config_version, &flag);
        let signatures = sign_flag(std::slice::from_ref(&self.oracle_key), digest)
            .map_err(|e| ValidatorError::Chain(format!("signing a flag: {e}")))?;
        court.flag(flag, signatures).await?;
        tracing::info!(provider = %account, from, to, rate_bps = evidence.fault_rate_bps, "provider flagged");
        Ok(true)
    }
}
