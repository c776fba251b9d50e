//! The condition rules on both databases, through `Rules::look` at chosen times: a data unit
//! whose epoch in progress is failing raises the burn-rate alerts of every window and a
//! time-to-breach forecast before the epoch closes; a thin bond raises `bond-cover`, a key
//! about to end `key-expiry`; a data unit in a maintenance window (of the configuration file,
//! declared by its provider through the signed API's store, or announced on chain) raises nothing
//! but its penalty; a restarted
//! process raises nothing again; once the failures stop, every burn-rate condition resolves
//! once.

use alloy_primitives::Address;
use sla_alerts::alert::Alert;
use sla_alerts::rules::Rules;
use sla_alerts::AlertsConfig;
use sla_protocol::aggregate::{
    AggregationContext, EpochAccumulator, EpochConfig, SlaTerms, EQUAL_WEIGHTS,
};
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_protocol::{Operation, QosRecord, ReportHash, Role};
use sla_storage::mirror::{ChainOrigin, ContractConfig, ProviderState};
use sla_storage::rollups::RollupWrite;
use sla_storage::{Database, NewAlert, RollupStatus};

const PROVIDER: Address = Address::repeat_byte(0xb2);
const CONSUMER: Address = Address::repeat_byte(0xc2);
const EPOCH_S: u64 = 3_600;
const PENALTY: u128 = 100_000_000_000_000_000;

fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 0,
        max_write_latency_us: 0,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 9_990,
        uptime_window: 86_400,
        max_error_rate_bps: 100,
        reporting_interval: 600,
        penalty_per_epoch: PENALTY,
        weights: EQUAL_WEIGHTS,
    }
}

fn origin() -> ChainOrigin {
    ChainOrigin {
        block_number: 1,
        log_index: Some(0),
        tx_hash: Some([1; 32]),
    }
}

/// Genesis such that `now` is 30 minutes into epoch 100.
fn genesis_s(now_ms: u64) -> u64 {
    now_ms / 1_000 - 1_800 - 100 * EPOCH_S
}

