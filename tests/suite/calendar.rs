//! The content calendar and each person's iCalendar feed (SPEC CO-5): a workspace's
//! publications by due time, in a range, by account or campaign, paged past a hundred; a feed of
//! every workspace a person belongs to behind a secret that a new one replaces, read with an
//! independent RFC 5545 parser; a Client member's wall on both.

use herald_tests::fakes::FakeMastodon;
use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

/// A wall-clock day next year (`MM-DD…`), so that the test never dates.
fn next_year(rest: &str) -> String {
    let year = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year() + 1;
    format!("{year}-{rest}")
}

async fn connect(api: &Api, owner: &User, ws: &str, fake: &FakeMastodon, token: &str) -> String {
    let r = api
        .post(&w(ws, "/social-accounts"))
        .bearer(&owner.access)
        .json(json!({"platform": "mastodon", "instanceUrl": fake.base, "accessToken": token}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()["id"].as_str().unwrap().to_string()
}

async fn created(api: &Api, user: &User, path: &str, body: Value) -> String {
    let r = api.post(path).bearer(&user.access).json(body).send().await;
    assert_eq!(r.status, 201, "{path}: {}", String::from_utf8_lossy(&r.body));
    r.data()["id"].as_str().unwrap().to_string()
}

/// A post for Mastodon, scheduled to `accounts` at `at` (repeated `repeat` times a day when over
/// 1): its publications.
async fn scheduled(
    api: &Api,
    user: &User,
    ws: &str,
    post: Value,
    accounts: &[String],
    at: &str,
    repeat: u32,
) -> Vec<Value> {
    let mut body = json!({"body": "On the calendar", "targets": [{"platform": "mastodon"}]});
    body.as_object_mut().unwrap().extend(post.as_object().unwrap().clone());
    let id = created(api, user, &w(ws, "/posts"), body).await;
    let mut schedule = json!({"accountIds": accounts, "at": at});
    if repeat > 1 {
        schedule["repeat"] = json!({"every": "day", "count": repeat});
    }
    let r = api.post(&w(ws, &format!("/posts/{id}/schedule"))).bearer(&user.access).json(schedule).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data().as_array().unwrap().clone()
}

fn ids(items: &[Value], key: &str) -> Vec<String> {
    let mut ids: Vec<String> = items.iter().map(|i| i[key].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_content_calendar_lists_a_range_by_account_and_campaign_and_pages_past_a_hundred() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("cal-token-");
    let owner = signup(&api, "calendar").await;
    let ws = create_workspace(&api, &owner, "Calendar").await;
    let mut accounts = Vec::new();
    for n in 0..6 {
        accounts.push(connect(&api, &owner, &ws, &fake, &format!("cal-token-{n}")).await);
    }
    let campaign = created(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "March"})).await;
    // 6 accounts × 20 days: 120 publications of the campaign's post in March, one more of another
    // post, and one in August.
    let march = scheduled(
        &api,
        &owner,
        &ws,
        json!({"title": "Daily", "campaignId": campaign}),
        &accounts,
        &next_year("03-02T09:00:00+01:00"),
        20,
    )
    .await;
    assert_eq!(march.len(), 120);
    let single =
        scheduled(&api, &owner, &ws, json!({"title": "Once"}), &accounts[..1], &next_year("03-05T12:30:00Z"), 1).await;
    let august =
        scheduled(&api, &owner, &ws, json!({"title": "Later"}), &accounts[..1], &next_year("08-01T12:00:00Z"), 1).await;

    let month = format!("from={}&to={}", next_year("03-01T00:00:00Z"), next_year("04-01T00:00:00Z"));
    let path = w(&ws, &format!("/calendar?{month}"));
    let items = walk_pages(&api, &owner, &path, 100).await;
    let mut expected: Vec<Value> = march.iter().chain(single.iter()).cloned().collect();
    assert_eq!(ids(&items, "publicationId"), ids(&expected, "id"), "March, and nothing of August");
    assert!(!items.iter().any(|i| i["publicationId"] == august[0]["id"]));
    // Earliest first (by due time, then id), each with its post, account and campaign.
    expected.sort_by(|a, b| (a["dueAt"].as_str(), a["id"].as_str()).cmp(&(b["dueAt"].as_str(), b["id"].as_str())));
    let order: Vec<&str> = items.iter().map(|i| i["publicationId"].as_str().unwrap()).collect();
    let wanted: Vec<&str> = expected.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(order, wanted);
    let first = &items[0];
    assert_eq!(first["dueAt"].as_str(), Some(next_year("03-02T08:00:00.000Z").as_str()), "{first}");
    assert_eq!((first["title"].as_str(), first["campaignId"].as_str()), (Some("Daily"), Some(campaign.as_str())));
    assert_eq!(first["status"], "scheduled");
    assert_eq!(first["platform"], "mastodon");
    assert!(first["accountHandle"].as_str().is_some_and(|h| !h.is_empty()), "{first}");
    let once = items.iter().find(|i| i["title"] == "Once").unwrap();
    assert!(once["campaignId"].is_null());

    let by_account = walk_pages(&api, &owner, &format!("{path}&accountId={}", accounts[0]), 100).await;
    assert_eq!(by_account.len(), 21, "20 days of the campaign's post and the single one");
    assert!(by_account.iter().all(|i| i["accountId"] == accounts[0].as_str()));
    let by_campaign = walk_pages(&api, &owner, &format!("{path}&campaignId={campaign}"), 50).await;
    assert_eq!(by_campaign.len(), 120);

    refuses_bad_paging(&api, &owner, &path).await;
    let bad = |query: String| {
        let (api, owner, ws) = (&api, &owner, &ws);
        async move { api.get(&w(ws, &format!("/calendar?{query}"))).bearer(&owner.access).send().await.fields() }
    };
    assert_eq!(bad(String::new()).await, ["from", "to"]);
    assert_eq!(bad(format!("from=tomorrow&to={}", next_year("04-01T00:00:00Z"))).await, ["from"]);
    assert_eq!(bad(format!("from={}&to={}", next_year("04-01T00:00:00Z"), next_year("03-01T00:00:00Z"))).await, ["to"]);
    assert_eq!(bad(format!("from={}&to={}", next_year("01-01T00:00:00Z"), next_year("06-01T00:00:00Z"))).await, ["to"]);
    assert_eq!(bad(format!("{month}&accountId=nope&campaignId=1")).await, ["accountId", "campaignId"]);

    // Another workspace's member sees nothing of it.
    let stranger = signup(&api, "calendar-stranger").await;
    let r = api.get(&path).bearer(&stranger.access).send().await;
    r.expect_error(404, "NOT_FOUND");
}

/// The events of the feed at `path` as an independent parser reads them: each event's
/// properties by name.
async fn feed_events(api: &Api, path: &str) -> Vec<std::collections::HashMap<String, String>> {
    let r = api.get(path).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("text/calendar; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(&r.body[..]));
    let calendar = calendars.next().expect("one calendar").expect("a calendar the parser reads");
    assert!(calendars.next().is_none(), "one calendar only");
    let version = calendar.properties.iter().find(|p| p.name == "VERSION").and_then(|p| p.value.clone());
    assert_eq!(version.as_deref(), Some("2.0"));
    calendar
        .events
        .into_iter()
        .map(|e| e.properties.into_iter().map(|p| (p.name, p.value.unwrap_or_default())).collect())
        .collect()
}

/// `2027-03-02T08:00:00.000Z` as RFC 5545's UTC form, `20270302T080000Z`.
fn ics_time(rfc3339: &str) -> String {
    rfc3339.get(..19).unwrap_or_default().replace(['-', ':'], "") + "Z"
}

#[tokio::test]
async fn a_calendar_feed_shows_every_workspace_of_its_owner_behind_a_secret_a_new_one_replaces() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("feed-token-");
    let agency = signup(&api, "feed-agency").await;
    let ws1 = create_workspace(&api, &agency, "Agency, Inc.").await;
    let a1 = connect(&api, &agency, &ws1, &fake, "feed-token-1").await;
    let me = add_member(&api, &agency, &ws1, "editor").await;
    let ws2 = create_workspace(&api, &me, "My own").await;
    let a2 = connect(&api, &me, &ws2, &fake, "feed-token-2").await;
    let feed = "/api/v1/users/me/calendar-feed";
    api.get(feed).bearer(&me.access).send().await.expect_error(404, "NOT_FOUND");
    api.delete(feed).bearer(&me.access).send().await.expect_error(404, "NOT_FOUND");

    // A post of the agency's, due at 09:30 in New York (a wall-clock time and its zone), and one
    // of mine, given with an offset, repeated on three days.
    let theirs = created(
        &api,
        &agency,
        &w(&ws1, "/posts"),
        json!({"title": "Launch; day 1, at last", "body": "b", "targets": [{"platform": "mastodon"}]}),
    )
    .await;
    let r = api
        .post(&w(&ws1, &format!("/posts/{theirs}/schedule")))
        .bearer(&agency.access)
        .json(json!({"accountIds": [a1], "at": next_year("07-04T09:30"), "timezone": "America/New_York"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let theirs = r.data()[0].clone();
    assert_eq!(theirs["dueAt"].as_str(), Some(next_year("07-04T13:30:00.000Z").as_str()), "EDT is UTC-4");
    let mine = scheduled(&api, &me, &ws2, json!({"title": "Mine"}), &[a2], &next_year("02-10T18:00:00+05:30"), 3).await;

    let r = api.request("PUT", feed).bearer(&me.access).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let made = r.data();
    let path = made["path"].as_str().unwrap().to_string();
    assert!(made["url"].as_str().unwrap().ends_with(&path));
    assert!(path.starts_with("/calendar/") && path.ends_with(made["token"].as_str().unwrap()));
    let shown = api.get(feed).bearer(&me.access).send().await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.data()["createdAt"], made["createdAt"]);
    assert!(!String::from_utf8_lossy(&shown.body).contains(made["token"].as_str().unwrap()), "the token is shown once");

    let events = feed_events(&api, &path).await;
    let uids: Vec<String> = events.iter().map(|e| e["UID"].split('@').next().unwrap_or_default().to_string()).collect();
    let mut expected = vec![theirs.clone()];
    expected.extend(mine.iter().cloned());
    for p in &expected {
        assert!(uids.contains(&p["id"].as_str().unwrap().to_string()), "{p} in {uids:?}");
    }
    assert_eq!(events.len(), 4, "{events:#?}");
    let launch = events.iter().find(|e| e["UID"].starts_with(theirs["id"].as_str().unwrap())).unwrap();
    // The parser keeps the escapes of TEXT values as written: the title's semicolon and comma.
    assert_eq!(launch["SUMMARY"], "Launch\\; day 1\\, at last (mastodon)");
    assert_eq!(launch["DTSTART"], ics_time(&next_year("07-04T13:30:00Z")), "{launch:?}");
    assert_eq!(launch["DTEND"], ics_time(&next_year("07-04T13:45:00Z")));
    assert_eq!(launch["STATUS"], "TENTATIVE");
    assert!(launch["DESCRIPTION"].contains("Agency\\, Inc."), "{launch:?}");
    let mut starts: Vec<&str> =
        events.iter().filter(|e| e["SUMMARY"] == "Mine (mastodon)").map(|e| e["DTSTART"].as_str()).collect();
    starts.sort();
    let days = ["02-10T12:30:00Z", "02-11T12:30:00Z", "02-12T12:30:00Z"].map(|d| ics_time(&next_year(d)));
    assert_eq!(starts, days.iter().map(String::as_str).collect::<Vec<_>>(), "18:00 at +05:30 is 12:30 UTC");

    // A new address replaces the old one.
    let again = api.request("PUT", feed).bearer(&me.access).send().await.data();
    let new_path = again["path"].as_str().unwrap().to_string();
    assert_ne!(new_path, path);
    api.get(&path).send().await.expect_error(404, "NOT_FOUND");
    assert_eq!(feed_events(&api, &new_path).await.len(), 4);

    // Out of a workspace, out of the feed.
    let r = api.delete(&w(&ws1, &format!("/members/{}", me.id))).bearer(&agency.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let events = feed_events(&api, &new_path).await;
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["SUMMARY"] == "Mine (mastodon)"));

    // Deleted: the address works no more, and a guess never did.
    let r = api.delete(feed).bearer(&me.access).send().await;
    assert_eq!(r.status, 204);
    api.get(&new_path).send().await.expect_error(404, "NOT_FOUND");
    api.get("/calendar/not-a-token").send().await.expect_error(404, "NOT_FOUND");
    api.get(feed).bearer(&me.access).send().await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_client_member_sees_only_their_clients_posts_on_the_calendar_and_in_their_feed() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("wall-token-");
    let owner = signup(&api, "cal-wall").await;
    let ws = create_workspace(&api, &owner, "Wall").await;
    let account = connect(&api, &owner, &ws, &fake, "wall-token-1").await;
    let mine = created(&api, &owner, &w(&ws, "/clients"), json!({"name": "Mine"})).await;
    let theirs = created(&api, &owner, &w(&ws, "/clients"), json!({"name": "Theirs"})).await;
    let client = add_member(&api, &owner, &ws, "client").await;
    attach_to_client(&api, &owner, &ws, &mine, &client.id).await;
    let at = next_year("05-05T10:00:00Z");
    let visible =
        scheduled(&api, &owner, &ws, json!({"title": "For me", "clientId": mine}), &[account.clone()], &at, 1).await;
    scheduled(&api, &owner, &ws, json!({"title": "Not for me", "clientId": theirs}), &[account.clone()], &at, 1).await;
    scheduled(&api, &owner, &ws, json!({"title": "Agency only"}), &[account], &at, 1).await;

    let range = format!("from={}&to={}", next_year("05-01T00:00:00Z"), next_year("06-01T00:00:00Z"));
    let path = w(&ws, &format!("/calendar?{range}"));
    assert_eq!(walk_pages(&api, &owner, &path, 10).await.len(), 3);
    let seen = walk_pages(&api, &client, &path, 10).await;
    assert_eq!(ids(&seen, "publicationId"), ids(&visible, "id"), "{seen:#?}");

    let made = api.request("PUT", "/api/v1/users/me/calendar-feed").bearer(&client.access).send().await.data();
    let events = feed_events(&api, made["path"].as_str().unwrap()).await;
    let titles: Vec<&str> = events.iter().map(|e| e["SUMMARY"].as_str()).collect();
    assert_eq!(titles, ["For me (mastodon)"]);
}

/// The local wall-clock time and UTC offset, in `zone` (the system's tz database), of an
/// answer's RFC 3339 time.
fn local_in(zone: &str, rfc3339: &str) -> (String, String) {
    let tz = jiff::tz::TimeZone::get(zone).expect("the system's tz database has the zone");
    let at = rfc3339.parse::<jiff::Timestamp>().unwrap().to_zoned(tz);
    (at.strftime("%H:%M").to_string(), at.strftime("%:z").to_string())
}

#[tokio::test]
async fn team_events_repeat_at_their_wall_clock_time_across_daylight_saving_and_page_past_a_hundred() {
    let api = Api::new();
    let owner = signup(&api, "events").await;
    let ws = create_workspace(&api, &owner, "Events").await;
    let events = w(&ws, "/events");
    // Mondays, Wednesdays and Fridays at 09:00 in Paris from 1 March, without end; every day
    // all day; a shoot over two days; the 31st of each month, four times.
    let standup = created(
        &api,
        &owner,
        &events,
        json!({"title": "Standup", "start": next_year("03-01T09:00"), "end": next_year("03-01T09:15"),
               "timezone": "Europe/Paris", "recurrence": {"frequency": "weekly", "byDay": ["FR", "MO", "WE"]}}),
    )
    .await;
    let daily = created(
        &api,
        &owner,
        &events,
        json!({"title": "Inbox zero", "allDay": true, "start": next_year("01-01"), "end": next_year("01-02"),
               "timezone": "Europe/Paris", "recurrence": {"frequency": "daily", "interval": 1}}),
    )
    .await;
    let shoot = created(
        &api,
        &owner,
        &events,
        json!({"title": "Shoot", "allDay": true, "start": next_year("05-10"), "end": next_year("05-12"), "timezone": "Europe/Paris"}),
    )
    .await;
    let monthly = created(
        &api,
        &owner,
        &events,
        json!({"title": "Month end", "start": next_year("01-31T17:00"), "end": next_year("01-31T18:00"),
               "timezone": "America/New_York", "recurrence": {"frequency": "monthly", "count": 4}}),
    )
    .await;

    // March to May: 92 days.
    let range = format!("from={}&to={}", next_year("03-01T00:00:00+01:00"), next_year("06-01T00:00:00+02:00"))
        .replace('+', "%2B");
    let items = walk_pages(&api, &owner, &format!("{events}?{range}"), 100).await;
    let of = |id: &str| items.iter().filter(|o| o["eventId"] == id).cloned().collect::<Vec<_>>();
    let standups = of(&standup);
    // Every standup at 09:00 in Paris, in winter time (+01:00) and in summer time (+02:00).
    let offsets: std::collections::BTreeSet<String> = standups
        .iter()
        .map(|o| {
            let (time, offset) = local_in("Europe/Paris", o["startsAt"].as_str().unwrap());
            assert_eq!(time, "09:00", "{o}");
            offset
        })
        .collect();
    assert_eq!(offsets.into_iter().collect::<Vec<_>>(), ["+01:00", "+02:00"]);
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let first: jiff::civil::Date = next_year("03-01").parse().unwrap();
    let days: Vec<jiff::civil::Date> = (0..92).map(|n| first.checked_add(jiff::Span::new().days(n)).unwrap()).collect();
    let weekdays = days
        .iter()
        .filter(|d| {
            matches!(
                d.weekday(),
                jiff::civil::Weekday::Monday | jiff::civil::Weekday::Wednesday | jiff::civil::Weekday::Friday
            )
        })
        .count();
    assert_eq!(standups.len(), weekdays);
    // Every day all day: each a date, its start midnight in Paris.
    let dailies = of(&daily);
    assert_eq!(dailies.len(), 92);
    let d0 = &dailies[0];
    assert_eq!(
        (d0["start"].as_str(), d0["end"].as_str()),
        (Some(next_year("03-01").as_str()), Some(next_year("03-02").as_str()))
    );
    let midnight = first.to_zoned(tz.clone()).unwrap().timestamp();
    assert_eq!(d0["startsAt"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap(), midnight);
    assert_eq!(of(&shoot).len(), 1);
    // The 31st: March and May (January before the range; April has none).
    let ends: Vec<String> = of(&monthly).iter().map(|o| o["start"].as_str().unwrap()[..10].to_string()).collect();
    assert_eq!(ends, [next_year("03-31"), next_year("05-31")]);
    assert_eq!(items.len(), weekdays + 92 + 1 + 2);
    // Earliest first, each once.
    let starts: Vec<(String, String)> = items
        .iter()
        .map(|o| (o["startsAt"].as_str().unwrap().to_string(), o["eventId"].as_str().unwrap().to_string()))
        .collect();
    let mut sorted = starts.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(starts, sorted);

    // One event with its rule; changed to a single event; deleted.
    let one = api.get(&format!("{events}/{standup}")).bearer(&owner.access).send().await.data();
    assert_eq!(one["recurrence"], json!({"frequency": "weekly", "interval": 1, "byDay": ["MO", "WE", "FR"]}));
    let r = api
        .patch(&format!("{events}/{standup}"))
        .bearer(&owner.access)
        .json(json!({"title": "Kick-off", "recurrence": null}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.data()["recurrence"].is_null());
    let again = walk_pages(&api, &owner, &format!("{events}?{range}"), 100).await;
    assert_eq!(again.iter().filter(|o| o["eventId"] == standup.as_str()).count(), 1);
    let r = api.delete(&format!("{events}/{shoot}")).bearer(&owner.access).send().await;
    assert_eq!(r.status, 204);
    api.get(&format!("{events}/{shoot}")).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");

    // Field by field, all at once.
    let r = api
        .post(&events)
        .bearer(&owner.access)
        .json(json!({"title": "", "start": next_year("03-10T10:00"), "end": next_year("03-10T09:00"), "timezone": "Mars/Olympus",
                     "recurrence": {"frequency": "monthly", "byDay": ["MO"], "count": 0}}))
        .send()
        .await;
    assert_eq!(r.fields(), ["title", "timezone", "end", "recurrence.count", "recurrence.byDay"]);
    for ((start, end), fields) in [
        ((next_year("03-10T10:00"), next_year("03-11")), ["start"]),
        ((next_year("03-10"), next_year("04-30")), ["end"]),
    ] {
        let r = api
            .post(&events)
            .bearer(&owner.access)
            .json(json!({"title": "Off", "allDay": true, "start": start, "end": end}))
            .send()
            .await;
        assert_eq!(r.fields(), fields, "{start} to {end}");
    }
    refuses_bad_paging(&api, &owner, &format!("{events}?{range}")).await;
    assert_eq!(api.get(&events).bearer(&owner.access).send().await.fields(), ["from", "to"]);

    // The team's calendar is not a Client member's, nor a stranger's.
    let client = add_member(&api, &owner, &ws, "client").await;
    api.get(&format!("{events}?{range}")).bearer(&client.access).send().await.expect_error(403, "FORBIDDEN");
    let stranger = signup(&api, "events-stranger").await;
    api.get(&format!("{events}/{daily}")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn personal_and_team_events_reach_their_owners_feed_and_no_one_elses() {
    let api = Api::new();
    let owner = signup(&api, "feed-events").await;
    let ws = create_workspace(&api, &owner, "Team").await;
    let mine = "/api/v1/users/me/events";
    let dentist = created(
        &api,
        &owner,
        mine,
        json!({"title": "Dentist", "start": next_year("02-03T08:30"), "end": next_year("02-03T09:00"), "timezone": "Asia/Kolkata"}),
    )
    .await;
    created(
        &api,
        &owner,
        &w(&ws, "/events"),
        json!({"title": "Offsite", "allDay": true, "start": next_year("04-05"), "end": next_year("04-07"), "timezone": "UTC"}),
    )
    .await;
    // Someone else's own events are theirs alone.
    let other = signup(&api, "feed-events-other").await;
    api.get(&format!("{mine}/{dentist}")).bearer(&other.access).send().await.expect_error(404, "NOT_FOUND");
    let range = format!("from={}&to={}", next_year("02-01T00:00:00Z"), next_year("03-01T00:00:00Z"));
    assert!(walk_pages(&api, &other, &format!("{mine}?{range}"), 10).await.is_empty());
    let listed = walk_pages(&api, &owner, &format!("{mine}?{range}"), 10).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["startsAt"].as_str(), Some(next_year("02-03T03:00:00.000Z").as_str()), "08:30 at +05:30");

    let made = api.request("PUT", "/api/v1/users/me/calendar-feed").bearer(&owner.access).send().await.data();
    let events = feed_events(&api, made["path"].as_str().unwrap()).await;
    let dentist_event = events.iter().find(|e| e["SUMMARY"] == "Dentist").expect("the person's own event");
    assert_eq!(dentist_event["DTSTART"], ics_time(&next_year("02-03T03:00:00Z")));
    assert!(dentist_event["UID"].starts_with(&dentist));
    let offsite = events.iter().find(|e| e["SUMMARY"] == "Offsite").expect("the team's event");
    assert_eq!(offsite["DTSTART"], next_year("04-05").replace('-', ""));
    assert_eq!(offsite["DTEND"], next_year("04-07").replace('-', ""));
    assert!(offsite["DESCRIPTION"].contains("Team"));
    let other_feed = api.request("PUT", "/api/v1/users/me/calendar-feed").bearer(&other.access).send().await.data();
    assert!(feed_events(&api, other_feed["path"].as_str().unwrap()).await.is_empty());
}
