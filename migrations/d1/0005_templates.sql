-- Templates, snippets, hashtag groups and signatures (SPEC CT-5). One table for the four
-- kinds: they share naming, client ownership, tags and archival, and an include such as
-- {{snippet:NAME}} finds its block by kind and name.

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
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    archived_at    INTEGER
);
-- A name is taken once per kind among a workspace's active blocks: includes need one answer,
-- and the index settles concurrent creations. Archiving frees the name.
CREATE UNIQUE INDEX content_blocks_name ON content_blocks (workspace_id, kind, name) WHERE archived_at IS NULL;
CREATE INDEX content_blocks_client ON content_blocks (workspace_id, client_id);
