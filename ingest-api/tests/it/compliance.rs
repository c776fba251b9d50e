//! The compliance report endpoints on each database: a data unit's report for a day holds its
//! penalty with the transaction, in JSON, CSV and HTML, and so does its provider's; every bad parameter is refused with
//! problem+json naming it (a range that runs backwards or spans more than 92 days, an unknown
//! format), and unknown data units and providers are 404.

use sla_storage::mirror::{ChainOrigin, ContractConfig, MirroredPenalty, ProviderState};

use crate::helpers::*;

const DAY_MS: u64 = 86_400_000;

async fn seed_chain(app: &TestApp) {
    let mut w = app.db.mirror().begin_write().await.unwrap();
    w.insert_contract(&ContractConfig {
        admin: PROVIDER,
        genesis_time: 0,
        epoch_length: 3_600,
        submission_window: 3_600,
        unbonding_delay: 3_600,
        allocation_request_ttl: 3_600,
        origin: ChainOrigin {
            block_number: 1,
            log_index: Some(0),
            tx_hash: Some([1; 32]),
        },
    })
    .await
    .unwrap();
    w.insert_provider(&ProviderState {
        provider: PROVIDER,
        provider_id: 1,
        reputation: 9_000,
        bonded: 1_000,
        unbonding: 0,
        unbonding_release_at: 0,
        suspended_until: 0,
        updated: ChainOrigin {
            block_number: 2,
            log_index: Some(0),
            tx_hash: Some([2; 32]),
        },
    })
    .await
    .unwrap();
    w.insert_penalty(&MirroredPenalty {
        data_unit: DATA_UNIT,
        epoch: 5,
        provider: PROVIDER,
        consumer: CONSUMER,
        amount: 250,
        from_bonded: 250,
        from_unbonding: 0,
        origin: ChainOrigin {
            block_number: 40,
            log_index: Some(2),
            tx_hash: Some([0x5e; 32]),
        },
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
}

async fn get(app: &TestApp, path: &str) -> (u16, String, String) {
    let r = app.http.get(app.url(path)).send().await.unwrap();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), ctype, r.text().await.unwrap())
}

