-- One name per concept: a reporter's hash chain of reports on a data unit is a "report chain"
-- ("chain" alone is the blockchain, as in the chain_* mirror tables and the deployment's
-- chain_id). Renames only; rows, ids, indexes and the identity sequence are kept.
ALTER TABLE chains RENAME TO report_chains;
ALTER TABLE reports RENAME COLUMN chain_id TO report_chain_id;
