-- Approval workflows (per workspace, optionally per client), approval requests per stage, and
-- every vote: the history of how a post was approved.

CREATE TABLE approval_workflows (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- '' for the workspace's default; a client's id for that client's own workflow.
    client_id    TEXT NOT NULL DEFAULT '',
    config       TEXT NOT NULL,
    updated_by   TEXT NOT NULL REFERENCES users (id),
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, client_id)
);

CREATE TABLE approval_requests (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    stage        TEXT NOT NULL CHECK (stage IN ('internal', 'client')),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    rule         TEXT NOT NULL CHECK (rule IN ('any', 'all')),
    -- The user ids who may decide, fixed when the stage opens.
    approvers    TEXT NOT NULL,
    post_version INTEGER NOT NULL,
    submitted_by TEXT NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    closed_at    INTEGER
);
CREATE INDEX approval_requests_post ON approval_requests (workspace_id, post_id, created_at);
CREATE INDEX approval_requests_pending ON approval_requests (workspace_id, status);

CREATE TABLE approval_votes (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    request_id   TEXT NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    decision     TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment      TEXT,
    created_at   INTEGER NOT NULL,
    UNIQUE (request_id, user_id)
);
