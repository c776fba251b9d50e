//! Contract logs into the storage layer's [`ChainEvent`]s: addresses as lowercase `0x` hex,
//! amounts as `u128` wei, terms as `sla_protocol::SlaTerms` JSON, `ResultApplied` unpacked.

use alloy::primitives::{Address, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEventInterface;
use sla_contracts::events::AppliedResult;
use sla_contracts::ISlaOracle;
use sla_contracts::SlaOracle::SlaOracleEvents as E;
use sla_protocol::aggregate::SlaTerms;
use sla_storage::{ChainEvent, ChainLog, MirroredTerms};

use super::error::IndexerError;

/// Lowercase `0x` hex, the form every mirrored table uses.
pub fn address(a: Address) -> String {
    format!("0x{}", hex::encode(a))
}

/// The contract's terms as the protocol crate's type (field for field).
pub fn terms(t: &ISlaOracle::SlaTerms) -> SlaTerms {
    SlaTerms {
        max_read_latency_us: t.maxReadLatencyUs,
        max_write_latency_us: t.maxWriteLatencyUs,
        min_upload_bps: t.minUploadBps,
        min_download_bps: t.minDownloadBps,
        speed_size_bound: t.speedSizeBound,
        min_uptime_bps: t.minUptimeBps,
        uptime_window: t.uptimeWindow,
        max_error_rate_bps: t.maxErrorRateBps,
        reporting_interval: t.reportingInterval,
        penalty_per_epoch: t.penaltyPerEpoch.to::<u128>(),
        weights: t.weights,
    }
}

/// Decodes one log of the contract. `Ok(None)` for events the mirror has no use for
/// (`RoleAdminChanged`, `EIP712DomainChanged`).
pub fn decode_log(log: &Log) -> Result<Option<ChainLog>, IndexerError> {
    let block = log.block_number.unwrap_or_default();
    let log_index = log.log_index.unwrap_or_default();
    let fail = |reason: String| IndexerError::Decode {
        block,
        log_index,
        reason,
    };
    let (Some(_), Some(_), Some(tx_hash)) = (log.block_number, log.log_index, log.transaction_hash)
    else {
        return Err(fail("the node returned a log without its position".into()));
    };
    let event = E::decode_log(&log.inner)
        .map_err(|e| fail(e.to_string()))?
        .data;
    let wei = |v: U256, what: &str| -> Result<u128, IndexerError> {
        u128::try_from(v).map_err(|_| fail(format!("{what} {v} exceeds 128 bits")))
    };
    let mirrored =
        |t: &ISlaOracle::SlaTerms, hash: [u8; 32]| -> Result<MirroredTerms, IndexerError> {
            let terms = terms(t);
            Ok(MirroredTerms {
                hash,
                json: serde_json::to_string(&terms).map_err(|e| fail(e.to_string()))?,
                reporting_interval_s: terms.reporting_interval,
            })
        };
    let event = match event {
        E::ConfigInitialized(e) => ChainEvent::ConfigInitialized {
            admin: address(e.admin),
            genesis_time: e.genesisTime,
            epoch_length: e.epochLength,
            submission_window: e.submissionWindow,
            unbonding_delay: e.unbondingDelay,
            allocation_request_ttl: e.allocationRequestTtl,
        },
        E::OracleConfigSet(e) => ChainEvent::OracleConfigSet {
            config_version: e.configVersion,
            signers: e.signers.iter().copied().map(address).collect(),
            quorum: e.quorum,
        },
        E::ProviderRegistered(e) => ChainEvent::ProviderRegistered {
            provider: address(e.provider),
            provider_id: e.providerId,
            reputation: e.reputation,
        },
        E::Bonded(e) => ChainEvent::Bonded {
            provider: address(e.provider),
            amount: wei(e.amount, "amount")?,
            bonded: wei(e.bonded, "bonded")?,
        },
        E::UnbondRequested(e) => ChainEvent::UnbondRequested {
            provider: address(e.provider),
            amount: wei(e.amount, "amount")?,
            bonded: wei(e.bonded, "bonded")?,
            unbonding: wei(e.unbonding, "unbonding")?,
            release_at: e.releaseAt,
        },
        E::UnbondedWithdrawn(e) => ChainEvent::UnbondedWithdrawn {
            provider: address(e.provider),
            amount: wei(e.amount, "amount")?,
        },
        E::Withdrawn(e) => ChainEvent::Withdrawn {
            account: address(e.account),
            to: address(e.to),
            amount: wei(e.amount, "amount")?,
        },
        E::ProfilePublished(e) => ChainEvent::ProfilePublished {
            profile_id: e.profileId,
            provider: address(e.provider),
            terms: mirrored(&e.terms, e.termsHash.0)?,
        },
        E::ProfileRetired(e) => ChainEvent::ProfileRetired {
            profile_id: e.profileId,
            provider: address(e.provider),
        },
        E::AllocationRequested(e) => ChainEvent::AllocationRequested {
            data_unit: e.dataUnitId,
            consumer: address(e.consumer),
            provider: address(e.provider),
            profile_id: e.profileId,
            terms: mirrored(&e.terms, e.termsHash.0)?,
            expires_at: e.expiresAt,
        },
        E::AllocationAccepted(e) => ChainEvent::AllocationAccepted {
            data_unit: e.dataUnitId,
            provider: address(e.provider),
            active_from_epoch: e.activeFromEpoch,
        },
        E::AllocationDeclined(e) => ChainEvent::AllocationDeclined {
            data_unit: e.dataUnitId,
            provider: address(e.provider),
        },
        E::AllocationClosed(e) => ChainEvent::AllocationClosed {
            data_unit: e.dataUnitId,
            closed_by: address(e.closedBy),
            closed_epoch: e.closedEpoch,
        },
        E::KeyRegistered(e) => ChainEvent::KeyRegistered {
            account: address(e.account),
            key: e.key.0,
            valid_from: e.validFrom,
        },
        E::KeyRevoked(e) => ChainEvent::KeyRevoked {
            account: address(e.account),
            key: e.key.0,
            valid_until: e.validUntil,
        },
        E::ResultApplied(e) => {
            let r = AppliedResult::from(&e);
            ChainEvent::ResultApplied {
                epoch: r.epoch,
                result: sla_protocol::EpochResult {
                    data_unit_id: r.data_unit_id,
                    read_latency_us: r.read_latency_us,
                    write_latency_us: r.write_latency_us,
                    upload_bps: r.upload_bps,
                    download_bps: r.download_bps,
                    uptime_bps: r.uptime_bps,
                    error_rate_bps: r.error_rate_bps,
                    operations: r.operations,
                    violations: r.violations,
                    flags: r.flags,
                    reports_root: r.reports_root.0,
                },
            }
        }
        E::ResultSkipped(e) => ChainEvent::ResultSkipped {
            data_unit: e.dataUnitId,
            epoch: e.epoch,
        },
        E::ReputationUpdated(e) => ChainEvent::ReputationUpdated {
            provider: address(e.provider),
            old_reputation: e.oldReputation,
            new_reputation: e.newReputation,
        },
        E::PenaltyApplied(e) => ChainEvent::PenaltyApplied {
            data_unit: e.dataUnitId,
            epoch: e.epoch,
            provider: address(e.provider),
            consumer: address(e.consumer),
            amount: wei(e.amount, "amount")?,
            from_bonded: wei(e.fromBonded, "fromBonded")?,
            from_unbonding: wei(e.fromUnbonding, "fromUnbonding")?,
        },
        E::ResultsSubmitted(e) => ChainEvent::ResultsSubmitted {
            epoch: e.epoch,
            config_version: e.configVersion,
            results_hash: e.resultsHash.0,
            applied: u64::try_from(e.applied)
                .map_err(|_| fail("applied exceeds 64 bits".into()))?,
            skipped: u64::try_from(e.skipped)
                .map_err(|_| fail("skipped exceeds 64 bits".into()))?,
            submitter: address(e.submitter),
        },
        E::Paused(e) => ChainEvent::Paused {
            account: address(e.account),
        },
        E::Unpaused(e) => ChainEvent::Unpaused {
            account: address(e.account),
        },
        E::RoleGranted(e) => ChainEvent::RoleGranted {
            role: e.role.0,
            account: address(e.account),
            sender: address(e.sender),
        },
        E::RoleRevoked(e) => ChainEvent::RoleRevoked {
            role: e.role.0,
            account: address(e.account),
            sender: address(e.sender),
        },
        E::RoleAdminChanged(_) | E::EIP712DomainChanged(_) => return Ok(None),
    };
    Ok(Some(ChainLog {
        block_number: block,
        log_index,
        tx_hash: tx_hash.0,
        event,
    }))
}
