-- AI generation (SPEC AI-1…AI-6). A workspace's settings: the providers its generations try, in
-- order (names of the operator's AI_PROVIDERS, a JSON array; empty for the operator's order), and
-- privacy mode (prompts and outputs returned, never stored).
CREATE TABLE ai_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    chain        TEXT NOT NULL DEFAULT '[]',
    privacy_mode INTEGER NOT NULL DEFAULT 0,
    default_post_template TEXT,
    default_reel_template TEXT,
    updated_at   INTEGER NOT NULL
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
    private      INTEGER NOT NULL DEFAULT 0,
    tokens_in    INTEGER NOT NULL DEFAULT 0,
    tokens_out   INTEGER NOT NULL DEFAULT 0,
    cost_micros  INTEGER NOT NULL DEFAULT 0,
    reserved     INTEGER NOT NULL DEFAULT 0,
    credits      INTEGER NOT NULL DEFAULT 0,
    latency_ms   INTEGER NOT NULL DEFAULT 0,
    attempts     TEXT NOT NULL DEFAULT '[]',
    template_id  TEXT,
    template_version INTEGER,
    created_at   INTEGER NOT NULL,
    settled_at   INTEGER
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
    created_at   INTEGER NOT NULL,
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
    version      INTEGER NOT NULL,
    shared_at    INTEGER,
    author_name  TEXT,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX ai_templates_workspace ON ai_templates (workspace_id, name, id);
CREATE INDEX ai_templates_shared ON ai_templates (shared_at, id);

CREATE TABLE ai_template_versions (
    template_id  TEXT NOT NULL REFERENCES ai_templates (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    system       TEXT NOT NULL,
    prompt       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (template_id, number)
);

CREATE TABLE ai_template_ratings (
    template_id TEXT NOT NULL REFERENCES ai_templates (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stars       INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (template_id, user_id)
);

-- Providers resting after a 429, until `until_at` (ms): the operator's keys are shared by every
-- workspace, so the rest is too.
CREATE TABLE ai_cooldowns (
    provider TEXT PRIMARY KEY,
    until_at INTEGER NOT NULL
);
