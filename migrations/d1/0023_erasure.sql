-- Files to delete from storage: erasing a workspace (or an account with the archived workspaces
-- it alone owned) removes its rows at once and queues its files here, in the same batch; the
-- scheduled tick deletes them from the bucket a few at a time, so a workspace of any size is
-- erased within the limits of one request.
CREATE TABLE object_purges (
    object_key TEXT PRIMARY KEY,
    queued_at  INTEGER NOT NULL
);
CREATE INDEX object_purges_queued ON object_purges (queued_at, object_key);
