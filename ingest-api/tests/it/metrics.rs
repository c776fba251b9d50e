//! Gauges, fault rate, efficiency and scores on the read API (`/v1/data-units/{id}/metrics`)
//! and on the data unit page, on each database: roll-ups whose provider view holds gauges are
//! stored, read back and served with exact window values; every bad parameter is named.

use sla_protocol::aggregate::{AggregationContext, EpochAccumulator, EpochConfig, SlaTerms};
use sla_protocol::gauge::names;
use sla_protocol::{Operation, QosRecord};
use sla_storage::rollups::RollupWrite;
use sla_storage::RollupStatus;

use crate::helpers::*;

const EPOCH_S: u64 = 3_600;

fn gauge(epoch: u64, offset_ms: u64, name: &str, value: i64) -> QosRecord {
    let op = Operation::Custom {
        name: name.into(),
        value,
    };
    QosRecord::success(epoch * EPOCH_S * 1_000 + offset_ms, op, 100, 0)
}

/// Epoch `epoch` with the given GPU temperatures (one per minute), a CPU pledge of 4 cores
/// using `cpu` millicores, one failed scrape, and 12 consumer reads.
fn accumulator(epoch: u64, temps: &[i64], cpu: i64) -> EpochAccumulator {
    let config = EpochConfig::new(0, EPOCH_S as u32).unwrap();
    let terms = SlaTerms::reporting_only(3_600);
    let mut acc =
        EpochAccumulator::new(AggregationContext::new(&config, &terms, DATA_UNIT, epoch).unwrap());
    for (i, t) in temps.iter().enumerate() {
        acc.provider.add_record(&gauge(
            epoch,
            i as u64 * 60_000,
            "gpu0.temp_millicelsius",
            *t,
        ));
    }
    acc.provider
        .add_record(&gauge(epoch, 0, names::PLEDGE_CPU, 4_000));
    acc.provider
        .add_record(&gauge(epoch, 0, names::CPU_USED, cpu));
    let failed = QosRecord::failure(
        epoch * EPOCH_S * 1_000 + 1,
        Operation::Custom {
            name: "gpu0.temp_millicelsius".into(),
            value: 0,
        },
        5_000_000,
        5,
        "exporter timed out",
    );
    acc.provider.add_record(&failed);
    for i in 0..12 {
        let at = epoch * EPOCH_S * 1_000 + i * 60_000;
        acc.consumer
            .add_record(&QosRecord::success(at, Operation::Read, 100_000, 1_000));
    }
    acc.compact();
    acc
}

async fn get(app: &TestApp, path: &str) -> (u16, String, serde_json::Value) {
    let r = app.http.get(app.url(path)).send().await.unwrap();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, ctype, body)
}

