//! Gauge values of one view in one epoch (rules version 2): count, min, max, mean, last, the
//! range of every slot, and for counters the increase and rate (`docs/aggregation.md`, "Gauges").

use serde::{Deserialize, Serialize};

use super::gauge_window::Thresholds;
use super::wire::{Put, Reader};
use super::{AggregateError, SLOT_LEN_MS};
use crate::gauge::{is_counter, GaugeUnit};

/// The successful samples of one gauge. Adding samples or merging in any order gives the same
/// state: every field is a commutative fold (sums, extremes, the greatest `(timestamp, value)`),
/// and a counter's samples are kept as a multiset, sorted before use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GaugeAccumulator {
    pub(crate) count: u64,
    pub(crate) sum: i128,
    pub(crate) min: i64,
    pub(crate) max: i64,
    /// `(timestamp_ms, value)` of the latest sample; of two at the same instant, the greater value.
    pub(crate) last: (u64, i64),
    /// The range of every slot that has a sample, ascending by slot. Sparse on purpose: its size
    /// follows the samples, so a report of many distinct names cannot make the aggregator
    /// allocate a whole epoch of slots for each.
    pub(crate) slots: Vec<GaugeSlot>,
    /// Every sample of a counter, `(timestamp_ms, value)`, ascending; empty for other gauges.
    pub(crate) series: Vec<(u64, i64)>,
}

impl Default for GaugeAccumulator {
    fn default() -> Self {
        GaugeAccumulator {
            count: 0,
            sum: 0,
            min: i64::MAX,
            max: i64::MIN,
            last: (0, i64::MIN),
            slots: Vec::new(),
            series: Vec::new(),
        }
    }
}

impl GaugeAccumulator {
    /// Adds one sample taken at `offset_ms` after the epoch start (slot = offset / 60 s).
    #[inline]
    pub(crate) fn add(
        &mut self,
        counter: bool,
        timestamp_ms: u64,
        offset_ms: u64,
        value: i64,
        slot_count: u32,
    ) {
        self.count = self.count.saturating_add(1);
        self.sum = self.sum.saturating_add(i128::from(value));
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.last = self.last.max((timestamp_ms, value));
        let slot = (offset_ms / SLOT_LEN_MS) as u32;
        debug_assert!(slot < slot_count);
        // Samples mostly come in time order: the last slot, or a new one after it.
        match self.slots.last_mut() {
            Some(last) if last.slot == slot => last.widen(value, value),
            Some(last) if last.slot > slot => {
                match self.slots.binary_search_by_key(&slot, |s| s.slot) {
                    Ok(i) => self.slots[i].widen(value, value),
                    Err(i) => self.slots.insert(i, GaugeSlot::of(slot, value)),
                }
            }
            _ => self.slots.push(GaugeSlot::of(slot, value)),
        }
        if counter {
            // Kept sorted: samples mostly come in time order, so this is a push.
            let sample = (timestamp_ms, value);
            match self.series.last() {
                Some(&last) if last > sample => {
                    let at = self.series.partition_point(|s| *s <= sample);
                    self.series.insert(at, sample);
                }
                _ => self.series.push(sample),
            }
        }
    }