async fn seed(db: &Database, now_ms: u64) {
    let mut w = db.mirror().begin_write().await.unwrap();
    w.insert_contract(&ContractConfig {
        admin: PROVIDER,
        genesis_time: genesis_s(now_ms),
        epoch_length: EPOCH_S as u32,
        submission_window: 86_400,
        unbonding_delay: 86_400,
        allocation_request_ttl: 3_600,
        origin: origin(),
    })
    .await
    .unwrap();
    // Bond of 4 epochs' penalties for 4 data units: 1 epoch of cover, 24 wanted.
    w.insert_provider(&ProviderState {
        provider: PROVIDER,
        provider_id: 1,
        reputation: 10_000,
        bonded: 4 * PENALTY,
        unbonding: 0,
        unbonding_release_at: 0,
        suspended_until: 0,
        updated: origin(),
    })
    .await
    .unwrap();
    for data_unit in [1, 2, 3, 4] {
        w.upsert_current_allocation(&Allocation {
            data_unit,
            consumer: CONSUMER,
            provider: PROVIDER,
            status: AllocationStatus::Active,
            terms_hash: [1; 32],
            terms: terms(),
            active_from_ms: 0,
            closed_at_ms: None,
        })
        .await
        .unwrap();
    }
    // A penalty of data unit 3, inside its provider's declared window: told all the same.
    w.insert_penalty(&sla_storage::mirror::MirroredPenalty {
        data_unit: 3,
        epoch: 100,
        provider: PROVIDER,
        consumer: CONSUMER,
        amount: PENALTY,
        from_bonded: PENALTY,
        from_unbonding: 0,
        origin: origin(),
    })
    .await
    .unwrap();
    // Data unit 4: a window its provider announced on chain (as the indexer mirrors it).
    w.insert_maintenance_window(&sla_storage::mirror::AnnouncedWindow {
        data_unit: 4,
        index: 0,
        window: sla_protocol::aggregate::MaintenanceWindow {
            start_s: now_ms / 1000 - 60,
            end_s: now_ms / 1000 + 3_600,
        },
        cancelled: false,
        origin: origin(),
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
    sla_storage::testing::seed_key(
        db,
        &ReporterKey {
            public_key: [0xab; 32],
            account: PROVIDER,
            valid_from_ms: 0,
            valid_until_ms: Some(now_ms + 2 * 86_400_000),
        },
    )
    .await
    .unwrap();
    // Data unit 3: a window its provider declared (as `POST /v1/maintenance-windows` stores it).
    let request = sla_storage::subscriptions::SignedRequest {
        owner: PROVIDER,
        nonce: "maintenance-nonce-1".into(),
        message_hash: [3; 32],
        now_ms,
    };
    let window = sla_storage::subscriptions::NewMaintenance {
        owner: PROVIDER,
        provider: PROVIDER,
        data_unit: Some(3),
        from_ms: now_ms - 1_000,
        until_ms: now_ms + 3_600_000,
        reason: "firmware".into(),
    };
    db.subscriptions()
        .declare_maintenance(&request, &window, 50)
        .await
        .unwrap()
        .unwrap();
}

/// The epoch in progress (100) of `data_unit`, as the aggregator saves it: the provider's
/// reads in each of the 30 minutes so far, failing or not.
async fn epoch_in_progress(db: &Database, now_ms: u64, data_unit: u64, failing: bool) {
    let config = EpochConfig::new(genesis_s(now_ms), EPOCH_S as u32).unwrap();
    let ctx = AggregationContext::new(&config, &terms(), data_unit, 100).unwrap();
    let start = ctx.start_ms();
    let mut acc = EpochAccumulator::new(ctx);
    let view = acc.view_mut(Role::Provider);
    view.add_report_period(start, start + 1_800_000);
    for minute in 0..30u64 {
        let t = start + minute * 60_000 + 1_000;
        view.add_record(&if failing {
            QosRecord::failure(t, Operation::Read, 1_000, 503, "down")
        } else {
            QosRecord::success(t, Operation::Read, 1_000, 1)
        });
    }
    view.add_report_hash(ReportHash([data_unit as u8; 32]));
    let summary = acc.summary();
    db.rollups()
        .save(
            &[RollupWrite {
                accumulator: &acc,
                summary: &summary,
                status: RollupStatus::Open,
                verdict: None,
                // The aggregator's clock moves on between two saves.
                updated_at_ms: now_ms + u64::from(!failing),
            }],
            &[],
            None,
        )
        .await
        .unwrap();
}

fn config(now_ms: u64) -> AlertsConfig {
    let text = format!(
        r#"{{"receivers":[],
            "maintenance":[{{"data_unit":2,"from_ms":{},"until_ms":{},"reason":"disk swap"}}]}}"#,
        now_ms - 3_600_000,
        now_ms + 3_600_000
    );
    AlertsConfig::parse(&text, |_| None).unwrap()
}

/// One look at `now_ms`, written to the outbox with its condition states as the service does.
async fn look(rules: &mut Rules, db: &Database, config: &AlertsConfig, now_ms: u64) -> Vec<Alert> {
    let look = rules
        .look(db, config, &reqwest::Client::new(), now_ms)
        .await
        .unwrap();
    let rows: Vec<NewAlert> = look
        .alerts
        .iter()
        .map(|a| NewAlert {
            receiver: "r".into(),
            alert_key: a.alert_key.clone(),
            rule: a.rule.clone(),
            severity: a.severity.clone(),
            body: serde_json::to_string(a).unwrap(),
            data_unit: (a.data_unit != 0).then_some(a.data_unit),
        })
        .collect();
    db.alerts()
        .enqueue_with(&rows, &look.changes, now_ms)
        .await
        .unwrap();
    rules.commit(&look);
    look.alerts
        .into_iter()
        .filter(|a| a.rule != "late")
        .collect()
}

fn keys(alerts: &[Alert]) -> Vec<String> {
    let mut k: Vec<String> = alerts.iter().map(|a| a.alert_key.clone()).collect();
    k.sort();
    k
}

