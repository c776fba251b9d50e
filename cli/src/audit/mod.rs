//! The auditor (`sla audit`): re-derives a data unit's on-chain epoch results from the reports the
//! public API serves, with the same protocol crate the oracle runs, and names every difference.
//!
//! Per epoch, in this order (see `docs/cli.md`, "Auditor"):
//!
//! 1. the on-chain result: the record of (data unit, epoch) applied first, in the calldata of the
//!    `submitResults` transactions since the deployment block (`sla_contracts::applied`);
//! 2. every served report whose period overlaps the epoch: its signature (strict ed25519, bound to
//!    this deployment's chain id and contract), that the served hash is the SHA-256 of the served
//!    payload, the data unit, and its reporter key on chain (`keyInfo`: owner is the allocation's
//!    consumer or provider as the report's role says, valid over the whole report period);
//!    reports the API lists as stored after the epoch closed are left out, as the oracle does;
//! 3. the epoch summary (an `EpochAccumulator` over the reports that passed) and, for the uptime
//!    verdict, the summaries of the earlier epochs of the uptime window, recomputed the same way;
//! 4. the Merkle root of the reports used against the on-chain `reportsRoot`, and each report's
//!    Merkle proof as served by the API against the on-chain root;
//! 5. the verdict (`evaluate`, `EpochVerdict::epoch_result`) against every field on chain; for a
//!    data unit with an agreed penalty policy (docs/policy.md), the verdict under it: the waiver
//!    of its tier or grace (grace counts the violating verdicts of the window's earlier epochs,
//!    recomputed the same way), which is in the on-chain flags. Records inside the data unit's
//!    announced maintenance windows (`maintenanceWindows`, those not cancelled) are not counted,
//!    as the oracle does (docs/policy.md).
//! 6. the epoch summary the API serves (its gauges, fault rates and every other value of rules
//!    version 2, which no chain holds) against the recomputed one, byte for byte.

pub mod api;
pub mod flag;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use alloy::primitives::{Address, B256};
use anyhow::{bail, Context};
use serde::Serialize;
use sla_contracts::applied::{applied_submissions_of, AppliedResult, SubmittedResult};
use sla_contracts::signers::{
    batch_signatures, signer_problems, signer_sets, BatchSignatures, SignerSet,
};
use sla_protocol::acceptance::{check_key, Rejection};
use sla_protocol::aggregate::{
    evaluate, AggregationContext, EpochAccumulator, EpochConfig, EpochResult, EpochSummary,
    EpochVerdict, Exclusions, MaintenanceWindow, SlaTerms, WindowSummary,
};
use sla_protocol::parties::ReporterKey;
use sla_protocol::policy::AgreedPolicy;
use sla_protocol::{merkle, ReportHash, Role, SignedReport};

use crate::chain::Chain;
use api::{Api, ServedReport};

/// A check one served report failed.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFailure {
    /// The report's hash as the API serves it (hex).
    pub report: String,
    /// `encoding`, `signature`, `hash`, `data_unit`, `key`, `aggregate` or `proof`.
    pub check: &'static str,
    /// What failed, in words.
    pub detail: String,
}

/// A field of the on-chain result that differs from the recomputed one.
#[derive(Debug, Clone, Serialize)]
pub struct FieldMismatch {
    /// The contract's name of the field (`errorRateBps`, …).
    pub field: &'static str,
    /// The recomputed value as text: decimal, binary for the bit fields, hex for the root.
    pub expected: String,
    /// The value on chain, in the same form.
    pub on_chain: String,
}

/// The reports of one epoch and the summary recomputed from those that passed every check.
#[derive(Debug, Clone)]
pub struct Recomputed {
    /// How many reports the API serves whose period overlaps the epoch.
    pub served: usize,
    /// Hashes (hex) of the reports left out because the API lists them as stored too late.
    pub not_counted: Vec<String>,
    /// The reports used, by hash.
    pub used: Vec<ReportHash>,
    /// The checks served reports failed; those reports are not used.
    pub failures: Vec<ReportFailure>,
    /// The epoch summary of the reports used (an empty one when none is).
    pub summary: EpochSummary,
    /// The accumulator of the reports used: metric rules read gauges' slot ranges from it.
    pub accumulator: EpochAccumulator,
}

