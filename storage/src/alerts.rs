//! The alert outbox (migration 0010 on SQLite, 0012 on PostgreSQL): an alert is written here for
//! each receiver before any delivery is tried, and leaves the pending set only when a receiver
//! acknowledged it or it expired, so a crash anywhere loses nothing and a restart resumes.

use crate::backend::on_conn;
use crate::error::Result;
use crate::rows::diagnostic_text;
use crate::Database;

/// An alert for one receiver, as a rule writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// The receiver's name (from the alerting configuration).
    pub receiver: String,
    /// What the alert is about, unique per receiver (`penalty:7:1234`): a condition found again
    /// writes nothing; also the delivery's idempotency key.
    pub alert_key: String,
    /// The rule that raised it.
    pub rule: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// The alert as JSON, exactly as it will be delivered.
    pub body: String,
    /// The data unit it is about, if one (its incident timeline on the dashboard).
    pub data_unit: Option<u64>,
}

/// Where an alert condition stands (a condition that never fired has no row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionState {
    /// The condition (`burn-rate:7:uptime:1h`).
    pub condition: String,
    /// When the firing incident began, while it fires.
    pub firing_since_ms: Option<u64>,
    /// When it last resolved (for the cooldown).
    pub resolved_at_ms: Option<u64>,
    /// The last firing alert as JSON: what the resolved message is built from.
    pub alert_json: String,
}

/// An alert in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxAlert {
    /// Row id.
    pub id: i64,
    /// The receiver's name.
    pub receiver: String,
    /// Unique per receiver; the idempotency key.
    pub alert_key: String,
    /// The rule that raised it.
    pub rule: String,
    /// Its severity.
    pub severity: String,
    /// The JSON delivered.
    pub body: String,
    /// When it was written, Unix ms.
    pub created_at_ms: i64,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it is due next, Unix ms.
    pub next_attempt_ms: i64,
    /// When a receiver acknowledged it.
    pub delivered_at_ms: Option<i64>,
    /// When it was given up.
    pub expired_at_ms: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// How many alerts are pending, delivered and expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Not yet acknowledged nor expired.
    pub pending: u64,
    /// Acknowledged by their receiver.
    pub delivered: u64,
    /// Given up after the expiry age.
    pub expired: u64,
}

const COLUMNS: &str = "id, receiver, alert_key, rule, severity, body, created_at_ms, attempts, \
     next_attempt_ms, delivered_at_ms, expired_at_ms, last_error";

/// The alert outbox of a [`Database`].
#[derive(Debug, Clone)]
pub struct AlertStore {
    db: Database,
}

impl AlertStore {
    pub(crate) fn new(db: Database) -> Self {
        AlertStore { db }
    }

    /// Writes `alerts`, due at `now_ms`, in one transaction; one already there (same receiver
    /// and key) is left as it is. Returns how many were new.
    pub async fn enqueue(&self, alerts: &[NewAlert], now_ms: u64) -> Result<u64> {
        self.enqueue_with(alerts, &[], now_ms).await
    }

    /// [`enqueue`](Self::enqueue), and the new state of the conditions that fired or resolved,
    /// in the same transaction: a crash never leaves an alert written without its condition's
    /// state, or the reverse.
    pub async fn enqueue_with(
        &self,
        alerts: &[NewAlert],
        conditions: &[ConditionState],
        now_ms: u64,
    ) -> Result<u64> {
        let mut tx = self.db.backend().begin_write().await?;
        for s in conditions {
            on_conn!(tx.conn(), |c| {
                sqlx::query(
                    "INSERT INTO alert_conditions (condition, firing_since_ms, resolved_at_ms, \
                     alert_json) VALUES ($1,$2,$3,$4) ON CONFLICT (condition) DO UPDATE SET \
                     firing_since_ms = excluded.firing_since_ms, \
                     resolved_at_ms = excluded.resolved_at_ms, alert_json = excluded.alert_json",
                )
                .bind(&s.condition)
                .bind(s.firing_since_ms.map(|v| v as i64))
                .bind(s.resolved_at_ms.map(|v| v as i64))
                .bind(&s.alert_json)
                .execute(c)
                .await?;
            });
        }
        let mut added = 0;
        for a in alerts {
            added += on_conn!(tx.conn(), |c| {
                sqlx::query(
                    "INSERT INTO alert_outbox (receiver, alert_key, rule, severity, body, \
                     created_at_ms, next_attempt_ms, data_unit) VALUES ($1,$2,$3,$4,$5,$6,$6,$7) \
                     ON CONFLICT (receiver, alert_key) DO NOTHING",
                )
                .bind(&a.receiver)
                .bind(&a.alert_key)
                .bind(&a.rule)
                .bind(&a.severity)
                .bind(&a.body)
                .bind(now_ms as i64)
                .bind(a.data_unit.map(|d| d as i64))
                .execute(c)
                .await?
                .rows_affected()
            });
        }
        tx.commit().await?;
        Ok(added)
    }

