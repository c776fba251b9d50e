//! The validator role: votes on the court's cases by the default rule
//! ([`sla_protocol::court::default_vote`]) and decides cases whose reveal phase is over
//! (docs/court.md). Each step reads the court and does what the phase calls for:
//!
//! - commit phase, no commitment yet: commit the default vote;
//! - reveal phase, committed: reveal whatever was committed (by this role or by an operator's
//!   `sla court commit --vote`), found by trying each vote against the commitment on chain;
//! - after the reveal phase, undecided: decide (anyone may; the first one wins).
//!
//! Nothing is stored: the salt is derived from the validator's key and the case
//! ([`sla_contracts::court::vote_salt`]), and the vote is read back from the commitment, so a
//! restart at any point resumes where the chain stands.

mod chain;
mod flagger;
mod metrics;

pub use flagger::Flagger;
pub use metrics::ValidatorMetrics;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use sla_contracts::court::{vote_commitment, vote_of_commitment, vote_salt};
use sla_protocol::court::{default_vote, Verdict};

use crate::backoff::backoff;

/// Where the court is and how often to look.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    /// The chain id (part of the salt).
    pub chain_id: u64,
    /// The `SlaCourt` contract.
    pub court: Address,
    /// The first block to read the court's events from (the deployment block).
    pub from_block: u64,
    /// Time between steps.
    pub poll_interval: Duration,
}

/// The role for `key` (hex) on the court of `deployment`, sending through `rpc_url`.
pub fn from_key(
    key: &str,
    deployment: &sla_contracts::DeploymentFile,
    rpc_url: &str,
    poll_interval: Duration,
) -> anyhow::Result<Validator> {
    let signer: PrivateKeySigner = key
        .trim_start_matches("0x")
        .parse()
        .map_err(|e| anyhow::anyhow!("--validator-key is not a private key: {e}"))?;
    let court = deployment.court.ok_or_else(|| {
        anyhow::anyhow!("--validator-key is given but the deployment file names no court")
    })?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(rpc_url.parse()?)
        .erased();
    Ok(Validator::new(
        ValidatorConfig {
            chain_id: deployment.chain_id,
            court,
            from_block: deployment.deploy_block,
            poll_interval,
        },
        provider,
        signer,
    ))
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Cases committed on, with the vote.
    pub committed: Vec<(u64, Verdict)>,
    /// Cases revealed on, with the vote.
    pub revealed: Vec<(u64, Verdict)>,
    /// Cases decided by this step's transaction.
    pub decided: Vec<u64>,
    /// Providers flagged (with [`Validator::with_flagger`]).
    pub flagged: Vec<Address>,
    /// Cases and providers whose step failed this pass, with why; the others went on, and these
    /// are tried again on the next pass.
    pub failed: Vec<String>,
}

/// A step that failed; the next step retries from what the chain shows.
#[derive(Debug, thiserror::Error)]
pub enum ValidatorError {
    /// A read or a transaction failed (RPC, revert, timeout); the message names the call.
    #[error("{0}")]
    Chain(String),
    /// The commitment on chain matches no vote with this key's salt: it was made with another
    /// salt (another tool), so this role cannot reveal it.
    #[error("case {case}: the commitment on chain matches no vote with this validator's salt")]
    UnknownCommitment {
        /// The case.
        case: u64,
    },
}

/// The validator role of one key.
#[derive(Debug)]
pub struct Validator {
    config: ValidatorConfig,
    provider: DynProvider,
    signer: PrivateKeySigner,
    /// Cases seen decided: never read again.
    decided: BTreeSet<u64>,
    /// Whether this key is in each validator set version (sets never change once made).
    membership: HashMap<u64, bool>,
    /// The court's fault threshold (immutable).
    threshold: Option<u16>,
    flagger: Option<Flagger>,
    metrics: ValidatorMetrics,
}

impl Validator {
    /// A validator sending from `signer` through `provider` (which must sign with that key).
    pub fn new(config: ValidatorConfig, provider: DynProvider, signer: PrivateKeySigner) -> Self {
        Validator {
            config,
            provider,
            signer,
            decided: BTreeSet::new(),
            membership: HashMap::new(),
            threshold: None,
            flagger: None,
            metrics: ValidatorMetrics::default(),
        }
    }