/// The audit of one epoch.
#[derive(Debug, Clone)]
pub struct EpochAudit {
    /// The epoch audited.
    pub epoch: u64,
    /// The result applied on chain; `None` if none was.
    pub on_chain: Option<AppliedResult>,
    /// The result recomputed from the served reports.
    pub expected: EpochResult,
    /// Off-chain flags of the recomputed verdict (DISPUTED, PROVIDER_GAP included).
    pub full_flags: u8,
    /// How many reports the API serves whose period overlaps the epoch.
    pub served: usize,
    /// How many of them passed every check and count.
    pub used: usize,
    /// Hashes (hex) of the reports left out because the API lists them as stored too late.
    pub not_counted: Vec<String>,
    /// The checks served reports failed, Merkle proofs against the on-chain root included.
    pub report_failures: Vec<ReportFailure>,
    /// `(on-chain root, root of the served reports)` when they differ.
    pub root_mismatch: Option<(B256, B256)>,
    /// The fields of the on-chain result that differ from `expected` (none without a result).
    pub field_mismatches: Vec<FieldMismatch>,
    /// Where the epoch summary the API serves (gauges, fault rates and every other value of
    /// the roll-up) differs from the one recomputed from the served reports, in words; `None`
    /// when they are byte for byte the same or the API serves none.
    pub summary_mismatch: Option<String>,
    /// Epochs of the uptime window recomputed for the verdict.
    pub window: (u64, u64),
    /// Who signed the batch that applied the on-chain result; `None` without a result.
    pub signers: Option<SignerAudit>,
}

/// The signatures of the batch that applied an epoch's result, checked against the signer set
/// of the config version it was signed under (docs/contracts.md, "Who signed a batch").
#[derive(Debug, Clone)]
pub struct SignerAudit {
    /// The batch's transaction.
    pub tx_hash: B256,
    /// `ResultsSubmitted.configVersion`.
    pub config_version: u64,
    /// That version's signer set, if any `OracleConfigSet` set it.
    pub set: Option<SignerSet>,
    /// The recovered signers (`None`: a relayed batch, whose signatures its transaction's input
    /// does not hold).
    pub signed_by: Option<Vec<Address>>,
    /// What breaks the contract's rule; empty when the signatures satisfy it.
    pub problems: Vec<String>,
}

impl EpochAudit {
    /// Whether the chain holds exactly what the served reports give, or, for a quiet epoch,
    /// nothing, as they give nothing.
    pub fn is_match(&self) -> bool {
        (self.on_chain.is_some() || self.is_quiet())
            && self.report_failures.is_empty()
            && self.root_mismatch.is_none()
            && self.field_mismatches.is_empty()
            && self.summary_mismatch.is_none()
            && self.signers.as_ref().is_none_or(|s| s.problems.is_empty())
    }

    /// No report counts for the epoch and the chain holds no result for it: the oracle keeps no
    /// roll-up of an epoch nobody reported on, so there is nothing to enforce, and nothing is
    /// missing.
    pub fn is_quiet(&self) -> bool {
        self.on_chain.is_none() && self.used == 0 && self.report_failures.is_empty()
    }
}

