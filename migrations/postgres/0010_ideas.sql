-- The schema of migrations/d1/0010_ideas.sql, in Postgres, with row-level security.

CREATE TABLE ideas (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    client_id    TEXT REFERENCES clients (id),
    kind         TEXT NOT NULL CHECK (kind IN ('post', 'reel')),
    title        TEXT NOT NULL,
    hook         TEXT,
    caption      TEXT,
    hashtags     TEXT NOT NULL DEFAULT '[]',
    platforms    TEXT NOT NULL DEFAULT '[]',
    status       TEXT NOT NULL CHECK (status IN ('generated', 'agency_approved', 'rejected', 'client_approved', 'client_rejected')),
    source       TEXT NOT NULL DEFAULT 'manual',
    post_id      TEXT REFERENCES posts (id),
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX ideas_campaign ON ideas (workspace_id, campaign_id, id);

CREATE TABLE idea_decisions (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idea_id      TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    stage        TEXT NOT NULL CHECK (stage IN ('agency', 'client')),
    decision     TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment      TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX idea_decisions_idea ON idea_decisions (workspace_id, idea_id, created_at);

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['ideas', 'idea_decisions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id'')) '
            'WITH CHECK (workspace_id = app_setting(''app.workspace_id''))',
            t || '_tenant', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON ideas, idea_decisions TO herald_app;