#[tokio::test]
async fn burn_forecast_cover_and_expiry_fire_once_and_resolve_muted_by_maintenance() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "conditions.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        let now = sla_runtime::now_ms();
        seed(&db, now).await;
        epoch_in_progress(&db, now, 1, true).await;
        epoch_in_progress(&db, now, 2, true).await;
        epoch_in_progress(&db, now, 3, true).await;
        epoch_in_progress(&db, now, 4, true).await;
        let config = config(now);
        let mut rules = Rules::start(&db, &config).await.unwrap();

        let first = look(&mut rules, &db, &config, now).await;
        let provider = format!("{PROVIDER:#x}");
        let mut want: Vec<String> = ["1h", "6h", "3d"]
            .iter()
            .flat_map(|w| ["uptime", "error_rate"].map(|m| format!("burn-rate:{w}:1:{m}@{now}")))
            .collect();
        want.extend([
            format!("time-to-breach:1:uptime@{now}"),
            format!("time-to-breach:1:error_rate@{now}"),
            format!("bond-cover:{provider}@{now}"),
            format!("key-expiry:{}@{now}", hex::encode([0xab; 32])),
            "penalty:3:100".to_owned(),
        ]);
        want.sort();
        assert_eq!(
            keys(&first),
            want,
            "{url}: data units 2, 3 and 4 are muted by maintenance"
        );

        let burn = first
            .iter()
            .find(|a| a.alert_key.starts_with("burn-rate:1h:1:uptime"))
            .unwrap();
        assert_eq!(burn.severity, "critical");
        assert!(
            burn.summary.starts_with(
                "data unit 1 spends its uptime error budget 1000.0× as fast as its terms allow"
            ),
            "{}",
            burn.summary
        );
        assert!(
            burn.details[0].contains("30 of 30 observed slots down"),
            "{:?}",
            burn.details
        );
        let breach = first
            .iter()
            .find(|a| a.alert_key.starts_with("time-to-breach:1:error_rate"))
            .unwrap();
        assert!(
            breach
                .summary
                .contains("this epoch's error rate breaks ≤ 1.00 % when the epoch closes in "),
            "{}",
            breach.summary
        );
        let cover = first.iter().find(|a| a.rule == "bond-cover").unwrap();
        assert_eq!(cover.severity, "warning");
        assert!(
            cover.summary.contains("covers 1 epochs"),
            "{}",
            cover.summary
        );

        // The data unit's incident timeline (the dashboard's): its 8 condition alerts and its 4
        // silences (both sides never reported), all active.
        let timeline = sla_dashboard::data::incidents::incidents(&db, 1)
            .await
            .unwrap();
        assert_eq!(timeline.len(), 12, "{url}: {timeline:#?}");
        assert!(timeline.iter().all(|i| i.active && i.status == "firing"));

        // The same conditions a tick later, and after a restart: nothing new.
        assert!(
            look(&mut rules, &db, &config, now + 1_000).await.is_empty(),
            "{url}"
        );
        // (A restarted process reads the penalties again; the outbox already holds that key.)
        let mut restarted = Rules::start(&db, &config).await.unwrap();
        assert_eq!(
            keys(&look(&mut restarted, &db, &config, now + 2_000).await),
            vec!["penalty:3:100".to_owned()],
            "{url}"
        );

        // The failures stop: the epoch in progress is up. Each window is looked at again after
        // a hundredth of its short window (3 s, 18 s, 3.6 min); every burn-rate condition resolves
        // exactly once.
        epoch_in_progress(&db, now, 1, false).await;
        let mut resolved = Vec::new();
        for later in [40_000, 200_000, 2_200_000, 2_300_000] {
            resolved.extend(look(&mut restarted, &db, &config, now + later).await);
        }
        let burn_resolved: Vec<_> = resolved
            .iter()
            .filter(|a| a.rule == "burn-rate")
            .map(|a| (a.alert_key.as_str(), a.status.as_str(), a.severity.as_str()))
            .collect();
        assert_eq!(burn_resolved.len(), 6, "{url}: {burn_resolved:?}");
        assert!(burn_resolved
            .iter()
            .all(|(k, s, sev)| k.ends_with(&format!("@{now}:resolved"))
                && *s == "resolved"
                && *sev == "info"));
        let breach_resolved = resolved
            .iter()
            .filter(|a| a.rule == "time-to-breach")
            .count();
        assert_eq!(breach_resolved, 2, "{url}: both forecasts resolve");
        let timeline = sla_dashboard::data::incidents::incidents(&db, 1)
            .await
            .unwrap();
        let conditions: Vec<_> = timeline.iter().filter(|i| i.rule != "late").collect();
        assert_eq!(conditions.len(), 16, "{url}: 8 firing, 8 resolved");
        assert!(
            conditions.iter().all(|i| !i.active),
            "{url}: no condition active once resolved"
        );
        assert!(
            timeline
                .iter()
                .filter(|i| i.rule == "late")
                .all(|i| i.active),
            "{url}: the silences go on"
        );
        assert_eq!(timeline[0].status, "resolved", "{url}: newest first");
        db.close().await;
    }
}

