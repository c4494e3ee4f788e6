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
