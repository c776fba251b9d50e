-- A record's error detail is UTF-8 text in which every code point is allowed, NUL included
-- (docs/report-format.md, section 3). PostgreSQL's text type refuses NUL: a valid signed report
-- carrying one made the whole group commit fail. The detail is kept as the bytes of the signed
-- text instead (SQLite's TEXT keeps NUL and needs no change). Existing rows convert losslessly.
ALTER TABLE records ALTER COLUMN error_detail TYPE BYTEA USING convert_to(error_detail, 'UTF8');
