-- Account basics (SPEC IAM-1): verified addresses, single-use tokens sent by mail (address
-- verification, password reset, address change) and sessions, one per refresh-token family.

-- NULL until the owner proves the address: accounts made before this migration included.
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;

-- Only the SHA-256 of a token is kept. A token is spent by one guarded update
-- (`used_at IS NULL AND expires_at > now`), which writes `used_by` so that the batch can
-- tell that it was this request that spent it. The rows of the last hour are also the
-- per-account limit on mail (at most 3 of a purpose an hour).
CREATE TABLE email_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'email_change')),
    -- Where the token was sent: the account's address, or the new one for an address change.
    email      TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose, created_at);

-- A session is a refresh-token family: its id is the family's id. Revoking it revokes the
-- family's tokens; it is live while one of them can still be spent.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The User-Agent of the login, truncated.
    device       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Families that already exist become sessions without a device.
INSERT INTO sessions (id, user_id, device, created_at, last_used_at)
    SELECT family_id, MIN(user_id), '', MIN(created_at), MAX(created_at) FROM refresh_tokens GROUP BY family_id;
