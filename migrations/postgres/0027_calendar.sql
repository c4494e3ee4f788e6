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

-- Calendar events: a workspace's (workspace_id set) or a person's own (user_id set). Start and
-- end are local to the zone (a date for an all-day event); recurrence is the rule as JSON.
-- first_at and last_at (UTC ms; last_at NULL while the rule repeats without end) select the
-- events of a range. A workspace's events are its tenant's; a person's are theirs alone.
CREATE TABLE calendar_events (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    description  TEXT,
    all_day      BIGINT NOT NULL,
    starts       TEXT NOT NULL,
    ends         TEXT NOT NULL,
    timezone     TEXT NOT NULL,
    recurrence   TEXT,
    first_at     BIGINT NOT NULL,
    last_at      BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CHECK ((workspace_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX calendar_events_workspace ON calendar_events (workspace_id, first_at);
CREATE INDEX calendar_events_user ON calendar_events (user_id, first_at);
ALTER TABLE calendar_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_events FORCE ROW LEVEL SECURITY;
CREATE POLICY calendar_events_tenant ON calendar_events
    USING (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id')
           OR (workspace_id IS NULL AND user_id = app_setting('app.user_id')))
    WITH CHECK (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id')
                OR (workspace_id IS NULL AND user_id = app_setting('app.user_id')));
GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_events TO herald_app;
