-- Report payloads are signed bytes that are stored once and read whole. PostgreSQL compressed
-- every payload over ~2 KB with pglz before storing it (measured: 15 % of the database's CPU
-- with 100-record reports) for little gain. Keep them uncompressed, and inline up to a page, so
-- that a report row is written in one piece; larger payloads still go out of line (TOAST),
-- uncompressed.
ALTER TABLE reports ALTER COLUMN payload SET STORAGE EXTERNAL;
ALTER TABLE reports SET (toast_tuple_target = 8160);
