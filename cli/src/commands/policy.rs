//! `sla policy …`: a data unit's penalty policy (docs/policy.md). One party proposes a policy
//! from a JSON file (checked here with the contract's rules first, so a bad file is refused in
//! one line without a transaction) and the other agrees to its hash; or a provider offers a
//! policy on a profile and the consumer of an allocation from it adopts it by hash. `show` reads
//! the pending proposal, the profile's offer and the agreed policy back from the chain.

use alloy::primitives::B256;
use anyhow::{bail, Context};
use serde_json::json;
use sla_contracts::policies::{agreed_policy_of, policy_hash};
use sla_contracts::ISlaPolicies;
use sla_protocol::policy::Policy;

use crate::args::{ChainArgs, PolicyCommand};
use crate::chain::Chain;
use crate::output::Output;

pub(super) async fn run(cmd: PolicyCommand, args: &ChainArgs) -> anyhow::Result<Output> {
    let chain = Chain::connect(args).await?;
    match cmd {
        PolicyCommand::Propose { data_unit, policy } => {
            let parsed = read_policy(&policy)?;
            propose(&chain, data_unit, &parsed).await
        }
        PolicyCommand::Offer { profile, policy } => {
            let parsed = read_policy(&policy)?;
            offer(&chain, profile, &parsed).await
        }
        PolicyCommand::Adopt { data_unit, hash } => adopt(&chain, data_unit, hash).await,
        PolicyCommand::Agree { data_unit, hash } => agree(&chain, data_unit, hash).await,
        PolicyCommand::Show { data_unit } => show(&chain, data_unit).await,
    }
}

/// A policy file, checked with the contract's rules: a bad one is refused in one line before
/// anything is sent.
fn read_policy(path: &std::path::Path) -> anyhow::Result<Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let parsed: Policy = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a policy", path.display()))?;
    if let Err(e) = parsed.validate() {
        bail!("{}: {e}", path.display());
    }
    Ok(parsed)
}

async fn offer(chain: &Chain, profile: u64, policy: &Policy) -> anyhow::Result<Output> {
    let policies = chain.policies()?;
    let sent = chain
        .send(
            "offerProfilePolicy",
            policies.offerProfilePolicy(profile, ISlaPolicies::Policy::from(policy)),
        )
        .await?;
    let hash = B256::from(policy_hash(policy));
    let mut out = sent.json();
    out["profile_id"] = json!(profile);
    out["policy_hash"] = json!(hash.to_string());
    Ok(Output::new(
        format!(
            "offered policy {hash} on profile {profile}; a consumer of an allocation from it adopts \
             it with `sla policy adopt --data-unit N --hash {hash}`{}",
            sent.human_suffix()
        ),
        out,
    ))
}

async fn adopt(chain: &Chain, data_unit: u64, hash: B256) -> anyhow::Result<Output> {
    let policies = chain.policies()?;
    let sent = chain
        .send(
            "adoptProfilePolicy",
            policies.adoptProfilePolicy(data_unit, hash),
        )
        .await?;
    let judged = chain.view("policyOf", policies.policyOf(data_unit)).await?;
    let mut out = sent.json();
    out["data_unit"] = json!(data_unit);
    out["policy_hash"] = json!(hash.to_string());
    out["from_epoch"] = json!(judged.fromEpoch);
    Ok(Output::new(
        format!(
            "adopted the profile's policy {hash} for data unit {data_unit}: it judges epochs from {} on{}",
            judged.fromEpoch,
            sent.human_suffix()
        ),
        out,
    ))
}

async fn propose(chain: &Chain, data_unit: u64, policy: &Policy) -> anyhow::Result<Output> {
    let policies = chain.policies()?;
    let sent = chain
        .send(
            "proposePolicy",
            policies.proposePolicy(data_unit, ISlaPolicies::Policy::from(policy)),
        )
        .await?;
    let hash = B256::from(policy_hash(policy));
    let mut out = sent.json();
    out["data_unit"] = json!(data_unit);
    out["policy_hash"] = json!(hash.to_string());
    Ok(Output::new(
        format!(
            "proposed policy {hash} for data unit {data_unit}; the other party agrees with \
             `sla policy agree --data-unit {data_unit} --hash {hash}`{}",
            sent.human_suffix()
        ),
        out,
    ))
}

