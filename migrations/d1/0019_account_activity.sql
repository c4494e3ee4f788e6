-- The account's own log (SPEC PL-8 for what belongs to no workspace): profile edits, password
-- changes and resets, address changes and verification, with who-from (IP, user agent) and the
-- fields before and after. A profile spans workspaces, so its log is the account's, read by
-- its owner at GET /api/v1/users/me/activity; no password, token or hash is ever recorded.
CREATE TABLE account_activity (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action       TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    before_state TEXT,
    after_state  TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX account_activity_user ON account_activity (user_id, id);