    /// Counts every pass in `metrics` (registered by the caller).
    pub fn with_metrics(mut self, metrics: ValidatorMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Also raises fault flags from the oracle's roll-ups, each pass before voting.
    pub fn with_flagger(mut self, flagger: Flagger) -> Self {
        self.flagger = Some(flagger);
        self
    }

    /// The validator's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Steps until `shutdown` completes, backing off after failures.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures = 0;
        loop {
            let wait = match self.step().await {
                Ok(report) => {
                    failures = 0;
                    self.metrics.record(&report);
                    for failure in &report.failed {
                        tracing::warn!(%failure, "court step: one case or provider failed");
                    }
                    if report != StepReport::default() {
                        tracing::info!(?report, validator = %self.address(), "court step");
                    }
                    self.config.poll_interval
                }
                Err(err) => {
                    failures += 1;
                    self.metrics.failed_passes.inc();
                    tracing::warn!(error = %err, failures, "court step failed");
                    backoff(self.config.poll_interval, failures)
                }
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass over the undecided cases.
    pub async fn step(&mut self) -> Result<StepReport, ValidatorError> {
        let court = chain::Court::new(
            self.config.court,
            self.provider.clone(),
            self.config.from_block,
        );
        let threshold = match self.threshold {
            Some(t) => t,
            None => *self.threshold.insert(court.threshold().await?),
        };
        let mut report = StepReport::default();
        if let Some(flagger) = &self.flagger {
            report.flagged = flagger
                .step(
                    &court,
                    &self.provider,
                    self.config.chain_id,
                    threshold,
                    &mut report.failed,
                )
                .await?;
        }
        let count = court.case_count().await?;
        let now = court.now().await?;
        for case in 1..=count {
            if self.decided.contains(&case) {
                continue;
            }
            // One case that fails (a revert, a commit that missed its phase) must not stop the
            // others: it is named in the report and tried again on the next pass.
            if let Err(err) = self
                .case_step(&court, case, now, threshold, &mut report)
                .await
            {
                report.failed.push(format!("case {case}: {err}"));
            }
        }
        Ok(report)
    }

    /// What one undecided case calls for now, added to `report`.
    async fn case_step(
        &mut self,
        court: &chain::Court,
        case: u64,
        now: u64,
        threshold: u16,
        report: &mut StepReport,
    ) -> Result<(), ValidatorError> {
        let me = self.address();
        let info = court.case(case).await?;
        if info.verdict != 0 {
            self.decided.insert(case);
            return Ok(());
        }
        if now >= info.reveal_end {
            if court.decide(case).await? {
                report.decided.push(case);
            }
            self.decided.insert(case);
            return Ok(());
        }
        if !self.is_member(court, info.validator_set).await? {
            return Ok(());
        }
        let salt = self.salt(case)?;
        let stage = court.stage(case, me).await?;
        if now < info.commit_end && stage == 0 {
            let vote = default_vote(info.fault_rate_bps, threshold);
            court
                .commit(case, vote_commitment(U256::from(case), vote, salt, me))
                .await?;
            report.committed.push((case, vote));
        } else if now >= info.commit_end && stage == 1 {
            let committed = court.commitment(case, me).await?;
            let vote = vote_of_commitment(case, salt, me, committed)
                .ok_or(ValidatorError::UnknownCommitment { case })?;
            court.reveal(case, vote, salt).await?;
            report.revealed.push((case, vote));
        }
        Ok(())
    }

    async fn is_member(
        &mut self,
        court: &chain::Court,
        version: u64,
    ) -> Result<bool, ValidatorError> {
        if let Some(known) = self.membership.get(&version) {
            return Ok(*known);
        }
        let member = court.validators(version).await?.contains(&self.address());
        self.membership.insert(version, member);
        Ok(member)
    }

    fn salt(&self, case: u64) -> Result<B256, ValidatorError> {
        vote_salt(&self.signer, self.config.chain_id, self.config.court, case)
            .map_err(|e| ValidatorError::Chain(format!("deriving the vote salt: {e}")))
    }
}
