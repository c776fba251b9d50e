-- `reports` range-partitioned by `id` (docs/storage.md, "Partitions of `reports`").
--
-- Ids are drawn in arrival order (the writer draws them under an advisory lock), so a range of
-- ids is a span of time, and, unlike the time a replica stamps, the partition key is unique:
-- `id` stays the table's primary key and the aggregator's cursor prunes to the partitions after
-- it. A partitioned table cannot enforce a unique key without its partition key, so what must be
-- unique across partitions moves to `report_keys`: one row per report ever accepted, keyed by
-- (report chain, sequence). The group commit writes it with one more `COPY` (a lost race between
-- replicas is still a unique violation there, on any partition), and it stays when a partition
-- is dropped after its reports were exported, so that a resend of an exported report is still
-- recognised: it absorbs `exported_reports`, which becomes a view of it (exported_at_ms set).
--
-- The existing table becomes the first partition (ids below the next one to be drawn) without a
-- copy; attaching it scans it once, under this migration's lock (docs/storage.md says what an
-- operator with a big table does). New ids land in `reports_default` until the oracle makes
-- partitions ahead.

CREATE TABLE report_keys (
    report_chain_id BIGINT NOT NULL,
    sequence        BIGINT NOT NULL,
    hash            BYTEA  NOT NULL,
    data_unit       BIGINT NOT NULL,
    received_at_ms  BIGINT NOT NULL,
    -- Set when the report was exported to a file (then deleted, or dropped with its partition).
    exported_at_ms  BIGINT,
    PRIMARY KEY (report_chain_id, sequence)
);
INSERT INTO report_keys (report_chain_id, sequence, hash, data_unit, received_at_ms)
    SELECT report_chain_id, sequence, hash, data_unit, received_at_ms FROM reports;
INSERT INTO report_keys
    SELECT report_chain_id, sequence, hash, data_unit, received_at_ms, exported_at_ms
    FROM exported_reports;
-- Reports in `reports` are found by hash through their partitions' index; only exported ones
-- are looked up here, and ingest (exported_at_ms NULL) writes nothing into this index.
CREATE INDEX report_keys_exported_by_hash_prefix ON report_keys (substring(hash FROM 1 FOR 8))
    WHERE exported_at_ms IS NOT NULL;
DROP TABLE exported_reports;
CREATE VIEW exported_reports AS
    SELECT report_chain_id, sequence, hash, data_unit, received_at_ms, exported_at_ms
    FROM report_keys WHERE exported_at_ms IS NOT NULL;

-- The old table, renamed, with its own names out of the way; its uniqueness now lives in
-- report_keys. Its identity sequence goes with the identity: a plain sequence of the same name
-- takes over at the same place (the writer draws ids with nextval('reports_id_seq')).
DO $$
DECLARE
    next_id BIGINT;
BEGIN
    SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END INTO next_id
        FROM reports_id_seq;
    ALTER TABLE reports DROP CONSTRAINT reports_chain_sequence_key;
    ALTER TABLE reports ALTER COLUMN id DROP IDENTITY;
    ALTER TABLE reports RENAME TO reports_initial;
    ALTER INDEX reports_pkey RENAME TO reports_initial_pkey;
    ALTER INDEX reports_by_hash_prefix RENAME TO reports_initial_by_hash_prefix;
    CREATE SEQUENCE reports_id_seq AS BIGINT;
    PERFORM setval('reports_id_seq', next_id, false);

    CREATE TABLE reports (
        id              BIGINT NOT NULL DEFAULT nextval('reports_id_seq'),
        hash            BYTEA  NOT NULL,
        reporter_key    BYTEA  NOT NULL,
        role            BIGINT NOT NULL,
        data_unit       BIGINT NOT NULL,
        sequence        BIGINT NOT NULL,
        period_start_ms BIGINT NOT NULL,
        period_end_ms   BIGINT NOT NULL,
        record_count    BIGINT NOT NULL,
        payload         BYTEA  NOT NULL,
        signature       BYTEA  NOT NULL,
        received_at_ms  BIGINT NOT NULL,
        report_chain_id BIGINT NOT NULL,
        PRIMARY KEY (id)
    ) PARTITION BY RANGE (id);
    ALTER SEQUENCE reports_id_seq OWNED BY reports.id;
    -- As 0006: payloads inline up to a page, uncompressed (each partition also gets
    -- toast_tuple_target = 8160, a per-table setting a partitioned table cannot hold).
    ALTER TABLE reports ALTER COLUMN payload SET STORAGE EXTERNAL;
    -- Local to each partition: the report chain (heads, a data unit's reports) and the hash.
    CREATE INDEX reports_by_chain_sequence ON reports (report_chain_id, sequence);
    CREATE INDEX reports_by_hash_prefix ON reports (substring(hash FROM 1 FOR 8));

    -- The existing rows stay where they are: the old table is the partition of every id drawn
    -- so far. Its hash-prefix index is adopted; the chain index is built on it.
    EXECUTE format('ALTER TABLE reports ATTACH PARTITION reports_initial '
                   'FOR VALUES FROM (MINVALUE) TO (%s)', next_id);
    EXECUTE 'CREATE TABLE reports_default PARTITION OF reports DEFAULT '
            'WITH (toast_tuple_target = 8160)';
END
$$;
