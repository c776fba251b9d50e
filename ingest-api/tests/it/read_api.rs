//! The public read API, health, readiness and metrics.

use sla_protocol::{Deployment, SignedReport};

use crate::helpers::*;

#[tokio::test]
async fn stored_report_is_served_with_its_signed_bytes_and_reverifies() {
    for_each_backend(|app, _| async move {
        let signed = &consumer().chain(1, past_hour(3))[0];
        assert_eq!(app.post(signed).await.0, 201);
        let body: serde_json::Value = app
            .http
            .get(app.url(&format!("/v1/reports/{}", signed.hash())))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let served = SignedReport {
            payload: hex::decode(body["payload"].as_str().unwrap()).unwrap(),
            signature: hex::decode(body["signature"].as_str().unwrap()).unwrap(),
        };
        assert_eq!(&served, signed);
        let verified = served.verify(&Deployment { ..deployment() }).unwrap();
        assert_eq!(verified.report.sequence, 1);

        let missing = app
            .http
            .get(app.url(&format!("/v1/reports/{}", "00".repeat(32))))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        let bad = app
            .http
            .get(app.url("/v1/reports/xyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn data_unit_reports_are_paginated_and_filtered_by_time() {
    for_each_backend(|app, _| async move {
        let start = past_hour(10);
        for signed in consumer().chain(5, start) {
            assert_eq!(app.post(&signed).await.0, 201);
        }
        let mut seen = Vec::new();
        let mut after = 0i64;
        loop {
            let page: serde_json::Value = app
                .http
                .get(app.url(&format!(
                    "/v1/data-units/{DATA_UNIT}/reports?limit=2&after={after}"
                )))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for r in page["reports"].as_array().unwrap() {
                seen.push(r["sequence"].as_u64().unwrap());
            }
            match page["next"].as_i64() {
                Some(next) => after = next,
                None => break,
            }
        }
        assert_eq!(seen, vec![1, 2, 3, 4, 5]);

        // Reports overlapping [start + 1h, start + 3h): sequences 2 and 3.
        let window: serde_json::Value = app
            .http
            .get(app.url(&format!(
                "/v1/data-units/{DATA_UNIT}/reports?from_ms={}&to_ms={}",
                start + HOUR_MS,
                start + 3 * HOUR_MS
            )))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sequences: Vec<u64> = window["reports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["sequence"].as_u64().unwrap())
            .collect();
        assert_eq!(sequences, vec![2, 3]);

        let bad = app
            .http
            .get(app.url(&format!("/v1/data-units/{DATA_UNIT}/reports?limit=0")))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn reporter_status_tells_last_sequence_and_lateness() {
    for_each_backend(|app, _| async move {
        let c = consumer();
        // Last period ended 3 hours ago with a 1-hour interval: late.
        let chain = c.chain(2, past_hour(5));
        for signed in &chain {
            assert_eq!(app.post(signed).await.0, 201);
        }
        let url = app.url(&format!(
            "/v1/reporters/{}/data-units/{DATA_UNIT}",
            hex::encode(c.public_key())
        ));
        let status: serde_json::Value = app
            .http
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status["last_sequence"], 2);
        assert_eq!(status["last_hash"], chain[1].hash().to_hex());
        assert_eq!(status["late"], true);

        let p = provider();
        // The provider's last period ended at the start of this hour: within the interval.
        let signed = &p.chain(1, past_hour(1))[0];
        assert_eq!(app.post(signed).await.0, 201);
        let url = app.url(&format!(
            "/v1/reporters/{}/data-units/{DATA_UNIT}",
            hex::encode(p.public_key())
        ));
        let status: serde_json::Value = app
            .http
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status["late"], false);
        assert_eq!(status["role"], "provider");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn health_readiness_and_metrics_are_served() {
    for_each_backend(|app, _| async move {
        assert_eq!(app.status_of("/healthz").await, 200);
        assert_eq!(app.status_of("/readyz").await, 200);
        let signed = &consumer().chain(1, past_hour(3))[0];
        app.post(signed).await;
        let mut bad = signed.clone();
        bad.signature[3] ^= 1;
        app.post(&bad).await;
        let text = app.metrics().await;
        assert!(
            text.contains("sla_ingest_reports_accepted_total 1"),
            "{text}"
        );
        assert!(
            text.contains(r#"sla_ingest_report_rejections_total{rule="bad-signature"} 1"#),
            "{text}"
        );
        assert!(text.contains("sla_ingest_commit_seconds_bucket"), "{text}");
        assert!(
            text.contains("sla_ingest_commit_batch_reports_count"),
            "{text}"
        );
        assert!(
            text.contains(r#"route="/v1/reports",status="201""#),
            "{text}"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_feed_serves_every_report_in_arrival_order_from_a_cursor() {
    for_each_backend(|app, _| async move {
        let start = past_hour(10);
        let (consumer, provider) = (consumer().chain(3, start), provider().chain(2, start));
        let posted = [
            &consumer[0],
            &provider[0],
            &consumer[1],
            &consumer[2],
            &provider[1],
        ];
        for signed in posted {
            assert_eq!(app.post(signed).await.0, 201);
        }
        let get = |path: String| {
            let app = &app;
            async move {
                let response = app.http.get(app.url(&path)).send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<serde_json::Value>().await.unwrap())
            }
        };
        // A page at a time, two per page: every report once, in the order they arrived.
        let (mut hashes, mut ids, mut after) = (Vec::new(), Vec::new(), 0i64);
        let last_id = loop {
            let (status, page) = get(format!("/v1/reports?limit=2&after={after}")).await;
            assert_eq!(status, 200, "{page}");
            for r in page["reports"].as_array().unwrap() {
                hashes.push(r["hash"].as_str().unwrap().to_owned());
                ids.push(r["id"].as_i64().unwrap());
            }
            match page["next"].as_i64() {
                Some(next) => after = next,
                None => break page["last_id"].as_i64().unwrap(),
            }
        };
        let expected: Vec<String> = posted.iter().map(|s| s.hash().to_hex()).collect();
        assert_eq!(hashes, expected);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert_eq!(last_id, *ids.last().unwrap(), "the cursor has caught up");
        // From the newest id: nothing yet, and where the feed stands.
        let (_, tail) = get(format!("/v1/reports?after={last_id}")).await;
        assert_eq!(tail["reports"].as_array().unwrap().len(), 0);
        assert!(tail["next"].is_null());
        assert_eq!(tail["last_id"], last_id);
        // Bad cursors and pages are refused, each by name.
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("after=-1", "after"),
            ("after=x", "after"),
        ] {
            let (status, problem) = get(format!("/v1/reports?{query}")).await;
            assert_eq!(status, 400, "{query}: {problem}");
            assert!(
                problem.to_string().contains(field),
                "{query}: the refusal names `{field}`: {problem}"
            );
        }
        app.stop().await;
    })
    .await;
}
