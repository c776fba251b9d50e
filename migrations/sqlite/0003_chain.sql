-- Chain mirror written by the oracle's indexer (docs/indexer.md): everything SlaOracle's events
-- say, as of the indexer's cursor.
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
    block_number INTEGER,
    block_hash   BLOB,
    timestamp_ms INTEGER
);
INSERT INTO chain_cursor (id) VALUES (1);

-- Recently processed blocks with their hashes: the end of every range and every block that had
-- events. If the chain's hash at one of them changes, everything after the newest one that still
-- matches is rolled back and read again. Pruned to a window behind the cursor.
CREATE TABLE chain_blocks (
    block_number INTEGER PRIMARY KEY,
    block_hash   BLOB    NOT NULL,
    timestamp_ms INTEGER NOT NULL
);

-- The contract's immutable configuration (ConfigInitialized); times and lengths in seconds.
CREATE TABLE chain_contract (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    admin                  TEXT    NOT NULL,
    genesis_time           INTEGER NOT NULL,
    epoch_length           INTEGER NOT NULL,
    submission_window      INTEGER NOT NULL,
    unbonding_delay        INTEGER NOT NULL,
    allocation_request_ttl INTEGER NOT NULL,
    block_number           INTEGER NOT NULL,
    log_index              INTEGER,
    tx_hash                BLOB
);

-- Oracle signer sets (OracleConfigSet), one per config version; the newest is in force.
CREATE TABLE chain_oracle_configs (
    config_version INTEGER PRIMARY KEY,
    signers        TEXT    NOT NULL,                     -- comma-separated, in the event's order
    quorum         INTEGER NOT NULL,
    block_number   INTEGER NOT NULL,
    log_index      INTEGER,
    tx_hash        BLOB
);
CREATE INDEX chain_oracle_configs_by_block ON chain_oracle_configs (block_number);

-- Providers: registration, reputation and stake after each change (ProviderRegistered, Bonded,
-- UnbondRequested, UnbondedWithdrawn, ReputationUpdated, PenaltyApplied).
CREATE TABLE chain_provider_versions (
    id                   INTEGER PRIMARY KEY,
    provider             TEXT    NOT NULL,
    provider_id          INTEGER NOT NULL,
    reputation           INTEGER NOT NULL,
    bonded               TEXT    NOT NULL,
    unbonding            TEXT    NOT NULL,
    unbonding_release_at INTEGER NOT NULL,               -- unix seconds, 0 = nothing unbonding
    block_number         INTEGER NOT NULL,
    log_index            INTEGER,
    tx_hash              BLOB
);
CREATE INDEX chain_provider_versions_by_provider ON chain_provider_versions (provider, id);
CREATE INDEX chain_provider_versions_by_block ON chain_provider_versions (block_number);

-- Withdrawable balances (credited by PenaltyApplied, emptied by Withdrawn).
CREATE TABLE chain_balance_versions (
    id           INTEGER PRIMARY KEY,
    account      TEXT    NOT NULL,
    withdrawable TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER,
    tx_hash      BLOB
);
CREATE INDEX chain_balance_versions_by_account ON chain_balance_versions (account, id);
CREATE INDEX chain_balance_versions_by_block ON chain_balance_versions (block_number);

-- SLA profiles (ProfilePublished, ProfileRetired); terms as sla_protocol::SlaTerms JSON.
CREATE TABLE chain_profile_versions (
    id           INTEGER PRIMARY KEY,
    profile_id   INTEGER NOT NULL,
    provider     TEXT    NOT NULL,
    terms_hash   BLOB    NOT NULL,
    terms_json   TEXT    NOT NULL,
    retired      INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER,
    tx_hash      BLOB
);
CREATE INDEX chain_profile_versions_by_profile ON chain_profile_versions (profile_id, id);
CREATE INDEX chain_profile_versions_by_block ON chain_profile_versions (block_number);

-- Allocations (AllocationRequested/Accepted/Declined/Closed, and the derived expiry of a request):
-- the `allocations` columns plus what only the chain knows. The newest version of each data unit
-- equals its `allocations` row.
CREATE TABLE chain_allocation_versions (
    id                    INTEGER PRIMARY KEY,
    data_unit             INTEGER NOT NULL,
    consumer              TEXT    NOT NULL,
    provider              TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    reporting_interval_ms INTEGER NOT NULL,
    terms_hash            BLOB    NOT NULL,
    terms_json            TEXT    NOT NULL,
    active_from_ms        INTEGER NOT NULL,
    closed_at_ms          INTEGER,
    profile_id            INTEGER NOT NULL,              -- 0 = the consumer's own terms
    requested_at_ms       INTEGER NOT NULL,
    expires_at_ms         INTEGER NOT NULL,
    active_from_epoch     INTEGER,
    closed_epoch          INTEGER,
    closed_by             TEXT,
    block_number          INTEGER NOT NULL,
    log_index             INTEGER,
    tx_hash               BLOB
);
CREATE INDEX chain_allocation_versions_by_data_unit ON chain_allocation_versions (data_unit, id);
CREATE INDEX chain_allocation_versions_by_block ON chain_allocation_versions (block_number);
-- Finds requests that may have expired at the end of each range.
CREATE INDEX allocations_by_status ON allocations (status);

