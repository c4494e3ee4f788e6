//! The only SQL on `subscriptions` and `usage_counters`, and the counts the limits are held
//! against.

use super::{current_period, period_end, Metric, Plan, Plans};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};

/// How many of `metric` the workspace `?1` has, as a scalar subquery beside `subscriptions s`
/// (review links count only while live: `?6` is now).
fn count_sql(metric: Metric) -> &'static str {
    match metric {
        Metric::Members => "(SELECT COUNT(*) FROM memberships m WHERE m.workspace_id = s.workspace_id)",
        Metric::Accounts => {
            "(SELECT COUNT(*) FROM social_accounts a WHERE a.workspace_id = s.workspace_id AND a.status <> 'disconnected')"
        }
        Metric::ReviewLinks => {
            "(SELECT COUNT(*) FROM review_links r WHERE r.workspace_id = s.workspace_id AND r.revoked_at IS NULL \
             AND r.expires_at > ?6)"
        }
        Metric::ScheduledPosts => {
            "COALESCE((SELECT u.used FROM usage_counters u WHERE u.workspace_id = s.workspace_id \
             AND u.period_start = s.period_start AND u.metric = 'scheduledPosts'), 0)"
        }
        Metric::AiCredits => {
            "COALESCE((SELECT u.used FROM usage_counters u WHERE u.workspace_id = s.workspace_id \
             AND u.period_start = s.period_start AND u.metric = 'aiCredits'), 0)"
        }
        Metric::AnalyticsDays => "0",
    }
}

/// A new workspace's subscription: `plan`, its first period starting now.
pub fn create(workspace_id: &str, plan: Plan, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO subscriptions (workspace_id, plan, status, period_start, period_end, updated_at) \
         VALUES (?1, ?2, 'active', ?3, ?4, ?3)",
        params![workspace_id, plan.as_str(), now, period_end(now)],
    )
}

/// Holds the subscription's row for the rest of the batch: on Postgres two batches of one
/// workspace that both count against a limit take turns (and the second counts what the first
/// wrote); SQLite and D1 run one batch at a time anyway.
pub fn hold(workspace_id: &str) -> Statement {
    Statement::new("UPDATE subscriptions SET updated_at = updated_at WHERE workspace_id = ?1", params![workspace_id])
}

/// Fails the batch unless the workspace's count of `metric`, as the batch's earlier statements
/// left it, is within its plan's limit. Goes after the write, behind [`hold`].
pub fn within(plans: &Plans, workspace_id: &str, metric: Metric, now: i64) -> Statement {
    let [free, pro, agency, enterprise] = plans.column(metric);
    Statement::guard(
        &format!(
            "SELECT 1 FROM subscriptions s WHERE s.workspace_id = ?1 AND {} <= CASE s.plan \
             WHEN 'free' THEN CAST(?2 AS BIGINT) WHEN 'pro' THEN CAST(?3 AS BIGINT) \
             WHEN 'agency' THEN CAST(?4 AS BIGINT) ELSE CAST(?5 AS BIGINT) END",
            count_sql(metric)
        ),
        if metric == Metric::ReviewLinks {
            params![workspace_id, free, pro, agency, enterprise, now]
        } else {
            params![workspace_id, free, pro, agency, enterprise]
        },
    )
}

/// Adds `amount` to the workspace's counter of a metered `metric` in its current period (the
/// row is held until the batch ends); [`within`] after it refuses what passes the limit.
pub fn spend(workspace_id: &str, metric: Metric, amount: i64) -> Statement {
    Statement::new(
        "INSERT INTO usage_counters (workspace_id, period_start, metric, used) \
         SELECT ?1, s.period_start, ?2, CAST(?3 AS BIGINT) FROM subscriptions s WHERE s.workspace_id = ?1 \
         ON CONFLICT (workspace_id, period_start, metric) DO UPDATE SET used = usage_counters.used + excluded.used",
        params![workspace_id, metric.as_str(), amount],
    )
}

/// Adds `amount` (an SQL expression over `extra`, which are `?3` on) to the workspace's counter
/// of `metric` in its current period, only when `only_if` (an SQL query over the same
/// parameters) finds a row: a settlement that must happen once, guarded by what it settles.
pub fn spend_if(
    workspace_id: &str,
    metric: Metric,
    amount: &str,
    only_if: &str,
    extra: Vec<crate::sql::Value>,
) -> Statement {
    let mut p = params![workspace_id, metric.as_str()];
    p.extend(extra);
    Statement::new(
        format!(
            "INSERT INTO usage_counters (workspace_id, period_start, metric, used) \
             SELECT ?1, s.period_start, ?2, {amount} FROM subscriptions s WHERE s.workspace_id = ?1 AND EXISTS ({only_if}) \
             ON CONFLICT (workspace_id, period_start, metric) DO UPDATE SET used = usage_counters.used + excluded.used"
        ),
        p,
    )
}

