-- Chain mirror written by the oracle's indexer (docs/indexer.md): everything SlaOracle's events
-- say, as of the indexer's cursor. Same tables and meaning as migrations/sqlite/0003_chain.sql;
-- `id` columns are identities (increasing in insertion order, i.e. chain order).
--
-- Every mirrored row names the block it came from (`block_number`, and `log_index` and `tx_hash`
-- of the event; both NULL for a derived change such as a request expiring), so that a reorg is
-- undone by deleting the rows of the blocks after the last block still on the chain. State that
-- changes (providers, balances, profiles, allocations, keys, roles, pause) is therefore kept as
-- versions: one row per change holding the whole state after it, `id` in chain order; the current
-- state is the newest version. `allocations` and `reporter_keys` (0001) remain the current rows the
-- ingest API judges reports against; after a rollback they are rebuilt from the newest remaining
-- version. Amounts are wei as decimal TEXT (they exceed 64 bits); times are unix ms unless named
-- otherwise; addresses are lowercase 0x hex.

-- Where the indexer stands: the last block whose events are all applied (NULLs before the first
-- range). Written in the same transaction as the range's rows.
CREATE TABLE chain_cursor (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    block_number BIGINT,
    block_hash   BYTEA,
    timestamp_ms BIGINT
);
INSERT INTO chain_cursor (id) VALUES (1);

-- Recently processed blocks with their hashes: the end of every range and every block that had
-- events. If the chain's hash at one of them changes, everything after the newest one that still
-- matches is rolled back and read again. Pruned to a window behind the cursor.
CREATE TABLE chain_blocks (
    block_number BIGINT  PRIMARY KEY,
    block_hash   BYTEA   NOT NULL,
    timestamp_ms BIGINT  NOT NULL
);

-- The contract's immutable configuration (ConfigInitialized); times and lengths in seconds.
CREATE TABLE chain_contract (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    admin                  TEXT    NOT NULL,
    genesis_time           BIGINT  NOT NULL,
    epoch_length           BIGINT  NOT NULL,
    submission_window      BIGINT  NOT NULL,
    unbonding_delay        BIGINT  NOT NULL,
    allocation_request_ttl BIGINT  NOT NULL,
    block_number           BIGINT  NOT NULL,
    log_index              BIGINT,
    tx_hash                BYTEA
);

-- Oracle signer sets (OracleConfigSet), one per config version; the newest is in force.
CREATE TABLE chain_oracle_configs (
    config_version BIGINT  PRIMARY KEY,
    signers        TEXT    NOT NULL,                     -- comma-separated, in the event's order
    quorum         BIGINT  NOT NULL,
    block_number   BIGINT  NOT NULL,
    log_index      BIGINT,
    tx_hash        BYTEA
);
CREATE INDEX chain_oracle_configs_by_block ON chain_oracle_configs (block_number);

-- Providers: registration, reputation and stake after each change (ProviderRegistered, Bonded,
-- UnbondRequested, UnbondedWithdrawn, ReputationUpdated, PenaltyApplied).
CREATE TABLE chain_provider_versions (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider             TEXT    NOT NULL,
    provider_id          BIGINT  NOT NULL,
    reputation           BIGINT  NOT NULL,
    bonded               TEXT    NOT NULL,
    unbonding            TEXT    NOT NULL,
    unbonding_release_at BIGINT  NOT NULL,               -- unix seconds, 0 = nothing unbonding
    block_number         BIGINT  NOT NULL,
    log_index            BIGINT,
    tx_hash              BYTEA
);
CREATE INDEX chain_provider_versions_by_provider ON chain_provider_versions (provider, id);
CREATE INDEX chain_provider_versions_by_block ON chain_provider_versions (block_number);

-- Withdrawable balances (credited by PenaltyApplied, emptied by Withdrawn).
CREATE TABLE chain_balance_versions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account      TEXT    NOT NULL,
    withdrawable TEXT    NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT,
    tx_hash      BYTEA
);
CREATE INDEX chain_balance_versions_by_account ON chain_balance_versions (account, id);
CREATE INDEX chain_balance_versions_by_block ON chain_balance_versions (block_number);

-- SLA profiles (ProfilePublished, ProfileRetired); terms as sla_protocol::SlaTerms JSON.
CREATE TABLE chain_profile_versions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile_id   BIGINT  NOT NULL,
    provider     TEXT    NOT NULL,
    terms_hash   BYTEA   NOT NULL,
    terms_json   TEXT    NOT NULL,
    retired      BOOLEAN NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT,
    tx_hash      BYTEA
);
CREATE INDEX chain_profile_versions_by_profile ON chain_profile_versions (profile_id, id);
CREATE INDEX chain_profile_versions_by_block ON chain_profile_versions (block_number);

