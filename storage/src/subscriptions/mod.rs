//! Alert subscriptions and maintenance windows (migration 0011 on SQLite, 0013 on PostgreSQL),
//! written by the ingest API's signed routes and read by the alerting process. Every write takes
//! its request's nonce in the same transaction, so a replayed request writes nothing and a
//! refused one takes no nonce. Nothing is decided here but what needs the rows themselves
//! (who owns a row, whether it has ended, how many an owner has); the API checks the rest.
//! Maintenance windows are in `maintenance.rs`.

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

use crate::backend::{on_conn, Tx};
use crate::error::Result;
use crate::rows::{address_text, At};
use crate::Database;

mod maintenance;

pub use maintenance::{MaintenanceWindow, NewMaintenance, StoredMaintenance};

/// How a subscription's alerts are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// A generic JSON webhook, HMAC-signed with the subscription's secret.
    Webhook,
    /// A Slack incoming webhook (the secret is its URL).
    Slack,
    /// A Discord webhook (the secret is its URL).
    Discord,
    /// The Telegram Bot API (the secret is the bot token, the target the chat id).
    Telegram,
}

impl ChannelKind {
    /// Every kind.
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Webhook,
        ChannelKind::Slack,
        ChannelKind::Discord,
        ChannelKind::Telegram,
    ];

    /// The name used in the database and on the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Discord => "discord",
            ChannelKind::Telegram => "telegram",
        }
    }

    /// The kind named by [`ChannelKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Which alerts a subscription wants: all three must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    /// The rules (never empty).
    pub rules: Vec<String>,
    /// The providers it follows (`None`: every provider).
    pub providers: Option<Vec<Address>>,
    /// The data units it follows (`None`: every data unit).
    pub data_units: Option<Vec<u64>>,
}

/// [`Filters`] as the `filters_json` column holds them (addresses as lowercase `0x` hex, as
/// every table stores them).
#[derive(Serialize, Deserialize)]
struct FiltersJson {
    rules: Vec<String>,
    providers: Option<Vec<String>>,
    data_units: Option<Vec<u64>>,
}

impl Filters {
    fn to_json(&self) -> String {
        serde_json::to_string(&FiltersJson {
            rules: self.rules.clone(),
            providers: self
                .providers
                .as_ref()
                .map(|p| p.iter().map(address_text).collect()),
            data_units: self.data_units.clone(),
        })
        .expect("filters serialize")
    }

    fn from_json(at: &At<'_>, text: &str) -> Result<Filters> {
        let raw: FiltersJson = at.json("filters_json", text)?;
        let providers = match raw.providers {
            None => None,
            Some(list) => Some(
                list.iter()
                    .map(|p| at.address("filters_json.providers", p))
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        Ok(Filters {
            rules: raw.rules,
            providers,
            data_units: raw.data_units,
        })
    }
}

/// A subscription as the API writes it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSubscription {
    /// The account that signed it.
    pub owner: Address,
    /// How its alerts are delivered.
    pub channel: ChannelKind,
    /// The webhook URL or Telegram chat id (`None` for Slack and Discord).
    pub target: Option<String>,
    /// The HMAC secret, chat webhook URL or bot token.
    pub secret: String,
    /// What it wants.
    pub filters: Filters,
}

/// A stored subscription. Its `Debug` output never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Row id; the alerting process names its receiver `sub-{id}`.
    pub id: i64,
    /// The account that signed it.
    pub owner: Address,
    /// How its alerts are delivered.
    pub channel: ChannelKind,
    /// The webhook URL or Telegram chat id.
    pub target: Option<String>,
    /// The HMAC secret, chat webhook URL or bot token: for delivery only, never answered.
    pub secret: String,
    /// What it wants.
    pub filters: Filters,
    /// When it was created, Unix ms.
    pub created_at_ms: u64,
    /// When its owner deleted it.
    pub deleted_at_ms: Option<u64>,
}

impl std::fmt::Debug for NewSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSubscription")
            .field("owner", &self.owner)
            .field("channel", &self.channel)
            .field("target", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("filters", &self.filters)
            .finish()
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A webhook URL may carry a token in its path: the target is redacted too.
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("channel", &self.channel)
            .field("target", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("filters", &self.filters)
            .field("created_at_ms", &self.created_at_ms)
            .field("deleted_at_ms", &self.deleted_at_ms)
            .finish()
    }
}

