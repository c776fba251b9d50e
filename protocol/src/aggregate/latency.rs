//! An exact, mergeable multiset of latencies and the statistics derived from it.
//!
//! Percentiles need the whole multiset, so it is kept exactly, as sorted `(latency, count)` runs.
//! New values are appended unsorted and folded into the runs in batches (sorted once per batch),
//! which keeps `push` to a vector append and memory proportional to the number of *distinct*
//! latencies (a few hundred thousand at most in practice, whatever the record count).

use serde::{Deserialize, Serialize};

use super::wire::{Put, Reader};
use super::AggregateError;

/// Fewest pending values before they are folded into the runs.
const COMPACT_MIN: usize = 1 << 16;

/// A multiset of `u32` latencies (µs).
#[derive(Debug, Clone, Default)]
pub struct LatencyMultiset {
    /// Sorted by latency, strictly ascending, every count > 0.
    runs: Vec<(u32, u64)>,
    /// Values not yet folded into `runs`, in arrival order.
    pending: Vec<u32>,
    /// Always empty; keeps the previous runs' allocation for the next compaction.
    scratch: Vec<(u32, u64)>,
    /// Number of values (runs and pending).
    len: u64,
    /// Sum of all values.
    sum: u128,
}

impl PartialEq for LatencyMultiset {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self.sum == other.sum
            && self.canonical_runs() == other.canonical_runs()
    }
}

impl Eq for LatencyMultiset {}

/// Statistics of a non-empty latency multiset, µs. Means round down; percentiles are
/// nearest-rank: the p-th percentile of n values is the `ceil(p * n / 100)`-th smallest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatencyStats {
    /// Number of values (successful operations of the kind); at least 1.
    pub count: u64,
    /// Exact sum, so windows can derive exact means from summaries.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub sum: u128,
    /// `floor(sum / count)`.
    pub mean: u32,
    /// Smallest value.
    pub min: u32,
    /// Median: the `ceil(50 * count / 100)`-th smallest value.
    pub p50: u32,
    /// The `ceil(95 * count / 100)`-th smallest value.
    pub p95: u32,
    /// The `ceil(99 * count / 100)`-th smallest value.
    pub p99: u32,
    /// Largest value.
    pub max: u32,
}

impl LatencyMultiset {
    /// An empty multiset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of values.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the multiset holds no value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sum of the values.
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// Adds one value.
    #[inline]
    pub fn push(&mut self, latency_us: u32) {
        self.pending.push(latency_us);
        self.len = self.len.saturating_add(1);
        self.sum = self.sum.saturating_add(u128::from(latency_us));
        if self.pending.len() >= COMPACT_MIN.max(self.runs.len()) {
            self.compact();
        }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &LatencyMultiset) {
        self.compact();
        let theirs = other.canonical_runs();
        self.runs = merge_runs(&self.runs, &theirs);
        self.len = self.len.saturating_add(other.len);
        self.sum = self.sum.saturating_add(other.sum);
    }

    /// Folds the pending values into the runs. Changes nothing observable; makes the next
    /// [`stats`](Self::stats) and the canonical encoding cheap.
    pub fn compact(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.pending.sort_unstable();
        // One pass merging the existing runs with the sorted pending values.
        let mut out = std::mem::take(&mut self.scratch);
        out.reserve(self.runs.len() + self.pending.len());
        let mut runs = self.runs.iter().peekable();
        let mut values = self.pending.iter().peekable();
        loop {
            let next = match (runs.peek(), values.peek()) {
                (Some(&&(rv, rc)), Some(&&v)) if rv <= v => {
                    runs.next();
                    (rv, rc)
                }
                (_, Some(&&v)) => {
                    values.next();
                    (v, 1)
                }
                (Some(&&run), None) => {
                    runs.next();
                    run
                }
                (None, None) => break,
            };
            match out.last_mut() {
                Some((last, count)) if *last == next.0 => *count = count.saturating_add(next.1),
                _ => out.push(next),
            }
        }
        self.pending.clear();
        self.scratch = std::mem::replace(&mut self.runs, out);
        self.scratch.clear();
    }

    /// The sorted `(latency, count)` runs of all values, compacting a copy if needed.
    pub fn canonical_runs(&self) -> std::borrow::Cow<'_, [(u32, u64)]> {
        if self.pending.is_empty() {
            std::borrow::Cow::Borrowed(&self.runs)
        } else {
            let mut copy = self.clone();
            copy.compact();
            std::borrow::Cow::Owned(copy.runs)
        }
    }

    /// Mean, min, nearest-rank p50/p95/p99 and max; `None` when empty.
    pub fn stats(&self) -> Option<LatencyStats> {
        if self.len == 0 {
            return None;
        }
        let runs = self.canonical_runs();
        let n = self.len;
        let ranks = [rank(50, n), rank(95, n), rank(99, n)];
        let mut found = [0u32; 3];
        let mut next = 0;
        let mut seen: u64 = 0;
        for &(value, count) in runs.iter() {
            // Saturating like `len`: only two decoded accumulators of 2^63 records each, merged,
            // hold more than u64::MAX values.
            seen = seen.saturating_add(count);
            while next < ranks.len() && ranks[next] <= seen {
                found[next] = value;
                next += 1;
            }
            if next == ranks.len() {
                break;
            }
        }
        Some(LatencyStats {
            count: n,
            sum: self.sum,
            // The mean of u32 values is at most u32::MAX.
            mean: (self.sum / u128::from(n)) as u32,
            min: runs.first().map(|r| r.0).unwrap_or(0),
            p50: found[0],
            p95: found[1],
            p99: found[2],
            max: runs.last().map(|r| r.0).unwrap_or(0),
        })
    }

    /// Canonical form: `u64` count of runs, then each run as `u32` latency, `u64` count.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        let runs = self.canonical_runs();
        out.put_u64(runs.len() as u64);
        for &(value, count) in runs.iter() {
            out.put_u32(value);
            out.put_u64(count);
        }
    }

    pub(crate) fn decode_from(r: &mut Reader<'_>) -> Result<Self, AggregateError> {
        let n = r.u64()?;
        if n > (r.remaining() / 12) as u64 {
            return Err(AggregateError::Malformed("latency run count"));
        }
        let mut runs = Vec::with_capacity(n as usize);
        let mut len: u64 = 0;
        let mut sum: u128 = 0;
        for _ in 0..n {
            let value = r.u32()?;
            let count = r.u64()?;
            if count == 0 || runs.last().is_some_and(|&(last, _)| last >= value) {
                return Err(AggregateError::Malformed("latency runs not canonical"));
            }
            len = len
                .checked_add(count)
                .ok_or(AggregateError::Malformed("latency count overflows"))?;
            sum = sum.saturating_add(u128::from(value) * u128::from(count));
            runs.push((value, count));
        }
        Ok(LatencyMultiset {
            runs,
            pending: Vec::new(),
            scratch: Vec::new(),
            len,
            sum,
        })
    }
}

/// The 1-based nearest rank of percentile `p` among `n >= 1` values: `ceil(p * n / 100)`.
fn rank(p: u64, n: u64) -> u64 {
    (u128::from(p) * u128::from(n)).div_ceil(100) as u64
}

fn merge_runs(a: &[(u32, u64)], b: &[(u32, u64)]) -> Vec<(u32, u64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (va, ca) = a[i];
        let (vb, cb) = b[j];
        if va < vb {
            out.push((va, ca));
            i += 1;
        } else if vb < va {
            out.push((vb, cb));
            j += 1;
        } else {
            out.push((va, ca.saturating_add(cb)));
            i += 1;
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}