-- Allocations (AllocationRequested/Accepted/Declined/Closed, and the derived expiry of a request):
-- the `allocations` columns plus what only the chain knows. The newest version of each data unit
-- equals its `allocations` row.
CREATE TABLE chain_allocation_versions (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    data_unit             BIGINT  NOT NULL,
    consumer              TEXT    NOT NULL,
    provider              TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    reporting_interval_ms BIGINT  NOT NULL,
    terms_hash            BYTEA   NOT NULL,
    terms_json            TEXT    NOT NULL,
    active_from_ms        BIGINT  NOT NULL,
    closed_at_ms          BIGINT,
    profile_id            BIGINT  NOT NULL,              -- 0 = the consumer's own terms
    requested_at_ms       BIGINT  NOT NULL,
    expires_at_ms         BIGINT  NOT NULL,
    active_from_epoch     BIGINT,
    closed_epoch          BIGINT,
    closed_by             TEXT,
    block_number          BIGINT  NOT NULL,
    log_index             BIGINT,
    tx_hash               BYTEA
);
CREATE INDEX chain_allocation_versions_by_data_unit ON chain_allocation_versions (data_unit, id);
CREATE INDEX chain_allocation_versions_by_block ON chain_allocation_versions (block_number);
-- Finds requests that may have expired at the end of each range.
CREATE INDEX allocations_by_status ON allocations (status);

-- Reporter keys (KeyRegistered, KeyRevoked; a rotation is both). The newest version of each key
-- equals its `reporter_keys` row.
CREATE TABLE chain_key_versions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_key     BYTEA   NOT NULL,
    account        TEXT    NOT NULL,
    valid_from_ms  BIGINT  NOT NULL,
    valid_until_ms BIGINT,
    block_number   BIGINT  NOT NULL,
    log_index      BIGINT,
    tx_hash        BYTEA
);
CREATE INDEX chain_key_versions_by_key ON chain_key_versions (public_key, id);
CREATE INDEX chain_key_versions_by_block ON chain_key_versions (block_number);

-- AccessControl roles (RoleGranted, RoleRevoked): membership after each change.
CREATE TABLE chain_role_versions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role         BYTEA   NOT NULL,
    account      TEXT    NOT NULL,
    member       BOOLEAN NOT NULL,
    sender       TEXT    NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT,
    tx_hash      BYTEA
);
CREATE INDEX chain_role_versions_by_role ON chain_role_versions (role, account, id);
CREATE INDEX chain_role_versions_by_block ON chain_role_versions (block_number);

-- Pause state (Paused, Unpaused).
CREATE TABLE chain_pause_versions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    paused       BOOLEAN NOT NULL,
    account      TEXT    NOT NULL,
    block_number BIGINT  NOT NULL,
    log_index    BIGINT,
    tx_hash      BYTEA
);
CREATE INDEX chain_pause_versions_by_block ON chain_pause_versions (block_number);

-- Applied results (ResultApplied, unpacked): at most one per (data unit, epoch), as on chain.
CREATE TABLE chain_results (
    data_unit        BIGINT  NOT NULL,
    epoch            BIGINT  NOT NULL,
    read_latency_us  BIGINT  NOT NULL,
    write_latency_us BIGINT  NOT NULL,
    upload_bps       BIGINT  NOT NULL,                   -- u64 as its two's-complement bit pattern
    download_bps     BIGINT  NOT NULL,                   -- likewise
    uptime_bps       BIGINT  NOT NULL,
    error_rate_bps   BIGINT  NOT NULL,
    operations       BIGINT  NOT NULL,
    violations       BIGINT  NOT NULL,
    flags            BIGINT  NOT NULL,
    reports_root     BYTEA   NOT NULL,
    block_number     BIGINT  NOT NULL,
    log_index        BIGINT,
    tx_hash          BYTEA,
    PRIMARY KEY (data_unit, epoch)
);
CREATE INDEX chain_results_by_epoch ON chain_results (epoch);
CREATE INDEX chain_results_by_block ON chain_results (block_number);

-- Penalties moved from a provider's stake to a consumer (PenaltyApplied).
CREATE TABLE chain_penalties (
    data_unit      BIGINT  NOT NULL,
    epoch          BIGINT  NOT NULL,
    provider       TEXT    NOT NULL,
    consumer       TEXT    NOT NULL,
    amount         TEXT    NOT NULL,
    from_bonded    TEXT    NOT NULL,
    from_unbonding TEXT    NOT NULL,
    block_number   BIGINT  NOT NULL,
    log_index      BIGINT,
    tx_hash        BYTEA,
    PRIMARY KEY (data_unit, epoch)
);
CREATE INDEX chain_penalties_by_block ON chain_penalties (block_number);

-- Accepted result batches (ResultsSubmitted), one per submitResults transaction.
CREATE TABLE chain_result_batches (
    block_number   BIGINT  NOT NULL,
    log_index      BIGINT  NOT NULL,
    tx_hash        BYTEA   NOT NULL,
    epoch          BIGINT  NOT NULL,
    config_version BIGINT  NOT NULL,
    results_hash   BYTEA   NOT NULL,
    applied        BIGINT  NOT NULL,
    skipped        BIGINT  NOT NULL,
    submitter      TEXT    NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX chain_result_batches_by_epoch ON chain_result_batches (epoch);

-- Results the contract skipped as already applied (ResultSkipped).
CREATE TABLE chain_skipped_results (
    block_number BIGINT  NOT NULL,
    log_index    BIGINT  NOT NULL,
    tx_hash      BYTEA   NOT NULL,
    data_unit    BIGINT  NOT NULL,
    epoch        BIGINT  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
