-- Alert subscriptions and maintenance windows, declared through the ingest API's signed routes
-- (docs/alerts.md, docs/ingest-api.md). Rows are never deleted: a subscription is deleted and a
-- window cancelled by a time stamp, so what was in force at any moment stays visible.
CREATE TABLE alert_subscriptions (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner         TEXT    NOT NULL,            -- the signing account, lowercase 0x hex
    channel       TEXT    NOT NULL,            -- webhook, slack, discord or telegram
    target        TEXT,                        -- webhook URL or Telegram chat id; NULL for slack/discord
    secret        TEXT    NOT NULL,            -- HMAC secret, chat webhook URL or bot token: never answered
    filters_json  TEXT    NOT NULL,            -- {"rules":[…],"providers":[…]|null,"data_units":[…]|null}
    created_at_ms BIGINT  NOT NULL,
    deleted_at_ms BIGINT
);
CREATE INDEX alert_subscriptions_owner ON alert_subscriptions (owner) WHERE deleted_at_ms IS NULL;

-- Replay protection: each (account, nonce) of a signed request is taken once, in the same
-- transaction as what the request writes, so a refused request takes none.
CREATE TABLE signed_request_nonces (
    owner        TEXT    NOT NULL,
    nonce        TEXT    NOT NULL,
    message_hash BYTEA   NOT NULL,             -- SHA-256 of the signed message, for inspection
    used_at_ms   BIGINT  NOT NULL,
    PRIMARY KEY (owner, nonce)
);

CREATE TABLE maintenance_windows (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner           TEXT    NOT NULL,          -- the signing account (the provider)
    provider        TEXT    NOT NULL,
    data_unit       BIGINT,                    -- NULL: every data unit of the provider
    from_ms         BIGINT  NOT NULL,
    until_ms        BIGINT  NOT NULL,
    reason          TEXT    NOT NULL,
    created_at_ms   BIGINT  NOT NULL,
    cancelled_at_ms BIGINT
);
CREATE INDEX maintenance_windows_until ON maintenance_windows (until_ms);
CREATE INDEX maintenance_windows_provider ON maintenance_windows (provider, until_ms);
