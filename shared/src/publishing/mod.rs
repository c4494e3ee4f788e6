//! Publishing (SPEC PB-1 … PB-7): connected social accounts, schedules, the cron that claims
//! what is due, the queue consumer that publishes through a platform adapter, and the status
//! and attempt log of every publication.
//!
//! One publication is one (post target, account) pair at one time. Its life:
//! `scheduled` → (cron claims it) `queued` → (the consumer takes the claim) `publishing` →
//! `published`, or `retrying` (a transient failure before the irreversible call; due again
//! after a backoff with jitter), or `unconfirmed` (the outcome is unknown: the tick reads the
//! platform to settle it, never re-posting blindly), or `failed` (a permanent refusal, with a
//! readable reason), or `dead` (retries exhausted: the dead-letter list). `cancelled` when the
//! schedule is withdrawn.

pub mod bluesky;
pub mod calendar;
pub mod engine;
pub mod handlers;
pub mod linkedin;
pub mod mastodon;
pub mod meta;
pub mod oauth;
pub mod reconnect;
pub mod revocation;
pub mod schedule;
pub use crate::sealed;
pub mod store;
pub mod tiktok;
pub mod x;

pub use crate::accounts::Credentials;

use crate::ports::{HttpError, HttpRequest, HttpResponse};

/// The origin (and path, without a trailing slash) of an account's server, checked: https,
/// and no loopback, private or link-local address unless `allow_private` (development and
/// tests). Names are not resolved here: a deployment that must stop DNS rebinding puts an
/// egress proxy in front.
pub fn server_url(input: &str, allow_private: bool) -> Result<String, String> {
    let input = input.trim().trim_end_matches('/');
    let (scheme, rest) = input.split_once("://").ok_or("must be an absolute URL, like https://example.social")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && !(allow_private && scheme == "http") {
        return Err("must use https".into());
    }
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host_port.is_empty() || host_port.contains('@') || rest.contains(['?', '#', ' ']) {
        return Err("must be a plain server address (no credentials, query or fragment)".into());
    }
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default().to_ascii_lowercase(),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h).to_ascii_lowercase(),
    };
    let valid =
        !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'_'));
    if !valid {
        return Err("names an invalid host".into());
    }
    if !allow_private && is_private_host(&host) {
        return Err("must be a public server".into());
    }
    Ok(format!("{scheme}://{rest}"))
}

fn is_private_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") || host.ends_with(".internal") {
        return true;
    }
    // Every spelling an HTTP stack may read as IPv4: 127.0.0.1, 2130706433, 0177.0.0.1,
    // 0x7f.1 … As in the WHATWG URL standard, a host whose last label is a number is an IPv4
    // address; one that does not parse as such is refused rather than left to a resolver.
    let last = host.rsplit('.').next().unwrap_or(host);
    let numeric = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())
        || last.len() > 2
            && (last.starts_with("0x") || last.starts_with("0X"))
            && last[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if numeric {
        return inet_aton(host).is_none_or(is_private_v4);
    }
    if let Ok(ip) = host.parse::<std::net::Ipv6Addr>() {
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
        // addresses reach the IPv4 address inside them.
        let s = ip.segments();
        let embedded = if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) && !ip.is_loopback() && !ip.is_unspecified()
            || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
        {
            Some(std::net::Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8))
        } else if s[0] == 0x2002 {
            // 6to4 carries an IPv4 address in its second and third groups.
            Some(std::net::Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8))
        } else {
            None
        };
        if embedded.is_some_and(is_private_v4) {
            return true;
        }
        let first = s[0];
        return ip.is_loopback()
            || ip.is_unspecified()
            || ip.is_multicast()
            || (first & 0xfe00) == 0xfc00
            || (first & 0xffc0) == 0xfe80
            || (first & 0xffc0) == 0xfec0;
    }
    false
}

/// Loopback, private, link-local (cloud metadata), carrier-grade NAT, "this network",
/// benchmarking, multicast and reserved addresses.
fn is_private_v4(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        || a == 100 && (64..128).contains(&b)
        || a == 198 && (18..20).contains(&b)
        || a >= 224
}

