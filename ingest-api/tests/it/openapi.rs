//! The OpenAPI document as served: every route the router answers is in it with its refusals,
//! every operation's answers name a schema that exists, and the page shows every operation.
//! (scripts/test-openapi.sh checks the answers against it with schemathesis.)

use serde_json::Value;

use crate::helpers::*;

/// Every route of the router (`app.rs` and the dashboard's `api_router`), by method.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/reports"),
    ("get", "/v1/reports"),
    ("post", "/v1/reports/batch"),
    ("get", "/v1/reports/{hash}"),
    ("get", "/v1/data-units/{id}/reports"),
    ("get", "/v1/reporters/{key}/data-units/{id}"),
    ("get", "/v1/reporters/{key}/data-units/{id}/equivocations"),
    ("get", "/v1/data-units/{id}/rollups"),
    ("get", "/v1/data-units/{id}/window"),
    ("get", "/v1/data-units/{id}/uncounted"),
    ("get", "/v1/data-units/{id}/epochs/{epoch}/proofs/{hash}"),
    ("get", "/v1/alert-subscriptions"),
    ("post", "/v1/alert-subscriptions"),
    ("delete", "/v1/alert-subscriptions/{id}"),
    ("get", "/v1/maintenance-windows"),
    ("post", "/v1/maintenance-windows"),
    ("delete", "/v1/maintenance-windows/{id}"),
    ("get", "/v1/overview"),
    ("get", "/v1/providers/{address}"),
    ("get", "/v1/providers/{address}/results"),
    ("get", "/v1/providers/{address}/compliance"),
    ("get", "/v1/data-units/{id}"),
    ("get", "/v1/data-units/{id}/results"),
    ("get", "/v1/data-units/{id}/forecast"),
    ("get", "/v1/data-units/{id}/metrics"),
    ("get", "/v1/data-units/{id}/compliance"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_covers_every_route_with_its_refusals_and_the_page_shows_them() {
    let backend = &backends()[0];
    let app = spawn_app(backend).await;
    let response = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, item) in paths {
        for method in ["get", "post", "delete", "put", "patch"] {
            if item.get(method).is_some() {
                documented += 1;
                assert!(
                    ROUTES.contains(&(method, path.as_str())),
                    "{method} {path} is documented but not routed"
                );
            }
        }
    }
    assert_eq!(documented, ROUTES.len(), "documented operations");
    for (method, path) in ROUTES {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}: no success answer"
        );
        // Every refusal is a problem document naming its rules.
        for (status, r) in responses.iter().filter(|(s, _)| s.as_str() >= "400") {
            assert_eq!(
                r["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} {status}"
            );
            assert!(r["description"].as_str().unwrap().contains('`'));
        }
    }
    // The refusals of a report name its verification and acceptance rules.
    let refusals = &doc["paths"]["/v1/reports"]["post"]["responses"];
    for (status, rule) in [
        ("400", "weak-key"),
        ("403", "key-not-of-party"),
        ("409", "sequence-gap"),
        ("413", "too-many-items"),
        ("422", "period-in-future"),
    ] {
        let text = refusals[status]["description"].as_str().unwrap();
        assert!(text.contains(&format!("`{rule}`")), "{status}: {text}");
    }
    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in &all {
        let name = r.strip_prefix("#/components/schemas/").expect(r);
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
    // The answer types are typed, not free-form: a roll-up's summary and a proof's siblings.
    assert_eq!(
        schemas["RollupView"]["properties"]["summary"]["$ref"],
        "#/components/schemas/EpochSummary"
    );
    assert_eq!(
        schemas["MerkleProof"]["properties"]["siblings"]["items"]["$ref"],
        "#/components/schemas/Hash32"
    );

    let page = app.http.get(app.url("/api")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for (method, path) in ROUTES {
        let shown = format!("{method}</span> {path}");
        assert!(html.contains(&shown), "the page misses {method} {path}");
    }
    assert!(!html.contains("<script"), "the page runs no script");
    assert!(
        !html.contains("src=") && !html.contains("<link") && !html.contains("@import"),
        "no asset from elsewhere"
    );
    app.stop().await;
}
