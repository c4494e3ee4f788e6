-- A person's iCalendar feed (SPEC CO-5): the scheduled and published posts of every workspace
-- they belong to, behind a secret URL. Only the token's SHA-256 is kept; a new token replaces
-- the old one (one feed per person), and deleting the row revokes it.
CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- The content calendar reads a workspace's publications by the time they are due.
CREATE INDEX publications_calendar ON publications (workspace_id, due_at);