/// IPv4 in the classic `inet_aton` forms: one to four parts, each decimal, octal (leading 0)
/// or hex (0x), the last filling the remaining bytes.
fn inet_aton(host: &str) -> Option<std::net::Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(4);
    for part in &parts {
        let value = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            u32::from_str_radix(hex, 16).ok()?
        } else if part.len() > 1 && part.starts_with('0') {
            u32::from_str_radix(&part[1..], 8).ok()?
        } else {
            part.parse::<u32>().ok()?
        };
        values.push(value);
    }
    let (last, head) = values.split_last()?;
    let last_bits = 8 * (4 - head.len() as u32);
    if head.iter().any(|v| *v > 255) || last_bits < 32 && *last >= 1 << last_bits {
        return None;
    }
    let mut n: u32 = 0;
    for (i, v) in head.iter().enumerate() {
        n |= v << (24 - 8 * i);
    }
    Some(std::net::Ipv4Addr::from(n | last))
}

/// A `multipart/form-data` POST with a bearer token: the text `fields`, then `file` under
/// `file_field`. The boundary is random (the Random port).
pub fn multipart_post(
    ctx: &crate::api::Context<'_>,
    url: String,
    token: &str,
    fields: &[(&str, &str)],
    file_field: &str,
    file: &MediaFile,
) -> HttpRequest {
    let boundary = format!("herald-{}", hex::encode(ctx.random.bytes::<12>()));
    let mut body = Vec::with_capacity(file.bytes.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    let filename: String = file.filename.chars().filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\')).collect();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{filename}\"\r\nContent-Type: {}\r\n\r\n",
            file.content_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    HttpRequest {
        method: "POST".into(),
        url,
        headers: vec![
            ("authorization".into(), format!("Bearer {token}")),
            ("content-type".into(), format!("multipart/form-data; boundary={boundary}")),
            ("accept".into(), "application/json".into()),
        ],
        body,
    }
}

/// A JSON request.
pub fn json_request(method: &str, url: String, bearer: Option<&str>, body: Option<&serde_json::Value>) -> HttpRequest {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if let Some(token) = bearer {
        headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    let body = match body {
        Some(b) => {
            headers.push(("content-type".into(), "application/json".into()));
            serde_json::to_vec(b).unwrap_or_default()
        }
        None => Vec::new(),
    };
    HttpRequest { method: method.into(), url, headers, body }
}

pub fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

pub fn body_json(r: &HttpResponse) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null)
}

/// A short, safe description of a platform's error answer for the attempt log: its status and
/// the platform's own error name and message, never tokens or headers.
pub fn describe(r: &HttpResponse) -> String {
    let v = body_json(r);
    let pick = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let name = pick("error").or_else(|| pick("code")).or_else(|| pick("title"));
    let message = pick("message").or_else(|| pick("error_description")).or_else(|| pick("detail"));
    let mut text = format!("HTTP {}", r.status);
    for part in [name, message].into_iter().flatten() {
        text.push_str(": ");
        text.push_str(&part.chars().take(300).collect::<String>());
    }
    text
}

/// One image to attach.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub alt: String,
    pub filename: String,
    /// A presigned GET URL, for platforms that pull media (Instagram, Threads, TikTok).
    pub url: Option<String>,
}

/// What a publication sends, whatever the platform.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub publication_id: &'a str,
    pub created_at_ms: i64,
    pub text: &'a str,
    pub media: Vec<MediaFile>,
}

/// An attempt's outcome, and the account's credentials when the attempt renewed them.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: Outcome,
    pub credentials: Option<Credentials>,
}

/// What one try to publish came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Published {
        remote_id: String,
        url: Option<String>,
    },
    /// Failed before anything irreversible was sent: safe to try again (after `after_ms`
    /// when the platform said when).
    Retry {
        reason: String,
        status: Option<u16>,
        after_ms: Option<i64>,
    },
    /// The platform's rate limit: the account pauses until then.
    RateLimited {
        reason: String,
        until_ms: i64,
    },
    /// The publish call may have reached the platform: settle it by reading, never re-post.
    Unconfirmed {
        reason: String,
        status: Option<u16>,
    },
    /// Refused for good (content rejected, account suspended…), with the platform's reason.
    Failed {
        reason: String,
        status: Option<u16>,
    },
    /// The grant is revoked or the password changed: the account must be reconnected.
    Reconnect {
        reason: String,
        status: Option<u16>,
    },
    /// Accepted by the platform, which is still processing it under `remote_id`: later ticks
    /// read how it ended.
    Pending {
        remote_id: String,
        reason: String,
    },
}

