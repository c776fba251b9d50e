-- Roll-ups of the aggregator (docs/aggregation.md): one row per data unit and epoch, with the
-- mergeable accumulator (so a run only reads reports that arrived since the last one), the
-- derived summary, and the verdict once the epoch is final.

-- Where the aggregator stands: the last report id (arrival order) it has counted.
CREATE TABLE aggregator_cursor (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    last_report_id INTEGER NOT NULL
);
INSERT INTO aggregator_cursor (id, last_report_id) VALUES (1, 0);

CREATE TABLE epoch_rollups (
    data_unit     INTEGER NOT NULL,
    epoch         INTEGER NOT NULL,
    -- open: still accepting reports (before the epoch's end + grace); final: verdict computed,
    -- ready to submit; submitted: applied on chain (set by the oracle); expired: the contract
    -- refused it for good (e.g. its submission window passed), see the oracle's logs.
    status        TEXT    NOT NULL CHECK (status IN ('open', 'final', 'submitted', 'expired')),
    accumulator   BLOB    NOT NULL,   -- EpochAccumulator::encode()
    summary       BLOB    NOT NULL,   -- EpochSummary::encode(): the canonical bytes parties compare
    summary_json  TEXT    NOT NULL,   -- the same summary as JSON, for the API and windows
    reports_root  BLOB    NOT NULL,   -- SHA-256 Merkle root of the reports used
    report_count  INTEGER NOT NULL,
    verdict_json  TEXT,               -- EpochVerdict as JSON once final
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (data_unit, epoch)
);
CREATE INDEX epoch_rollups_by_status ON epoch_rollups (status, epoch);

-- Reports that arrived for an epoch that was already final or submitted: stored, not counted.
CREATE TABLE uncounted_reports (
    report_id INTEGER NOT NULL,
    data_unit INTEGER NOT NULL,
    epoch     INTEGER NOT NULL,
    reason    TEXT    NOT NULL,
    PRIMARY KEY (report_id, epoch)
);
CREATE INDEX uncounted_reports_by_unit ON uncounted_reports (data_unit, epoch);
