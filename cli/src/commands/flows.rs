//! `sla provider …` and `sla consumer …`: one transaction each, its event decoded into the output.

use anyhow::bail;
use serde_json::json;
use sla_contracts::SlaOracle;
use sla_protocol::SlaTerms;

use crate::args::{
    ChainArgs, ConsumerAllocationCommand, ConsumerCommand, ProfileCommand,
    ProviderAllocationCommand, ProviderCommand,
};
use crate::chain::terms::terms_from_args;
use crate::chain::units::format_wei;
use crate::chain::{Chain, Sent};
use crate::output::Output;

fn wei(amount: alloy::primitives::U256) -> serde_json::Value {
    json!(amount.to_string())
}

pub(super) async fn provider(cmd: ProviderCommand, args: &ChainArgs) -> anyhow::Result<Output> {
    let chain = Chain::connect(args).await?;
    let c = &chain.contract;
    match cmd {
        ProviderCommand::Register => {
            let sent = chain.send("registerProvider", c.registerProvider()).await?;
            let e = sent.event::<SlaOracle::ProviderRegistered>()?;
            let mut out = sent.json();
            out["provider"] = json!(e.provider.to_checksum(None));
            out["provider_id"] = json!(e.providerId);
            out["reputation"] = json!(e.reputation);
            Ok(Output::new(
                format!(
                    "registered provider {} as id {} (reputation {}){}",
                    e.provider,
                    e.providerId,
                    e.reputation,
                    sent.human_suffix()
                ),
                out,
            ))
        }
        ProviderCommand::Bond { amount } => {
            let sent = chain.send("bond", c.bond().value(amount.0)).await?;
            let e = sent.event::<SlaOracle::Bonded>()?;
            let mut out = sent.json();
            out["amount_wei"] = wei(e.amount);
            out["bonded_wei"] = wei(e.bonded);
            Ok(Output::new(
                format!(
                    "bonded {}; bond now {}{}",
                    format_wei(e.amount),
                    format_wei(e.bonded),
                    sent.human_suffix()
                ),
                out,
            ))
        }
        ProviderCommand::Profile(ProfileCommand::Publish { terms }) => {
            let terms = terms_from_args(&terms)?;
            let sent = chain
                .send("publishProfile", c.publishProfile((&terms).into()))
                .await?;
            let e = sent.event::<SlaOracle::ProfilePublished>()?;
            let mut out = sent.json();
            out["profile_id"] = json!(e.profileId);
            out["terms_hash"] = json!(e.termsHash.to_string());
            out["terms"] = serde_json::to_value(&terms)?;
            Ok(Output::new(
                format!(
                    "published profile {} (terms hash {}){}",
                    e.profileId,
                    e.termsHash,
                    sent.human_suffix()
                ),
                out,
            ))
        }
        ProviderCommand::Allocation(ProviderAllocationCommand::Accept { id }) => {
            let sent = chain
                .send("acceptAllocation", c.acceptAllocation(id))
                .await?;
            let e = sent.event::<SlaOracle::AllocationAccepted>()?;
            let mut out = sent.json();
            out["data_unit_id"] = json!(e.dataUnitId);
            out["active_from_epoch"] = json!(e.activeFromEpoch);
            Ok(Output::new(
                format!(
                    "accepted allocation {}, active from epoch {}{}",
                    e.dataUnitId,
                    e.activeFromEpoch,
                    sent.human_suffix()
                ),
                out,
            ))
        }
        ProviderCommand::Allocation(ProviderAllocationCommand::Decline { id }) => {
            let sent = chain
                .send("declineAllocation", c.declineAllocation(id))
                .await?;
            let e = sent.event::<SlaOracle::AllocationDeclined>()?;
            let mut out = sent.json();
            out["data_unit_id"] = json!(e.dataUnitId);
            Ok(Output::new(
                format!(
                    "declined allocation {}{}",
                    e.dataUnitId,
                    sent.human_suffix()
                ),
                out,
            ))
        }
        ProviderCommand::Allocation(ProviderAllocationCommand::Close { id }) => {
            close(&chain, id).await
        }
        ProviderCommand::Unbond { amount } => {
            let sent = chain
                .send("requestUnbond", c.requestUnbond(amount.0))
                .await?;
            let e = sent.event::<SlaOracle::UnbondRequested>()?;
            let mut out = sent.json();
            out["amount_wei"] = wei(e.amount);
            out["bonded_wei"] = wei(e.bonded);
            out["unbonding_wei"] = wei(e.unbonding);
            out["release_at"] = json!(e.releaseAt);
            Ok(Output::new(
                format!(
                    "unbonding {}; bonded {}, unbonding {} until {} (unix time){}",
                    format_wei(e.amount),
                    format_wei(e.bonded),
                    format_wei(e.unbonding),
                    e.releaseAt,
                    sent.human_suffix()
                ),
                out,
            ))
        }
        ProviderCommand::WithdrawUnbonded => {
            let sent = chain.send("withdrawUnbonded", c.withdrawUnbonded()).await?;
            let e = sent.event::<SlaOracle::UnbondedWithdrawn>()?;
            let mut out = sent.json();
            out["amount_wei"] = wei(e.amount);
            Ok(Output::new(
                format!(
                    "withdrew {} of released stake{}",
                    format_wei(e.amount),
                    sent.human_suffix()
                ),
                out,
            ))
        }
    }
}