/// Settles an unknown outcome from reading the account's posts back: `found` (id, URL) means
/// published; absent `grace_ms` after the last try means never written (send again); before
/// that, wait (`None`).
pub fn read_back(
    ctx: &crate::api::Context<'_>,
    found: Option<(String, Option<String>)>,
    last_try_ms: i64,
    grace_ms: i64,
) -> Option<Outcome> {
    match found {
        Some((remote_id, url)) => Some(Outcome::Published { remote_id, url }),
        None if ctx.clock.now_ms() - last_try_ms >= grace_ms => Some(Outcome::Retry {
            reason: "the platform has no such post: it was never written".into(),
            status: Some(200),
            after_ms: None,
        }),
        None => None,
    }
}

/// A transport error before any answer: the request may not have been sent (connect) or may
/// have been (timeout, reset).
pub fn transport(e: &HttpError, irreversible: bool) -> Outcome {
    match e {
        HttpError::Connect(m) => {
            Outcome::Retry { reason: format!("could not connect: {m}"), status: None, after_ms: None }
        }
        other if irreversible => {
            Outcome::Unconfirmed { reason: format!("no answer to the publish call ({other})"), status: None }
        }
        other => Outcome::Retry { reason: other.to_string(), status: None, after_ms: None },
    }
}

use crate::route;

