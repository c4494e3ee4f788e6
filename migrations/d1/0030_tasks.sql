-- Tasks (SPEC CO-1): a piece of the team's work, optionally about a campaign or a post,
-- assigned to one member, with a due instant, a status and a priority. A task's client is
-- resolved when it is written (its campaign's, else its post's, else the one named), so a
-- Client member's wall is one column, as for posts. due_soon_at and overdue_at record when the
-- cron sent those notices, so each goes once per due date.
CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id  TEXT,
    post_id      TEXT,
    client_id    TEXT,
    title        TEXT NOT NULL,
    description  TEXT,
    status       TEXT NOT NULL,
    priority     TEXT NOT NULL,
    assignee_id  TEXT,
    due_at       INTEGER,
    completed_at INTEGER,
    due_soon_at  INTEGER,
    overdue_at   INTEGER,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX tasks_workspace ON tasks (workspace_id, id);
CREATE INDEX tasks_assignee ON tasks (assignee_id, status, due_at);
CREATE INDEX tasks_due ON tasks (status, due_at);
