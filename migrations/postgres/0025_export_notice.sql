-- A background export may name the workspace whose in-app notifications announce it when it is
-- ready (the one its person was working in when they asked), besides the mail.
ALTER TABLE data_exports ADD COLUMN notify_workspace_id TEXT;
