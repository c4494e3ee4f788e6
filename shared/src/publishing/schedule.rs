//! Schedules (SPEC PB-2, PB-6): publish a post now or at a time in an IANA time zone, to some
//! connected accounts — one publication per (target, account) — cancel, reschedule, and read
//! each publication's status and attempt log. Only approved posts are scheduled when the
//! workspace (or the post's client) has a workflow; without one, scheduling a draft approves
//! it on the way, as submitting would.
//!
//! Here: what a schedule is and how its times are computed; handlers in
//! `handlers::schedule`, SQL in `store`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::documented::{field, query, Documented, Rule};
use crate::content::posts::{PostView, TargetView};

/// A schedule may not be more than this far back (a clock skew allowance); further back is
/// a mistake, not "now".
pub const PAST_TOLERANCE_MS: i64 = 5 * 60_000;
/// Nor more than two years ahead.
pub const MAX_AHEAD_MS: i64 = 2 * 366 * 24 * 3_600_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleInput {
    /// The accounts to publish to (1 to 20); each must be connected and have a target: its
    /// own (a target with its `accountId`), else its platform's (a target without one).
    #[serde(default)]
    pub account_ids: Vec<String>,
    /// When: RFC 3339 with an offset (`2026-12-01T09:00:00Z`), a wall-clock time
    /// (`2026-12-01T09:00`) in `timezone`, or `next-free-slot` (each account's next posting
    /// slot with nothing scheduled). Omit it to publish now.
    pub at: Option<String>,
    /// IANA time zone of a wall-clock `at` and of `repeat`; UTC by default.
    pub timezone: Option<String>,
    /// Publish again at a fixed interval (wall-clock in the time zone, so 09:00 stays 09:00).
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub repeat: Option<Repeat>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// `day`, `week` or `month`.
    pub every: String,
    /// How many times in all, 2 to 52.
    pub count: i64,
}

/// What a time jiff cannot represent is refused with (rather than jiff's own words). Spans are
/// made with `try_days` and kin: `Span::days` panics past its range, and a request names `k`.
fn out_of_range(_: jiff::Error) -> String {
    "is outside the times Herald can schedule".into()
}

/// `count` due times from `first`, `every` apart in `tz`'s wall-clock time.
pub fn occurrences(first: i64, tz: &str, every: &str, count: i64) -> Result<Vec<i64>, String> {
    let zone = crate::zones::get(tz).ok_or_else(|| format!("unknown IANA time zone `{tz}`"))?;
    let start = jiff::Timestamp::from_millisecond(first).map_err(out_of_range)?.to_zoned(zone);
    (0..count)
        .map(|k| {
            let span = match every {
                "day" => jiff::Span::new().try_days(k),
                "week" => jiff::Span::new().try_weeks(k),
                "month" => jiff::Span::new().try_months(k),
                _ => return Err("must be day, week or month".to_string()),
            };
            span.and_then(|s| start.checked_add(s)).map(|z| z.timestamp().as_millisecond()).map_err(out_of_range)
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub number: i64,
    pub started_at: String,
    pub finished_at: String,
    /// published, retry, rate_limited, unconfirmed, failed, reconnect or reconciled.
    pub outcome: String,
    pub http_status: Option<i64>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicationView {
    pub id: String,
    pub post_id: String,
    pub target_id: String,
    pub account_id: String,
    pub platform: String,
    pub due_at: String,
    pub timezone: String,
    /// scheduled, queued, publishing, retrying, unconfirmed, published, failed, dead
    /// (retries exhausted: the dead-letter list) or cancelled.
    pub status: String,
    pub attempts: i64,
    /// When a retrying publication is tried again.
    pub next_attempt_at: Option<String>,
    /// When its latest attempt started (recorded before any call to the platform).
    pub last_attempt_at: Option<String>,
    /// While it is queued or publishing: when the engine takes it over if nothing is heard by
    /// then (a queued claim whose queue stopped is claimed again; an attempt whose publisher
    /// stopped is settled by reading the platform).
    pub recover_at: Option<String>,
    /// True while the engine is recovering it: its queue or publisher stopped answering (past
    /// `recoverAt`), or its outcome is unconfirmed and is being read back from the platform.
    pub recovering: bool,
    /// Why it is retrying, unconfirmed, failed, dead or cancelled.
    pub reason: Option<String>,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub published_at: Option<String>,
    /// Every attempt, oldest first (on a single publication or a post's list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_log: Option<Vec<AttemptView>>,
}

/// `at` in `tz` as milliseconds: an offset in `at` wins; a wall-clock time is read in `tz`.
pub fn due_ms(at: &str, tz: &str) -> Result<i64, String> {
    let at = at.trim();
    if let Ok(ts) = at.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let civil: jiff::civil::DateTime = at
        .parse()
        .map_err(|_| "must be RFC 3339 (2026-12-01T09:00:00Z) or a wall-clock time (2026-12-01T09:00)".to_string())?;
    let zone = crate::zones::get(tz).ok_or_else(|| format!("unknown IANA time zone `{tz}`"))?;
    civil.to_zoned(zone).map(|z| z.timestamp().as_millisecond()).map_err(out_of_range)
}

/// The target an account publishes: its own when the post has one, else its platform's.
pub fn target_for<'a>(post: &'a PostView, account: &crate::accounts::Account) -> Option<&'a TargetView> {
    let own = post.targets.iter().find(|t| t.account_id.as_deref() == Some(account.view.id.as_str()));
    own.or_else(|| post.targets.iter().find(|t| t.platform == account.platform() && t.account_id.is_none()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// The new time, as in scheduling. A repeating schedule moves as a whole: its first
    /// waiting occurrence goes here and the others keep their spacing.
    pub at: String,
    /// IANA time zone of a wall-clock `at`; by default each publication keeps its own.
    pub timezone: Option<String>,
}

/// Where occurrence `due` of a series lands when its first occurrence moves from `first` to
/// `new_first`: the same wall-clock distance in `tz` (days stay days across daylight saving).
pub fn shift(due: i64, first: i64, new_first: i64, tz: &str) -> Result<i64, String> {
    let zone = crate::zones::get(tz).ok_or_else(|| format!("unknown IANA time zone `{tz}`"))?;
    let civil = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(zone.clone()).datetime()).map_err(out_of_range)
    };
    let distance = civil(due)?.since(civil(first)?).map_err(out_of_range)?;
    let landed = civil(new_first)?.checked_add(distance).map_err(out_of_range)?;
    landed.to_zoned(zone.clone()).map(|z| z.timestamp().as_millisecond()).map_err(out_of_range)
}

/// An RFC 3339 time with an offset, a wall-clock time, or `next-free-slot` (`due_ms`).
const WHEN_PATTERN: &str = r"^next-free-slot$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$";

/// What scheduling checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("ScheduleInput", "accountIds", Rule::Items(1, 20, &Rule::Id)),
    field("ScheduleInput", "timezone", Rule::TimeZone),
    field("RescheduleInput", "timezone", Rule::TimeZone),
    field("ScheduleInput", "at", Rule::Pattern(WHEN_PATTERN, 64)),
    field("RescheduleInput", "at", Rule::Pattern(WHEN_PATTERN, 64)),
    field("Repeat", "every", Rule::OneOf(&["day", "week", "month"])),
    field("Repeat", "count", Rule::Range(2, 52)),
    query("listPublications", "from", Rule::DateTime),
    query("listPublications", "to", Rule::DateTime),
    query(
        "listPublications",
        "status",
        Rule::OneOf(&[
            "",
            "scheduled",
            "queued",
            "publishing",
            "retrying",
            "unconfirmed",
            "published",
            "failed",
            "dead",
            "cancelled",
        ]),
    ),
];