/// The epoch in progress of data unit 1 with a GPU temperature in the provider's view and
/// consumer checks of which `failed` fail.
async fn gauges_in_progress(db: &Database, now_ms: u64, temp: i64, failed: u64, at_ms: u64) {
    let config = EpochConfig::new(genesis_s(now_ms), EPOCH_S as u32).unwrap();
    let ctx = AggregationContext::new(&config, &terms(), 1, 100).unwrap();
    let start = ctx.start_ms();
    let mut acc = EpochAccumulator::new(ctx);
    let gauge = Operation::Custom {
        name: "gpu0.temp_millicelsius".into(),
        value: temp,
    };
    acc.provider
        .add_record(&QosRecord::success(start + 1_000, gauge, 10, 0));
    for i in 0..30u64 {
        let t = start + i * 60_000 + 2_000;
        acc.consumer.add_record(&if i < failed {
            QosRecord::failure(t, Operation::Probe, 1_000, 503, "down")
        } else {
            QosRecord::success(t, Operation::Probe, 1_000, 1)
        });
    }
    acc.consumer.add_report_hash(ReportHash([9; 32]));
    let summary = acc.summary();
    db.rollups()
        .save(
            &[RollupWrite {
                accumulator: &acc,
                summary: &summary,
                status: RollupStatus::Open,
                verdict: None,
                updated_at_ms: at_ms,
            }],
            &[],
            None,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_gauge_threshold_and_a_fault_rate_fire_after_their_hold_and_resolve_once() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "gauges.sqlite")
        .await
        .unwrap()
    {
        let db = Database::connect(&url).await.unwrap();
        let now = sla_runtime::now_ms();
        seed(&db, now).await;
        // 90 °C and 6 of 30 consumer checks failed (20 %, over the 10 % default).
        gauges_in_progress(&db, now, 90_000, 6, now).await;
        let text = r#"{"receivers":[],"rules":{
            "gauge-threshold":{"thresholds":[{"name":"gpu-hot","gauge":"gpu0.temp_millicelsius","value":"max","above":85000}],"for_s":10},
            "fault-rate":{"for_s":10}}}"#;
        let config = AlertsConfig::parse(text, |_| None).unwrap();
        let mut rules = Rules::start(&db, &config).await.unwrap();
        let ours = |alerts: Vec<Alert>| -> Vec<Alert> {
            alerts
                .into_iter()
                .filter(|a| matches!(a.rule.as_str(), "gauge-threshold" | "fault-rate"))
                .collect()
        };
        // Held for 10 s first.
        assert!(
            ours(look(&mut rules, &db, &config, now).await).is_empty(),
            "{url}"
        );
        let fired = ours(look(&mut rules, &db, &config, now + 11_000).await);
        assert_eq!(
            keys(&fired),
            vec![
                format!("fault-rate:1:consumer@{now}"),
                format!("gauge-threshold:gpu-hot:1@{now}"),
            ],
            "{url}"
        );
        let hot = fired.iter().find(|a| a.rule == "gauge-threshold").unwrap();
        assert_eq!(
            hot.summary,
            "data unit 1: provider gpu0.temp_millicelsius is 90 °C (above 85 °C)"
        );
        let faults = fired.iter().find(|a| a.rule == "fault-rate").unwrap();
        assert!(
            faults
                .summary
                .contains("20.00 % of the consumer's checks failed"),
            "{}",
            faults.summary
        );
        // The GPU cools and the checks succeed: both resolve, once.
        gauges_in_progress(&db, now, 70_000, 0, now + 12_000).await;
        let mut resolved = Vec::new();
        for later in [17_000, 23_000, 29_000] {
            resolved.extend(ours(look(&mut rules, &db, &config, now + later).await));
        }
        assert_eq!(
            keys(&resolved),
            vec![
                format!("fault-rate:1:consumer@{now}:resolved"),
                format!("gauge-threshold:gpu-hot:1@{now}:resolved"),
            ],
            "{url}"
        );
        db.close().await;
    }
}
