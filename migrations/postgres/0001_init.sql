-- Initial schema (PostgreSQL). Same tables and meaning as migrations/sqlite/0001_init.sql.
-- u64 values live in BIGINT; record byte counts, throughput and object sizes above 2^63-1 are
-- stored as their two's-complement bit pattern. `records` is range-partitioned by timestamp_ms;
-- this migration creates only the default partition, operators attach ranges (docs/storage.md).

CREATE TABLE allocations (
    data_unit             BIGINT  PRIMARY KEY,
    consumer              TEXT    NOT NULL,
    provider              TEXT    NOT NULL,
    status                TEXT    NOT NULL CHECK (status IN ('requested','active','declined','expired','closed')),
    reporting_interval_ms BIGINT  NOT NULL,
    terms_hash            BYTEA   NOT NULL,
    terms_json            TEXT    NOT NULL,
    active_from_ms        BIGINT  NOT NULL DEFAULT 0,
    closed_at_ms          BIGINT
);

CREATE TABLE reporter_keys (
    public_key     BYTEA  PRIMARY KEY,
    account        TEXT   NOT NULL,
    valid_from_ms  BIGINT NOT NULL,
    valid_until_ms BIGINT
);
CREATE INDEX reporter_keys_by_account ON reporter_keys (account);

CREATE TABLE reports (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash            BYTEA    NOT NULL UNIQUE,
    reporter_key    BYTEA    NOT NULL,
    role            BIGINT   NOT NULL,
    data_unit       BIGINT   NOT NULL,
    sequence        BIGINT   NOT NULL,
    period_start_ms BIGINT   NOT NULL,
    period_end_ms   BIGINT   NOT NULL,
    record_count    BIGINT   NOT NULL,
    payload         BYTEA    NOT NULL,
    signature       BYTEA    NOT NULL,
    received_at_ms  BIGINT   NOT NULL,
    -- The hash chain of each (data unit, key): also how a chain's head is found.
    UNIQUE (data_unit, reporter_key, sequence)
);

CREATE TABLE records (
    report_id      BIGINT   NOT NULL,
    data_unit      BIGINT   NOT NULL,
    role           SMALLINT NOT NULL,
    timestamp_ms   BIGINT   NOT NULL,
    operation      SMALLINT NOT NULL,
    custom_name    TEXT,
    custom_value   BIGINT,
    latency_us     BIGINT   NOT NULL,
    bytes          BIGINT   NOT NULL,
    throughput_bps BIGINT   NOT NULL,
    object_size    BIGINT   NOT NULL,
    success        BOOLEAN  NOT NULL,
    error_code     INTEGER  NOT NULL,
    error_detail   TEXT     NOT NULL
) PARTITION BY RANGE (timestamp_ms);
CREATE TABLE records_default PARTITION OF records DEFAULT;
CREATE INDEX records_by_data_unit_time ON records (data_unit, timestamp_ms);

CREATE TABLE equivocations (
    hash           BYTEA  PRIMARY KEY,
    reporter_key   BYTEA  NOT NULL,
    data_unit      BIGINT NOT NULL,
    sequence       BIGINT NOT NULL,
    accepted_hash  BYTEA  NOT NULL,
    payload        BYTEA  NOT NULL,
    signature      BYTEA  NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX equivocations_by_reporter ON equivocations (reporter_key, data_unit);