async fn agree(chain: &Chain, data_unit: u64, hash: B256) -> anyhow::Result<Output> {
    let policies = chain.policies()?;
    let sent = chain
        .send("agreePolicy", policies.agreePolicy(data_unit, hash))
        .await?;
    let judged = chain.view("policyOf", policies.policyOf(data_unit)).await?;
    let mut out = sent.json();
    out["data_unit"] = json!(data_unit);
    out["policy_hash"] = json!(hash.to_string());
    out["from_epoch"] = json!(judged.fromEpoch);
    Ok(Output::new(
        format!(
            "agreed to policy {hash} for data unit {data_unit}: it judges epochs from {} on{}",
            judged.fromEpoch,
            sent.human_suffix()
        ),
        out,
    ))
}

async fn show(chain: &Chain, data_unit: u64) -> anyhow::Result<Output> {
    let policies = chain.policies()?;
    let pending = chain
        .view("proposalOf", policies.proposalOf(data_unit))
        .await?;
    let agreed = agreed_policy_of(
        policies.provider(),
        *policies.address(),
        chain.deployment.deploy_block,
        data_unit,
    )
    .await?;
    let allocation = chain
        .view("getAllocation", chain.contract.getAllocation(data_unit))
        .await?;
    let offered = if allocation.profileId == 0 {
        None
    } else {
        let hash = chain
            .view(
                "profilePolicyOf",
                policies.profilePolicyOf(allocation.profileId),
            )
            .await?;
        (!hash.is_zero()).then(|| {
            json!({
                "profile_id": allocation.profileId,
                "policy_hash": hash.to_string(),
            })
        })
    };
    let proposal = (!pending.policyHash_.is_zero()).then(|| {
        json!({
            "policy_hash": pending.policyHash_.to_string(),
            "proposer": pending.proposer.to_checksum(None),
        })
    });
    let out = json!({
        "data_unit": data_unit,
        "proposal": proposal,
        "profile_offer": offered,
        "agreed": agreed.map(|a| json!({
            "policy_hash": B256::from(policy_hash(&a.policy)).to_string(),
            "from_epoch": a.from_epoch,
            "policy": a.policy,
        })),
    });
    let human = match (&agreed, &proposal) {
        (Some(a), _) => format!(
            "data unit {data_unit}: policy {} judges epochs from {} on: {}",
            B256::from(policy_hash(&a.policy)),
            a.from_epoch,
            describe(&a.policy)
        ),
        (None, Some(_)) => format!(
            "data unit {data_unit}: no agreed policy; proposal {} by {} is pending",
            pending.policyHash_, pending.proposer
        ),
        (None, None) if offered.is_some() => format!(
            "data unit {data_unit}: no agreed policy; its profile {} offers policy {} (adopt it with `sla policy adopt --data-unit {data_unit} --hash …`)",
            allocation.profileId,
            offered.as_ref().map_or(String::new(), |o| o["policy_hash"].as_str().unwrap_or_default().to_owned()),
        ),
        (None, None) => format!(
            "data unit {data_unit}: no policy and no proposal (every violation costs the flat penalty)"
        ),
    };
    Ok(Output::new(human, out))
}

/// The policy in words: each metric's tiers, the grace, the maintenance terms, then the metric
/// rules.
fn describe(policy: &Policy) -> String {
    let mut parts = Vec::new();
    for metric in sla_protocol::aggregate::Metric::ALL {
        let tiers: Vec<String> = policy.tiers[metric.index()]
            .iter()
            .take_while(|t| t.share_pct != 0)
            .map(|t| format!("{} → {} %", t.bound, t.share_pct))
            .collect();
        if !tiers.is_empty() {
            parts.push(format!("{} {}", metric.as_str(), tiers.join(", ")));
        }
    }
    if policy.grace_epochs != 0 {
        parts.push(format!(
            "grace {} of {} epochs",
            policy.grace_epochs, policy.grace_window_epochs
        ));
    }
    if parts.is_empty() {
        parts.push("no tiers, no grace (the flat penalty)".into());
    }
    parts.push(policy.maintenance_text());
    parts.extend(policy.used_rules().map(|r| format!("rule {}", r.text())));
    parts.join("; ")
}
