//! Calendar events (SPEC CO-5): a workspace's (the team's meetings, shoots, launches) or a
//! person's own, all-day or timed, in an IANA zone, optionally repeating by a subset of RFC
//! 5545's recurrence rules. An event is stored as its local wall-clock start and end in its
//! zone and its rule; its occurrences are computed in that zone, so a weekly 09:00 stays 09:00
//! across daylight saving (its UTC instant moves). The SQL is in `store::events`.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::documented::{field, query, Documented, Rule};
use crate::error::AppError;
use crate::validate::{self, Fields};

/// The longest event, start to end.
pub const MAX_DAYS: i64 = 31;
/// The most occurrences a rule may count, and the most a computation walks before it stops.
pub const MAX_COUNT: i64 = 999;
const MAX_STEPS: i64 = 20_000;
pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 5000;
const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// How an event repeats: RFC 5545's FREQ, INTERVAL, COUNT or UNTIL, and BYDAY for weekly rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recurrence {
    /// `daily`, `weekly`, `monthly` or `yearly`.
    pub frequency: String,
    /// Every how many days, weeks, months or years: 1 to 99 (1 by default).
    #[serde(default = "one")]
    pub interval: i64,
    /// How many occurrences in all (1 to 999); give this or `until`, or neither to repeat on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// The last day an occurrence may start on (`YYYY-MM-DD`, in the event's zone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Weekly rules: the weekdays (`MO` … `SU`); the start's weekday when absent. A month's
    /// day that does not exist (the 31st in April) is skipped, as RFC 5545 says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_day: Vec<String>,
}

fn one() -> i64 {
    1
}

/// A new event, or the fields of one to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventInput {
    /// 1 to 200 characters.
    pub title: Option<String>,
    /// At most 5,000 characters; `""` removes it.
    pub description: Option<String>,
    /// An all-day event's start and end are dates (`2027-03-10`; the end is the day after its
    /// last); a timed event's are wall-clock times in `timezone` (`2027-03-10T09:30`).
    pub all_day: Option<bool>,
    pub start: Option<String>,
    /// After the start, at most 31 days later.
    pub end: Option<String>,
    /// The IANA zone the wall-clock times are in (`UTC` by default).
    pub timezone: Option<String>,
    /// How it repeats; `null` makes it a single event again.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Recurrence>)]
    pub recurrence: Option<Option<Recurrence>>,
}

/// A field given, even as `null` (`Some(None)`), told from a field left out (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub workspace_id: Option<String>,
    pub user_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub all_day: bool,
    /// Local start and end: `YYYY-MM-DD` (all-day) or `YYYY-MM-DDTHH:MM:SS`.
    pub start: String,
    pub end: String,
    pub timezone: String,
    pub recurrence: Option<Recurrence>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An event as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub id: String,
    /// The workspace whose event it is; absent for a person's own.
    pub workspace_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub all_day: bool,
    /// As given: a date, or a wall-clock time in `timezone`.
    pub start: String,
    pub end: String,
    pub timezone: String,
    pub recurrence: Option<Recurrence>,
    pub created_by: String,
    #[schema(format = DateTime, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    pub created_at: String,
    #[schema(format = DateTime, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    pub updated_at: String,
}

impl Event {
    pub fn view(&self) -> EventView {
        EventView {
            id: self.id.clone(),
            workspace_id: self.workspace_id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            all_day: self.all_day,
            start: self.start.clone(),
            end: self.end.clone(),
            timezone: self.timezone.clone(),
            recurrence: self.recurrence.clone(),
            created_by: self.created_by.clone(),
            created_at: validate::rfc3339(self.created_at),
            updated_at: validate::rfc3339(self.updated_at),
        }
    }
}

/// One occurrence of an event in a range.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Occurrence {
    pub event_id: String,
    pub workspace_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub all_day: bool,
    /// When it starts and ends (an all-day occurrence: midnight in the event's zone).
    #[schema(format = DateTime, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    pub starts_at: String,
    #[schema(format = DateTime, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    pub ends_at: String,
    /// Its local start and end in the event's zone: dates for an all-day occurrence.
    pub start: String,
    pub end: String,
    pub timezone: String,
    pub recurring: bool,
}

