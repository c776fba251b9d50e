//! Judging a batch: every rule, in order, for every report, where later reports of a batch see
//! the effect of earlier ones (so a reporter may send several consecutive reports at once).

use std::sync::Arc;

// foldhash: judging does ~10 lookups per report; SipHash was ~2 % of the server's CPU.
use foldhash::{HashMap, HashMapExt};

use super::{
    check_data_unit_open, check_key, check_not_in_future, check_report_chain, Ack, Clock, Outcome,
    Rejection, ReportChain, ReportChainHead,
};
use crate::parties::{Allocation, ReporterKey};
use crate::report::ReportHash;
use crate::signing::VerifiedReport;

/// The state a batch is judged against, as the writer loaded it. Allocations and keys are shared
/// with the writer's cache.
#[derive(Debug, Default)]
pub struct Context {
    /// The batch's data units, by id (missing: unknown on chain).
    pub allocations: HashMap<u64, Arc<Allocation>>,
    /// The batch's reporter keys (missing: registered by nobody).
    pub keys: HashMap<[u8; 32], Arc<ReporterKey>>,
    /// The heads of the batch's report chains (missing: nothing stored yet).
    pub heads: HashMap<ReportChain, ReportChainHead>,
    /// Acknowledgements of already-stored reports, by hash (for idempotent resends).
    pub stored_by_hash: HashMap<ReportHash, Ack>,
    /// Hashes stored at (report chain, sequence) positions already passed (for equivocations).
    pub stored_by_sequence: HashMap<(ReportChain, u64), ReportHash>,
}

/// What a batch's transaction must write.
#[derive(Debug, Default)]
pub struct Plan {
    /// One outcome per report, in batch order.
    pub outcomes: Vec<Outcome>,
    /// Indices of the reports to insert, in batch order.
    pub inserts: Vec<usize>,
    /// (index of the conflicting report, hash of the accepted one) to keep as evidence.
    pub equivocations: Vec<(usize, ReportHash)>,
    /// The report chains the inserts extend, and their heads after the batch.
    pub new_heads: HashMap<ReportChain, ReportChainHead>,
}

/// The `(report chain, sequence)` positions whose stored hash the context must hold before
/// [`plan_batch`] can name the accepted report of an equivocation: those at or below their
/// chain's head that are not exact resends.
pub fn sequences_to_look_up(reports: &[VerifiedReport], ctx: &Context) -> Vec<(ReportChain, u64)> {
    reports
        .iter()
        .filter(|v| !ctx.stored_by_hash.contains_key(&v.hash))
        .filter_map(|v| {
            let chain = ReportChain::of(&v.report);
            let head = ctx.heads.get(&chain)?;
            (v.report.sequence <= head.sequence).then_some((chain, v.report.sequence))
        })
        .collect()
}

