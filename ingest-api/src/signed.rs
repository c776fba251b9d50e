//! Signed requests of the alert-subscription and maintenance-window routes: a body
//! `{"message": …, "signature": …, "reporter_key"?: …}` whose `message` is the exact text that
//! was signed, `"{domain tag}\n{JSON object}"`. The signer is an EVM account (EIP-191
//! `personal_sign` over the message's UTF-8 bytes, recovered here) or an ed25519 reporter key
//! registered on chain by that account (`verify_strict` over the same bytes, the key looked up in
//! the chain mirror). The object names the deployment (chain id and contract: a signature is not
//! reusable against another deployment), the owner, `issued_at_ms` (within
//! [`MAX_CLOCK_SKEW_MS`] of the server's clock) and a nonce, taken once per owner in the same
//! transaction as what the request writes. Signing the exact text avoids any canonical-JSON
//! question: the server parses what was signed and never re-encodes it. See docs/ingest-api.md.

use alloy_primitives::{Address, Signature};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sla_storage::subscriptions::{Refused, SignedRequest};

use crate::problem::ApiError;
use crate::state::AppState;

/// How far `issued_at_ms` may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60_000;

/// Largest body of a signed request, bytes.
pub const MAX_SIGNED_BODY_BYTES: usize = 16 * 1024;

/// The body of a signed request, for the OpenAPI document (the envelope is read by [`verify`]).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)] // only its schema is used
pub struct SignedRequestBody {
    /// The exact signed text: the route's domain tag, a newline, and a JSON object naming the
    /// deployment (`chain_id`, `contract`), `action`, `owner`, `issued_at_ms`, `nonce` and the
    /// action's fields (docs/ingest-api.md).
    message: String,
    /// EIP-191 `personal_sign` of `message` by the owner (65 bytes, hex), or an ed25519
    /// signature (64 bytes, hex) by `reporter_key`.
    signature: String,
    /// The ed25519 reporter key that signed, registered on chain by the owner; absent when
    /// the owner's account signed.
    reporter_key: Option<String>,
}

/// A verified request: who signed it, its action's fields, and the nonce to take.
#[derive(Debug)]
pub struct Signed<T> {
    /// The account that signed it (directly, or through its reporter key).
    pub owner: Address,
    /// The action's own fields.
    pub fields: T,
    /// The nonce, for the store to take with the write.
    pub request: SignedRequest,
}

/// A refusal naming its field; `rule` is the problem type's last segment.
pub fn refuse(status: StatusCode, rule: &'static str, field: &str, detail: String) -> ApiError {
    ApiError::Refused {
        status,
        rule,
        field: field.to_owned(),
        detail,
    }
}

fn malformed(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::Malformed {
        field: field.to_owned(),
        detail: detail.into(),
    }
}

/// A store's refusal as the API answers it.
pub fn refused(r: Refused, id_field: &str) -> ApiError {
    match r {
        Refused::NonceReused => refuse(
            StatusCode::CONFLICT,
            "nonce-reused",
            "message.nonce",
            "this nonce was already used by this account: sign the request again with a new one"
                .into(),
        ),
        Refused::LimitReached { limit } => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit-reached",
            "message.owner",
            format!("this account already has {limit}, the most allowed"),
        ),
        // Not 503: its `Retry-After: 1` would have clients retry what stays refused.
        Refused::Full { limit } => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "subscriptions-full",
            "message",
            format!("this API holds {limit} subscriptions, the most its operator allows"),
        ),
        Refused::NotFound => ApiError::NotFound("subscription or maintenance window"),
        Refused::NotOwner => refuse(
            StatusCode::FORBIDDEN,
            "not-owner",
            id_field,
            "it belongs to another account".into(),
        ),
        Refused::Ended => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "already-ended",
            id_field,
            "the maintenance window has already ended".into(),
        ),
    }
}

/// Hex of exactly `N` bytes, with or without `0x`.
fn hex_bytes<const N: usize>(text: &str, field: &str) -> Result<[u8; N], ApiError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text.strip_prefix("0x").unwrap_or(text), &mut out)
        .map_err(|_| malformed(field, format!("`{field}` must be {N} bytes of hex")))?;
    Ok(out)
}

fn take<T: DeserializeOwned>(obj: &mut Map<String, Value>, name: &str) -> Result<T, ApiError> {
    let field = format!("message.{name}");
    let value = obj
        .remove(name)
        .ok_or_else(|| malformed(&field, format!("`{field}` is required")))?;
    serde_json::from_value(value)
        .map_err(|_| malformed(&field, format!("`{field}` has the wrong type")))
}

