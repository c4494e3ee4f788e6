-- The schema of migrations/d1/0012_review_link_ideas.sql, in Postgres, with row-level security.

CREATE TABLE review_link_ideas (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    link_id      TEXT NOT NULL REFERENCES review_links (id) ON DELETE CASCADE,
    idea_id      TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    PRIMARY KEY (link_id, idea_id)
);
CREATE INDEX review_link_ideas_idea ON review_link_ideas (workspace_id, idea_id);

ALTER TABLE idea_decisions ADD COLUMN review_link_id TEXT REFERENCES review_links (id);

-- When an idea entered its current status (or was last reworked): under a workflow whose stage
-- needs every approver, the approvals of the stage are those given since.
ALTER TABLE ideas ADD COLUMN stage_opened_at BIGINT NOT NULL DEFAULT 0;

ALTER TABLE review_link_ideas ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_link_ideas FORCE ROW LEVEL SECURITY;
CREATE POLICY review_link_ideas_tenant ON review_link_ideas
    USING (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id'))
    WITH CHECK (workspace_id = app_setting('app.workspace_id'));

GRANT SELECT, INSERT, UPDATE, DELETE ON review_link_ideas TO herald_app;
