-- Leaner report indexes (docs/storage.md, "Why these indexes"). Every report used to add an entry
-- to three B-trees keyed by something other than its arrival: the 32-byte hash, the
-- (data unit, 32-byte key, sequence) chain index and the records' (data unit, time) index. Each
-- is a random page to write, copy at checkpoint and often read back first; with 33-byte keys a
-- 1 KiB page held ~20 entries and split often. Measured with sla-storage-bench (2,048 chains):
-- ~95 µs of writer time per single-record report before, ~33 µs after (with 4 KiB pages for new
-- files, set by the connection).
--
-- - `chains` names each (data unit, reporter key) hash chain with a small integer, so the chain
--   index holds three small integers per report.
-- - Reports are found by hash through an index on the hash's first 8 bytes; the query also
--   compares the whole hash. A hash is unique because (chain, sequence) is and the hash covers
--   both.
-- - Records are indexed by their report (arrival order: appends only). A data unit's records in
--   a time range are found through its chains and their reports, whose periods bound every
--   record's timestamp (see `records_of_data_unit` in storage/src).

CREATE TABLE chains (
    id           INTEGER PRIMARY KEY,
    data_unit    INTEGER NOT NULL,
    reporter_key BLOB    NOT NULL,
    UNIQUE (data_unit, reporter_key)
);
INSERT INTO chains (data_unit, reporter_key)
    SELECT DISTINCT data_unit, reporter_key FROM reports ORDER BY data_unit, reporter_key;

-- SQLite cannot drop a table's UNIQUE constraints: the table is rebuilt, ids kept.
CREATE TABLE reports_new (
    id              INTEGER PRIMARY KEY,
    chain_id        INTEGER NOT NULL,                    -- chains.id
    hash            BLOB    NOT NULL,
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
    -- The hash chain: also how a chain's head is found.
    UNIQUE (chain_id, sequence)
);
INSERT INTO reports_new (id, chain_id, hash, reporter_key, role, data_unit, sequence,
                         period_start_ms, period_end_ms, record_count, payload, signature,
                         received_at_ms)
    SELECT r.id, c.id, r.hash, r.reporter_key, r.role, r.data_unit, r.sequence,
           r.period_start_ms, r.period_end_ms, r.record_count, r.payload, r.signature,
           r.received_at_ms
    FROM reports r JOIN chains c ON c.data_unit = r.data_unit AND c.reporter_key = r.reporter_key;
DROP TABLE reports;
ALTER TABLE reports_new RENAME TO reports;
CREATE INDEX reports_by_hash_prefix ON reports (substr(hash, 1, 8));

DROP INDEX records_by_data_unit_time;
CREATE INDEX records_by_report ON records (report_id);
