//! The content calendar and a person's iCalendar feed (SPEC CO-5).
//!
//! The calendar is a workspace's publications by the time they are due, in a range, by account
//! or campaign. The feed is every publication of every workspace a person belongs to (a Client
//! member: their clients' posts only) from 90 days back to a year ahead, as an RFC 5545
//! calendar behind a secret URL that a calendar app subscribes to. Times are UTC instants
//! (`…Z`), so every app shows them in its own zone; each event's UID is its publication's id,
//! so an app updates an event when its publication moves or publishes instead of adding one.
//!
//! The calendar is written here rather than by a crate: a writer of the few properties a feed
//! needs (text escaping, line folding at 75 octets, CRLF) is smaller than the crates that also
//! parse and model every component, and the API Worker has little room (README, "Size and
//! start"). The suite reads the feed with an independent parser.

use serde::Serialize;
use utoipa::ToSchema;

/// How far back and ahead the feed reaches, and how many events it holds at most.
pub const FEED_PAST_DAYS: i64 = 90;
pub const FEED_AHEAD_DAYS: i64 = 365;
pub const FEED_MAX_EVENTS: i64 = 1000;
/// The widest range one calendar request may ask for.
pub const MAX_RANGE_DAYS: i64 = 92;
/// How long a post's event lasts in the feed (a publication is an instant).
const EVENT_MINUTES: i64 = 15;

/// One publication on the content calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarEntry {
    pub publication_id: String,
    pub post_id: String,
    pub title: String,
    pub platform: String,
    pub account_id: String,
    pub account_handle: String,
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    /// The publication's status (`scheduled` … `published`, `failed`, `cancelled`).
    pub status: String,
    /// When it is (or was) due.
    #[schema(format = DateTime, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    pub due_at: String,
    /// The IANA zone it was scheduled in.
    pub timezone: String,
    #[schema(format = DateTime, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    pub published_at: Option<String>,
    /// The published post on its platform.
    pub remote_url: Option<String>,
}

/// A person's feed, as its owner sees it (never its token).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedView {
    #[schema(format = DateTime, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    pub created_at: String,
}

/// A new feed address: the only time its token is shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedCreated {
    /// The address to subscribe to (`https://…/calendar/{token}`); anyone who has it reads the
    /// feed, until a new one replaces it or it is deleted.
    pub url: String,
    pub path: String,
    pub token: String,
    #[schema(format = DateTime, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    pub created_at: String,
}

/// One event of the feed.
pub struct FeedEvent {
    pub publication_id: String,
    pub title: String,
    pub platform: String,
    pub account_handle: String,
    pub workspace: String,
    pub status: String,
    pub due_at: i64,
    pub updated_at: i64,
    pub remote_url: Option<String>,
    pub reason: Option<String>,
}

/// RFC 5545's STATUS of an event for a publication's status: published posts are confirmed,
/// those still to go out tentative, the withdrawn and the failed cancelled.
fn event_status(status: &str) -> &'static str {
    match status {
        "published" => "CONFIRMED",
        "cancelled" | "failed" | "dead" => "CANCELLED",
        _ => "TENTATIVE",
    }
}

/// One occurrence of a calendar event in the feed, with the workspace whose event it is.
pub struct FeedOccurrence<'a> {
    pub event: &'a crate::collab::events::Event,
    pub span: crate::collab::events::Span,
    pub workspace: Option<&'a str>,
}

