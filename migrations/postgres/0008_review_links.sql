-- The schema of migrations/d1/0008_review_links.sql, in Postgres, with row-level security.
-- A review link is found by its token hash before its workspace is known: the policy of
-- review_links also lets through the row whose token_hash is app.review_token_hash.

CREATE TABLE review_links (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    token_hash     TEXT NOT NULL UNIQUE,
    -- Who the link was made for, as the creator typed it: shown in the approval history.
    reviewer_name  TEXT,
    reviewer_email TEXT,
    created_by     TEXT NOT NULL REFERENCES users (id),
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_by     TEXT REFERENCES users (id),
    created_at     BIGINT NOT NULL
);
CREATE INDEX review_links_workspace ON review_links (workspace_id, id);

-- The posts a link shows, in order. (Ideas do not exist yet; they will get their own column.)
CREATE TABLE review_link_items (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    link_id      TEXT NOT NULL REFERENCES review_links (id) ON DELETE CASCADE,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    PRIMARY KEY (link_id, post_id)
);
CREATE INDEX review_link_items_post ON review_link_items (workspace_id, post_id);

-- A vote cast through a review link names the link: its user_id is the link's creator, who
-- answers for the link, and the comment says "via review link (name)".
ALTER TABLE approval_votes ADD COLUMN review_link_id TEXT REFERENCES review_links (id);

ALTER TABLE review_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_links FORCE ROW LEVEL SECURITY;
CREATE POLICY review_links_tenant ON review_links
    USING (app_setting('app.system') = 'on'
           OR workspace_id = app_setting('app.workspace_id')
           OR token_hash = app_setting('app.review_token_hash'))
    WITH CHECK (workspace_id = app_setting('app.workspace_id'));

ALTER TABLE review_link_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_link_items FORCE ROW LEVEL SECURITY;
CREATE POLICY review_link_items_tenant ON review_link_items
    USING (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id'))
    WITH CHECK (workspace_id = app_setting('app.workspace_id'));

GRANT SELECT, INSERT, UPDATE, DELETE ON review_links, review_link_items TO herald_app;