    /// A data unit's alerts, newest first, at most `limit`: one per key whoever received it,
    /// with when it was first written and its JSON (the dashboard's incident timeline).
    pub async fn of_data_unit(&self, data_unit: u64, limit: u32) -> Result<Vec<(i64, String)>> {
        let mut conn = self.db.backend().read().await?;
        Ok(on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT MIN(created_at_ms), MIN(body) FROM alert_outbox WHERE data_unit = $1 \
                 GROUP BY alert_key ORDER BY MIN(created_at_ms) DESC, MIN(alert_key) DESC LIMIT $2",
            )
            .bind(data_unit as i64)
            .bind(i64::from(limit))
            .fetch_all(c)
            .await?
        }))
    }

    /// Every condition's state (the alerting process reads it once when it starts).
    pub async fn conditions(&self) -> Result<Vec<ConditionState>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(String, Option<i64>, Option<i64>, String)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT condition, firing_since_ms, resolved_at_ms, alert_json \
                 FROM alert_conditions ORDER BY condition",
            )
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(condition, f, r, alert_json)| ConditionState {
                condition,
                firing_since_ms: f.map(|v| v as u64),
                resolved_at_ms: r.map(|v| v as u64),
                alert_json,
            })
            .collect())
    }

    /// Pending alerts due at `now_ms`, oldest due first.
    pub async fn due(&self, now_ms: u64, limit: u32) -> Result<Vec<OutboxAlert>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alert_outbox WHERE delivered_at_ms IS NULL \
             AND expired_at_ms IS NULL AND next_attempt_ms <= $1 \
             ORDER BY next_attempt_ms, id LIMIT $2"
        );
        let mut conn = self.db.backend().read().await?;
        Ok(on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, OutboxAlert>(&sql)
                .bind(now_ms as i64)
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?
        }))
    }

    /// Every alert, newest first (for tests and inspection).
    pub async fn all(&self, limit: u32) -> Result<Vec<OutboxAlert>> {
        let sql = format!("SELECT {COLUMNS} FROM alert_outbox ORDER BY id DESC LIMIT $1");
        let mut conn = self.db.backend().read().await?;
        Ok(on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, OutboxAlert>(&sql)
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?
        }))
    }

    /// Whether `receiver` has a row for `alert_key` (in any state): a scheduled report already
    /// written is not built again. Reads one row through the UNIQUE(receiver, alert_key) index.
    pub async fn contains(&self, receiver: &str, alert_key: &str) -> Result<bool> {
        let mut conn = self.db.backend().read().await?;
        let found: Option<i64> = on_conn!(conn.conn(), |c| {
            sqlx::query_scalar("SELECT id FROM alert_outbox WHERE receiver = $1 AND alert_key = $2")
                .bind(receiver)
                .bind(alert_key)
                .fetch_optional(c)
                .await?
        });
        Ok(found.is_some())
    }

    /// Records an acknowledged delivery.
    pub async fn delivered(&self, id: i64, now_ms: u64) -> Result<()> {
        self.update(
            "UPDATE alert_outbox SET delivered_at_ms = $2, attempts = attempts + 1, \
             last_error = NULL WHERE id = $1",
            id,
            now_ms as i64,
            None,
        )
        .await
    }

    /// Records a failed attempt; the alert is due again at `next_ms`.
    pub async fn retry(&self, id: i64, next_ms: u64, error: &str) -> Result<()> {
        self.update(
            "UPDATE alert_outbox SET next_attempt_ms = $2, attempts = attempts + 1, \
             last_error = $3 WHERE id = $1",
            id,
            next_ms as i64,
            Some(error),
        )
        .await
    }

    /// Gives an alert up after a failed attempt (it stays, counted and visible).
    pub async fn expire(&self, id: i64, now_ms: u64, error: &str) -> Result<()> {
        self.update(
            "UPDATE alert_outbox SET expired_at_ms = $2, attempts = attempts + 1, \
             last_error = $3 WHERE id = $1",
            id,
            now_ms as i64,
            Some(error),
        )
        .await
    }

    async fn update(&self, sql: &str, id: i64, at: i64, error: Option<&str>) -> Result<()> {
        let error = error.map(|e| diagnostic_text(e).into_owned());
        let mut tx = self.db.backend().begin_write().await?;
        on_conn!(tx.conn(), |c| {
            let q = sqlx::query(sql).bind(id).bind(at);
            let q = if error.is_some() { q.bind(&error) } else { q };
            q.execute(c).await?;
        });
        tx.commit().await
    }

    /// How many alerts are pending, delivered and expired.
    pub async fn counts(&self) -> Result<OutboxCounts> {
        let mut conn = self.db.backend().read().await?;
        let (pending, delivered, expired): (i64, i64, i64) = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT \
                 COUNT(*) FILTER (WHERE delivered_at_ms IS NULL AND expired_at_ms IS NULL), \
                 COUNT(*) FILTER (WHERE delivered_at_ms IS NOT NULL), \
                 COUNT(*) FILTER (WHERE expired_at_ms IS NOT NULL) FROM alert_outbox",
            )
            .fetch_one(c)
            .await?
        });
        Ok(OutboxCounts {
            pending: pending as u64,
            delivered: delivered as u64,
            expired: expired as u64,
        })
    }
}
