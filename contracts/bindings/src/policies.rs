//! Penalty policies read back from the chain (docs/policy.md): the contract stores only an agreed
//! policy's hash and first epoch; the policy itself is in the `PolicyProposed` event with that
//! hash, which is fetched and checked against the hash here.

use alloy::primitives::{keccak256, Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolEvent, SolValue};
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
