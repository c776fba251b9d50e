//! Both views of one data unit in one epoch.

use super::context::AggregationContext;
use super::maintenance::Exclusions;
use super::slots::{word_mask, words};
use super::summary::{CombinedSlots, EpochSummary};
use super::view::ViewAccumulator;
use super::wire::{Put, Reader};
use super::AggregateError;
use crate::merkle;
use crate::report::{Report, ReportHash, Role};
use crate::signing::VerifiedReport;
use serde::{Deserialize, Serialize};

/// Both views of one data unit in one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochAccumulator {
    /// What the reports signed by the consumer's keys say.
    pub consumer: ViewAccumulator,
    /// What the reports signed by the provider's keys say.
    pub provider: ViewAccumulator,
}

impl EpochAccumulator {
    /// Two empty views for the data unit and epoch of `ctx`.
    pub fn new(ctx: AggregationContext) -> Self {
        EpochAccumulator {
            consumer: ViewAccumulator::new(ctx, Role::Consumer),
            provider: ViewAccumulator::new(ctx, Role::Provider),
        }
    }

    /// The data unit, epoch and size bound both views are for.
    pub fn context(&self) -> &AggregationContext {
        self.consumer.context()
    }

    /// The view of the party with `role`.
    pub fn view(&self, role: Role) -> &ViewAccumulator {
        match role {
            Role::Consumer => &self.consumer,
            Role::Provider => &self.provider,
        }
    }

    /// The view of the party with `role`, to add to.
    pub fn view_mut(&mut self, role: Role) -> &mut ViewAccumulator {
        match role {
            Role::Consumer => &mut self.consumer,
            Role::Provider => &mut self.provider,
        }
    }

    /// Adds a report to the view of its role; see [`ViewAccumulator::add_report`].
    pub fn add_report(
        &mut self,
        report: &Report,
        hash: ReportHash,
    ) -> Result<bool, AggregateError> {
        self.view_mut(report.role).add_report(report, hash)
    }

    /// Adds a report to the view of its role without its records inside `excluded`; see
    /// [`ViewAccumulator::add_report_except`].
    pub fn add_report_except(
        &mut self,
        report: &Report,
        hash: ReportHash,
        excluded: &Exclusions,
    ) -> Result<bool, AggregateError> {
        self.view_mut(report.role)
            .add_report_except(report, hash, excluded)
    }

    /// Adds a verified report to the view of its role.
    pub fn add_verified(&mut self, report: &VerifiedReport) -> Result<bool, AggregateError> {
        self.add_report(&report.report, report.hash)
    }

    /// Merges both views; on error nothing changes.
    pub fn merge(&mut self, other: &EpochAccumulator) -> Result<(), AggregateError> {
        self.consumer.check_mergeable(&other.consumer)?;
        self.provider.check_mergeable(&other.provider)?;
        self.consumer.merge(&other.consumer)?;
        self.provider.merge(&other.provider)
    }

    /// Compacts both views ([`ViewAccumulator::compact`]); changes nothing observable.
    pub fn compact(&mut self) {
        self.consumer.compact();
        self.provider.compact();
    }

    /// The derived numbers of both views, the combined uptime slots and the reports root.
    pub fn summary(&self) -> EpochSummary {
        let ctx = self.context();
        let (c, p) = (&self.consumer, &self.provider);
        let slots = ctx.slot_count();
        let mut combined = CombinedSlots::default();
        for i in 0..words(slots) {
            let w = combine_word(c, p, i, word_mask(slots, i));
            combined.slots.up += u64::from(w.up.count_ones());
            combined.slots.down += u64::from(w.down.count_ones());
            combined.slots.quiet += u64::from(w.quiet.count_ones());
            combined.slots.silent += u64::from(w.silent.count_ones());
            combined.disputed += u64::from(w.disputed.count_ones());
        }
        let hashes: Vec<ReportHash> = c.reports.union(&p.reports).copied().collect();
        EpochSummary {
            data_unit: ctx.data_unit(),
            epoch: ctx.epoch(),
            start_ms: ctx.start_ms(),
            end_ms: ctx.end_ms(),
            slot_count: slots,
            speed_size_bound: ctx.speed_size_bound(),
            consumer: c.summary(),
            provider: p.summary(),
            combined,
            reports: hashes.len() as u64,
            reports_root: merkle::root(&hashes),
        }
    }