/// The nonce a signed request takes: unique per account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The account that signed it.
    pub owner: Address,
    /// Its nonce.
    pub nonce: String,
    /// SHA-256 of the signed message.
    pub message_hash: [u8; 32],
    /// When the server took it, Unix ms.
    pub now_ms: u64,
}

/// Why a write was refused; nothing of it was stored, and the nonce was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This account already used this nonce.
    NonceReused,
    /// The owner has as many (subscriptions, or open windows) as allowed.
    LimitReached {
        /// The limit.
        limit: u32,
    },
    /// The database holds as many subscriptions as the operator allows in all.
    Full {
        /// The limit.
        limit: u32,
    },
    /// No such row (or already deleted or cancelled).
    NotFound,
    /// The row belongs to another account.
    NotOwner,
    /// The maintenance window has already ended.
    Ended,
}

/// Nonces older than this are dropped when a new one is taken: a signed request is refused
/// anyway once its `issued_at_ms` is minutes old, so its nonce need not be kept longer.
const NONCE_RETENTION_MS: u64 = 24 * 3_600_000;

const SUBSCRIPTION_COLUMNS: &str =
    "id, owner, channel, target, secret, filters_json, created_at_ms, deleted_at_ms";

type SubscriptionRow = (
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<i64>,
);
fn subscription(row: SubscriptionRow) -> Result<Subscription> {
    let (id, owner, channel, target, secret, filters, created, deleted) = row;
    let at = At {
        table: "alert_subscriptions",
        row: &id,
    };
    Ok(Subscription {
        id,
        owner: at.address("owner", &owner)?,
        channel: at.named("channel", &channel, ChannelKind::parse)?,
        target,
        secret,
        filters: Filters::from_json(&at, &filters)?,
        created_at_ms: created as u64,
        deleted_at_ms: deleted.map(|d| d as u64),
    })
}

/// Subscriptions and maintenance windows of a [`Database`].
#[derive(Debug, Clone)]
pub struct SubscriptionStore {
    db: Database,
}

impl SubscriptionStore {
    pub(crate) fn new(db: Database) -> Self {
        SubscriptionStore { db }
    }