/// What the event inputs and lists check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("EventInput", "title", Rule::Line(TITLE_MAX)),
    field("EventInput", "description", Rule::Text(DESCRIPTION_MAX)),
    field("EventInput", "start", Rule::Pattern(LOCAL_PATTERN, 19)),
    field("EventInput", "end", Rule::Pattern(LOCAL_PATTERN, 19)),
    field("EventInput", "timezone", Rule::TimeZone),
    field("Recurrence", "frequency", Rule::OneOf(&["daily", "weekly", "monthly", "yearly"])),
    field("Recurrence", "interval", Rule::Range(1, 99)),
    field("Recurrence", "count", Rule::Range(1, MAX_COUNT)),
    field("Recurrence", "until", Rule::Date),
    field("Recurrence", "byDay", Rule::Items(1, 7, &Rule::OneOf(&DAYS))),
    query("listWorkspaceEvents", "from", Rule::DateTime),
    query("listWorkspaceEvents", "to", Rule::DateTime),
    query("listMyEvents", "from", Rule::DateTime),
    query("listMyEvents", "to", Rule::DateTime),
];

/// A date, or a wall-clock time to the minute or second.
const LOCAL_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$";

/// Applies `input` onto `e` (a new event starts empty), reporting every invalid field.
pub fn apply(e: &mut Event, input: EventInput, creating: bool) -> Result<(), AppError> {
    let mut f = Fields::default();
    if creating && input.title.is_none() {
        f.take::<()>("title", Err("is required".into()));
    }
    if let Some(t) = f.take_opt("title", input.title, |t| validate::line(&t, TITLE_MAX)) {
        e.title = t;
    }
    if let Some(d) = f.take_opt("description", input.description, |d| validate::opt_text(Some(d), DESCRIPTION_MAX)) {
        e.description = d;
    }
    if let Some(z) = f.take_opt("timezone", input.timezone, |z| validate::timezone(&z)) {
        e.timezone = z;
    }
    if let Some(all_day) = input.all_day {
        e.all_day = all_day;
    }
    // The start and end, of the event's kind (changing the kind gives both again), in order.
    let mut times_ok = true;
    for (name, given) in [("start", input.start), ("end", input.end)] {
        match given.map(|s| local(&s, e.all_day)) {
            Some(Ok(s)) if name == "start" => e.start = s,
            Some(Ok(s)) => e.end = s,
            Some(Err(m)) => {
                f.take::<()>(name, Err(m));
                times_ok = false;
            }
            None if creating => {
                f.take::<()>(name, Err("is required".into()));
                times_ok = false;
            }
            None => {}
        }
    }
    if times_ok {
        match (parse_local(&e.start, e.all_day), parse_local(&e.end, e.all_day)) {
            (Some(start), Some(end)) if end <= start => {
                f.take::<()>("end", Err("must be after start".into()));
            }
            (Some(start), Some(end))
                if jiff::Span::new()
                    .try_days(MAX_DAYS)
                    .and_then(|s| start.checked_add(s))
                    .map_or(true, |latest| end > latest) =>
            {
                f.take::<()>("end", Err(format!("must be at most {MAX_DAYS} days after start")));
            }
            (Some(_), Some(_)) => {}
            (None, _) => {
                f.take::<()>("start", Err(kind_message(e.all_day)));
            }
            (_, None) => {
                f.take::<()>("end", Err(kind_message(e.all_day)));
            }
        }
    }
    match input.recurrence {
        None => {}
        Some(None) => e.recurrence = None,
        Some(Some(r)) => {
            if let Some(r) = check_rule(r, &e.start, &mut f) {
                e.recurrence = Some(r);
            }
        }
    }
    if f.is_ok() {
        Ok(())
    } else {
        Err(f.error())
    }
}

fn kind_message(all_day: bool) -> String {
    if all_day {
        "must be a date (2027-03-10) for an all-day event".into()
    } else {
        "must be a wall-clock time (2027-03-10T09:30) for a timed event".into()
    }
}

/// A local start or end of the event's kind, as stored.
fn local(s: &str, all_day: bool) -> Result<String, String> {
    parse_local(s, all_day).map(|d| show_local(d, all_day)).ok_or_else(|| kind_message(all_day))
}

