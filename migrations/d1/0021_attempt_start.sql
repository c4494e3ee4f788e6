-- A publication's attempt is known before its platform call: the statement that takes it to
-- `publishing` records when the attempt started, and when the first one did. A publisher killed
-- mid-call leaves no attempt row behind, so these are what recovery decides from (a platform's
-- idempotency window is counted from the first try, never from "now").
ALTER TABLE publications ADD COLUMN attempt_started_at INTEGER;
ALTER TABLE publications ADD COLUMN first_attempt_at INTEGER;
UPDATE publications SET
    attempt_started_at = (SELECT MAX(a.started_at) FROM publication_attempts a WHERE a.publication_id = publications.id),
    first_attempt_at = (SELECT MIN(a.started_at) FROM publication_attempts a WHERE a.publication_id = publications.id);
-- A claim's progress (its publications taken or settled lately) tells a live queue from a lost one.
CREATE INDEX publications_claim ON publications (claim_id, updated_at);
-- Unconfirmed publications are settled oldest first try first.
CREATE INDEX publications_unconfirmed ON publications (status, first_attempt_at);
