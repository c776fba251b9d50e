//! Epoch arithmetic (mirroring the contract's `EpochClock`) and the context of one roll-up.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use super::{AggregateError, SlaTerms, SLOT_LEN_MS};

/// The deployment's epoch clock, from the contract's configuration: epoch `e` covers
/// `[genesis_s + e * epoch_len_s, genesis_s + (e + 1) * epoch_len_s)` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochConfig {
    /// Start of epoch 0, Unix seconds (`genesisTime`).
    pub genesis_s: u64,
    /// Seconds per epoch (`epochLength`), > 0.
    pub epoch_len_s: u32,
}

impl EpochConfig {
    /// A configuration; refuses a zero epoch length, as the contract's constructor does.
    pub fn new(genesis_s: u64, epoch_len_s: u32) -> Result<Self, AggregateError> {
        if epoch_len_s == 0 {
            return Err(AggregateError::ZeroEpochLength);
        }
        Ok(EpochConfig {
            genesis_s,
            epoch_len_s,
        })
    }

    fn genesis_ms(&self) -> u128 {
        u128::from(self.genesis_s) * 1000
    }

    fn len_ms(&self) -> u128 {
        u128::from(self.epoch_len_s) * 1000
    }

    /// The epoch containing `timestamp_ms` (Unix ms); `None` before genesis (or with a zero epoch
    /// length). Note the contract's `epochAt` answers 0 before genesis instead; records before
    /// genesis belong to no epoch here.
    pub fn epoch_of(&self, timestamp_ms: u64) -> Option<u64> {
        let t = u128::from(timestamp_ms);
        if t < self.genesis_ms() || self.epoch_len_s == 0 {
            return None;
        }
        u64::try_from((t - self.genesis_ms()) / self.len_ms()).ok()
    }

    /// Exactly the contract's `epochAt(timestamp)` for Unix seconds: 0 before genesis.
    pub fn epoch_at_s(&self, timestamp_s: u64) -> u64 {
        if timestamp_s < self.genesis_s || self.epoch_len_s == 0 {
            return 0;
        }
        (timestamp_s - self.genesis_s) / u64::from(self.epoch_len_s)
    }

    /// `[start, end)` of `epoch` in Unix ms; `None` when it does not fit in a `u64`.
    pub fn bounds_ms(&self, epoch: u64) -> Option<(u64, u64)> {
        let start = self.genesis_ms() + u128::from(epoch) * self.len_ms();
        let end = start + self.len_ms();
        Some((u64::try_from(start).ok()?, u64::try_from(end).ok()?))
    }

    /// Uptime slots per epoch: `ceil(epoch_len_s / 60)`.
    pub fn slots_per_epoch(&self) -> u32 {
        slot_count(self.len_ms())
    }

    /// The epochs that the half-open period `[start_ms, end_ms)` overlaps (a report may span
    /// several epochs; it is counted in each); `None` if it overlaps none.
    pub fn epochs_overlapping(&self, start_ms: u64, end_ms: u64) -> Option<RangeInclusive<u64>> {
        if end_ms <= start_ms {
            return None;
        }
        let first = self.epoch_of(start_ms).or_else(|| {
            let genesis = u64::try_from(self.genesis_ms()).ok()?;
            (end_ms > genesis).then_some(0)
        })?;
        let last = self.epoch_of(end_ms - 1)?;
        Some(first..=last)
    }

    /// The `window_epochs` epochs ending at `last_epoch` (fewer near genesis).
    pub fn window(&self, last_epoch: u64, window_epochs: u64) -> RangeInclusive<u64> {
        last_epoch.saturating_sub(window_epochs.max(1) - 1)..=last_epoch
    }
}

pub(crate) fn slot_count(len_ms: u128) -> u32 {
    u32::try_from(len_ms.div_ceil(u128::from(SLOT_LEN_MS))).unwrap_or(u32::MAX)
}

/// What one roll-up is about: a data unit, an epoch and its bounds, and the speed size bound of
/// the data unit's terms (the only term that changes what is accumulated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AggregationContext {
    data_unit: u64,
    epoch: u64,
    start_ms: u64,
    end_ms: u64,
    speed_size_bound: u64,
}

impl AggregationContext {
    /// The context of `data_unit` in `epoch` under `terms`.
    pub fn new(
        config: &EpochConfig,
        terms: &SlaTerms,
        data_unit: u64,
        epoch: u64,
    ) -> Result<Self, AggregateError> {
        Self::with_size_bound(config, terms.speed_size_bound, data_unit, epoch)
    }

    /// The same with only the speed size bound given (0 = no bound).
    pub fn with_size_bound(
        config: &EpochConfig,
        speed_size_bound: u64,
        data_unit: u64,
        epoch: u64,
    ) -> Result<Self, AggregateError> {
        if config.epoch_len_s == 0 {
            return Err(AggregateError::ZeroEpochLength);
        }
        let (start_ms, end_ms) = config
            .bounds_ms(epoch)
            .ok_or(AggregateError::EpochOutOfRange { epoch })?;
        Ok(AggregationContext {
            data_unit,
            epoch,
            start_ms,
            end_ms,
            speed_size_bound,
        })
    }

    /// Rebuilds a context from its decoded fields, checking they are consistent.
    pub(crate) fn from_parts(
        data_unit: u64,
        epoch: u64,
        start_ms: u64,
        end_ms: u64,
        speed_size_bound: u64,
    ) -> Result<Self, AggregateError> {
        if end_ms <= start_ms
            || !(end_ms - start_ms).is_multiple_of(1000)
            || end_ms - start_ms > u64::from(u32::MAX) * 1000
        {
            return Err(AggregateError::Malformed("epoch bounds"));
        }
        Ok(AggregationContext {
            data_unit,
            epoch,
            start_ms,
            end_ms,
            speed_size_bound,
        })
    }

    /// The allocation id on chain.
    pub fn data_unit(&self) -> u64 {
        self.data_unit
    }
    /// The epoch number, counted from 0 at genesis.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    /// Epoch start, Unix ms (inclusive).
    pub fn start_ms(&self) -> u64 {
        self.start_ms
    }
    /// Epoch end, Unix ms (exclusive).
    pub fn end_ms(&self) -> u64 {
        self.end_ms
    }
    /// Largest object, in bytes, whose transfers count for the speed metrics; 0 means no bound.
    pub fn speed_size_bound(&self) -> u64 {
        self.speed_size_bound
    }

    /// Uptime slots in the epoch: `ceil((end - start) / 60 000 ms)`.
    pub fn slot_count(&self) -> u32 {
        slot_count(u128::from(self.end_ms - self.start_ms))
    }

    /// Whether `timestamp_ms` lies in `[start, end)`.
    pub fn contains(&self, timestamp_ms: u64) -> bool {
        timestamp_ms >= self.start_ms && timestamp_ms < self.end_ms
    }

    /// Whether an object of `object_size` bytes counts for the speed metrics.
    pub fn speed_eligible(&self, object_size: u64) -> bool {
        self.speed_size_bound == 0 || object_size <= self.speed_size_bound
    }
}