#[tokio::test]
async fn a_compliance_report_is_served_as_json_csv_and_html_and_bad_ranges_are_named() {
    for_each_backend(|app, _| async move {
        seed_chain(&app).await;
        let base = format!("/v1/data-units/{DATA_UNIT}/compliance?from=0&to={DAY_MS}");

        let (status, ctype, body) = get(&app, &base).await;
        assert_eq!(
            (status, ctype.as_str()),
            (200, "application/json"),
            "{body}"
        );
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["from_epoch"], 0);
        assert_eq!(report["to_epoch"], 23, "24 one-hour epochs in the day");
        let unit = &report["data_units"][0];
        assert_eq!(unit["data_unit"], DATA_UNIT);
        assert_eq!(unit["totals"]["penalties"], 1);
        assert_eq!(unit["totals"]["penalties_wei"], "250");
        assert_eq!(unit["penalties"][0]["epoch"], 5);
        assert_eq!(
            unit["penalties"][0]["tx_hash"],
            format!("0x{}", "5e".repeat(32))
        );
        assert!(unit["audit_command"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "sla audit --data-unit {DATA_UNIT} --epoch 0 --to-epoch 23"
            )));

        let (status, ctype, body) = get(&app, &format!("{base}&format=csv")).await;
        assert_eq!((status, ctype.as_str()), (200, "text/csv; charset=utf-8"));
        assert!(body.starts_with("data_unit,epoch,start_utc,"), "{body}");

        let (status, ctype, body) = get(&app, &format!("{base}&format=html")).await;
        assert_eq!((status, ctype.as_str()), (200, "text/html; charset=utf-8"));
        assert!(body.contains(&format!("Data unit {DATA_UNIT}")), "{body}");
        assert!(body.contains(&format!("0x{}", "5e".repeat(32))), "{body}");

        // The provider's report covers its data units.
        let (status, ctype, body) = get(
            &app,
            &format!("/v1/providers/{PROVIDER:#x}/compliance?from=0&to={DAY_MS}"),
        )
        .await;
        assert_eq!(
            (status, ctype.as_str()),
            (200, "application/json"),
            "{body}"
        );
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        let units: Vec<u64> = report["data_units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["data_unit"].as_u64().unwrap())
            .collect();
        assert_eq!(units, [DATA_UNIT]);
        assert_eq!(report["data_units"][0]["totals"]["penalties"], 1);

        // The first hour holds no penalty.
        let (_, _, body) = get(
            &app,
            &format!("/v1/data-units/{DATA_UNIT}/compliance?from=0&to=3600000"),
        )
        .await;
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["data_units"][0]["totals"]["penalties"], 0);

        let too_long = 92 * DAY_MS + 1;
        for (path, status, field) in [
            (
                format!("/v1/data-units/{DATA_UNIT}/compliance?from=5&to=5"),
                400,
                Some("to"),
            ),
            (
                format!("/v1/data-units/{DATA_UNIT}/compliance?from=9&to=3"),
                400,
                Some("to"),
            ),
            (
                format!("/v1/data-units/{DATA_UNIT}/compliance?from=0&to={too_long}"),
                400,
                Some("to"),
            ),
            (
                format!("/v1/data-units/{DATA_UNIT}/compliance?from=abc"),
                400,
                Some("from"),
            ),
            (format!("{base}&format=pdf"), 400, Some("format")),
            (format!("{base}&colour=red"), 400, Some("query")),
            ("/v1/data-units/999/compliance".to_owned(), 404, None),
            (
                "/v1/providers/0x12/compliance".to_owned(),
                400,
                Some("address"),
            ),
            (
                "/v1/providers/0x00000000000000000000000000000000000000ee/compliance".to_owned(),
                404,
                None,
            ),
        ] {
            let (got, ctype, body) = get(&app, &path).await;
            assert_eq!(got, status, "{path}: {body}");
            assert_eq!(ctype, "application/problem+json", "{path}");
            let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(problem["field"].as_str(), field, "{path}: {body}");
        }
        app.stop().await;
    })
    .await;
}

/// A court decision on the provider shows on its page and in its JSON: a suspension's end, and
/// a removal (the contract's `type(uint64).max`) as `removed`.
#[tokio::test]
async fn a_court_suspension_and_removal_show_on_the_provider_page() {
    for_each_backend(|app, _| async move {
        seed_chain(&app).await;
        let json_path = format!("/v1/providers/{PROVIDER:#x}");
        let page_path = format!("/dashboard/providers/{PROVIDER:#x}");
        let (_, _, body) = get(&app, &json_path).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (v["suspended_until_s"].as_u64(), v["removed"].as_bool()),
            (Some(0), Some(false))
        );
        let (_, _, page) = get(&app, &page_path).await;
        assert!(
            !page.contains("Court decision"),
            "no row without a decision"
        );

        for (block, until) in [(50, 1_900_000_000u64), (51, u64::MAX)] {
            let mut w = app.db.mirror().begin_write().await.unwrap();
            let mut state = w.provider(&PROVIDER).await.unwrap().unwrap();
            state.suspended_until = until;
            state.updated = ChainOrigin {
                block_number: block,
                log_index: Some(0),
                tx_hash: Some([block as u8; 32]),
            };
            w.insert_provider(&state).await.unwrap();
            w.commit().await.unwrap();
            let (status, _, body) = get(&app, &json_path).await;
            assert_eq!(status, 200, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let (_, _, page) = get(&app, &page_path).await;
            if until == u64::MAX {
                assert_eq!(v["removed"], true, "{v}");
                assert_eq!(v["suspended_until_s"], 0, "{v}");
                assert!(
                    page.contains("removed: accepts no allocation again"),
                    "{page}"
                );
            } else {
                assert_eq!(v["removed"], false, "{v}");
                assert_eq!(v["suspended_until_s"], until, "{v}");
                assert!(
                    page.contains("suspended from new allocations until 2030-03-17"),
                    "{page}"
                );
            }
        }
    })
    .await;
}

