//! Tasks (SPEC CO-1): created, assigned (the assignee told), filtered and paged; linked to a
//! campaign or a post, whose client decides the task's; a Client member sees its clients' tasks
//! only and writes none; one's open tasks across workspaces, soonest due first.

use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn create(api: &Api, user: &User, path: &str, body: Value) -> Value {
    let r = api.post(path).bearer(&user.access).json(body).send().await;
    assert_eq!(r.status, 201, "{path}: {}", String::from_utf8_lossy(&r.body));
    r.data()
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|t| t["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn tasks_are_assigned_filtered_and_paged() {
    let api = Api::new();
    let owner = signup(&api, "tasks").await;
    let ws = create_workspace(&api, &owner, "Tasks").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    let client_member = add_member(&api, &owner, &ws, "client").await;
    let stranger = signup(&api, "tasks-stranger").await;
    let path = w(&ws, "/tasks");

    // Checked, every field at once, before anything is stored.
    let r = api.post(&path).bearer(&owner.access).json(json!({"description": "no title"})).send().await;
    assert_eq!(r.fields(), ["title"]);
    let r = api
        .post(&path)
        .bearer(&owner.access)
        .json(json!({"title": "x", "status": "started", "priority": "asap", "dueAt": "tomorrow", "assigneeId": "me"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["status", "priority", "dueAt", "assigneeId"]);
    for (assignee, why) in [(&stranger.id, "not a member"), (&client_member.id, "Client member")] {
        let r = api.post(&path).bearer(&owner.access).json(json!({"title": "x", "assigneeId": assignee})).send().await;
        assert_eq!(r.fields(), ["assigneeId"], "{why}");
    }
    let r = api.post(&path).bearer(&viewer.access).json(json!({"title": "x"})).send().await;
    r.expect_error(403, "FORBIDDEN");

    // Assigned: the assignee is told, the creator is not.
    let due = "2020-01-01T09:00:00Z";
    let task = create(
        &api,
        &owner,
        &path,
        json!({"title": "Shoot the spring reel", "assigneeId": editor.id, "dueAt": due, "priority": "high"}),
    )
    .await;
    assert_eq!(
        (&task["status"], &task["priority"], &task["assigneeId"], &task["dueAt"], &task["overdue"]),
        (&json!("todo"), &json!("high"), &json!(editor.id), &json!("2020-01-01T09:00:00.000Z"), &json!(true))
    );
    let notices = api.get(&w(&ws, "/notifications")).bearer(&editor.access).send().await.data();
    let assigned: Vec<&Value> =
        notices["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "task.assigned").collect();
    assert_eq!(assigned.len(), 1, "{notices}");
    assert_eq!(assigned[0]["subjectId"], task["id"]);
    let mine = api.get(&w(&ws, "/notifications")).bearer(&owner.access).send().await.data();
    assert!(mine["items"].as_array().unwrap().iter().all(|n| n["kind"] != "task.assigned"));

    // More than D1 binds in one statement, listed at the largest page.
    let mut all = vec![task["id"].as_str().unwrap().to_string()];
    for i in 0..104 {
        let body = if i % 3 == 0 {
            json!({"title": format!("Task {i}"), "assigneeId": editor.id, "status": "in_progress"})
        } else {
            json!({"title": format!("Task {i}"), "priority": "low"})
        };
        all.push(create(&api, &owner, &path, body).await["id"].as_str().unwrap().to_string());
    }
    let listed = walk_pages(&api, &viewer, &path, 100).await;
    all.reverse();
    assert_eq!(ids(&listed), all, "newest first, every one once");
    refuses_bad_paging(&api, &owner, &path).await;
    let theirs = walk_pages(&api, &editor, &format!("{path}?assigneeId=me"), 100).await;
    assert_eq!(theirs.len(), 1 + 35);
    assert!(theirs.iter().all(|t| t["assigneeId"] == json!(editor.id)));
    let overdue = api.get(&format!("{path}?overdue=true")).bearer(&owner.access).send().await.data();
    assert_eq!(ids(overdue["items"].as_array().unwrap()), [task["id"].as_str().unwrap()]);
    let low = walk_pages(&api, &owner, &format!("{path}?priority=low&status=todo"), 100).await;
    assert_eq!(low.len(), 69);
    for (query, field) in [
        ("status=started", "status"),
        ("priority=0", "priority"),
        ("assigneeId=bob", "assigneeId"),
        ("open=yes", "open"),
    ] {
        let r = api.get(&format!("{path}?{query}")).bearer(&owner.access).send().await;
        assert_eq!(r.fields(), [field], "{query}");
    }

    // Done: stamped, no longer overdue, out of the open ones.
    let one = w(&ws, &format!("/tasks/{}", task["id"].as_str().unwrap()));
    let done = api.patch(&one).bearer(&editor.access).json(json!({"status": "done"})).send().await.data();
    assert!(done["completedAt"].is_string() && done["overdue"] == json!(false), "{done}");
    let open = walk_pages(&api, &editor, &format!("{path}?assigneeId=me&open=true"), 100).await;
    assert_eq!(open.len(), 35);
    // Removing the due time: `null`.
    let undated = api.patch(&one).bearer(&owner.access).json(json!({"dueAt": null})).send().await.data();
    assert!(undated["dueAt"].is_null());
    api.patch(&one)
        .bearer(&viewer.access)
        .json(json!({"title": "mine now"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");

    // Deleted: gone for everyone; another workspace never reaches it.
    let other = create_workspace(&api, &stranger, "Elsewhere").await;
    let across = w(&other, &format!("/tasks/{}", task["id"].as_str().unwrap()));
    api.get(&across).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    api.get(&one).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    let r = api.delete(&one).bearer(&owner.access).send().await;
    assert_eq!(r.status, 204);
    api.get(&one).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_task_s_client_comes_from_its_campaign_or_post_and_walls_client_members() {
    let api = Api::new();
    let owner = signup(&api, "tasks-clients").await;
    let ws = create_workspace(&api, &owner, "Tasks for clients").await;
    let acme =
        create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Acme"})).await["id"].as_str().unwrap().to_string();
    let globex =
        create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Globex"})).await["id"].as_str().unwrap().to_string();
    let campaign = create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "Spring", "clientId": acme})).await;
    let globex_post = create(&api, &owner, &w(&ws, "/posts"), json!({"title": "G", "clientId": globex})).await;
    let client_member = add_member(&api, &owner, &ws, "client").await;
    attach_to_client(&api, &owner, &ws, &acme, &client_member.id).await;
    let path = w(&ws, "/tasks");

    let from_campaign = create(&api, &owner, &path, json!({"title": "Brief", "campaignId": campaign["id"]})).await;
    assert_eq!(from_campaign["clientId"], json!(acme));
    let from_post = create(&api, &owner, &path, json!({"title": "Edit", "postId": globex_post["id"]})).await;
    assert_eq!(from_post["clientId"], json!(globex));
    let named = create(&api, &owner, &path, json!({"title": "Call", "clientId": acme})).await;
    let internal = create(&api, &owner, &path, json!({"title": "Invoice"})).await;
    // Links that disagree, or are not the workspace's, are refused.
    let r = api
        .post(&path)
        .bearer(&owner.access)
        .json(json!({"title": "x", "campaignId": campaign["id"], "postId": globex_post["id"]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["postId"]);
    let r = api
        .post(&path)
        .bearer(&owner.access)
        .json(json!({"title": "x", "postId": globex_post["id"], "clientId": acme}))
        .send()
        .await;
    assert_eq!(r.fields(), ["clientId"]);
    let nowhere = "00000000-0000-4000-8000-000000000000";
    let r = api
        .post(&path)
        .bearer(&owner.access)
        .json(json!({"title": "x", "campaignId": nowhere, "postId": nowhere, "clientId": nowhere}))
        .send()
        .await;
    assert_eq!(r.fields(), ["campaignId", "postId", "clientId"]);
    let listed = api
        .get(&format!("{path}?campaignId={}", campaign["id"].as_str().unwrap()))
        .bearer(&owner.access)
        .send()
        .await
        .data();
    assert_eq!(ids(listed["items"].as_array().unwrap()), [from_campaign["id"].as_str().unwrap()]);

    // The Client member: its client's tasks only, and no writing.
    let seen = walk_pages(&api, &client_member, &path, 100).await;
    let mut expected = ids(&[named.clone(), from_campaign.clone()]);
    expected.sort();
    let mut seen = ids(&seen);
    seen.sort();
    assert_eq!(seen, expected);
    for hidden in [&from_post, &internal] {
        let one = w(&ws, &format!("/tasks/{}", hidden["id"].as_str().unwrap()));
        api.get(&one).bearer(&client_member.access).send().await.expect_error(404, "NOT_FOUND");
    }
    let one = w(&ws, &format!("/tasks/{}", named["id"].as_str().unwrap()));
    assert_eq!(api.get(&one).bearer(&client_member.access).send().await.data()["id"], named["id"]);
    api.patch(&one)
        .bearer(&client_member.access)
        .json(json!({"status": "done"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.post(&path)
        .bearer(&client_member.access)
        .json(json!({"title": "x"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn my_tasks_gathers_the_open_ones_of_every_workspace_soonest_first() {
    let api = Api::new();
    let me = signup(&api, "my-tasks").await;
    let boss = signup(&api, "my-tasks-boss").await;
    let first = create_workspace(&api, &boss, "First").await;
    let second = create_workspace(&api, &boss, "Second").await;
    let third = create_workspace(&api, &boss, "Third").await;
    let mut joined = Vec::new();
    for ws in [&first, &second, &third] {
        let r = api
            .post(&w(ws, "/invites"))
            .bearer(&boss.access)
            .json(json!({"email": me.email, "role": "writer"}))
            .send()
            .await;
        assert_eq!(r.status, 201);
        let token = invite_token(&api, &me.email).await;
        let r = api.post("/api/v1/invites/accept").bearer(&me.access).json(json!({"token": token})).send().await;
        assert_eq!(r.status, 200);
        joined.push(ws.clone());
    }
    let task = |ws: &str, title: &str, due: Option<&str>| {
        let mut body = json!({"title": title, "assigneeId": me.id});
        if let Some(due) = due {
            body["dueAt"] = json!(due);
        }
        (w(ws, "/tasks"), body)
    };
    let mut made = Vec::new();
    for (ws, title, due) in [
        (&first, "later", Some("2031-05-01T10:00:00Z")),
        (&second, "sooner", Some("2031-01-01T10:00:00Z")),
        (&first, "undated", None),
        (&second, "soonest", Some("2030-06-01T00:00:00+02:00")),
        (&third, "archived away", Some("2030-01-01T00:00:00Z")),
    ] {
        let (path, body) = task(ws, title, due);
        made.push(create(&api, &boss, &path, body).await);
    }
    // Done ones and other people's are not mine to do.
    let (path, body) = task(&first, "finished", Some("2030-02-01T00:00:00Z"));
    let finished = create(&api, &boss, &path, body).await;
    api.patch(&w(&first, &format!("/tasks/{}", finished["id"].as_str().unwrap())))
        .bearer(&boss.access)
        .json(json!({"status": "done"}))
        .send()
        .await
        .data();
    create(&api, &boss, &w(&first, "/tasks"), json!({"title": "the boss's", "assigneeId": boss.id})).await;
    let r = api.delete(&format!("/api/v1/workspaces/{third}")).bearer(&boss.access).send().await;
    assert!(r.status == 200 || r.status == 204, "archive: {}", String::from_utf8_lossy(&r.body));

    let mine = walk_pages(&api, &me, "/api/v1/users/me/tasks", 1).await;
    let titles: Vec<&str> = mine.iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["soonest", "sooner", "later", "undated"]);
    assert_eq!(mine[0]["workspaceName"], "Second");
    assert_eq!(mine[0]["workspaceId"], json!(second));
    refuses_bad_paging(&api, &me, "/api/v1/users/me/tasks").await;
    let _ = joined;
}

#[tokio::test]
async fn the_cron_tells_an_assignee_once_that_a_task_is_due_soon_or_overdue() {
    let api = Api::new();
    let owner = signup(&api, "tasks-due").await;
    let ws = create_workspace(&api, &owner, "Due").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let path = w(&ws, "/tasks");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let stamp = |s: i64| jiff::Timestamp::from_second(s).unwrap().to_string();
    let soon =
        create(&api, &owner, &path, json!({"title": "Soon", "assigneeId": writer.id, "dueAt": stamp(now + 3600)}))
            .await;
    let late =
        create(&api, &owner, &path, json!({"title": "Late", "assigneeId": writer.id, "dueAt": "2001-01-01T00:00:00Z"}))
            .await;
    create(&api, &owner, &path, json!({"title": "Far", "assigneeId": writer.id, "dueAt": stamp(now + 3 * 86_400)}))
        .await;
    create(
        &api,
        &owner,
        &path,
        json!({"title": "Done", "assigneeId": writer.id, "dueAt": "2001-01-01T00:00:00Z", "status": "done"}),
    )
    .await;
    let told = |notices: &Value| -> Vec<(String, String)> {
        let mut told: Vec<(String, String)> = notices["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] != "task.assigned")
            .map(|n| (n["kind"].as_str().unwrap().to_string(), n["subjectId"].as_str().unwrap().to_string()))
            .collect();
        told.sort();
        told
    };
    let expected = vec![
        ("task.due_soon".to_string(), soon["id"].as_str().unwrap().to_string()),
        ("task.overdue".to_string(), late["id"].as_str().unwrap().to_string()),
    ];
    // A tick tells a few at a time, earliest due first (other tests' tasks may come first).
    for _ in 0..30 {
        api.run_cron().await;
        let notices = api.get(&w(&ws, "/notifications")).bearer(&writer.access).send().await.data();
        if told(&notices).len() >= 2 {
            break;
        }
    }
    api.run_cron().await;
    let notices = api.get(&w(&ws, "/notifications")).bearer(&writer.access).send().await.data();
    assert_eq!(told(&notices), expected, "each once; none for a task far off or done: {notices}");
}