/// The subscription and every count, in one read (`?2` is now).
pub fn standing_read(workspace_id: &str, now: i64) -> Statement {
    let counts: Vec<String> =
        Metric::ALL.iter().map(|m| format!("{} AS {}", count_sql(*m).replace("?6", "?2"), column(*m))).collect();
    Statement::new(
        format!(
            "SELECT s.plan AS plan, s.status AS status, s.period_start AS period_start, s.period_end AS period_end, \
             s.next_plan AS next_plan, s.provider_customer AS provider_customer, s.suspended_for AS suspended_for, \
             (SELECT w.status FROM workspaces w WHERE w.id = s.workspace_id) AS workspace_status, {} FROM subscriptions s \
             WHERE s.workspace_id = ?1",
            counts.join(", ")
        ),
        params![workspace_id, now],
    )
}

fn column(metric: Metric) -> &'static str {
    match metric {
        Metric::Members => "c_members",
        Metric::Accounts => "c_accounts",
        Metric::ScheduledPosts => "c_scheduled",
        Metric::AiCredits => "c_ai",
        Metric::ReviewLinks => "c_links",
        Metric::AnalyticsDays => "c_days",
    }
}

/// Where a workspace stands: its subscription and what it uses of each limit.
#[derive(Debug, Clone)]
pub struct Standing {
    pub plan: Plan,
    pub status: String,
    pub period_start: i64,
    pub period_end: i64,
    pub next_plan: Option<Plan>,
    /// The payment provider's customer, once the workspace has paid through checkout.
    pub provider_customer: Option<String>,
    /// Why the workspace is suspended (`billing` or `operator`); `None` while it is not.
    pub suspended_for: Option<String>,
    used: Vec<(Metric, i64)>,
}

impl Standing {
    pub fn used(&self, metric: Metric) -> i64 {
        self.used.iter().find(|(m, _)| *m == metric).map_or(0, |(_, n)| *n)
    }
}

fn plan_of(row: &Row, col: &str) -> Result<Option<Plan>, AppError> {
    match row.opt_text(col)? {
        None => Ok(None),
        Some(p) => Plan::parse(&p).map(Some).ok_or_else(|| AppError::Internal(format!("stored plan `{p}` is unknown"))),
    }
}

/// What [`standing_read`] found; `None` for a workspace without a subscription.
pub fn standing_of(rows: &[Row]) -> Result<Option<Standing>, AppError> {
    let Some(row) = rows.first() else { return Ok(None) };
    let mut used = Vec::with_capacity(Metric::ALL.len());
    for m in Metric::ALL {
        used.push((m, row.int(column(m))?));
    }
    Ok(Some(Standing {
        plan: plan_of(row, "plan")?.ok_or_else(|| AppError::Internal("subscription without a plan".into()))?,
        status: row.text("status")?,
        period_start: row.int("period_start")?,
        period_end: row.int("period_end")?,
        next_plan: plan_of(row, "next_plan")?,
        provider_customer: row.opt_text("provider_customer")?,
        suspended_for: match row.opt_text("workspace_status")?.as_deref() {
            Some("suspended") => Some(row.opt_text("suspended_for")?.unwrap_or_else(|| "operator".into())),
            _ => None,
        },
        used,
    }))
}

pub async fn standing(db: &dyn Sql, workspace_id: &str, now: i64) -> Result<Option<Standing>, AppError> {
    let read = standing_read(workspace_id, now);
    standing_of(&db.query(&read.sql, &read.params).await?)
}

/// Moves the workspace to `plan` at once (an upgrade, or an operator's immediate change),
/// dropping any pending downgrade.
pub fn change_now(workspace_id: &str, plan: Plan, status: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE subscriptions SET plan = ?2, status = ?3, next_plan = NULL, updated_at = ?4 WHERE workspace_id = ?1",
        params![workspace_id, plan.as_str(), status, now],
    )
}

