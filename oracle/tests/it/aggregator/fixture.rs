//! A database with one allocation and two reporter keys, and reports in chosen epochs.

use alloy_primitives::Address;
use ed25519_dalek::SigningKey;
use sla_oracle::aggregator::{AggregatorConfig, AggregatorStores};
use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::aggregate::{EpochConfig, SlaTerms};
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_protocol::{
    sign_report, Deployment, Operation, QosRecord, Report, ReportHash, Role, VerifiedReport,
};
use sla_storage::testing::{seed_allocation, seed_key};
use sla_storage::Database;

pub(crate) const DATA_UNIT: u64 = 9;
pub(crate) const EPOCH_LEN_S: u32 = 600;
const CONSUMER: Address = Address::repeat_byte(0xc1);
const PROVIDER: Address = Address::repeat_byte(0xb1);

pub(crate) fn now_ms() -> u64 {
    sla_runtime::now_ms()
}

pub(crate) fn deployment() -> Deployment {
    Deployment {
        chain_id: 31337,
        contract: [0xab; 20],
    }
}

pub(crate) fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 50_000,
        max_write_latency_us: 80_000,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 0,
        uptime_window: 3 * EPOCH_LEN_S,
        max_error_rate_bps: 100,
        reporting_interval: 600,
        penalty_per_epoch: 1_000,
        weights: [2000, 2000, 0, 0, 0, 6000],
    }
}

pub(crate) fn key(role: Role) -> SigningKey {
    SigningKey::from_bytes(&[if role == Role::Consumer { 31 } else { 32 }; 32])
}

pub(crate) use sla_storage::testing::{backends, Backend};

pub(crate) struct Fixture {
    pub storage: Database,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) async fn new(backend: &Backend) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = backend.fresh_url(dir.path(), "agg.sqlite").await.unwrap();
        let storage = Database::connect(&url).await.unwrap();
        let allocation = Allocation {
            data_unit: DATA_UNIT,
            consumer: CONSUMER,
            provider: PROVIDER,
            status: AllocationStatus::Active,
            terms_hash: [1; 32],
            terms: terms(),
            active_from_ms: 0,
            closed_at_ms: None,
        };
        seed_allocation(&storage, &allocation).await.unwrap();
        for (role, account) in [(Role::Consumer, CONSUMER), (Role::Provider, PROVIDER)] {
            let key = ReporterKey {
                public_key: key(role).verifying_key().to_bytes(),
                account,
                valid_from_ms: 0,
                valid_until_ms: None,
            };
            seed_key(&storage, &key).await.unwrap();
        }
        Fixture {
            storage,
            url,
            _dir: dir,
        }
    }

    /// The aggregator's stores on this database.
    pub(crate) fn stores(&self) -> AggregatorStores {
        AggregatorStores::of(&self.storage)
    }

    pub(crate) fn epoch_config() -> EpochConfig {
        EpochConfig::new(0, EPOCH_LEN_S).unwrap()
    }

    /// Reports of the last day count (the tests ingest reports of past epochs).
    pub(crate) fn config(&self) -> AggregatorConfig {
        self.config_with_grace(24 * 3_600_000)
    }

    pub(crate) fn config_with_grace(&self, grace_ms: u64) -> AggregatorConfig {
        AggregatorConfig {
            epochs: Self::epoch_config(),
            grace_ms,
            page_size: 7,
        }
    }

    /// An epoch that ended about `hours` hours ago.
    pub(crate) fn epoch_ended_hours_ago(&self, hours: u64) -> u64 {
        let now_s = now_ms() / 1000;
        (now_s - hours * 3600) / u64::from(EPOCH_LEN_S) - 1
    }

    /// Serves the ingest API's read side on this database; returns its base URL.
    pub(crate) async fn serve_api(&self) -> String {
        use clap::Parser;
        let config = sla_ingest_api::Config::parse_from([
            "sla-ingest-api",
            "--database-url",
            &self.url,
            "--contract",
            "0xabababababababababababababababababababab",
            "--epoch-length",
            &EPOCH_LEN_S.to_string(),
        ]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(sla_ingest_api::serve(
            listener,
            config,
            std::future::pending(),
        ));
        format!("http://{addr}")
    }

    pub(crate) async fn ingest(&self, reports: &[VerifiedReport]) {
        let clock = Clock {
            now_ms: now_ms(),
            max_future_skew_ms: 60_000,
        };
        let outcomes = sla_storage::testing::ingest(&self.storage, reports, clock)
            .await
            .unwrap();
        for o in &outcomes {
            assert!(matches!(o, Outcome::Accepted(_)), "{o:?}");
        }
    }
}

