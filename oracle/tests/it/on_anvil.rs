//! What the anvil tests of the oracle's roles share: wallets of anvil's accounts, moving the
//! chain's clock, the consumer's signed report chain of a data unit, one report per epoch, an
//! hourly deployment with the oracle's roles over one database, an allocation with an agreed
//! policy, and ingesting reports as the API would.

use alloy::network::EthereumWallet;
use alloy::node_bindings::AnvilInstance;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::utils::parse_ether;
use sla_contracts::{
    deploy, DeployConfig, DeploymentFile, ISlaOracle::SlaTerms, ISlaPolicies, SlaOracle,
    SlaPolicies,
};
use sla_oracle::aggregator::{Aggregator, AggregatorConfig, AggregatorStores};
use sla_oracle::indexer::{Indexer, IndexerConfig};
use sla_oracle::submitter::{Submitter, SubmitterConfig, SubmitterMetrics, SubmitterStores};
use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::policy::Policy;
use sla_protocol::{sign_report, QosRecord, Report, ReportHash, Role, VerifiedReport};

/// A provider whose wallet signs as anvil's account `index` (one per account: each keeps its
/// own nonce).
pub(crate) fn wallet(anvil: &AnvilInstance, index: usize) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(key(anvil, index)))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// Anvil's account `index`.
pub(crate) fn key(anvil: &AnvilInstance, index: usize) -> PrivateKeySigner {
    anvil.keys()[index].clone().into()
}

