//! The slot timeline the dashboard draws is the same combination the summary counts.

use sla_protocol::aggregate::{EpochAccumulator, SlotState};
use sla_protocol::{Operation, Role};

use super::common::*;

#[test]
fn timeline_states_match_the_summary_counts_slot_for_slot() {
    let mut acc = EpochAccumulator::new(ctx(0));
    // Provider: slots 0..20 up by probe. Consumer: slots 10..30 down, 40..45 up.
    let provider = spread(0, 20, Operation::Probe, 10, true);
    let mut consumer: Vec<_> = (10..30)
        .map(|slot| rec(0, slot * 60_000, Operation::Read, 10, false))
        .collect();
    consumer.extend((40..45).map(|slot| rec(0, slot * 60_000, Operation::Read, 10, true)));
    acc.add_report(&report(Role::Consumer, 0, consumer), hash_of(1))
        .unwrap();
    acc.add_report(&report(Role::Provider, 0, provider), hash_of(2))
        .unwrap();
    let timeline = acc.slot_timeline();
    let summary = acc.summary();
    assert_eq!(timeline.len() as u32, summary.slot_count);
    let count = |s: SlotState| timeline.iter().filter(|x| **x == s).count() as u64;
    assert_eq!(count(SlotState::Disputed), summary.combined.disputed);
    assert_eq!(
        count(SlotState::Up) + count(SlotState::Disputed),
        summary.combined.slots.up
    );
    assert_eq!(count(SlotState::Down), summary.combined.slots.down);
    assert_eq!(count(SlotState::Quiet), summary.combined.slots.quiet);
    assert_eq!(count(SlotState::Silent), summary.combined.slots.silent);
    assert_eq!(timeline[0], SlotState::Up);
    assert_eq!(timeline[15], SlotState::Disputed);
    assert_eq!(timeline[25], SlotState::Down);
    assert_eq!(timeline[42], SlotState::Up);
    assert_eq!(count(SlotState::Disputed), 10);
}