/// The feed: a VCALENDAR named for its owner, stamped `now`, with one VEVENT per publication and
/// one per occurrence of a calendar event.
pub fn feed(owner: &str, host: &str, now: i64, events: &[FeedEvent], occurrences: &[FeedOccurrence<'_>]) -> String {
    let mut out = String::with_capacity(256 + events.len() * 400);
    let mut put = |line: &str| fold_into(&mut out, line);
    put("BEGIN:VCALENDAR");
    put("VERSION:2.0");
    put("PRODID:-//Herald//Content calendar//EN");
    put("CALSCALE:GREGORIAN");
    put("METHOD:PUBLISH");
    put(&format!("X-WR-CALNAME:{}", text(&format!("Herald: {owner}"))));
    for e in events {
        put("BEGIN:VEVENT");
        put(&format!("UID:{}@{}", e.publication_id, text(host)));
        put(&format!("DTSTAMP:{}", utc(now)));
        put(&format!("DTSTART:{}", utc(e.due_at)));
        put(&format!("DTEND:{}", utc(e.due_at + EVENT_MINUTES * 60_000)));
        put(&format!("LAST-MODIFIED:{}", utc(e.updated_at)));
        put(&format!("SUMMARY:{}", text(&format!("{} ({})", e.title, e.platform))));
        let mut about = format!("{} on {} for {}: {}", e.account_handle, e.platform, e.workspace, e.status);
        if let Some(reason) = &e.reason {
            about.push_str(&format!("\n{reason}"));
        }
        if let Some(url) = &e.remote_url {
            about.push_str(&format!("\n{url}"));
        }
        put(&format!("DESCRIPTION:{}", text(&about)));
        if let Some(url) = e.remote_url.as_deref().filter(|u| u.starts_with("https://")) {
            put(&format!("URL:{url}"));
        }
        put(&format!("STATUS:{}", event_status(&e.status)));
        put("TRANSP:TRANSPARENT");
        put("END:VEVENT");
    }
    for FeedOccurrence { event: e, span, workspace } in occurrences {
        put("BEGIN:VEVENT");
        // One event per occurrence: a repeating event is expanded here, in its own zone.
        put(&format!("UID:{}-{}@{}", e.id, utc(span.start_ms), text(host)));
        put(&format!("DTSTAMP:{}", utc(now)));
        if e.all_day {
            let date = |d: jiff::civil::DateTime| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day());
            put(&format!("DTSTART;VALUE=DATE:{}", date(span.start)));
            put(&format!("DTEND;VALUE=DATE:{}", date(span.end)));
        } else {
            put(&format!("DTSTART:{}", utc(span.start_ms)));
            put(&format!("DTEND:{}", utc(span.end_ms)));
        }
        put(&format!("SUMMARY:{}", text(&e.title)));
        let mut about = e.description.clone().unwrap_or_default();
        if let Some(w) = workspace {
            about = if about.is_empty() { w.to_string() } else { format!("{about}\n{w}") };
        }
        if !about.is_empty() {
            put(&format!("DESCRIPTION:{}", text(&about)));
        }
        put("STATUS:CONFIRMED");
        put("TRANSP:OPAQUE");
        put("END:VEVENT");
    }
    put("END:VCALENDAR");
    out
}

/// A time as RFC 5545's UTC form (`20261207T093000Z`).
fn utc(ms: i64) -> String {
    crate::validate::utc_stamp(ms)
}

/// A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks; other
/// control characters dropped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets (RFC 5545 §3.1): each continuation starts with a
/// space, and no character is split.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(title: &str, status: &str) -> FeedEvent {
        FeedEvent {
            publication_id: "p1".into(),
            title: title.into(),
            platform: "mastodon".into(),
            account_handle: "@herald".into(),
            workspace: "Acme".into(),
            status: status.into(),
            due_at: 1_796_000_000_000,
            updated_at: 1_796_000_000_000,
            remote_url: None,
            reason: None,
        }
    }

    #[test]
    fn lines_fold_at_75_octets_without_splitting_a_character() {
        let long = "é".repeat(100);
        let ics = feed("Ann", "herald.test", 0, &[event(&long, "scheduled")], &[]);
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{long} (mastodon)")), "{unfolded}");
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn text_is_escaped_and_times_are_utc() {
        let ics = feed("Ann", "herald.test", 0, &[event("Sale; 50%, today\\now\nreally", "published")], &[]);
        assert!(ics.contains("SUMMARY:Sale\\; 50%\\, today\\\\now\\nreally (mastodon)"), "{ics}");
        assert!(ics.contains("DTSTART:20261130T005320Z"), "{ics}");
        assert!(ics.contains("DTEND:20261130T010820Z"), "{ics}");
        assert!(ics.contains("STATUS:CONFIRMED"));
        assert_eq!(event_status("retrying"), "TENTATIVE");
        assert_eq!(event_status("dead"), "CANCELLED");
    }
}
