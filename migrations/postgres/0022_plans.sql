-- The schema of migrations/d1/0022_plans.sql, in Postgres.
CREATE TABLE subscriptions (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    plan         TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'agency', 'enterprise')),
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('trialing', 'active', 'past_due', 'cancelled')),
    period_start BIGINT NOT NULL,
    period_end   BIGINT NOT NULL,
    next_plan    TEXT CHECK (next_plan IN ('free', 'pro', 'agency', 'enterprise')),
    -- The payment provider's customer and subscription (Stripe), the creation time of the last
    -- event applied (an older one arriving late changes nothing), and since when a payment is due.
    provider_customer     TEXT,
    provider_subscription TEXT,
    provider_event_at     BIGINT NOT NULL DEFAULT 0,
    past_due_since        BIGINT,
    -- Who suspended the workspace (workspaces.status): `billing` (past due beyond the grace
    -- period; a payment lifts it) or `operator` (only the operator lifts it).
    suspended_for         TEXT CHECK (suspended_for IN ('billing', 'operator')),
    updated_at   BIGINT NOT NULL
);
CREATE INDEX subscriptions_period_end ON subscriptions (period_end);
CREATE INDEX subscriptions_customer ON subscriptions (provider_customer);

-- The payment provider's events already handled: a redelivery is recognised and changes nothing.
CREATE TABLE billing_events (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    received_at  BIGINT NOT NULL
);

CREATE TABLE usage_counters (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    period_start BIGINT NOT NULL,
    metric       TEXT NOT NULL,
    used         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, period_start, metric)
);

-- The owner reads every workspace for the backfill: row-level security is lifted for it inside
-- this migration's transaction.
ALTER TABLE workspaces NO FORCE ROW LEVEL SECURITY;
INSERT INTO subscriptions (workspace_id, plan, status, period_start, period_end, updated_at)
    SELECT id, 'free', 'active', created_at, created_at, updated_at FROM workspaces;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;

-- A tenant's rows, as everywhere; the tick (app.system) starts new periods for every tenant.
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['subscriptions', 'usage_counters'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id'')) '
            'WITH CHECK (app_setting(''app.system'') = ''on'' OR workspace_id = app_setting(''app.workspace_id''))',
            t || '_tenant', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON subscriptions, usage_counters TO herald_app;
-- Belongs to no tenant (an event names its workspace only inside its payload), like users.
GRANT SELECT, INSERT, DELETE ON billing_events TO herald_app;

-- White-label mails: the sender name and reply-to address a workspace's mails carry, kept by the
-- development mail catcher as the provider receives them.
ALTER TABLE dev_mailbox ADD COLUMN sender_name TEXT;
ALTER TABLE dev_mailbox ADD COLUMN reply_to TEXT;
