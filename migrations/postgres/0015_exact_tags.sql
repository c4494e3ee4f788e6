-- The schema of migrations/d1/0015_exact_tags.sql, in Postgres, with row-level security on both
-- tables: one row per tag of a post or content block, for exact tag filters.

CREATE TABLE post_tags (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX post_tags_tag ON post_tags (workspace_id, tag);

CREATE TABLE content_block_tags (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    block_id     TEXT NOT NULL REFERENCES content_blocks (id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    PRIMARY KEY (block_id, tag)
);
CREATE INDEX content_block_tags_tag ON content_block_tags (workspace_id, tag);

-- The backfill reads every workspace's rows: posts and content_blocks force row-level security
-- even on their owner. Transaction-local: each migration runs in its own transaction.
SET LOCAL app.system = 'on';

INSERT INTO post_tags (workspace_id, post_id, tag)
    SELECT p.workspace_id, p.id, t.tag FROM posts p, json_array_elements_text(p.tags::json) AS t (tag)
    WHERE json_typeof(p.tags::json) = 'array'
    ON CONFLICT DO NOTHING;

INSERT INTO content_block_tags (workspace_id, block_id, tag)
    SELECT b.workspace_id, b.id, t.tag FROM content_blocks b, json_array_elements_text(b.tags::json) AS t (tag)
    WHERE json_typeof(b.tags::json) = 'array'
    ON CONFLICT DO NOTHING;

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['post_tags', 'content_block_tags'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id'')) '
            'WITH CHECK (workspace_id = app_setting(''app.workspace_id''))',
            t || '_tenant', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON post_tags, content_block_tags TO herald_app;
