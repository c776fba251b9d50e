//! The derived numbers of an epoch: per view, combined at slot level, and their canonical bytes.

use serde::{Deserialize, Serialize};

use super::gauges::GaugeSummary;
use super::kind::OpKind;
use super::latency::LatencyStats;
use super::slots::{ratio_bps, SlotCounts};
use super::wire::Put;
use super::{Metric, RULES_VERSION};
use crate::report::Role;

/// First bytes of an encoded [`EpochSummary`].
pub const EPOCH_SUMMARY_TAG: &[u8] = b"SLA-ORACLE/EPOCH-SUMMARY";

/// One operation kind in one view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpSummary {
    /// The operation kind (a built-in, or a custom metric's name).
    pub kind: OpKind,
    /// Records of this kind.
    pub total: u64,
    /// Of which not successful.
    pub failed: u64,
    /// Latency statistics of the successful records; `None` when there were none.
    pub latency: Option<LatencyStats>,
}

/// Aggregate speed of the speed-eligible successful transfers of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpeedSummary {
    /// Eligible transfers: successful, `bytes > 0`, `object_size <= speed_size_bound`.
    pub samples: u64,
    /// Sum of their `bytes`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub bytes: u128,
    /// Sum of their `max(latency_us, 1)`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub latency_us: u128,
    /// `floor(bytes * 1_000_000 / latency_us)`, saturated to `u64::MAX`; `None` without samples.
    pub bps: Option<u64>,
}

impl SpeedSummary {
    fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u64(self.samples);
        out.put_u128(self.bytes);
        out.put_u128(self.latency_us);
        out.put_opt_u64(self.bps);
    }
}

/// `floor(bytes * 1e6 / latency_us)` without overflow, saturated to `u64::MAX`; `None` when
/// `latency_us` is 0 (no samples: every sample adds at least 1 µs).
pub(crate) fn speed_bps(bytes: u128, latency_us: u128) -> Option<u64> {
    if latency_us == 0 {
        return None;
    }
    // bytes * 1e6 / lat = q * 1e6 + r * 1e6 / lat with bytes = q * lat + r, r < lat.
    let (q, r) = (bytes / latency_us, bytes % latency_us);
    let whole = q.checked_mul(1_000_000);
    let frac = r.checked_mul(1_000_000).map(|x| x / latency_us);
    let bps = match (whole, frac) {
        (Some(w), Some(f)) => w.saturating_add(f),
        _ => u128::MAX,
    };
    Some(u64::try_from(bps).unwrap_or(u64::MAX))
}

/// Everything one view says about one data unit in one epoch, derived from its accumulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViewSummary {
    /// Whose reports these are.
    pub role: Role,
    /// Distinct reports of this view that overlap the epoch.
    pub reports: u64,
    /// Kinds with at least one record, in [`OpKind`] order.
    pub ops: Vec<OpSummary>,
    /// Records of the six built-in kinds (custom metrics excluded).
    pub service_operations: u64,
    /// Of which not successful.
    pub service_failures: u64,
    /// `floor(service_failures * 10000 / service_operations)`; `None` without operations.
    pub error_rate_bps: Option<u16>,
    /// Speed of the eligible successful uploads.
    pub upload: SpeedSummary,
    /// Speed of the eligible successful downloads.
    pub download: SpeedSummary,
    /// The epoch's slots as this view saw them.
    pub slots: SlotCounts,
    /// Checks: every record of this view, service operations and gauge samples alike (rules
    /// version 2; absent in version 1 summaries, read as 0).
    #[serde(default)]
    pub checks: u64,
    /// Of which not successful: failed operations and gauges that could not be measured.
    #[serde(default)]
    pub faults: u64,
    /// `floor(faults * 10000 / checks)`; `None` without checks.
    #[serde(default)]
    pub fault_rate_bps: Option<u16>,
    /// Every custom metric's values, in name order (rules version 2).
    #[serde(default)]
    pub gauges: Vec<GaugeSummary>,
}

impl ViewSummary {
    /// The summary of one operation kind, if any record had it.
    pub fn op(&self, kind: &OpKind) -> Option<&OpSummary> {
        self.ops.iter().find(|op| &op.kind == kind)
    }

    /// The values of the gauge `name`, if this view has a record of it.
    pub fn gauge(&self, name: &str) -> Option<&GaugeSummary> {
        self.gauges.iter().find(|g| g.name == name)
    }

    /// The latency statistics of one kind's successful operations.
    pub fn latency(&self, kind: &OpKind) -> Option<&LatencyStats> {
        self.op(kind).and_then(|op| op.latency.as_ref())
    }

