//! What every handler shares.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sla_protocol::aggregate::EpochConfig;
use sla_protocol::{
    check_reporter_key, CheckedKey, Deployment, SignedReport, VerifiedReport, VerifyError,
};
use sla_storage::{Database, ReportStore, RollupStore};

use crate::body::BodyLimits;
use crate::committer::CommitQueue;
use crate::metrics::Metrics;
use crate::problem::ApiError;

/// Limits applied to request content.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How bodies must arrive: size and rate.
    pub body: BodyLimits,
    /// Most records one report may hold.
    pub max_records_per_report: usize,
    /// Most reports one batch may hold.
    pub max_batch_reports: usize,
    /// Whether alert subscriptions may target private addresses
    /// (`--subscriptions-allow-private-targets`).
    pub allow_private_targets: bool,
    /// Most alert subscriptions the database may hold in all (`--subscriptions-max-total`).
    pub max_subscriptions: u32,
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

/// Whether an indexer has written this database's chain mirror: watched in the background (every
/// 2 s until it has), so that a refusal can say what to run and the log says it at start.
#[derive(Debug, Default)]
pub struct MirrorWatch {
    indexed: std::sync::atomic::AtomicBool,
}

impl MirrorWatch {
    /// Whether the mirror has a cursor (some block was indexed).
    pub fn is_indexed(&self) -> bool {
        self.indexed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Watches `mirror` until it has been indexed (every 2 s), warning once a minute meanwhile.
    pub async fn watch(self: Arc<Self>, mirror: sla_storage::MirrorStore) {
        let mut checks = 0u64;
        loop {
            match mirror.cursor().await {
                Ok(Some(_)) => {
                    self.indexed
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    if checks > 0 {
                        tracing::info!("the chain mirror is indexed now");
                    }
                    return;
                }
                Ok(None) if checks.is_multiple_of(30) => tracing::warn!(
                    "this database's chain mirror is empty: every report is refused as \
                     data-unit-unknown until an indexer writes it (sla-oracle, or \
                     sla-oracle --index-only)"
                ),
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "could not read the chain mirror's cursor")
                }
            }
            checks += 1;
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    }
}

/// The state every handler is given: stores, the commit queue, metrics, the deployment and the
/// limits.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Whether the chain mirror has been indexed.
    pub mirror: Arc<MirrorWatch>,
    /// The database (readiness, shutdown).
    pub db: Database,
    /// Reports: the public reads (writes go through `queue`).
    pub reports: ReportStore,
    /// Roll-ups, windows, proofs.
    pub rollups: RollupStore,
    /// The group committer that judges and stores reports.
    pub queue: CommitQueue,
    /// The service's metrics.
    pub metrics: Arc<Metrics>,
    /// The chain id and contract reports must be signed for.
    pub deployment: Deployment,
    /// Epoch length and genesis, when known (needed for rolling windows).
    pub epochs: Option<EpochConfig>,
    /// Limits on request content.
    pub limits: Limits,
    /// Reporter keys already checked.
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

    /// Counts a rejection by rule (and a refusal for load by its reason) and passes the error on.
    pub fn rejected(&self, err: ApiError) -> ApiError {
        match &err {
            ApiError::Overloaded(shed) => self.metrics.shed(shed.reason()),
            ApiError::SlowBody { .. } => self.metrics.shed("body-rate"),
            _ => self.metrics.reject(err.rule()),
        }
        err
    }
}
