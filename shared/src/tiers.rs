//! The tiers and their limits (SPEC BI-1), as configured: one table, changed by `PLAN_LIMITS`
//! and `DEFAULT_PLAN` without a code change; and the calendar of a subscription's periods.

use serde::Serialize;
use utoipa::ToSchema;

/// The tiers, cheapest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
    Agency,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Free, Plan::Pro, Plan::Agency, Plan::Enterprise];

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Agency => "agency",
            Plan::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Plan> {
        Plan::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What a tier limits. Members, connected accounts and review links are counted as they stand;
/// posts scheduled and AI credits are counted per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Metric {
    Members,
    Accounts,
    ScheduledPosts,
    AiCredits,
    ReviewLinks,
    AnalyticsDays,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::Members,
        Metric::Accounts,
        Metric::ScheduledPosts,
        Metric::AiCredits,
        Metric::ReviewLinks,
        Metric::AnalyticsDays,
    ];

    /// Its name in the API and in `PLAN_LIMITS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Members => "members",
            Metric::Accounts => "accounts",
            Metric::ScheduledPosts => "scheduledPosts",
            Metric::AiCredits => "aiCredits",
            Metric::ReviewLinks => "reviewLinks",
            Metric::AnalyticsDays => "analyticsDays",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Counts never reach this: a limit of "unlimited" in a guard.
pub const UNLIMITED: i64 = i32::MAX as i64;

/// Every tier's limits (`None`: unlimited), and the tier a new workspace starts on. Operators
/// change any number with `PLAN_LIMITS` and the starting tier with `DEFAULT_PLAN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plans {
    limits: [[Option<i64>; 6]; 4],
    pub default_plan: Plan,
}

impl Default for Plans {
    fn default() -> Self {
        // members, accounts, posts scheduled a period, AI credits a period, live review links,
        // days of analytics history
        Plans {
            limits: [
                [Some(3), Some(3), Some(30), Some(50), Some(3), Some(30)],
                [Some(10), Some(15), Some(1_000), Some(1_000), Some(50), Some(365)],
                [Some(50), Some(100), Some(10_000), Some(10_000), Some(500), Some(730)],
                [None, None, None, None, None, None],
            ],
            default_plan: Plan::Free,
        }
    }
}

impl Plans {
    pub fn limit(&self, plan: Plan, metric: Metric) -> Option<i64> {
        self.limits[plan as usize][metric.index()]
    }

    /// The limit of `metric` on each tier, in [`Plan::ALL`]'s order, for a guard's `CASE`.
    pub fn column(&self, metric: Metric) -> [i64; 4] {
        Plan::ALL.map(|p| self.limit(p, metric).unwrap_or(UNLIMITED))
    }

    /// Reads `PLAN_LIMITS` (`free.members=5,pro.accounts=unlimited`, comma-separated) and
    /// `DEFAULT_PLAN`. Returns what it could not read, for the host's log; the rest applies.
    pub fn read(&mut self, get: impl Fn(&str) -> Option<String>) -> Option<String> {
        let mut problems = Vec::new();
        if let Some(text) = get("PLAN_LIMITS") {
            for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match self.set(item) {
                    Some(()) => {}
                    None => problems.push(format!("PLAN_LIMITS: `{item}` is not tier.metric=number|unlimited")),
                }
            }
        }
        if let Some(name) = get("DEFAULT_PLAN").map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()) {
            match Plan::parse(&name) {
                Some(plan) => self.default_plan = plan,
                None => problems.push(format!("DEFAULT_PLAN: `{name}` is not free, pro, agency or enterprise")),
            }
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    fn set(&mut self, item: &str) -> Option<()> {
        let (key, value) = item.split_once('=')?;
        let (plan, metric) = key.trim().split_once('.')?;
        let plan = Plan::parse(plan.trim())?;
        let metric = Metric::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(metric.trim()))?;
        let value = match value.trim() {
            "unlimited" => None,
            n => Some(n.parse::<i64>().ok().filter(|n| (0..UNLIMITED).contains(n))?),
        };
        self.limits[plan as usize][metric.index()] = value;
        Some(())
    }
}

/// The end of a period that starts at `start`: one calendar month later, in UTC.
pub fn period_end(start: i64) -> i64 {
    jiff::Timestamp::from_millisecond(start)
        .ok()
        .and_then(|t| {
            jiff::Span::new().try_months(1).and_then(|s| t.to_zoned(jiff::tz::TimeZone::UTC).checked_add(s)).ok()
        })
        .map_or(start + 30 * 24 * 3600 * 1000, |z| z.timestamp().as_millisecond())
}

