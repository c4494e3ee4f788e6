-- Publishing (SPEC PB-1 … PB-6): connected social accounts with sealed credentials, the
-- OAuth states of connections in progress, one publication per (post target, account), and
-- the log of every attempt.

CREATE TABLE social_accounts (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    platform          TEXT NOT NULL,
    -- The platform's own id of the account (a DID, an account id): one connection per account.
    external_id       TEXT NOT NULL,
    handle            TEXT NOT NULL,
    display_name      TEXT,
    -- The server the account lives on (a PDS, a Mastodon instance) or the platform's API.
    service_url       TEXT NOT NULL,
    auth_kind         TEXT NOT NULL CHECK (auth_kind IN ('oauth', 'app_password', 'token')),
    -- AES-256-GCM sealed JSON (tokens, app password), bound to the row id; never returned.
    credentials       TEXT NOT NULL,
    key_id            TEXT NOT NULL,
    access_expires_at INTEGER,
    status            TEXT NOT NULL CHECK (status IN ('active', 'needs_reconnect', 'disconnected')),
    -- A rate limit answered by the platform: nothing is sent for the account before then.
    paused_until      INTEGER,
    last_error        TEXT,
    -- Posting times (JSON [{"day": "mon", "time": "09:00"}…]) in slot_timezone: "next free slot".
    slots             TEXT NOT NULL DEFAULT '[]',
    slot_timezone     TEXT NOT NULL DEFAULT 'UTC',
    created_by        TEXT NOT NULL REFERENCES users (id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (workspace_id, platform, external_id)
);
CREATE INDEX social_accounts_workspace ON social_accounts (workspace_id, id);

CREATE TABLE oauth_states (
    -- SHA-256 of the state parameter: the state itself travels only through the browser.
    state_hash    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id),
    platform      TEXT NOT NULL,
    -- The PKCE code verifier, sealed and bound to the state hash.
    verifier      TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    created_at    INTEGER NOT NULL
);

CREATE TABLE publications (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id         TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- Not a foreign key: an edit rewrites a post's targets, and a publication's history
    -- (cancelled by that edit, or failed before it) outlives the target it was for.
    target_id       TEXT NOT NULL,
    account_id      TEXT NOT NULL REFERENCES social_accounts (id),
    platform        TEXT NOT NULL,
    due_at          INTEGER NOT NULL,
    timezone        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('scheduled', 'queued', 'publishing', 'retrying', 'unconfirmed',
                                                    'published', 'failed', 'dead', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    -- The claim that queued it: a queue message carries it, and only the current one acts.
    claim_id        TEXT,
    claimed_at      INTEGER,
    remote_id       TEXT,
    remote_url      TEXT,
    reason          TEXT,
    created_by      TEXT NOT NULL REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    published_at    INTEGER
);
CREATE INDEX publications_due ON publications (status, due_at);
CREATE INDEX publications_post ON publications (workspace_id, post_id);
CREATE INDEX publications_account ON publications (workspace_id, account_id, due_at);

CREATE TABLE publication_attempts (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    publication_id TEXT NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER NOT NULL,
    -- published, retry, rate_limited, unconfirmed, failed, reconnect, reconciled
    outcome        TEXT NOT NULL,
    http_status    INTEGER,
    detail         TEXT
);
CREATE INDEX publication_attempts_publication ON publication_attempts (workspace_id, publication_id, number);