/// One data unit under audit: the chain's view of it and the caches shared across epochs.
#[derive(Debug)]
pub struct Auditor {
    chain: Chain,
    api: Api,
    /// The data unit (allocation id).
    pub data_unit: u64,
    /// The allocation's consumer account.
    pub consumer: Address,
    /// The allocation's provider account.
    pub provider: Address,
    /// The allocation's terms, as on chain.
    pub terms: SlaTerms,
    /// The contract's epoch clock.
    pub epochs: EpochConfig,
    deployment: sla_protocol::Deployment,
    results: BTreeMap<u64, AppliedResult>,
    /// Each applied result's transaction and signer set version, by epoch.
    submissions: BTreeMap<u64, SubmittedResult>,
    /// Every signer set the contract had, by version.
    signer_sets: BTreeMap<u64, SignerSet>,
    /// The signatures of each batch read so far, by transaction.
    batch_signatures: HashMap<B256, Result<BatchSignatures, String>>,
    uncounted: BTreeSet<(i64, u64)>,
    /// What `keyInfo` says about each reporter key (`None`: registered by nobody).
    keys: HashMap<[u8; 32], Option<ReporterKey>>,
    summaries: BTreeMap<u64, Option<EpochSummary>>,
    /// Whether each earlier epoch's verdict violates, for a policy's grace.
    violating: BTreeMap<u64, bool>,
    /// The data unit's agreed penalty policy, read from the chain (`None`: none).
    pub policy: Option<AgreedPolicy>,
    /// The data unit's maintenance windows that were not cancelled, read from the chain.
    pub maintenance: Vec<MaintenanceWindow>,
    max_window_epochs: u64,
}

impl Auditor {
    /// Reads the allocation, its terms, the epoch clock and the data unit's applied results from
    /// the chain, and the list of late reports from the API.
    pub async fn new(
        chain: Chain,
        api: Api,
        data_unit: u64,
        max_window_epochs: u64,
    ) -> anyhow::Result<Self> {
        let c = &chain.contract;
        let info = chain
            .view("getAllocation", c.getAllocation(data_unit))
            .await?;
        if info.status == 0 {
            bail!("data unit {data_unit} does not exist on chain");
        }
        let terms = SlaTerms::from(
            &chain
                .view("allocationTerms", c.allocationTerms(data_unit))
                .await?,
        );
        let genesis = chain.view("genesisTime", c.genesisTime()).await?;
        let epoch_len = chain.view("epochLength", c.epochLength()).await?;
        let epochs = EpochConfig::new(genesis, epoch_len)
            .map_err(|e| anyhow::anyhow!("epoch configuration on chain: {e}"))?;
        let deployment = chain.deployment.deployment();
        let submissions = applied_submissions(&chain, data_unit).await?;
        let results = submissions
            .iter()
            .map(|(epoch, s)| (*epoch, s.applied))
            .collect();
        let signer_sets = signer_sets(
            chain.contract.provider(),
            chain.deployment.contract,
            chain.deployment.deploy_block,
            chain.block(),
        )
        .await
        .context("reading the oracle's signer sets")?;
        let uncounted = api.uncounted(data_unit).await?;
        let policy = match chain.deployment.policies {
            Some(address) => sla_contracts::policies::agreed_policy_of(
                chain.contract.provider(),
                address,
                chain.deployment.deploy_block,
                data_unit,
            )
            .await
            .context("reading the data unit's penalty policy")?,
            None => None,
        };
        // The windows as they stand now: a window can be cancelled only before the epoch it
        // starts in begins, so for any epoch that has results this is what the oracle saw.
        let maintenance = match chain.deployment.policies {
            Some(address) => sla_contracts::policies::maintenance_windows_of(
                chain.contract.provider(),
                address,
                data_unit,
            )
            .await
            .context("reading the data unit's maintenance windows")?
            .iter()
            .filter_map(|w| w.counted())
            .collect(),
            None => Vec::new(),
        };
        Ok(Auditor {
            chain,
            api,
            data_unit,
            consumer: info.consumer,
            provider: info.provider,
            terms,
            epochs,
            deployment,
            results,
            submissions,
            signer_sets,
            batch_signatures: HashMap::new(),
            uncounted,
            keys: HashMap::new(),
            summaries: BTreeMap::new(),
            violating: BTreeMap::new(),
            policy,
            maintenance,
            max_window_epochs,
        })
    }

