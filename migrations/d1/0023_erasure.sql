-- Files to delete from storage: erasing a workspace (or an account with the archived workspaces
-- it alone owned) removes its rows at once and queues its files here, in the same batch; the
-- scheduled tick deletes them from the bucket a few at a time, so a workspace of any size is
-- erased within the limits of one request.
CREATE TABLE object_purges (
    object_key TEXT PRIMARY KEY,
    queued_at  INTEGER NOT NULL
);
CREATE INDEX object_purges_queued ON object_purges (queued_at, object_key);

-- Platform grants to take back: erasing a workspace moves each connected account's sealed
-- credentials here (sealed as they were, for the account's id) in the same batch; the scheduled
-- tick asks each platform that offers it to revoke the grant, then forgets the row (after a few
-- failed tries too: the credentials are never kept for long).
CREATE TABLE token_revocations (
    account_id  TEXT PRIMARY KEY,
    platform    TEXT NOT NULL,
    credentials TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    queued_at   INTEGER NOT NULL
);
CREATE INDEX token_revocations_queued ON token_revocations (queued_at, account_id);

-- Exports of one's data too large for one answer (SPEC PL-9): asked for, then built by the
-- scheduled tick a part at a time into the bucket (exports/<id>/<n>.jsonl, a line per entry),
-- from list `list` after (`cursor_at`, `cursor_key`); once whole, offered by mail as an
-- expiring link whose token only the mail holds (its SHA-256 here).
CREATE TABLE data_exports (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'expired')),
    list        INTEGER NOT NULL DEFAULT 0,
    cursor_at   INTEGER NOT NULL DEFAULT -1,
    cursor_key  TEXT NOT NULL DEFAULT '',
    parts       INTEGER NOT NULL DEFAULT 0,
    entries     INTEGER NOT NULL DEFAULT 0,
    size_bytes  INTEGER NOT NULL DEFAULT 0,
    token_hash  TEXT UNIQUE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    ready_at    INTEGER,
    expires_at  INTEGER
);
CREATE INDEX data_exports_status ON data_exports (status, created_at);
CREATE INDEX data_exports_user ON data_exports (user_id, created_at);
