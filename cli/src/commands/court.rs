//! `sla court …`: a case's state, the sending validator's commit and reveal, the decision and the
//! provider's rebuttal (docs/court.md). The vote's salt is derived from the key
//! (`sla_contracts::court::vote_salt`), as the oracle's validator role derives it, so either can
//! reveal what the other committed and nothing is kept between the two steps.

use alloy::primitives::{keccak256, U256};
use anyhow::{anyhow, bail, Context};
use serde_json::json;
use sla_contracts::court::{committed, vote_commitment, vote_of_commitment, vote_salt};
use sla_contracts::{ISlaCourt, SlaCourt};
use sla_protocol::court::{default_vote, Verdict};

use crate::args::{ChainArgs, CourtCommand};
use crate::audit::api::Api;
use crate::audit::flag::{audit_case, FlagAudit};
use crate::chain::Chain;
use crate::output::Output;

pub(super) async fn run(cmd: CourtCommand, args: &ChainArgs) -> anyhow::Result<Output> {
    let chain = Chain::connect(args).await?;
    match cmd {
        CourtCommand::Show { case } => show(&chain, case).await,
        CourtCommand::Commit { case, vote } => commit(&chain, case, vote).await,
        CourtCommand::Reveal { case } => reveal(&chain, case).await,
        CourtCommand::Decide { case } => decide(&chain, case).await,
        CourtCommand::Audit {
            case,
            api,
            max_window_epochs,
        } => {
            let mut chain = chain;
            chain.pin().await?;
            let api = Api::new(api)?;
            let audit = audit_case(&chain, &api, case, max_window_epochs).await?;
            Ok(audit_output(&audit))
        }
        CourtCommand::Rebut { case, document } => {
            let bytes = std::fs::read(&document)
                .with_context(|| format!("reading {}", document.display()))?;
            let hash = keccak256(&bytes);
            let court = chain.court()?;
            let sent = chain
                .send(
                    "attachRebuttal",
                    court.attachRebuttal(U256::from(case), hash),
                )
                .await?;
            let mut out = sent.json();
            out["case"] = json!(case);
            out["document_hash"] = json!(hash.to_string());
            Ok(Output::new(
                format!(
                    "attached rebuttal {hash} ({}) to case {case}{}",
                    document.display(),
                    sent.human_suffix()
                ),
                out,
            ))
        }
    }
}

/// The case, refused by name when it does not exist.
async fn case_info(chain: &Chain, case: u64) -> anyhow::Result<ISlaCourt::CaseInfo> {
    let info = chain
        .view("getCase", chain.court()?.getCase(U256::from(case)))
        .await?;
    if info.provider.is_zero() {
        bail!("case {case} does not exist");
    }
    Ok(info)
}

async fn threshold(chain: &Chain) -> anyhow::Result<u16> {
    Ok(chain
        .view("courtConfig", chain.court()?.courtConfig())
        .await?
        .faultThresholdBps)
}

fn verdict_name(code: u8) -> &'static str {
    Verdict::try_from(code).map_or("undecided", Verdict::as_str)
}

async fn show(chain: &Chain, case: u64) -> anyhow::Result<Output> {
    let info = case_info(chain, case).await?;
    let rule = default_vote(info.faultRateBps, threshold(chain).await?);
    let mut out = json!({
        "case": case,
        "provider": info.provider.to_checksum(None),
        "validator_set": info.validatorSet,
        "from_epoch": info.fromEpoch,
        "to_epoch": info.toEpoch,
        "fault_rate_bps": info.faultRateBps,
        "evidence_root": info.evidenceRoot.to_string(),
        "commit_end": info.commitEnd.to::<u64>(),
        "reveal_end": info.revealEnd.to::<u64>(),
        "verdict": verdict_name(info.verdict),
        "tally": {
            "no-action": info.tally[1], "slash": info.tally[2],
            "suspend": info.tally[3], "remove": info.tally[4],
        },
        "rebuttal": (!info.rebuttal.is_zero()).then(|| info.rebuttal.to_string()),
        "default_vote": rule.as_str(),
    });
    let mut human = format!(
        "case {case}: provider {} flagged at {:.2} % faults over epochs {}-{}; commit until {}, \
         reveal until {}; verdict {}; revealed votes: no-action {}, slash {}, suspend {}, remove {}; \
         the default vote is {rule}",
        info.provider,
        f64::from(info.faultRateBps) / 100.0,
        info.fromEpoch,
        info.toEpoch,
        info.commitEnd,
        info.revealEnd,
        verdict_name(info.verdict),
        info.tally[1],
        info.tally[2],
        info.tally[3],
        info.tally[4],
    );
    if let Ok(me) = chain.account() {
        let vote = chain
            .view("voteOf", chain.court()?.voteOf(U256::from(case), me))
            .await?;
        let stage = ["not committed", "committed", "revealed"]
            .get(usize::from(vote.stage))
            .copied()
            .unwrap_or("unknown");
        out["your_vote"] = json!({ "stage": stage, "vote": Verdict::try_from(vote.vote).ok() });
        human.push_str(&format!("; your vote: {stage}"));
    }
    Ok(Output::new(human, out))
}

