//! Penalty policies read back from the chain (docs/policy.md): the contract stores only an agreed
//! policy's hash and first epoch; the policy itself is in the `PolicyProposed` event with that
//! hash (or, for a policy adopted from an SLA profile's offer, the profile's
//! `ProfilePolicyOffered` event with that hash), which is fetched and checked against the hash
//! here. Also the maintenance windows that
//! providers announce under a policy's maintenance terms, as the contract lists them.

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolEvent, SolValue};
use serde::{Deserialize, Serialize};
use sla_protocol::aggregate;
use sla_protocol::policy::{AgreedPolicy, Policy};

use crate::{Error, ISlaPolicies, Result, SlaOracle, SlaPolicies};

/// `keccak256(abi.encode(policy))`, the contract's `policyHash`.
pub fn policy_hash(policy: &Policy) -> [u8; 32] {
    keccak256(ISlaPolicies::Policy::from(policy).abi_encode()).0
}

/// The agreed policy of `data_unit` (`None`: none agreed): `policyOf` for its hash and first
/// epoch, and for the policy the event that carries it (searched from `from_block`), whose hash
/// must be the agreed one: the data unit's `PolicyProposed` with that hash when the policy was
/// proposed and agreed; otherwise (it was adopted from a profile, `adoptProfilePolicy`) the
/// `ProfilePolicyOffered` with that hash of the profile the allocation was made from (the oracle's
/// `getAllocation`).
pub async fn agreed_policy_of<P: Provider>(
    provider: &P,
    policies: Address,
    from_block: u64,
    data_unit: u64,
) -> Result<Option<AgreedPolicy>> {
    let contract = SlaPolicies::new(policies, provider);
    let agreed = contract.policyOf(data_unit).call().await?;
    if agreed.policyHash_.is_zero() {
        return Ok(None);
    }
    let hash = agreed.policyHash_;
    let filter = Filter::new()
        .address(policies)
        .event_signature(SlaPolicies::PolicyProposed::SIGNATURE_HASH)
        .topic1(U256::from(data_unit))
        .topic3(hash)
        .from_block(from_block);
    let policy = match provider.get_logs(&filter).await?.first() {
        Some(log) => {
            let event = log
                .log_decode::<SlaPolicies::PolicyProposed>()
                .map_err(|e| Error::Log("PolicyProposed", e.to_string()))?
                .inner
                .data;
            checked("PolicyProposed", &event.policy, hash.0)?
        }
        None => {
            // Not proposed for the data unit: adopted from its profile's offer, which is the only
            // other way a hash gets agreed.
            let oracle = contract.oracle().call().await?;
            let profile_id = SlaOracle::new(oracle, provider)
                .getAllocation(data_unit)
                .call()
                .await?
                .profileId;
            let offered = if profile_id == 0 {
                None
            } else {
                offered_policy(provider, policies, from_block, profile_id, hash.0).await?
            };
            offered.ok_or_else(|| {
                Error::Log(
                    "PolicyProposed",
                    format!(
                        "no proposal of data unit {data_unit} and no offer of its profile \
                         {profile_id} with the agreed hash {hash}"
                    ),
                )
            })?
        }
    };
    Ok(Some(AgreedPolicy {
        policy,
        from_epoch: agreed.fromEpoch,
    }))
}

/// The policy currently offered on SLA profile `profile_id` (`None`: none): `profilePolicyOf`
/// for its hash, and the `ProfilePolicyOffered` event of that profile and hash (searched from
/// `from_block`) for the policy, whose hash must be the offered one.
pub async fn profile_policy_of<P: Provider>(
    provider: &P,
    policies: Address,
    from_block: u64,
    profile_id: u64,
) -> Result<Option<([u8; 32], Policy)>> {
    let hash = SlaPolicies::new(policies, provider)
        .profilePolicyOf(profile_id)
        .call()
        .await?;
    if hash.is_zero() {
        return Ok(None);
    }
    let policy = offered_policy(provider, policies, from_block, profile_id, hash.0)
        .await?
        .ok_or_else(|| {
            Error::Log(
                "ProfilePolicyOffered",
                format!("no offer on profile {profile_id} with the hash {hash}"),
            )
        })?;
    Ok(Some((hash.0, policy)))
}

/// The policy of the `ProfilePolicyOffered` event of `profile_id` with `hash` (`None`: no such
/// event since `from_block`), checked against the hash. A profile may have offered the same
/// policy more than once: any of those events will do.
async fn offered_policy<P: Provider>(
    provider: &P,
    policies: Address,
    from_block: u64,
    profile_id: u64,
    hash: [u8; 32],
) -> Result<Option<Policy>> {
    let filter = Filter::new()
        .address(policies)
        .event_signature(SlaPolicies::ProfilePolicyOffered::SIGNATURE_HASH)
        .topic1(U256::from(profile_id))
        .topic3(B256::from(hash))
        .from_block(from_block);
    let Some(log) = provider.get_logs(&filter).await?.into_iter().next() else {
        return Ok(None);
    };
    let event = log
        .log_decode::<SlaPolicies::ProfilePolicyOffered>()
        .map_err(|e| Error::Log("ProfilePolicyOffered", e.to_string()))?
        .inner
        .data;
    checked("ProfilePolicyOffered", &event.policy, hash).map(Some)
}

/// The policy of an event named `event`, if it hashes to `hash`.
fn checked(event: &'static str, policy: &ISlaPolicies::Policy, hash: [u8; 32]) -> Result<Policy> {
    let policy = Policy::from(policy);
    if policy_hash(&policy) != hash {
        return Err(Error::Log(
            event,
            format!("its policy does not hash to {}", B256::from(hash)),
        ));
    }
    Ok(policy)
}

/// One maintenance window of a data unit, as `SlaPolicies.maintenanceWindows` lists it: the
/// Unix seconds `[start_s, end_s)`, at `index` in the data unit's list (the index
/// `MaintenanceAnnounced` named and `cancelMaintenance` takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    /// Its position in the data unit's list, from 0, in the order of announcement (which is
    /// also time order: a window starts at or after the end of the latest one not cancelled).
    pub index: u64,
    /// Its first second.
    pub start_s: u64,
    /// The second after its last (`end_s > start_s`).
    pub end_s: u64,
    /// Cancelled by the provider before its epoch began: it excludes nothing.
    pub cancelled: bool,
}

impl MaintenanceWindow {
    /// The window as the aggregation excludes records by it; `None` when it is cancelled.
    pub fn counted(&self) -> Option<aggregate::MaintenanceWindow> {
        (!self.cancelled).then_some(aggregate::MaintenanceWindow {
            start_s: self.start_s,
            end_s: self.end_s,
        })
    }
}

/// Every maintenance window announced for `data_unit` (`maintenanceWindows`), cancelled ones
/// included, by index. Empty for a data unit without windows, and for an unknown one.
pub async fn maintenance_windows_of<P: Provider>(
    provider: &P,
    policies: Address,
    data_unit: u64,
) -> Result<Vec<MaintenanceWindow>> {
    let windows = SlaPolicies::new(policies, provider)
        .maintenanceWindows(data_unit)
        .call()
        .await?;
    Ok(windows
        .into_iter()
        .zip(0u64..)
        .map(|(w, index)| MaintenanceWindow {
            index,
            start_s: w.start,
            end_s: w.end,
            cancelled: w.cancelled,
        })
        .collect())
}
