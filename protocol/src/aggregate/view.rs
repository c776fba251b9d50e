//! The mergeable, order-independent accumulator of one view (one party's reports) of one data
//! unit in one epoch.

use std::collections::BTreeSet;

use foldhash::{HashMap, HashMapExt};

use super::context::AggregationContext;
use super::gauge_window::Thresholds;
use super::gauges::{GaugeAccumulator, GaugeSlot};
use super::kind::OpKind;
use super::latency::LatencyMultiset;
use super::maintenance::Exclusions;
use super::slots::{ratio_bps, word_mask, words, SlotBitmap, SlotCounts};
use super::summary::{speed_bps, OpSummary, SpeedSummary, ViewSummary};
use super::wire::{Put, Reader};
use super::{AggregateError, RULES_VERSION, SLOT_LEN_MS};
use crate::gauge::is_counter;
use crate::record::{validate_custom_name, Operation, QosRecord};
use crate::report::{Report, ReportHash, Role};

/// First bytes of an encoded [`ViewAccumulator`].
pub const VIEW_ACCUMULATOR_TAG: &[u8] = b"SLA-ORACLE/VIEW-ACCUMULATOR";

/// Counts and successful-operation latencies of one operation kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OpAccumulator {
    pub(crate) total: u64,
    pub(crate) failed: u64,
    /// Latencies of the successful operations only.
    pub(crate) latency: LatencyMultiset,
}

impl OpAccumulator {
    fn merge(&mut self, other: &OpAccumulator) {
        self.total = self.total.saturating_add(other.total);
        self.failed = self.failed.saturating_add(other.failed);
        self.latency.merge(&other.latency);
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u64(self.total);
        out.put_u64(self.failed);
        self.latency.encode_into(out);
    }

    fn decode_from(r: &mut Reader<'_>) -> Result<Self, AggregateError> {
        let total = r.u64()?;
        let failed = r.u64()?;
        let latency = LatencyMultiset::decode_from(r)?;
        if failed > total || latency.len() != total - failed {
            return Err(AggregateError::Malformed("operation counts inconsistent"));
        }
        Ok(OpAccumulator {
            total,
            failed,
            latency,
        })
    }
}

/// A custom metric: its records counted as an operation kind, and its successful values as a
/// gauge (rules version 2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CustomAccumulator {
    pub(crate) op: OpAccumulator,
    pub(crate) gauge: GaugeAccumulator,
}

/// Aggregate transfer of the speed-eligible successful uploads or downloads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SpeedAccumulator {
    pub(crate) samples: u64,
    pub(crate) bytes: u128,
    /// Sum of `max(latency_us, 1)`.
    pub(crate) latency_us: u128,
}

impl SpeedAccumulator {
    fn summary(&self) -> SpeedSummary {
        SpeedSummary {
            samples: self.samples,
            bytes: self.bytes,
            latency_us: self.latency_us,
            bps: speed_bps(self.bytes, self.latency_us),
        }
    }

    fn merge(&mut self, other: &SpeedAccumulator) {
        self.samples = self.samples.saturating_add(other.samples);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.latency_us = self.latency_us.saturating_add(other.latency_us);
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u64(self.samples);
        out.put_u128(self.bytes);
        out.put_u128(self.latency_us);
    }

    fn decode_from(r: &mut Reader<'_>) -> Result<Self, AggregateError> {
        let s = SpeedAccumulator {
            samples: r.u64()?,
            bytes: r.u128()?,
            latency_us: r.u128()?,
        };
        if u128::from(s.samples) > s.latency_us || (s.samples == 0) != (s.bytes == 0) {
            return Err(AggregateError::Malformed("speed sums inconsistent"));
        }
        Ok(s)
    }
}

