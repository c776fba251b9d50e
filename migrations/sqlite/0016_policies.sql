-- Penalty policies (docs/policy.md), mirrored from the SlaPolicies contract beside the oracle.
-- A proposal (PolicyProposed) carries the whole policy; an agreement (PolicyAgreed) names a
-- proposal by hash, and the indexer copies the proposal's policy into the agreed row, which the
-- aggregator reads. Both are facts of their block: a reorg deletes those of later blocks.
CREATE TABLE chain_policy_proposals (
    data_unit    INTEGER NOT NULL,
    proposer     TEXT    NOT NULL,
    policy_hash  BLOB    NOT NULL,
    policy_json  TEXT    NOT NULL,                   -- sla_protocol::policy::Policy as JSON
    block_number INTEGER NOT NULL,
    log_index    INTEGER,
    tx_hash      BLOB
);
CREATE INDEX chain_policy_proposals_by_unit ON chain_policy_proposals (data_unit, policy_hash);
CREATE INDEX chain_policy_proposals_by_block ON chain_policy_proposals (block_number);

-- At most one agreed policy per data unit: the contract never changes it.
CREATE TABLE chain_policies (
    data_unit    INTEGER PRIMARY KEY,
    policy_hash  BLOB    NOT NULL,
    from_epoch   INTEGER NOT NULL,                   -- the first epoch it judges
    agreed_by    TEXT    NOT NULL,
    policy_json  TEXT    NOT NULL,
    block_number INTEGER NOT NULL,
    log_index    INTEGER,
    tx_hash      BLOB
);
CREATE INDEX chain_policies_by_block ON chain_policies (block_number);