/// A provider without a wallet.
pub(crate) fn reader(anvil: &AnvilInstance) -> DynProvider {
    ProviderBuilder::new()
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// Moves the chain's clock `secs` ahead and mines a block.
pub(crate) async fn advance(anvil: &AnvilInstance, secs: u64) {
    let provider = reader(anvil);
    let _: serde_json::Value = provider
        .raw_request("evm_increaseTime".into(), (secs,))
        .await
        .unwrap();
    let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
}

/// The consumer's signed reports of `unit` for `epochs`, one per epoch covering all of it, in one
/// chain (sequence from 1); `records(epoch start, ms)` gives each report's records.
pub(crate) fn consumer_reports(
    deployment: &DeploymentFile,
    key: &ed25519_dalek::SigningKey,
    unit: u64,
    epochs: impl IntoIterator<Item = u64>,
    records: impl Fn(u64) -> Vec<QosRecord>,
) -> Vec<VerifiedReport> {
    let binding = deployment.deployment();
    let epoch_ms = u64::from(deployment.epoch_length) * 1000;
    let mut prev = ReportHash::ZERO;
    let mut out = Vec::new();
    for (i, epoch) in epochs.into_iter().enumerate() {
        let start = deployment.epoch_end(epoch) * 1000 - epoch_ms;
        let report = Report {
            deployment: binding,
            role: Role::Consumer,
            reporter_key: key.verifying_key().to_bytes(),
            data_unit: unit,
            sequence: i as u64 + 1,
            prev_hash: prev,
            period_start_ms: start,
            period_end_ms: start + epoch_ms,
            records: records(start),
        };
        let verified = sign_report(&report, key).unwrap().verify(&binding).unwrap();
        prev = verified.hash;
        out.push(verified);
    }
    out
}

/// 0.1 ether, the penalty per violating epoch of [`read_latency_terms`].
pub(crate) const PENALTY: u128 = 100_000_000_000_000_000;

/// Read latency at most 50 ms, nothing else enforced, [`PENALTY`] per violating epoch, hourly
/// reports.
pub(crate) fn read_latency_terms() -> SlaTerms {
    SlaTerms {
        maxReadLatencyUs: 50_000,
        maxWriteLatencyUs: 0,
        minUploadBps: 0,
        minDownloadBps: 0,
        speedSizeBound: 0,
        minUptimeBps: 0,
        uptimeWindow: 0,
        maxErrorRateBps: 10_000,
        reportingInterval: 3600,
        penaltyPerEpoch: alloy::primitives::Uint::from(PENALTY),
        weights: [10_000, 0, 0, 0, 0, 0],
    }
}

/// Uptime at least 99 % over one hour-long epoch, errors at most `max_error_rate_bps`,
/// [`PENALTY`] per violating epoch; uptime and errors weigh half each.
pub(crate) fn uptime_terms(max_error_rate_bps: u16) -> SlaTerms {
    SlaTerms {
        maxReadLatencyUs: 0,
        maxWriteLatencyUs: 0,
        minUploadBps: 0,
        minDownloadBps: 0,
        speedSizeBound: 0,
        minUptimeBps: 9_900,
        uptimeWindow: HOUR,
        maxErrorRateBps: max_error_rate_bps,
        reportingInterval: 3600,
        penaltyPerEpoch: alloy::primitives::Uint::from(PENALTY),
        weights: [0, 0, 0, 0, 5_000, 5_000],
    }
}

/// Seconds per epoch of [`deploy_hourly`].
pub(crate) const HOUR: u32 = 3600;

/// The contracts, deployed by anvil's account `admin` with hour-long epochs, eight epochs to
/// submit, and account `oracle` the one oracle signer.
pub(crate) async fn deploy_hourly(
    anvil: &AnvilInstance,
    admin: usize,
    oracle: usize,
) -> DeploymentFile {
    let config = DeployConfig {
        epoch_length: HOUR,
        submission_window: 8 * HOUR,
        oracle_signers: vec![anvil.addresses()[oracle]],
        ..DeployConfig::default()
    };
    deploy(anvil.endpoint_url(), key(anvil, admin), &config)
        .await
        .expect("deploy")
}

/// The indexer of `deployment` into `db`'s mirror, at depth 0.
pub(crate) fn indexer(
    anvil: &AnvilInstance,
    deployment: &DeploymentFile,
    db: &sla_storage::Database,
) -> Indexer<DynProvider> {
    Indexer::new(
        IndexerConfig {
            confirmations: 0,
            ..IndexerConfig::new(deployment)
        },
        db.mirror(),
        reader(anvil),
    )
}

/// The aggregator of `db`, closing epochs a second after their end.
pub(crate) fn aggregator(deployment: &DeploymentFile, db: &sla_storage::Database) -> Aggregator {
    Aggregator::new(
        AggregatorStores::of(db),
        AggregatorConfig {
            epochs: deployment.epochs().unwrap(),
            grace_ms: 1_000,
            page_size: 100,
        },
    )
}

/// The submitter of `db`'s final roll-ups, signing as anvil's account `oracle`.
pub(crate) fn submitter(
    anvil: &AnvilInstance,
    deployment: &DeploymentFile,
    db: &sla_storage::Database,
    oracle: usize,
) -> Submitter {
    Submitter::new(
        SubmitterConfig {
            chain_id: deployment.chain_id,
            contract: deployment.contract,
            epochs: deployment.epochs().unwrap(),
            submission_window_s: u64::from(deployment.submission_window),
            confirmations: 1,
            max_batch: 100,
            stuck_after: Duration::from_secs(60),
            fee_bump_percent: 20,
            max_fee_ceiling: 1_000_000_000_000,
            crash_after: None,
        },
        wallet(anvil, oracle),
        key(anvil, oracle),
        SubmitterStores::of(db),
        Arc::new(SubmitterMetrics::default()),
    )
}

/// An active allocation with an agreed policy ([`allocation_with_policy`]).
pub(crate) struct Agreed {
    /// The data unit.
    pub unit: u64,
    /// The epoch of the agreement: the policy judges from the next one.
    pub agreed_epoch: u64,
    /// `SlaPolicies` as the provider.
    pub by_provider: SlaPolicies::SlaPoliciesInstance<DynProvider>,
}

/// Anvil's account `provider` registered and bonded with 10 ether; account `consumer` with
/// `reporter` registered, an epoch later requesting an allocation of `terms` that the provider
/// accepts; `policy` proposed by the provider and agreed by the consumer.
pub(crate) async fn allocation_with_policy(
    anvil: &AnvilInstance,
    deployment: &DeploymentFile,
    (provider, consumer): (usize, usize),
    terms: SlaTerms,
    policy: &Policy,
    reporter: &ed25519_dalek::SigningKey,
) -> Agreed {
    let policies = deployment.policies.expect("a policies contract");
    let provider_account = anvil.addresses()[provider];
    let provider_wallet = wallet(anvil, provider);
    let consumer_wallet = wallet(anvil, consumer);
    let as_provider = SlaOracle::new(deployment.contract, provider_wallet.clone());
    let by_provider = SlaPolicies::new(policies, provider_wallet);
    let as_consumer = SlaOracle::new(deployment.contract, consumer_wallet.clone());
    let by_consumer = SlaPolicies::new(policies, consumer_wallet);
    crate::send!(as_provider.registerProvider());
    crate::send!(as_provider.bond().value(parse_ether("10").unwrap()));
    crate::send!(as_consumer.registerKey(reporter.verifying_key().to_bytes().into()));
    // Keys valid for whole epochs: registered an epoch before the reports begin.
    advance(anvil, u64::from(deployment.epoch_length)).await;
    let request = as_consumer.requestAllocation(provider_account, terms);
    let unit = request.call().await.unwrap();
    crate::send!(request);
    crate::send!(as_provider.acceptAllocation(unit));
    let proposed = ISlaPolicies::Policy::from(policy);
    let hash = by_provider
        .proposePolicy(unit, proposed.clone())
        .call()
        .await
        .unwrap();
    crate::send!(by_provider.proposePolicy(unit, proposed));
    crate::send!(by_consumer.agreePolicy(unit, hash));
    let agreed_epoch = SlaOracle::new(deployment.contract, reader(anvil))
        .currentEpoch()
        .call()
        .await
        .unwrap();
    Agreed {
        unit,
        agreed_epoch,
        by_provider,
    }
}

/// Stores `reports` as the ingest API would, each just after its period ends; every one must
/// be accepted.
pub(crate) async fn ingest_all(db: &sla_storage::Database, reports: &[VerifiedReport]) {
    for report in reports {
        let clock = Clock {
            now_ms: report.report.period_end_ms + 500,
            max_future_skew_ms: 60_000,
        };
        let outcomes = sla_storage::testing::ingest(db, std::slice::from_ref(report), clock)
            .await
            .unwrap();
        assert!(
            matches!(outcomes[..], [Outcome::Accepted(_)]),
            "{outcomes:?}"
        );
    }
}