/// Everything one view (the consumer's or the provider's reports) says about one data unit in
/// one epoch. Adding records or merging accumulators in any order gives the same state, the same
/// [`encode`](Self::encode) bytes and the same [`summary`](Self::summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewAccumulator {
    pub(crate) ctx: AggregationContext,
    pub(crate) role: Role,
    /// Read, write, upload, download, delete, probe.
    pub(crate) builtin: [OpAccumulator; 6],
    /// By name. A hash map, not an ordered one: a gauge sample is one lookup among an agent's
    /// ~50 names, and comparing names with common prefixes (`host.…`) down a B-tree was ~40 % of
    /// adding it. Everything that depends on order goes through [`Self::customs_by_name`].
    pub(crate) custom: HashMap<String, CustomAccumulator>,
    pub(crate) upload: SpeedAccumulator,
    pub(crate) download: SpeedAccumulator,
    /// Slots with at least one successful service operation.
    pub(crate) slots_success: SlotBitmap,
    /// Slots with at least one failed service operation.
    pub(crate) slots_failure: SlotBitmap,
    /// Slots overlapped by a report period of this view.
    pub(crate) slots_covered: SlotBitmap,
    pub(crate) reports: BTreeSet<ReportHash>,
}

impl ViewAccumulator {
    /// An empty view of the party with `role`, for the data unit and epoch of `ctx`.
    pub fn new(ctx: AggregationContext, role: Role) -> Self {
        ViewAccumulator {
            ctx,
            role,
            builtin: Default::default(),
            custom: HashMap::new(),
            upload: SpeedAccumulator::default(),
            download: SpeedAccumulator::default(),
            slots_success: SlotBitmap::default(),
            slots_failure: SlotBitmap::default(),
            slots_covered: SlotBitmap::default(),
            reports: BTreeSet::new(),
        }
    }

    /// The range of gauge `name`'s samples in every slot that has one, ascending; `None` when
    /// this view has no record of it. Kept here, not in the summary: 60 ranges per gauge and
    /// hour would triple what every roll-up stores, and only thresholds need them.
    pub fn gauge_slots(&self, name: &str) -> Option<Vec<GaugeSlot>> {
        self.custom.get(name).map(|c| c.gauge.slot_ranges())
    }

    /// `(slots above, slots below)` the thresholds of gauge `name` (see `docs/aggregation.md`,
    /// "Gauges"): slots whose greatest sample is greater than `above`, least less than `below`.
    pub fn gauge_slots_beyond(
        &self,
        name: &str,
        thresholds: Thresholds,
    ) -> (Option<u64>, Option<u64>) {
        match self.custom.get(name) {
            Some(c) => c.gauge.slots_beyond(thresholds),
            None => (thresholds.above.map(|_| 0), thresholds.below.map(|_| 0)),
        }
    }

    /// The custom metrics ascending by name: the order of the summary and of the encoding.
    fn customs_by_name(&self) -> Vec<(&String, &CustomAccumulator)> {
        let mut customs: Vec<_> = self.custom.iter().collect();
        customs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        customs
    }

    /// The data unit, epoch and size bound this view is for.
    pub fn context(&self) -> &AggregationContext {
        &self.ctx
    }

    /// Whose reports this view holds.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The hashes of the reports this view used, ascending.
    pub fn report_hashes(&self) -> impl Iterator<Item = &ReportHash> {
        self.reports.iter()
    }

    /// Adds one record. Returns `false` (and changes nothing) when its timestamp is outside the
    /// epoch; the caller routes records to epochs.
    ///
    /// Rules: every record counts for its kind's `total` (and `failed` if not successful); the
    /// latency of a *successful* record joins its kind's latency multiset; a successful upload or
    /// download with `bytes > 0` and `object_size <= speed_size_bound` joins the speed sums with
    /// `max(latency_us, 1)`; a service record marks its slot as having a success or a failure.
    /// `throughput_bps` is never used.
    #[inline]
    pub fn add_record(&mut self, record: &QosRecord) -> bool {
        if !self.ctx.contains(record.timestamp_ms) {
            return false;
        }
        let index = match &record.operation {
            Operation::Read => 0,
            Operation::Write => 1,
            Operation::Upload => 2,
            Operation::Download => 3,
            Operation::Delete => 4,
            Operation::Probe => 5,
            Operation::Custom { name, value } => {
                let acc = match self.custom.get_mut(name.as_str()) {
                    Some(acc) => acc,
                    None => self.custom.entry(name.clone()).or_default(),
                };
                count(&mut acc.op, record);
                if record.success {
                    let offset = record.timestamp_ms - self.ctx.start_ms();
                    let slots = self.ctx.slot_count();
                    let counter = is_counter(name);
                    acc.gauge
                        .add(counter, record.timestamp_ms, offset, *value, slots);
                }
                return true;
            }
        };
        count(&mut self.builtin[index], record);
        let slots = self.ctx.slot_count();
        let slot = ((record.timestamp_ms - self.ctx.start_ms()) / SLOT_LEN_MS) as u32;
        if record.success {
            self.slots_success.set(slot, slots);
            if record.bytes > 0 && self.ctx.speed_eligible(record.object_size) {
                let speed = match index {
                    2 => &mut self.upload,
                    3 => &mut self.download,
                    _ => return true,
                };
                speed.samples = speed.samples.saturating_add(1);
                speed.bytes = speed.bytes.saturating_add(u128::from(record.bytes));
                speed.latency_us = speed
                    .latency_us
                    .saturating_add(u128::from(record.latency_us.max(1)));
            }
        } else {
            self.slots_failure.set(slot, slots);
        }
        true
    }