/// Sets the plan the workspace moves to when its period ends (a downgrade).
pub fn change_at_period_end(workspace_id: &str, plan: Plan, status: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE subscriptions SET next_plan = ?2, status = ?3, updated_at = ?4 WHERE workspace_id = ?1",
        params![workspace_id, plan.as_str(), status, now],
    )
}

/// Starts the next period of every subscription whose period has ended (at most `limit` a
/// tick, the longest overdue first), applying pending downgrades; returns how many moved.
pub async fn roll(db: &dyn Sql, now: i64, limit: i64) -> Result<u64, AppError> {
    let due = db
        .query(
            "SELECT workspace_id, period_start, period_end FROM subscriptions WHERE period_end <= ?1 \
             ORDER BY period_end, workspace_id LIMIT ?2",
            &params![now, limit],
        )
        .await?;
    let mut statements = Vec::with_capacity(due.len());
    for row in &due {
        let (start, end) = current_period(row.int("period_start")?, row.int("period_end")?, now);
        // Guarded by the old end: a second tick at once moves nothing twice.
        statements.push(Statement::new(
            "UPDATE subscriptions SET plan = COALESCE(next_plan, plan), next_plan = NULL, period_start = ?2, \
             period_end = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND period_end = ?5",
            params![row.text("workspace_id")?, start, end, now, row.int("period_end")?],
        ));
    }
    if statements.is_empty() {
        return Ok(0);
    }
    Ok(db.batch(&statements).await?.iter().sum())
}

// ── The payment provider ─────────────────────────────────────────────────────────────────

/// The subscription a provider's event is about: by the workspace its metadata names, else by
/// its customer (`?2`). Spans tenants: read in the system scope.
pub fn provider_subject_read(workspace_id: Option<&str>, customer: Option<&str>) -> Statement {
    Statement::new(
        "SELECT workspace_id, provider_customer FROM subscriptions \
         WHERE workspace_id = ?1 OR (?1 IS NULL AND provider_customer = ?2) LIMIT 1",
        params![workspace_id, customer],
    )
}

/// Whether the event `?1` was handled already.
pub fn event_seen_read(id: &str) -> Statement {
    Statement::new("SELECT id FROM billing_events WHERE id = ?1", params![id])
}

/// Records the event as handled, in the batch that applies it: a redelivery racing this one
/// fails on the key and changes nothing.
pub fn event_handled(id: &str, kind: &str, now: i64) -> Statement {
    Statement::new("INSERT INTO billing_events (id, type, received_at) VALUES (?1, ?2, ?3)", params![id, kind, now])
}

/// The provider's customer paid for `plan` through checkout: at once, as an upgrade.
pub fn linked(
    workspace_id: &str,
    customer: Option<&str>,
    subscription: Option<&str>,
    plan: Option<Plan>,
    event_ms: i64,
    now: i64,
) -> Statement {
    Statement::new(
        "UPDATE subscriptions SET provider_customer = COALESCE(?2, provider_customer), \
         provider_subscription = COALESCE(?3, provider_subscription), plan = COALESCE(?4, plan), next_plan = NULL, \
         status = 'active', past_due_since = NULL, provider_event_at = ?5, updated_at = ?6 \
         WHERE workspace_id = ?1 AND provider_event_at <= ?5",
        params![workspace_id, customer, subscription, plan.map(Plan::as_str), event_ms, now],
    )
}

/// The provider's state of the subscription: its plan, status and period.
#[allow(clippy::too_many_arguments)]
pub fn mirrored(
    workspace_id: &str,
    customer: Option<&str>,
    subscription: &str,
    plan: Option<Plan>,
    status: &str,
    period: Option<(i64, i64)>,
    event_ms: i64,
    now: i64,
) -> Statement {
    Statement::new(
        "UPDATE subscriptions SET provider_customer = COALESCE(?2, provider_customer), provider_subscription = ?3, \
         plan = COALESCE(?4, plan), next_plan = NULL, status = ?5, period_start = COALESCE(?6, period_start), \
         period_end = COALESCE(?7, period_end), \
         past_due_since = CASE WHEN ?5 = 'past_due' THEN COALESCE(past_due_since, ?9) ELSE NULL END, \
         provider_event_at = ?8, updated_at = ?9 WHERE workspace_id = ?1 AND provider_event_at <= ?8",
        params![
            workspace_id,
            customer,
            subscription,
            plan.map(Plan::as_str),
            status,
            period.map(|p| p.0),
            period.map(|p| p.1),
            event_ms,
            now
        ],
    )
}

