-- Review links (SPEC AG-5): a signed, expiring link that lets a client review some posts
-- without an account. Only the SHA-256 of the link's token is stored; the holder of the token
-- is the only one who can open the page.

CREATE TABLE review_links (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    token_hash     TEXT NOT NULL UNIQUE,
    -- Who the link was made for, as the creator typed it: shown in the approval history.
    reviewer_name  TEXT,
    reviewer_email TEXT,
    created_by     TEXT NOT NULL REFERENCES users (id),
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoked_by     TEXT REFERENCES users (id),
    created_at     INTEGER NOT NULL
);
CREATE INDEX review_links_workspace ON review_links (workspace_id, id);

-- The posts a link shows, in order. (Ideas do not exist yet; they will get their own column.)
CREATE TABLE review_link_items (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    link_id      TEXT NOT NULL REFERENCES review_links (id) ON DELETE CASCADE,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    PRIMARY KEY (link_id, post_id)
);
CREATE INDEX review_link_items_post ON review_link_items (workspace_id, post_id);

-- A vote cast through a review link names the link: its user_id is the link's creator, who
-- answers for the link, and the comment says "via review link (name)".
ALTER TABLE approval_votes ADD COLUMN review_link_id TEXT REFERENCES review_links (id);
