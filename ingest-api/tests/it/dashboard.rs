//! The dashboard as the ingest API mounts it: where the pages are (and that they can be switched
//! off while their JSON stays), the security headers, problem+json for every malformed
//! parameter, and a reporter's markup escaped. The pages' numbers are checked in a real browser
//! against the whole stack by `devstack/tests/it/dashboard.rs`.

use sla_protocol::ReportHash;

use crate::helpers::*;

async fn get(app: &TestApp, path: &str) -> (u16, String, String, String) {
    let r = app.http.get(app.url(path)).send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (ctype, csp) = (header("content-type"), header("content-security-policy"));
    (r.status().as_u16(), ctype, csp, r.text().await.unwrap())
}

#[tokio::test]
async fn pages_are_served_with_a_strict_policy_and_every_bad_parameter_is_named() {
    for_each_backend(|app, _| async move {
        // Before the indexer has mirrored the contract: a page says so, it does not fail.
        let (status, ctype, _, body) = get(&app, "/dashboard").await;
        assert_eq!((status, ctype.as_str()), (503, "text/html; charset=utf-8"));
        assert!(body.contains("not mirrored from the chain yet"), "{body}");
        seed_contract(&app, 3_600).await;

        let (status, ctype, csp, body) = get(&app, "/dashboard").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(ctype, "text/html; charset=utf-8");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(body.contains("Epoch clock"));
        // `/` and the base with a slash lead to the overview.
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        for path in ["/", "/dashboard/"] {
            let resp = r.get(app.url(path)).send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 303, "{path}");
            assert_eq!(resp.headers()["location"], "/dashboard", "{path}");
        }
        let (status, _, _, body) = get(&app, &format!("/dashboard/data-units/{DATA_UNIT}")).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("Data unit {DATA_UNIT}")));
        let (_, ctype, _, body) = get(&app, &format!("/v1/data-units/{DATA_UNIT}")).await;
        assert_eq!(ctype, "application/json");
        let view: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(view["data_unit"], DATA_UNIT);
        assert_eq!(view["status"], "no_data");
        // An alert about the data unit, as the alerting process writes it: on the page's
        // timeline, active, its markup shown as text.
        let alert = serde_json::json!({
            "alert_key": format!("burn-rate:1h:{DATA_UNIT}:uptime@5"), "rule": "burn-rate",
            "severity": "critical", "status": "firing", "summary": "<b>budget</b> burning",
            "raised_at_ms": 5, "data_unit": DATA_UNIT,
        });
        app.db
            .alerts()
            .enqueue(
                &[sla_storage::NewAlert {
                    receiver: "ops".into(),
                    alert_key: alert["alert_key"].as_str().unwrap().into(),
                    rule: "burn-rate".into(),
                    severity: "critical".into(),
                    body: alert.to_string(),
                    data_unit: Some(DATA_UNIT),
                }],
                5,
            )
            .await
            .unwrap();
        let (_, _, _, page) = get(&app, &format!("/dashboard/data-units/{DATA_UNIT}")).await;
        assert!(page.contains("1 active"), "{page}");
        assert!(page.contains("&lt;b&gt;budget&lt;/b&gt; burning"), "{page}");
        let (_, _, _, body) = get(&app, &format!("/v1/data-units/{DATA_UNIT}")).await;
        let view: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(view["alerts"][0]["active"], true, "{body}");
        let (status, ctype, _, body) =
            get(&app, &format!("/v1/data-units/{DATA_UNIT}/forecast")).await;
        assert_eq!(
            (status, ctype.as_str()),
            (200, "application/json"),
            "{body}"
        );
        let forecast: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(forecast["data_unit"], DATA_UNIT);
        assert!(forecast["terms"].is_array(), "{body}");

        for (path, status, field) in [
            ("/v1/data-units/abc", 400, Some("id")),
            ("/v1/providers/0x12", 400, Some("address")),
            ("/v1/data-units/7?epochs=0", 400, Some("epochs")),
            ("/v1/data-units/7?colour=red", 400, Some("query")),
            ("/v1/data-units/7/results?format=xml", 400, Some("format")),
            (
                "/v1/data-units/7/results?from_epoch=9&to_epoch=3",
                400,
                Some("to_epoch"),
            ),
            ("/v1/data-units/999", 404, None),
            ("/v1/data-units/999/forecast", 404, None),
            ("/v1/data-units/x/forecast", 400, Some("id")),
            (
                "/v1/providers/0x00000000000000000000000000000000000000ee",
                404,
                None,
            ),
        ] {
            let (got, ctype, _, body) = get(&app, path).await;
            assert_eq!(got, status, "{path}: {body}");
            assert_eq!(ctype, "application/problem+json", "{path}");
            let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(problem["field"].as_str(), field, "{path}: {body}");
        }
        for (path, status) in [
            ("/dashboard/search?q=hello", 400),
            ("/dashboard/nowhere", 404),
            ("/dashboard/data-units/abc", 400),
        ] {
            let (got, ctype, csp, _) = get(&app, path).await;
            assert_eq!(
                (got, ctype.as_str()),
                (status, "text/html; charset=utf-8"),
                "{path}"
            );
            assert!(!csp.is_empty(), "{path}: error pages carry the policy too");
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn markup_a_reporter_signed_is_shown_as_text() {
    for_each_backend(|app, _| async move {
        seed_contract(&app, 3_600).await;
        let reporter = consumer();
        let mut report = reporter.report(1, ReportHash::ZERO, past_hour(3));
        report.records[1].error_detail = "<img src=x onerror=alert(1)>&".into();
        let signed = reporter.sign(&report);
        assert_eq!(app.post(&signed).await.0, 201);
        for path in [
            format!("/dashboard/reports/{}", signed.hash()),
            format!("/dashboard/data-units/{DATA_UNIT}"),
        ] {
            let (status, _, _, body) = get(&app, &path).await;
            assert_eq!(status, 200, "{path}");
            assert!(
                body.contains("&lt;img src=x onerror=alert(1)&gt;&amp;"),
                "{path}: the detail is escaped"
            );
            assert!(
                !body.contains("<img src=x"),
                "{path}: no markup from a reporter"
            );
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_pages_can_be_switched_off_while_their_json_stays() {
    for backend in backends() {
        let app = spawn_app_with(&backend, &["--dashboard-path", "off"]).await;
        seed_contract(&app, 3_600).await;
        assert_eq!(app.status_of("/dashboard").await, 404);
        assert_eq!(app.status_of("/").await, 404);
        assert_eq!(app.status_of("/v1/overview").await, 200);
        app.stop().await;
    }
}

#[test]
fn a_dashboard_path_must_be_a_plain_path_outside_the_api() {
    use clap::Parser;
    let base = |p: &str| {
        sla_ingest_api::Config::parse_from(["sla-ingest-api", "--dashboard-path", p])
            .dashboard_base()
    };
    assert_eq!(base("/status/").unwrap().as_deref(), Some("/status"));
    assert_eq!(base("off").unwrap(), None);
    for bad in ["status", "/v1/x", "/metrics", "/a//b", "/a b", "/"] {
        assert!(base(bad).is_err(), "{bad}");
    }
}
