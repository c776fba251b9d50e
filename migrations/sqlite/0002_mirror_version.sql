-- A counter bumped by every change to the mirrored chain state (allocations, reporter keys), so
-- that a writer caching that state can tell within its own transaction whether the cache is
-- still current, whoever made the change.
CREATE TABLE mirror_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO mirror_version (id, version) VALUES (1, 0);

CREATE TRIGGER allocations_insert_bumps AFTER INSERT ON allocations
BEGIN UPDATE mirror_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER allocations_update_bumps AFTER UPDATE ON allocations
BEGIN UPDATE mirror_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER allocations_delete_bumps AFTER DELETE ON allocations
BEGIN UPDATE mirror_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER reporter_keys_insert_bumps AFTER INSERT ON reporter_keys
BEGIN UPDATE mirror_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER reporter_keys_update_bumps AFTER UPDATE ON reporter_keys
BEGIN UPDATE mirror_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER reporter_keys_delete_bumps AFTER DELETE ON reporter_keys
BEGIN UPDATE mirror_version SET version = version + 1 WHERE id = 1; END;
