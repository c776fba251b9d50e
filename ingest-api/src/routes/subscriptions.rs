//! Alert subscriptions through signed requests (`signed.rs`): create, delete, list. Anyone may
//! subscribe to the public events (`violation`, `penalty`) of any provider; the other rules only
//! for what is the signer's own: data units where it is the provider or the consumer (as the
//! chain mirror records them), or its own provider account. Answers never carry a secret, and
//! only the origin of a webhook URL (its path may hold a token).

use std::collections::HashSet;

use alloy_primitives::Address;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sla_storage::subscriptions::{ChannelKind, Filters, NewSubscription, Subscription};

use crate::body::{read_body, BodyLimits};
use crate::extract::{ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::signed::{self, refuse, refused, verify, MAX_SIGNED_BODY_BYTES};
use crate::state::AppState;
use crate::targets::check_url;

/// The domain tag that begins every subscription request's signed message.
pub const TAG: &str = "SLA-ORACLE/ALERT-SUBSCRIPTION/v1";

/// Most subscriptions one account may hold.
pub const MAX_PER_OWNER: u32 = 20;

/// Rules about events anyone may see on chain or in the public API: open to every subscriber.
pub const PUBLIC_RULES: [&str; 2] = ["violation", "penalty"];

/// Every rule a subscription may name; those not in [`PUBLIC_RULES`] only for one's own.
pub const RULES: [&str; 8] = [
    "violation",
    "penalty",
    "late",
    "burn-rate",
    "time-to-breach",
    "bond-cover",
    "reputation-drop",
    "key-expiry",
];

/// Most providers or data units one subscription may name.
const MAX_FILTER_ENTRIES: usize = 100;

/// The fields of a `create` message (beside the envelope's).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Create {
    channel: String,
    #[serde(default)]
    target: Option<String>,
    secret: String,
    rules: Vec<String>,
    #[serde(default)]
    providers: Option<Vec<Address>>,
    #[serde(default)]
    data_units: Option<Vec<u64>>,
}

/// The fields of a `delete` message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remove {
    id: i64,
}

pub(crate) async fn signed_body(body: Body, state: &AppState) -> Result<bytes::Bytes, ApiError> {
    let limits = BodyLimits {
        max_bytes: state.limits.body.max_bytes.min(MAX_SIGNED_BODY_BYTES),
        ..state.limits.body
    };
    read_body(body, &limits).await
}

fn malformed(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::Malformed {
        field: field.to_owned(),
        detail: detail.into(),
    }
}

/// What an answer shows of a subscription's target: a Telegram chat id, a webhook's origin.
fn shown_target(s: &Subscription) -> Option<String> {
    match (&s.channel, &s.target) {
        (ChannelKind::Webhook, Some(t)) => url::Url::parse(t)
            .ok()
            .map(|u| format!("{}/…", u.origin().ascii_serialization())),
        (ChannelKind::Telegram, Some(t)) => Some(t.clone()),
        _ => None,
    }
}

/// An alert subscription as the API shows it: never its secret, nor a webhook's full URL.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    id: i64,
    /// The account that owns it, `0x` and 40 hex digits.
    #[schema(pattern = "^0x[0-9a-f]{40}$")]
    owner: String,
    /// `webhook`, `slack`, `discord` or `telegram`.
    channel: &'static str,
    /// A webhook's origin (`https://host/…`) or a Telegram chat id; `null` for the others.
    target: Option<String>,
    /// The alert rules it receives.
    rules: Vec<String>,
    /// Only these providers' data units; `null`: every one.
    providers: Option<Vec<String>>,
    /// Only these data units; `null`: every one.
    data_units: Option<Vec<u64>>,
    created_at_ms: u64,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> Self {
        SubscriptionView {
            id: s.id,
            owner: format!("{:#x}", s.owner),
            channel: s.channel.as_str(),
            target: shown_target(s),
            rules: s.filters.rules.clone(),
            providers: s
                .filters
                .providers
                .as_ref()
                .map(|p| p.iter().map(|a| format!("{a:#x}")).collect()),
            data_units: s.filters.data_units.clone(),
            created_at_ms: s.created_at_ms,
        }
    }
}

/// An account's subscriptions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionList {
    subscriptions: Vec<SubscriptionView>,
}

/// The answer to a deletion.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    id: i64,
    /// When it stopped, Unix ms (the request's `issued_at_ms` as checked).
    deleted_at_ms: u64,
}

/// Subscribes an account to alerts; 201 with the subscription (without its secret).
#[utoipa::path(post, path = "/v1/alert-subscriptions", tag = "alerts",
    request_body(content = crate::signed::SignedRequestBody, content_type = "application/json",
        description = "A request signed by the owner, domain tag `SLA-ORACLE/ALERT-SUBSCRIPTION/v1`, \
            action `create`, fields `channel`, `target`, `secret`, `rules`, `providers`, `data_units`"),
    responses((status = 201, body = SubscriptionView)))]
