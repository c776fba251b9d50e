//! The acceptance rules, as a pure function of a batch and the state it touches. Both backends
//! load the same context, call [`plan_batch`], and write what it says inside one transaction, so
//! the rules cannot drift between SQLite and PostgreSQL.

use std::sync::Arc;

// foldhash: the judging of a batch does ~10 lookups per report; SipHash was ~2 % of the server's CPU.
use foldhash::{HashMap, HashMapExt};

use sla_protocol::{ReportHash, Role, VerifiedReport};

use crate::types::{Ack, Allocation, AllocationStatus, ReporterKey, ReporterState};

/// (reporter key, data unit): the scope of a sequence number and hash chain.
pub type ChainKey = ([u8; 32], u64);

/// Why a verified report was not stored. Each names the rule; the API turns it into problem+json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    DataUnitUnknown,
    DataUnitNotActive {
        status: AllocationStatus,
    },
    KeyNotRegistered,
    KeyNotValidForPeriod {
        valid_from_ms: u64,
        valid_until_ms: Option<u64>,
    },
    KeyNotOfParty {
        role: Role,
        account: String,
        party: String,
    },
    PeriodInFuture {
        period_end_ms: u64,
        latest_allowed_ms: u64,
    },
    PeriodOverlapsPrevious {
        last_period_end_ms: u64,
    },
    SequenceGap {
        expected_sequence: u64,
        expected_prev_hash: ReportHash,
    },
    PrevHashMismatch {
        expected_sequence: u64,
        expected_prev_hash: ReportHash,
    },
    /// Another report with the same key, data unit and sequence was accepted; this one is kept
    /// as evidence of equivocation.
    Equivocation {
        accepted_hash: ReportHash,
    },
}

/// What happened to one report of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted(Ack),
    /// The exact bytes were already stored: the original acknowledgement.
    Duplicate(Ack),
    Rejected(Rejection),
}

/// The state a batch is judged against, loaded inside the writing transaction. Allocations and
/// keys are shared with the writer's cache (a batch's context is built for every commit).
#[derive(Debug, Default)]
pub struct Context {
    pub allocations: HashMap<u64, Arc<Allocation>>,
    pub keys: HashMap<[u8; 32], Arc<ReporterKey>>,
    pub states: HashMap<ChainKey, ReporterState>,
    /// Acks of already-stored reports, by hash (for idempotent resends).
    pub stored_by_hash: HashMap<ReportHash, Ack>,
    /// Hashes of stored reports at a (key, data unit, sequence) already passed (for equivocation).
    pub stored_by_sequence: HashMap<(ChainKey, u64), ReportHash>,
}

/// What a batch's transaction must write.
#[derive(Debug, Default)]
pub struct Plan {
    pub outcomes: Vec<Outcome>,
    /// Indices of the reports to insert, in batch order.
    pub inserts: Vec<usize>,
    /// (index of the conflicting report, hash of the accepted one) to keep as evidence.
    pub equivocations: Vec<(usize, ReportHash)>,
    /// New chain heads, with the role that reported.
    pub state_updates: HashMap<ChainKey, (Role, ReporterState)>,
}

/// Time rules the server is configured with.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now_ms: u64,
    /// How far a period may end past `now_ms` (clock skew allowance).
    pub max_future_skew_ms: u64,
}

/// Reports a `(key, data unit, sequence)` whose stored hash the context must hold: those at or
/// below the chain head that are not exact resends.
pub fn sequences_to_look_up(reports: &[VerifiedReport], ctx: &Context) -> Vec<(ChainKey, u64)> {
    reports
        .iter()
        .filter(|v| !ctx.stored_by_hash.contains_key(&v.hash))
        .filter_map(|v| {
            let chain = (v.report.reporter_key, v.report.data_unit);
            let head = ctx.states.get(&chain)?;
            (v.report.sequence <= head.last_sequence).then_some((chain, v.report.sequence))
        })
        .collect()
}

/// Judges every report of a batch in order; later reports see the effect of earlier ones, so a
/// reporter may send several consecutive reports in one batch.
pub fn plan_batch(reports: &[VerifiedReport], ctx: &Context, clock: Clock) -> Plan {
    let mut plan = Plan::default();
    let mut batch_acks: HashMap<ReportHash, Ack> = HashMap::new();
    let mut batch_by_sequence: HashMap<(ChainKey, u64), ReportHash> = HashMap::new();
    for (index, verified) in reports.iter().enumerate() {
        let outcome = judge(
            verified,
            ctx,
            clock,
            &plan.state_updates,
            &batch_acks,
            &batch_by_sequence,
        );
        match &outcome {
            Outcome::Accepted(ack) => {
                let r = &verified.report;
                let chain = (r.reporter_key, r.data_unit);
                plan.inserts.push(index);
                batch_acks.insert(verified.hash, ack.clone());
                batch_by_sequence.insert((chain, r.sequence), verified.hash);
                let head = ReporterState {
                    last_sequence: r.sequence,
                    last_hash: verified.hash,
                    last_period_end_ms: r.period_end_ms,
                };
                plan.state_updates.insert(chain, (r.role, head));
            }
            Outcome::Rejected(Rejection::Equivocation { accepted_hash }) => {
                plan.equivocations.push((index, *accepted_hash));
            }
            _ => {}
        }
        plan.outcomes.push(outcome);
    }
    plan
}

