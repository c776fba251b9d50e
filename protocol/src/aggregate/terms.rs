//! SLA terms, mirrored field for field from the contract's `ISlaOracle.SlaTerms`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::MAX_BPS;

/// The six scored metrics, in the order of `SlaTerms.weights` and of the `violations` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Mean latency of successful reads, µs; breached above `max_read_latency_us`. Bit 0.
    ReadLatency = 0,
    /// Mean latency of successful writes, µs; breached above `max_write_latency_us`. Bit 1.
    WriteLatency = 1,
    /// Upload speed, bytes per second, over eligible transfers; breached below
    /// `min_upload_bps`. Bit 2.
    Upload = 2,
    /// Download speed, bytes per second, over eligible transfers; breached below
    /// `min_download_bps`. Bit 3.
    Download = 3,
    /// Uptime, basis points, of the combined slots over the uptime window; breached below
    /// `min_uptime_bps`. Bit 4.
    Uptime = 4,
    /// Failed service operations per service operation, basis points; breached above
    /// `max_error_rate_bps`. Bit 5.
    ErrorRate = 5,
}

impl Metric {
    /// All metrics in bit order.
    pub const ALL: [Metric; 6] = [
        Metric::ReadLatency,
        Metric::WriteLatency,
        Metric::Upload,
        Metric::Download,
        Metric::Uptime,
        Metric::ErrorRate,
    ];

    /// Index into `weights`, and the bit position in `violations`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The metric's bit in `EpochResult.violations`.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The snake_case name, as in JSON (`read_latency`, ..., `error_rate`).
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::ReadLatency => "read_latency",
            Metric::WriteLatency => "write_latency",
            Metric::Upload => "upload",
            Metric::Download => "download",
            Metric::Uptime => "uptime",
            Metric::ErrorRate => "error_rate",
        }
    }
}

/// SLA terms of an allocation, exactly as the contract stores them (`ISlaOracle.SlaTerms`).
///
/// JSON uses the snake_case of the Solidity names; `penalty_per_epoch` (a `uint96` in wei) is a
/// decimal string so that no JSON reader rounds it (a plain JSON number is accepted on input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SlaTerms {
    /// Max mean read latency, µs; 0 = not enforced.
    pub max_read_latency_us: u32,
    /// Max mean write latency, µs; 0 = not enforced.
    pub max_write_latency_us: u32,
    /// Min mean upload speed, bytes/s, for objects `<= speed_size_bound`; 0 = not enforced.
    pub min_upload_bps: u64,
    /// Min mean download speed, bytes/s, for objects `<= speed_size_bound`; 0 = not enforced.
    pub min_download_bps: u64,
    /// Object size bound of the speed terms, bytes (0 = no bound; only allowed when neither speed
    /// term is enforced, and then the speeds are informational).
    pub speed_size_bound: u64,
    /// Min uptime in basis points over `uptime_window`; 0 = not enforced.
    pub min_uptime_bps: u16,
    /// Rolling window the uptime is judged over, seconds.
    pub uptime_window: u32,
    /// Max error rate in basis points; 10000 = not enforced.
    pub max_error_rate_bps: u16,
    /// Max seconds between two reports of a reporter, 1..=86400.
    pub reporting_interval: u32,
    /// Wei moved from the provider's bond to the consumer per violating epoch (`uint96`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub penalty_per_epoch: u128,
    /// Score weights of read latency, write latency, upload, download, uptime, error rate; sum 10000.
    pub weights: [u16; 6],
}

/// Largest penalty per epoch: the contract stores it in 84 bits of the allocation's core word
/// (`SlaTermsLib.MAX_PENALTY`, 19,342,813 ether).
pub const MAX_PENALTY: u128 = (1 << 84) - 1;

/// A rule of `SlaTermsLib.validate` that terms break.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TermsError {
    /// The weights do not sum to 10000; it holds their sum. Contract error `InvalidWeightSum`.
    #[error("weights sum to {0}, must sum to 10000")]
    InvalidWeightSum(u32),
    /// `min_uptime_bps` is over 10000; it holds the value. Contract error `InvalidMinUptime`.
    #[error("min_uptime_bps {0} exceeds 10000")]
    InvalidMinUptime(u16),
    /// `max_error_rate_bps` is over 10000; it holds the value. Contract error
    /// `InvalidMaxErrorRate`.
    #[error("max_error_rate_bps {0} exceeds 10000")]
    InvalidMaxErrorRate(u16),
    /// `reporting_interval` is 0 or over 86400 s; it holds the value. Contract error
    /// `InvalidReportingInterval`.
    #[error("reporting_interval {0} must be 1..=86400 seconds")]
    InvalidReportingInterval(u32),
    /// Uptime is enforced with a zero `uptime_window`. Contract error `InvalidUptimeWindow`.
    #[error("uptime_window must be non-zero when uptime is enforced")]
    InvalidUptimeWindow,
    /// A speed term is enforced with a zero `speed_size_bound`. Contract error
    /// `InvalidSpeedSizeBound`.
    #[error("speed_size_bound must be non-zero when a speed term is enforced")]
    InvalidSpeedSizeBound,
    /// `penalty_per_epoch` is over [`MAX_PENALTY`]; it holds the value. Contract error
    /// `InvalidPenalty`.
    #[error("penalty_per_epoch {0} exceeds 2^84 - 1 wei")]
    InvalidPenalty(u128),
}

