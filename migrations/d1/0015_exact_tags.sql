-- Tags of posts and of content blocks, one row per tag, so a tag filter is an exact match by
-- index: not LIKE over the JSON text, which D1 caps at 50 bytes and whose `%` and `_` match
-- anything. The JSON in posts.tags and content_blocks.tags stays what the API shows; each
-- write replaces these rows in the same batch.

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

INSERT OR IGNORE INTO post_tags (workspace_id, post_id, tag)
    SELECT p.workspace_id, p.id, t.value FROM posts p, json_each(p.tags) t
    WHERE json_valid(p.tags) AND t.type = 'text';

INSERT OR IGNORE INTO content_block_tags (workspace_id, block_id, tag)
    SELECT b.workspace_id, b.id, t.value FROM content_blocks b, json_each(b.tags) t
    WHERE json_valid(b.tags) AND t.type = 'text';
