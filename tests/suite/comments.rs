//! Comments with mentions, internal or client-visible, and the notifications they and the
//! approval workflow send.

use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn notifications(api: &Api, user: &User, ws: &str) -> Value {
    api.get(&w(ws, "/notifications")).bearer(&user.access).send().await.data()
}

#[tokio::test]
async fn a_client_member_never_sees_an_internal_comment() {
    let api = Api::new();
    let owner = signup(&api, "comments").await;
    let ws = create_workspace(&api, &owner, "Comments").await;
    let client = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Acme"})).send().await.data();
    let cid = client["id"].as_str().unwrap();
    let client_user = add_member(&api, &owner, &ws, "client").await;
    api.post(&w(&ws, &format!("/clients/{cid}/members")))
        .bearer(&owner.access)
        .json(json!({"userId": client_user.id}))
        .send()
        .await;
    let post = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "For Acme", "clientId": cid}))
        .send()
        .await
        .data();
    let path = w(&ws, &format!("/posts/{}/comments", post["id"].as_str().unwrap()));
    let internal =
        api.post(&path).bearer(&owner.access).json(json!({"body": "Margin is thin on this one"})).send().await.data();
    assert_eq!(internal["visibility"], "internal");
    api.post(&path).bearer(&owner.access).json(json!({"body": "Ready for you", "visibility": "client"})).send().await;
    let r = api
        .post(&path)
        .bearer(&client_user.access)
        .json(json!({"body": "Looks great", "visibility": "internal"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["visibility"]);
    let theirs = api.post(&path).bearer(&client_user.access).json(json!({"body": "Looks great"})).send().await.data();
    assert_eq!(theirs["visibility"], "client");

    let seen = api.get(&path).bearer(&client_user.access).send().await.data()["items"].clone();
    let bodies: Vec<&str> = seen.as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["Ready for you", "Looks great"]);
    let all = api.get(&path).bearer(&owner.access).send().await.data()["items"].clone();
    assert_eq!(all.as_array().unwrap().len(), 3);
    // A post of no client is behind the Client member's wall, thread and all; a deleted post
    // has no thread for anyone.
    let internal_post = api.post(&w(&ws, "/posts")).bearer(&owner.access).json(json!({"title": "Ours"})).send().await;
    let internal_post = internal_post.data()["id"].as_str().unwrap().to_string();
    let ours = w(&ws, &format!("/posts/{internal_post}/comments"));
    api.post(&ours).bearer(&owner.access).json(json!({"body": "Just us", "visibility": "client"})).send().await;
    assert_eq!(api.get(&ours).bearer(&owner.access).send().await.data()["items"].as_array().unwrap().len(), 1);
    api.get(&ours).bearer(&client_user.access).send().await.expect_error(404, "NOT_FOUND");
    api.delete(&w(&ws, &format!("/posts/{internal_post}"))).bearer(&owner.access).send().await;
    api.get(&ours).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");
    let internal_id = internal["id"].as_str().unwrap();
    api.delete(&format!("{path}/{internal_id}"))
        .bearer(&client_user.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    // Mentioning a client member in an internal comment would show it to them.
    let r =
        api.post(&path).bearer(&owner.access).json(json!({"body": "cc", "mentions": [client_user.id]})).send().await;
    assert_eq!(r.fields(), ["mentions[0]"]);
    let r = api.post(&path).bearer(&owner.access).json(json!({"body": " ", "mentions": ["ghost"]})).send().await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["body", "mentions[0]"]);
    // Someone of another workspace is no member here, whatever they are there; mentions are
    // read together, at most 50 of them (a mention each was a round trip each before).
    let stranger = signup(&api, "comment-stranger").await;
    create_workspace(&api, &stranger, "Theirs").await;
    let r = api
        .post(&path)
        .bearer(&owner.access)
        .json(json!({"body": "cc", "mentions": [owner.id, stranger.id, owner.id]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["mentions[1]"]);
    let many: Vec<&str> = std::iter::repeat(owner.id.as_str()).take(51).collect();
    let r = api.post(&path).bearer(&owner.access).json(json!({"body": "cc", "mentions": many})).send().await;
    assert_eq!(r.fields(), ["mentions"]);
    let r = api.post(&path).bearer(&owner.access).json(json!({"body": "cc", "mentions": many[..50]})).send().await;
    assert_eq!((r.status, r.data()["mentions"].clone()), (201, json!([owner.id])), "each member once");
}

#[tokio::test]
async fn mentions_notify_and_notifications_are_marked_read() {
    let api = Api::new();
    let owner = signup(&api, "mention").await;
    let ws = create_workspace(&api, &owner, "Mentions").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let post = api.post(&w(&ws, "/posts")).bearer(&writer.access).json(json!({"title": "Draft"})).send().await.data();
    let path = w(&ws, &format!("/posts/{}/comments", post["id"].as_str().unwrap()));
    let r = api
        .post(&path)
        .bearer(&writer.access)
        .json(json!({"body": "@editor can you check?", "mentions": [editor.id, writer.id]}))
        .send()
        .await;
    assert_eq!(r.status, 201);
    let inbox = notifications(&api, &editor, &ws).await;
    assert_eq!(inbox["unread"], 1);
    assert_eq!(inbox["items"][0]["kind"], "comment.mention");
    assert_eq!(inbox["items"][0]["body"], "@editor can you check?");
    assert_eq!(notifications(&api, &writer, &ws).await["unread"], 0, "no one is notified of their own mention");
    let id = inbox["items"][0]["id"].as_str().unwrap();
    api.post(&w(&ws, &format!("/notifications/{id}/read")))
        .bearer(&writer.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(
        api.post(&w(&ws, &format!("/notifications/{id}/read"))).bearer(&editor.access).send().await.data()["marked"],
        1
    );
    assert_eq!(notifications(&api, &editor, &ws).await["unread"], 0);
    if !api.is_remote() {
        let mail = api.get(&format!("/api/v1/dev/mailbox?to={}", editor.email.replace('@', "%40"))).send().await.data();
        assert!(mail.as_array().unwrap().iter().any(|m| m["subject"].as_str().unwrap().contains("mentioned")));
    }
}

#[tokio::test]
async fn submitting_and_deciding_notify_the_right_people() {
    let api = Api::new();
    let owner = signup(&api, "notify-flow").await;
    let ws = create_workspace(&api, &owner, "Notify").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let r = api
        .request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "internal", "internal": {"userIds": [editor.id]}}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let post =
        api.post(&w(&ws, "/posts")).bearer(&writer.access).json(json!({"title": "Notify me"})).send().await.data();
    let pid = post["id"].as_str().unwrap();
    api.post(&w(&ws, &format!("/posts/{pid}/submit"))).bearer(&writer.access).send().await;
    let inbox = notifications(&api, &editor, &ws).await;
    assert_eq!(inbox["items"][0]["kind"], "approval.requested");
    assert_eq!(inbox["items"][0]["subjectId"], pid);
    let approval = api.get(&w(&ws, &format!("/posts/{pid}/approvals"))).bearer(&editor.access).send().await.data()
        ["items"]
        .clone()[0]
        .clone();
    let aid = approval["id"].as_str().unwrap();
    api.post(&w(&ws, &format!("/approvals/{aid}/reject")))
        .bearer(&editor.access)
        .json(json!({"comment": "Needs a hook"}))
        .send()
        .await;
    let mine = notifications(&api, &writer, &ws).await;
    assert_eq!(mine["items"][0]["kind"], "approval.rejected");
    assert_eq!(mine["items"][0]["body"], "Needs a hook");
    api.post(&w(&ws, &format!("/posts/{pid}/submit"))).bearer(&writer.access).send().await;
    let approval =
        api.get(&w(&ws, "/approvals?mine=true")).bearer(&editor.access).send().await.data()["items"].clone()[0].clone();
    api.post(&w(&ws, &format!("/approvals/{}/approve", approval["id"].as_str().unwrap())))
        .bearer(&editor.access)
        .json(json!({}))
        .send()
        .await;
    let mine = notifications(&api, &writer, &ws).await;
    assert_eq!(mine["items"][0]["kind"], "approval.approved");
    assert_eq!(mine["unread"], 2);
    // Each notice is mailed too, to the addresses read with the request.
    let subjects = |mails: Vec<Value>| -> Vec<String> {
        mails.iter().filter_map(|m| m["subject"].as_str().map(str::to_string)).collect()
    };
    let to_writer = subjects(mailbox(&api, &writer.email).await);
    for want in ["\"Notify me\" is approved", "Changes requested on \"Notify me\""] {
        assert!(to_writer.iter().any(|s| s == want), "{want}: {to_writer:?}");
    }
    let to_editor = subjects(mailbox(&api, &editor.email).await);
    assert!(to_editor.iter().any(|s| s == "\"Notify me\" waits for your approval"), "{to_editor:?}");
    assert_eq!(api.post(&w(&ws, "/notifications/read-all")).bearer(&writer.access).send().await.data()["marked"], 2);
    assert_eq!(
        notifications(&api, &owner, &ws).await["items"].as_array().unwrap().len(),
        0,
        "the owner was not involved"
    );
}

#[tokio::test]
async fn only_people_who_see_a_post_can_be_mentioned_on_it() {
    let api = Api::new();
    let owner = signup(&api, "mention-wall").await;
    let ws = create_workspace(&api, &owner, "Mention wall").await;
    let client = |name: &'static str| {
        let (api, owner, ws) = (&api, &owner, &ws);
        async move {
            let c = api.post(&w(ws, "/clients")).bearer(&owner.access).json(json!({"name": name})).send().await.data();
            c["id"].as_str().unwrap().to_string()
        }
    };
    let (a, b) = (client("A").await, client("B").await);
    let of_a = add_member(&api, &owner, &ws, "client").await;
    let of_b = add_member(&api, &owner, &ws, "client").await;
    attach_to_client(&api, &owner, &ws, &a, &of_a.id).await;
    attach_to_client(&api, &owner, &ws, &b, &of_b.id).await;
    let post = |body: Value| {
        let (api, owner, ws) = (&api, &owner, &ws);
        async move {
            let p = api.post(&w(ws, "/posts")).bearer(&owner.access).json(body).send().await.data();
            p["id"].as_str().unwrap().to_string()
        }
    };
    let for_a = post(json!({"title": "A-SECRET-TITLE", "clientId": a})).await;
    let in_house = post(json!({"title": "HOUSE-SECRET-TITLE"})).await;

    for pid in [&for_a, &in_house] {
        let r = api
            .post(&w(&ws, &format!("/posts/{pid}/comments")))
            .bearer(&owner.access)
            .json(json!({"body": "B-LEAK launch on Monday", "visibility": "client", "mentions": [of_b.id]}))
            .send()
            .await;
        assert_eq!(r.fields(), ["mentions[0]"]);
    }
    let inbox = notifications(&api, &of_b, &ws).await;
    assert_eq!(inbox["items"], json!([]), "{inbox}");
    // The client's own member is mentioned as before.
    let r = api
        .post(&w(&ws, &format!("/posts/{for_a}/comments")))
        .bearer(&owner.access)
        .json(json!({"body": "Over to you", "visibility": "client", "mentions": [of_a.id]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(notifications(&api, &of_a, &ws).await["items"][0]["kind"], "comment.mention");
}

#[tokio::test]
async fn comments_page_oldest_first_and_a_client_member_pages_its_own() {
    let api = Api::new();
    let owner = signup(&api, "paged-comments").await;
    let ws = create_workspace(&api, &owner, "Paged comments").await;
    let client_user = add_member(&api, &owner, &ws, "client").await;
    let client = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Acme"})).send().await.data();
    let cid = client["id"].as_str().unwrap();
    attach_to_client(&api, &owner, &ws, cid, &client_user.id).await;
    let post =
        api.post(&w(&ws, "/posts")).bearer(&owner.access).json(json!({"title": "Talk", "clientId": cid})).send().await;
    let path = w(&ws, &format!("/posts/{}/comments", post.data()["id"].as_str().unwrap()));
    let mut bodies = Vec::new();
    for i in 0..7 {
        let body = format!("comment {i}");
        let visibility = if i % 2 == 0 { "client" } else { "internal" };
        let r =
            api.post(&path).bearer(&owner.access).json(json!({"body": body, "visibility": visibility})).send().await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        bodies.push(body);
    }
    let text =
        |items: Vec<Value>| -> Vec<String> { items.iter().map(|c| c["body"].as_str().unwrap().to_string()).collect() };
    assert_eq!(text(walk_pages(&api, &owner, &path, 3).await), bodies);
    let shared: Vec<String> = bodies.iter().step_by(2).cloned().collect();
    assert_eq!(text(walk_pages(&api, &client_user, &path, 2).await), shared, "client-visible ones only");
    refuses_bad_paging(&api, &owner, &path).await;
    refuses_bad_paging(&api, &owner, &w(&ws, "/notifications")).await;
}

/// Joins `person` (signed up already) to `ws` with `role`, invited by `inviter`.
async fn join(api: &Api, inviter: &User, ws: &str, person: &User, role: &str) {
    let r = api
        .post(&w(ws, "/invites"))
        .bearer(&inviter.access)
        .json(json!({"email": person.email, "role": role}))
        .send()
        .await;
    assert_eq!(r.status, 201, "invite: {}", String::from_utf8_lossy(&r.body));
    let token = invite_token(api, &person.email).await;
    let r = api.post("/api/v1/invites/accept").bearer(&person.access).json(json!({"token": token})).send().await;
    assert_eq!(r.status, 200, "accept: {}", String::from_utf8_lossy(&r.body));
}

/// `author` mentions `person` `times` times on a new post of `ws`.
async fn mention(api: &Api, author: &User, ws: &str, person: &User, times: usize) {
    let post = api.post(&w(ws, "/posts")).bearer(&author.access).json(json!({"title": "Inbox"})).send().await.data();
    let path = w(ws, &format!("/posts/{}/comments", post["id"].as_str().unwrap()));
    for i in 0..times {
        let r =
            api.post(&path).bearer(&author.access).json(json!({"body": format!("@you {i}"), "mentions": [person.id]}));
        assert_eq!(r.send().await.status, 201);
    }
}

#[tokio::test]
async fn one_list_holds_a_persons_notifications_of_every_workspace_they_are_in() {
    let api = Api::new();
    let a_owner = signup(&api, "inbox-a").await;
    let ws_a = create_workspace(&api, &a_owner, "Inbox A").await;
    let person = add_member(&api, &a_owner, &ws_a, "editor").await;
    let b_owner = signup(&api, "inbox-b").await;
    let ws_b = create_workspace(&api, &b_owner, "Inbox B").await;
    join(&api, &b_owner, &ws_b, &person, "writer").await;
    let ws_c = create_workspace(&api, &b_owner, "Inbox C").await;
    join(&api, &b_owner, &ws_c, &person, "writer").await;
    // More than one largest page (and than D1's 100 bound parameters), from two workspaces.
    mention(&api, &a_owner, &ws_a, &person, 60).await;
    mention(&api, &b_owner, &ws_b, &person, 45).await;
    // C's are the person's only while they are a member of C.
    mention(&api, &b_owner, &ws_c, &person, 2).await;
    let r = api.delete(&w(&ws_c, &format!("/members/{}", person.id))).bearer(&b_owner.access).send().await;
    assert_eq!(r.data()["removed"], true);

    let inbox = "/api/v1/users/me/notifications";
    let all = walk_pages(&api, &person, inbox, 100).await;
    assert_eq!(all.len(), 105);
    let ids: Vec<&str> = all.iter().map(|n| n["id"].as_str().unwrap()).collect();
    let mut newest_first = ids.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first);
    assert_eq!(all[0]["body"], "@you 44", "the newest first");
    for (ws, name, count) in [(&ws_a, "Inbox A", 60), (&ws_b, "Inbox B", 45)] {
        let of = all.iter().filter(|n| n["workspaceId"] == ws.as_str()).collect::<Vec<_>>();
        assert_eq!(of.len(), count);
        assert!(of.iter().all(|n| n["workspaceName"] == name && n["kind"] == "comment.mention" && n["read"] == false));
    }
    let head = api.get(&format!("{inbox}?limit=1")).bearer(&person.access).send().await.data();
    assert_eq!(head["unread"], 105);
    assert_eq!(
        head["workspaces"],
        json!([{"workspaceId": ws_a, "workspaceName": "Inbox A", "unread": 60},
               {"workspaceId": ws_b, "workspaceName": "Inbox B", "unread": 45}])
    );
    // Nobody else's: the owners were mentioned by no one.
    for owner in [&a_owner, &b_owner] {
        let theirs = api.get(inbox).bearer(&owner.access).send().await.data();
        assert_eq!((theirs["items"].as_array().unwrap().len(), &theirs["unread"]), (0, &json!(0)));
    }

    // One read in its workspace is read in the list too.
    let first_of_a = all.iter().find(|n| n["workspaceId"] == ws_a.as_str()).unwrap()["id"].as_str().unwrap();
    let r = api.post(&w(&ws_a, &format!("/notifications/{first_of_a}/read"))).bearer(&person.access).send().await;
    assert_eq!(r.data()["marked"], 1);
    let unread = walk_pages(&api, &person, &format!("{inbox}?unread=true"), 100).await;
    assert_eq!(unread.len(), 104);
    assert!(unread.iter().all(|n| n["read"] == false && n["id"] != first_of_a));
    let head = api.get(&format!("{inbox}?limit=1")).bearer(&person.access).send().await.data();
    assert_eq!((&head["unread"], &head["workspaces"][0]["unread"]), (&json!(104), &json!(59)));

    // Read all: every workspace they are in, not the one they left.
    let r = api.post(&format!("{inbox}/read-all")).bearer(&person.access).send().await;
    assert_eq!(r.data()["marked"], 104);
    let head = api.get(inbox).bearer(&person.access).send().await.data();
    assert_eq!((&head["unread"], &head["workspaces"]), (&json!(0), &json!([])));
    assert_eq!(head["items"].as_array().unwrap().len(), 50, "the default page");
    join(&api, &b_owner, &ws_c, &person, "writer").await;
    let back = api.get(&format!("{inbox}?unread=true")).bearer(&person.access).send().await.data();
    assert_eq!(back["unread"], 2, "the workspace they left kept its own: {back}");
    assert!(back["items"].as_array().unwrap().iter().all(|n| n["workspaceId"] == ws_c.as_str()));

    // An archived workspace's are no one's to read any more.
    mention(&api, &b_owner, &ws_b, &person, 1).await;
    assert_eq!(api.get(&format!("{inbox}?unread=true")).bearer(&person.access).send().await.data()["unread"], 3);
    assert_eq!(api.delete(&format!("/api/v1/workspaces/{ws_b}")).bearer(&b_owner.access).send().await.status, 200);
    let left = api.get(&format!("{inbox}?unread=true")).bearer(&person.access).send().await.data();
    assert_eq!((&left["unread"], left["items"].as_array().unwrap().len()), (&json!(2), 2), "{left}");
    let all = walk_pages(&api, &person, inbox, 100).await;
    assert!(all.iter().all(|n| n["workspaceId"] != ws_b.as_str()));

    refuses_bad_paging(&api, &person, inbox).await;
    api.get(inbox).send().await.expect_error(401, "UNAUTHORIZED");
    api.post(&format!("{inbox}/read-all")).send().await.expect_error(401, "UNAUTHORIZED");
}
