//! Announced maintenance windows (`ISlaPolicies.announceMaintenance`, docs/policy.md): the
//! records whose timestamps lie inside one are not counted, so a slot whose service operations
//! all lie inside windows is neither up nor down, and an error inside one is not an error.
//!
//! The contract guarantees what makes this deterministic: a window is on chain before the epoch
//! its start is in begins and can no longer be cancelled once that epoch began, so every party
//! that reads the chain up to an epoch's start knows exactly the windows that touch it.

use serde::{Deserialize, Serialize};

use super::context::AggregationContext;

/// One announced, not cancelled, maintenance window of a data unit: `[start_s, end_s)` in Unix
/// seconds, as on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceWindow {
    /// First second of the window.
    pub start_s: u64,
    /// The second after its last.
    pub end_s: u64,
}

impl MaintenanceWindow {
    /// `[start, end)` in Unix ms (saturating: a window beyond `u64` ms holds every later time).
    pub fn bounds_ms(&self) -> (u64, u64) {
        (
            self.start_s.saturating_mul(1000),
            self.end_s.saturating_mul(1000),
        )
    }

    /// Whether `timestamp_ms` lies inside the window.
    pub fn contains_ms(&self, timestamp_ms: u64) -> bool {
        let (start, end) = self.bounds_ms();
        start <= timestamp_ms && timestamp_ms < end
    }

    /// Whether the window shares at least one millisecond with `[start_ms, end_ms)`.
    pub fn overlaps_ms(&self, start_ms: u64, end_ms: u64) -> bool {
        let (start, end) = self.bounds_ms();
        start < end_ms && start_ms < end
    }
}

/// The windows that exclude records from one roll-up: those of its data unit that overlap its
/// epoch, ascending. Empty: nothing is excluded (every roll-up without maintenance).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions {
    windows: Vec<(u64, u64)>,
}

impl Exclusions {
    /// The windows of `windows` (any order, overlaps allowed) that overlap the epoch of `ctx`.
    pub fn for_epoch(ctx: &AggregationContext, windows: &[MaintenanceWindow]) -> Self {
        let mut inside: Vec<(u64, u64)> = windows
            .iter()
            .filter(|w| w.overlaps_ms(ctx.start_ms(), ctx.end_ms()))
            .map(MaintenanceWindow::bounds_ms)
            .collect();
        inside.sort_unstable();
        Exclusions { windows: inside }
    }

    /// Whether nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Whether a record at `timestamp_ms` is inside a window (and so not counted).
    #[inline]
    pub fn excludes(&self, timestamp_ms: u64) -> bool {
        // Few windows per epoch (they may not overlap on chain): a scan is the fastest lookup.
        self.windows
            .iter()
            .any(|&(start, end)| start <= timestamp_ms && timestamp_ms < end)
    }
}
