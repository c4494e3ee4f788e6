-- Files to delete from storage: erasing a workspace (or an account with the archived workspaces
-- it alone owned) removes its rows at once and queues its files here, in the same batch; the
-- scheduled tick deletes them from the bucket a few at a time, so a workspace of any size is
-- erased within the limits of one request.
CREATE TABLE object_purges (
    object_key TEXT PRIMARY KEY,
    queued_at  BIGINT NOT NULL
);
CREATE INDEX object_purges_queued ON object_purges (queued_at, object_key);
-- Belongs to no tenant once its workspace is gone, like billing_events.
GRANT SELECT, INSERT, DELETE ON object_purges TO herald_app;

-- Platform grants to take back: erasing a workspace moves each connected account's sealed
-- credentials here (sealed as they were, for the account's id) in the same batch; the scheduled
-- tick asks each platform that offers it to revoke the grant, then forgets the row (after a few
-- failed tries too: the credentials are never kept for long).
CREATE TABLE token_revocations (
    account_id  TEXT PRIMARY KEY,
    platform    TEXT NOT NULL,
    credentials TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    queued_at   BIGINT NOT NULL
);
CREATE INDEX token_revocations_queued ON token_revocations (queued_at, account_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON token_revocations TO herald_app;

-- Exports of one's data too large for one answer (SPEC PL-9): asked for, then built by the
-- scheduled tick a part at a time into the bucket (exports/<id>/<n>.jsonl, a line per entry),
-- from list `list` after (`cursor_at`, `cursor_key`); once whole, offered by mail as an
-- expiring link whose token only the mail holds (its SHA-256 here).
CREATE TABLE data_exports (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'expired')),
    list        BIGINT NOT NULL DEFAULT 0,
    cursor_at   BIGINT NOT NULL DEFAULT -1,
    cursor_key  TEXT NOT NULL DEFAULT '',
    parts       BIGINT NOT NULL DEFAULT 0,
    entries     BIGINT NOT NULL DEFAULT 0,
    size_bytes  BIGINT NOT NULL DEFAULT 0,
    token_hash  TEXT UNIQUE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    ready_at    BIGINT,
    expires_at  BIGINT
);
CREATE INDEX data_exports_status ON data_exports (status, created_at);
CREATE INDEX data_exports_user ON data_exports (user_id, created_at);
-- Belongs to its user, like users and sessions.
GRANT SELECT, INSERT, UPDATE, DELETE ON data_exports TO herald_app;

-- Erasing an account is one statement batch across every workspace its person worked in
-- (attributions move to a tombstone), under the system scope that the scheduled tick also
-- writes with. Until now most tenant policies let the system scope read every tenant but write
-- none: each now also accepts its writes. Every system statement names its rows itself.
DO $$
DECLARE p RECORD;
BEGIN
    FOR p IN SELECT tablename, policyname, with_check FROM pg_policies
             WHERE schemaname = current_schema() AND with_check IS NOT NULL
               AND with_check NOT LIKE '%app.system%'
    LOOP
        EXECUTE format('ALTER POLICY %I ON %I WITH CHECK (app_setting(''app.system'') = ''on'' OR (%s))',
                       p.policyname, p.tablename, p.with_check);
    END LOOP;
END
$$;