-- Reporter keys (KeyRegistered, KeyRevoked; a rotation is both). The newest version of each key
-- equals its `reporter_keys` row.
CREATE TABLE chain_key_versions (
    id             INTEGER PRIMARY KEY,
    public_key     BLOB    NOT NULL,
    account        TEXT    NOT NULL,
    valid_from_ms  INTEGER NOT NULL,
    valid_until_ms INTEGER,
    block_number   INTEGER NOT NULL,
    log_index      INTEGER,
    tx_hash        BLOB
);
CREATE INDEX chain_key_versions_by_key ON chain_key_versions (public_key, id);
CREATE INDEX chain_key_versions_by_block ON chain_key_versions (block_number);

-- AccessControl roles (RoleGranted, RoleRevoked): membership after each change.
CREATE TABLE chain_role_versions (
    id           INTEGER PRIMARY KEY,
    role         BLOB    NOT NULL,
    account      TEXT    NOT NULL,
    member       INTEGER NOT NULL,
    sender       TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER,
    tx_hash      BLOB
);
CREATE INDEX chain_role_versions_by_role ON chain_role_versions (role, account, id);
CREATE INDEX chain_role_versions_by_block ON chain_role_versions (block_number);

-- Pause state (Paused, Unpaused).
CREATE TABLE chain_pause_versions (
    id           INTEGER PRIMARY KEY,
    paused       INTEGER NOT NULL,
    account      TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER,
    tx_hash      BLOB
);
CREATE INDEX chain_pause_versions_by_block ON chain_pause_versions (block_number);

-- Applied results (ResultApplied, unpacked): at most one per (data unit, epoch), as on chain.
CREATE TABLE chain_results (
    data_unit        INTEGER NOT NULL,
    epoch            INTEGER NOT NULL,
    read_latency_us  INTEGER NOT NULL,
    write_latency_us INTEGER NOT NULL,
    upload_bps       INTEGER NOT NULL,                   -- u64 as its two's-complement bit pattern
    download_bps     INTEGER NOT NULL,                   -- likewise
    uptime_bps       INTEGER NOT NULL,
    error_rate_bps   INTEGER NOT NULL,
    operations       INTEGER NOT NULL,
    violations       INTEGER NOT NULL,
    flags            INTEGER NOT NULL,
    reports_root     BLOB    NOT NULL,
    block_number     INTEGER NOT NULL,
    log_index        INTEGER,
    tx_hash          BLOB,
    PRIMARY KEY (data_unit, epoch)
);
CREATE INDEX chain_results_by_epoch ON chain_results (epoch);
CREATE INDEX chain_results_by_block ON chain_results (block_number);

-- Penalties moved from a provider's stake to a consumer (PenaltyApplied).
CREATE TABLE chain_penalties (
    data_unit      INTEGER NOT NULL,
    epoch          INTEGER NOT NULL,
    provider       TEXT    NOT NULL,
    consumer       TEXT    NOT NULL,
    amount         TEXT    NOT NULL,
    from_bonded    TEXT    NOT NULL,
    from_unbonding TEXT    NOT NULL,
    block_number   INTEGER NOT NULL,
    log_index      INTEGER,
    tx_hash        BLOB,
    PRIMARY KEY (data_unit, epoch)
);
CREATE INDEX chain_penalties_by_block ON chain_penalties (block_number);

-- Accepted result batches (ResultsSubmitted), one per submitResults transaction.
CREATE TABLE chain_result_batches (
    block_number   INTEGER NOT NULL,
    log_index      INTEGER NOT NULL,
    tx_hash        BLOB    NOT NULL,
    epoch          INTEGER NOT NULL,
    config_version INTEGER NOT NULL,
    results_hash   BLOB    NOT NULL,
    applied        INTEGER NOT NULL,
    skipped        INTEGER NOT NULL,
    submitter      TEXT    NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX chain_result_batches_by_epoch ON chain_result_batches (epoch);

-- Results the contract skipped as already applied (ResultSkipped).
CREATE TABLE chain_skipped_results (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    tx_hash      BLOB    NOT NULL,
    data_unit    INTEGER NOT NULL,
    epoch        INTEGER NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
