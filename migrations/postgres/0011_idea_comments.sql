-- The schema of migrations/d1/0011_idea_comments.sql, in Postgres, with row-level security.

CREATE TABLE idea_comments (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idea_id      TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL REFERENCES users (id),
    body         TEXT NOT NULL,
    visibility   TEXT NOT NULL CHECK (visibility IN ('internal', 'client')),
    mentions     TEXT NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE INDEX idea_comments_idea ON idea_comments (workspace_id, idea_id, id);

ALTER TABLE idea_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE idea_comments FORCE ROW LEVEL SECURITY;
CREATE POLICY idea_comments_tenant ON idea_comments
    USING (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id'))
    WITH CHECK (workspace_id = app_setting('app.workspace_id'));

GRANT SELECT, INSERT, UPDATE, DELETE ON idea_comments TO herald_app;