    /// The key as the contract's `keyInfo` answers, in the protocol's terms (seconds to ms, a
    /// zero `validUntil` meaning never revoked); `None` when no account registered it.
    async fn key_info(&mut self, key: [u8; 32]) -> anyhow::Result<Option<ReporterKey>> {
        if let Some(info) = self.keys.get(&key) {
            return Ok(info.clone());
        }
        let c = &self.chain.contract;
        let r = self
            .chain
            .view("keyInfo", c.keyInfo(B256::from(key)))
            .await?;
        let info = (!r.owner.is_zero()).then(|| ReporterKey {
            public_key: key,
            account: r.owner,
            valid_from_ms: r.validFrom.saturating_mul(1000),
            valid_until_ms: (r.validUntil != 0).then(|| r.validUntil.saturating_mul(1000)),
        });
        self.keys.insert(key, info.clone());
        Ok(info)
    }

    /// Fetches and checks the reports of `epoch` and accumulates those that pass.
    pub async fn recompute(&mut self, epoch: u64) -> anyhow::Result<Recomputed> {
        let ctx = AggregationContext::new(&self.epochs, &self.terms, self.data_unit, epoch)
            .map_err(|e| anyhow::anyhow!("epoch {epoch}: {e}"))?;
        let (start_ms, end_ms) = (ctx.start_ms(), ctx.end_ms());
        let served = self.api.reports(self.data_unit, start_ms, end_ms).await?;
        let excluded = Exclusions::for_epoch(&ctx, &self.maintenance);
        let mut acc = EpochAccumulator::new(ctx);
        let mut out = Recomputed {
            served: served.len(),
            not_counted: Vec::new(),
            used: Vec::new(),
            failures: Vec::new(),
            summary: acc.summary(),
            accumulator: EpochAccumulator::new(ctx),
        };
        for report in &served {
            if self.uncounted.contains(&(report.id, epoch)) {
                out.not_counted.push(report.hash.clone());
                continue;
            }
            match self.check(report, start_ms, end_ms).await? {
                Err((check, detail)) => out.failures.push(ReportFailure {
                    report: report.hash.clone(),
                    check,
                    detail,
                }),
                Ok(None) => {}
                Ok(Some(verified)) => {
                    match acc.add_report_except(&verified.report, verified.hash, &excluded) {
                        Ok(true) => out.used.push(verified.hash),
                        Ok(false) => {}
                        Err(e) => out.failures.push(ReportFailure {
                            report: report.hash.clone(),
                            check: "aggregate",
                            detail: e.to_string(),
                        }),
                    }
                }
            }
        }
        out.used.sort();
        out.summary = acc.summary();
        out.accumulator = acc;
        Ok(out)
    }

    /// The checks of one served report: `Ok(Some)` when it counts for the epoch, `Ok(None)` when
    /// its signed period does not overlap the epoch, `Err((check, detail))` when a check fails.
    async fn check(
        &mut self,
        served: &ServedReport,
        start_ms: u64,
        end_ms: u64,
    ) -> anyhow::Result<Result<Option<sla_protocol::VerifiedReport>, (&'static str, String)>> {
        let (Ok(payload), Ok(signature)) =
            (hex::decode(&served.payload), hex::decode(&served.signature))
        else {
            return Ok(Err(("encoding", "payload or signature is not hex".into())));
        };
        let verified = match (SignedReport { payload, signature }).verify(&self.deployment) {
            Ok(v) => v,
            Err(e) => {
                let actual = sla_protocol::report_hash(&hex::decode(&served.payload)?);
                let note = if actual.to_hex() != served.hash.to_ascii_lowercase() {
                    format!(" (the served payload hashes to {actual})")
                } else {
                    String::new()
                };
                return Ok(Err(("signature", format!("{e}{note}"))));
            }
        };
        if verified.hash.to_hex() != served.hash.to_ascii_lowercase() {
            return Ok(Err((
                "hash",
                format!(
                    "served as {}, but the payload hashes to {}",
                    served.hash, verified.hash
                ),
            )));
        }
        let r = &verified.report;
        if r.data_unit != self.data_unit {
            return Ok(Err((
                "data_unit",
                format!("signed for data unit {}", r.data_unit),
            )));
        }
        if r.period_end_ms <= start_ms || r.period_start_ms >= end_ms {
            return Ok(Ok(None));
        }
        let party = match r.role {
            Role::Consumer => self.consumer,
            Role::Provider => self.provider,
        };
        let key_hex = hex::encode(r.reporter_key);
        let Some(key) = self.key_info(r.reporter_key).await? else {
            let detail = format!("reporter key {key_hex} is not registered on chain");
            return Ok(Err(("key", detail)));
        };
        // The ingest API's key rule, on the key as the contract has it.
        match check_key(&key, party, r.role, r.period_start_ms, r.period_end_ms) {
            Ok(()) => Ok(Ok(Some(verified))),
            Err(Rejection::KeyNotOfParty {
                role,
                account,
                party,
            }) => Ok(Err((
                "key",
                format!(
                    "reporter key {key_hex} belongs to {account}, the data unit's {} is {party}",
                    role.as_str()
                ),
            ))),
            Err(Rejection::KeyNotValidForPeriod {
                valid_from_ms,
                valid_until_ms,
            }) => Ok(Err((
                "key",
                format!(
                    "reporter key {key_hex} is valid from {valid_from_ms} until {} (ms), the \
                     report covers [{}, {}) ms",
                    valid_until_ms.map_or("now".to_string(), |t| t.to_string()),
                    r.period_start_ms,
                    r.period_end_ms
                ),
            ))),
            Err(other) => Ok(Err(("key", format!("{other:?}")))),
        }
    }