    /// The combined state of every slot of the epoch, in slot order: the same combination as
    /// [`summary`](Self::summary)'s counts (a [`SlotState::Disputed`] slot counts as up there).
    pub fn slot_timeline(&self) -> Vec<SlotState> {
        let slots = self.context().slot_count();
        let mut out = Vec::with_capacity(slots as usize);
        for i in 0..words(slots) {
            let w = combine_word(&self.consumer, &self.provider, i, word_mask(slots, i));
            for bit in 0..64u32 {
                let slot = i as u32 * 64 + bit;
                if slot >= slots {
                    break;
                }
                let on = |word: u64| word >> bit & 1 == 1;
                out.push(if on(w.disputed) {
                    SlotState::Disputed
                } else if on(w.up) {
                    SlotState::Up
                } else if on(w.down) {
                    SlotState::Down
                } else if on(w.quiet) {
                    SlotState::Quiet
                } else {
                    SlotState::Silent
                });
            }
        }
        out
    }

    /// The consumer's then the provider's canonical encoding, each prefixed by its `u64` length.
    pub fn encode(&self) -> Vec<u8> {
        let consumer = self.consumer.encode();
        let provider = self.provider.encode();
        let mut out = Vec::with_capacity(16 + consumer.len() + provider.len());
        out.put_u64(consumer.len() as u64);
        out.extend_from_slice(&consumer);
        out.put_u64(provider.len() as u64);
        out.extend_from_slice(&provider);
        out
    }

    /// Restores an [`encode`](Self::encode)d pair; refuses anything but the canonical form, and
    /// views whose roles are not consumer then provider or whose contexts differ.
    pub fn decode(bytes: &[u8]) -> Result<Self, AggregateError> {
        let mut r = Reader::new(bytes);
        let mut part = || -> Result<ViewAccumulator, AggregateError> {
            let len = usize::try_from(r.u64()?).map_err(|_| AggregateError::Malformed("length"))?;
            ViewAccumulator::decode(r.take(len)?)
        };
        let consumer = part()?;
        let provider = part()?;
        if r.remaining() != 0 {
            return Err(AggregateError::Malformed("trailing bytes"));
        }
        if consumer.role != Role::Consumer
            || provider.role != Role::Provider
            || consumer.ctx != provider.ctx
        {
            return Err(AggregateError::Malformed("views inconsistent"));
        }
        Ok(EpochAccumulator { consumer, provider })
    }
}

/// One 64-slot word of the combined views, each a bit set of slots.
struct CombinedWord {
    up: u64,
    down: u64,
    quiet: u64,
    silent: u64,
    /// Up by the provider's view while the consumer's saw only failures (a subset of `up`).
    disputed: u64,
}

/// The slot-level combination (docs/aggregation.md): the provider's view decides a slot it saw;
/// the consumer's decides a slot the provider did not see.
fn combine_word(c: &ViewAccumulator, p: &ViewAccumulator, i: usize, mask: u64) -> CombinedWord {
    let (ps, pf, pc) = (
        p.slots_success.word(i),
        p.slots_failure.word(i),
        p.slots_covered.word(i),
    );
    let (cs, cf, cc) = (
        c.slots_success.word(i),
        c.slots_failure.word(i),
        c.slots_covered.word(i),
    );
    let p_seen = ps | pf;
    let c_down = cf & !cs;
    let up = ps | (!p_seen & cs);
    let down = (pf & !ps) | (!p_seen & c_down);
    let unseen = !(up | down) & mask;
    CombinedWord {
        up,
        down,
        quiet: unseen & (pc | cc),
        silent: unseen & !(pc | cc),
        disputed: ps & c_down,
    }
}

/// The combined state of one uptime slot (see [`EpochAccumulator::slot_timeline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlotState {
    /// A successful service operation was seen.
    Up,
    /// Only failed service operations were seen.
    Down,
    /// Covered by a report period, without service operations.
    Quiet,
    /// Covered by no report and without service operations.
    Silent,
    /// Up in the provider's view while the consumer saw only failures (counted as up).
    Disputed,
}

impl SlotState {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SlotState::Up => "up",
            SlotState::Down => "down",
            SlotState::Quiet => "quiet",
            SlotState::Silent => "silent",
            SlotState::Disputed => "disputed",
        }
    }
}
