//! Rolling windows and trends, computed from epoch summaries only (never from raw records).

use serde::{Deserialize, Serialize};

use super::context::EpochConfig;
use super::kind::OpKind;
use super::slots::{ratio_bps, SlotCounts};
use super::summary::{speed_bps, EpochSummary, ViewSummary};
use super::{AggregateError, Metric, SlaTerms};
use crate::report::Role;

/// One view's sums over a window, and the values derived from them with the epoch rules
/// (exact: means and speeds come from summed totals, not from averaging averages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowView {
    /// The view's slot counts summed over the window; an epoch without a summary adds all its
    /// slots as silent.
    pub slots: SlotCounts,
    /// Service operations (the six built-in kinds) over the window.
    pub service_operations: u64,
    /// Of which not successful.
    pub service_failures: u64,
    /// Successful reads and the sum of their latencies.
    pub read_count: u64,
    /// Sum of the successful reads' latencies, µs.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub read_latency_sum: u128,
    /// Successful writes over the window.
    pub write_count: u64,
    /// Sum of the successful writes' latencies, µs.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub write_latency_sum: u128,
    /// Speed-eligible successful uploads over the window.
    pub upload_samples: u64,
    /// Sum of their `bytes`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub upload_bytes: u128,
    /// Sum of their `max(latency_us, 1)`, µs.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub upload_latency_us: u128,
    /// Speed-eligible successful downloads over the window.
    pub download_samples: u64,
    /// Sum of their `bytes`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub download_bytes: u128,
    /// Sum of their `max(latency_us, 1)`, µs.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub download_latency_us: u128,
    /// Checks (every record: operations and gauge samples) over the window (rules version 2).
    #[serde(default)]
    pub checks: u64,
    /// Of which not successful.
    #[serde(default)]
    pub faults: u64,
}

impl WindowView {
    fn add(&mut self, v: &ViewSummary) {
        self.slots.add(&v.slots);
        self.service_operations = self.service_operations.saturating_add(v.service_operations);
        self.service_failures = self.service_failures.saturating_add(v.service_failures);
        if let Some(s) = v.latency(&OpKind::Read) {
            self.read_count = self.read_count.saturating_add(s.count);
            self.read_latency_sum = self.read_latency_sum.saturating_add(s.sum);
        }
        if let Some(s) = v.latency(&OpKind::Write) {
            self.write_count = self.write_count.saturating_add(s.count);
            self.write_latency_sum = self.write_latency_sum.saturating_add(s.sum);
        }
        self.upload_samples = self.upload_samples.saturating_add(v.upload.samples);
        self.upload_bytes = self.upload_bytes.saturating_add(v.upload.bytes);
        self.upload_latency_us = self.upload_latency_us.saturating_add(v.upload.latency_us);
        self.download_samples = self.download_samples.saturating_add(v.download.samples);
        self.download_bytes = self.download_bytes.saturating_add(v.download.bytes);
        self.download_latency_us = self
            .download_latency_us
            .saturating_add(v.download.latency_us);
        self.checks = self.checks.saturating_add(v.checks);
        self.faults = self.faults.saturating_add(v.faults);
    }

    /// The fault rate over the window: `floor(faults * 10000 / checks)`; `None` without checks.
    /// The input of the fault threshold (failed checks / all checks).
    pub fn fault_rate_bps(&self) -> Option<u16> {
        ratio_bps(self.faults, self.checks)
    }

    /// `(samples, value)` of a metric over the window, with the same units and rounding as
    /// [`ViewSummary::metric`]: `floor(sum / count)` latencies, aggregate speeds, and uptime and
    /// error rate as `floor(part * 10000 / whole)`.
    pub fn metric(&self, metric: Metric) -> (u64, Option<u64>) {
        let mean =
            |count: u64, sum: u128| (count, (count > 0).then(|| (sum / u128::from(count)) as u64));
        match metric {
            Metric::ReadLatency => mean(self.read_count, self.read_latency_sum),
            Metric::WriteLatency => mean(self.write_count, self.write_latency_sum),
            Metric::Upload => (
                self.upload_samples,
                speed_bps(self.upload_bytes, self.upload_latency_us),
            ),
            Metric::Download => (
                self.download_samples,
                speed_bps(self.download_bytes, self.download_latency_us),
            ),
            Metric::Uptime => (
                self.slots.observed(),
                self.slots.uptime_bps().map(u64::from),
            ),
            Metric::ErrorRate => (
                self.service_operations,
                ratio_bps(self.service_failures, self.service_operations).map(u64::from),
            ),
        }
    }
}

/// A data unit's roll-up over the epochs `first_epoch..=last_epoch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowSummary {
    /// The data unit rolled up.
    pub data_unit: u64,
    /// First epoch of the window: `max(0, last_epoch - window_epochs + 1)`.
    pub first_epoch: u64,
    /// Last epoch of the window, included; the epoch being judged.
    pub last_epoch: u64,
    /// Epochs in the window (`last_epoch - first_epoch + 1`).
    pub epochs: u64,
    /// Epochs of the window for which a summary was given.
    pub epochs_with_summary: u64,
    /// Slots in the window: `epochs * slots_per_epoch`. Epochs without a summary count as silent.
    pub slots_total: u64,
    /// Combined (slot-level) uptime slots over the window.
    pub combined: SlotCounts,
    /// `floor(combined.up * 10000 / combined.observed())`; `None` when nothing was observed.
    pub uptime_bps: Option<u16>,
    /// Disputed slots (consumer down, provider up) over the window.
    pub disputed_slots: u64,
    /// The consumer's view over the window.
    pub consumer: WindowView,
    /// The provider's view over the window.
    pub provider: WindowView,
}

