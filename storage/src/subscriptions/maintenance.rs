//! Maintenance windows, declared and cancelled by their provider through the ingest API's signed
//! routes, and read by the alert rules (`maintenance_overlapping`).

use alloy_primitives::Address;

use super::{Refused, SignedRequest, SubscriptionStore};
use crate::backend::on_conn;
use crate::error::Result;
use crate::rows::{address_text, At};

/// A maintenance window as the API writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaintenance {
    /// The account that signed it (the provider).
    pub owner: Address,
    /// The provider whose alerts it covers.
    pub provider: Address,
    /// One data unit, or `None`: all of the provider's.
    pub data_unit: Option<u64>,
    /// Start, Unix ms.
    pub from_ms: u64,
    /// End (exclusive), Unix ms.
    pub until_ms: u64,
    /// Why, in the provider's words.
    pub reason: String,
}

/// A stored maintenance window, as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMaintenance {
    /// Row id.
    pub id: i64,
    /// The window as declared.
    pub window: NewMaintenance,
    /// When it was declared, Unix ms.
    pub created_at_ms: u64,
    /// When its provider cancelled it.
    pub cancelled_at_ms: Option<u64>,
}

/// A maintenance window in force over some time, as the alert rules read it: a window cancelled
/// while in progress ends when it was cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// The provider it covers.
    pub provider: Address,
    /// One data unit, or `None`: all of the provider's.
    pub data_unit: Option<u64>,
    /// Start, Unix ms.
    pub from_ms: u64,
    /// End (exclusive), Unix ms.
    pub until_ms: u64,
    /// Why, in the provider's words.
    pub reason: String,
}

impl MaintenanceWindow {
    /// Whether the window covers `data_unit` of `provider` at `at_ms`.
    pub fn covers(&self, provider: &Address, data_unit: u64, at_ms: u64) -> bool {
        self.provider == *provider
            && self.data_unit.is_none_or(|d| d == data_unit)
            && self.from_ms <= at_ms
            && at_ms < self.until_ms
    }
}

const MAINTENANCE_COLUMNS: &str =
    "id, owner, provider, data_unit, from_ms, until_ms, reason, created_at_ms, cancelled_at_ms";

type MaintenanceRow = (
    i64,
    String,
    String,
    Option<i64>,
    i64,
    i64,
    String,
    i64,
    Option<i64>,
);

fn maintenance(row: MaintenanceRow) -> Result<StoredMaintenance> {
    let (id, owner, provider, data_unit, from, until, reason, created, cancelled) = row;
    let at = At {
        table: "maintenance_windows",
        row: &id,
    };
    Ok(StoredMaintenance {
        id,
        window: NewMaintenance {
            owner: at.address("owner", &owner)?,
            provider: at.address("provider", &provider)?,
            data_unit: data_unit.map(|d| d as u64),
            from_ms: from as u64,
            until_ms: until as u64,
            reason,
        },
        created_at_ms: created as u64,
        cancelled_at_ms: cancelled.map(|c| c as u64),
    })
}

impl SubscriptionStore {
    /// Cancels maintenance window `id` on its owner's signed request, before it ends.
    pub async fn cancel_maintenance(
        &self,
        request: &SignedRequest,
        id: i64,
    ) -> Result<std::result::Result<(), Refused>> {
        self.end_row(
            request,
            "SELECT owner, cancelled_at_ms, until_ms FROM maintenance_windows WHERE id = $1",
            "UPDATE maintenance_windows SET cancelled_at_ms = $2 WHERE id = $1",
            id,
            true,
        )
        .await
    }

    /// Stores `window` unless the nonce was used or its provider already has `limit` windows
    /// that have not ended (nor been cancelled) at the request's time.
    pub async fn declare_maintenance(
        &self,
        request: &SignedRequest,
        window: &NewMaintenance,
        limit: u32,
    ) -> Result<std::result::Result<i64, Refused>> {
        let mut tx = self.db.backend().begin_write().await?;
        if !Self::take_nonce(&mut tx, request).await? {
            return Ok(Err(Refused::NonceReused));
        }
        let provider = address_text(&window.provider);
        let id = on_conn!(tx.conn(), |c| {
            // As for subscriptions: racing requests of one provider count one after the other.
            sqlx::query(
                "UPDATE maintenance_windows SET cancelled_at_ms = cancelled_at_ms \
                 WHERE provider = $1 AND until_ms > $2 AND cancelled_at_ms IS NULL",
            )
            .bind(&provider)
            .bind(request.now_ms as i64)
            .execute(&mut *c)
            .await?;
            let (count,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM maintenance_windows WHERE provider = $1 \
                 AND until_ms > $2 AND cancelled_at_ms IS NULL",
            )
            .bind(&provider)
            .bind(request.now_ms as i64)
            .fetch_one(&mut *c)
            .await?;
            if count >= i64::from(limit) {
                None
            } else {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO maintenance_windows (owner, provider, data_unit, from_ms, \
                     until_ms, reason, created_at_ms) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
                )
                .bind(address_text(&window.owner))
                .bind(&provider)
                .bind(window.data_unit.map(|d| d as i64))
                .bind(window.from_ms as i64)
                .bind(window.until_ms as i64)
                .bind(&window.reason)
                .bind(request.now_ms as i64)
                .fetch_one(&mut *c)
                .await?;
                Some(id)
            }
        });
        let Some(id) = id else {
            return Ok(Err(Refused::LimitReached { limit }));
        };
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// A provider's windows, cancelled ones included, newest first (at most `limit`).
    pub async fn maintenance_of(
        &self,
        provider: &Address,
        limit: u32,
    ) -> Result<Vec<StoredMaintenance>> {
        let sql = format!(
            "SELECT {MAINTENANCE_COLUMNS} FROM maintenance_windows WHERE provider = $1 \
             ORDER BY id DESC LIMIT $2"
        );
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<MaintenanceRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&sql)
                .bind(address_text(provider))
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(maintenance).collect()
    }

    /// Every window in force at some moment of `[from_ms, until_ms)`, by start: what the alert
    /// rules consult before raising. A window cancelled while in progress ends at its
    /// cancellation; one cancelled before it began is not returned.
    pub async fn maintenance_overlapping(
        &self,
        from_ms: u64,
        until_ms: u64,
    ) -> Result<Vec<MaintenanceWindow>> {
        let sql = format!(
            "SELECT {MAINTENANCE_COLUMNS} FROM maintenance_windows \
             WHERE from_ms < $2 AND until_ms > $1 \
             AND (cancelled_at_ms IS NULL OR (cancelled_at_ms > $1 AND cancelled_at_ms > from_ms)) \
             ORDER BY from_ms, id"
        );
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<MaintenanceRow> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(&sql)
                .bind(from_ms.min(i64::MAX as u64) as i64)
                .bind(until_ms.min(i64::MAX as u64) as i64)
                .fetch_all(c)
                .await?
        });
        rows.into_iter()
            .map(|row| {
                let m = maintenance(row)?;
                let end = m
                    .cancelled_at_ms
                    .map_or(m.window.until_ms, |c| c.min(m.window.until_ms));
                Ok(MaintenanceWindow {
                    provider: m.window.provider,
                    data_unit: m.window.data_unit,
                    from_ms: m.window.from_ms,
                    until_ms: end,
                    reason: m.window.reason,
                })
            })
            .collect()
    }
}
