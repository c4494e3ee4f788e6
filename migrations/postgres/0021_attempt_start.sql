-- The schema of migrations/d1/0021_attempt_start.sql, in Postgres.
ALTER TABLE publications ADD COLUMN attempt_started_at BIGINT;
ALTER TABLE publications ADD COLUMN first_attempt_at BIGINT;
-- The owner updates every workspace's rows, so row-level security is lifted for it while it
-- does, inside this migration's transaction.
ALTER TABLE publications NO FORCE ROW LEVEL SECURITY;
ALTER TABLE publication_attempts NO FORCE ROW LEVEL SECURITY;
UPDATE publications SET
    attempt_started_at = (SELECT MAX(a.started_at) FROM publication_attempts a WHERE a.publication_id = publications.id),
    first_attempt_at = (SELECT MIN(a.started_at) FROM publication_attempts a WHERE a.publication_id = publications.id);
ALTER TABLE publications FORCE ROW LEVEL SECURITY;
ALTER TABLE publication_attempts FORCE ROW LEVEL SECURITY;
CREATE INDEX publications_claim ON publications (claim_id, updated_at);
CREATE INDEX publications_unconfirmed ON publications (status, first_attempt_at);