pub async fn create(
    State(state): State<AppState>,
    body: Body,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let bytes = signed_body(body, &state).await?;
    let signed = verify::<Create>(&state, &bytes, TAG, "create").await?;
    let owner = signed.owner;
    let c = signed.fields;
    let allow_private = state.limits.allow_private_targets;
    let channel = ChannelKind::parse(&c.channel).ok_or_else(|| {
        malformed(
            "message.channel",
            format!(
                "unknown channel {:?}; known: webhook, slack, discord, telegram",
                c.channel.chars().take(32).collect::<String>()
            ),
        )
    })?;
    let target = match channel {
        ChannelKind::Webhook => {
            let url = c.target.as_deref().ok_or_else(|| {
                malformed("message.target", "a webhook needs its URL in `target`")
            })?;
            check_url(url, "message.target", allow_private).await?;
            let ok = c.secret.len() >= 16
                && c.secret.len() <= 256
                && c.secret.bytes().all(|b| b.is_ascii_graphic());
            if !ok {
                return Err(malformed(
                    "message.secret",
                    "a webhook's HMAC secret must be 16 to 256 printable ASCII characters",
                ));
            }
            c.target
        }
        ChannelKind::Slack | ChannelKind::Discord => {
            if c.target.is_some() {
                return Err(malformed(
                    "message.target",
                    "Slack and Discord take no `target`: their webhook URL is the `secret`",
                ));
            }
            check_url(&c.secret, "message.secret", allow_private).await?;
            None
        }
        ChannelKind::Telegram => {
            let chat = c.target.as_deref().unwrap_or_default();
            let digits =
                |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
            let chat_ok = digits(chat.strip_prefix('-').unwrap_or(chat))
                || chat.strip_prefix('@').is_some_and(|n| {
                    (5..=32).contains(&n.len())
                        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                });
            if !chat_ok {
                return Err(malformed(
                    "message.target",
                    "Telegram needs the chat id in `target`: a number or @channelname",
                ));
            }
            let token_ok = c.secret.split_once(':').is_some_and(|(bot, key)| {
                digits(bot)
                    && (20..=64).contains(&key.len())
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
            if !token_ok {
                return Err(malformed(
                    "message.secret",
                    "Telegram needs the bot token (`123456:ABC…`) in `secret`",
                ));
            }
            c.target
        }
    };
    let filters = check_filters(&state, owner, c.rules, c.providers, c.data_units).await?;
    let new = NewSubscription {
        owner,
        channel,
        target,
        secret: c.secret,
        filters,
    };
    let id = state
        .db
        .subscriptions()
        .subscribe(
            &signed.request,
            &new,
            MAX_PER_OWNER,
            state.limits.max_subscriptions,
        )
        .await?
        .map_err(|r| refused(r, "message.id"))?;
    tracing::info!(id, owner = %owner, channel = channel.as_str(), "alert subscription created");
    let stored = Subscription {
        id,
        owner,
        channel,
        target: new.target,
        secret: String::new(),
        filters: new.filters,
        created_at_ms: signed.request.now_ms,
        deleted_at_ms: None,
    };
    Ok((StatusCode::CREATED, Json(SubscriptionView::from(&stored))))
}

/// The rules and scope, checked: known rules, and the private ones only for the owner's own.
async fn check_filters(
    state: &AppState,
    owner: Address,
    rules: Vec<String>,
    providers: Option<Vec<Address>>,
    data_units: Option<Vec<u64>>,
) -> Result<Filters, ApiError> {
    if rules.is_empty() || rules.len() > RULES.len() {
        return Err(malformed("message.rules", "name 1 to 8 rules"));
    }
    let mut seen = HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        if !RULES.contains(&rule.as_str()) || !seen.insert(rule) {
            return Err(malformed(
                &format!("message.rules[{i}]"),
                format!("unknown or repeated rule; known: {}", RULES.join(", ")),
            ));
        }
    }
    if providers
        .as_ref()
        .is_some_and(|p| p.is_empty() || p.len() > MAX_FILTER_ENTRIES)
    {
        return Err(malformed(
            "message.providers",
            "name 1 to 100 providers, or omit it",
        ));
    }
    if data_units
        .as_ref()
        .is_some_and(|d| d.is_empty() || d.len() > MAX_FILTER_ENTRIES)
    {
        return Err(malformed(
            "message.data_units",
            "name 1 to 100 data units, or omit it",
        ));
    }
    if rules.iter().any(|r| !PUBLIC_RULES.contains(&r.as_str())) {
        // The parties of each listed data unit (`None`: not a known allocation).
        let mut parties = Vec::new();
        for d in data_units.iter().flatten() {
            let a = state.db.mirror().current_allocation(*d).await?;
            parties.push((*d, a.map(|a| (a.provider, a.consumer))));
        }
        check_private_scope(owner, &rules, providers.as_deref(), &parties)?;
    }
    Ok(Filters {
        rules,
        providers,
        data_units,
    })
}

/// The rule for the rules that are not public: a subscription to them names only what is the
/// owner's own (its provider account; data units where it is provider or consumer, `parties`
/// giving each listed data unit's `(provider, consumer)`), and names something.
pub fn check_private_scope(
    owner: Address,
    rules: &[String],
    providers: Option<&[Address]>,
    parties: &[(u64, Option<(Address, Address)>)],
) -> Result<(), ApiError> {
    let Some(rule) = rules.iter().find(|r| !PUBLIC_RULES.contains(&r.as_str())) else {
        return Ok(());
    };
    let not_owner =
        |field: String, detail: String| refuse(StatusCode::FORBIDDEN, "not-owner", &field, detail);
    if providers.is_none() && parties.is_empty() {
        return Err(not_owner(
            "message.rules".into(),
            format!(
                "rule {rule:?} is only for your own: name your data units in `data_units` \
                 or your own account in `providers`"
            ),
        ));
    }
    for (i, p) in providers.iter().copied().flatten().enumerate() {
        if *p != owner {
            return Err(not_owner(
                format!("message.providers[{i}]"),
                format!("rule {rule:?} is only for your own provider account, not {p:#x}"),
            ));
        }
    }
    for (i, (d, party)) in parties.iter().enumerate() {
        let field = format!("message.data_units[{i}]");
        let Some((provider, consumer)) = party else {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "data-unit-unknown",
                &field,
                format!("data unit {d} is not a known allocation"),
            ));
        };
        if *provider != owner && *consumer != owner {
            return Err(not_owner(
                field,
                format!(
                    "rule {rule:?} is only for data units of which you are the provider or the \
                     consumer; {owner:#x} is neither of data unit {d}"
                ),
            ));
        }
    }
    Ok(())
}

