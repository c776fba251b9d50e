-- Signed reports exported to a file and removed from `reports` (`sla-oracle export-reports`,
-- docs/storage.md, "Export of signed reports"): what the report table's unique keys and the group
-- commit still need of them. Same table and meaning as migrations/postgres/0015.
CREATE TABLE exported_reports (
    report_chain_id INTEGER NOT NULL,
    sequence        INTEGER NOT NULL,
    hash            BLOB    NOT NULL,
    data_unit       INTEGER NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    exported_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (report_chain_id, sequence)
);
CREATE INDEX exported_reports_by_hash_prefix ON exported_reports (substr(hash, 1, 8));