    /// The summary of an earlier epoch of a window (`None` when no report counts for it, as the
    /// oracle then stores no roll-up), cached.
    async fn window_summary(&mut self, epoch: u64) -> anyhow::Result<Option<EpochSummary>> {
        if let Some(s) = self.summaries.get(&epoch) {
            return Ok(s.clone());
        }
        let r = self.recompute(epoch).await?;
        let s = (!r.used.is_empty()).then_some(r.summary);
        self.summaries.insert(epoch, s.clone());
        Ok(s)
    }

    /// The verdict of `epoch` whose summary is `summary`, before any policy: its uptime window's
    /// earlier summaries are recomputed (cached).
    async fn verdict_of(
        &mut self,
        epoch: u64,
        summary: &EpochSummary,
    ) -> anyhow::Result<EpochVerdict> {
        let window_epochs = self.terms.window_epochs(self.epochs.epoch_len_s);
        let mut summaries = vec![summary.clone()];
        for e in self
            .epochs
            .window(epoch, window_epochs)
            .filter(|e| *e != epoch)
        {
            if let Some(s) = self.window_summary(e).await? {
                summaries.push(s);
            }
        }
        let window =
            WindowSummary::for_terms(&self.epochs, &self.terms, self.data_unit, epoch, &summaries)
                .map_err(|e| anyhow::anyhow!("uptime window of epoch {epoch}: {e}"))?;
        evaluate(&self.terms, summary, &window)
            .map_err(|e| anyhow::anyhow!("verdict of epoch {epoch}: {e}"))
    }

    /// Whether an earlier epoch's verdict violates (no report counts for it: no verdict, as the
    /// oracle keeps no roll-up of it), cached.
    async fn violates(&mut self, epoch: u64) -> anyhow::Result<bool> {
        if let Some(v) = self.violating.get(&epoch) {
            return Ok(*v);
        }
        let v = match self.policy {
            // Rules read the accumulator, which the summaries' cache does not keep.
            Some(policy) if policy.judges_rules(epoch) => {
                let r = self.recompute(epoch).await?;
                if r.used.is_empty() {
                    false
                } else {
                    let verdict = self.verdict_of(epoch, &r.summary).await?;
                    policy
                        .judge_rules(verdict, &r.accumulator, &self.terms)
                        .violates()
                }
            }
            _ => match self.window_summary(epoch).await? {
                Some(summary) => self.verdict_of(epoch, &summary).await?.violates(),
                None => false,
            },
        };
        self.violating.insert(epoch, v);
        Ok(v)
    }

