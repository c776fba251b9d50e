//! What every handler shares.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sla_protocol::aggregate::EpochConfig;
use sla_protocol::{
    check_reporter_key, CheckedKey, Deployment, SignedReport, VerifiedReport, VerifyError,
};
use sla_storage::{Database, ReportStore, RollupStore};

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

/// Reporter keys already checked (decoded, canonical, not of small order), so that each report
/// pays only for its signature. Bounded: past `MAX_CACHED_KEYS` it starts over.
#[derive(Debug, Default)]
pub struct KeyCache(RwLock<HashMap<[u8; 32], CheckedKey>>);

const MAX_CACHED_KEYS: usize = 100_000;

impl KeyCache {
    fn key(&self, bytes: &[u8; 32]) -> Result<CheckedKey, VerifyError> {
        if let Some(key) = self.0.read().expect("key cache lock").get(bytes) {
            return Ok(*key);
        }
        let key = check_reporter_key(bytes)?;
        let mut cache = self.0.write().expect("key cache lock");
        if cache.len() >= MAX_CACHED_KEYS {
            cache.clear();
        }
        cache.insert(*bytes, key);
        Ok(key)
    }
}

#[derive(Debug, Clone)]
pub struct AppState {
    /// The database (readiness, shutdown).
    pub db: Database,
    /// Reports: the public reads (writes go through `queue`).
    pub reports: ReportStore,
    /// Roll-ups, windows, proofs.
    pub rollups: RollupStore,
    pub queue: CommitQueue,
    pub metrics: Arc<Metrics>,
    pub deployment: Deployment,
    /// Epoch length and genesis, when known (needed for rolling windows).
    pub epochs: Option<EpochConfig>,
    pub limits: Limits,
    pub keys: Arc<KeyCache>,
}

impl AppState {
    /// Verifies a signed report for this deployment and applies the per-report limits.
    pub fn verify(&self, signed: SignedReport) -> Result<VerifiedReport, ApiError> {
        let verified = signed.verify_with_keys(&self.deployment, |k| self.keys.key(k))?;
        self.check_limits(verified)
    }

    /// [`AppState::verify`] of every report, in order, with the signatures checked together
    /// (cheaper than one by one).
    pub fn verify_batch(&self, signed: Vec<SignedReport>) -> Vec<Result<VerifiedReport, ApiError>> {
        sla_protocol::verify_batch(signed, &self.deployment, |k| self.keys.key(k))
            .into_iter()
            .map(|verified| self.check_limits(verified?))
            .collect()
    }

    fn check_limits(&self, verified: VerifiedReport) -> Result<VerifiedReport, ApiError> {
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
