-- Full-text search over posts: a generated tsvector over title, body and tags with a GIN index.
-- The 'simple' configuration: no language's stemming is imposed on a multilingual workspace.

ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body, '') || ' ' || coalesce(tags, ''))
) STORED;

CREATE INDEX posts_search ON posts USING GIN (search);
