//! What the uptime verdict reads of a rolling window: slots up and down (combined and per view)
//! and the window's length. A [`WindowSummary`] carries far more; the aggregator's epoch close
//! builds this from running totals instead, without reading the window's summaries (at a
//! million data units and a day's window that read alone would take longer than an epoch).

use super::context::EpochConfig;
use super::slots::SlotCounts;
use super::window::WindowSummary;
use super::SlaTerms;
use crate::report::Role;

/// Slots up and down over a window, and how many slots it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UptimeWindow {
    /// The data unit.
    pub data_unit: u64,
    /// The last epoch of the window: the epoch being judged.
    pub last_epoch: u64,
    /// Slots in the window: its epochs times the slots per epoch.
    pub slots_total: u64,
    /// Combined (slot-level) up and down slots; `quiet` and `silent` are not read.
    pub combined: SlotCounts,
    /// The consumer's up and down slots.
    pub consumer: SlotCounts,
    /// The provider's up and down slots.
    pub provider: SlotCounts,
}

impl UptimeWindow {
    /// The uptime part of a window computed from summaries.
    pub fn of(window: &WindowSummary) -> Self {
        let up_down = |s: &SlotCounts| SlotCounts {
            up: s.up,
            down: s.down,
            ..SlotCounts::default()
        };
        UptimeWindow {
            data_unit: window.data_unit,
            last_epoch: window.last_epoch,
            slots_total: window.slots_total,
            combined: up_down(&window.combined),
            consumer: up_down(&window.consumer.slots),
            provider: up_down(&window.provider.slots),
        }
    }

    /// The window of `terms` ending at `last_epoch` from slot totals already summed over it
    /// (`[combined, consumer, provider]` as `(up, down)`): the same verdict as
    /// [`WindowSummary::for_terms`] over the window's summaries, as
    /// `protocol/tests/it/derived_vectors.rs` checks on every vector.
    pub fn from_totals(
        config: &EpochConfig,
        terms: &SlaTerms,
        data_unit: u64,
        last_epoch: u64,
        totals: [(u64, u64); 3],
    ) -> Self {
        let range = config.window(last_epoch, terms.window_epochs(config.epoch_len_s));
        let epochs = range.end() - range.start() + 1;
        let slots = |(up, down): (u64, u64)| SlotCounts {
            up,
            down,
            ..SlotCounts::default()
        };
        UptimeWindow {
            data_unit,
            last_epoch,
            slots_total: epochs.saturating_mul(u64::from(config.slots_per_epoch())),
            combined: slots(totals[0]),
            consumer: slots(totals[1]),
            provider: slots(totals[2]),
        }
    }

    /// The slots of one view.
    pub fn view(&self, role: Role) -> &SlotCounts {
        match role {
            Role::Consumer => &self.consumer,
            Role::Provider => &self.provider,
        }
    }

    /// Observed slots the uptime needs before it counts as evidence:
    /// `min(MIN_SAMPLES, slots_total)`, as [`WindowSummary::uptime_min_slots`].
    pub fn uptime_min_slots(&self) -> u64 {
        super::MIN_SAMPLES.min(self.slots_total)
    }
}
