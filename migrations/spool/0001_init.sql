-- The probe agent's spool (cli/src/probe/spool.rs, docs/cli.md "Spool"): every record measured,
-- the reports built from them, and what the ingest API answered. `IF NOT EXISTS`: spools created
-- before the schema moved into this migration already hold these tables, and keep them.
CREATE TABLE IF NOT EXISTS meta (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp_ms INTEGER NOT NULL,
    operation INTEGER NOT NULL,
    custom_name TEXT,
    custom_value INTEGER,
    latency_us INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    throughput_bps INTEGER NOT NULL,
    object_size INTEGER NOT NULL,
    success INTEGER NOT NULL,
    error_code INTEGER NOT NULL,
    error_detail TEXT NOT NULL,
    -- the report that carries it; NULL while unreported
    report_sequence INTEGER,
    -- 1: older than the chain head's period end (clock went back, or the head was adopted from
    -- the ingest API), so no report can carry it; kept, never sent
    orphaned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS records_unreported ON records (timestamp_ms, id)
    WHERE report_sequence IS NULL AND orphaned = 0;
CREATE INDEX IF NOT EXISTS records_by_report ON records (report_sequence);
CREATE TABLE IF NOT EXISTS reports (
    sequence INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    prev_hash TEXT NOT NULL,
    period_start_ms INTEGER NOT NULL,
    period_end_ms INTEGER NOT NULL,
    record_count INTEGER NOT NULL,
    payload BLOB NOT NULL,
    signature BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at_ms INTEGER NOT NULL,
    sent_at_ms INTEGER
);
