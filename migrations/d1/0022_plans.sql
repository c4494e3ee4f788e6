-- Plans and their limits (SPEC BI-1, BI-2). A workspace's subscription: its tier, its status and
-- the period its counters belong to; a downgrade waits in next_plan until the period ends. The
-- tiers' numbers live in the code and the configuration (PLAN_LIMITS), not here.
CREATE TABLE subscriptions (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    plan         TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'agency', 'enterprise')),
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('trialing', 'active', 'past_due', 'cancelled')),
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    next_plan    TEXT CHECK (next_plan IN ('free', 'pro', 'agency', 'enterprise')),
    -- The payment provider's customer and subscription (Stripe), the creation time of the last
    -- event applied (an older one arriving late changes nothing), and since when a payment is due.
    provider_customer     TEXT,
    provider_subscription TEXT,
    provider_event_at     INTEGER NOT NULL DEFAULT 0,
    past_due_since        INTEGER,
    -- Who suspended the workspace (workspaces.status): `billing` (past due beyond the grace
    -- period; a payment lifts it) or `operator` (only the operator lifts it).
    suspended_for         TEXT CHECK (suspended_for IN ('billing', 'operator')),
    updated_at   INTEGER NOT NULL
);
CREATE INDEX subscriptions_period_end ON subscriptions (period_end);
CREATE INDEX subscriptions_customer ON subscriptions (provider_customer);

-- The payment provider's events already handled: a redelivery is recognised and changes nothing.
CREATE TABLE billing_events (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    received_at  INTEGER NOT NULL
);

-- What a workspace used of a metered limit in one period (posts scheduled, AI credits). A new
-- period starts new rows: that is the counters' reset.
CREATE TABLE usage_counters (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    period_start INTEGER NOT NULL,
    metric       TEXT NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, period_start, metric)
);

-- Every workspace so far is on the free tier; its first period ends at once, so the next tick
-- starts a calendar month for it.
INSERT INTO subscriptions (workspace_id, plan, status, period_start, period_end, updated_at)
    SELECT id, 'free', 'active', created_at, created_at, updated_at FROM workspaces;

-- White-label mails: the sender name and reply-to address a workspace's mails carry, kept by the
-- development mail catcher as the provider receives them.
ALTER TABLE dev_mailbox ADD COLUMN sender_name TEXT;
ALTER TABLE dev_mailbox ADD COLUMN reply_to TEXT;
