-- The table of migrations/d1/0019_account_activity.sql, in Postgres. Like users and sessions it
-- belongs to no tenant (a reset happens before anyone is signed in); every statement on it
-- names its user.
CREATE TABLE account_activity (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action       TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    before_state TEXT,
    after_state  TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX account_activity_user ON account_activity (user_id, id);
GRANT SELECT, INSERT, DELETE ON account_activity TO herald_app;
