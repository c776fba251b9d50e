-- The oracle's transactions (docs/oracle.md). Every step of a transaction's life is written here
-- before the next side effect: planned (nonce and results chosen) -> signed (raw bytes and hash
-- kept, so a restart re-sends the very same transaction) -> sent -> confirmed | failed; a stuck
-- transaction is superseded by a replacement (same nonce, higher fees) and marked replaced; a
-- transaction whose nonce was used by another sender is marked dropped and its results re-planned.
CREATE TABLE oracle_txs (
    id                       INTEGER PRIMARY KEY,
    nonce                    INTEGER NOT NULL,
    epoch                    INTEGER NOT NULL,
    state                    TEXT    NOT NULL CHECK (state IN
        ('planned', 'signed', 'sent', 'confirmed', 'failed', 'replaced', 'dropped')),
    packed_results           BLOB    NOT NULL,   -- the 74-byte records submitted
    config_version           INTEGER NOT NULL,
    signatures               BLOB    NOT NULL,   -- 65-byte EIP-712 signatures, concatenated
    raw_tx                   BLOB,               -- the signed EIP-1559 transaction
    tx_hash                  BLOB,
    max_fee_per_gas          TEXT,               -- wei, decimal
    max_priority_fee_per_gas TEXT,
    gas_limit                INTEGER,
    sent_at_ms               INTEGER,
    block_number             INTEGER,
    gas_used                 INTEGER,
    error                    TEXT,
    created_at_ms            INTEGER NOT NULL,
    updated_at_ms            INTEGER NOT NULL
);
CREATE INDEX oracle_txs_by_state ON oracle_txs (state);
CREATE INDEX oracle_txs_by_nonce ON oracle_txs (nonce);

-- Which (data unit, epoch) results each transaction carries.
CREATE TABLE oracle_tx_results (
    tx_id     INTEGER NOT NULL,
    data_unit INTEGER NOT NULL,
    epoch     INTEGER NOT NULL,
    PRIMARY KEY (tx_id, data_unit, epoch)
);
CREATE INDEX oracle_tx_results_by_result ON oracle_tx_results (data_unit, epoch);
