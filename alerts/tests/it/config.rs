//! A configuration with a mistake is refused naming the field, and no secret is ever echoed.

use sla_alerts::config::Channel;
use sla_alerts::AlertsConfig;

fn env(k: &str) -> Option<String> {
    match k {
        "SECRET" => Some("s3cr3t-value".to_owned()),
        "SLACK_URL" => Some("https://hooks.slack.test/services/s3cr3t-path".to_owned()),
        "TG_TOKEN" => Some("123:s3cr3t-token".to_owned()),
        "SMTP_USER" => Some("oracle".to_owned()),
        "SMTP_PASSWORD" => Some("s3cr3t-smtp".to_owned()),
        _ => None,
    }
}

fn email(fields: &str) -> String {
    format!(r#"{{"receivers":[{{"name":"m","kind":"email",{fields}}}]}}"#)
}

const EMAIL_OK: &str = r#""smtp_host":"smtp.example.org","from":"oracle@example.org","to":["ops@example.org"],"username_env":"SMTP_USER","password_env":"SMTP_PASSWORD""#;

#[test]
fn every_email_mistake_is_refused_naming_its_field() {
    assert!(AlertsConfig::parse(&email(EMAIL_OK), env).is_ok());
    let cases = [
        (
            EMAIL_OK.replace(r#""smtp_host":"smtp.example.org","#, ""),
            "receivers[0].smtp_host",
        ),
        (
            EMAIL_OK.replace("smtp.example.org", ""),
            "receivers[0].smtp_host",
        ),
        (
            format!(r#"{EMAIL_OK},"smtp_port":0"#),
            "receivers[0].smtp_port",
        ),
        (format!(r#"{EMAIL_OK},"tls":"ssl""#), "receivers[0].tls"),
        (
            EMAIL_OK.replace("\"SMTP_PASSWORD\"", "\"UNSET\""),
            "receivers[0].password_env",
        ),
        (
            EMAIL_OK.replace("\"SMTP_USER\"", "\"UNSET\""),
            "receivers[0].username_env",
        ),
        (
            EMAIL_OK.replace(r#","password_env":"SMTP_PASSWORD""#, ""),
            "receivers[0].password_env",
        ),
        (
            EMAIL_OK.replace("oracle@example.org", "not an address"),
            "receivers[0].from",
        ),
        (
            EMAIL_OK.replace(r#""from":"oracle@example.org","#, ""),
            "receivers[0].from",
        ),
        (
            EMAIL_OK.replace(r#"["ops@example.org"]"#, "[]"),
            "receivers[0].to",
        ),
        (
            EMAIL_OK.replace(r#"["ops@example.org"]"#, r#"["ops@example.org","x@"]"#),
            "receivers[0].to[1]",
        ),
    ];
    for (fields, field) in cases {
        let err = AlertsConfig::parse(&email(&fields), env).unwrap_err();
        assert_eq!(err.field, field, "{fields}: {err}");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
    let config = AlertsConfig::parse(&email(EMAIL_OK), env).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    match &config.receivers[0].channel {
        Channel::Email(e) => {
            assert_eq!(e.port, 587, "the submission port by default");
            assert_eq!(e.tls, sla_alerts::email::TlsMode::StartTls);
            assert_eq!(
                e.credentials,
                Some(("oracle".to_owned(), "s3cr3t-smtp".to_owned()))
            );
        }
        other => panic!("{other:?}"),
    }
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
        (
            r#"{"receivers":[{"name":"s","kind":"slack"}]}"#.to_owned(),
            "receivers[0].url_env",
        ),
        (
            r#"{"receivers":[{"name":"d","kind":"discord","url_env":"UNSET"}]}"#.to_owned(),
            "receivers[0].url_env",
        ),
        (
            r#"{"receivers":[{"name":"t","kind":"telegram","token_env":"TG_TOKEN"}]}"#.to_owned(),
            "receivers[0].chat_id",
        ),
        (
            r#"{"receivers":[{"name":"t","kind":"telegram","chat_id":"1","token_env":"TG_TOKEN","api_url":"mailto:x"}]}"#.to_owned(),
            "receivers[0].api_url",
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
    let text = r#"{"receivers":[
        {"name":"w","kind":"webhook","url":"http://h/x","secret_env":"SECRET"},
        {"name":"s","kind":"slack","url_env":"SLACK_URL"},
        {"name":"t","kind":"telegram","chat_id":"-100","token_env":"TG_TOKEN"}]}"#;
    let config = AlertsConfig::parse(text, env).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("<redacted>"));
    match &config.receivers[0].channel {
        Channel::Webhook { secret, .. } => assert_eq!(secret, b"s3cr3t-value"),
        other => panic!("{other:?}"),
    }
    match &config.receivers[2].channel {
        Channel::Telegram { api, token, .. } => {
            assert_eq!(api.as_str(), "https://api.telegram.org/");
            assert_eq!(token, "123:s3cr3t-token");
        }
        other => panic!("{other:?}"),
    }
}

fn with_reports(reports: &str) -> String {
    format!(
        r#"{{"receivers":[{{"name":"ops","kind":"webhook","url":"http://127.0.0.1:9/hook","secret_env":"SECRET"}}],"reports":[{reports}]}}"#
    )
}

#[test]
fn every_report_mistake_is_refused_naming_its_field() {
    let ok = r#"{"name":"weekly-p1","receiver":"ops","schedule":"weekly","provider":"0x90f79bf6eb2c4f870365e785982e1f101e93b906"}"#;
    let config = AlertsConfig::parse(&with_reports(ok), env).unwrap();
    assert_eq!(config.reports.len(), 1);
    assert_eq!(
        config.reports[0].schedule,
        sla_alerts::schedule::Schedule::Weekly
    );
    let cron = r#"{"name":"c","receiver":"ops","schedule":"cron:0 6 * * 1-5","data_unit":7}"#;
    assert!(AlertsConfig::parse(&with_reports(cron), env).is_ok());
    let cases = [
        (ok.replace("\"ops\"", "\"nobody\""), "reports[0].receiver"),
        (ok.replace("weekly\",", "hourly\","), "reports[0].schedule"),
        (
            ok.replace("\"weekly\"", "\"cron:0 25 * * *\""),
            "reports[0].schedule",
        ),
        (
            ok.replace("0x90f79bf6eb2c4f870365e785982e1f101e93b906", "0x12"),
            "reports[0].provider",
        ),
        (ok.replace("}", r#","data_unit":7}"#), "reports[0].provider"),
        (
            r#"{"name":"n","receiver":"ops","schedule":"daily"}"#.to_owned(),
            "reports[0].provider",
        ),
        (ok.replace("weekly-p1", "weekly p1"), "reports[0].name"),
        (ok.replace("}", r#","format":"pdf"}"#), "file"),
    ];
    for (report, field) in cases {
        let err = AlertsConfig::parse(&with_reports(&report), env).unwrap_err();
        assert_eq!(err.field, field, "{report}: {err}");
    }
    let twice = format!("{ok},{ok}");
    assert_eq!(
        AlertsConfig::parse(&with_reports(&twice), env)
            .unwrap_err()
            .field,
        "reports[1].name"
    );
}
