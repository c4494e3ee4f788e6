-- The column and indexes of migrations/d1/0018_account_targets.sql, in Postgres (post_targets
-- keeps its row-level security: a new column changes no policy): a target may name the
-- connected account it is for; NULL is the platform's target.
ALTER TABLE post_targets ADD COLUMN account_id TEXT;
CREATE UNIQUE INDEX post_targets_account ON post_targets (post_id, account_id) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX post_targets_platform_level ON post_targets (post_id, platform) WHERE account_id IS NULL;
