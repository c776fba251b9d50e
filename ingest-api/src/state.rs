//! What every handler shares.

use std::sync::Arc;

use sla_protocol::aggregate::EpochConfig;
use sla_protocol::{Deployment, SignedReport, VerifiedReport};
use sla_storage::Storage;

use crate::committer::CommitQueue;
use crate::metrics::Metrics;
use crate::problem::ApiError;

/// Limits applied to request content.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_records_per_report: usize,
    pub max_batch_reports: usize,
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub queue: CommitQueue,
    pub metrics: Arc<Metrics>,
    pub deployment: Deployment,
    /// Epoch length and genesis, when known (needed for rolling windows).
    pub epochs: Option<EpochConfig>,
    pub limits: Limits,
}

impl AppState {
    /// Verifies a signed report for this deployment and applies the per-report limits.
    pub fn verify(&self, signed: SignedReport) -> Result<VerifiedReport, ApiError> {
        let verified = signed.verify(&self.deployment)?;
        let records = verified.report.records.len();
        if records > self.limits.max_records_per_report {
            return Err(ApiError::TooMany {
                what: "payload.records",
                got: records,
                limit: self.limits.max_records_per_report,
            });
        }
        Ok(verified)
    }

    /// Counts a rejection by rule and passes the error on.
    pub fn rejected(&self, err: ApiError) -> ApiError {
        self.metrics.reject(err.rule());
        err
    }
}
