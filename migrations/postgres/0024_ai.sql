-- AI generation (SPEC AI-1…AI-6). A workspace's settings: the providers its generations try, in
-- order (names of the operator's AI_PROVIDERS, a JSON array; empty for the operator's order), and
-- privacy mode (prompts and outputs returned, never stored).
CREATE TABLE ai_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    chain        TEXT NOT NULL DEFAULT '[]',
    privacy_mode BIGINT NOT NULL DEFAULT 0,
    default_post_template TEXT,
    default_reel_template TEXT,
    updated_at   BIGINT NOT NULL
);

-- Every generation: the credits reserved before its first call (`running`), then, settled once,
-- what it came to: the provider and model that answered (`static` content when none did), the
-- exact prompt and the output (NULL when private), tokens, cost in millionths of a dollar, the
-- credits it took and every attempt (a JSON array). A request that died leaves it `running`; the
-- scheduled tick gives its reservation back (`abandoned`).
CREATE TABLE ai_generations (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT REFERENCES users (id),
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'static', 'abandoned')),
    provider     TEXT,
    model        TEXT,
    parameters   TEXT,
    prompt       TEXT,
    output       TEXT,
    private      BIGINT NOT NULL DEFAULT 0,
    tokens_in    BIGINT NOT NULL DEFAULT 0,
    tokens_out   BIGINT NOT NULL DEFAULT 0,
    cost_micros  BIGINT NOT NULL DEFAULT 0,
    reserved     BIGINT NOT NULL DEFAULT 0,
    credits      BIGINT NOT NULL DEFAULT 0,
    latency_ms   BIGINT NOT NULL DEFAULT 0,
    attempts     TEXT NOT NULL DEFAULT '[]',
    template_id  TEXT,
    template_version BIGINT,
    created_at   BIGINT NOT NULL,
    settled_at   BIGINT
);
CREATE INDEX ai_generations_workspace ON ai_generations (workspace_id, created_at, id);
CREATE INDEX ai_generations_user ON ai_generations (workspace_id, user_id, created_at, id);
CREATE INDEX ai_generations_running ON ai_generations (status, created_at);

-- Keys of the workspace's or a member's own provider accounts: calls on them take no credits.
-- Sealed with the key ring (TOKEN_KEYS) and bound to their workspace, provider and owner; only
-- the last four characters are ever shown. `user_id` is empty for the workspace's own key.
CREATE TABLE ai_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    user_id      TEXT NOT NULL DEFAULT '',
    sealed       TEXT NOT NULL,
    hint         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, provider, user_id)
);

-- Prompt templates (SPEC AI-4): a workspace's (`user_id` empty) or one member's own, for posts
-- or reels, versioned like posts (immutable numbered versions, `version` the current one), with
-- `{{variables}}` filled from the brief, the brand, the persona and the campaign. Shared ones
-- (`shared_at`) are in the catalogue every workspace sees, with their author's name; any user
-- rates a shared template once (changeable).
CREATE TABLE ai_templates (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL CHECK (kind IN ('post', 'reel')),
    name         TEXT NOT NULL,
    -- The current version's text, beside it: a workspace using a shared template reads it here
    -- (its versions stay its own workspace's).
    system       TEXT NOT NULL,
    prompt       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    shared_at    BIGINT,
    author_name  TEXT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX ai_templates_workspace ON ai_templates (workspace_id, name, id);
CREATE INDEX ai_templates_shared ON ai_templates (shared_at, id);

CREATE TABLE ai_template_versions (
    template_id  TEXT NOT NULL REFERENCES ai_templates (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    number       BIGINT NOT NULL,
    system       TEXT NOT NULL,
    prompt       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (template_id, number)
);

CREATE TABLE ai_template_ratings (
    template_id TEXT NOT NULL REFERENCES ai_templates (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stars       BIGINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (template_id, user_id)
);

-- Providers resting after a 429, until `until_at` (ms): the operator's keys are shared by every
-- workspace, so the rest is too.
CREATE TABLE ai_cooldowns (
    provider TEXT PRIMARY KEY,
    until_at BIGINT NOT NULL
);

-- A tenant's rows, as everywhere; the tick (app.system) settles abandoned generations.
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['ai_settings', 'ai_generations', 'ai_keys', 'ai_template_versions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id'')) '
            'WITH CHECK (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id''))',
            t || '_tenant', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON ai_settings, ai_generations, ai_keys, ai_template_versions TO herald_app;
-- Belongs to no tenant: the operator's keys rest for everyone.
GRANT SELECT, INSERT, UPDATE ON ai_cooldowns TO herald_app;

-- Templates are their workspace's, except that shared ones are read by every workspace (the
-- catalogue); ratings belong to no tenant (a user rates a template of any workspace), like users.
ALTER TABLE ai_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY ai_templates_tenant ON ai_templates
    USING (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id') OR shared_at IS NOT NULL)
    WITH CHECK (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id'));
GRANT SELECT, INSERT, UPDATE, DELETE ON ai_templates TO herald_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ai_template_ratings TO herald_app;