/// Social accounts, posting slots, scheduling and publications.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "publishing",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/social-accounts", listAccounts, Workspace(AccountsRead), handlers::accounts::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/social-accounts", connectAccount, Workspace(AccountsManage), handlers::accounts::connect).trips(4),
        route!(POST "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/start", oAuthStart, Workspace(AccountsManage), handlers::oauth::start),
        route!(POST "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/callback", oAuthCallback, Workspace(AccountsManage), handlers::oauth::callback).folds_membership().trips(5),
        route!(GET "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}", getAccount, Workspace(AccountsRead), handlers::accounts::get).folds_membership().trips(1),
        route!(PUT "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}/slots", putSlots, Workspace(AccountsManage), handlers::slots::put).trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}/next-slot", nextSlot, Workspace(AccountsRead), handlers::slots::next).folds_membership().trips(1),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}", disconnectAccount, Workspace(AccountsManage), handlers::accounts::disconnect).trips(4),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", schedulePost, Workspace(PostsSchedule), handlers::schedule::schedule).folds_membership().trips(6),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/publish-now", publishNow, Workspace(PostsSchedule), handlers::publish_now::publish_now).folds_membership().trips(23),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", reschedulePost, Workspace(PostsSchedule), handlers::schedule::reschedule).folds_membership().trips(3),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", cancelSchedule, Workspace(PostsSchedule), handlers::schedule::cancel).folds_membership().trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/publications", postPublications, Workspace(PostsRead), handlers::schedule::of_post).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/publications", listPublications, Workspace(PostsRead), handlers::schedule::list).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/calendar", contentCalendar, Workspace(PostsRead), handlers::calendar::list).folds_membership().trips(1),
        route!(GET "/api/v1/users/me/calendar-feed", getCalendarFeed, User, handlers::calendar::get_feed).trips(1),
        route!(PUT "/api/v1/users/me/calendar-feed", putCalendarFeed, User, handlers::calendar::put_feed).trips(1),
        route!(DELETE "/api/v1/users/me/calendar-feed", deleteCalendarFeed, User, handlers::calendar::delete_feed).trips(1),
        route!(GET "/calendar/{token}", calendarFeed, Public, handlers::calendar::serve_feed).trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/events", listWorkspaceEvents, Workspace(EventsRead), handlers::events::list_workspace).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/events", createWorkspaceEvent, Workspace(EventsWrite), handlers::events::create_workspace).trips(2),
        route!(GET "/api/v1/workspaces/{workspaceId}/events/{eventId}", getWorkspaceEvent, Workspace(EventsRead), handlers::events::get_workspace).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/events/{eventId}", updateWorkspaceEvent, Workspace(EventsWrite), handlers::events::update_workspace).folds_membership().trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/events/{eventId}", deleteWorkspaceEvent, Workspace(EventsWrite), handlers::events::delete_workspace).folds_membership().trips(2),
        route!(GET "/api/v1/users/me/events", listMyEvents, User, handlers::events::list_mine).trips(1),
        route!(POST "/api/v1/users/me/events", createMyEvent, User, handlers::events::create_mine).trips(1),
        route!(GET "/api/v1/users/me/events/{eventId}", getMyEvent, User, handlers::events::get_mine).trips(1),
        route!(PATCH "/api/v1/users/me/events/{eventId}", updateMyEvent, User, handlers::events::update_mine).trips(2),
        route!(DELETE "/api/v1/users/me/events/{eventId}", deleteMyEvent, User, handlers::events::delete_mine).trips(2),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[
        schedule::DOCUMENTED,
        handlers::slots::DOCUMENTED,
        handlers::publish_now::DOCUMENTED,
        oauth::DOCUMENTED,
        handlers::accounts::DOCUMENTED,
        handlers::calendar::DOCUMENTED,
        crate::collab::events::DOCUMENTED,
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_servers_are_public_https_unless_allowed() {
        assert_eq!(server_url("https://bsky.social/", false).unwrap(), "https://bsky.social");
        assert_eq!(server_url("https://mastodon.example/sub", false).unwrap(), "https://mastodon.example/sub");
        for bad in [
            "http://mastodon.example",
            "https://127.0.0.1:8080",
            "https://10.1.2.3",
            "https://192.168.0.1",
            "https://169.254.169.254",
            "https://[::1]:3000",
            "https://[::ffff:127.0.0.1]",
            "https://[::ffff:7f00:1]",
            "https://[::ffff:169.254.169.254]",
            "https://[64:ff9b::a00:1]",
            "https://[2002:7f00:1::]",
            "https://[fe80::1]",
            "https://2130706433",
            "https://0177.0.0.1",
            "https://0x7f.0.0.1",
            "https://127.1",
            "https://0x7f000001",
            "https://0",
            "https://017700000001",
            "https://999.1.1.1",
            "https://localhost.",
            "https://1.2.3.0x7f000001",
            "https://localhost",
            "https://user:pw@host.example",
            "mastodon.example",
            "https://host.example/?q=1",
        ] {
            assert!(server_url(bad, false).is_err(), "{bad}");
        }
        assert_eq!(server_url("https://[2001:db8::1]", false).unwrap(), "https://[2001:db8::1]");
        assert_eq!(server_url("https://8.8.8.8", false).unwrap(), "https://8.8.8.8");
        assert_eq!(server_url("https://1e100.net", false).unwrap(), "https://1e100.net");
        assert_eq!(server_url("https://123abc.be", false).unwrap(), "https://123abc.be");
        assert_eq!(server_url("http://127.0.0.1:2583", true).unwrap(), "http://127.0.0.1:2583");
        assert!(server_url("ftp://x.example", true).is_err());
    }

    #[test]
    fn a_reconnect_never_erases_a_stored_refresh_token() {
        let stored =
            Credentials { refresh_token: Some("r1".into()), access_token: Some("a1".into()), ..Default::default() };
        let fresh = Credentials { access_token: Some("a2".into()), ..Default::default() };
        let merged = fresh.merged_over(&stored);
        assert_eq!((merged.access_token.as_deref(), merged.refresh_token.as_deref()), (Some("a2"), Some("r1")));
        let rotated =
            Credentials { access_token: Some("a3".into()), refresh_token: Some("r2".into()), ..Default::default() };
        assert_eq!(rotated.merged_over(&stored).refresh_token.as_deref(), Some("r2"));
    }
}
