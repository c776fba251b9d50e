//! Contract logs into the indexer's [`ChainEvent`]s: amounts as `u128` wei, terms as the
//! protocol's `SlaTerms` (the conversions are `sla_contracts::convert`). A `ResultsSubmitted`
//! comes out with no results: the indexer reads them from its transaction or from the
//! `ResultsRelayed` before it ([`super::batch`]).

use alloy::primitives::U256;
use alloy::rpc::types::Log;
use alloy::sol_types::SolEventInterface;
use sla_contracts::ISlaOracle;
use sla_contracts::SlaOracle::SlaOracleEvents as E;
use sla_contracts::SlaPolicies::SlaPoliciesEvents as P;

use super::error::IndexerError;
use super::events::{ChainEvent, ChainLog, EventTerms};

/// The position of a log, or the error that names a log without one.
fn position(log: &Log) -> Result<(u64, u64, [u8; 32]), IndexerError> {
    match (log.block_number, log.log_index, log.transaction_hash) {
        (Some(block), Some(index), Some(tx)) => Ok((block, index, tx.0)),
        _ => Err(IndexerError::Decode {
            block: log.block_number.unwrap_or_default(),
            log_index: log.log_index.unwrap_or_default(),
            reason: "the node returned a log without its position".into(),
        }),
    }
}

/// A `uint256` the contract only ever fills from a list length (so below 2^64), or the error
/// that names the log.
fn u256_to_u64(v: U256, block: u64, log_index: u64, field: &str) -> Result<u64, IndexerError> {
    u64::try_from(v).map_err(|_| IndexerError::Decode {
        block,
        log_index,
        reason: format!("{field} {v} does not fit in 64 bits"),
    })
}

/// Decodes one log of the `SlaPolicies` contract (docs/policy.md).
pub fn decode_policies_log(log: &Log) -> Result<Option<ChainLog>, IndexerError> {
    let (block, log_index, tx_hash) = position(log)?;
    let event = P::decode_log(&log.inner)
        .map_err(|e| IndexerError::Decode {
            block,
            log_index,
            reason: e.to_string(),
        })?
        .data;
    let event = match event {
        P::PolicyProposed(e) => ChainEvent::PolicyProposed {
            data_unit: e.dataUnitId,
            proposer: e.proposer,
            policy_hash: e.policyHash.0,
            policy: (&e.policy).into(),
        },
        P::PolicyAgreed(e) => ChainEvent::PolicyAgreed {
            data_unit: e.dataUnitId,
            agreed_by: e.agreedBy,
            policy_hash: e.policyHash.0,
            from_epoch: e.fromEpoch,
        },
        P::ProfilePolicyOffered(e) => ChainEvent::ProfilePolicyOffered {
            profile_id: e.profileId,
            provider: e.provider,
            policy_hash: e.policyHash.0,
            policy: (&e.policy).into(),
        },
        P::MaintenanceAnnounced(e) => ChainEvent::MaintenanceAnnounced {
            data_unit: e.dataUnitId,
            index: u256_to_u64(e.index, block, log_index, "index")?,
            start_s: e.start,
            end_s: e.end,
        },
        P::MaintenanceCancelled(e) => ChainEvent::MaintenanceCancelled {
            data_unit: e.dataUnitId,
            index: u256_to_u64(e.index, block, log_index, "index")?,
        },
    };
    Ok(Some(ChainLog {
        block_number: block,
        log_index,
        tx_hash,
        event,
    }))
}

