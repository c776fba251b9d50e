//! What each event of the contract does to the mirror, and how a rollback undoes blocks: the
//! contract's semantics, applied through the storage's unit of work ([`MirrorWrite`]) inside one
//! transaction per block range.

use std::collections::BTreeMap;

use alloy::primitives::Address;
use sla_protocol::aggregate::MaintenanceWindow;
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_storage::mirror::{
    AnnouncedWindow, ChainBlock, ChainOrigin, ContractConfig, MirroredAllocation, MirroredPolicy,
    OracleConfig, PolicyProposal, Profile, ProfilePolicyOffer, ProviderState, ResultBatch,
};
use sla_storage::MirrorWrite;

use super::batch_apply::{apply_batch, Escrow, PendingEscrows};
use super::error::IndexerError;
use super::events::{ApplyOutcome, ChainEvent, ChainLog, ChainRange};

type Result<T, E = IndexerError> = std::result::Result<T, E>;

/// Stored block hashes kept whatever the window, so that a reorg after a long quiet stretch
/// (sparse range ends) still finds a recent common block before falling back to a full re-read.
const ALWAYS_KEPT_BLOCKS: u32 = 32;

pub(super) fn inconsistent(what: String) -> IndexerError {
    IndexerError::MirrorMismatch(what)
}

/// Applies a block range and moves the cursor, inside the caller's transaction.
pub(super) async fn apply_range(m: &mut MirrorWrite, range: &ChainRange) -> Result<ApplyOutcome> {
    let cursor = m.lock_cursor().await?;
    if let Some(cursor) = cursor {
        if range.from_block != cursor.number + 1 {
            return Ok(ApplyOutcome::CursorMismatch {
                cursor: Some(cursor),
            });
        }
    }
    if range.to.number < range.from_block {
        return Err(inconsistent(format!(
            "range {}..={} is empty",
            range.from_block, range.to.number
        )));
    }
    let mut blocks: BTreeMap<u64, ChainBlock> = BTreeMap::new();
    for block in range.blocks.iter().chain(std::iter::once(&range.to)) {
        if block.number < range.from_block || block.number > range.to.number {
            return Err(inconsistent(format!(
                "block {} outside range {}..={}",
                block.number, range.from_block, range.to.number
            )));
        }
        blocks.insert(block.number, *block);
    }
    for block in blocks.values() {
        m.put_block(block).await?;
    }
    let mut pending = PendingEscrows::default();
    for log in &range.logs {
        let block = blocks.get(&log.block_number).ok_or_else(|| {
            inconsistent(format!(
                "no block given for the log at block {}",
                log.block_number
            ))
        })?;
        apply_log(m, log, block.timestamp_ms, &mut pending).await?;
    }
    pending.require_empty()?;
    expire_requests(m, &range.to).await?;
    m.set_cursor(Some(&range.to)).await?;
    m.prune_blocks(
        range.to.number.saturating_sub(range.reorg_window),
        ALWAYS_KEPT_BLOCKS,
    )
    .await?;
    Ok(ApplyOutcome::Applied)
}

/// Undoes every block after the newest stored block at or below `keep_through` (all blocks when
/// there is none, or when `keep_through` is `None`) and moves the cursor there.
pub(super) async fn rollback(
    m: &mut MirrorWrite,
    keep_through: Option<u64>,
) -> Result<Option<ChainBlock>> {
    m.lock_cursor().await?;
    let target = match keep_through {
        Some(number) => m.newest_block_through(number).await?,
        None => None,
    };
    let after = target.map(|b| b.number);
    m.delete_facts_after(after).await?;
    for data_unit in m.delete_allocation_versions_after(after).await? {
        match m.allocation_version(data_unit).await? {
            Some(version) => m.upsert_current_allocation(&version.allocation).await?,
            None => m.delete_current_allocation(data_unit).await?,
        }
    }
    for key in m.delete_key_versions_after(after).await? {
        match m.key_version(&key).await? {
            Some((version, _)) => m.upsert_current_key(&version).await?,
            None => m.delete_current_key(&key).await?,
        }
    }
    m.set_cursor(target.as_ref()).await?;
    Ok(target)
}

/// A request whose `expiresAt` has passed by the end of the range reads as Expired on chain (the
/// contract's views derive it from the block time); the mirror records that at the range's end.
async fn expire_requests(m: &mut MirrorWrite, to: &ChainBlock) -> Result<()> {
    for mut version in m.expiring(to.timestamp_ms).await? {
        version.allocation.status = AllocationStatus::Expired;
        version.updated = ChainOrigin {
            block_number: to.number,
            log_index: None,
            tx_hash: None,
        };
        m.put_allocation(&version).await?;
    }
    Ok(())
}