fn epoch_start_ms(epoch: u64) -> u64 {
    epoch * u64::from(EPOCH_LEN_S) * 1000
}

fn signed(
    role: Role,
    sequence: u64,
    prev: ReportHash,
    start: u64,
    end: u64,
    records: Vec<QosRecord>,
) -> VerifiedReport {
    let key = key(role);
    let report = Report {
        deployment: deployment(),
        role,
        reporter_key: key.verifying_key().to_bytes(),
        data_unit: DATA_UNIT,
        sequence,
        prev_hash: prev,
        period_start_ms: start,
        period_end_ms: end,
        records,
    };
    sign_report(&report, &key)
        .unwrap()
        .verify(&deployment())
        .unwrap()
}

/// Consumer and provider chains over `epochs` consecutive epochs ending two hours ago, with
/// half-epoch periods (so some reports straddle nothing and others are per half-epoch).
pub(crate) fn scenario_reports(epochs: u64) -> Vec<VerifiedReport> {
    let first_epoch = (now_ms() / 1000 - 7200) / u64::from(EPOCH_LEN_S) - epochs;
    let half = u64::from(EPOCH_LEN_S) * 500;
    let mut out = Vec::new();
    for role in [Role::Consumer, Role::Provider] {
        let mut prev = ReportHash::ZERO;
        for i in 0..epochs * 2 {
            let start = epoch_start_ms(first_epoch) + i * half;
            let records = (0..20u64)
                .map(|n| {
                    let ts = start + n * (half / 20);
                    let latency = 1_000 + ((i * 37 + n * 101) % 9_000) as u32;
                    match n % 4 {
                        0 => QosRecord::failure(ts, Operation::Write, latency, 500, "server error"),
                        1 => QosRecord::success(ts, Operation::Write, latency, 1 << 20),
                        _ => QosRecord::success(ts, Operation::Read, latency, 4096),
                    }
                })
                .collect();
            let v = signed(role, i + 1, prev, start, start + half, records);
            prev = v.hash;
            out.push(v);
        }
    }
    out
}

/// `count` reports of `role` in `epoch`, every read failing, starting at `sequence` (a later
/// start gets a placeholder previous hash: re-chain it with [`chain_after`]).
pub(crate) fn failing_reports(
    role: Role,
    epoch: u64,
    sequence: u64,
    count: u64,
) -> Vec<VerifiedReport> {
    let len = u64::from(EPOCH_LEN_S) * 1000 / (count + 1);
    let mut prev = if sequence == 1 {
        ReportHash::ZERO
    } else {
        ReportHash([1; 32])
    };
    (0..count)
        .map(|i| {
            let start = epoch_start_ms(epoch) + (sequence - 1 + i) * len;
            let records = (0..30u64)
                .map(|n| QosRecord::failure(start + n, Operation::Read, 2_000, 503, "unavailable"))
                .collect();
            let v = signed(role, sequence + i, prev, start, start + len, records);
            prev = v.hash;
            v
        })
        .collect()
}

/// Re-signs `next` so that it chains to `previous`.
pub(crate) fn chain_after(previous: &VerifiedReport, next: VerifiedReport) -> VerifiedReport {
    let mut report = next.report.clone();
    report.sequence = previous.report.sequence + 1;
    report.prev_hash = previous.hash;
    let key = key(report.role);
    sign_report(&report, &key)
        .unwrap()
        .verify(&deployment())
        .unwrap()
}
