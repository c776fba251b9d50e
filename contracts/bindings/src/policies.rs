//! Penalty policies read back from the chain (docs/policy.md): the contract stores only an agreed
//! policy's hash and first epoch; the policy itself is in the `PolicyProposed` event with that
//! hash, which is fetched and checked against the hash here. Also the maintenance windows that
//! providers announce under a policy's maintenance terms, as the contract lists them.

use alloy::primitives::{keccak256, Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolEvent, SolValue};
use serde::{Deserialize, Serialize};
use sla_protocol::aggregate;
use sla_protocol::policy::{AgreedPolicy, Policy};

use crate::{Error, ISlaPolicies, Result, SlaPolicies};

/// `keccak256(abi.encode(policy))`, the contract's `policyHash`.
pub fn policy_hash(policy: &Policy) -> [u8; 32] {
    keccak256(ISlaPolicies::Policy::from(policy).abi_encode()).0
}

/// The agreed policy of `data_unit` (`None`: none agreed): `policyOf` for its hash and first
/// epoch, and the `PolicyProposed` event of that hash (searched from `from_block`) for the policy,
/// whose hash must be the agreed one.
pub async fn agreed_policy_of<P: Provider>(
    provider: &P,
    policies: Address,
    from_block: u64,
    data_unit: u64,
) -> Result<Option<AgreedPolicy>> {
    let agreed = SlaPolicies::new(policies, provider)
        .policyOf(data_unit)
        .call()
        .await?;
    if agreed.policyHash_.is_zero() {
        return Ok(None);
    }
    let filter = Filter::new()
        .address(policies)
        .event_signature(SlaPolicies::PolicyProposed::SIGNATURE_HASH)
        .topic1(U256::from(data_unit))
        .topic3(agreed.policyHash_)
        .from_block(from_block);
    let logs = provider.get_logs(&filter).await?;
    let log = logs.first().ok_or_else(|| {
        Error::Log(
            "PolicyProposed",
            format!(
                "no proposal of data unit {data_unit} with the agreed hash {}",
                agreed.policyHash_
            ),
        )
    })?;
    let event = log
        .log_decode::<SlaPolicies::PolicyProposed>()
        .map_err(|e| Error::Log("PolicyProposed", e.to_string()))?
        .inner
        .data;
    let policy = Policy::from(&event.policy);
    if policy_hash(&policy) != agreed.policyHash_.0 {
        return Err(Error::Log(
            "PolicyProposed",
            format!("its policy does not hash to {}", agreed.policyHash_),
        ));
    }
    Ok(Some(AgreedPolicy {
        policy,
        from_epoch: agreed.fromEpoch,
    }))
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
