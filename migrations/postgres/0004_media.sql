-- The schema of migrations/d1/0004_media.sql, in Postgres, with row-level security on both
-- tables (see 0001 for the settings the policies read).

CREATE TABLE media_assets (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id           TEXT PRIMARY KEY,
    -- Where the bytes are in the bucket: media/{workspace_id}/{id}.{ext}, never from user input.
    object_key   TEXT NOT NULL UNIQUE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    width        BIGINT,
    height       BIGINT,
    duration_ms  BIGINT,
    alt_text     TEXT,
    tags         TEXT NOT NULL DEFAULT '[]',
    folder       TEXT,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready')),
    uploaded_by  TEXT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE INDEX media_assets_workspace ON media_assets (workspace_id, deleted_at, id);
CREATE INDEX media_assets_folder ON media_assets (workspace_id, folder, id);

-- One row per tag of an asset (the JSON in media_assets.tags is what the API shows).
CREATE TABLE media_tags (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    asset_id     TEXT NOT NULL REFERENCES media_assets (id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    PRIMARY KEY (asset_id, tag)
);
CREATE INDEX media_tags_tag ON media_tags (workspace_id, tag);

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['media_assets', 'media_tags'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id'')) '
            'WITH CHECK (workspace_id = app_setting(''app.workspace_id''))',
            t || '_tenant', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON media_assets, media_tags TO herald_app;