    /// Marks the slots that the report period `[start_ms, end_ms)` overlaps as covered by this
    /// view. Returns whether the period overlaps the epoch at all.
    pub fn add_report_period(&mut self, start_ms: u64, end_ms: u64) -> bool {
        let from = start_ms.max(self.ctx.start_ms());
        let to = end_ms.min(self.ctx.end_ms());
        if from >= to {
            return false;
        }
        let first = ((from - self.ctx.start_ms()) / SLOT_LEN_MS) as u32;
        let last = ((to - 1 - self.ctx.start_ms()) / SLOT_LEN_MS) as u32;
        self.slots_covered
            .set_range(first, last, self.ctx.slot_count());
        true
    }

    /// Records that the report with `hash` was used by this view (it goes into the Merkle root).
    pub fn add_report_hash(&mut self, hash: ReportHash) {
        self.reports.insert(hash);
    }

    /// Adds a whole report: when its period overlaps the epoch, its hash, its coverage and its
    /// records inside the epoch. Returns whether it was used (overlaps the epoch). Idempotent: a
    /// report whose hash this view already holds is not counted again.
    pub fn add_report(
        &mut self,
        report: &Report,
        hash: ReportHash,
    ) -> Result<bool, AggregateError> {
        self.add_report_except(report, hash, &Exclusions::default())
    }

    /// [`Self::add_report`] without the records that `excluded` (announced maintenance) holds:
    /// the report still counts as used and its period still covers its slots.
    pub fn add_report_except(
        &mut self,
        report: &Report,
        hash: ReportHash,
        excluded: &Exclusions,
    ) -> Result<bool, AggregateError> {
        if report.data_unit != self.ctx.data_unit() {
            return Err(AggregateError::WrongDataUnit {
                expected: self.ctx.data_unit(),
                got: report.data_unit,
            });
        }
        if report.role != self.role {
            return Err(AggregateError::WrongRole {
                expected: self.role,
                got: report.role,
            });
        }
        if self.reports.contains(&hash) {
            return Ok(true);
        }
        if !self.add_report_period(report.period_start_ms, report.period_end_ms) {
            return Ok(false);
        }
        self.add_report_hash(hash);
        if excluded.is_empty() {
            for record in &report.records {
                self.add_record(record);
            }
        } else {
            for record in &report.records {
                if !excluded.excludes(record.timestamp_ms) {
                    self.add_record(record);
                }
            }
        }
        Ok(true)
    }

    /// Adds everything `other` holds. Both must be for the same context and role and must not
    /// share a report (its records would count twice); on error nothing changes.
    pub fn merge(&mut self, other: &ViewAccumulator) -> Result<(), AggregateError> {
        self.check_mergeable(other)?;
        for (mine, theirs) in self.builtin.iter_mut().zip(&other.builtin) {
            mine.merge(theirs);
        }
        for (name, theirs) in &other.custom {
            let mine = self.custom.entry(name.clone()).or_default();
            mine.op.merge(&theirs.op);
            mine.gauge.merge(&theirs.gauge);
        }
        self.upload.merge(&other.upload);
        self.download.merge(&other.download);
        self.slots_success.or(&other.slots_success);
        self.slots_failure.or(&other.slots_failure);
        self.slots_covered.or(&other.slots_covered);
        self.reports.extend(other.reports.iter().copied());
        Ok(())
    }

