-- Comments on campaign ideas, as on posts: internal or visible to the client, with mentions.

CREATE TABLE idea_comments (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idea_id      TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL REFERENCES users (id),
    body         TEXT NOT NULL,
    visibility   TEXT NOT NULL CHECK (visibility IN ('internal', 'client')),
    mentions     TEXT NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE INDEX idea_comments_idea ON idea_comments (workspace_id, idea_id, id);