pub(super) async fn consumer(cmd: ConsumerCommand, args: &ChainArgs) -> anyhow::Result<Output> {
    let chain = Chain::connect(args).await?;
    let c = &chain.contract;
    match cmd {
        ConsumerCommand::Allocate {
            provider,
            profile,
            terms,
        } => {
            let sent: Sent = match (provider, profile) {
                (_, Some(profile)) => {
                    if terms.any() {
                        bail!("--profile takes the profile's terms; do not give terms as well");
                    }
                    chain
                        .send(
                            "requestAllocationFromProfile",
                            c.requestAllocationFromProfile(profile),
                        )
                        .await?
                }
                (Some(provider), None) => {
                    let terms = terms_from_args(&terms)?;
                    chain
                        .send(
                            "requestAllocation",
                            c.requestAllocation(provider, (&terms).into()),
                        )
                        .await?
                }
                (None, None) => bail!("give --provider ADDRESS (with terms) or --profile ID"),
            };
            let e = sent.event::<SlaOracle::AllocationRequested>()?;
            let mut out = sent.json();
            out["data_unit_id"] = json!(e.dataUnitId);
            out["consumer"] = json!(e.consumer.to_checksum(None));
            out["provider"] = json!(e.provider.to_checksum(None));
            out["profile_id"] = json!(e.profileId);
            out["terms_hash"] = json!(e.termsHash.to_string());
            out["expires_at"] = json!(e.expiresAt);
            out["terms"] = serde_json::to_value(SlaTerms::from(&e.terms))?;
            Ok(Output::new(
                format!(
                    "requested allocation {} from provider {}; the provider must accept before {} (unix time){}",
                    e.dataUnitId,
                    e.provider,
                    e.expiresAt,
                    sent.human_suffix()
                ),
                out,
            ))
        }
        ConsumerCommand::Allocation(ConsumerAllocationCommand::Close { id }) => {
            close(&chain, id).await
        }
        ConsumerCommand::Claim { data_unit, epoch } => {
            super::claim::claim(&chain, data_unit, &epoch).await
        }
        ConsumerCommand::Withdraw => {
            let sent = chain.send("withdraw", c.withdraw()).await?;
            let e = sent.event::<SlaOracle::Withdrawn>()?;
            let mut out = sent.json();
            out["amount_wei"] = wei(e.amount);
            out["to"] = json!(e.to.to_checksum(None));
            Ok(Output::new(
                format!(
                    "withdrew {} to {}{}",
                    format_wei(e.amount),
                    e.to,
                    sent.human_suffix()
                ),
                out,
            ))
        }
    }
}

async fn close(chain: &Chain, id: u64) -> anyhow::Result<Output> {
    let sent = chain
        .send("closeAllocation", chain.contract.closeAllocation(id))
        .await?;
    let e = sent.event::<SlaOracle::AllocationClosed>()?;
    let mut out = sent.json();
    out["data_unit_id"] = json!(e.dataUnitId);
    out["closed_epoch"] = json!(e.closedEpoch);
    Ok(Output::new(
        format!(
            "closed allocation {} in epoch {}{}",
            e.dataUnitId,
            e.closedEpoch,
            sent.human_suffix()
        ),
        out,
    ))
}
