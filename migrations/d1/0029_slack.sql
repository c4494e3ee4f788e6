-- A workspace's Slack incoming webhook (SPEC CO-4): the notices of the kinds it chose are also
-- posted to one channel. The webhook's URL is a secret (whoever holds it posts to the channel),
-- so it is kept sealed under TOKEN_KEYS, bound to the workspace; only its host is shown. The
-- last failed post (Slack's answer) stays until the hook is saved again.
CREATE TABLE slack_hooks (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    url_sealed   TEXT NOT NULL,
    host         TEXT NOT NULL,
    kinds        TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    failed_at    INTEGER,
    failure      TEXT
);
