-- Alerts (docs/alerts.md): every alert is written here, one row per receiver, before any delivery
-- is tried; the delivery loop retries it with backoff until the receiver acknowledges it (2xx)
-- or it expires. (receiver, alert_key) is unique: a rule that finds the same condition again
-- writes nothing, and the key is the delivery's idempotency key.
CREATE TABLE alert_outbox (
    id              INTEGER PRIMARY KEY,
    receiver        TEXT    NOT NULL,
    alert_key       TEXT    NOT NULL,
    rule            TEXT    NOT NULL,
    severity        TEXT    NOT NULL,
    body            TEXT    NOT NULL,            -- the alert as JSON, exactly as delivered
    created_at_ms   INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    delivered_at_ms INTEGER,
    expired_at_ms   INTEGER,
    last_error      TEXT,
    UNIQUE (receiver, alert_key)
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_ms)
    WHERE delivered_at_ms IS NULL AND expired_at_ms IS NULL;
