-- Agency clients and their members, personas, campaigns, the activity log and idempotency keys.

CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    website       TEXT,
    industry      TEXT,
    brand_profile TEXT NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    archived_at   INTEGER
);
CREATE INDEX clients_workspace ON clients (workspace_id, name);

-- Which clients a member with the Client role may see.
CREATE TABLE client_members (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (client_id, user_id)
);
CREATE INDEX client_members_user ON client_members (workspace_id, user_id);

CREATE TABLE personas (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    client_id    TEXT REFERENCES clients (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    profile      TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX personas_workspace ON personas (workspace_id, client_id);

CREATE TABLE campaigns (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    client_id        TEXT REFERENCES clients (id),
    name             TEXT NOT NULL,
    objective        TEXT,
    start_date       TEXT,
    end_date         TEXT,
    budget_cents     INTEGER,
    currency         TEXT,
    brand_tone       TEXT,
    themes           TEXT NOT NULL DEFAULT '[]',
    target_platforms TEXT NOT NULL DEFAULT '[]',
    posts_planned    INTEGER NOT NULL DEFAULT 0,
    reels_planned    INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'active', 'paused', 'completed', 'archived')),
    created_by       TEXT NOT NULL REFERENCES users (id),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    archived_at      INTEGER
);
CREATE INDEX campaigns_workspace ON campaigns (workspace_id, status, created_at);
CREATE INDEX campaigns_client ON campaigns (workspace_id, client_id);

CREATE TABLE activity_log (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    before_state TEXT,
    after_state  TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX activity_log_workspace ON activity_log (workspace_id, id);
CREATE INDEX activity_log_entity ON activity_log (workspace_id, entity_type, entity_id);

-- Answers to POST requests sent with an Idempotency-Key, kept a day.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    headers      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
