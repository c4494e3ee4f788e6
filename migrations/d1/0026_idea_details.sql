-- Campaign ideas carry their structure (format, visual, call to action; a reel's beats, duration
-- and audio) as one JSON document, and the AI generation that proposed them, when one did
-- (`source` is then 'ai', or 'static' when no provider answered and built-in ideas stood in).
ALTER TABLE ideas ADD COLUMN details TEXT;
ALTER TABLE ideas ADD COLUMN generation_id TEXT;