fn parse_local(s: &str, all_day: bool) -> Option<DateTime> {
    if all_day {
        (s.len() == 10).then(|| s.parse::<Date>().ok()).flatten().map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    } else {
        (s.len() > 10).then(|| s.parse::<DateTime>().ok()).flatten()
    }
}

/// Written out rather than through strftime, whose formatter is 13 KB of the Worker.
fn show_local(d: DateTime, all_day: bool) -> String {
    let date = format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    if all_day {
        date
    } else {
        format!("{date}T{:02}:{:02}:{:02}", d.hour(), d.minute(), d.second())
    }
}

fn check_rule(mut r: Recurrence, start: &str, f: &mut Fields) -> Option<Recurrence> {
    let before = f.len();
    if !["daily", "weekly", "monthly", "yearly"].contains(&r.frequency.as_str()) {
        f.take::<()>("recurrence.frequency", Err("must be daily, weekly, monthly or yearly".into()));
    }
    if !(1..=99).contains(&r.interval) {
        f.take::<()>("recurrence.interval", Err("must be 1 to 99".into()));
    }
    match (r.count, &r.until) {
        (Some(_), Some(_)) => {
            f.take::<()>("recurrence.until", Err("give count or until, not both".into()));
        }
        (Some(c), None) if !(1..=MAX_COUNT).contains(&c) => {
            f.take::<()>("recurrence.count", Err(format!("must be 1 to {MAX_COUNT}")));
        }
        (None, Some(u)) => match u.parse::<Date>() {
            Ok(u) if start.get(..10).and_then(|s| s.parse::<Date>().ok()).is_some_and(|s| u < s) => {
                f.take::<()>("recurrence.until", Err("must not be before the start".into()));
            }
            Ok(_) => {}
            Err(_) => {
                f.take::<()>("recurrence.until", Err("must be a date (2027-12-31)".into()));
            }
        },
        _ => {}
    }
    if !r.by_day.is_empty() {
        if r.frequency != "weekly" {
            f.take::<()>("recurrence.byDay", Err("is for weekly rules only".into()));
        } else if r.by_day.len() > 7 || r.by_day.iter().any(|d| !DAYS.contains(&d.as_str())) {
            f.take::<()>("recurrence.byDay", Err("must be weekdays MO, TU, WE, TH, FR, SA or SU".into()));
        }
        r.by_day.sort_by_key(|d| DAYS.iter().position(|x| x == d));
        r.by_day.dedup();
    }
    (f.len() == before).then_some(r)
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

/// The local starts of `e`'s occurrences, in order, while `keep_going` says so of each (it is
/// told the start's instant in ms): the start itself first, then what the rule adds.
fn local_starts(e: &Event, zone: &TimeZone, mut keep_going: impl FnMut(i64) -> bool) -> Vec<DateTime> {
    let Some(start) = parse_local(&e.start, e.all_day) else { return Vec::new() };
    let instant = |d: DateTime| d.to_zoned(zone.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or(i64::MAX);
    let Some(rule) = &e.recurrence else {
        return if keep_going(instant(start)) { vec![start] } else { Vec::new() };
    };
    let until = rule.until.as_deref().and_then(|u| u.parse::<Date>().ok());
    let count = rule.count.unwrap_or(i64::MAX);
    let days: Vec<Weekday> = if rule.frequency == "weekly" && !rule.by_day.is_empty() {
        rule.by_day.iter().filter_map(|d| weekday(d)).collect()
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    let mut taken = 0;
    for step in 0..MAX_STEPS {
        let n = step * rule.interval;
        let candidates: Vec<DateTime> = match rule.frequency.as_str() {
            "daily" => jiff::Span::new().try_days(n).and_then(|s| start.checked_add(s)).ok().into_iter().collect(),
            "weekly" if days.is_empty() => {
                jiff::Span::new().try_weeks(n).and_then(|s| start.checked_add(s)).ok().into_iter().collect()
            }
            "weekly" => {
                // The week (from Monday) `n` weeks after the start's, each named day in it.
                let monday = jiff::Span::new()
                    .try_days(i64::from(start.date().weekday().to_monday_zero_offset()))
                    .and_then(|s| start.date().checked_sub(s));
                let week = monday.and_then(|m| jiff::Span::new().try_weeks(n).and_then(|s| m.checked_add(s)));
                let Ok(week) = week else {
                    break;
                };
                days.iter()
                    .filter_map(|d| {
                        let s = jiff::Span::new().try_days(i64::from(d.to_monday_zero_offset()));
                        s.and_then(|s| week.checked_add(s)).ok()
                    })
                    .map(|d| d.to_datetime(start.time()))
                    .filter(|d| *d >= start)
                    .collect()
            }
            "monthly" | "yearly" => {
                let months = if rule.frequency == "monthly" { n } else { n * 12 };
                let total = i64::from(start.year()) * 12 + i64::from(start.month() - 1) + months;
                let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
                // A day the month lacks (the 31st, 29 February) is skipped.
                i16::try_from(year)
                    .ok()
                    .and_then(|y| Date::new(y, month as i8, start.day()).ok())
                    .map(|d| d.to_datetime(start.time()))
                    .into_iter()
                    .collect()
            }
            _ => break,
        };
        let mut stop = false;
        for c in candidates {
            if until.is_some_and(|u| c.date() > u) || taken >= count || !keep_going(instant(c)) {
                stop = true;
                break;
            }
            out.push(c);
            taken += 1;
        }
        if stop {
            break;
        }
    }
    out
}

/// One occurrence of an event: its local start and end, and their instants (ms).
pub struct Span {
    pub start: DateTime,
    pub end: DateTime,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The occurrences of `e` that start before `to` and end after `from` (ms), in order.
pub fn spans(e: &Event, from: i64, to: i64) -> Vec<Span> {
    let Some(zone) = crate::zones::get(&e.timezone) else { return Vec::new() };
    let (Some(start), Some(end)) = (parse_local(&e.start, e.all_day), parse_local(&e.end, e.all_day)) else {
        return Vec::new();
    };
    let Ok(length) = end.since(start) else { return Vec::new() };
    let instant = |d: DateTime| d.to_zoned(zone.clone()).map(|z| z.timestamp().as_millisecond()).ok();
    local_starts(e, &zone, |at| at < to)
        .into_iter()
        .filter_map(|start| {
            let end = start.checked_add(length).ok()?;
            let (start_ms, end_ms) = (instant(start)?, instant(end)?);
            (end_ms > from).then_some(Span { start, end, start_ms, end_ms })
        })
        .collect()
}

impl Span {
    /// This occurrence of `e`, as the API shows it.
    pub fn occurrence(&self, e: &Event) -> Occurrence {
        Occurrence {
            event_id: e.id.clone(),
            workspace_id: e.workspace_id.clone(),
            title: e.title.clone(),
            description: e.description.clone(),
            all_day: e.all_day,
            starts_at: validate::rfc3339(self.start_ms),
            ends_at: validate::rfc3339(self.end_ms),
            start: show_local(self.start, e.all_day),
            end: show_local(self.end, e.all_day),
            timezone: e.timezone.clone(),
            recurring: e.recurrence.is_some(),
        }
    }
}

/// When `e` may first start and may last end (ms), for the reads that select the events of a
/// range: the first start, and the last end (`None` while the rule repeats without end).
pub fn bounds(e: &Event) -> Option<(i64, Option<i64>)> {
    let zone = crate::zones::get(&e.timezone)?;
    let first = parse_local(&e.start, e.all_day)?.to_zoned(zone).ok()?.timestamp().as_millisecond();
    let endless = e.recurrence.as_ref().is_some_and(|r| r.count.is_none() && r.until.is_none());
    let last = if endless { None } else { Some(spans(e, i64::MIN, i64::MAX).last()?.end_ms) };
    Some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The occurrences of `e` that overlap `from` to `to` (ms), in order.
    fn occurrences(e: &Event, from: i64, to: i64) -> Vec<Occurrence> {
        spans(e, from, to).iter().map(|s| s.occurrence(e)).collect()
    }

    fn event(start: &str, end: &str, tz: &str, rule: Option<Recurrence>) -> Event {
        Event {
            id: "e".into(),
            workspace_id: None,
            user_id: Some("u".into()),
            title: "Standup".into(),
            description: None,
            all_day: start.len() == 10,
            start: start.into(),
            end: end.into(),
            timezone: tz.into(),
            recurrence: rule,
            created_by: "u".into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn rule(frequency: &str, count: Option<i64>, by_day: &[&str]) -> Option<Recurrence> {
        Some(Recurrence {
            frequency: frequency.into(),
            interval: 1,
            count,
            until: None,
            by_day: by_day.iter().map(|d| d.to_string()).collect(),
        })
    }

    fn ms(t: &str) -> i64 {
        t.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn a_weekly_meeting_keeps_its_wall_clock_time_across_daylight_saving() {
        let e = event("2027-03-22T09:00:00", "2027-03-22T09:30:00", "Europe/Paris", rule("weekly", Some(3), &[]));
        let got: Vec<String> =
            occurrences(&e, 0, ms("2028-01-01T00:00:00Z")).into_iter().map(|o| o.starts_at).collect();
        // Paris moves to summer time on 28 March 2027: 09:00 is 08:00Z before, 07:00Z after.
        assert_eq!(got, ["2027-03-22T08:00:00.000Z", "2027-03-29T07:00:00.000Z", "2027-04-05T07:00:00.000Z"]);
        assert_eq!(bounds(&e), Some((ms("2027-03-22T08:00:00Z"), Some(ms("2027-04-05T07:30:00Z")))));
    }

    #[test]
    fn rules_count_skip_missing_days_and_stop_at_the_range() {
        let monthly = event("2027-01-31T10:00:00", "2027-01-31T11:00:00", "UTC", rule("monthly", Some(4), &[]));
        let days: Vec<String> = occurrences(&monthly, 0, i64::MAX).into_iter().map(|o| o.start).collect();
        assert_eq!(days, ["2027-01-31T10:00:00", "2027-03-31T10:00:00", "2027-05-31T10:00:00", "2027-07-31T10:00:00"]);
        let byday =
            event("2027-03-03T18:00:00", "2027-03-03T19:00:00", "UTC", rule("weekly", Some(5), &["MO", "WE", "FR"]));
        let days: Vec<String> =
            occurrences(&byday, 0, i64::MAX).into_iter().map(|o| o.start[..10].to_string()).collect();
        assert_eq!(days, ["2027-03-03", "2027-03-05", "2027-03-08", "2027-03-10", "2027-03-12"]);
        let forever = event("2027-01-01", "2027-01-02", "UTC", rule("daily", None, &[]));
        let week = occurrences(&forever, ms("2027-02-01T00:00:00Z"), ms("2027-02-08T00:00:00Z"));
        assert_eq!(week.len(), 7);
        assert_eq!((week[0].start.as_str(), week[0].end.as_str()), ("2027-02-01", "2027-02-02"));
        assert_eq!(bounds(&forever).map(|b| b.1), Some(None));
    }

    #[test]
    fn inputs_are_checked_field_by_field() {
        let mut e = event("", "", "UTC", None);
        e.all_day = false;
        let bad = EventInput {
            title: Some(" ".into()),
            start: Some("2027-03-10T09:00".into()),
            end: Some("2027-03-10T08:00".into()),
            timezone: Some("Mars/Olympus".into()),
            recurrence: Some(Some(Recurrence {
                frequency: "hourly".into(),
                interval: 1,
                count: Some(5),
                until: Some("2027-01-01".into()),
                by_day: Vec::new(),
            })),
            ..EventInput::default()
        };
        let Err(AppError::Validation(errors)) = apply(&mut e, bad, true) else { panic!("refused") };
        let fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "timezone", "end", "recurrence.frequency", "recurrence.until"]);
        let mut e = event("", "", "UTC", None);
        let input = EventInput {
            title: Some("Shoot".into()),
            all_day: Some(true),
            start: Some("2027-03-10".into()),
            end: Some("2027-03-12".into()),
            recurrence: Some(Some(Recurrence {
                frequency: "weekly".into(),
                interval: 1,
                count: Some(4),
                until: None,
                by_day: vec!["FR".into(), "MO".into(), "MO".into()],
            })),
            ..EventInput::default()
        };
        apply(&mut e, input, true).unwrap();
        assert_eq!(e.recurrence.unwrap().by_day, ["MO", "FR"]);
    }
}
