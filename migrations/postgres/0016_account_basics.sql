-- The schema of migrations/d1/0016_account_basics.sql, in Postgres: verified addresses,
-- single-use tokens sent by mail, and sessions (one per refresh-token family).

ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

CREATE TABLE email_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'email_change')),
    email      TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    used_by    TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose, created_at);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device       TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

INSERT INTO sessions (id, user_id, device, created_at, last_used_at)
    SELECT family_id, MIN(user_id), '', MIN(created_at), MAX(created_at) FROM refresh_tokens GROUP BY family_id;

-- Like users and refresh_tokens, these belong to no tenant: verification, reset and address
-- confirmation happen before anyone is signed in, so no row-level setting could name the
-- caller. Every statement on them names its user or its token's hash.
GRANT SELECT, INSERT, UPDATE, DELETE ON email_tokens, sessions TO herald_app;
