//! `sla show …`: read-only views of the contract (no account needed).

use alloy::primitives::B256;
use serde_json::json;
use sla_protocol::SlaTerms;

use crate::args::{ChainArgs, ShowCommand};
use crate::chain::units::{format_wei, utc};
use crate::chain::Chain;
use crate::commands::key::public_key;
use crate::output::Output;

/// Names of `ISlaOracle.AllocationStatus`.
fn status_name(status: u8) -> &'static str {
    match status {
        0 => "None",
        1 => "Requested",
        2 => "Active",
        3 => "Declined",
        4 => "Closed",
        5 => "Expired",
        _ => "Unknown",
    }
}

pub(super) async fn run(cmd: ShowCommand, args: &ChainArgs) -> anyhow::Result<Output> {
    let mut chain = Chain::connect(args).await?;
    chain.pin().await?;
    let c = &chain.contract;
    match cmd {
        ShowCommand::Allocation { id } => {
            let info = chain.view("getAllocation", c.getAllocation(id)).await?;
            let status = status_name(info.status);
            let terms = if info.status == 0 {
                serde_json::Value::Null
            } else {
                let t = chain.view("allocationTerms", c.allocationTerms(id)).await?;
                serde_json::to_value(SlaTerms::from(&t))?
            };
            let out = json!({
                "data_unit_id": id,
                "status": status,
                "consumer": info.consumer.to_checksum(None),
                "provider": info.provider.to_checksum(None),
                "profile_id": info.profileId,
                "terms_hash": info.termsHash.to_string(),
                "requested_at": info.requestedAt,
                "expires_at": info.expiresAt,
                "accepted_at": info.acceptedAt,
                "closed_at": info.closedAt,
                "active_from_epoch": info.activeFromEpoch,
                "closed_epoch": info.closedEpoch,
                "terms": terms,
            });
            if info.status == 0 {
                return Ok(Output::new(format!("allocation {id} does not exist"), out));
            }
            let epoch = |e: u64| {
                if e == u64::MAX {
                    "-".to_owned()
                } else {
                    e.to_string()
                }
            };
            let mut human = vec![
                format!("allocation {id}: {status}"),
                format!("  consumer   {}", info.consumer),
                format!("  provider   {}", info.provider),
                format!(
                    "  profile    {}",
                    if info.profileId == 0 {
                        "none (the consumer's own terms)".to_owned()
                    } else {
                        info.profileId.to_string()
                    }
                ),
                format!(
                    "  requested  {}, expires {}",
                    utc(info.requestedAt),
                    utc(info.expiresAt)
                ),
                format!(
                    "  accepted   {}, closed {}",
                    utc(info.acceptedAt),
                    utc(info.closedAt)
                ),
                format!(
                    "  epochs     active from {}, closed {}",
                    epoch(info.activeFromEpoch),
                    epoch(info.closedEpoch)
                ),
                format!(
                    "  terms      {} (hash {})",
                    serde_json::to_string(&terms)?,
                    info.termsHash
                ),
            ];
            if let Some(block) = chain.block() {
                human.push(format!("  as of block {block}"));
            }
            Ok(Output::new(human.join("\n"), out))
        }
        ShowCommand::Provider { address } => {
            let account = chain.account_or(address)?;
            let p = chain.view("providerInfo", c.providerInfo(account)).await?;
            let out = json!({
                "provider": account.to_checksum(None),
                "provider_id": p.providerId,
                "reputation": p.reputation,
                "bonded_wei": p.bonded.to_string(),
                "unbonding_wei": p.unbonding.to_string(),
                "unbonding_release_at": p.unbondingReleaseAt,
            });
            Ok(Output::new(
                format!(
                    "provider {account}: id {}, reputation {}, bonded {}, unbonding {} (release at {})",
                    p.providerId,
                    p.reputation,
                    format_wei(alloy::primitives::U256::from(p.bonded)),
                    format_wei(alloy::primitives::U256::from(p.unbonding)),
                    p.unbondingReleaseAt
                ),
                out,
            ))
        }
        ShowCommand::Profile { id } => {
            let p = chain.view("getProfile", c.getProfile(id)).await?;
            let out = json!({
                "profile_id": id,
                "provider": p.provider.to_checksum(None),
                "retired": p.retired,
                "terms_hash": p.termsHash.to_string(),
                "terms": SlaTerms::from(&p.terms),
            });
            Ok(Output::new(
                format!(
                    "profile {id} of {}{}: terms {}",
                    p.provider,
                    if p.retired { " (retired)" } else { "" },
                    serde_json::to_string(&SlaTerms::from(&p.terms))?
                ),
                out,
            ))
        }
        ShowCommand::Key { key } => {
            let key = B256::from(public_key(&key)?);
            let info = chain.view("keyInfo", c.keyInfo(key)).await?;
            let out = json!({
                "public_key": hex::encode(key),
                "owner": info.owner.to_checksum(None),
                "valid_from": info.validFrom,
                "valid_until": info.validUntil,
            });
            let human = if info.owner.is_zero() {
                format!("key {} is not registered", hex::encode(key))
            } else if info.validUntil == 0 {
                format!(
                    "key {} of {}, valid from {}",
                    hex::encode(key),
                    info.owner,
                    info.validFrom
                )
            } else {
                format!(
                    "key {} of {}, valid from {} until {} (revoked)",
                    hex::encode(key),
                    info.owner,
                    info.validFrom,
                    info.validUntil
                )
            };
            Ok(Output::new(human, out))
        }
        ShowCommand::Balance { address } => {
            let account = chain.account_or(address)?;
            let amount = chain
                .view("withdrawableOf", c.withdrawableOf(account))
                .await?;
            Ok(Output::new(
                format!("{account} can withdraw {}", format_wei(amount)),
                json!({ "account": account.to_checksum(None), "withdrawable_wei": amount.to_string() }),
            ))
        }
    }
}
