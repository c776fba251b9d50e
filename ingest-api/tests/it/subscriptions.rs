//! Alert subscriptions and maintenance windows through the signed API, against a real server on
//! each database: requests signed by an EVM account (EIP-191, as a wallet signs) and by a
//! reporter key registered on chain are stored; every refusal answers its status, rule and field
//! and stores nothing (not even the nonce); answers never carry a secret; only the owner deletes
//! or cancels; a replayed request is refused.

use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy_primitives::Address;
use serde_json::{json, Map, Value};
use sla_protocol::parties::AllocationStatus;
use sla_storage::testing::seed_allocation;

use crate::helpers::*;

const SUBS: &str = "SLA-ORACLE/ALERT-SUBSCRIPTION/v1";
const MAINT: &str = "SLA-ORACLE/MAINTENANCE-WINDOW/v1";
/// The data unit whose consumer is the EVM wallet of each test.
const WALLET_UNIT: u64 = 8;
const WEBHOOK_SECRET: &str = "whsec-0123456789-abcdef";
const SLACK_URL: &str = "http://127.0.0.1:9/services/T000/B000/SLACKTOKENSECRET";

enum Signer<'a> {
    Evm(&'a PrivateKeySigner),
    Key(&'a Reporter),
}

fn nonce() -> String {
    format!("n{:016x}", rand::random::<u64>())
}

/// A request's fields: the envelope's (this deployment, now, a fresh nonce) and `extra`.
fn fields(action: &str, owner: Address, extra: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("action".into(), json!(action));
    m.insert("chain_id".into(), json!(31337));
    m.insert(
        "contract".into(),
        json!(format!("0x{}", hex::encode(deployment().contract))),
    );
    m.insert("owner".into(), json!(format!("{owner:#x}")));
    m.insert("issued_at_ms".into(), json!(sla_runtime::now_ms()));
    m.insert("nonce".into(), json!(nonce()));
    m.extend(extra.as_object().cloned().unwrap_or_default());
    m
}

/// The body of a request whose message is `tag`, a newline and `fields`, signed by `signer`.
fn sign(signer: Signer<'_>, tag: &str, fields: &Map<String, Value>) -> Value {
    let message = format!("{tag}\n{}", Value::Object(fields.clone()));
    match signer {
        Signer::Evm(wallet) => {
            let sig = wallet.sign_message_sync(message.as_bytes()).unwrap();
            json!({ "message": message, "signature": format!("0x{}", hex::encode(sig.as_bytes())) })
        }
        Signer::Key(reporter) => {
            use ed25519_dalek::Signer as _;
            let sig = reporter.key.sign(message.as_bytes());
            json!({
                "message": message,
                "signature": hex::encode(sig.to_bytes()),
                "reporter_key": hex::encode(reporter.public_key()),
            })
        }
    }
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .request(method, app.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, body).await
}

async fn get_text(app: &TestApp, path: &str) -> String {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

fn webhook_fields(owner: Address, target: &str) -> Map<String, Value> {
    fields(
        "create",
        owner,
        json!({
            "channel": "webhook", "target": target, "secret": WEBHOOK_SECRET,
            "rules": ["violation", "late"], "data_units": [WALLET_UNIT],
        }),
    )
}

/// A server that lets targets be local, with data unit 8 whose consumer is `wallet`.
async fn app_with_wallet(backend: &Backend, wallet: &PrivateKeySigner) -> TestApp {
    let app = spawn_app_with(backend, &["--subscriptions-allow-private-targets"]).await;
    let mut unit = allocation(WALLET_UNIT, AllocationStatus::Active);
    unit.consumer = wallet.address();
    seed_allocation(&app.db, &unit).await.unwrap();
    app
}

#[tokio::test]
async fn signed_subscriptions_are_stored_and_answers_never_carry_secrets() {
    for backend in backends() {
        let wallet = PrivateKeySigner::random();
        let app = app_with_wallet(&backend, &wallet).await;
        let hook = "http://127.0.0.1:9/hooks/path-token-xyz";

        // An EVM account, for its own data unit, with a private rule.
        let body = sign(
            Signer::Evm(&wallet),
            SUBS,
            &webhook_fields(wallet.address(), hook),
        );
        let (status, created) = post(&app, "/v1/alert-subscriptions", &body).await;
        assert_eq!(status, 201, "{backend:?}: {created}");
        assert_eq!(created["channel"], "webhook");
        assert_eq!(created["target"], "http://127.0.0.1:9/…", "only the origin");
        // The same request again is a replay.
        let (status, replay) = post(&app, "/v1/alert-subscriptions", &body).await;
        assert_eq!(
            (status, problem_rule(&replay)),
            (409, "nonce-reused"),
            "{replay}"
        );
        assert_eq!(replay["field"], "message.nonce");

        // The provider's reporter key, for its own provider account; Slack's URL is the secret.
        let provider = provider();
        let slack = fields(
            "create",
            PROVIDER,
            json!({ "channel": "slack", "secret": SLACK_URL, "rules": ["burn-rate", "penalty"],
                    "providers": [format!("{PROVIDER:#x}")] }),
        );
        let (status, created) = post(
            &app,
            "/v1/alert-subscriptions",
            &sign(Signer::Key(&provider), SUBS, &slack),
        )
        .await;
        assert_eq!(status, 201, "{backend:?}: {created}");

        // Anyone may follow any provider's public events.
        let stranger = PrivateKeySigner::random();
        let public = fields(
            "create",
            stranger.address(),
            json!({ "channel": "telegram", "target": "-1001234567890",
                    "secret": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345", "rules": ["penalty"] }),
        );
        let (status, created) = post(
            &app,
            "/v1/alert-subscriptions",
            &sign(Signer::Evm(&stranger), SUBS, &public),
        )
        .await;
        assert_eq!(status, 201, "{backend:?}: {created}");
        assert_eq!(created["target"], "-1001234567890");

        // Stored with their secrets; answered without them.
        let stored = app
            .db
            .subscriptions()
            .active(sla_runtime::now_ms())
            .await
            .unwrap();
        assert_eq!(stored.len(), 3, "{backend:?}");
        assert_eq!(stored[0].owner, wallet.address());
        assert_eq!(stored[0].secret, WEBHOOK_SECRET);
        assert_eq!(stored[0].target.as_deref(), Some(hook));
        assert_eq!(stored[1].secret, SLACK_URL);
        for owner in [wallet.address(), PROVIDER, stranger.address()] {
            let text = get_text(&app, &format!("/v1/alert-subscriptions?owner={owner:#x}")).await;
            for secret in [
                WEBHOOK_SECRET,
                "SLACKTOKENSECRET",
                "path-token-xyz",
                "ABCdefGHI",
            ] {
                assert!(!text.contains(secret), "{backend:?}: {secret} in {text}");
            }
            let listed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                listed["subscriptions"].as_array().unwrap().len(),
                1,
                "{text}"
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn every_refusal_names_its_field_and_stores_nothing() {
    for backend in backends() {
        let wallet = PrivateKeySigner::random();
        let other = PrivateKeySigner::random();
        let app = app_with_wallet(&backend, &wallet).await;
        let me = wallet.address();
        let hook = "http://127.0.0.1:9/hook";
        let valid = || webhook_fields(me, hook);
        let with = |changes: Value| {
            let mut f = valid();
            for (k, v) in changes.as_object().unwrap() {
                if v.is_null() {
                    f.remove(k);
                } else {
                    f.insert(k.clone(), v.clone());
                }
            }
            f
        };
        let evm = |f: &Map<String, Value>| sign(Signer::Evm(&wallet), SUBS, f);
        let now = sla_runtime::now_ms();
        let unsigned = {
            let mut b = evm(&valid());
            b.as_object_mut().unwrap().remove("signature");
            b
        };
        let tampered = {
            let mut b = evm(&valid());
            let m = b["message"].as_str().unwrap().replace("late", "key-expiry");
            b["message"] = json!(m);
            b
        };
        let unknown_channel = with(json!({ "channel": "pager" }));
        let reused_later = unknown_channel["nonce"].as_str().unwrap().to_owned();
        let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
            ("unsigned", unsigned, 401, "unsigned", "signature"),
            (
                "another account's signature",
                sign(Signer::Evm(&other), SUBS, &valid()),
                401,
                "bad-signature",
                "signature",
            ),
            (
                "a message changed after signing",
                tampered,
                401,
                "bad-signature",
                "signature",
            ),
            (
                "issued 10 minutes ago",
                evm(&with(json!({ "issued_at_ms": now - 600_000 }))),
                401,
                "stale-request",
                "message.issued_at_ms",
            ),
            (
                "issued 10 minutes ahead",
                evm(&with(json!({ "issued_at_ms": now + 600_000 }))),
                401,
                "stale-request",
                "message.issued_at_ms",
            ),
            (
                "another chain",
                evm(&with(json!({ "chain_id": 1 }))),
                422,
                "wrong-deployment",
                "message.chain_id",
            ),
            (
                "another contract",
                evm(&with(
                    json!({ "contract": format!("{:#x}", Address::repeat_byte(1)) }),
                )),
                422,
                "wrong-deployment",
                "message.contract",
            ),
            (
                "the maintenance tag",
                sign(Signer::Evm(&wallet), MAINT, &valid()),
                400,
                "malformed",
                "message",
            ),
            (
                "another action",
                evm(&with(json!({ "action": "delete" }))),
                400,
                "malformed",
                "message.action",
            ),
            (
                "an unknown channel",
                evm(&unknown_channel),
                400,
                "malformed",
                "message.channel",
            ),
            (
                "a malformed URL",
                evm(&with(json!({ "target": "not a url" }))),
                400,
                "malformed",
                "message.target",
            ),
            (
                "a non-http URL",
                evm(&with(json!({ "target": "file:///etc/passwd" }))),
                400,
                "malformed",
                "message.target",
            ),
            (
                "a short nonce",
                evm(&with(json!({ "nonce": "abc" }))),
                400,
                "malformed",
                "message.nonce",
            ),
            (
                "a NUL in the secret",
                evm(&with(json!({ "secret": "0123456789abcdef\u{0}x" }))),
                400,
                "malformed",
                "message.secret",
            ),
            (
                "an unknown rule",
                evm(&with(json!({ "rules": ["everything"] }))),
                400,
                "malformed",
                "message.rules[0]",
            ),
            (
                "an unknown field",
                evm(&with(json!({ "colour": "red" }))),
                400,
                "malformed",
                "message.colour",
            ),
            (
                "a private rule for someone else's data unit",
                evm(&with(json!({ "data_units": [DATA_UNIT] }))),
                403,
                "not-owner",
                "message.data_units[0]",
            ),
            (
                "a private rule for every data unit",
                evm(&with(json!({ "data_units": null }))),
                403,
                "not-owner",
                "message.rules",
            ),
            (
                "a private rule for another provider",
                evm(&with(
                    json!({ "data_units": null, "providers": [format!("{PROVIDER:#x}")] }),
                )),
                403,
                "not-owner",
                "message.providers[0]",
            ),
            (
                "a private rule for an unknown data unit",
                evm(&with(json!({ "data_units": [99] }))),
                422,
                "data-unit-unknown",
                "message.data_units[0]",
            ),
            (
                "a reporter key not registered",
                sign(
                    Signer::Key(&Reporter::new(9, sla_protocol::Role::Consumer)),
                    SUBS,
                    &valid(),
                ),
                401,
                "key-not-registered",
                "reporter_key",
            ),
            (
                "a reporter key of another account",
                sign(Signer::Key(&provider()), SUBS, &valid()),
                403,
                "not-owner",
                "reporter_key",
            ),
        ];
        for (what, body, status, rule, field) in cases {
            let (got, problem) = post(&app, "/v1/alert-subscriptions", &body).await;
            assert_eq!(got, status, "{backend:?}: {what}: {problem}");
            assert_eq!(problem_rule(&problem), rule, "{what}: {problem}");
            assert_eq!(problem["field"], field, "{what}: {problem}");
            assert!(!problem.to_string().contains(WEBHOOK_SECRET), "{what}");
        }
        // A body over the limit is refused before anything is read from it.
        let huge = json!({ "message": "x".repeat(20_000), "signature": "00" });
        let (status, problem) = post(&app, "/v1/alert-subscriptions", &huge).await;
        assert_eq!(
            (status, problem_rule(&problem)),
            (413, "body-too-large"),
            "{problem}"
        );

        let now = sla_runtime::now_ms();
        assert!(
            app.db.subscriptions().active(now).await.unwrap().is_empty(),
            "{backend:?}"
        );
        // The refused request took no nonce: the same nonce serves a valid request.
        let (status, created) = post(
            &app,
            "/v1/alert-subscriptions",
            &evm(&with(json!({ "nonce": reused_later }))),
        )
        .await;
        assert_eq!(status, 201, "{backend:?}: {created}");
        app.stop().await;
    }
}

#[tokio::test]
async fn private_targets_are_refused_without_the_operators_flag() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let wallet = PrivateKeySigner::random();
        let public = |target: &str| {
            fields(
                "create",
                wallet.address(),
                json!({ "channel": "webhook", "target": target, "secret": WEBHOOK_SECRET,
                        "rules": ["penalty"] }),
            )
        };
        for target in [
            "http://127.0.0.1:8080/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/hook",
            "http://10.0.0.8/hook",
            "http://localhost:9/hook",
        ] {
            let body = sign(Signer::Evm(&wallet), SUBS, &public(target));
            let (status, problem) = post(&app, "/v1/alert-subscriptions", &body).await;
            assert_eq!(status, 422, "{backend:?}: {target}: {problem}");
            assert_eq!(problem_rule(&problem), "target-not-public", "{target}");
            assert_eq!(problem["field"], "message.target", "{target}");
        }
        // A chat webhook's URL (the secret) is checked the same way.
        let slack = fields(
            "create",
            wallet.address(),
            json!({ "channel": "discord", "secret": "http://192.168.1.1/api/webhooks/1/x",
                    "rules": ["penalty"] }),
        );
        let (status, problem) = post(
            &app,
            "/v1/alert-subscriptions",
            &sign(Signer::Evm(&wallet), SUBS, &slack),
        )
        .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some("message.secret"))
        );
        assert!(!problem.to_string().contains("192.168"), "{problem}");
        // A public address literal is accepted.
        let body = sign(
            Signer::Evm(&wallet),
            SUBS,
            &public("https://93.184.215.14/hook"),
        );
        let (status, created) = post(&app, "/v1/alert-subscriptions", &body).await;
        assert_eq!(status, 201, "{backend:?}: {created}");
        assert_eq!(
            app.db
                .subscriptions()
                .active(sla_runtime::now_ms())
                .await
                .unwrap()
                .len(),
            1
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn only_the_owner_deletes_a_subscription() {
    for backend in backends() {
        let wallet = PrivateKeySigner::random();
        let app = app_with_wallet(&backend, &wallet).await;
        let body = sign(
            Signer::Evm(&wallet),
            SUBS,
            &webhook_fields(wallet.address(), "http://127.0.0.1:9/hook"),
        );
        let (_, created) = post(&app, "/v1/alert-subscriptions", &body).await;
        let id = created["id"].as_i64().expect("created");
        let path = format!("/v1/alert-subscriptions/{id}");
        let delete = |signer: &PrivateKeySigner| {
            sign(
                Signer::Evm(signer),
                SUBS,
                &fields("delete", signer.address(), json!({ "id": id })),
            )
        };

        let stranger = PrivateKeySigner::random();
        let (status, problem) =
            send(&app, reqwest::Method::DELETE, &path, &delete(&stranger)).await;
        assert_eq!(
            (status, problem_rule(&problem)),
            (403, "not-owner"),
            "{problem}"
        );
        assert_eq!(problem["field"], "id");
        let wrong_id = sign(
            Signer::Evm(&wallet),
            SUBS,
            &fields("delete", wallet.address(), json!({ "id": id + 1 })),
        );
        let (status, problem) = send(&app, reqwest::Method::DELETE, &path, &wrong_id).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (400, Some("message.id"))
        );
        assert_eq!(
            app.db
                .subscriptions()
                .of_owner(&wallet.address())
                .await
                .unwrap()
                .len(),
            1
        );

        let mine = delete(&wallet);
        let (status, answer) = send(&app, reqwest::Method::DELETE, &path, &mine).await;
        assert_eq!(status, 200, "{backend:?}: {answer}");
        assert!(app
            .db
            .subscriptions()
            .of_owner(&wallet.address())
            .await
            .unwrap()
            .is_empty());
        let (status, _) = send(&app, reqwest::Method::DELETE, &path, &mine).await;
        assert_eq!(status, 409, "a replayed delete is refused");
        let (status, _) = send(&app, reqwest::Method::DELETE, &path, &delete(&wallet)).await;
        assert_eq!(status, 404, "already deleted");
        let listed = get_text(
            &app,
            &format!("/v1/alert-subscriptions?owner={:#x}", wallet.address()),
        )
        .await;
        assert_eq!(listed, r#"{"subscriptions":[]}"#);
        app.stop().await;
    }
}

#[tokio::test]
async fn maintenance_windows_are_declared_and_cancelled_by_their_provider_only() {
    for backend in backends() {
        let wallet = PrivateKeySigner::random();
        let app = app_with_wallet(&backend, &wallet).await;
        let provider = provider();
        let now = sla_runtime::now_ms();
        let window = |from: u64, until: u64, data_unit: Value| {
            json!({ "provider": format!("{PROVIDER:#x}"), "data_unit": data_unit,
                    "from_ms": from, "until_ms": until, "reason": "replacing a disk" })
        };
        let by_provider = |w: Value| {
            sign(
                Signer::Key(&provider),
                MAINT,
                &fields("create", PROVIDER, w),
            )
        };
        let ok = window(now + HOUR_MS, now + 3 * HOUR_MS, json!(DATA_UNIT));
        let (status, created) = post(&app, "/v1/maintenance-windows", &by_provider(ok)).await;
        assert_eq!(status, 201, "{backend:?}: {created}");
        let id = created["id"].as_i64().unwrap();

        let evm = |w: Value| {
            sign(
                Signer::Evm(&wallet),
                MAINT,
                &fields("create", wallet.address(), w),
            )
        };
        let mut own_account = window(now + HOUR_MS, now + 2 * HOUR_MS, json!(DATA_UNIT));
        own_account["provider"] = json!(format!("{:#x}", wallet.address()));
        let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
            (
                "someone else's provider account",
                evm(window(now + HOUR_MS, now + 2 * HOUR_MS, Value::Null)),
                403,
                "not-owner",
                "message.provider",
            ),
            (
                "a data unit it does not provide",
                evm(own_account),
                403,
                "not-owner",
                "message.data_unit",
            ),
            (
                "an unknown data unit",
                by_provider(window(now + HOUR_MS, now + 2 * HOUR_MS, json!(99))),
                422,
                "data-unit-unknown",
                "message.data_unit",
            ),
            (
                "a start in the past",
                by_provider(window(now - HOUR_MS, now + HOUR_MS, Value::Null)),
                422,
                "impossible",
                "message.from_ms",
            ),
            (
                "an end before the start",
                by_provider(window(now + 2 * HOUR_MS, now + HOUR_MS, Value::Null)),
                422,
                "impossible",
                "message.until_ms",
            ),
            (
                "eight days",
                by_provider(window(
                    now + HOUR_MS,
                    now + HOUR_MS + 8 * 24 * HOUR_MS,
                    Value::Null,
                )),
                422,
                "impossible",
                "message.until_ms",
            ),
            (
                "a NUL in the reason",
                by_provider(
                    json!({ "provider": format!("{PROVIDER:#x}"), "from_ms": now + HOUR_MS, "until_ms": now + 2 * HOUR_MS, "reason": "a\u{0}b" }),
                ),
                400,
                "malformed",
                "message.reason",
            ),
            (
                "the subscription tag",
                sign(
                    Signer::Key(&provider),
                    SUBS,
                    &fields(
                        "create",
                        PROVIDER,
                        window(now + HOUR_MS, now + 2 * HOUR_MS, Value::Null),
                    ),
                ),
                400,
                "malformed",
                "message",
            ),
        ];
        for (what, body, status, rule, field) in cases {
            let (got, problem) = post(&app, "/v1/maintenance-windows", &body).await;
            assert_eq!(got, status, "{backend:?}: {what}: {problem}");
            assert_eq!(problem_rule(&problem), rule, "{what}: {problem}");
            assert_eq!(problem["field"], field, "{what}: {problem}");
        }
        let windows = app
            .db
            .subscriptions()
            .maintenance_overlapping(now, now + 30 * 24 * HOUR_MS)
            .await
            .unwrap();
        assert_eq!(
            windows.len(),
            1,
            "{backend:?}: only the valid one: {windows:?}"
        );
        assert_eq!(windows[0].provider, PROVIDER);
        assert_eq!(windows[0].data_unit, Some(DATA_UNIT));
        assert_eq!(windows[0].reason, "replacing a disk");
        let listed = get_text(
            &app,
            &format!("/v1/maintenance-windows?provider={PROVIDER:#x}"),
        )
        .await;
        let listed: Value = serde_json::from_str(&listed).unwrap();
        assert_eq!(listed["maintenance_windows"][0]["id"], id, "{listed}");

        let path = format!("/v1/maintenance-windows/{id}");
        let cancel = sign(
            Signer::Evm(&wallet),
            MAINT,
            &fields("cancel", wallet.address(), json!({ "id": id })),
        );
        let (status, problem) = send(&app, reqwest::Method::DELETE, &path, &cancel).await;
        assert_eq!(
            (status, problem_rule(&problem)),
            (403, "not-owner"),
            "{problem}"
        );
        let cancel = sign(
            Signer::Key(&provider),
            MAINT,
            &fields("cancel", PROVIDER, json!({ "id": id })),
        );
        let (status, answer) = send(&app, reqwest::Method::DELETE, &path, &cancel).await;
        assert_eq!(status, 200, "{backend:?}: {answer}");
        let windows = app
            .db
            .subscriptions()
            .maintenance_overlapping(now, now + 30 * 24 * HOUR_MS)
            .await
            .unwrap();
        assert!(
            windows.is_empty(),
            "{backend:?}: cancelled before it began: {windows:?}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_operators_total_bounds_subscriptions_whoever_asks() {
    for backend in backends() {
        let app = spawn_app_with(
            &backend,
            &[
                "--subscriptions-allow-private-targets",
                "--subscriptions-max-total",
                "2",
            ],
        )
        .await;
        let mut answers = Vec::new();
        for _ in 0..3 {
            // A new account each time: the per-account limit does not help against this.
            let wallet = PrivateKeySigner::random();
            let body = fields(
                "create",
                wallet.address(),
                json!({ "channel": "webhook", "target": "http://127.0.0.1:9/hook",
                        "secret": WEBHOOK_SECRET, "rules": ["penalty"] }),
            );
            let body = sign(Signer::Evm(&wallet), SUBS, &body);
            answers.push(post(&app, "/v1/alert-subscriptions", &body).await);
        }
        assert_eq!((answers[0].0, answers[1].0), (201, 201), "{backend:?}");
        let (status, problem) = &answers[2];
        assert_eq!(*status, 422, "{backend:?}: {problem}");
        assert_eq!(problem_rule(problem), "subscriptions-full", "{problem}");
        let now = sla_runtime::now_ms();
        assert_eq!(app.db.subscriptions().active(now).await.unwrap().len(), 2);
        app.stop().await;
    }
}