    pub(crate) fn check_mergeable(&self, other: &ViewAccumulator) -> Result<(), AggregateError> {
        if self.ctx != other.ctx || self.role != other.role {
            return Err(AggregateError::ContextMismatch);
        }
        match self.reports.intersection(&other.reports).next() {
            Some(hash) => Err(AggregateError::OverlappingReports(*hash)),
            None => Ok(()),
        }
    }

    /// Sorts pending latencies into their runs; changes nothing observable, makes
    /// [`summary`](Self::summary) and [`encode`](Self::encode) cheap. Call once after adding.
    pub fn compact(&mut self) {
        for op in self.builtin.iter_mut() {
            op.latency.compact();
        }
        for custom in self.custom.values_mut() {
            custom.op.latency.compact();
        }
    }

    /// The derived numbers of this view.
    pub fn summary(&self) -> ViewSummary {
        let mut ops = Vec::new();
        let summarize = |kind: OpKind, op: &OpAccumulator| OpSummary {
            kind,
            total: op.total,
            failed: op.failed,
            latency: op.latency.stats(),
        };
        let (mut service_operations, mut service_failures) = (0u64, 0u64);
        for (kind, op) in OpKind::BUILTIN.iter().zip(&self.builtin) {
            service_operations = service_operations.saturating_add(op.total);
            service_failures = service_failures.saturating_add(op.failed);
            if op.total > 0 {
                ops.push(summarize(kind.clone(), op));
            }
        }
        let (mut checks, mut faults) = (service_operations, service_failures);
        let mut gauges = Vec::with_capacity(self.custom.len());
        for (name, custom) in self.customs_by_name() {
            let op = &custom.op;
            if op.total > 0 {
                ops.push(summarize(OpKind::Custom(name.clone()), op));
                gauges.push(custom.gauge.summary(name, op.failed));
            }
            checks = checks.saturating_add(op.total);
            faults = faults.saturating_add(op.failed);
        }
        let slots = self.ctx.slot_count();
        let mut counts = SlotCounts::default();
        for i in 0..words(slots) {
            let mask = word_mask(slots, i);
            let s = self.slots_success.word(i);
            let f = self.slots_failure.word(i);
            let c = self.slots_covered.word(i);
            counts.up += u64::from(s.count_ones());
            counts.down += u64::from((f & !s).count_ones());
            counts.quiet += u64::from((c & !(s | f)).count_ones());
            counts.silent += u64::from((!(c | s | f) & mask).count_ones());
        }
        ViewSummary {
            role: self.role,
            reports: self.reports.len() as u64,
            ops,
            service_operations,
            service_failures,
            error_rate_bps: ratio_bps(service_failures, service_operations),
            upload: self.upload.summary(),
            download: self.download.summary(),
            slots: counts,
            checks,
            faults,
            fault_rate_bps: ratio_bps(faults, checks),
            gauges,
        }
    }