    /// `verdict` under the data unit's policy, as the aggregator judges it: its metric rules on
    /// `acc`, then its tiers and grace.
    async fn under_policy(
        &mut self,
        verdict: EpochVerdict,
        acc: &EpochAccumulator,
    ) -> anyhow::Result<EpochVerdict> {
        let Some(policy) = self.policy else {
            return Ok(verdict);
        };
        let verdict = policy.judge_rules(verdict, acc, &self.terms);
        if !verdict.violates() || verdict.epoch < policy.from_epoch {
            return Ok(verdict);
        }
        let mut prior = 0;
        for e in policy.grace_lookback(verdict.epoch).into_iter().flatten() {
            if self.violates(e).await? {
                prior += 1;
            }
        }
        Ok(policy.apply(verdict, prior))
    }

    /// Audits one epoch.
    pub async fn audit(&mut self, epoch: u64) -> anyhow::Result<EpochAudit> {
        let window_epochs = self.terms.window_epochs(self.epochs.epoch_len_s);
        if window_epochs > self.max_window_epochs {
            bail!(
                "the uptime window is {window_epochs} epochs, more than --max-window-epochs {} \
                 (every epoch of the window is recomputed from its reports; raise the limit)",
                self.max_window_epochs
            );
        }
        let on_chain = self.results.get(&epoch).copied();
        let current = self.recompute(epoch).await?;
        self.summaries.insert(
            epoch,
            (!current.used.is_empty()).then(|| current.summary.clone()),
        );
        let range = self.epochs.window(epoch, window_epochs);
        let verdict = self.verdict_of(epoch, &current.summary).await?;
        let verdict = self.under_policy(verdict, &current.accumulator).await?;
        let expected = verdict.epoch_result();
        let root = merkle::root(&current.used);
        debug_assert_eq!(root, expected.reports_root);

        let mut report_failures = current.failures.clone();
        let mut root_mismatch = None;
        let mut field_mismatches = Vec::new();
        if let Some(applied) = &on_chain {
            let chain_root = B256::from(applied.result.reports_root);
            if chain_root.0 != root {
                root_mismatch = Some((chain_root, B256::from(root)));
            }
            for hash in &current.used {
                let hex = hash.to_hex();
                match self.api.proof(self.data_unit, epoch, &hex).await? {
                    None => report_failures.push(ReportFailure {
                        report: hex,
                        check: "proof",
                        detail: "the API serves no Merkle proof of it for this epoch".into(),
                    }),
                    Some(proof) if !proof.verify(&chain_root.0, hash) => report_failures
                        .push(ReportFailure {
                            report: hex,
                            check: "proof",
                            detail: format!(
                                "its served Merkle proof does not lead to the on-chain root {chain_root}",
                            ),
                        }),
                    Some(_) => {}
                }
            }
            field_mismatches = compare(&expected, applied);
        }
        let signers = match self.submissions.get(&epoch).cloned() {
            Some(submission) => Some(self.signers_of(&submission).await?),
            None => None,
        };
        let summary_mismatch = match self.api.served_summary(self.data_unit, epoch).await? {
            Some((encoding, served))
                if encoding != hex::encode(current.summary.encode())
                    || served != current.summary =>
            {
                Some(summary_difference(&served, &current.summary))
            }
            _ => None,
        };
        Ok(EpochAudit {
            epoch,
            on_chain,
            expected,
            full_flags: verdict.flags,
            served: current.served,
            used: current.used.len(),
            not_counted: current.not_counted,
            report_failures,
            root_mismatch,
            field_mismatches,
            summary_mismatch,
            window: (*range.start(), *range.end()),
            signers,
        })
    }

