//! Catalogue items 1 and 12: size limits, load shedding and slow clients.

use std::time::{Duration, Instant};

use futures::stream;
use sla_protocol::{Operation, QosRecord, ReportHash};

use crate::helpers::*;

#[tokio::test]
async fn body_over_the_limit_is_413_also_when_chunked_and_nothing_is_stored() {
    let backend = &backends()[0];
    let app = spawn_app_with(backend, &["--max-body-bytes", "4096"]).await;
    let (status, ct, body) = app.post_raw("application/json", vec![b' '; 5000]).await;
    assert_eq!((status, problem_rule(&body)), (413, "body-too-large"));
    assert_eq!(ct, "application/problem+json");

    // A chunked body without a length that grows past the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..10).map(|_| Ok(vec![b' '; 1000])).collect();
    let response = app
        .http
        .post(app.url("/v1/reports"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(app.counts().await, (0, 0, 0));
    app.stop().await;
}

#[tokio::test]
async fn report_with_more_records_than_allowed_is_413() {
    let backend = &backends()[0];
    let app = spawn_app_with(backend, &["--max-records-per-report", "3"]).await;
    let c = consumer();
    let start = past_hour(3);
    let mut report = c.report(1, ReportHash::ZERO, start);
    report.records = (0..4)
        .map(|i| QosRecord::success(start + i, Operation::Probe, 100, 0))
        .collect();
    let (status, body) = app.post(&c.sign(&report)).await;
    assert_eq!((status, problem_rule(&body)), (413, "too-many-items"));
    assert_eq!(body["field"], "payload.records");
    assert_eq!(app.counts().await, (0, 0, 0));
    app.stop().await;
}

/// A body that sends one byte and then nothing for a long time.
fn stalled_body() -> reqwest::Body {
    let parts = stream::unfold(0u8, |step| async move {
        match step {
            0 => Some((Ok::<_, std::io::Error>(vec![b'{']), 1)),
            1 => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                None
            }
            _ => None,
        }
    });
    reqwest::Body::wrap_stream(parts)
}

#[tokio::test]
async fn overload_is_shed_with_503_within_a_second_and_slow_clients_time_out_with_408() {
    let backend = &backends()[0];
    let app = spawn_app_with(
        backend,
        &["--max-in-flight", "2", "--request-timeout-ms", "1500"],
    )
    .await;
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let request = app
                .http
                .post(app.url("/v1/reports"))
                .header("content-type", "application/json")
                .body(stalled_body());
            tokio::spawn(async move {
                let started = Instant::now();
                let status = request.send().await.map(|r| r.status().as_u16());
                (status, started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let absent = format!("/v1/reports/{}", "00".repeat(32));
    let response = app.http.get(app.url(&absent)).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    // Refused after half a second (load.rs SHED_DELAY), never after the request timeout.
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "shedding took {:?}",
        started.elapsed()
    );
    // Health and readiness are answered outside the shedding.
    for path in ["/healthz", "/readyz"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path} while shedding");
    }

    for handle in slow {
        let (status, took) = handle.await.unwrap();
        assert_eq!(status.unwrap(), 408);
        assert!(
            took < Duration::from_secs(5),
            "slow client held a slot for {took:?}"
        );
    }
    // Slots are free again.
    assert_eq!(app.status_of(&absent).await, 404);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("sla_ingest_requests_shed_total{reason=\"in-flight\"} 1"),
        "{metrics}"
    );
    app.stop().await;
}
