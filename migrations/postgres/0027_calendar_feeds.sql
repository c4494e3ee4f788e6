-- A person's iCalendar feed (SPEC CO-5): the scheduled and published posts of every workspace
-- they belong to, behind a secret URL. Only the token's SHA-256 is kept; a new token replaces
-- the old one (one feed per person), and deleting the row revokes it. Like sessions, the table
-- is a person's, not a tenant's: the statements name the user or the token's hash.
CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_feeds TO herald_app;

-- The content calendar reads a workspace's publications by the time they are due.
CREATE INDEX publications_calendar ON publications (workspace_id, due_at);
