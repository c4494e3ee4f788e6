-- The columns of migrations/d1/0017_media_upload_claims.sql, in Postgres (media_assets keeps its
-- row-level security): one upload at a time per media asset, under a claim with a lease.
ALTER TABLE media_assets ADD COLUMN upload_claim TEXT;
ALTER TABLE media_assets ADD COLUMN upload_claimed_at BIGINT;
