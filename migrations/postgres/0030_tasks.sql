-- The schema of migrations/d1/0030_tasks.sql, in Postgres, with row-level security: a
-- workspace's tasks are its tenant's; a person reads the tasks assigned to them in
-- every workspace they are a member of, with no workspace in the settings (their list across
-- workspaces); the cron (the system scope) sends the due notices.
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
    due_at       BIGINT,
    completed_at BIGINT,
    due_soon_at  BIGINT,
    overdue_at   BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX tasks_workspace ON tasks (workspace_id, id);
CREATE INDEX tasks_assignee ON tasks (assignee_id, status, due_at);
CREATE INDEX tasks_due ON tasks (status, due_at);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tasks_tenant ON tasks
    USING (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id')
           OR (assignee_id = app_setting('app.user_id') AND workspace_id IN (SELECT app_member_workspaces())))
    WITH CHECK (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id'));
GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO herald_app;
