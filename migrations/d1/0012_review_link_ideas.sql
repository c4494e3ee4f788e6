-- Review links show campaign ideas too (SPEC AG-5): the ideas a link shows, in order, beside
-- its posts. A decision made through a link names the link, as votes on posts do.

CREATE TABLE review_link_ideas (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    link_id      TEXT NOT NULL REFERENCES review_links (id) ON DELETE CASCADE,
    idea_id      TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    PRIMARY KEY (link_id, idea_id)
);
CREATE INDEX review_link_ideas_idea ON review_link_ideas (workspace_id, idea_id);

ALTER TABLE idea_decisions ADD COLUMN review_link_id TEXT REFERENCES review_links (id);

-- When an idea entered its current status (or was last reworked): under a workflow whose stage
-- needs every approver, the approvals of the stage are those given since.
ALTER TABLE ideas ADD COLUMN stage_opened_at INTEGER NOT NULL DEFAULT 0;
