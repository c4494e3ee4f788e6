-- Targets per account (SPEC CT-3, issue 14): a target may name the connected account it is
-- for, so two accounts of one platform get different texts, options and media. NULL is the
-- platform's target, used by every account of the platform without one of its own. Not a
-- foreign key, like publications.target_id: the code checks the account is of the workspace.
ALTER TABLE post_targets ADD COLUMN account_id TEXT;
-- At most one target per account of a post, and one platform target (no account) per platform.
CREATE UNIQUE INDEX post_targets_account ON post_targets (post_id, account_id) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX post_targets_platform_level ON post_targets (post_id, platform) WHERE account_id IS NULL;
