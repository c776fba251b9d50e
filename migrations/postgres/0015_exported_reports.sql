-- Signed reports exported to a file and removed from `reports` (`sla-oracle export-reports`,
-- docs/storage.md, "Export of signed reports"): what the report table's unique keys and the group
-- commit still need of them. A resend of an exported report is then answered as the resend it is
-- (its original acknowledgement), not as an equivocation against a missing sequence, and an
-- equivocation at an exported sequence names the report that was accepted there. About 70 bytes
-- a report, against the payload, signature and records that leave.
CREATE TABLE exported_reports (
    report_chain_id BIGINT NOT NULL,
    sequence        BIGINT NOT NULL,
    hash            BYTEA  NOT NULL,
    data_unit       BIGINT NOT NULL,
    received_at_ms  BIGINT NOT NULL,
    exported_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (report_chain_id, sequence)
);
CREATE INDEX exported_reports_by_hash_prefix ON exported_reports (substring(hash FROM 1 FOR 8));
