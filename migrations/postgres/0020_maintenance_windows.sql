-- Announced maintenance windows (docs/policy.md), mirrored from the SlaPolicies contract. A
-- window (MaintenanceAnnounced) and its cancellation (MaintenanceCancelled) are facts of their
-- blocks, kept apart so that a reorg deletes either with its block; the windows in force are the
-- announced ones without a cancellation. Times in Unix seconds, [start_s, end_s).
CREATE TABLE chain_maintenance_windows (
    data_unit    BIGINT  NOT NULL,
    idx          BIGINT  NOT NULL,                   -- its index in the data unit's list on chain
    start_s      BIGINT  NOT NULL,
    end_s        BIGINT  NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT,
    tx_hash      BYTEA,
    PRIMARY KEY (data_unit, idx)
);
CREATE INDEX chain_maintenance_windows_by_block ON chain_maintenance_windows (block_number);

CREATE TABLE chain_maintenance_cancellations (
    data_unit    BIGINT  NOT NULL,
    idx          BIGINT  NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT,
    tx_hash      BYTEA,
    PRIMARY KEY (data_unit, idx)
);
CREATE INDEX chain_maintenance_cancellations_by_block ON chain_maintenance_cancellations (block_number);
