-- A counter bumped by every change to the mirrored chain state (allocations, reporter keys), so
-- that a writer caching that state can tell within its own transaction whether the cache is
-- still current, whoever made the change. Same meaning as migrations/sqlite/0002.
CREATE TABLE mirror_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);
INSERT INTO mirror_version (id, version) VALUES (1, 0);

CREATE FUNCTION bump_mirror_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE mirror_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER allocations_bump AFTER INSERT OR UPDATE OR DELETE ON allocations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_mirror_version();
CREATE TRIGGER reporter_keys_bump AFTER INSERT OR UPDATE OR DELETE ON reporter_keys
    FOR EACH STATEMENT EXECUTE FUNCTION bump_mirror_version();