    /// The canonical state encoding (see `docs/aggregation.md`, "Accumulator encoding"): equal
    /// states give equal bytes, and [`decode`](Self::decode) restores a state that merges like
    /// the original, so storage can persist accumulators and add reports incrementally.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_as(RULES_VERSION)
    }

    /// The encoding of `version`: 1 has no gauge values (what a version 1 accumulator held).
    fn encode_as(&self, version: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(VIEW_ACCUMULATOR_TAG);
        out.put_u8(version);
        out.put_u64(self.ctx.data_unit());
        out.put_u64(self.ctx.epoch());
        out.put_u64(self.ctx.start_ms());
        out.put_u64(self.ctx.end_ms());
        out.put_u64(self.ctx.speed_size_bound());
        out.put_u8(self.role.tag());
        for op in &self.builtin {
            op.encode_into(&mut out);
        }
        out.put_u32(self.custom.len() as u32);
        for (name, custom) in self.customs_by_name() {
            out.put_u8(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
            custom.op.encode_into(&mut out);
            if version >= 2 {
                custom.gauge.encode_into(&mut out);
            }
        }
        self.upload.encode_into(&mut out);
        self.download.encode_into(&mut out);
        let slots = self.ctx.slot_count();
        self.slots_success.encode_into(slots, &mut out);
        self.slots_failure.encode_into(slots, &mut out);
        self.slots_covered.encode_into(slots, &mut out);
        out.put_u32(self.reports.len() as u32);
        for hash in &self.reports {
            out.extend_from_slice(&hash.0);
        }
        out
    }

    /// Decodes an [`encode`](Self::encode)d state; refuses anything that is not the canonical
    /// encoding of a consistent state.
    pub fn decode(bytes: &[u8]) -> Result<Self, AggregateError> {
        let mut r = Reader::new(bytes);
        if r.take(VIEW_ACCUMULATOR_TAG.len())? != VIEW_ACCUMULATOR_TAG {
            return Err(AggregateError::Malformed("not a view accumulator"));
        }
        // Version 1 (no gauge values) is still read, so that epochs open across an upgrade
        // keep their counts; their gauges hold only the reports counted after it.
        let version = r.u8()?;
        if !(1..=RULES_VERSION).contains(&version) {
            return Err(AggregateError::Malformed("unknown rules version"));
        }
        let ctx = AggregationContext::from_parts(r.u64()?, r.u64()?, r.u64()?, r.u64()?, r.u64()?)?;
        let role = Role::from_tag(r.u8()?).ok_or(AggregateError::Malformed("role"))?;
        let mut acc = ViewAccumulator::new(ctx, role);
        for op in acc.builtin.iter_mut() {
            *op = OpAccumulator::decode_from(&mut r)?;
        }
        let customs = r.u32()?;
        for _ in 0..customs {
            let len = r.u8()? as usize;
            let name = r.take(len)?;
            validate_custom_name(name).map_err(|_| AggregateError::Malformed("custom name"))?;
            let name = String::from_utf8(name.to_vec()).expect("validated as ASCII");
            let op = OpAccumulator::decode_from(&mut r)?;
            let gauge = if version >= 2 {
                GaugeAccumulator::decode_from(&mut r, is_counter(&name), ctx.slot_count())?
            } else {
                GaugeAccumulator::default()
            };
            // Fewer only when the epoch was open across the upgrade from version 1.
            if gauge.count > op.total - op.failed {
                return Err(AggregateError::Malformed(
                    "more gauge samples than successful records",
                ));
            }
            acc.custom.insert(name, CustomAccumulator { op, gauge });
        }
        acc.upload = SpeedAccumulator::decode_from(&mut r)?;
        acc.download = SpeedAccumulator::decode_from(&mut r)?;
        let slots = ctx.slot_count();
        acc.slots_success = SlotBitmap::decode_from(&mut r, slots)?;
        acc.slots_failure = SlotBitmap::decode_from(&mut r, slots)?;
        acc.slots_covered = SlotBitmap::decode_from(&mut r, slots)?;
        let reports = r.u32()?;
        for _ in 0..reports {
            acc.reports.insert(ReportHash(r.array()?));
        }
        if r.remaining() != 0 {
            return Err(AggregateError::Malformed("trailing bytes"));
        }
        // Sorted names and hashes, no duplicates, no zero-count runs: the only encoding.
        if acc.encode_as(version) != bytes {
            return Err(AggregateError::Malformed("not the canonical encoding"));
        }
        Ok(acc)
    }
}

#[inline]
fn count(acc: &mut OpAccumulator, record: &QosRecord) {
    acc.total = acc.total.saturating_add(1);
    if record.success {
        acc.latency.push(record.latency_us);
    } else {
        acc.failed = acc.failed.saturating_add(1);
    }
}

/// The fast path for benchmarks and full roll-ups: one view's records of one epoch, in one pass
/// (records outside the epoch are skipped), compacted and ready for [`ViewAccumulator::summary`].
pub fn aggregate_records(
    ctx: AggregationContext,
    role: Role,
    records: &[QosRecord],
) -> ViewAccumulator {
    let mut acc = ViewAccumulator::new(ctx, role);
    for record in records {
        acc.add_record(record);
    }
    acc.compact();
    acc
}
