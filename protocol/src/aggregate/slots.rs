//! Uptime slots: the epoch cut into 60 s slots, each remembered as a few bits.

use serde::{Deserialize, Serialize};

use super::wire::{Put, Reader};
use super::AggregateError;

/// A fixed-size bit set over the slots of one epoch, allocated on first use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SlotBitmap {
    words: Vec<u64>,
}

impl SlotBitmap {
    fn words_for(slots: u32) -> usize {
        (slots as usize).div_ceil(64)
    }

    #[inline]
    pub(crate) fn set(&mut self, slot: u32, slots: u32) {
        if self.words.is_empty() {
            self.words = vec![0; Self::words_for(slots)];
        }
        self.words[(slot / 64) as usize] |= 1 << (slot % 64);
    }

    /// Sets slots `first..=last`.
    pub(crate) fn set_range(&mut self, first: u32, last: u32, slots: u32) {
        for slot in first..=last {
            self.set(slot, slots);
        }
    }

    pub(crate) fn or(&mut self, other: &SlotBitmap) {
        if other.words.is_empty() {
            return;
        }
        if self.words.is_empty() {
            self.words = other.words.clone();
            return;
        }
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// Word `i`, zero when not allocated.
    #[inline]
    pub(crate) fn word(&self, i: usize) -> u64 {
        self.words.get(i).copied().unwrap_or(0)
    }

    /// Canonical form: exactly `ceil(slots / 64)` big-endian words, bit `s % 64` of word `s / 64`
    /// for slot `s`; bits past the last slot are zero.
    pub(crate) fn encode_into(&self, slots: u32, out: &mut Vec<u8>) {
        for i in 0..Self::words_for(slots) {
            out.put_u64(self.word(i));
        }
    }

    pub(crate) fn decode_from(r: &mut Reader<'_>, slots: u32) -> Result<Self, AggregateError> {
        let n = Self::words_for(slots);
        if n > r.remaining() / 8 {
            return Err(AggregateError::Malformed("slot bitmap"));
        }
        let mut words = Vec::with_capacity(n);
        for _ in 0..n {
            words.push(r.u64()?);
        }
        if !slots.is_multiple_of(64) {
            let mask = !0u64 << (slots % 64);
            if words.last().is_some_and(|w| w & mask != 0) {
                return Err(AggregateError::Malformed("slot bitmap bits past the epoch"));
            }
        }
        if words.iter().all(|w| *w == 0) {
            words.clear();
        }
        Ok(SlotBitmap { words })
    }
}

/// How the slots of an epoch (or a window) were observed.
///
/// `up + down + quiet + silent` is the number of slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotCounts {
    /// Slots with at least one successful service operation.
    pub up: u64,
    /// Slots with service operations, all failed.
    pub down: u64,
    /// Slots covered by a report period of the view but without service operations.
    pub quiet: u64,
    /// Slots covered by no report of the view and without service operations.
    pub silent: u64,
}

impl SlotCounts {
    /// Slots that count for uptime: `up + down`.
    pub fn observed(&self) -> u64 {
        self.up + self.down
    }

    /// `floor(up * 10000 / (up + down))`; `None` when no slot was observed.
    pub fn uptime_bps(&self) -> Option<u16> {
        ratio_bps(self.up, self.observed())
    }

    pub(crate) fn add(&mut self, other: &SlotCounts) {
        self.up = self.up.saturating_add(other.up);
        self.down = self.down.saturating_add(other.down);
        self.quiet = self.quiet.saturating_add(other.quiet);
        self.silent = self.silent.saturating_add(other.silent);
    }

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u64(self.up);
        out.put_u64(self.down);
        out.put_u64(self.quiet);
        out.put_u64(self.silent);
    }
}

/// `floor(part * 10000 / whole)` for `part <= whole`; `None` when `whole` is 0.
pub(crate) fn ratio_bps(part: u64, whole: u64) -> Option<u16> {
    if whole == 0 {
        return None;
    }
    let bps = u128::from(part.min(whole)) * 10_000 / u128::from(whole);
    Some(bps as u16)
}

/// Words of 64 slots in an epoch of `slots` slots.
pub(crate) fn words(slots: u32) -> usize {
    (slots as usize).div_ceil(64)
}

/// The bits of word `i` that are real slots.
pub(crate) fn word_mask(slots: u32, i: usize) -> u64 {
    let end = slots as usize - i * 64;
    if end >= 64 {
        u64::MAX
    } else {
        (1u64 << end) - 1
    }
}