    /// The signer audit of the batch that applied `submission` (each batch read once).
    async fn signers_of(&mut self, submission: &SubmittedResult) -> anyhow::Result<SignerAudit> {
        let (tx_hash, version) = (submission.tx_hash, submission.config_version);
        let signatures = if submission.relayed {
            Ok(BatchSignatures::Relayed)
        } else if let Some(known) = self.batch_signatures.get(&tx_hash) {
            known.clone()
        } else {
            let read = batch_signatures(
                self.chain.contract.provider(),
                self.chain.deployment.chain_id,
                self.chain.deployment.contract,
                tx_hash,
                version,
                submission.results_hash,
            )
            .await
            .with_context(|| format!("reading the signatures of batch {tx_hash}"))?;
            self.batch_signatures.insert(tx_hash, read.clone());
            read
        };
        let set = self.signer_sets.get(&version).cloned();
        let (signed_by, problems) = match signatures {
            Err(e) => (None, vec![e]),
            Ok(s) => {
                let problems = signer_problems(version, set.as_ref(), &s);
                match s {
                    BatchSignatures::Recovered(r) => (Some(r), problems),
                    _ => (None, problems),
                }
            }
        };
        Ok(SignerAudit {
            tx_hash,
            config_version: version,
            set,
            signed_by,
            problems,
        })
    }
}

/// Which parts of a served summary differ from the recomputed one: the gauges by name (rules
/// version 2: their values are on no chain, so this is where they are checked), else the rest.
fn summary_difference(served: &EpochSummary, recomputed: &EpochSummary) -> String {
    let mut parts = Vec::new();
    for (role, s, r) in [
        ("consumer", &served.consumer, &recomputed.consumer),
        ("provider", &served.provider, &recomputed.provider),
    ] {
        let names: BTreeSet<&str> = s
            .gauges
            .iter()
            .chain(&r.gauges)
            .map(|g| g.name.as_str())
            .collect();
        for name in names {
            if s.gauge(name) != r.gauge(name) {
                parts.push(format!("{role} gauge {name}"));
            }
        }
        if (s.checks, s.faults) != (r.checks, r.faults) {
            parts.push(format!(
                "{role} checks/faults: served {}/{}, recomputed {}/{}",
                s.checks, s.faults, r.checks, r.faults
            ));
        }
    }
    if parts.is_empty() {
        parts.push("the summary's other values (its encoding differs)".into());
    }
    format!(
        "the served epoch summary differs from the one recomputed from the served reports: {}",
        parts.join(", ")
    )
}

/// Every result of `data_unit` applied since the deployment block, by epoch, with its
/// transaction: read from the calldata of the `submitResults` transactions whose
/// `ResultsSubmitted` id range holds the data unit (the contract emits no event per result).
async fn applied_submissions(
    chain: &Chain,
    data_unit: u64,
) -> anyhow::Result<BTreeMap<u64, SubmittedResult>> {
    let applied = applied_submissions_of(
        chain.contract.provider(),
        chain.deployment.contract,
        chain.deployment.deploy_block,
        chain.block(),
        data_unit,
    )
    .await
    .context("reading the submitted result batches")?;
    Ok(applied.into_iter().map(|s| (s.applied.epoch, s)).collect())
}

/// The fields of `expected` that differ on chain, with the contract's field names.
fn compare(expected: &EpochResult, applied: &AppliedResult) -> Vec<FieldMismatch> {
    let chain = &applied.result;
    let mut out = Vec::new();
    let mut field = |name: &'static str, e: String, c: String| {
        if e != c {
            out.push(FieldMismatch {
                field: name,
                expected: e,
                on_chain: c,
            });
        }
    };
    // Fields whose decimal text is compared, by the contract's name.
    macro_rules! decimal {
        ($($name:literal => $field:ident),* $(,)?) => {
            $(field($name, expected.$field.to_string(), chain.$field.to_string());)*
        };
    }
    decimal!(
        "dataUnitId" => data_unit_id,
        "readLatencyUs" => read_latency_us,
        "writeLatencyUs" => write_latency_us,
        "uploadBps" => upload_bps,
        "downloadBps" => download_bps,
        "uptimeBps" => uptime_bps,
        "errorRateBps" => error_rate_bps,
        "operations" => operations,
    );
    field(
        "violations",
        format!("{:#08b}", expected.violations),
        format!("{:#08b}", chain.violations),
    );
    field(
        "flags",
        format!("{:#04b}", expected.flags),
        format!("{:#04b}", chain.flags),
    );
    field(
        "reportsRoot",
        B256::from(expected.reports_root).to_string(),
        B256::from(chain.reports_root).to_string(),
    );
    out
}