fn judge(
    verified: &VerifiedReport,
    ctx: &Context,
    clock: Clock,
    batch_heads: &HashMap<ChainKey, (Role, ReporterState)>,
    batch_acks: &HashMap<ReportHash, Ack>,
    batch_by_sequence: &HashMap<(ChainKey, u64), ReportHash>,
) -> Outcome {
    if let Some(ack) = ctx
        .stored_by_hash
        .get(&verified.hash)
        .or(batch_acks.get(&verified.hash))
    {
        return Outcome::Duplicate(ack.clone());
    }
    match check_rules(verified, ctx, clock, batch_heads, batch_by_sequence) {
        Ok(()) => Outcome::Accepted(Ack {
            report_hash: verified.hash,
            data_unit: verified.report.data_unit,
            sequence: verified.report.sequence,
            received_at_ms: clock.now_ms,
        }),
        Err(rejection) => Outcome::Rejected(rejection),
    }
}

fn check_rules(
    verified: &VerifiedReport,
    ctx: &Context,
    clock: Clock,
    batch_heads: &HashMap<ChainKey, (Role, ReporterState)>,
    batch_by_sequence: &HashMap<(ChainKey, u64), ReportHash>,
) -> Result<(), Rejection> {
    let r = &verified.report;
    let allocation = ctx
        .allocations
        .get(&r.data_unit)
        .ok_or(Rejection::DataUnitUnknown)?;
    check_allocation_open(allocation, r.period_end_ms)?;
    let key = ctx
        .keys
        .get(&r.reporter_key)
        .ok_or(Rejection::KeyNotRegistered)?;
    check_key(key, allocation, r.role, r.period_start_ms, r.period_end_ms)?;
    let latest_allowed_ms = clock.now_ms.saturating_add(clock.max_future_skew_ms);
    if r.period_end_ms > latest_allowed_ms {
        return Err(Rejection::PeriodInFuture {
            period_end_ms: r.period_end_ms,
            latest_allowed_ms,
        });
    }
    let chain = (r.reporter_key, r.data_unit);
    let head = batch_heads
        .get(&chain)
        .map(|(_, head)| head)
        .or(ctx.states.get(&chain));
    check_chain(
        verified,
        head,
        ctx.stored_by_sequence
            .get(&(chain, r.sequence))
            .or(batch_by_sequence.get(&(chain, r.sequence))),
    )
}

/// Reports are taken for an active data unit, or for a closed one up to the moment it closed
/// (so the last period before a close still counts).
fn check_allocation_open(allocation: &Allocation, period_end_ms: u64) -> Result<(), Rejection> {
    match (allocation.status, allocation.closed_at_ms) {
        (AllocationStatus::Active, _) => Ok(()),
        (AllocationStatus::Closed, Some(closed)) if period_end_ms <= closed => Ok(()),
        (status, _) => Err(Rejection::DataUnitNotActive { status }),
    }
}

/// The key must belong to the party its role claims and be valid over the whole period.
fn check_key(
    key: &ReporterKey,
    allocation: &Allocation,
    role: Role,
    period_start_ms: u64,
    period_end_ms: u64,
) -> Result<(), Rejection> {
    let party = match role {
        Role::Consumer => &allocation.consumer,
        Role::Provider => &allocation.provider,
    };
    if !key.account.eq_ignore_ascii_case(party) {
        return Err(Rejection::KeyNotOfParty {
            role,
            account: key.account.clone(),
            party: party.clone(),
        });
    }
    let after_start = period_start_ms >= key.valid_from_ms;
    let before_end = key
        .valid_until_ms
        .is_none_or(|until| period_end_ms <= until);
    if !(after_start && before_end) {
        return Err(Rejection::KeyNotValidForPeriod {
            valid_from_ms: key.valid_from_ms,
            valid_until_ms: key.valid_until_ms,
        });
    }
    Ok(())
}

/// Sequence and hash chain: the next report extends the head exactly, and a report at a sequence
/// already taken with other bytes is an equivocation.
fn check_chain(
    verified: &VerifiedReport,
    head: Option<&ReporterState>,
    stored_at_sequence: Option<&ReportHash>,
) -> Result<(), Rejection> {
    let r = &verified.report;
    let (expected_sequence, expected_prev_hash, last_end) = match head {
        Some(h) => (h.last_sequence + 1, h.last_hash, h.last_period_end_ms),
        None => (1, ReportHash::ZERO, 0),
    };
    if r.sequence < expected_sequence {
        // The bytes differ from what is stored (exact resends were answered before).
        let accepted_hash = stored_at_sequence.copied().unwrap_or(ReportHash::ZERO);
        return Err(Rejection::Equivocation { accepted_hash });
    }
    if r.sequence > expected_sequence {
        return Err(Rejection::SequenceGap {
            expected_sequence,
            expected_prev_hash,
        });
    }
    if r.prev_hash != expected_prev_hash {
        return Err(Rejection::PrevHashMismatch {
            expected_sequence,
            expected_prev_hash,
        });
    }
    if r.period_start_ms < last_end {
        return Err(Rejection::PeriodOverlapsPrevious {
            last_period_end_ms: last_end,
        });
    }
    Ok(())
}