/// Checks a signed request for `tag` and `action` and returns its owner and fields. Nothing is
/// written: the caller's store takes the nonce with the write.
pub async fn verify<T: DeserializeOwned>(
    state: &AppState,
    body: &[u8],
    tag: &str,
    action: &str,
) -> Result<Signed<T>, ApiError> {
    let envelope: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|_| malformed("body", "the body must be a JSON object"))?;
    let text = |name: &str| -> Result<Option<&str>, ApiError> {
        match envelope.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(malformed(name, format!("`{name}` must be a string"))),
        }
    };
    if let Some(unknown) = envelope
        .keys()
        .find(|k| !["message", "signature", "reporter_key"].contains(&k.as_str()))
    {
        return Err(malformed(unknown, format!("unknown field `{unknown}`")));
    }
    let message = text("message")?.ok_or_else(|| malformed("message", "`message` is required"))?;
    let Some(signature) = text("signature")? else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "unsigned",
            "signature",
            "the request is not signed: sign `message` with the owner's account or reporter key"
                .into(),
        ));
    };
    let json = message
        .strip_prefix(tag)
        .and_then(|rest| rest.strip_prefix('\n'))
        .ok_or_else(|| {
            malformed(
                "message",
                format!("`message` must begin with the line {tag:?} for this route"),
            )
        })?;
    let mut obj: Map<String, Value> = serde_json::from_str(json).map_err(|_| {
        malformed(
            "message",
            "`message` must be the tag line followed by a JSON object",
        )
    })?;
    let owner: Address = take(&mut obj, "owner")?;
    let now_ms = sla_runtime::now_ms();
    let signer = match text("reporter_key")? {
        None => {
            let raw: [u8; 65] = hex_bytes(signature, "signature")?;
            Signature::from_raw_array(&raw)
                .ok()
                .and_then(|s| s.recover_address_from_msg(message.as_bytes()).ok())
        }
        Some(key) => {
            let account = reporter_key_account(state, key, signature, message, now_ms).await?;
            if account != owner {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "not-owner",
                    "reporter_key",
                    format!("the reporter key is registered to {account:#x}, not to {owner:#x}"),
                ));
            }
            Some(account)
        }
    };
    if signer != Some(owner) {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "bad-signature",
            "signature",
            format!("the signature is not {owner:#x}'s over `message`"),
        ));
    }
    let chain_id: u64 = take(&mut obj, "chain_id")?;
    let contract: Address = take(&mut obj, "contract")?;
    if chain_id != state.deployment.chain_id || contract.0 != state.deployment.contract {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong-deployment",
            if chain_id != state.deployment.chain_id {
                "message.chain_id"
            } else {
                "message.contract"
            },
            format!(
                "signed for chain {chain_id}, contract {contract:#x}; this API serves chain {}, \
                 contract 0x{}",
                state.deployment.chain_id,
                hex::encode(state.deployment.contract)
            ),
        ));
    }
    let got_action: String = take(&mut obj, "action")?;
    if got_action != action {
        return Err(malformed(
            "message.action",
            format!("`message.action` must be {action:?} on this route"),
        ));
    }
    let issued: u64 = take(&mut obj, "issued_at_ms")?;
    if issued.abs_diff(now_ms) > MAX_CLOCK_SKEW_MS {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "stale-request",
            "message.issued_at_ms",
            format!(
                "issued_at_ms {issued} is more than {} s from the server's clock ({now_ms})",
                MAX_CLOCK_SKEW_MS / 1_000
            ),
        ));
    }
    let nonce: String = take(&mut obj, "nonce")?;
    if !(8..=64).contains(&nonce.len())
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(malformed(
            "message.nonce",
            "`message.nonce` must be 8 to 64 letters, digits, - or _",
        ));
    }
    let fields = serde_path_to_error::deserialize(Value::Object(obj)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "message".to_owned()
        } else {
            format!("message.{path}")
        };
        // serde's words may quote the value, and a value may be a secret: only unknown and
        // missing fields are said in serde's words.
        let inner = e.inner().to_string();
        let detail = if inner.starts_with("unknown field") || inner.starts_with("missing field") {
            inner
                .split(" at line")
                .next()
                .unwrap_or_default()
                .to_owned()
        } else {
            format!("`{field}` has the wrong type")
        };
        malformed(&field, detail)
    })?;
    Ok(Signed {
        owner,
        fields,
        request: SignedRequest {
            owner,
            nonce,
            message_hash: Sha256::digest(message.as_bytes()).into(),
            now_ms,
        },
    })
}

/// The account a reporter key is registered to, once the ed25519 signature over `message` is
/// verified strictly and the key is valid now.
async fn reporter_key_account(
    state: &AppState,
    key: &str,
    signature: &str,
    message: &str,
    now_ms: u64,
) -> Result<Address, ApiError> {
    let key_bytes: [u8; 32] = hex_bytes(key, "reporter_key")?;
    let sig: [u8; 64] = hex_bytes(signature, "signature")?;
    let bad = || {
        refuse(
            StatusCode::UNAUTHORIZED,
            "bad-signature",
            "signature",
            "the signature is not the reporter key's over `message`".into(),
        )
    };
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes).map_err(|_| bad())?;
    verifying
        .verify_strict(
            message.as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .map_err(|_| bad())?;
    let registered = state
        .db
        .mirror()
        .current_key(&key_bytes)
        .await?
        .ok_or_else(|| {
            refuse(
                StatusCode::UNAUTHORIZED,
                "key-not-registered",
                "reporter_key",
                "the reporter key is not registered on chain".into(),
            )
        })?;
    let valid = registered.valid_from_ms <= now_ms
        && registered.valid_until_ms.is_none_or(|until| now_ms < until);
    if !valid {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "key-not-valid",
            "reporter_key",
            "the reporter key is not valid now (not yet, or revoked)".into(),
        ));
    }
    Ok(registered.account)
}
