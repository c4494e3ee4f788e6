-- Full-text search over posts: FTS5 over title, body and tags, kept in step by triggers.
-- Under privacy mode the body is NULL, so only titles and tags are searchable.

CREATE VIRTUAL TABLE posts_fts USING fts5(
    title, body, tags,
    content = 'posts', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO posts_fts (rowid, title, body, tags) SELECT rowid, title, COALESCE(body, ''), tags FROM posts;

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, body, tags) VALUES (new.rowid, new.title, COALESCE(new.body, ''), new.tags);
END;

CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, body, tags) VALUES ('delete', old.rowid, old.title, COALESCE(old.body, ''), old.tags);
END;

CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body, tags ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, body, tags) VALUES ('delete', old.rowid, old.title, COALESCE(old.body, ''), old.tags);
    INSERT INTO posts_fts (rowid, title, body, tags) VALUES (new.rowid, new.title, COALESCE(new.body, ''), new.tags);
END;