    /// Takes the request's nonce in `tx`; `false` when the account already used it.
    pub(super) async fn take_nonce(tx: &mut Tx, request: &SignedRequest) -> Result<bool> {
        let taken = on_conn!(tx.conn(), |c| {
            sqlx::query("DELETE FROM signed_request_nonces WHERE used_at_ms < $1")
                .bind(request.now_ms.saturating_sub(NONCE_RETENTION_MS) as i64)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "INSERT INTO signed_request_nonces (owner, nonce, message_hash, used_at_ms) \
                 VALUES ($1,$2,$3,$4) ON CONFLICT (owner, nonce) DO NOTHING",
            )
            .bind(address_text(&request.owner))
            .bind(&request.nonce)
            .bind(request.message_hash.as_slice())
            .bind(request.now_ms as i64)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        Ok(taken == 1)
    }

    /// Stores `sub` unless the nonce was used, its owner already has `limit` subscriptions, or
    /// the database holds `max_total` (accounts cost nothing to make: the total bounds the
    /// alerting process's work whoever asks).
    pub async fn subscribe(
        &self,
        request: &SignedRequest,
        sub: &NewSubscription,
        limit: u32,
        max_total: u32,
    ) -> Result<std::result::Result<i64, Refused>> {
        let mut tx = self.db.backend().begin_write().await?;
        if !Self::take_nonce(&mut tx, request).await? {
            return Ok(Err(Refused::NonceReused));
        }
        let owner = address_text(&sub.owner);
        let filters = sub.filters.to_json();
        let id = on_conn!(tx.conn(), |c| {
            // Locks the owner's rows first: on PostgreSQL a concurrent request of the same owner
            // waits here until this one commits, then counts what it wrote, so requests racing
            // cannot pass the limit together (SQLite's writers take turns anyway).
            sqlx::query(
                "UPDATE alert_subscriptions SET deleted_at_ms = deleted_at_ms \
                 WHERE owner = $1 AND deleted_at_ms IS NULL",
            )
            .bind(&owner)
            .execute(&mut *c)
            .await?;
            let (count,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM alert_subscriptions WHERE owner = $1 \
                 AND deleted_at_ms IS NULL",
            )
            .bind(&owner)
            .fetch_one(&mut *c)
            .await?;
            let (total,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM alert_subscriptions WHERE deleted_at_ms IS NULL",
            )
            .fetch_one(&mut *c)
            .await?;
            if count >= i64::from(limit) {
                Err(Refused::LimitReached { limit })
            } else if total >= i64::from(max_total) {
                Err(Refused::Full { limit: max_total })
            } else {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO alert_subscriptions (owner, channel, target, secret, \
                     filters_json, created_at_ms) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
                )
                .bind(&owner)
                .bind(sub.channel.as_str())
                .bind(&sub.target)
                .bind(&sub.secret)
                .bind(&filters)
                .bind(request.now_ms as i64)
                .fetch_one(&mut *c)
                .await?;
                Ok(id)
            }
        });
        let id = match id {
            Ok(id) => id,
            Err(refused) => return Ok(Err(refused)),
        };
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// Deletes subscription `id` on its owner's signed request.
    pub async fn unsubscribe(
        &self,
        request: &SignedRequest,
        id: i64,
    ) -> Result<std::result::Result<(), Refused>> {
        self.end_row(
            request,
            "SELECT owner, deleted_at_ms FROM alert_subscriptions WHERE id = $1",
            "UPDATE alert_subscriptions SET deleted_at_ms = $2 WHERE id = $1",
            id,
            false,
        )
        .await
    }

    /// Marks row `id` ended at the request's time, if the requester owns it and it has not
    /// ended; `has_end` says the row's third column is an end time that must still be ahead.
    pub(super) async fn end_row(
        &self,
        request: &SignedRequest,
        select: &str,
        update: &str,
        id: i64,
        has_end: bool,
    ) -> Result<std::result::Result<(), Refused>> {
        let mut tx = self.db.backend().begin_write().await?;
        if !Self::take_nonce(&mut tx, request).await? {
            return Ok(Err(Refused::NonceReused));
        }
        let now = request.now_ms as i64;
        let owner = address_text(&request.owner);
        let refused = on_conn!(tx.conn(), |c| {
            let row: Option<(String, Option<i64>, i64)> = if has_end {
                sqlx::query_as(select)
                    .bind(id)
                    .fetch_optional(&mut *c)
                    .await?
            } else {
                sqlx::query_as::<_, (String, Option<i64>)>(select)
                    .bind(id)
                    .fetch_optional(&mut *c)
                    .await?
                    .map(|(o, e)| (o, e, i64::MAX))
            };
            match row {
                None | Some((_, Some(_), _)) => Some(Refused::NotFound),
                Some((o, None, _)) if o != owner => Some(Refused::NotOwner),
                Some((_, None, until)) if until <= now => Some(Refused::Ended),
                Some(_) => {
                    sqlx::query(update)
                        .bind(id)
                        .bind(now)
                        .execute(&mut *c)
                        .await?;
                    None
                }
            }
        });
        if let Some(refused) = refused {
            return Ok(Err(refused));
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Subscriptions in force at `now_ms` (not deleted by then), by id.
    pub async fn active(&self, now_ms: u64) -> Result<Vec<Subscription>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM alert_subscriptions \
             WHERE deleted_at_ms IS NULL OR deleted_at_ms > $1 ORDER BY id"
        );
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<SubscriptionRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&sql)
                .bind(now_ms as i64)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(subscription).collect()
    }

    /// An account's subscriptions that are not deleted, by id.
    pub async fn of_owner(&self, owner: &Address) -> Result<Vec<Subscription>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM alert_subscriptions \
             WHERE owner = $1 AND deleted_at_ms IS NULL ORDER BY id"
        );
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<SubscriptionRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&sql)
                .bind(address_text(owner))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(subscription).collect()
    }
}
