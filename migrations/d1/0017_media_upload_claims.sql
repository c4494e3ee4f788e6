-- One upload at a time per media asset (issue 23): an upload first claims its pending asset
-- (upload_claim, a fresh id, at upload_claimed_at in milliseconds), stores the file under a key
-- of its own, and only the guarded transition to ready, made by the claim still holding the
-- asset, records that key as the asset's object_key. A claim older than the upload lease may be
-- taken over; a stale upload then loses at the transition. NULL when nobody is uploading.
ALTER TABLE media_assets ADD COLUMN upload_claim TEXT;
ALTER TABLE media_assets ADD COLUMN upload_claimed_at INTEGER;
