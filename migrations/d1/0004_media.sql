-- The media library: assets in object storage with their metadata, and their tags for lookup.

CREATE TABLE media_assets (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id           TEXT PRIMARY KEY,
    -- Where the bytes are in the bucket: media/{workspace_id}/{id}.{ext}, never from user input.
    object_key   TEXT NOT NULL UNIQUE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    width        INTEGER,
    height       INTEGER,
    duration_ms  INTEGER,
    alt_text     TEXT,
    tags         TEXT NOT NULL DEFAULT '[]',
    folder       TEXT,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready')),
    uploaded_by  TEXT NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
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