/// Ends a subscription: by its owner only; 200 with the time it ended.
#[utoipa::path(delete, path = "/v1/alert-subscriptions/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "The subscription")),
    request_body(content = crate::signed::SignedRequestBody, content_type = "application/json",
        description = "Signed by the owner, action `delete`, field `id` (the path's)"),
    responses((status = 200, body = Deleted)))]
pub async fn remove(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<Deleted>, ApiError> {
    let bytes = signed_body(body, &state).await?;
    let signed = verify::<Remove>(&state, &bytes, TAG, "delete").await?;
    if signed.fields.id != id {
        return Err(malformed(
            "message.id",
            "`message.id` must be the id in the path",
        ));
    }
    state
        .db
        .subscriptions()
        .unsubscribe(&signed.request, id)
        .await?
        .map_err(|r| signed::refused(r, "id"))?;
    tracing::info!(id, owner = %signed.owner, "alert subscription deleted");
    Ok(Json(Deleted {
        id,
        deleted_at_ms: signed.request.now_ms,
    }))
}

/// The query of [`list`].
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OwnerQuery {
    /// The account whose subscriptions to list, `0x` and 40 hex digits.
    #[param(value_type = String, pattern = "^0x[0-9a-fA-F]{40}$")]
    pub owner: Address,
}

/// An account's subscriptions, without secrets.
#[utoipa::path(get, path = "/v1/alert-subscriptions", tag = "alerts", params(OwnerQuery),
    responses((status = 200, body = SubscriptionList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<OwnerQuery>,
) -> Result<Json<SubscriptionList>, ApiError> {
    let subs = state.db.subscriptions().of_owner(&q.owner).await?;
    Ok(Json(SubscriptionList {
        subscriptions: subs.iter().map(SubscriptionView::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Address = Address::repeat_byte(0xa1);
    const THEM: Address = Address::repeat_byte(0xb2);

    fn rules(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    fn field(r: Result<(), ApiError>) -> (&'static str, String) {
        match r.unwrap_err() {
            ApiError::Refused { rule, field, .. } => (rule, field),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn private_rules_only_for_what_is_the_owners_own() {
        // Public rules: anything, for anyone.
        assert!(check_private_scope(ME, &rules(&["penalty"]), None, &[]).is_ok());
        assert!(check_private_scope(ME, &rules(&["violation"]), Some(&[THEM]), &[]).is_ok());
        // A private rule needs a scope, and only one's own.
        let late = rules(&["penalty", "late"]);
        assert_eq!(
            field(check_private_scope(ME, &late, None, &[])),
            ("not-owner", "message.rules".into())
        );
        assert!(check_private_scope(ME, &late, Some(&[ME]), &[]).is_ok());
        assert_eq!(
            field(check_private_scope(ME, &late, Some(&[ME, THEM]), &[])),
            ("not-owner", "message.providers[1]".into())
        );
        let mine_as_consumer = (7, Some((THEM, ME)));
        let mine_as_provider = (8, Some((ME, THEM)));
        assert!(
            check_private_scope(ME, &late, None, &[mine_as_consumer, mine_as_provider]).is_ok()
        );
        assert_eq!(
            field(check_private_scope(
                ME,
                &late,
                None,
                &[mine_as_consumer, (9, Some((THEM, THEM)))]
            )),
            ("not-owner", "message.data_units[1]".into())
        );
        assert_eq!(
            field(check_private_scope(ME, &late, None, &[(10, None)])),
            ("data-unit-unknown", "message.data_units[0]".into())
        );
    }
}
