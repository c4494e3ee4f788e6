-- The schema of migrations/d1/0002_agency_activity.sql, in Postgres, with row-level security
-- on every tenant table (see 0001 for the settings the policies read).

CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    website       TEXT,
    industry      TEXT,
    brand_profile TEXT NOT NULL DEFAULT '{}',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    archived_at   BIGINT
);
CREATE INDEX clients_workspace ON clients (workspace_id, name);

-- Which clients a member with the Client role may see.
CREATE TABLE client_members (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (client_id, user_id)
);
CREATE INDEX client_members_user ON client_members (workspace_id, user_id);

CREATE TABLE personas (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    client_id    TEXT REFERENCES clients (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    profile      TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
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
    budget_cents     BIGINT,
    currency         TEXT,
    brand_tone       TEXT,
    themes           TEXT NOT NULL DEFAULT '[]',
    target_platforms TEXT NOT NULL DEFAULT '[]',
    posts_planned    BIGINT NOT NULL DEFAULT 0,
    reels_planned    BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'active', 'paused', 'completed', 'archived')),
    created_by       TEXT NOT NULL REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    archived_at      BIGINT
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
    created_at   BIGINT NOT NULL
);
CREATE INDEX activity_log_workspace ON activity_log (workspace_id, id);
CREATE INDEX activity_log_entity ON activity_log (workspace_id, entity_type, entity_id);

-- Answers to POST requests sent with an Idempotency-Key, kept a day.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT NOT NULL,
    headers      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['clients', 'client_members', 'personas', 'campaigns', 'activity_log'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id'')) '
            'WITH CHECK (workspace_id = app_setting(''app.workspace_id''))',
            t || '_tenant', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON clients, client_members, personas, campaigns, activity_log, idempotency_keys TO herald_app;