/// An agreed penalty policy and the announced maintenance windows show on the data unit's
/// page, in words, and in its JSON.
#[tokio::test]
async fn an_agreed_penalty_policy_shows_on_the_data_unit_page() {
    use sla_protocol::aggregate::MaintenanceWindow;
    use sla_protocol::policy::{Policy, Tier};
    use sla_storage::mirror::{AnnouncedWindow, MirroredPolicy, PolicyProposal};
    for_each_backend(|app, _| async move {
        seed_chain(&app).await;
        let json_path = format!("/v1/data-units/{DATA_UNIT}");
        let page_path = format!("/dashboard/data-units/{DATA_UNIT}");
        let (_, _, page) = get(&app, &page_path).await;
        assert!(!page.contains("Penalty policy"), "no section without one");
        let (_, _, body) = get(&app, &json_path).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["policy"], serde_json::Value::Null, "{v}");

        let mut policy = Policy {
            grace_epochs: 2,
            grace_window_epochs: 24,
            maintenance_notice_s: 0,
            maintenance_allowance_s: 0,
            ..Policy::default()
        };
        policy.tiers[4][0] = Tier {
            bound: 9900,
            share_pct: 10,
        };
        let origin = ChainOrigin {
            block_number: 60,
            log_index: Some(0),
            tx_hash: Some([60; 32]),
        };
        let mut w = app.db.mirror().begin_write().await.unwrap();
        w.insert_policy_proposal(&PolicyProposal {
            data_unit: DATA_UNIT,
            proposer: CONSUMER,
            policy_hash: [7; 32],
            policy,
            origin,
        })
        .await
        .unwrap();
        w.insert_agreed_policy(&MirroredPolicy {
            data_unit: DATA_UNIT,
            policy_hash: [7; 32],
            from_epoch: 12,
            agreed_by: PROVIDER,
            policy,
            origin,
        })
        .await
        .unwrap();
        w.commit().await.unwrap();

        let (status, _, body) = get(&app, &json_path).await;
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["policy"]["from_epoch"], 12, "{v}");
        assert_eq!(v["policy"]["policy_hash"], format!("0x{}", "07".repeat(32)));
        assert_eq!(v["policy"]["policy"]["tiers"][4][0]["share_pct"], 10);
        let (_, _, page) = get(&app, &page_path).await;
        assert!(page.contains("Penalty policy"), "{page}");
        assert!(
            page.contains("uptime violated: at least 99"),
            "the tier in words: {page}"
        );
        assert!(
            page.contains("the first 2 violating epoch(s) of any 24 cost nothing"),
            "{page}"
        );
        assert!(page.contains("judges epochs from 12 on"), "{page}");
        assert!(page.contains("no maintenance windows"), "{page}");
        assert!(!page.contains("Maintenance windows"), "no windows, no list");

        // Windows announced (one cancelled) show with their state, on the page and in JSON.
        let now_s = sla_runtime::now_ms() / 1000;
        let mut w = app.db.mirror().begin_write().await.unwrap();
        for (index, start_s) in [(0u64, now_s + 7_200), (1, now_s + 10_800)] {
            w.insert_maintenance_window(&AnnouncedWindow {
                data_unit: DATA_UNIT,
                index,
                window: MaintenanceWindow {
                    start_s,
                    end_s: start_s + 1_800,
                },
                cancelled: false,
                origin,
            })
            .await
            .unwrap();
        }
        w.insert_maintenance_cancellation(DATA_UNIT, 1, &origin)
            .await
            .unwrap();
        w.commit().await.unwrap();
        let (_, _, body) = get(&app, &json_path).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["maintenance"][0]["state"], "upcoming", "{v}");
        assert_eq!(v["maintenance"][0]["start_ms"], (now_s + 7_200) * 1000);
        assert_eq!(v["maintenance"][1]["state"], "cancelled", "{v}");
        let (_, _, page) = get(&app, &page_path).await;
        assert!(page.contains("Maintenance windows"), "{page}");
        assert!(
            page.contains("(upcoming)") && page.contains("(cancelled)"),
            "{page}"
        );
    })
    .await;
}