/// The subscription ended: the free tier, cancelled.
pub fn ended(workspace_id: &str, event_ms: i64, now: i64) -> Statement {
    Statement::new(
        "UPDATE subscriptions SET plan = 'free', status = 'cancelled', next_plan = NULL, provider_subscription = NULL, \
         past_due_since = NULL, provider_event_at = ?2, updated_at = ?3 WHERE workspace_id = ?1 AND provider_event_at <= ?2",
        params![workspace_id, event_ms, now],
    )
}

/// A payment failed (`past_due`, since the first failure) or was made (`active` again).
pub fn payment(workspace_id: &str, failed: bool, event_ms: i64, now: i64) -> Statement {
    let sql = if failed {
        "UPDATE subscriptions SET status = 'past_due', past_due_since = COALESCE(past_due_since, ?3), \
         provider_event_at = ?2, updated_at = ?3 WHERE workspace_id = ?1 AND provider_event_at <= ?2"
    } else {
        "UPDATE subscriptions SET status = 'active', past_due_since = NULL, provider_event_at = ?2, updated_at = ?3 \
         WHERE workspace_id = ?1 AND provider_event_at <= ?2 AND status = 'past_due'"
    };
    Statement::new(sql, params![workspace_id, event_ms, now])
}

// ── Suspension (SPEC IAM-5) ─────────────────────────────────────────────────────────────

/// Suspends the workspace for `reason` (`billing` or `operator`): it can then be read but not
/// changed, and its publications wait. Run in the workspace's scope.
pub fn suspend(workspace_id: &str, reason: &str, now: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE workspaces SET status = 'suspended', updated_at = ?2 WHERE id = ?1 AND status = 'active'",
            params![workspace_id, now],
        ),
        Statement::new(
            "UPDATE subscriptions SET suspended_for = COALESCE(suspended_for, ?2), updated_at = ?3 WHERE workspace_id = ?1",
            params![workspace_id, reason, now],
        ),
    ]
}

/// Lifts the workspace's suspension: any (`only` none: the operator), or only one for `only`
/// (`billing`: a payment made lifts what billing did, never the operator's).
/// Publications whose time passed while their workspace was suspended are not published late
/// on reactivation: they keep waiting with this reason until rescheduled or cancelled.
pub const MISSED_WHILE_SUSPENDED: &str =
    "its time passed while the workspace was suspended: reschedule it (PATCH its post's schedule) or cancel it";

pub fn reactivate(workspace_id: &str, only: Option<&str>, now: i64) -> [Statement; 3] {
    let lifted = "EXISTS (SELECT 1 FROM workspaces WHERE id = ?1 AND status = 'suspended') \
         AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.workspace_id = ?1 \
         AND (CAST(?3 AS TEXT) IS NULL OR s.suspended_for = ?3 OR s.suspended_for IS NULL))";
    [
        // First, while the workspace still reads as suspended: what it missed is held back.
        Statement::new(
            format!(
                "UPDATE publications SET reason = ?4, updated_at = ?2 WHERE workspace_id = ?1 \
                 AND status = 'scheduled' AND due_at <= ?2 AND reason IS NULL AND {lifted}"
            ),
            params![workspace_id, now, only, MISSED_WHILE_SUSPENDED],
        ),
        Statement::new(
            "UPDATE workspaces SET status = 'active', updated_at = ?2 WHERE id = ?1 AND status = 'suspended' \
             AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.workspace_id = ?1 \
             AND (CAST(?3 AS TEXT) IS NULL OR s.suspended_for = ?3 OR s.suspended_for IS NULL))",
            params![workspace_id, now, only],
        ),
        Statement::new(
            "UPDATE subscriptions SET suspended_for = NULL, updated_at = ?2 WHERE workspace_id = ?1 \
             AND (CAST(?3 AS TEXT) IS NULL OR suspended_for = ?3)",
            params![workspace_id, now, only],
        ),
    ]
}

/// Workspaces past due since `before` or earlier and not suspended yet (every tenant: the
/// tick, in the system scope), at most `limit`.
pub async fn overdue(db: &dyn Sql, before: i64, limit: i64) -> Result<Vec<String>, AppError> {
    let rows = db
        .query(
            "SELECT workspace_id FROM subscriptions WHERE status = 'past_due' AND past_due_since <= ?1 \
             AND suspended_for IS NULL ORDER BY past_due_since LIMIT ?2",
            &params![before, limit],
        )
        .await?;
    rows.iter().map(|r| Ok(r.text("workspace_id")?)).collect()
}
