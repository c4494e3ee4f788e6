-- The schema of migrations/d1/0001_identity_workspaces.sql, in Postgres, plus row-level
-- security on every tenant table. Integers are BIGINT (milliseconds since the epoch).
--
-- The server connects as herald_app, which owns nothing, so the policies bind it. They read
-- transaction-local settings the adapter sets before every statement:
--   app.user_id, app.workspace_id, app.invite_token_hash, app.system ('on' for maintenance).

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'herald_app') THEN
        CREATE ROLE herald_app LOGIN;
    END IF;
EXCEPTION
    -- Roles belong to the cluster: another database's migration may have just made it.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    timezone      TEXT NOT NULL DEFAULT 'UTC',
    locale        TEXT NOT NULL DEFAULT 'en',
    preferences   TEXT NOT NULL DEFAULT '{}',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'archived')),
    branding    TEXT NOT NULL DEFAULT '{}',
    settings    TEXT NOT NULL DEFAULT '{}',
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    archived_at BIGINT
);

CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'writer', 'viewer', 'client')),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invites (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'writer', 'viewer', 'client')),
    token_hash   TEXT NOT NULL UNIQUE,
    invited_by   TEXT NOT NULL REFERENCES users (id),
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    accepted_by  TEXT REFERENCES users (id),
    created_at   BIGINT NOT NULL
);
CREATE INDEX invites_workspace ON invites (workspace_id);

CREATE TABLE dev_mailbox (
    id         TEXT PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX dev_mailbox_to ON dev_mailbox (to_address, created_at);

-- Settings helpers: an unset setting reads as NULL, never as ''.
CREATE FUNCTION app_setting(name TEXT) RETURNS TEXT LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting(name, true), '') $$;

-- The caller's workspaces. SECURITY DEFINER: it reads memberships without recursing into
-- that table's own policy; it answers only for the user in the settings.
CREATE FUNCTION app_member_workspaces() RETURNS SETOF TEXT LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public AS
$$ SELECT workspace_id FROM memberships WHERE user_id = app_setting('app.user_id') $$;

-- Tenant tables.
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
CREATE POLICY workspaces_tenant ON workspaces
    USING (app_setting('app.system') = 'on'
           OR id = app_setting('app.workspace_id')
           OR id IN (SELECT app_member_workspaces()))
    WITH CHECK (id = app_setting('app.workspace_id'));

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY memberships_tenant ON memberships
    USING (app_setting('app.system') = 'on'
           OR workspace_id = app_setting('app.workspace_id')
           OR user_id = app_setting('app.user_id'))
    WITH CHECK (workspace_id = app_setting('app.workspace_id'));

ALTER TABLE invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE invites FORCE ROW LEVEL SECURITY;
CREATE POLICY invites_tenant ON invites
    USING (app_setting('app.system') = 'on'
           OR workspace_id = app_setting('app.workspace_id')
           OR token_hash = app_setting('app.invite_token_hash'))
    WITH CHECK (workspace_id = app_setting('app.workspace_id'));

-- users, refresh_tokens and dev_mailbox belong to no tenant: sign-up and login happen
-- before any workspace is known.
GRANT USAGE ON SCHEMA public TO herald_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, refresh_tokens, workspaces, memberships, invites, dev_mailbox TO herald_app;
GRANT EXECUTE ON FUNCTION app_setting(TEXT), app_member_workspaces() TO herald_app;