/// Judges every report of a batch, in order, against `ctx` and `clock`.
pub fn plan_batch(reports: &[VerifiedReport], ctx: &Context, clock: Clock) -> Plan {
    let mut plan = Plan::default();
    let mut batch_acks: HashMap<ReportHash, Ack> = HashMap::new();
    let mut batch_by_sequence: HashMap<(ReportChain, u64), ReportHash> = HashMap::new();
    for (index, verified) in reports.iter().enumerate() {
        let resent = ctx
            .stored_by_hash
            .get(&verified.hash)
            .or(batch_acks.get(&verified.hash));
        let outcome = match resent {
            Some(ack) => Outcome::Duplicate(ack.clone()),
            None => match judge(verified, ctx, clock, &plan.new_heads, &batch_by_sequence) {
                Ok(()) => Outcome::Accepted(Ack {
                    report_hash: verified.hash,
                    data_unit: verified.report.data_unit,
                    sequence: verified.report.sequence,
                    received_at_ms: clock.now_ms,
                }),
                Err(rejection) => Outcome::Rejected(rejection),
            },
        };
        match &outcome {
            Outcome::Accepted(ack) => {
                let r = &verified.report;
                let chain = ReportChain::of(r);
                plan.inserts.push(index);
                batch_acks.insert(verified.hash, ack.clone());
                batch_by_sequence.insert((chain, r.sequence), verified.hash);
                plan.new_heads
                    .insert(chain, ReportChainHead::of(r, verified.hash));
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

/// The rules in order: data unit, key, period, report chain.
fn judge(
    verified: &VerifiedReport,
    ctx: &Context,
    clock: Clock,
    batch_heads: &HashMap<ReportChain, ReportChainHead>,
    batch_by_sequence: &HashMap<(ReportChain, u64), ReportHash>,
) -> Result<(), Rejection> {
    let r = &verified.report;
    let allocation = ctx
        .allocations
        .get(&r.data_unit)
        .ok_or(Rejection::DataUnitUnknown)?;
    check_data_unit_open(allocation, r.period_end_ms)?;
    let key = ctx
        .keys
        .get(&r.reporter_key)
        .ok_or(Rejection::KeyNotRegistered)?;
    check_key(
        key,
        allocation.party(r.role),
        r.role,
        r.period_start_ms,
        r.period_end_ms,
    )?;
    check_not_in_future(r.period_end_ms, clock)?;
    let chain = ReportChain::of(r);
    let head = batch_heads.get(&chain).or(ctx.heads.get(&chain));
    let accepted = ctx
        .stored_by_sequence
        .get(&(chain, r.sequence))
        .or(batch_by_sequence.get(&(chain, r.sequence)));
    check_report_chain(r, head, accepted)
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_primitives::Address;
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::aggregate::SlaTerms;
    use crate::parties::AllocationStatus;
    use crate::record::{Operation, QosRecord};
    use crate::report::{Deployment, Report, Role};
    use crate::signing::sign_report;

    const DEPLOYMENT: Deployment = Deployment {
        chain_id: 31337,
        contract: [0xab; 20],
    };
    const CONSUMER: Address = Address::repeat_byte(0xc1);
    const HOUR_MS: u64 = 3_600_000;

    fn signing_key() -> SigningKey {
        SigningKey::from_bytes(&[1; 32])
    }

    /// An allocation of data unit 7 with the consumer `0xc1…c1`.
    pub(crate) fn allocation(status: AllocationStatus) -> Allocation {
        Allocation {
            data_unit: 7,
            consumer: CONSUMER,
            provider: Address::repeat_byte(0xb1),
            status,
            terms_hash: [0; 32],
            terms: SlaTerms::reporting_only(3600),
            active_from_ms: 0,
            closed_at_ms: None,
        }
    }

    /// A consumer report of data unit 7 covering one hour from `start_ms`.
    pub(crate) fn report(sequence: u64, prev_hash: ReportHash, start_ms: u64) -> Report {
        Report {
            deployment: DEPLOYMENT,
            role: Role::Consumer,
            reporter_key: signing_key().verifying_key().to_bytes(),
            data_unit: 7,
            sequence,
            prev_hash,
            period_start_ms: start_ms,
            period_end_ms: start_ms + HOUR_MS,
            records: vec![QosRecord::success(start_ms, Operation::Read, 1_000, 10)],
        }
    }

    fn verified(report: &Report) -> VerifiedReport {
        sign_report(report, &signing_key())
            .unwrap()
            .verify(&DEPLOYMENT)
            .unwrap()
    }

    /// `n` consecutive verified reports of one chain, hourly from 0.
    fn chain(n: u64) -> Vec<VerifiedReport> {
        let mut prev = ReportHash::ZERO;
        (1..=n)
            .map(|sequence| {
                let v = verified(&report(sequence, prev, (sequence - 1) * HOUR_MS));
                prev = v.hash;
                v
            })
            .collect()
    }

    fn context() -> Context {
        let mut ctx = Context::default();
        ctx.allocations
            .insert(7, Arc::new(allocation(AllocationStatus::Active)));
        let public_key = signing_key().verifying_key().to_bytes();
        ctx.keys.insert(
            public_key,
            Arc::new(ReporterKey {
                public_key,
                account: CONSUMER,
                valid_from_ms: 0,
                valid_until_ms: None,
            }),
        );
        ctx
    }

    const CLOCK: Clock = Clock {
        now_ms: 1_000 * HOUR_MS,
        max_future_skew_ms: 0,
    };

    #[test]
    fn consecutive_reports_of_one_chain_are_all_accepted_in_one_batch() {
        let batch = chain(3);
        let plan = plan_batch(&batch, &context(), CLOCK);
        assert_eq!(plan.inserts, vec![0, 1, 2]);
        assert!(plan
            .outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Accepted(_))));
        let head = &plan.new_heads[&ReportChain::of(&batch[2].report)];
        assert_eq!((head.sequence, head.hash), (3, batch[2].hash));
    }

    #[test]
    fn a_report_sent_twice_in_one_batch_is_stored_once() {
        let one = chain(1).remove(0);
        let plan = plan_batch(&[one.clone(), one], &context(), CLOCK);
        assert_eq!(plan.inserts, vec![0]);
        assert!(matches!(&plan.outcomes[1], Outcome::Duplicate(ack) if ack.sequence == 1));
    }

    #[test]
    fn a_stored_report_resent_gets_its_original_acknowledgement() {
        let one = chain(1).remove(0);
        let mut ctx = context();
        let original = Ack {
            report_hash: one.hash,
            data_unit: 7,
            sequence: 1,
            received_at_ms: 42,
        };
        ctx.stored_by_hash.insert(one.hash, original.clone());
        let plan = plan_batch(&[one], &ctx, CLOCK);
        assert_eq!(plan.outcomes, vec![Outcome::Duplicate(original)]);
        assert!(plan.inserts.is_empty());
    }

    #[test]
    fn other_bytes_at_a_sequence_taken_in_the_same_batch_are_an_equivocation() {
        let first = chain(1).remove(0);
        let mut other = report(1, ReportHash::ZERO, 0);
        other.records[0].latency_us += 1;
        let other = verified(&other);
        let plan = plan_batch(&[first.clone(), other], &context(), CLOCK);
        assert_eq!(plan.inserts, vec![0]);
        assert_eq!(plan.equivocations, vec![(1, first.hash)]);
    }

    #[test]
    fn a_refused_report_does_not_advance_its_chain() {
        let mut batch = chain(2);
        // The first report is for an unknown data unit: the second then has a gap.
        let mut stray = batch[0].report.clone();
        stray.data_unit = 8;
        batch[0] = verified(&stray);
        let plan = plan_batch(&batch, &context(), CLOCK);
        assert_eq!(
            plan.outcomes[0],
            Outcome::Rejected(Rejection::DataUnitUnknown)
        );
        assert!(matches!(
            plan.outcomes[1],
            Outcome::Rejected(Rejection::SequenceGap {
                expected_sequence: 1,
                ..
            })
        ));
        assert!(plan.inserts.is_empty() && plan.new_heads.is_empty());
    }

    #[test]
    fn rules_run_in_order_data_unit_then_key_then_period() {
        let mut ctx = context();
        ctx.keys.clear();
        let late = verified(&report(1, ReportHash::ZERO, 2_000 * HOUR_MS));
        // Unknown key and a future period: the key rule answers first.
        assert_eq!(
            plan_batch(std::slice::from_ref(&late), &ctx, CLOCK).outcomes[0],
            Outcome::Rejected(Rejection::KeyNotRegistered)
        );
        ctx.allocations.clear();
        assert_eq!(
            plan_batch(&[late], &ctx, CLOCK).outcomes[0],
            Outcome::Rejected(Rejection::DataUnitUnknown)
        );
    }

    #[test]
    fn positions_at_or_below_the_head_are_looked_up_unless_resent() {
        let batch = chain(2);
        let mut ctx = context();
        ctx.heads.insert(
            ReportChain::of(&batch[0].report),
            ReportChainHead::of(&batch[1].report, batch[1].hash),
        );
        let chain_key = ReportChain::of(&batch[0].report);
        assert_eq!(
            sequences_to_look_up(&batch, &ctx),
            vec![(chain_key, 1), (chain_key, 2)]
        );
        ctx.stored_by_hash.insert(
            batch[0].hash,
            Ack {
                report_hash: batch[0].hash,
                data_unit: 7,
                sequence: 1,
                received_at_ms: 0,
            },
        );
        assert_eq!(sequences_to_look_up(&batch, &ctx), vec![(chain_key, 2)]);
    }
}
