-- The schema of migrations/d1/0003_posts.sql, in Postgres, with row-level security on every
-- tenant table (see 0001 for the settings the policies read).

CREATE TABLE posts (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id  TEXT REFERENCES campaigns (id),
    client_id    TEXT REFERENCES clients (id),
    title        TEXT NOT NULL,
    -- NULL under privacy mode: only content_hash is kept.
    body         TEXT,
    content_hash TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'in_review', 'approved', 'scheduled', 'publishing', 'published', 'failed', 'archived')),
    tags         TEXT NOT NULL DEFAULT '[]',
    author_id    TEXT NOT NULL REFERENCES users (id),
    version      BIGINT NOT NULL,
    private      BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE INDEX posts_workspace ON posts (workspace_id, deleted_at, id);
CREATE INDEX posts_status ON posts (workspace_id, status, id);
CREATE INDEX posts_campaign ON posts (workspace_id, campaign_id);

CREATE TABLE post_versions (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    number       BIGINT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT,
    targets      TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    author_id    TEXT NOT NULL REFERENCES users (id),
    note         TEXT,
    created_at   BIGINT NOT NULL,
    UNIQUE (post_id, number)
);

CREATE TABLE post_targets (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    platform     TEXT NOT NULL,
    -- The target's own text; NULL means the post's body (and always NULL under privacy mode).
    text         TEXT,
    options      TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX post_targets_post ON post_targets (post_id, position);
CREATE INDEX post_targets_platform ON post_targets (workspace_id, platform);

-- Media attached to a target, in order.
CREATE TABLE post_target_media (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    target_id    TEXT NOT NULL REFERENCES post_targets (id) ON DELETE CASCADE,
    asset_id     TEXT NOT NULL,
    position     BIGINT NOT NULL,
    PRIMARY KEY (target_id, position)
);
CREATE INDEX post_target_media_asset ON post_target_media (workspace_id, asset_id);

-- A batch's precondition: Statement::guard inserts 0 here, which the CHECK refuses, when the
-- batch's earlier writes did not apply. Never holds a row.
CREATE TABLE batch_guard (ok BIGINT NOT NULL CHECK (ok = 1));

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['posts', 'post_versions', 'post_targets', 'post_target_media'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id'')) '
            'WITH CHECK (workspace_id = app_setting(''app.workspace_id''))',
            t || '_tenant', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON posts, post_versions, post_targets, post_target_media TO herald_app;
GRANT INSERT ON batch_guard TO herald_app;