    pub(crate) fn merge(&mut self, other: &GaugeAccumulator) {
        if other.count == 0 {
            return;
        }
        self.count = self.count.saturating_add(other.count);
        self.sum = self.sum.saturating_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.last = self.last.max(other.last);
        let mut merged = Vec::with_capacity(self.slots.len().max(other.slots.len()));
        let (mut a, mut b) = (self.slots.iter().peekable(), other.slots.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.slot == y.slot => {
                    let mut s = **x;
                    s.widen(y.min, y.max);
                    a.next();
                    b.next();
                    s
                }
                (Some(x), Some(y)) if x.slot < y.slot => *a.next().expect("peeked"),
                (Some(_), Some(_)) | (None, Some(_)) => *b.next().expect("peeked"),
                (Some(_), None) => *a.next().expect("peeked"),
                (None, None) => break,
            };
            merged.push(next);
        }
        self.slots = merged;
        if !other.series.is_empty() {
            self.series.extend_from_slice(&other.series);
            self.series.sort_unstable();
        }
    }

    /// `count > 0`: `sum min max last_ts last_value` and the slots with samples, then the
    /// counter's samples ascending. Nothing follows a zero count.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u64(self.count);
        if self.count == 0 {
            return;
        }
        out.extend_from_slice(&self.sum.to_be_bytes());
        out.put_i64(self.min);
        out.put_i64(self.max);
        out.put_u64(self.last.0);
        out.put_i64(self.last.1);
        out.put_u32(self.slots.len() as u32);
        for s in &self.slots {
            out.put_u32(s.slot);
            out.put_i64(s.min);
            out.put_i64(s.max);
        }
        out.put_u32(self.series.len() as u32);
        for &(ts, v) in &self.series {
            out.put_u64(ts);
            out.put_i64(v);
        }
    }

    /// Decodes one gauge; the caller's canonical re-encoding check catches unsorted slots.
    pub(crate) fn decode_from(
        r: &mut Reader<'_>,
        counter: bool,
        slot_count: u32,
    ) -> Result<Self, AggregateError> {
        let mut acc = GaugeAccumulator {
            count: r.u64()?,
            ..GaugeAccumulator::default()
        };
        if acc.count == 0 {
            return Ok(acc);
        }
        acc.sum = i128::from_be_bytes(r.array()?);
        acc.min = r.i64()?;
        acc.max = r.i64()?;
        acc.last = (r.u64()?, r.i64()?);
        let used = r.u32()?;
        if used == 0 || used > slot_count {
            return Err(AggregateError::Malformed("gauge slots"));
        }
        for _ in 0..used {
            let i = r.u32()?;
            let (lo, hi) = (r.i64()?, r.i64()?);
            let ascending = acc.slots.last().is_none_or(|s| s.slot < i);
            if i >= slot_count || !ascending || lo > hi || lo < acc.min || hi > acc.max {
                return Err(AggregateError::Malformed("gauge slot out of range"));
            }
            acc.slots.push(GaugeSlot {
                slot: i,
                min: lo,
                max: hi,
            });
        }
        let n = r.u32()?;
        for _ in 0..n {
            acc.series.push((r.u64()?, r.i64()?));
        }
        // The sum of `count` samples lies between `count` times the least and the greatest (the
        // products fit: |i64| * u64 < 2^127), so the mean does too.
        let count = i128::from(acc.count);
        let sum_in_range =
            count * i128::from(acc.min) <= acc.sum && acc.sum <= count * i128::from(acc.max);
        // A counter's samples: ascending (the order `add` and `merge` keep, that its increase
        // and span are computed in), inside the extremes, the greatest of them the latest.
        let series_consistent = acc.series.windows(2).all(|w| w[0] <= w[1])
            && acc
                .series
                .iter()
                .all(|&(_, v)| acc.min <= v && v <= acc.max)
            && acc.series.last().is_none_or(|&last| last == acc.last);
        let consistent = acc.min <= acc.last.1
            && acc.last.1 <= acc.max
            && sum_in_range
            && series_consistent
            && (if counter {
                u64::from(n) == acc.count
            } else {
                n == 0
            })
            && acc.slots.iter().any(|s| s.min == acc.min)
            && acc.slots.iter().any(|s| s.max == acc.max);
        if !consistent {
            return Err(AggregateError::Malformed("gauge values inconsistent"));
        }
        Ok(acc)
    }

    /// The range of the samples of every slot that has one, ascending.
    pub(crate) fn slot_ranges(&self) -> Vec<GaugeSlot> {
        self.slots.clone()
    }

    /// `(slots above, slots below)` the thresholds given: slots whose greatest sample is
    /// greater than `above`, whose least is less than `below`.
    pub(crate) fn slots_beyond(&self, thresholds: Thresholds) -> (Option<u64>, Option<u64>) {
        let count = |pred: &dyn Fn(&GaugeSlot) -> bool| {
            self.slots.iter().filter(|s| pred(s)).count() as u64
        };
        (
            thresholds.above.map(|t| count(&|s| s.max > t)),
            thresholds.below.map(|t| count(&|s| s.min < t)),
        )
    }

    /// The derived values of a gauge named `name` with `failed` failed checks.
    pub(crate) fn summary(&self, name: &str, failed: u64) -> GaugeSummary {
        let known = self.count > 0;
        let slots = self.slots.len() as u32;
        GaugeSummary {
            name: name.to_string(),
            unit: GaugeUnit::of(name),
            samples: self.count,
            failed,
            sum: known.then_some(self.sum),
            min: known.then_some(self.min),
            max: known.then_some(self.max),
            mean: known.then(|| mean(self.sum, self.count, self.min, self.max)),
            last: known.then_some(self.last.1),
            last_at_ms: known.then_some(self.last.0),
            slots,
            counter: (is_counter(name) && known).then(|| CounterSummary::of(&self.series)),
        }
    }
}

/// `floor(sum / count)`, rounded towards negative infinity, kept within `[min, max]`: exactly the
/// mean when `sum` is the sum of `count` samples between `min` and `max`, which `decode` checks
/// and adding and merging keep; a sum that saturated (past 2^64 samples) gives a bound, not a
/// panic.
pub(crate) fn mean(sum: i128, count: u64, min: i64, max: i64) -> i64 {
    let m = sum.div_euclid(i128::from(count.max(1)));
    m.clamp(i128::from(min), i128::from(max.max(min))) as i64
}

