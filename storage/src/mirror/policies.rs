//! Penalty policies mirrored from the `SlaPolicies` contract (docs/policy.md): the proposals and
//! the profiles' offers with their whole policy, and the one agreed policy of a data unit (agreed
//! to a proposal or adopted from its profile's offer), which the aggregator judges by.

use std::collections::BTreeMap;

use alloy_primitives::Address;
use sla_protocol::policy::{AgreedPolicy, Policy};

use super::rows::origin_binds;
use super::types::ChainOrigin;
use super::{MirrorStore, MirrorWrite};
use crate::backend::on_conn;
use crate::error::{corrupt, Result};
use crate::rows::{address_text, At};

/// A `PolicyProposed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProposal {
    /// The data unit.
    pub data_unit: u64,
    /// Its consumer or provider.
    pub proposer: Address,
    /// `keccak256(abi.encode(policy))`, as the event says.
    pub policy_hash: [u8; 32],
    /// The policy.
    pub policy: Policy,
    /// The event.
    pub origin: ChainOrigin,
}

/// A `PolicyAgreed`, with the policy of the proposal it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredPolicy {
    /// The data unit.
    pub data_unit: u64,
    /// The policy's hash.
    pub policy_hash: [u8; 32],
    /// The first epoch it judges.
    pub from_epoch: u64,
    /// The party that agreed.
    pub agreed_by: Address,
    /// The policy.
    pub policy: Policy,
    /// The event.
    pub origin: ChainOrigin,
}

/// A `ProfilePolicyOffered`: a provider's policy on one of its SLA profiles, which the
/// consumer of an allocation from the profile adopts by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePolicyOffer {
    /// The profile.
    pub profile_id: u64,
    /// Its provider.
    pub provider: Address,
    /// `keccak256(abi.encode(policy))`, as the event says.
    pub policy_hash: [u8; 32],
    /// The policy.
    pub policy: Policy,
    /// The event.
    pub origin: ChainOrigin,
}

impl MirroredPolicy {
    /// The policy and the epoch it judges from, as the aggregation rules take them.
    pub fn agreed(&self) -> AgreedPolicy {
        AgreedPolicy {
            policy: self.policy,
            from_epoch: self.from_epoch,
        }
    }
}

fn policy_json(table: &'static str, id: u64, policy: &Policy) -> Result<String> {
    serde_json::to_string(policy).map_err(|e| corrupt(table, format!("id={id}"), e.to_string()))
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    data_unit: i64,
    policy_hash: Vec<u8>,
    from_epoch: i64,
    agreed_by: String,
    policy_json: String,
    block_number: i64,
    log_index: Option<i64>,
    tx_hash: Option<Vec<u8>>,
}

const POLICY_COLUMNS: &str =
    "data_unit, policy_hash, from_epoch, agreed_by, policy_json, block_number, log_index, tx_hash";

impl PolicyRow {
    fn into_domain(self) -> Result<MirroredPolicy> {
        let row = format!("data_unit={}", self.data_unit);
        let at = At {
            table: "chain_policies",
            row: &row,
        };
        Ok(MirroredPolicy {
            data_unit: self.data_unit as u64,
            policy_hash: at.bytes32("policy_hash", &self.policy_hash)?,
            from_epoch: self.from_epoch as u64,
            agreed_by: at.address("agreed_by", &self.agreed_by)?,
            policy: at.json("policy_json", &self.policy_json)?,
            origin: ChainOrigin {
                block_number: self.block_number as u64,
                log_index: self.log_index.map(|v| v as u64),
                tx_hash: self
                    .tx_hash
                    .as_deref()
                    .map(|h| at.bytes32("tx_hash", h))
                    .transpose()?,
            },
        })
    }
}

