-- The oracle's transactions (docs/oracle.md). Every step of a transaction's life is written here
-- before the next side effect: planned (nonce and results chosen) -> signed (raw bytes and hash
-- kept, so a restart re-sends the very same transaction) -> sent -> confirmed | failed; a stuck
-- transaction is superseded by a replacement (same nonce, higher fees) and marked replaced; a
-- transaction whose nonce was used by another sender is marked dropped and its results re-planned.
CREATE TABLE oracle_txs (
    id                       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nonce                    BIGINT  NOT NULL,
    epoch                    BIGINT  NOT NULL,
    state                    TEXT    NOT NULL CHECK (state IN
        ('planned', 'signed', 'sent', 'confirmed', 'failed', 'replaced', 'dropped')),
    packed_results           BYTEA   NOT NULL,   -- the 74-byte records submitted
    config_version           BIGINT  NOT NULL,
    signatures               BYTEA   NOT NULL,   -- 65-byte EIP-712 signatures, concatenated
    raw_tx                   BYTEA,               -- the signed EIP-1559 transaction
    tx_hash                  BYTEA,
    max_fee_per_gas          TEXT,               -- wei, decimal
    max_priority_fee_per_gas TEXT,
    gas_limit                BIGINT,
    sent_at_ms               BIGINT,
    block_number             BIGINT,
    gas_used                 BIGINT,
    error                    TEXT,
    created_at_ms            BIGINT  NOT NULL,
    updated_at_ms            BIGINT  NOT NULL
);
CREATE INDEX oracle_txs_by_state ON oracle_txs (state);
CREATE INDEX oracle_txs_by_nonce ON oracle_txs (nonce);

-- Which (data unit, epoch) results each transaction carries.
CREATE TABLE oracle_tx_results (
    tx_id     BIGINT  NOT NULL,
    data_unit BIGINT  NOT NULL,
    epoch     BIGINT  NOT NULL,
    PRIMARY KEY (tx_id, data_unit, epoch)
);
CREATE INDEX oracle_tx_results_by_result ON oracle_tx_results (data_unit, epoch);
