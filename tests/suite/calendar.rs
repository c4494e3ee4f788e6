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
