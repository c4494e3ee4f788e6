-- One grant renewal per social account at a time (SPEC PB-1): refresh tokens are single-use on
-- X and TikTok, so publications that renew the same account's grant together take turns.
-- Milliseconds; NULL when nobody is renewing.
ALTER TABLE social_accounts ADD COLUMN renewal_lease_until INTEGER;