/// The period holding `now`, for a subscription whose period ran from `start` to `end`: the
/// next months one after another, so a workspace nobody used for a while starts afresh.
pub fn current_period(mut start: i64, mut end: i64, now: i64) -> (i64, i64) {
    if end <= start {
        return (now, period_end(now));
    }
    while end <= now {
        start = end;
        end = period_end(start);
    }
    (start, end)
}

/// The payment provider (Stripe, SPEC BI-3): the API key, the webhook signing secrets (several
/// while one is rotated) and the price of each paid tier (`STRIPE_SECRET_KEY`,
/// `STRIPE_WEBHOOK_SECRET`, `STRIPE_PRICES`). Without a key and prices checkout answers 503;
/// without a signing secret the webhook refuses every event.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Stripe {
    pub secret_key: Option<String>,
    pub webhook_secrets: Vec<String>,
    pub prices: Vec<(Plan, String)>,
    /// How long a workspace may stay past due before it is suspended (`PAST_DUE_GRACE_DAYS`, 7).
    pub grace_days: Option<i64>,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe").field("prices", &self.prices).finish_non_exhaustive()
    }
}

impl Stripe {
    /// Reads the settings; returns what it could not read, for the host's log.
    pub fn read(&mut self, get: impl Fn(&str) -> Option<String>) -> Option<String> {
        self.secret_key = get("STRIPE_SECRET_KEY");
        self.webhook_secrets = get("STRIPE_WEBHOOK_SECRET")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let mut problems = Vec::new();
        if let Some(days) = get("PAST_DUE_GRACE_DAYS") {
            match days.trim().parse::<i64>() {
                Ok(d) if (0..=365).contains(&d) => self.grace_days = Some(d),
                _ => problems.push(format!("PAST_DUE_GRACE_DAYS: `{days}` is not 0 to 365 days")),
            }
        }
        self.prices.clear();
        for item in get("STRIPE_PRICES").unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item.split_once('=').and_then(|(p, price)| Some((Plan::parse(p.trim())?, price.trim().to_string()))) {
                Some((plan, price)) if plan != Plan::Free && !price.is_empty() => self.prices.push((plan, price)),
                _ => problems.push(format!("STRIPE_PRICES: `{item}` is not pro|agency|enterprise=price_…")),
            }
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    /// The grace period of a past-due workspace, in milliseconds.
    pub fn grace_ms(&self) -> i64 {
        self.grace_days.unwrap_or(7) * 24 * 3600 * 1000
    }

    pub fn price_of(&self, plan: Plan) -> Option<&str> {
        self.prices.iter().find(|(p, _)| *p == plan).map(|(_, price)| price.as_str())
    }

    pub fn plan_of(&self, price: &str) -> Option<Plan> {
        self.prices.iter().find(|(_, p)| p == price).map(|(plan, _)| *plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_come_from_the_table_and_the_configuration() {
        let mut plans = Plans::default();
        assert_eq!(plans.limit(Plan::Free, Metric::Members), Some(3));
        assert_eq!(plans.limit(Plan::Enterprise, Metric::Accounts), None);
        let problem = plans.read(|name| match name {
            "PLAN_LIMITS" => {
                Some("free.members=5, pro.scheduledPosts=unlimited,enterprise.accounts=7,bad,free.x=1".into())
            }
            "DEFAULT_PLAN" => Some("Agency".into()),
            _ => None,
        });
        assert_eq!(plans.limit(Plan::Free, Metric::Members), Some(5));
        assert_eq!(plans.limit(Plan::Pro, Metric::ScheduledPosts), None);
        assert_eq!(plans.limit(Plan::Enterprise, Metric::Accounts), Some(7));
        assert_eq!(plans.default_plan, Plan::Agency);
        let problem = problem.unwrap_or_default();
        assert!(problem.contains("`bad`") && problem.contains("`free.x=1`"), "{problem}");
        assert_eq!(plans.column(Metric::Accounts), [3, 15, 100, 7]);
        assert_eq!(plans.column(Metric::ScheduledPosts)[1], UNLIMITED);
    }

    #[test]
    fn periods_are_calendar_months_and_skip_ahead() {
        let jan31 = 1_769_817_600_000; // 2026-01-31T00:00:00Z
        let end = period_end(jan31);
        assert_eq!(crate::validate::rfc3339(end), "2026-02-28T00:00:00.000Z");
        let (s, e) = current_period(jan31, end, end + 40 * 24 * 3600 * 1000);
        assert!(s <= end + 40 * 24 * 3600 * 1000 && e > end + 40 * 24 * 3600 * 1000 && s > end);
        assert_eq!(current_period(5, 5, 1_000), (1_000, period_end(1_000)));
    }
}
