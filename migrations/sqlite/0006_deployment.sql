-- The deployment (chain id, contract address) whose reports and chain state this database holds.
-- Recorded by the first ingest API or oracle that opens the database; any later one configured
-- for another deployment refuses to start (reports signed for one contract must never be judged
-- against the mirror of another).
CREATE TABLE deployment (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    chain_id INTEGER NOT NULL,
    contract BLOB    NOT NULL
);