/// Score weights that weigh every metric alike (summing to 10000).
pub const EQUAL_WEIGHTS: [u16; 6] = [1667, 1667, 1667, 1667, 1666, 1666];

impl SlaTerms {
    /// Terms that enforce nothing and ask for a report every `reporting_interval` seconds, with
    /// [`EQUAL_WEIGHTS`]: the base the CLI's flags are applied to, and what test data units use.
    pub fn reporting_only(reporting_interval: u32) -> Self {
        SlaTerms {
            max_read_latency_us: 0,
            max_write_latency_us: 0,
            min_upload_bps: 0,
            min_download_bps: 0,
            speed_size_bound: 0,
            min_uptime_bps: 0,
            uptime_window: 0,
            max_error_rate_bps: MAX_BPS,
            reporting_interval,
            penalty_per_epoch: 0,
            weights: EQUAL_WEIGHTS,
        }
    }

    /// The contract's `SlaTermsLib.validate`, rule for rule and in the same order, plus the
    /// `uint96` bound of the penalty that the ABI enforces.
    pub fn validate(&self) -> Result<(), TermsError> {
        let sum: u32 = self.weights.iter().map(|w| u32::from(*w)).sum();
        if sum != u32::from(MAX_BPS) {
            return Err(TermsError::InvalidWeightSum(sum));
        }
        if self.min_uptime_bps > MAX_BPS {
            return Err(TermsError::InvalidMinUptime(self.min_uptime_bps));
        }
        if self.max_error_rate_bps > MAX_BPS {
            return Err(TermsError::InvalidMaxErrorRate(self.max_error_rate_bps));
        }
        if self.reporting_interval == 0 || self.reporting_interval > 86_400 {
            return Err(TermsError::InvalidReportingInterval(
                self.reporting_interval,
            ));
        }
        if self.min_uptime_bps != 0 && self.uptime_window == 0 {
            return Err(TermsError::InvalidUptimeWindow);
        }
        if (self.min_upload_bps != 0 || self.min_download_bps != 0) && self.speed_size_bound == 0 {
            return Err(TermsError::InvalidSpeedSizeBound);
        }
        if self.penalty_per_epoch > MAX_PENALTY {
            return Err(TermsError::InvalidPenalty(self.penalty_per_epoch));
        }
        Ok(())
    }

    /// Whether `metric` is enforced (its threshold is not the "not enforced" value).
    pub fn enforces(&self, metric: Metric) -> bool {
        match metric {
            Metric::ReadLatency => self.max_read_latency_us != 0,
            Metric::WriteLatency => self.max_write_latency_us != 0,
            Metric::Upload => self.min_upload_bps != 0,
            Metric::Download => self.min_download_bps != 0,
            Metric::Uptime => self.min_uptime_bps != 0,
            Metric::ErrorRate => self.max_error_rate_bps < MAX_BPS,
        }
    }

    /// Whether `value` (in the metric's unit) breaks the term. Strict comparisons: a latency equal
    /// to the maximum, a speed or uptime equal to the minimum, an error rate equal to the maximum
    /// all comply. Says nothing about evidence; a term that is not enforced is never breached.
    pub fn breaches(&self, metric: Metric, value: u64) -> bool {
        if !self.enforces(metric) {
            return false;
        }
        match metric {
            Metric::ReadLatency => value > u64::from(self.max_read_latency_us),
            Metric::WriteLatency => value > u64::from(self.max_write_latency_us),
            Metric::Upload => value < self.min_upload_bps,
            Metric::Download => value < self.min_download_bps,
            Metric::Uptime => value < u64::from(self.min_uptime_bps),
            Metric::ErrorRate => value > u64::from(self.max_error_rate_bps),
        }
    }

    /// Number of epochs of `epoch_len_s` seconds in the uptime window: `ceil(uptime_window /
    /// epoch_len_s)`, at least 1.
    pub fn window_epochs(&self, epoch_len_s: u32) -> u64 {
        let len = u64::from(epoch_len_s.max(1));
        u64::from(self.uptime_window).div_ceil(len).max(1)
    }
}