/// Decodes one log of the contract. `Ok(None)` for events the mirror has no use for
/// (`RoleAdminChanged`, `EIP712DomainChanged`, `CourtSet`).
pub fn decode_log(log: &Log) -> Result<Option<ChainLog>, IndexerError> {
    let (block, log_index, tx_hash) = position(log)?;
    let fail = |reason: String| IndexerError::Decode {
        block,
        log_index,
        reason,
    };
    let event = E::decode_log(&log.inner)
        .map_err(|e| fail(e.to_string()))?
        .data;
    let wei = |v: U256, what: &str| -> Result<u128, IndexerError> {
        u128::try_from(v).map_err(|_| fail(format!("{what} {v} exceeds 128 bits")))
    };
    let terms = |t: &ISlaOracle::SlaTerms, hash: [u8; 32]| EventTerms {
        hash,
        terms: t.into(),
    };
    let event = match event {
        E::ConfigInitialized(e) => ChainEvent::ConfigInitialized {
            admin: e.admin,
            genesis_time: e.genesisTime,
            epoch_length: e.epochLength,
            submission_window: e.submissionWindow,
            unbonding_delay: e.unbondingDelay,
            allocation_request_ttl: e.allocationRequestTtl,
        },
        E::OracleConfigSet(e) => ChainEvent::OracleConfigSet {
            config_version: e.configVersion,
            signers: e.signers.clone(),
            quorum: e.quorum,
        },
        E::ProviderRegistered(e) => ChainEvent::ProviderRegistered {
            provider: e.provider,
            provider_id: e.providerId,
            reputation: e.reputation,
        },
        E::Bonded(e) => ChainEvent::Bonded {
            provider: e.provider,
            amount: wei(e.amount, "amount")?,
            bonded: wei(e.bonded, "bonded")?,
        },
        E::UnbondRequested(e) => ChainEvent::UnbondRequested {
            provider: e.provider,
            amount: wei(e.amount, "amount")?,
            bonded: wei(e.bonded, "bonded")?,
            unbonding: wei(e.unbonding, "unbonding")?,
            release_at: e.releaseAt,
        },
        E::UnbondedWithdrawn(e) => ChainEvent::UnbondedWithdrawn {
            provider: e.provider,
            amount: wei(e.amount, "amount")?,
        },
        E::Withdrawn(e) => ChainEvent::Withdrawn {
            account: e.account,
            to: e.to,
            amount: wei(e.amount, "amount")?,
        },
        E::ProfilePublished(e) => ChainEvent::ProfilePublished {
            profile_id: e.profileId,
            provider: e.provider,
            terms: terms(&e.terms, e.termsHash.0),
        },
        E::ProfileRetired(e) => ChainEvent::ProfileRetired {
            profile_id: e.profileId,
            provider: e.provider,
        },
        E::AllocationRequested(e) => ChainEvent::AllocationRequested {
            data_unit: e.dataUnitId,
            consumer: e.consumer,
            provider: e.provider,
            profile_id: e.profileId,
            terms: terms(&e.terms, e.termsHash.0),
            expires_at: e.expiresAt,
        },
        E::AllocationAccepted(e) => ChainEvent::AllocationAccepted {
            data_unit: e.dataUnitId,
            provider: e.provider,
            active_from_epoch: e.activeFromEpoch,
        },
        E::AllocationDeclined(e) => ChainEvent::AllocationDeclined {
            data_unit: e.dataUnitId,
            provider: e.provider,
        },
        E::AllocationClosed(e) => ChainEvent::AllocationClosed {
            data_unit: e.dataUnitId,
            closed_by: e.closedBy,
            closed_epoch: e.closedEpoch,
        },
        E::KeyRegistered(e) => ChainEvent::KeyRegistered {
            account: e.account,
            key: e.key.0,
            valid_from: e.validFrom,
        },
        E::KeyRevoked(e) => ChainEvent::KeyRevoked {
            account: e.account,
            key: e.key.0,
            valid_until: e.validUntil,
        },
        E::ReputationUpdated(e) => ChainEvent::ReputationUpdated {
            provider: e.provider,
            old_reputation: e.oldReputation,
            new_reputation: e.newReputation,
        },
        E::PenaltiesEscrowed(e) => ChainEvent::PenaltiesEscrowed {
            provider: e.provider,
            epoch: e.epoch,
            amount: wei(e.amount, "amount")?,
            from_bonded: wei(e.fromBonded, "fromBonded")?,
            from_unbonding: wei(e.fromUnbonding, "fromUnbonding")?,
        },
        E::PenaltyClaimed(e) => ChainEvent::PenaltyClaimed {
            data_unit: e.dataUnitId,
            epoch: e.epoch,
            consumer: e.consumer,
            amount: wei(e.amount, "amount")?,
        },
        E::ResultsRelayed(e) => ChainEvent::ResultsRelayed {
            results_hash: e.resultsHash.0,
            packed_results: e.packedResults.to_vec(),
        },
        E::ResultsSubmitted(e) => ChainEvent::ResultsSubmitted {
            epoch: e.epoch,
            config_version: e.configVersion,
            results_hash: e.resultsHash.0,
            applied: u64::try_from(e.applied)
                .map_err(|_| fail("applied exceeds 64 bits".into()))?,
            skipped: u64::try_from(e.skipped)
                .map_err(|_| fail("skipped exceeds 64 bits".into()))?,
            submitter: e.submitter,
            results: Vec::new(),
        },
        E::Paused(e) => ChainEvent::Paused { account: e.account },
        E::Unpaused(e) => ChainEvent::Unpaused { account: e.account },
        E::RoleGranted(e) => ChainEvent::RoleGranted {
            role: e.role.0,
            account: e.account,
            sender: e.sender,
        },
        E::RoleRevoked(e) => ChainEvent::RoleRevoked {
            role: e.role.0,
            account: e.account,
            sender: e.sender,
        },
        E::ProviderSlashed(e) => ChainEvent::ProviderSlashed {
            provider: e.provider,
            amount: wei(e.amount, "amount")?,
            from_bonded: wei(e.fromBonded, "fromBonded")?,
            from_unbonding: wei(e.fromUnbonding, "fromUnbonding")?,
        },
        E::SlashCredited(e) => ChainEvent::SlashCredited {
            consumer: e.consumer,
            amount: wei(e.amount, "amount")?,
        },
        E::ProviderSuspended(e) => ChainEvent::ProviderSuspended {
            provider: e.provider,
            until: e.until,
        },
        // The mirror keeps no court binding: the contract checks it itself.
        E::RoleAdminChanged(_) | E::EIP712DomainChanged(_) | E::CourtSet(_) => return Ok(None),
    };
    Ok(Some(ChainLog {
        block_number: block,
        log_index,
        tx_hash,
        event,
    }))
}
