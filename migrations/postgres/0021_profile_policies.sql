-- Penalty policies offered on SLA profiles (docs/policy.md), mirrored from SlaPolicies'
-- ProfilePolicyOffered: the whole policy, which a consumer adopts by hash for an allocation made
-- from the profile (the adoption is a PolicyAgreed, whose policy the indexer finds here when no
-- proposal of the data unit has its hash). Facts of their block: a reorg deletes those of later
-- blocks.
CREATE TABLE chain_profile_policies (
    profile_id   BIGINT  NOT NULL,
    provider     TEXT    NOT NULL,
    policy_hash  BYTEA   NOT NULL,
    policy_json  TEXT    NOT NULL,                   -- sla_protocol::policy::Policy as JSON
    block_number BIGINT  NOT NULL,
    log_index    BIGINT,
    tx_hash      BYTEA
);
CREATE INDEX chain_profile_policies_by_hash ON chain_profile_policies (policy_hash);
CREATE INDEX chain_profile_policies_by_block ON chain_profile_policies (block_number);