async fn apply_log(
    m: &mut MirrorWrite,
    log: &ChainLog,
    block_ms: u64,
    pending: &mut PendingEscrows,
) -> Result<()> {
    let origin = ChainOrigin {
        block_number: log.block_number,
        log_index: Some(log.log_index),
        tx_hash: Some(log.tx_hash),
    };
    let at = || format!("block {} log {}", log.block_number, log.log_index);
    match &log.event {
        ChainEvent::ConfigInitialized {
            admin,
            genesis_time,
            epoch_length,
            submission_window,
            unbonding_delay,
            allocation_request_ttl,
        } => {
            m.insert_contract(&ContractConfig {
                admin: *admin,
                genesis_time: *genesis_time,
                epoch_length: *epoch_length,
                submission_window: *submission_window,
                unbonding_delay: *unbonding_delay,
                allocation_request_ttl: *allocation_request_ttl,
                origin,
            })
            .await?;
        }
        ChainEvent::OracleConfigSet {
            config_version,
            signers,
            quorum,
        } => {
            m.insert_oracle_config(&OracleConfig {
                config_version: *config_version,
                signers: signers.clone(),
                quorum: *quorum,
                origin,
            })
            .await?;
        }
        ChainEvent::ProviderRegistered {
            provider,
            provider_id,
            reputation,
        } => {
            m.insert_provider(&ProviderState {
                provider: *provider,
                provider_id: *provider_id,
                reputation: *reputation,
                bonded: 0,
                unbonding: 0,
                unbonding_release_at: 0,
                suspended_until: 0,
                updated: origin,
            })
            .await?;
        }
        ChainEvent::PolicyProposed {
            data_unit,
            proposer,
            policy_hash,
            policy,
        } => {
            m.insert_policy_proposal(&PolicyProposal {
                data_unit: *data_unit,
                proposer: *proposer,
                policy_hash: *policy_hash,
                policy: *policy,
                origin,
            })
            .await?;
        }
        ChainEvent::ProfilePolicyOffered {
            profile_id,
            provider,
            policy_hash,
            policy,
        } => {
            m.insert_profile_policy_offer(&ProfilePolicyOffer {
                profile_id: *profile_id,
                provider: *provider,
                policy_hash: *policy_hash,
                policy: *policy,
                origin,
            })
            .await?;
        }
        ChainEvent::PolicyAgreed {
            data_unit,
            agreed_by,
            policy_hash,
            from_epoch,
        } => {
            // The contract agrees only to a pending proposal or to the offer of the allocation's
            // profile, whose event came first.
            let policy = match m.policy_proposal(*data_unit, policy_hash).await? {
                Some(policy) => Some(policy),
                None => m.profile_policy_offer(policy_hash).await?,
            }
            .ok_or_else(|| {
                inconsistent(format!(
                    "PolicyAgreed at {} names no proposal of data unit {data_unit} and no profile offer",
                    at()
                ))
            })?;
            m.insert_agreed_policy(&MirroredPolicy {
                data_unit: *data_unit,
                policy_hash: *policy_hash,
                from_epoch: *from_epoch,
                agreed_by: *agreed_by,
                policy,
                origin,
            })
            .await?;
        }
        ChainEvent::MaintenanceAnnounced {
            data_unit,
            index,
            start_s,
            end_s,
        } => {
            m.insert_maintenance_window(&AnnouncedWindow {
                data_unit: *data_unit,
                index: *index,
                window: MaintenanceWindow {
                    start_s: *start_s,
                    end_s: *end_s,
                },
                cancelled: false,
                origin,
            })
            .await?;
        }
        ChainEvent::MaintenanceCancelled { data_unit, index } => {
            m.insert_maintenance_cancellation(*data_unit, *index, &origin)
                .await?;
        }
        ChainEvent::ProviderSuspended { provider, until } => {
            let mut state = provider_state(m, provider, at).await?;
            state.suspended_until = *until;
            state.updated = origin;
            m.insert_provider(&state).await?;
        }
        ChainEvent::Bonded {
            provider, bonded, ..
        } => {
            let mut state = provider_state(m, provider, at).await?;
            state.bonded = *bonded;
            state.updated = origin;
            m.insert_provider(&state).await?;
        }
        ChainEvent::UnbondRequested {
            provider,
            bonded,
            unbonding,
            release_at,
            ..
        } => {
            let mut state = provider_state(m, provider, at).await?;
            state.bonded = *bonded;
            state.unbonding = *unbonding;
            state.unbonding_release_at = *release_at;
            state.updated = origin;
            m.insert_provider(&state).await?;
        }
        ChainEvent::UnbondedWithdrawn { provider, .. } => {
            // The contract pays out the whole unbonding amount and clears the release time.
            let mut state = provider_state(m, provider, at).await?;
            state.unbonding = 0;
            state.unbonding_release_at = 0;
            state.updated = origin;
            m.insert_provider(&state).await?;
        }
        ChainEvent::ReputationUpdated {
            provider,
            new_reputation,
            ..
        } => {
            let mut state = provider_state(m, provider, at).await?;
            state.reputation = *new_reputation;
            state.updated = origin;
            m.insert_provider(&state).await?;
        }
        ChainEvent::PenaltiesEscrowed {
            provider,
            epoch,
            amount,
            from_bonded,
            from_unbonding,
        } => {
            let mut state = provider_state(m, provider, at).await?;
            let short = || inconsistent(format!("penalty exceeds the mirrored stake at {}", at()));
            state.bonded = state.bonded.checked_sub(*from_bonded).ok_or_else(short)?;
            state.unbonding = state
                .unbonding
                .checked_sub(*from_unbonding)
                .ok_or_else(short)?;
            state.updated = origin;
            m.insert_provider(&state).await?;
            // Which results owe what is known once the batch's records are read (its
            // `ResultsSubmitted` comes last in the same transaction).
            pending.push(Escrow {
                tx_hash: log.tx_hash,
                provider: *provider,
                epoch: *epoch,
                amount: *amount,
                from_bonded: *from_bonded,
                origin,
            });
        }
        ChainEvent::PenaltyClaimed {
            consumer, amount, ..
        } => {
            let balance = m.balance(consumer).await?.unwrap_or(0);
            let balance = balance
                .checked_add(*amount)
                .ok_or_else(|| inconsistent(format!("balance overflows at {}", at())))?;
            m.insert_balance(consumer, balance, &origin).await?;
        }
        ChainEvent::ProviderSlashed {
            provider,
            from_bonded,
            from_unbonding,
            ..
        } => {
            // Like a penalty's escrow, but owed at once: the shares follow as `SlashCredited`.
            let mut state = provider_state(m, provider, at).await?;
            let short = || inconsistent(format!("slash exceeds the mirrored stake at {}", at()));
            state.bonded = state.bonded.checked_sub(*from_bonded).ok_or_else(short)?;
            state.unbonding = state
                .unbonding
                .checked_sub(*from_unbonding)
                .ok_or_else(short)?;
            state.updated = origin;
            m.insert_provider(&state).await?;
        }
        // A zero share (a flagged data unit without a consumer) changes no balance.
        ChainEvent::SlashCredited { amount: 0, .. } => {}
        ChainEvent::SlashCredited { consumer, amount } => {
            let balance = m.balance(consumer).await?.unwrap_or(0);
            let balance = balance
                .checked_add(*amount)
                .ok_or_else(|| inconsistent(format!("balance overflows at {}", at())))?;
            m.insert_balance(consumer, balance, &origin).await?;
        }
        ChainEvent::Withdrawn {
            account, amount, ..
        } => {
            let balance = m.balance(account).await?.unwrap_or(0);
            let balance = balance.checked_sub(*amount).ok_or_else(|| {
                inconsistent(format!(
                    "withdrawal exceeds the mirrored balance at {}",
                    at()
                ))
            })?;
            m.insert_balance(account, balance, &origin).await?;
        }
        ChainEvent::ProfilePublished {
            profile_id,
            provider,
            terms,
        } => {
            m.insert_profile(&Profile {
                profile_id: *profile_id,
                provider: *provider,
                terms_hash: terms.hash,
                terms: terms.terms.clone(),
                retired: false,
                updated: origin,
            })
            .await?;
        }
        ChainEvent::ProfileRetired { profile_id, .. } => {
            let mut profile = m.profile(*profile_id).await?.ok_or_else(|| {
                inconsistent(format!("unknown profile {profile_id} retired at {}", at()))
            })?;
            profile.retired = true;
            profile.updated = origin;
            m.insert_profile(&profile).await?;
        }
        ChainEvent::AllocationRequested {
            data_unit,
            consumer,
            provider,
            profile_id,
            terms,
            expires_at,
        } => {
            m.put_allocation(&MirroredAllocation {
                allocation: Allocation {
                    data_unit: *data_unit,
                    consumer: *consumer,
                    provider: *provider,
                    status: AllocationStatus::Requested,
                    terms_hash: terms.hash,
                    terms: terms.terms.clone(),
                    active_from_ms: 0,
                    closed_at_ms: None,
                },
                profile_id: *profile_id,
                requested_at_ms: block_ms,
                expires_at_ms: expires_at.saturating_mul(1000),
                active_from_epoch: None,
                closed_epoch: None,
                closed_by: None,
                updated: origin,
            })
            .await?;
        }
        ChainEvent::AllocationAccepted {
            data_unit,
            active_from_epoch,
            ..
        } => {
            let mut version = allocation_version(m, *data_unit, at).await?;
            version.allocation.status = AllocationStatus::Active;
            version.allocation.active_from_ms = block_ms;
            version.active_from_epoch = Some(*active_from_epoch);
            version.updated = origin;
            m.put_allocation(&version).await?;
        }
        ChainEvent::AllocationDeclined { data_unit, .. } => {
            let mut version = allocation_version(m, *data_unit, at).await?;
            version.allocation.status = AllocationStatus::Declined;
            version.updated = origin;
            m.put_allocation(&version).await?;
        }
        ChainEvent::AllocationClosed {
            data_unit,
            closed_by,
            closed_epoch,
        } => {
            let mut version = allocation_version(m, *data_unit, at).await?;
            version.allocation.status = AllocationStatus::Closed;
            version.allocation.closed_at_ms = Some(block_ms);
            version.closed_epoch = Some(*closed_epoch);
            version.closed_by = Some(*closed_by);
            version.updated = origin;
            m.put_allocation(&version).await?;
        }
        ChainEvent::KeyRegistered {
            account,
            key,
            valid_from,
        } => {
            let key = ReporterKey {
                public_key: *key,
                account: *account,
                valid_from_ms: valid_from.saturating_mul(1000),
                valid_until_ms: None,
            };
            m.put_key(&key, &origin).await?;
        }
        ChainEvent::KeyRevoked {
            key, valid_until, ..
        } => {
            let (mut version, _) = m.key_version(key).await?.ok_or_else(|| {
                inconsistent(format!(
                    "unknown key {} revoked at {}",
                    hex::encode(key),
                    at()
                ))
            })?;
            version.valid_until_ms = Some(valid_until.saturating_mul(1000));
            m.put_key(&version, &origin).await?;
        }
        ChainEvent::ResultsSubmitted {
            epoch,
            config_version,
            results_hash,
            applied,
            skipped,
            submitter,
            results,
        } => {
            let escrows = pending.take(&log.tx_hash);
            let counted = apply_batch(m, *epoch, results, escrows, &origin).await?;
            if counted != (*applied, *skipped) {
                return Err(inconsistent(format!(
                    "batch at {} applies {} and skips {} results, its event says {applied} and {skipped}",
                    at(),
                    counted.0,
                    counted.1
                )));
            }
            m.insert_batch(&ResultBatch {
                epoch: *epoch,
                config_version: *config_version,
                results_hash: *results_hash,
                applied: *applied,
                skipped: *skipped,
                submitter: *submitter,
                origin,
            })
            .await?;
        }
        // Its records were moved into the `ResultsSubmitted` that follows (`batch.rs`).
        ChainEvent::ResultsRelayed { .. } => {}
        ChainEvent::Paused { account } => m.insert_pause(true, account, &origin).await?,
        ChainEvent::Unpaused { account } => m.insert_pause(false, account, &origin).await?,
        ChainEvent::RoleGranted {
            role,
            account,
            sender,
        } => m.insert_role(role, account, true, sender, &origin).await?,
        ChainEvent::RoleRevoked {
            role,
            account,
            sender,
        } => m.insert_role(role, account, false, sender, &origin).await?,
    }
    Ok(())
}

async fn provider_state(
    m: &mut MirrorWrite,
    provider: &Address,
    at: impl Fn() -> String,
) -> Result<ProviderState> {
    m.provider(provider)
        .await?
        .ok_or_else(|| inconsistent(format!("unregistered provider {provider} at {}", at())))
}

pub(super) async fn allocation_version(
    m: &mut MirrorWrite,
    data_unit: u64,
    at: impl Fn() -> String,
) -> Result<MirroredAllocation> {
    m.allocation_version(data_unit)
        .await?
        .ok_or_else(|| inconsistent(format!("unknown data unit {data_unit} at {}", at())))
}
