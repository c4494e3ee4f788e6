-- A person's notifications across all of their workspaces (SPEC CO-4), newest first: the
-- recipient reads and marks their own in every workspace they are a member of, with no
-- workspace in the settings; within one workspace, and for the system scope (0023), the policy
-- is as before.
CREATE INDEX notifications_person ON notifications (user_id, id);

DROP POLICY notifications_tenant ON notifications;
CREATE POLICY notifications_tenant ON notifications
    USING (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id')
           OR (user_id = app_setting('app.user_id') AND workspace_id IN (SELECT app_member_workspaces())))
    WITH CHECK (app_setting('app.system') = 'on' OR workspace_id = app_setting('app.workspace_id')
                OR (user_id = app_setting('app.user_id') AND workspace_id IN (SELECT app_member_workspaces())));