    /// `(samples, value)` of a metric in this epoch as this view saw it: mean read/write latency
    /// (µs) over successful operations, upload/download speed (bytes/s), this epoch's uptime and
    /// error rate (bps). `value` is `None` exactly when `samples` is 0.
    pub fn metric(&self, metric: Metric) -> (u64, Option<u64>) {
        let latency = |kind| {
            self.latency(&kind)
                .map_or((0, None), |s| (s.count, Some(u64::from(s.mean))))
        };
        match metric {
            Metric::ReadLatency => latency(OpKind::Read),
            Metric::WriteLatency => latency(OpKind::Write),
            Metric::Upload => (self.upload.samples, self.upload.bps),
            Metric::Download => (self.download.samples, self.download.bps),
            Metric::Uptime => (
                self.slots.observed(),
                self.slots.uptime_bps().map(u64::from),
            ),
            Metric::ErrorRate => (self.service_operations, self.error_rate_bps.map(u64::from)),
        }
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u8(self.role.tag());
        out.put_u64(self.reports);
        out.put_u32(self.ops.len() as u32);
        for op in &self.ops {
            op.kind.encode_into(out);
            out.put_u64(op.total);
            out.put_u64(op.failed);
            match &op.latency {
                None => out.put_u8(0),
                Some(s) => {
                    out.put_u8(1);
                    out.put_u64(s.count);
                    out.put_u128(s.sum);
                    for v in [s.mean, s.min, s.p50, s.p95, s.p99, s.max] {
                        out.put_u32(v);
                    }
                }
            }
        }
        out.put_u64(self.service_operations);
        out.put_u64(self.service_failures);
        out.put_opt_u16(self.error_rate_bps);
        self.upload.encode_into(out);
        self.download.encode_into(out);
        self.slots.encode_into(out);
        out.put_u64(self.checks);
        out.put_u64(self.faults);
        out.put_opt_u16(self.fault_rate_bps);
        out.put_u32(self.gauges.len() as u32);
        for gauge in &self.gauges {
            gauge.encode_into(out);
        }
    }
}

/// The epoch's slots with both views combined (see `docs/aggregation.md`, "Uptime"): a slot the
/// provider observed takes the provider's state; a slot the provider did not observe takes the
/// consumer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CombinedSlots {
    /// `quiet`: observed by neither, covered by a report of either; `silent`: covered by neither.
    pub slots: SlotCounts,
    /// Slots the consumer saw down (all its operations failed) and the provider saw up; counted
    /// as up.
    pub disputed: u64,
}

/// Both views of one data unit in one epoch, the combined uptime slots and the Merkle root of
/// the reports used. [`encode`](Self::encode) is the canonical form compared across backends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochSummary {
    /// The data unit (allocation id on chain).
    pub data_unit: u64,
    /// The epoch, counted from 0 at genesis.
    pub epoch: u64,
    /// Epoch bounds, Unix ms, `[start, end)`.
    pub start_ms: u64,
    /// End of the epoch, Unix ms, exclusive.
    pub end_ms: u64,
    /// Uptime slots in the epoch: `ceil((end_ms - start_ms) / 60 000)`.
    pub slot_count: u32,
    /// The terms' speed size bound, bytes, that decided which transfers count for speed; 0 means
    /// no bound.
    pub speed_size_bound: u64,
    /// What the consumer's reports say.
    pub consumer: ViewSummary,
    /// What the provider's reports say.
    pub provider: ViewSummary,
    /// The slots with both views combined.
    pub combined: CombinedSlots,
    /// Distinct reports used (both views).
    pub reports: u64,
    /// [`crate::merkle::root`] of the hashes of the reports used.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9a-f]{64}$"))]
    #[serde(with = "hex::serde")]
    pub reports_root: [u8; 32],
}

impl EpochSummary {
    /// The summary of the view of the party with `role`.
    pub fn view(&self, role: Role) -> &ViewSummary {
        match role {
            Role::Consumer => &self.consumer,
            Role::Provider => &self.provider,
        }
    }

    /// Service operations of both views, the basis of `EpochResult.operations`.
    pub fn service_operations(&self) -> u64 {
        self.consumer
            .service_operations
            .saturating_add(self.provider.service_operations)
    }

    /// The consumer's and the provider's value of every metric in this epoch, side by side.
    pub fn discrepancies(&self) -> Vec<MetricDiscrepancy> {
        Metric::ALL
            .iter()
            .map(|&m| {
                MetricDiscrepancy::new(m, self.consumer.metric(m).1, self.provider.metric(m).1)
            })
            .collect()
    }

    /// The canonical encoding (see `docs/aggregation.md`, "Summary encoding").
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(EPOCH_SUMMARY_TAG);
        out.put_u8(RULES_VERSION);
        out.put_u64(self.data_unit);
        out.put_u64(self.epoch);
        out.put_u64(self.start_ms);
        out.put_u64(self.end_ms);
        out.put_u32(self.slot_count);
        out.put_u64(self.speed_size_bound);
        self.consumer.encode_into(&mut out);
        self.provider.encode_into(&mut out);
        self.combined.slots.encode_into(&mut out);
        out.put_u64(self.combined.disputed);
        out.put_u64(self.reports);
        out.extend_from_slice(&self.reports_root);
        out
    }
}

/// The two views' values of one metric and how far apart they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricDiscrepancy {
    /// The metric compared.
    pub metric: Metric,
    /// The consumer's epoch value in the metric's unit (µs, bytes per second or basis points);
    /// `None` without samples.
    pub consumer: Option<u64>,
    /// The provider's epoch value, in the same unit; `None` without samples.
    pub provider: Option<u64>,
    /// `|consumer - provider|` when both are known.
    pub abs_diff: Option<u64>,
    /// `floor(abs_diff * 10000 / max(consumer, provider))` (0 when both are 0), in [0, 10000].
    pub relative_bps: Option<u16>,
}

impl MetricDiscrepancy {
    /// Compares the two values of `metric`; the differences are `None` unless both are known.
    pub fn new(metric: Metric, consumer: Option<u64>, provider: Option<u64>) -> Self {
        let (abs_diff, relative_bps) = match (consumer, provider) {
            (Some(c), Some(p)) => {
                let diff = c.abs_diff(p);
                (Some(diff), Some(ratio_bps(diff, c.max(p)).unwrap_or(0)))
            }
            _ => (None, None),
        };
        MetricDiscrepancy {
            metric,
            consumer,
            provider,
            abs_diff,
            relative_bps,
        }
    }
}
