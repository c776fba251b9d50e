//! Every refusal is problem+json, as docs/ingest-api.md says: bad path and query values name the
//! parameter, an unknown route is `not-found`, a known route with the wrong method is
//! `method-not-allowed` with an `Allow` header.

use serde_json::Value;

use crate::helpers::*;

async fn get(app: &TestApp, path: &str) -> (u16, String, Value) {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn bad_path_and_query_values_are_problems_naming_the_parameter() {
    let backend = &backends()[0];
    let app = spawn_app(backend).await;
    for (path, field) in [
        ("/v1/data-units/7/reports?limit=1e2", "limit"),
        ("/v1/data-units/7/reports?limit=-1", "limit"),
        ("/v1/data-units/7/reports?from_ms=NaN", "from_ms"),
        ("/v1/data-units/7/rollups?to_epoch=x", "to_epoch"),
        ("/v1/data-units/-1/reports", "id"),
        ("/v1/data-units/18446744073709551616/reports", "id"),
        ("/v1/data-units/7/epochs/-3/proofs/00", "epoch"),
    ] {
        let (status, content_type, body) = get(&app, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(content_type, "application/problem+json", "{path}");
        assert_eq!(body["rule"], "malformed", "{path}: {body}");
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains(field),
            "{path}: the detail names the parameter: {body}"
        );
    }
    let (status, _, body) = get(&app, "/v1/data-units/7/reports?colour=red").await;
    assert_eq!(
        (status, body["rule"].as_str()),
        (400, Some("malformed")),
        "{body}"
    );
    assert!(
        body["detail"].as_str().unwrap().contains("colour"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let backend = &backends()[0];
    let app = spawn_app(backend).await;
    let (status, content_type, body) = get(&app, "/v1/nothing-here").await;
    assert_eq!(
        (status, content_type.as_str()),
        (404, "application/problem+json")
    );
    assert_eq!(body["rule"], "not-found", "{body}");

    let response = app
        .http
        .delete(app.url("/v1/reports"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("POST") && allow.contains("GET"), "{allow}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["rule"], "method-not-allowed", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("POST"), "{body}");

    let response = app.http.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert!(response.headers()["allow"]
        .to_str()
        .unwrap()
        .contains("GET"));
    app.stop().await;
}

#[tokio::test]
async fn a_refusal_for_an_unknown_data_unit_says_when_no_indexer_has_written_the_mirror() {
    let backend = &backends()[0];
    let app = spawn_app(backend).await;
    let c = consumer();
    let mut report = c.report(1, sla_protocol::ReportHash::ZERO, past_hour(3));
    report.data_unit = 999;
    let signed = c.sign(&report);
    let (status, body) = app.post(&signed).await;
    assert_eq!((status, problem_rule(&body)), (422, "data-unit-unknown"));
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("chain mirror is empty") && detail.contains("--index-only"),
        "{body}"
    );

    // Once an indexer has written the mirror, the refusal is the plain one.
    let mut mirror = app.db.mirror().begin_write().await.unwrap();
    let block = sla_storage::mirror::ChainBlock {
        number: 1,
        hash: [1; 32],
        timestamp_ms: 0,
    };
    mirror.set_cursor(Some(&block)).await.unwrap();
    mirror.commit().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, body) = app.post(&signed).await;
        assert_eq!((status, problem_rule(&body)), (422, "data-unit-unknown"));
        if !body["detail"].as_str().unwrap().contains("mirror is empty") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still says the mirror is empty"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.stop().await;
}
