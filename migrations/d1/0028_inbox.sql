-- A person's notifications across all of their workspaces (SPEC CO-4), newest first.
CREATE INDEX notifications_person ON notifications (user_id, id);