#[tokio::test]
async fn gauges_scores_and_fault_rates_are_served_per_epoch_and_over_the_window() {
    for_each_backend(|app, _| async move {
        seed_contract(&app, EPOCH_S as u32).await;
        // The epoch in progress and the one before, so that the page (which shows the newest
        // epochs) has them too.
        let now = sla_runtime::now_ms() / 1_000 / EPOCH_S;
        let (e10, e11) = (now - 1, now);
        let (a, b) = (
            accumulator(e10, &[61_500, 62_000, 84_001], 1_000),
            accumulator(e11, &[90_000, -500], 3_001),
        );
        let (sa, sb) = (a.summary(), b.summary());
        app.db
            .rollups()
            .save(
                &[
                    RollupWrite { accumulator: &a, summary: &sa, status: RollupStatus::Open, verdict: None, updated_at_ms: 1 },
                    RollupWrite { accumulator: &b, summary: &sb, status: RollupStatus::Open, verdict: None, updated_at_ms: 2 },
                ],
                &[],
                None,
            )
            .await
            .unwrap();

        let (status, ctype, m) = get(&app, &format!("/v1/data-units/{DATA_UNIT}/metrics?epoch={e11}&epochs=2&above=80000&below=0")).await;
        assert_eq!((status, ctype.as_str()), (200, "application/json"), "{m}");
        assert_eq!((m["first_epoch"].as_u64(), m["last_epoch"].as_u64()), (Some(e10), Some(e11)));
        // Newest first; each epoch's gauges as the summary has them (read back from storage).
        let newest = &m["epochs"][0];
        assert_eq!( newest["epoch"], e11);
        let temp =  newest["provider"]["gauges"].as_array().unwrap().iter().find(|g| g["name"] == "gpu0.temp_millicelsius").unwrap();
        assert_eq!((temp["samples"].as_u64(), temp["failed"].as_u64()), (Some(2), Some(1)));
        assert_eq!((temp["min"].as_i64(), temp["max"].as_i64(), temp["last"].as_i64()), (Some(-500), Some(90_000), Some(-500)));
        assert_eq!(temp["sum"], "89500", "a 128-bit sum is a string");
        assert_eq!(temp["unit"], "millicelsius");
        // 12 consumer reads; 5 provider records (2 temperatures, pledge, CPU, a failed scrape).
        assert_eq!(( newest["provider"]["checks"].as_u64(),  newest["provider"]["faults"].as_u64()), (Some(5), Some(1)));
        assert_eq!( newest["provider"]["fault_rate_bps"], 2_000);
        assert_eq!( newest["provider"]["efficiency"]["overall_bps"], 7_502, "3001 of 4000 millicores");
        assert_eq!( newest["scores"].as_array().unwrap().len(), 4, "every preset by default");
        // The window: exact mean over all five samples, not a mean of the two means.
        let w = m["window"]["provider"]["gauges"].as_array().unwrap().iter().find(|g| g["name"] == "gpu0.temp_millicelsius").unwrap().clone();
        let all = [61_500i64, 62_000, 84_001, 90_000, -500];
        assert_eq!(w["mean"].as_i64(), Some(all.iter().sum::<i64>().div_euclid(5)));
        assert_eq!((w["samples"].as_u64(), w["epochs"].as_u64(), w["last"].as_i64()), (Some(5), Some(2), Some(-500)));
        // Slots above 80 °C: one in each epoch; below 0 °C: one.
        assert_eq!((w["slots_above"].as_u64(), w["slots_below"].as_u64()), (Some(2), Some(1)));
        // 2 failed of 6 + 5 checks.
        // Per epoch too, from the accumulators: the newest epoch has 90 °C (above) and -0.5 °C (below).
        let beyond = newest["provider"]["beyond"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == "gpu0.temp_millicelsius")
            .unwrap()
            .clone();
        assert_eq!((beyond["slots_above"].as_u64(), beyond["slots_below"].as_u64()), (Some(1), Some(1)));
        assert_eq!(m["window"]["provider"]["fault_rate_bps"], 2 * 10_000 / 11);
        // Efficiency over the window: mean of (1000, 3001) = 2000 of 4000.
        assert_eq!(m["window"]["provider"]["efficiency"]["overall_bps"], 5_000);
        let rpc = m["window"]["scores"].as_array().unwrap().iter().find(|s| s["service"] == "rpc").unwrap().clone();
        assert_eq!(rpc["epochs"], 2);

        // One preset, one gauge.
        let (_, _, m) = get(&app, &format!("/v1/data-units/{DATA_UNIT}/metrics?epoch={e11}&epochs=1&service=compute&gauge=gpu0.temp_millicelsius")).await;
        assert_eq!(m["epochs"].as_array().unwrap().len(), 1);
        assert_eq!(m["epochs"][0]["scores"][0]["service"], "compute");
        assert_eq!(m["epochs"][0]["provider"]["gauges"].as_array().unwrap().len(), 1);
        assert_eq!(m["window"]["provider"]["gauges"].as_array().unwrap().len(), 1);

        // The page shows the newest epoch's gauges in their units.
        let page = app.http.get(app.url(&format!("/dashboard/data-units/{DATA_UNIT}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("id=\"gauges-table\""), "{page}");
        assert!(page.contains("-0.5 °C") && page.contains("90 °C"), "{page}");
        assert!(page.contains("75.02 %"), "the provider's efficiency: {page}");

        for (path, status, field) in [
            ("?service=mainframe", 400, Some("service")),
            ("?gauge=GPU!", 400, Some("gauge")),
            ("?above=hot", 400, Some("above")),
            ("?below=99999999999999999999", 400, Some("below")),
            ("?epochs=0", 400, Some("epochs")),
            ("?epochs=721", 400, Some("epochs")),
            ("?colour=red", 400, Some("query")),
        ] {
            let (got, ctype, body) = get(&app, &format!("/v1/data-units/{DATA_UNIT}/metrics{path}")).await;
            assert_eq!((got, ctype.as_str()), (status, "application/problem+json"), "{path}: {body}");
            assert_eq!(body["field"].as_str(), field, "{path}: {body}");
        }
        let (got, _, _) = get(&app, "/v1/data-units/999/metrics").await;
        assert_eq!(got, 404);
        app.stop().await;
    })
    .await;
}