impl MirrorWrite {
    /// Records a proposal.
    pub async fn insert_policy_proposal(&mut self, p: &PolicyProposal) -> Result<()> {
        let json = policy_json("chain_policy_proposals", p.data_unit, &p.policy)?;
        let (block, log, tx) = origin_binds(&p.origin);
        on_conn!(self.tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO chain_policy_proposals (data_unit, proposer, policy_hash, \
                 policy_json, block_number, log_index, tx_hash) VALUES ($1,$2,$3,$4,$5,$6,$7)",
            )
            .bind(p.data_unit as i64)
            .bind(address_text(&p.proposer))
            .bind(p.policy_hash.as_slice())
            .bind(json)
            .bind(block)
            .bind(log)
            .bind(tx)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The policy of the newest proposal of `data_unit` with `policy_hash`.
    pub async fn policy_proposal(
        &mut self,
        data_unit: u64,
        policy_hash: &[u8; 32],
    ) -> Result<Option<Policy>> {
        let json: Option<String> = on_conn!(self.tx.conn(), |c| {
            sqlx::query_scalar(
                "SELECT policy_json FROM chain_policy_proposals WHERE data_unit = $1 \
                 AND policy_hash = $2 ORDER BY block_number DESC, log_index DESC LIMIT 1",
            )
            .bind(data_unit as i64)
            .bind(policy_hash.as_slice())
            .fetch_optional(&mut *c)
            .await?
        });
        let row = format!("data_unit={data_unit}");
        let at = At {
            table: "chain_policy_proposals",
            row: &row,
        };
        json.map(|j| at.json("policy_json", &j)).transpose()
    }

    /// Records a policy offered on a profile.
    pub async fn insert_profile_policy_offer(&mut self, p: &ProfilePolicyOffer) -> Result<()> {
        let json = policy_json("chain_profile_policies", p.profile_id, &p.policy)?;
        let (block, log, tx) = origin_binds(&p.origin);
        on_conn!(self.tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO chain_profile_policies (profile_id, provider, policy_hash, \
                 policy_json, block_number, log_index, tx_hash) VALUES ($1,$2,$3,$4,$5,$6,$7)",
            )
            .bind(p.profile_id as i64)
            .bind(address_text(&p.provider))
            .bind(p.policy_hash.as_slice())
            .bind(json)
            .bind(block)
            .bind(log)
            .bind(tx)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// The policy of the newest profile offer with `policy_hash` (a hash names one policy,
    /// whichever profile offered it).
    pub async fn profile_policy_offer(&mut self, policy_hash: &[u8; 32]) -> Result<Option<Policy>> {
        let json: Option<String> = on_conn!(self.tx.conn(), |c| {
            sqlx::query_scalar(
                "SELECT policy_json FROM chain_profile_policies WHERE policy_hash = $1 \
                 ORDER BY block_number DESC, log_index DESC LIMIT 1",
            )
            .bind(policy_hash.as_slice())
            .fetch_optional(&mut *c)
            .await?
        });
        let row = format!("policy_hash={}", hex::encode(policy_hash));
        let at = At {
            table: "chain_profile_policies",
            row: &row,
        };
        json.map(|j| at.json("policy_json", &j)).transpose()
    }

    /// Records a data unit's agreed policy.
    pub async fn insert_agreed_policy(&mut self, p: &MirroredPolicy) -> Result<()> {
        let json = policy_json("chain_policies", p.data_unit, &p.policy)?;
        let (block, log, tx) = origin_binds(&p.origin);
        on_conn!(self.tx.conn(), |c| {
            sqlx::query(&format!(
                "INSERT INTO chain_policies ({POLICY_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
            ))
            .bind(p.data_unit as i64)
            .bind(p.policy_hash.as_slice())
            .bind(p.from_epoch as i64)
            .bind(address_text(&p.agreed_by))
            .bind(json)
            .bind(block)
            .bind(log)
            .bind(tx)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }
}

impl MirrorStore {
    /// Every agreed policy, by data unit.
    pub async fn agreed_policies(&self) -> Result<BTreeMap<u64, MirroredPolicy>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<PolicyRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&format!(
                "SELECT {POLICY_COLUMNS} FROM chain_policies ORDER BY data_unit"
            ))
            .fetch_all(&mut *c)
            .await?
        });
        rows.into_iter()
            .map(|r| r.into_domain().map(|p| (p.data_unit, p)))
            .collect()
    }

    /// The agreed policy of a data unit.
    pub async fn agreed_policy(&self, data_unit: u64) -> Result<Option<MirroredPolicy>> {
        let mut conn = self.db.backend().read().await?;
        let row: Option<PolicyRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&format!(
                "SELECT {POLICY_COLUMNS} FROM chain_policies WHERE data_unit = $1"
            ))
            .bind(data_unit as i64)
            .fetch_optional(&mut *c)
            .await?
        });
        row.map(PolicyRow::into_domain).transpose()
    }
}
