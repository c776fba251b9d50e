-- Report exchange between the oracle nodes of a committee (docs/committee.md): how far this node
-- has judged each peer's feed of reports (`after_id`, an arrival id of the peer's), and what the
-- peer served: reports this node lacked and stored, and reports it refused (a bad signature or a
-- broken acceptance rule: counted against the peer).
CREATE TABLE peer_cursors (
    peer          TEXT    PRIMARY KEY,             -- the peer's name in this node's configuration
    after_id      BIGINT  NOT NULL,
    stored        BIGINT  NOT NULL DEFAULT 0,
    rejected      BIGINT  NOT NULL DEFAULT 0,
    updated_at_ms BIGINT  NOT NULL
);
