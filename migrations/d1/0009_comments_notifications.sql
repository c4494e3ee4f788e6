-- Comments on posts (internal or visible to the client, with mentions) and in-app notifications.

CREATE TABLE comments (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL REFERENCES users (id),
    body         TEXT NOT NULL,
    visibility   TEXT NOT NULL CHECK (visibility IN ('internal', 'client')),
    mentions     TEXT NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE INDEX comments_post ON comments (workspace_id, post_id, id);

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    read_at      INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications (workspace_id, user_id, read_at, id);
