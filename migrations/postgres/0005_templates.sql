-- The schema of migrations/d1/0005_templates.sql, in Postgres, with row-level security.

CREATE TABLE content_blocks (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('template', 'snippet', 'hashtag_group', 'signature')),
    name           TEXT NOT NULL,
    -- A client's own block; NULL for the agency's.
    client_id      TEXT REFERENCES clients (id),
    -- Templates: the post's title.
    title          TEXT,
    -- Templates: the post's body; snippets and signatures: their text.
    body           TEXT,
    -- Templates: {"platform": "text"}.
    platform_texts TEXT NOT NULL DEFAULT '{}',
    -- Hashtag groups: ["#a", "#b"].
    hashtags       TEXT NOT NULL DEFAULT '[]',
    tags           TEXT NOT NULL DEFAULT '[]',
    created_by     TEXT NOT NULL REFERENCES users (id),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    archived_at    BIGINT
);
-- A name is taken once per kind among a workspace's active blocks: includes need one answer,
-- and the index settles concurrent creations. Archiving frees the name.
CREATE UNIQUE INDEX content_blocks_name ON content_blocks (workspace_id, kind, name) WHERE archived_at IS NULL;
CREATE INDEX content_blocks_client ON content_blocks (workspace_id, client_id);

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['content_blocks'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id'')) '
            'WITH CHECK (workspace_id = app_setting(''app.workspace_id''))',
            t || '_tenant', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON content_blocks TO herald_app;
