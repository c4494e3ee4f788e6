//! Export of all my data (SPEC PL-9): everything Herald holds about the caller across
//! workspaces, in one JSON document, and nothing of anyone else's.

use herald_tests::*;
use serde_json::json;

#[tokio::test]
async fn a_user_exports_everything_about_them_across_workspaces_and_nothing_of_anyone_else() {
    let api = Api::new();
    let me = signup(&api, "exporter").await;
    let mine = create_workspace(&api, &me, "Mine").await;
    let other = signup(&api, "other-owner").await;
    let theirs = create_workspace(&api, &other, "Theirs").await;
    // I am a member of their workspace too.
    let r = api
        .post(&format!("/api/v1/workspaces/{theirs}/invites"))
        .bearer(&other.access)
        .json(json!({"email": me.email, "role": "editor"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let token = invite_token(&api, &me.email).await;
    let r = api.post("/api/v1/invites/accept").bearer(&me.access).json(json!({"token": token})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let post = |ws: String, user: User, title: &'static str| {
        let api = &api;
        async move {
            let r = api
                .post(&format!("/api/v1/workspaces/{ws}/posts"))
                .bearer(&user.access)
                .json(json!({"title": title, "body": format!("{title} body")}))
                .send()
                .await;
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.data()["id"].as_str().unwrap_or_default().to_string()
        }
    };
    let my_post = post(mine.clone(), me.clone(), "My own words").await;
    let their_post = post(theirs.clone(), other.clone(), "Their private plans").await;
    let my_post_there = post(theirs.clone(), me.clone(), "My words in their workspace").await;
    let r = api
        .post(&format!("/api/v1/workspaces/{theirs}/posts/{their_post}/comments"))
        .bearer(&me.access)
        .json(json!({"body": "My comment on their post"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    let r = api.get("/api/v1/users/me/export").send().await;
    r.expect_error(401, "UNAUTHORIZED");
    let r = api.get("/api/v1/users/me/export").bearer(&me.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let text = String::from_utf8_lossy(&r.body).to_string();
    let export = r.data();
    assert_eq!(export["user"]["email"], me.email.as_str());
    assert!(export["user"].get("passwordHash").is_none() && !text.contains("$argon2"), "no password hash");
    let names: Vec<&str> = export["memberships"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["workspaceName"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Mine", "Theirs"]);
    let posts: Vec<&str> =
        export["posts"].as_array().map(|p| p.iter().filter_map(|x| x["id"].as_str()).collect()).unwrap_or_default();
    assert_eq!(posts.len(), 2, "{export}");
    assert!(posts.contains(&my_post.as_str()) && posts.contains(&my_post_there.as_str()));
    assert!(export["postVersions"].as_array().is_some_and(|v| v.len() >= 2));
    assert_eq!(export["comments"][0]["body"], "My comment on their post");
    assert_eq!(export["comments"][0]["subjectType"], "post");
    assert!(export["activity"].as_array().is_some_and(|a| a.iter().any(|e| e["action"] == "post.create")), "{export}");
    assert!(export["posts"][0]["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(export["truncated"], json!([]));
    // Nothing of theirs: not their post, not their name or address.
    assert!(!text.contains("Their private plans") && !text.contains(&other.email), "another person's data leaked");
}

/// A new account with a name nobody else has, so that a scan for it finds only its traces.
async fn distinct(api: &Api, label: &str) -> (User, String) {
    let email = unique_email(&label.to_lowercase().replace(' ', "-"));
    let name = format!("{label} {}", email.split('@').next().unwrap_or_default().replace(['.', '+', '-'], " "));
    let r =
        api.post("/api/v1/auth/signup").json(json!({"email": email, "password": PASSWORD, "name": name})).send().await;
    assert!(r.status == 201 || r.status == 202, "{}", String::from_utf8_lossy(&r.body));
    if r.status == 202 {
        let token = mail_token(api, &email, "/api/v1/auth/verify-email").await;
        let r = api.post("/api/v1/auth/verify-email").json(json!({"token": token})).send().await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let r = api.post("/api/v1/auth/login").json(json!({"email": email, "password": PASSWORD})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let d = r.data();
    let user = User {
        id: d["user"]["id"].as_str().unwrap_or_default().into(),
        email,
        access: d["accessToken"].as_str().unwrap_or_default().into(),
        refresh: d["refreshToken"].as_str().unwrap_or_default().into(),
    };
    (user, name)
}

async fn join(api: &Api, owner: &User, ws: &str, user: &User, role: &str) {
    let r = api
        .post(&format!("/api/v1/workspaces/{ws}/invites"))
        .bearer(&owner.access)
        .json(json!({"email": user.email, "role": role}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let token = invite_token(api, &user.email).await;
    let r = api.post("/api/v1/invites/accept").bearer(&user.access).json(json!({"token": token})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[tokio::test]
async fn erasing_an_account_leaves_its_shared_work_to_a_tombstone_and_nothing_else_of_it() {
    let api = Api::new();
    let owner = signup(&api, "team-owner").await;
    let team = create_workspace(&api, &owner, "Team").await;
    let (me, my_name) = distinct(&api, "Erin Erasable").await;
    join(&api, &owner, &team, &me, "editor").await;
    // Work that outlives me: a post and its version, a comment, a file; and the owner's
    // comment that mentions me.
    let r = api
        .post(&format!("/api/v1/workspaces/{team}/posts"))
        .bearer(&me.access)
        .json(json!({"title": "Launch plan", "body": "Shared words"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data()["id"].as_str().unwrap_or_default().to_string();
    let r = api
        .post(&format!("/api/v1/workspaces/{team}/posts/{post}/comments"))
        .bearer(&me.access)
        .json(json!({"body": "My note"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let r = api
        .post(&format!("/api/v1/workspaces/{team}/posts/{post}/comments"))
        .bearer(&owner.access)
        .json(json!({"body": "Over to you", "mentions": [me.id]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let asset = ready_image(&api, &me, &team, "image/png", PNG_1X1).await;
    // A team event I made, which stays; an event of my own, which goes with me.
    let event = json!({"title": "Kick-off", "start": "2027-01-04T10:00", "end": "2027-01-04T11:00", "timezone": "UTC"});
    let r = api.post(&format!("/api/v1/workspaces/{team}/events")).bearer(&me.access).json(event.clone()).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let team_event = r.data()["id"].as_str().unwrap_or_default().to_string();
    let r = api
        .post("/api/v1/users/me/events")
        .bearer(&me.access)
        .json(json!({"title": "Erin's dentist", "start": "2027-01-05T10:00", "end": "2027-01-05T11:00"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    // A workspace of my own, which I alone own.
    let mine = create_workspace(&api, &me, "Solo").await;

    let erase = |password: &str| api.delete("/api/v1/users/me").bearer(&me.access).json(json!({"password": password}));
    erase("not my password").send().await.expect_error(400, "VALIDATION_ERROR");
    let r = api.delete("/api/v1/users/me").send().await;
    r.expect_error(401, "UNAUTHORIZED");
    let r = erase(PASSWORD).send().await;
    let e = r.expect_error(409, "CONFLICT");
    assert!(e["error"].as_str().unwrap_or_default().contains(&mine), "the blocking workspace is named: {e}");
    // Archived, it no longer blocks: it goes with the account, files and all.
    let solo_file = ready_image(&api, &me, &mine, "image/png", PNG_1X1).await;
    assert_eq!(api.delete(&format!("/api/v1/workspaces/{mine}")).bearer(&me.access).send().await.status, 200);
    // An export of mine, built: its files go with me.
    let r = api.post("/api/v1/users/me/exports").bearer(&me.access).send().await;
    let export = r.data()["id"].as_str().unwrap_or_default().to_string();
    for _ in 0..40 {
        api.run_cron().await;
        let list = api.get("/api/v1/users/me/exports").bearer(&me.access).send().await.data();
        if list[0]["status"] == "ready" {
            break;
        }
    }
    assert!(api.files_under(&format!("exports/{export}/")).is_none_or(|n| n > 0));
    let r = erase(PASSWORD).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["erased"], true);
    assert_eq!(r.data()["workspacesDeleted"], 1);

    // I am gone: no session, no sign-in.
    let r = api.get("/api/v1/users/me").bearer(&me.access).send().await;
    r.expect_error(401, "UNAUTHORIZED");
    let r = api.post("/api/v1/auth/login").json(json!({"email": me.email, "password": PASSWORD})).send().await;
    r.expect_error(401, "UNAUTHORIZED");
    let r = api.post("/api/v1/auth/refresh").json(json!({"refreshToken": me.refresh})).send().await;
    r.expect_error(401, "UNAUTHORIZED");
    // My work stays, attributed to the tombstone.
    let r = api.get(&format!("/api/v1/workspaces/{team}/posts/{post}")).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let tomb = r.data()["authorId"].as_str().unwrap_or_default().to_string();
    assert!(!tomb.is_empty() && tomb != me.id, "the post is the tombstone's");
    let r = api.get(&format!("/api/v1/workspaces/{team}/posts/{post}/comments")).bearer(&owner.access).send().await;
    let text = String::from_utf8_lossy(&r.body).to_string();
    assert!(text.contains("My note") && text.contains(&tomb) && !text.contains(&me.id), "{text}");
    let r = api.get(&format!("/api/v1/workspaces/{team}/media/{asset}")).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "the file stays with the team");
    let r = api.get(&format!("/api/v1/workspaces/{team}/members")).bearer(&owner.access).send().await;
    assert!(!String::from_utf8_lossy(&r.body).contains(&me.email), "no longer a member");
    let r = api.get(&format!("/api/v1/workspaces/{team}/events/{team_event}")).bearer(&owner.access).send().await;
    assert_eq!(r.data()["createdBy"], tomb.as_str(), "the team's event stays, the tombstone's");
    assert_ne!(api.stored_anywhere("Erin's dentist").await, Some(true), "my own event went with me");
    // Nothing anywhere holds my id, address or name; the archived workspace left storage.
    for needle in [me.id.as_str(), me.email.as_str(), my_name.as_str()] {
        assert_ne!(api.stored_anywhere(needle).await, Some(true), "{needle} is still stored");
    }
    let _ = solo_file;
    api.run_cron().await;
    assert_ne!(api.stored_anywhere(&mine).await, Some(true), "a row still names the archived workspace");
    assert_eq!(api.files_under(&format!("media/{mine}/")).unwrap_or(0), 0, "the archived workspace's file is deleted");
    assert_eq!(api.files_under(&format!("media/{team}/")).unwrap_or(1), 1, "the team's file stays");
    assert_eq!(api.files_under(&format!("exports/{export}/")).unwrap_or(0), 0, "my export's files are deleted");
}

#[tokio::test]
async fn an_owner_erases_a_workspace_with_every_row_and_file_and_nobody_else_can() {
    let api = Api::new();
    let owner = signup(&api, "erasing-owner").await;
    let ws = create_workspace(&api, &owner, "Going away").await;
    let admin = add_member(&api, &owner, &ws, "admin").await;
    let asset = ready_image(&api, &owner, &ws, "image/png", PNG_1X1).await;
    let r = api
        .post(&format!("/api/v1/workspaces/{ws}/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Soon gone", "body": "Words"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let link = api
        .post(&format!("/api/v1/workspaces/{ws}/review-links"))
        .bearer(&owner.access)
        .json(json!({"postIds": [r.data()["id"]], "expiresInHours": 24}))
        .send()
        .await;
    assert_eq!(link.status, 201, "{}", String::from_utf8_lossy(&link.body));
    let review_token = link.data()["token"].as_str().unwrap_or_default().to_string();
    let other = signup(&api, "bystander").await;
    let bystander_ws = create_workspace(&api, &other, "Bystander").await;
    // Two platform grants: X and LinkedIn, which both take a grant back when asked.
    let (x_user, li_user) = (format!("erx{}", &unique_email("u")[2..10]), format!("erl{}", &unique_email("u")[2..10]));
    for (platform, user) in [("x", &x_user), ("linkedin", &li_user)] {
        let r = connect_oauth(&api, &owner, &ws, platform, user).await;
        assert!(r.status == 200 || r.status == 201, "{}", String::from_utf8_lossy(&r.body));
    }
    let fake = herald_tests::fakes::FakeX::get();
    assert_eq!(fake.revoked(&x_user), (false, 2), "a live grant: its access and refresh tokens");

    let erase = |user: &User, name: &str| {
        api.post(&format!("/api/v1/workspaces/{ws}/erase")).bearer(&user.access).json(json!({"confirmName": name}))
    };
    erase(&admin, "Going away").send().await.expect_error(403, "FORBIDDEN");
    erase(&other, "Going away").send().await.expect_error(404, "NOT_FOUND");
    let r = erase(&owner, "going away").send().await;
    r.expect_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["confirmName"]);
    let r = api.post(&format!("/api/v1/workspaces/{ws}/erase")).bearer(&owner.access).json(json!({})).send().await;
    r.expect_error(400, "VALIDATION_ERROR");

    let r = erase(&owner, "Going away").send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["filesQueued"], 1);
    let r = api.get(&format!("/api/v1/workspaces/{ws}")).bearer(&owner.access).send().await;
    r.expect_error(404, "NOT_FOUND");
    let r = api.get(&format!("/api/v1/workspaces/{ws}/media/{asset}")).bearer(&admin.access).send().await;
    r.expect_error(404, "NOT_FOUND");
    let r = api.get(&format!("/review/{review_token}")).send().await;
    assert_eq!(r.status, 404, "the review link is gone: {}", String::from_utf8_lossy(&r.body));
    let r = erase(&owner, "Going away").send().await;
    r.expect_error(404, "NOT_FOUND");
    // The files leave storage with the next tick, and the platforms take their grants back;
    // then no row anywhere names the workspace.
    api.run_cron().await;
    for user in [&x_user, &li_user] {
        assert_eq!(fake.revoked(user), (true, 0), "{user}'s grant is revoked");
    }
    assert_eq!(api.files_under(&format!("media/{ws}/")).unwrap_or(0), 0);
    assert_ne!(api.stored_anywhere(&ws).await, Some(true), "a row still names the workspace");
    // The members stay, and other workspaces are untouched.
    let r = api.get("/api/v1/workspaces").bearer(&admin.access).send().await;
    assert_eq!(r.status, 200);
    let r = api.get(&format!("/api/v1/workspaces/{bystander_ws}")).bearer(&other.access).send().await;
    assert_eq!(r.status, 200);
}

/// The token of the newest export mail to `email`: the link's last segment.
async fn export_link(api: &Api, email: &str) -> Option<String> {
    let mails = mailbox(api, email).await;
    let mail = mails.iter().find(|m| m["subject"].as_str().is_some_and(|s| s.contains("export")))?;
    let text = mail["text"].as_str()?;
    let link = text.lines().find(|l| l.contains("/api/v1/exports/"))?;
    Some(link.trim().rsplit('/').next()?.to_string())
}

#[tokio::test]
async fn a_whole_export_is_built_in_the_background_and_offered_by_a_link_that_expires() {
    let api = Api::new();
    let me = signup(&api, "background-export").await;
    let ws = create_workspace(&api, &me, "Exported").await;
    for i in 0..7 {
        let r = api
            .post(&format!("/api/v1/workspaces/{ws}/posts"))
            .bearer(&me.access)
            .json(json!({"title": format!("Post {i}"), "body": format!("Words {i}")}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
    let r = api
        .post("/api/v1/users/me/events")
        .bearer(&me.access)
        .json(json!({"title": "Dentist", "start": "2027-02-03T08:30", "end": "2027-02-03T09:00", "timezone": "Europe/Oslo"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    api.post("/api/v1/users/me/exports").send().await.expect_error(401, "UNAUTHORIZED");
    // Announced in a workspace of mine only.
    let stranger = signup(&api, "export-stranger").await;
    let theirs = create_workspace(&api, &stranger, "Not mine").await;
    let r =
        api.post("/api/v1/users/me/exports").bearer(&me.access).json(json!({"notifyWorkspaceId": theirs})).send().await;
    assert_eq!(r.fields(), ["notifyWorkspaceId"]);
    let r = api.post("/api/v1/users/me/exports").bearer(&me.access).json(json!({"notifyWorkspaceId": ws})).send().await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["notifyWorkspaceId"], ws.as_str());
    let id = r.data()["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(r.data()["status"], "pending");
    api.post("/api/v1/users/me/exports").bearer(&me.access).send().await.expect_error(409, "CONFLICT");
    let download = format!("/api/v1/users/me/exports/{id}/download");
    api.get(&download).bearer(&me.access).send().await.expect_error(409, "CONFLICT");

    // The tick builds it a part at a time (three entries a part in process), then mails the link.
    let mut token = None;
    for _ in 0..40 {
        api.run_cron().await;
        token = export_link(&api, &me.email).await;
        if token.is_some() {
            break;
        }
    }
    let token = token.expect("the export's link is mailed");
    let list = api.get("/api/v1/users/me/exports").bearer(&me.access).send().await.data();
    assert_eq!((list[0]["id"].as_str(), list[0]["status"].as_str()), (Some(id.as_str()), Some("ready")), "{list}");
    assert!(list[0]["expiresAt"].is_string() && list[0]["entries"].as_i64().unwrap_or(0) >= 9, "{list}");
    // Announced in the workspace's notifications too.
    let notes = api.get(&format!("/api/v1/workspaces/{ws}/notifications")).bearer(&me.access).send().await.data();
    let ready = notes["items"].as_array().and_then(|n| n.iter().find(|n| n["kind"] == "export.ready").cloned());
    let ready = ready.unwrap_or_default();
    assert_eq!(
        (ready["subjectType"].as_str(), ready["subjectId"].as_str()),
        (Some("export"), Some(id.as_str())),
        "{notes}"
    );

    let r = api.get(&format!("/api/v1/exports/{token}")).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.header("content-disposition").is_some_and(|d| d.starts_with("attachment")));
    let doc: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    assert_eq!(doc["user"]["email"], me.email.as_str(), "{doc}");
    let posts = doc["posts"].as_array().cloned().unwrap_or_default();
    let titles: Vec<&str> = posts.iter().filter_map(|p| p["title"].as_str()).collect();
    assert_eq!(titles, (0..7).map(|i| format!("Post {i}")).collect::<Vec<_>>(), "every post, oldest first, once");
    assert_eq!(doc["memberships"].as_array().map(Vec::len), Some(1));
    assert!(doc["truncated"].as_array().is_some_and(Vec::is_empty));
    let events = doc["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.iter().map(|e| e["title"].as_str()).collect::<Vec<_>>(), [Some("Dentist")], "{doc}");
    // Each list once: a key written twice would leave a reader the last (empty) one.
    let text = String::from_utf8_lossy(&r.body);
    for key in ["\"posts\":", "\"aiUsage\":", "\"events\":", "\"truncated\":"] {
        assert_eq!(text.matches(key).count(), 1, "{key} in {text}");
    }
    // The same signed in; nobody else's; no other token.
    let mine = api.get(&download).bearer(&me.access).send().await;
    assert_eq!((mine.status, mine.body.len()), (200, r.body.len()));
    let other = signup(&api, "not-the-exporter").await;
    api.get(&download).bearer(&other.access).send().await.expect_error(404, "NOT_FOUND");
    let last = if token.ends_with('A') { 'B' } else { 'A' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let r = api.get(&format!("/api/v1/exports/{forged}")).send().await;
    assert_eq!(r.status, 404);

    // A week on, the link has ended and its file is gone (the clock moves in process only).
    if !api.is_remote() && !api.shares_its_database() {
        let later = jiff::Timestamp::now().as_millisecond() + 8 * 24 * 3600 * 1000;
        let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(later).send().await;
        assert_eq!(r.status, 200);
        assert_eq!(api.get(&format!("/api/v1/exports/{token}")).at(later).send().await.status, 404);
        assert_eq!(api.files_under(&format!("exports/{id}/")), Some(0));
    }
}