async fn commit(chain: &Chain, case: u64, vote: Option<Verdict>) -> anyhow::Result<Output> {
    let info = case_info(chain, case).await?;
    let rule = default_vote(info.faultRateBps, threshold(chain).await?);
    let vote = vote.unwrap_or(rule);
    let court = chain.court()?;
    let signer = chain.signer()?;
    let salt = vote_salt(signer, chain.deployment.chain_id, *court.address(), case)?;
    let commitment = vote_commitment(U256::from(case), vote, salt, signer.address());
    let sent = chain
        .send("commitVote", court.commitVote(U256::from(case), commitment))
        .await?;
    let mut out = sent.json();
    out["case"] = json!(case);
    out["vote"] = json!(vote.as_str());
    out["default_vote"] = json!(rule.as_str());
    out["commitment"] = json!(commitment.to_string());
    out["reveal_from"] = json!(info.commitEnd.to::<u64>());
    out["reveal_until"] = json!(info.revealEnd.to::<u64>());
    let how = if vote == rule {
        "the default vote".to_string()
    } else {
        format!("overriding the default {rule}")
    };
    Ok(Output::new(
        format!(
            "committed {vote} on case {case} ({how}); reveal it from {} until {} with \
             `sla court reveal {case}`{}",
            info.commitEnd,
            info.revealEnd,
            sent.human_suffix()
        ),
        out,
    ))
}

async fn reveal(chain: &Chain, case: u64) -> anyhow::Result<Output> {
    let court = chain.court()?;
    let signer = chain.signer()?;
    let me = signer.address();
    let provider = court.provider();
    let commitment = committed(
        provider,
        *court.address(),
        chain.deployment.deploy_block,
        case,
        me,
    )
    .await?
    .ok_or_else(|| anyhow!("{me} has not committed on case {case}"))?;
    let salt = vote_salt(signer, chain.deployment.chain_id, *court.address(), case)?;
    let vote = vote_of_commitment(case, salt, me, commitment).ok_or_else(|| {
        anyhow!("the commitment of {me} on case {case} was not made with this key's derived salt")
    })?;
    let sent = chain
        .send(
            "revealVote",
            court.revealVote(U256::from(case), vote.into(), salt),
        )
        .await?;
    let mut out = sent.json();
    out["case"] = json!(case);
    out["vote"] = json!(vote.as_str());
    Ok(Output::new(
        format!("revealed {vote} on case {case}{}", sent.human_suffix()),
        out,
    ))
}

async fn decide(chain: &Chain, case: u64) -> anyhow::Result<Output> {
    let court = chain.court()?;
    let flag = chain.court_flag(case).await?;
    let sent = chain
        .send(
            "decide",
            court.decide(U256::from(case), flag.dataUnitIds, flag.faults),
        )
        .await?;
    let decided = sent.event::<SlaCourt::CaseDecided>()?;
    let mut out = sent.json();
    out["case"] = json!(case);
    out["verdict"] = json!(verdict_name(decided.verdict));
    out["tally"] = json!(decided.tally);
    let enforced = sent.event::<SlaCourt::VerdictNotEnforced>().is_err();
    out["enforced"] = json!(enforced);
    Ok(Output::new(
        format!(
            "case {case} decided: {}{}{}",
            verdict_name(decided.verdict),
            if enforced {
                ""
            } else {
                " (not enforced: the oracle no longer binds this court)"
            },
            sent.human_suffix()
        ),
        out,
    ))
}

fn audit_output(a: &FlagAudit) -> Output {
    let head = format!(
        "case {}: flag of {} over epochs {}-{} ({} epoch(s) of data units with reports, {} checks)",
        a.case, a.provider, a.epochs.0, a.epochs.1, a.rows, a.checks
    );
    let mut lines = vec![if a.is_match() {
        format!(
            "{head}: match (fault rate {} bps above the threshold {})",
            a.expected.as_ref().map_or(0, |e| e.fault_rate_bps),
            a.threshold_bps
        )
    } else {
        format!("{head}: MISMATCH")
    }];
    for f in &a.report_failures {
        lines.push(format!(
            "  report {}: {} check failed: {}",
            f.report, f.check, f.detail
        ));
    }
    for m in &a.mismatches {
        lines.push(format!(
            "  {}: expected {}, on chain {}",
            m.field, m.expected, m.on_chain
        ));
    }
    let json = json!({
        "case": a.case,
        "provider": a.provider.to_checksum(None),
        "from_epoch": a.epochs.0,
        "to_epoch": a.epochs.1,
        "threshold_bps": a.threshold_bps,
        "rows": a.rows,
        "checks": a.checks,
        "match": a.is_match(),
        "expected": a.expected.as_ref().map(|e| json!({
            "fault_rate_bps": e.fault_rate_bps,
            "data_unit_ids": e.data_units,
            "faults": e.faults,
            "evidence_root": alloy::primitives::B256::from(e.evidence_root).to_string(),
        })),
        "report_failures": a.report_failures,
        "mismatches": a.mismatches,
    });
    Output::new(lines.join("\n"), json).with_exit_code(if a.is_match() { 0 } else { 1 })
}