impl WindowSummary {
    /// Rolls up the `summaries` of `data_unit` whose epochs fall in the `window_epochs` epochs
    /// ending at `last_epoch` (fewer near genesis); other summaries are ignored, so the caller
    /// may pass a superset. The result does not depend on the order of `summaries`; two
    /// summaries of one epoch are refused.
    pub fn compute(
        config: &EpochConfig,
        data_unit: u64,
        last_epoch: u64,
        window_epochs: u64,
        summaries: &[EpochSummary],
    ) -> Result<Self, AggregateError> {
        let range = config.window(last_epoch, window_epochs);
        let (first_epoch, last_epoch) = (*range.start(), *range.end());
        let epochs = last_epoch - first_epoch + 1;
        let per_epoch = u64::from(config.slots_per_epoch());
        let mut window = WindowSummary {
            data_unit,
            first_epoch,
            last_epoch,
            epochs,
            epochs_with_summary: 0,
            slots_total: epochs.saturating_mul(per_epoch),
            combined: SlotCounts::default(),
            uptime_bps: None,
            disputed_slots: 0,
            consumer: WindowView::default(),
            provider: WindowView::default(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for s in summaries
            .iter()
            .filter(|s| s.data_unit == data_unit && range.contains(&s.epoch))
        {
            if u64::from(s.slot_count) != per_epoch {
                return Err(AggregateError::ContextMismatch);
            }
            if !seen.insert(s.epoch) {
                return Err(AggregateError::DuplicateEpoch(s.epoch));
            }
            window.epochs_with_summary += 1;
            window.combined.add(&s.combined.slots);
            window.disputed_slots = window.disputed_slots.saturating_add(s.combined.disputed);
            window.consumer.add(&s.consumer);
            window.provider.add(&s.provider);
        }
        let missing = SlotCounts {
            silent: (epochs - window.epochs_with_summary).saturating_mul(per_epoch),
            ..SlotCounts::default()
        };
        window.combined.add(&missing);
        window.consumer.slots.add(&missing);
        window.provider.slots.add(&missing);
        window.uptime_bps = window.combined.uptime_bps();
        Ok(window)
    }

    /// The uptime window of `terms` ending at `last_epoch`: `ceil(uptime_window / epoch_len)`
    /// epochs (at least one).
    pub fn for_terms(
        config: &EpochConfig,
        terms: &SlaTerms,
        data_unit: u64,
        last_epoch: u64,
        summaries: &[EpochSummary],
    ) -> Result<Self, AggregateError> {
        let n = terms.window_epochs(config.epoch_len_s);
        Self::compute(config, data_unit, last_epoch, n, summaries)
    }

    /// The window view of the party with `role`.
    pub fn view(&self, role: Role) -> &WindowView {
        match role {
            Role::Consumer => &self.consumer,
            Role::Provider => &self.provider,
        }
    }

    /// Observed slots the uptime needs before it counts as evidence:
    /// `min(MIN_SAMPLES, slots_total)`.
    pub fn uptime_min_slots(&self) -> u64 {
        super::MIN_SAMPLES.min(self.slots_total)
    }
}

/// One metric of one view (or of the combined uptime) in this window and the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricTrend {
    /// The metric compared.
    pub metric: Metric,
    /// `None` for the combined (slot-level) uptime.
    pub view: Option<Role>,
    /// The value over the current window, in the metric's unit (µs, bytes per second or basis
    /// points); `None` without samples.
    pub current: Option<u64>,
    /// The value over the previous window; `None` without samples or without a previous window.
    pub previous: Option<u64>,
    /// `current - previous` when both are known.
    pub delta: Option<i128>,
}

/// A window compared with the window of the same length just before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trend {
    /// The window ending at the epoch asked for.
    pub current: WindowSummary,
    /// `None` when the current window starts at epoch 0.
    pub previous: Option<WindowSummary>,
    /// Combined uptime, then every metric for the consumer and for the provider.
    pub metrics: Vec<MetricTrend>,
}

impl Trend {
    /// The window of `window_epochs` ending at `last_epoch` against the one ending at
    /// `last_epoch - window_epochs`.
    pub fn compute(
        config: &EpochConfig,
        data_unit: u64,
        last_epoch: u64,
        window_epochs: u64,
        summaries: &[EpochSummary],
    ) -> Result<Self, AggregateError> {
        let n = window_epochs.max(1);
        let current = WindowSummary::compute(config, data_unit, last_epoch, n, summaries)?;
        let previous = match last_epoch.checked_sub(n) {
            Some(end) => Some(WindowSummary::compute(
                config, data_unit, end, n, summaries,
            )?),
            None => None,
        };
        let entry = |metric, view, current: Option<u64>, previous: Option<u64>| MetricTrend {
            metric,
            view,
            current,
            previous,
            delta: current
                .zip(previous)
                .map(|(c, p)| i128::from(c) - i128::from(p)),
        };
        let mut metrics = vec![entry(
            Metric::Uptime,
            None,
            current.uptime_bps.map(u64::from),
            previous.as_ref().and_then(|w| w.uptime_bps.map(u64::from)),
        )];
        for role in [Role::Consumer, Role::Provider] {
            for metric in Metric::ALL {
                metrics.push(entry(
                    metric,
                    Some(role),
                    current.view(role).metric(metric).1,
                    previous
                        .as_ref()
                        .and_then(|w| w.view(role).metric(metric).1),
                ));
            }
        }
        Ok(Trend {
            current,
            previous,
            metrics,
        })
    }
}