/// The range of a gauge's samples in one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GaugeSlot {
    /// The slot's index in the epoch (60 s each, from the epoch start).
    pub slot: u32,
    /// Least sample in the slot.
    pub min: i64,
    /// Greatest sample in the slot.
    pub max: i64,
}

impl GaugeSlot {
    fn of(slot: u32, value: i64) -> GaugeSlot {
        GaugeSlot {
            slot,
            min: value,
            max: value,
        }
    }

    fn widen(&mut self, min: i64, max: i64) {
        self.min = self.min.min(min);
        self.max = self.max.max(max);
    }
}

/// A counter's increase over the epoch, with resets handled as Prometheus does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CounterSummary {
    /// Sum over consecutive samples (by timestamp, then value) of `v - prev` when `v >= prev`,
    /// else of `max(v, 0)` (a reset: the counter restarted from zero); saturated at `u64::MAX`.
    pub increase: u64,
    /// How many times the value went down.
    pub resets: u64,
    /// Last sample's timestamp minus the first's, ms.
    pub span_ms: u64,
    /// `floor(increase · 1 000 000 / span_ms)`: thousandths of a unit per second; `None` when
    /// `span_ms` is 0.
    pub rate_milli_per_s: Option<u64>,
}

impl CounterSummary {
    fn of(series: &[(u64, i64)]) -> CounterSummary {
        let (mut increase, mut resets) = (0u128, 0u64);
        for pair in series.windows(2) {
            let (prev, v) = (pair[0].1, pair[1].1);
            if v >= prev {
                increase += (i128::from(v) - i128::from(prev)) as u128;
            } else {
                resets += 1;
                increase += v.max(0) as u128;
            }
        }
        let span_ms = match (series.first(), series.last()) {
            (Some(first), Some(last)) => last.0 - first.0,
            _ => 0,
        };
        let rate = (span_ms > 0).then(|| {
            let r = increase.saturating_mul(1_000_000) / u128::from(span_ms);
            u64::try_from(r).unwrap_or(u64::MAX)
        });
        CounterSummary {
            increase: u64::try_from(increase).unwrap_or(u64::MAX),
            resets,
            span_ms,
            rate_milli_per_s: rate,
        }
    }
}

/// One gauge as one view saw it in one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GaugeSummary {
    /// The gauge's name (a custom metric's name).
    pub name: String,
    /// Its unit, read from the name's suffix.
    pub unit: GaugeUnit,
    /// Successful samples.
    pub samples: u64,
    /// Failed checks of this gauge (records with `success = false`).
    pub failed: u64,
    /// `Σ samples` (128 bits, a decimal string in JSON); `None` without samples (as are the
    /// next five). Windows sum it to get exact means over several epochs.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^-?[0-9]+$"))]
    #[serde(default, with = "opt_i128_string")]
    pub sum: Option<i128>,
    /// Least sample.
    pub min: Option<i64>,
    /// Greatest sample.
    pub max: Option<i64>,
    /// `floor(Σ samples / samples)`, rounded towards negative infinity.
    pub mean: Option<i64>,
    /// The latest sample's value (of two at the same instant, the greater).
    pub last: Option<i64>,
    /// The latest sample's timestamp, Unix ms.
    pub last_at_ms: Option<u64>,
    /// Slots with a sample. Their ranges (for the slots above or below a threshold) are in the
    /// accumulator only: [`crate::aggregate::ViewAccumulator::gauge_slots`].
    pub slots: u32,
    /// For a counter (`…_total`) with samples: its increase and rate.
    pub counter: Option<CounterSummary>,
}

impl GaugeSummary {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u8(self.name.len() as u8);
        out.extend_from_slice(self.name.as_bytes());
        out.put_u64(self.samples);
        out.put_u64(self.failed);
        match self.sum {
            None => out.put_u8(0),
            Some(sum) => {
                out.put_u8(1);
                out.extend_from_slice(&sum.to_be_bytes());
            }
        }
        for v in [self.min, self.max, self.mean, self.last] {
            out.put_opt_i64(v);
        }
        out.put_opt_u64(self.last_at_ms);
        out.put_u32(self.slots);
        match &self.counter {
            None => out.put_u8(0),
            Some(c) => {
                out.put_u8(1);
                out.put_u64(c.increase);
                out.put_u64(c.resets);
                out.put_u64(c.span_ms);
                out.put_opt_u64(c.rate_milli_per_s);
            }
        }
    }
}

/// `Option<i128>` as a decimal string: JSON numbers past 2^53 lose digits in many readers.
mod opt_i128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<i128>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&v.to_string()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i128>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}