#[cfg(test)]
mod tests {
    use super::due_ms;

    #[test]
    fn schedule_times_read_offsets_and_wall_clocks_in_their_zone() {
        assert_eq!(due_ms("2026-12-01T09:00:00Z", "Europe/Paris").unwrap(), 1_796_115_600_000);
        assert_eq!(
            due_ms("2026-12-01T09:00", "Europe/Paris").unwrap(),
            1_796_112_000_000,
            "09:00 in Paris is 08:00 UTC"
        );
        assert_eq!(
            due_ms("2026-07-01T09:00", "Europe/Paris").unwrap() % 86_400_000,
            7 * 3_600_000,
            "summer time: UTC+2"
        );
        assert!(due_ms("tomorrow", "UTC").is_err());
        assert!(due_ms("2026-12-01T09:00", "Mars/Olympus").is_err());
    }

    #[test]
    fn repeats_keep_the_wall_clock_time_across_daylight_saving() {
        use super::occurrences;
        use crate::validate::rfc3339;
        let first = due_ms("2026-03-27T09:00", "Europe/Paris").unwrap();
        let days: Vec<String> =
            occurrences(first, "Europe/Paris", "day", 3).unwrap().into_iter().map(rfc3339).collect();
        assert_eq!(
            days,
            ["2026-03-27T08:00:00.000Z", "2026-03-28T08:00:00.000Z", "2026-03-29T07:00:00.000Z"],
            "09:00 each day"
        );
        let months = occurrences(due_ms("2027-01-31T12:00:00Z", "UTC").unwrap(), "UTC", "month", 2).unwrap();
        assert_eq!(rfc3339(months[1]), "2027-02-28T12:00:00.000Z", "clamped to the month's end");
        assert!(occurrences(first, "UTC", "fortnight", 2).is_err());
    }

    #[test]
    fn a_moved_series_keeps_its_wall_clock_spacing_across_daylight_saving() {
        use super::{occurrences, shift};
        use crate::validate::rfc3339;
        let first = due_ms("2026-03-20T09:00", "Europe/Paris").unwrap();
        let weekly = occurrences(first, "Europe/Paris", "week", 3).unwrap();
        let to = due_ms("2026-03-21T10:00", "Europe/Paris").unwrap();
        let moved: Vec<String> =
            weekly.iter().map(|d| rfc3339(shift(*d, first, to, "Europe/Paris").unwrap())).collect();
        assert_eq!(
            moved,
            ["2026-03-21T09:00:00.000Z", "2026-03-28T09:00:00.000Z", "2026-04-04T08:00:00.000Z"],
            "10:00 each Saturday"
        );
        assert!(shift(first, first, to, "Mars/Olympus").is_err());
    }
}
