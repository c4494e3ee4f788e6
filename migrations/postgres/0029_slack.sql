-- The schema of migrations/d1/0029_slack.sql, in Postgres, with row-level security: the
-- publisher (the system scope) records a failed post.
CREATE TABLE slack_hooks (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    url_sealed   TEXT NOT NULL,
    host         TEXT NOT NULL,
    kinds        TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    failed_at    BIGINT,
    failure      TEXT
);
ALTER TABLE slack_hooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE slack_hooks FORCE ROW LEVEL SECURITY;
CREATE POLICY slack_hooks_tenant ON slack_hooks
    USING (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id'))
    WITH CHECK (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id'));
GRANT SELECT, INSERT, UPDATE, DELETE ON slack_hooks TO herald_app;
