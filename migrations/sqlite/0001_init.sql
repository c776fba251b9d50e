-- Initial schema (SQLite). u64 values are stored in INTEGER (i64) columns; record byte counts,
-- throughput and object sizes above 2^63-1 are stored as their two's-complement bit pattern
-- (read back with `as u64`). The signed payload is authoritative; parsed columns are for queries.

-- Allocations (data units) mirrored from the contract's events.
CREATE TABLE allocations (
    data_unit             INTEGER PRIMARY KEY,
    consumer              TEXT    NOT NULL,              -- lowercase 0x address
    provider              TEXT    NOT NULL,
    status                TEXT    NOT NULL CHECK (status IN ('requested','active','declined','expired','closed')),
    reporting_interval_ms INTEGER NOT NULL,
    terms_hash            BLOB    NOT NULL,
    terms_json            TEXT    NOT NULL,
    active_from_ms        INTEGER NOT NULL DEFAULT 0,
    closed_at_ms          INTEGER
);

-- Reporter ed25519 keys registered on chain, valid in [valid_from_ms, valid_until_ms).
CREATE TABLE reporter_keys (
    public_key     BLOB    PRIMARY KEY,
    account        TEXT    NOT NULL,
    valid_from_ms  INTEGER NOT NULL,
    valid_until_ms INTEGER
);
CREATE INDEX reporter_keys_by_account ON reporter_keys (account);

-- Every accepted report: the bytes as received plus parsed fields. `id` is the arrival order.
CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    hash            BLOB    NOT NULL UNIQUE,
    reporter_key    BLOB    NOT NULL,
    role            INTEGER NOT NULL,                    -- 1 consumer, 2 provider
    data_unit       INTEGER NOT NULL,
    sequence        INTEGER NOT NULL,
    period_start_ms INTEGER NOT NULL,
    period_end_ms   INTEGER NOT NULL,
    record_count    INTEGER NOT NULL,
    payload         BLOB    NOT NULL,
    signature       BLOB    NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    -- The hash chain of each (data unit, key): also how a chain's head is found.
    UNIQUE (data_unit, reporter_key, sequence)
);

-- One row per QoS record, queryable by data unit and time.
CREATE TABLE records (
    report_id      INTEGER NOT NULL,                     -- reports.id (no FK: checked by the writer, faster inserts)
    data_unit      INTEGER NOT NULL,
    role           INTEGER NOT NULL,
    timestamp_ms   INTEGER NOT NULL,
    operation      INTEGER NOT NULL,                     -- format v1 operation tag
    custom_name    TEXT,
    custom_value   INTEGER,
    latency_us     INTEGER NOT NULL,
    bytes          INTEGER NOT NULL,
    throughput_bps INTEGER NOT NULL,
    object_size    INTEGER NOT NULL,
    success        INTEGER NOT NULL,
    error_code     INTEGER NOT NULL,
    error_detail   TEXT    NOT NULL
);
CREATE INDEX records_by_data_unit_time ON records (data_unit, timestamp_ms);

-- Signed reports that reused an accepted (key, data unit, sequence) with other bytes.
CREATE TABLE equivocations (
    hash           BLOB    PRIMARY KEY,
    reporter_key   BLOB    NOT NULL,
    data_unit      INTEGER NOT NULL,
    sequence       INTEGER NOT NULL,
    accepted_hash  BLOB    NOT NULL,
    payload        BLOB    NOT NULL,
    signature      BLOB    NOT NULL,
    received_at_ms INTEGER NOT NULL
);
CREATE INDEX equivocations_by_reporter ON equivocations (reporter_key, data_unit);
