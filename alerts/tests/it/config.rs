//! A configuration with a mistake is refused naming the field, and no secret is ever echoed.

use sla_alerts::AlertsConfig;

fn env(k: &str) -> Option<String> {
    (k == "SECRET").then(|| "s3cr3t-value".to_owned())
}

fn receiver(extra: &str) -> String {
    format!(
        r#"{{"receivers":[{{"name":"ops","kind":"webhook","url":"http://127.0.0.1:9/hook","secret_env":"SECRET"{extra}}}]}}"#
    )
}

#[test]
fn every_mistake_is_refused_naming_its_field() {
    let cases = [
        (
            receiver("").replace("webhook", "pager"),
            "receivers[0].kind",
        ),
        (
            receiver("").replace("http://127.0.0.1:9/hook", "not a url"),
            "receivers[0].url",
        ),
        (
            receiver("").replace("http://127.0.0.1:9/hook", "ftp://x/y"),
            "receivers[0].url",
        ),
        (
            receiver("").replace("\"SECRET\"", "\"MISSING\""),
            "receivers[0].secret_env",
        ),
        (
            receiver(r#","rules":["violation","weather"]"#),
            "receivers[0].rules",
        ),
        (
            receiver(r#","providers":["0x12"]"#),
            "receivers[0].providers",
        ),
        (receiver(r#","colour":"red""#), "file"),
        (
            r#"{"receivers":[],"expire_after_s":0}"#.to_owned(),
            "expire_after_s",
        ),
    ];
    for (text, field) in cases {
        let err = AlertsConfig::parse(&text, env).unwrap_err();
        assert_eq!(err.field, field, "{text}: {err}");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
    let dup = r#"{"receivers":[
        {"name":"a","kind":"webhook","url":"http://h/x","secret_env":"SECRET"},
        {"name":"a","kind":"webhook","url":"http://h/y","secret_env":"SECRET"}]}"#;
    assert_eq!(
        AlertsConfig::parse(dup, env).unwrap_err().field,
        "receivers[1].name"
    );
}

#[test]
fn a_secret_never_shows_in_debug_output() {
    let config = AlertsConfig::parse(&receiver(""), env).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("<redacted>"));
    assert_eq!(config.receivers[0].secret, b"s3cr3t-value");
}
