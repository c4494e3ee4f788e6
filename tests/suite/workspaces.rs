//! Workspaces, members, roles, invitations, and the wall between tenants.

use herald_tests::*;
use serde_json::json;

fn ws_path(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn role_of(api: &Api, owner: &User, ws: &str, user_id: &str) -> Option<String> {
    let members = api.get(&ws_path(ws, "/members")).bearer(&owner.access).send().await.data()["items"].clone();
    members.as_array().unwrap().iter().find(|m| m["userId"] == user_id).map(|m| m["role"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn creator_owns_and_lists_the_workspace() {
    let api = Api::new();
    let owner = signup(&api, "creator").await;
    let r = api
        .post("/api/v1/workspaces")
        .bearer(&owner.access)
        .json(json!({"name": "Acme Agency", "timezone": "Europe/Paris", "branding": {"primaryColor": "#ff0066"}}))
        .send()
        .await;
    assert_eq!(r.status, 201);
    let ws = r.data();
    assert_eq!(
        (ws["role"].as_str(), ws["status"].as_str(), ws["timezone"].as_str()),
        (Some("owner"), Some("active"), Some("Europe/Paris"))
    );
    let list = api.get("/api/v1/workspaces").bearer(&owner.access).send().await.data();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], ws["id"]);
    assert_eq!(list[0]["branding"]["primaryColor"], "#ff0066");
}

#[tokio::test]
async fn workspace_input_is_validated() {
    let api = Api::new();
    let owner = signup(&api, "wsval").await;
    let r = api
        .post("/api/v1/workspaces")
        .bearer(&owner.access)
        .json(json!({"name": "", "timezone": "GMT+2", "settings": [1]}))
        .send()
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["name", "settings", "timezone"]);
}

#[tokio::test]
async fn another_tenant_gets_404_and_changes_nothing() {
    let api = Api::new();
    let owner = signup(&api, "tenant-a").await;
    let stranger = signup(&api, "tenant-b").await;
    let ws = create_workspace(&api, &owner, "Tenant A").await;
    let _their_own = create_workspace(&api, &stranger, "Tenant B").await;

    api.get(&ws_path(&ws, "")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    api.patch(&ws_path(&ws, ""))
        .bearer(&stranger.access)
        .json(json!({"name": "Pwned"}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.delete(&ws_path(&ws, "")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    api.get(&ws_path(&ws, "/members")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    api.post(&ws_path(&ws, "/invites"))
        .bearer(&stranger.access)
        .json(json!({"email": stranger.email, "role": "owner"}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.patch(&ws_path(&ws, &format!("/members/{}", owner.id)))
        .bearer(&stranger.access)
        .json(json!({"role": "viewer"}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.delete(&ws_path(&ws, &format!("/members/{}", owner.id)))
        .bearer(&stranger.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    // A made-up id answers the same as someone else's: nothing is revealed.
    api.get(&ws_path("0190aaaa-0000-7000-8000-000000000000", ""))
        .bearer(&stranger.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");

    let ws_now = api.get(&ws_path(&ws, "")).bearer(&owner.access).send().await.data();
    assert_eq!(ws_now["name"], "Tenant A");
    assert_eq!(ws_now["status"], "active");
    assert_eq!(role_of(&api, &owner, &ws, &owner.id).await.as_deref(), Some("owner"));
    let members = api.get(&ws_path(&ws, "/members")).bearer(&owner.access).send().await.data()["items"].clone();
    assert_eq!(members.as_array().unwrap().len(), 1, "the stranger did not get in");
    let theirs = api.get("/api/v1/workspaces").bearer(&stranger.access).send().await.data();
    assert!(theirs.as_array().unwrap().iter().all(|w| w["id"] != ws.as_str()));
}

#[tokio::test]
async fn invitation_is_mailed_accepted_once_and_for_its_address_only() {
    let api = Api::new();
    let owner = signup(&api, "inviter").await;
    let ws = create_workspace(&api, &owner, "Invites").await;
    let invitee = signup(&api, "invitee").await;
    let outsider = signup(&api, "outsider").await;
    let r = api
        .post(&ws_path(&ws, "/invites"))
        .bearer(&owner.access)
        .json(json!({"email": invitee.email, "role": "editor"}))
        .send()
        .await;
    assert_eq!(r.status, 201);
    let invite = r.json();
    assert!(!invite.to_string().contains("token"), "the token travels only by mail: {invite}");
    let token = invite_token(&api, &invitee.email).await;

    let accept = |user: &User| api.post("/api/v1/invites/accept").bearer(&user.access).json(json!({"token": token}));
    accept(&outsider).send().await.expect_error(403, "FORBIDDEN");
    let r = accept(&invitee).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data()["role"], "editor");
    accept(&invitee).send().await.expect_error(409, "CONFLICT");
    assert_eq!(role_of(&api, &owner, &ws, &invitee.id).await.as_deref(), Some("editor"));
    assert_eq!(role_of(&api, &owner, &ws, &outsider.id).await, None);
    // The mail named who invited and to what.
    let sent = mailbox(&api, &invitee.email).await;
    assert!(sent.iter().any(|m| m["subject"] == "inviter invited you to Invites on Herald"), "{sent:?}");

    api.post("/api/v1/invites/accept")
        .bearer(&outsider.access)
        .json(json!({"token": "forged-token"}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.post("/api/v1/invites/accept").bearer(&outsider.access).json(json!({"token": ""})).send().await.fields();
    let again = api
        .post(&ws_path(&ws, "/invites"))
        .bearer(&owner.access)
        .json(json!({"email": invitee.email, "role": "viewer"}))
        .send()
        .await;
    let refused = again.expect_error(409, "CONFLICT");
    assert!(refused["error"].as_str().is_some_and(|m| m.contains("already a member")), "{refused}");
}

#[tokio::test]
async fn only_owners_and_admins_invite_and_never_above_themselves() {
    let api = Api::new();
    let owner = signup(&api, "boss").await;
    let ws = create_workspace(&api, &owner, "Ranks").await;
    let admin = add_member(&api, &owner, &ws, "admin").await;
    let invite = |by: &User, role: &str| {
        api.post(&ws_path(&ws, "/invites")).bearer(&by.access).json(json!({"email": unique_email("new"), "role": role}))
    };
    assert_eq!(invite(&admin, "admin").send().await.status, 201);
    invite(&admin, "owner").send().await.expect_error(403, "FORBIDDEN");
    assert_eq!(invite(&owner, "owner").send().await.status, 201);
    for role in ["editor", "writer", "viewer", "client"] {
        let member = add_member(&api, &owner, &ws, role).await;
        invite(&member, "viewer").send().await.expect_error(403, "FORBIDDEN");
    }
    assert_eq!(invite(&owner, "superuser").send().await.fields(), ["role"]);
}

#[tokio::test]
async fn workspace_settings_follow_the_permission_table() {
    let api = Api::new();
    let owner = signup(&api, "table").await;
    let ws = create_workspace(&api, &owner, "Table").await;
    for role in ["admin", "editor", "writer", "viewer", "client"] {
        let member = add_member(&api, &owner, &ws, role).await;
        let read = api.get(&ws_path(&ws, "")).bearer(&member.access).send().await;
        assert_eq!(read.status, 200, "{role} reads the workspace");
        let update =
            api.patch(&ws_path(&ws, "")).bearer(&member.access).json(json!({"settings": {"by": role}})).send().await;
        let members = api.get(&ws_path(&ws, "/members")).bearer(&member.access).send().await;
        let archive = api.delete(&ws_path(&ws, "")).bearer(&member.access).send().await;
        archive.expect_error(403, "FORBIDDEN");
        if role == "admin" {
            assert_eq!(update.data()["settings"]["by"], "admin");
        } else {
            update.expect_error(403, "FORBIDDEN");
        }
        if role == "client" {
            members.expect_error(403, "FORBIDDEN");
        } else {
            assert_eq!(members.status, 200, "{role} lists members");
        }
    }
    let ws_now = api.get(&ws_path(&ws, "")).bearer(&owner.access).send().await.data();
    assert_eq!(ws_now["settings"], json!({"by": "admin"}), "refused updates changed nothing");
}

#[tokio::test]
async fn roles_change_only_downward_from_the_actor() {
    let api = Api::new();
    let owner = signup(&api, "roles").await;
    let ws = create_workspace(&api, &owner, "Roles").await;
    let admin = add_member(&api, &owner, &ws, "admin").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let set = |by: &User, who: &User, role: &str| {
        api.patch(&ws_path(&ws, &format!("/members/{}", who.id))).bearer(&by.access).json(json!({"role": role}))
    };
    assert_eq!(set(&admin, &writer, "editor").send().await.data()["role"], "editor");
    set(&admin, &writer, "owner").send().await.expect_error(403, "FORBIDDEN");
    set(&admin, &owner, "viewer").send().await.expect_error(403, "FORBIDDEN");
    set(&editor, &writer, "viewer").send().await.expect_error(403, "FORBIDDEN");
    set(&editor, &editor, "admin").send().await.expect_error(403, "FORBIDDEN");
    assert_eq!(set(&owner, &admin, "owner").send().await.data()["role"], "owner");
    assert_eq!(set(&owner, &editor, "bogus").send().await.fields(), ["role"]);
    assert_eq!(role_of(&api, &owner, &ws, &owner.id).await.as_deref(), Some("owner"));
    assert_eq!(role_of(&api, &owner, &ws, &writer.id).await.as_deref(), Some("editor"));
    assert_eq!(role_of(&api, &owner, &ws, &editor.id).await.as_deref(), Some("editor"));
}

#[tokio::test]
async fn the_last_owner_can_neither_leave_nor_be_demoted() {
    let api = Api::new();
    let owner = signup(&api, "last").await;
    let ws = create_workspace(&api, &owner, "Last owner").await;
    let me = ws_path(&ws, &format!("/members/{}", owner.id));
    api.patch(&me).bearer(&owner.access).json(json!({"role": "admin"})).send().await.expect_error(409, "CONFLICT");
    api.delete(&me).bearer(&owner.access).send().await.expect_error(409, "CONFLICT");
    assert_eq!(role_of(&api, &owner, &ws, &owner.id).await.as_deref(), Some("owner"));

    // With a second owner, the first may step down and the second may not then leave.
    let second = add_member(&api, &owner, &ws, "owner").await;
    assert_eq!(
        api.patch(&me).bearer(&owner.access).json(json!({"role": "admin"})).send().await.data()["role"],
        "admin"
    );
    let theirs = ws_path(&ws, &format!("/members/{}", second.id));
    api.delete(&theirs).bearer(&second.access).send().await.expect_error(409, "CONFLICT");
    api.delete(&theirs).bearer(&owner.access).send().await.expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn members_leave_and_managers_remove_those_below() {
    let api = Api::new();
    let owner = signup(&api, "removals").await;
    let ws = create_workspace(&api, &owner, "Removals").await;
    let admin = add_member(&api, &owner, &ws, "admin").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let client = add_member(&api, &owner, &ws, "client").await;
    let remove = |by: &User, who: &User| api.delete(&ws_path(&ws, &format!("/members/{}", who.id))).bearer(&by.access);

    remove(&editor, &writer).send().await.expect_error(403, "FORBIDDEN");
    remove(&admin, &owner).send().await.expect_error(403, "FORBIDDEN");
    assert_eq!(remove(&admin, &writer).send().await.status, 200);
    assert_eq!(remove(&client, &client).send().await.status, 200, "anyone may leave");
    assert_eq!(remove(&editor, &editor).send().await.status, 200);
    api.get(&ws_path(&ws, "")).bearer(&editor.access).send().await.expect_error(404, "NOT_FOUND");
    let left: Vec<String> = api.get(&ws_path(&ws, "/members")).bearer(&owner.access).send().await.data()["items"]
        .clone()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&owner.id) && left.contains(&admin.id));
    remove(&owner, &writer).send().await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn archiving_is_for_owners_and_hides_the_workspace() {
    let api = Api::new();
    let owner = signup(&api, "archiver").await;
    let ws = create_workspace(&api, &owner, "To archive").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let r = api.delete(&ws_path(&ws, "")).bearer(&owner.access).send().await;
    assert_eq!(r.data()["status"], "archived");
    for user in [&owner, &editor] {
        api.get(&ws_path(&ws, "")).bearer(&user.access).send().await.expect_error(404, "NOT_FOUND");
        let list = api.get("/api/v1/workspaces").bearer(&user.access).send().await.data();
        assert!(list.as_array().unwrap().iter().all(|w| w["id"] != ws.as_str()));
    }
}

#[tokio::test]
async fn workspace_updates_merge_branding() {
    let api = Api::new();
    let owner = signup(&api, "brand").await;
    let ws = create_workspace(&api, &owner, "Brand").await;
    let r = api
        .patch(&ws_path(&ws, ""))
        .bearer(&owner.access)
        .json(json!({"name": "Brand Co", "branding": {"logoUrl": "https://cdn.example/logo.png", "color": "#000"}}))
        .send()
        .await;
    assert_eq!(r.data()["name"], "Brand Co");
    let r = api.patch(&ws_path(&ws, "")).bearer(&owner.access).json(json!({"branding": {"color": null}})).send().await;
    assert_eq!(r.data()["branding"], json!({"logoUrl": "https://cdn.example/logo.png"}));
}

#[tokio::test]
async fn workspace_and_member_changes_are_in_the_activity_log() {
    let api = Api::new();
    let owner = signup(&api, "audit-ws").await;
    let ws = create_workspace(&api, &owner, "Audit ws").await;
    let member = add_member(&api, &owner, &ws, "writer").await;
    api.patch(&ws_path(&ws, &format!("/members/{}", member.id)))
        .bearer(&owner.access)
        .json(json!({"role": "editor"}))
        .send()
        .await;
    api.patch(&ws_path(&ws, "")).bearer(&owner.access).json(json!({"name": "Renamed"})).send().await;
    // A refused change leaves no trace.
    api.patch(&ws_path(&ws, &format!("/members/{}", owner.id)))
        .bearer(&owner.access)
        .json(json!({"role": "viewer"}))
        .send()
        .await
        .expect_error(409, "CONFLICT");
    api.delete(&ws_path(&ws, &format!("/members/{}", member.id))).bearer(&member.access).send().await;
    let log = api.get(&ws_path(&ws, "/activity?limit=100")).bearer(&owner.access).send().await.data();
    let mut actions: Vec<&str> =
        log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort();
    assert_eq!(
        actions,
        ["invite.accept", "invite.create", "member.leave", "member.role", "workspace.create", "workspace.update"]
    );
    let created = log["items"].as_array().unwrap().iter().find(|e| e["action"] == "workspace.create").unwrap();
    assert_eq!(
        (created["actorId"].as_str(), created["after"]["name"].as_str()),
        (Some(owner.id.as_str()), Some("Audit ws"))
    );
    let role = log["items"].as_array().unwrap().iter().find(|e| e["action"] == "member.role").unwrap();
    assert_eq!((role["before"]["role"].as_str(), role["after"]["role"].as_str()), (Some("writer"), Some("editor")));
    let rename = log["items"].as_array().unwrap().iter().find(|e| e["action"] == "workspace.update").unwrap();
    assert_eq!(
        (rename["before"]["name"].as_str(), rename["after"]["name"].as_str()),
        (Some("Audit ws"), Some("Renamed"))
    );
}

/// `inviter` invites a fresh account as `role`; answers it with the invitation's token.
async fn invited(api: &Api, inviter: &User, ws: &str, role: &str) -> (User, String) {
    let who = signup(api, "second-address").await;
    let r = api
        .post(&ws_path(ws, "/invites"))
        .bearer(&inviter.access)
        .json(json!({"email": who.email, "role": role}))
        .send()
        .await;
    assert_eq!(r.status, 201, "invite: {}", String::from_utf8_lossy(&r.body));
    let token = invite_token(api, &who.email).await;
    (who, token)
}

#[tokio::test]
async fn removing_or_demoting_an_inviter_withdraws_their_invitations() {
    let api = Api::new();
    let owner = signup(&api, "inviter-gone").await;
    let ws = create_workspace(&api, &owner, "Inviter gone").await;

    // Removed: an admin's invitation of a second address of their own as admin dies with them.
    let admin = add_member(&api, &owner, &ws, "admin").await;
    let (alt, token) = invited(&api, &admin, &ws, "admin").await;
    let r = api.delete(&ws_path(&ws, &format!("/members/{}", admin.id))).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    api.post("/api/v1/invites/accept")
        .bearer(&alt.access)
        .json(json!({"token": token}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(role_of(&api, &owner, &ws, &alt.id).await, None);

    // Demoted to editor, who may not invite: what they sent is withdrawn too.
    let admin = add_member(&api, &owner, &ws, "admin").await;
    let (alt, token) = invited(&api, &admin, &ws, "viewer").await;
    let r = api
        .patch(&ws_path(&ws, &format!("/members/{}", admin.id)))
        .bearer(&owner.access)
        .json(json!({"role": "editor"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    api.post("/api/v1/invites/accept")
        .bearer(&alt.access)
        .json(json!({"token": token}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(role_of(&api, &owner, &ws, &alt.id).await, None);

    // An admin still in place: their invitation holds.
    let admin = add_member(&api, &owner, &ws, "admin").await;
    let (alt, token) = invited(&api, &admin, &ws, "editor").await;
    let r = api.post("/api/v1/invites/accept").bearer(&alt.access).json(json!({"token": token})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(role_of(&api, &owner, &ws, &alt.id).await.as_deref(), Some("editor"));
}

#[tokio::test]
async fn members_page_in_the_order_they_joined() {
    let api = Api::new();
    let owner = signup(&api, "paged-team").await;
    let ws = create_workspace(&api, &owner, "Paged team").await;
    let mut joined = vec![owner.id.clone()];
    for role in ["editor", "writer", "viewer", "client"] {
        joined.push(add_member(&api, &owner, &ws, role).await.id);
    }
    let seen = walk_pages(&api, &owner, &ws_path(&ws, "/members"), 2).await;
    let ids: Vec<&str> = seen.iter().map(|m| m["userId"].as_str().unwrap()).collect();
    assert_eq!(ids, joined, "every member once, in the order they joined");
    refuses_bad_paging(&api, &owner, &ws_path(&ws, "/members")).await;
}

#[tokio::test]
async fn pending_invitations_page_for_those_who_may_invite() {
    let api = Api::new();
    let owner = signup(&api, "paged-invites").await;
    let ws = create_workspace(&api, &owner, "Paged invites").await;
    let mut sent = Vec::new();
    for _ in 0..5 {
        let email = unique_email("invited");
        let r = api
            .post(&ws_path(&ws, "/invites"))
            .bearer(&owner.access)
            .json(json!({"email": email, "role": "viewer"}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        sent.push(email);
    }
    let emails = |items: Vec<serde_json::Value>| -> Vec<String> {
        items.iter().map(|i| i["email"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(emails(walk_pages(&api, &owner, &ws_path(&ws, "/invites"), 2).await), sent);
    // An accepted invitation is no longer pending.
    let guest = signup(&api, "guest").await;
    let r = api
        .post(&ws_path(&ws, "/invites"))
        .bearer(&owner.access)
        .json(json!({"email": guest.email, "role": "editor"}))
        .send()
        .await;
    assert_eq!(r.status, 201);
    let token = invite_token(&api, &guest.email).await;
    api.post("/api/v1/invites/accept").bearer(&guest.access).json(json!({"token": token})).send().await.data();
    assert_eq!(emails(walk_pages(&api, &owner, &ws_path(&ws, "/invites"), 3).await), sent);
    refuses_bad_paging(&api, &owner, &ws_path(&ws, "/invites")).await;
    api.get(&ws_path(&ws, "/invites")).bearer(&guest.access).send().await.expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn a_pending_invitation_can_be_revoked_or_resent_under_a_fresh_token() {
    let api = Api::new();
    let owner = signup(&api, "revoke-invites").await;
    let ws = create_workspace(&api, &owner, "Revoke invites").await;
    let admin = add_member(&api, &owner, &ws, "admin").await;
    let invite = |email: &str, role: &str, by: &User| {
        api.post(&ws_path(&ws, "/invites")).bearer(&by.access).json(json!({"email": email, "role": role})).send()
    };
    // Revoked: the token stops working.
    let guest = signup(&api, "revoked-guest").await;
    let sent = invite(&guest.email, "editor", &owner).await.data();
    let token = invite_token(&api, &guest.email).await;
    let id = sent["id"].as_str().unwrap();
    let revoked = api.delete(&ws_path(&ws, &format!("/invites/{id}"))).bearer(&owner.access).send().await;
    assert_eq!(revoked.data()["email"], guest.email.as_str());
    api.post("/api/v1/invites/accept")
        .bearer(&guest.access)
        .json(json!({"token": token}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.delete(&ws_path(&ws, &format!("/invites/{id}")))
        .bearer(&owner.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    // Resent: a fresh token works, the old one does not.
    let other = signup(&api, "resent-guest").await;
    let sent = invite(&other.email, "writer", &admin).await.data();
    let old = invite_token(&api, &other.email).await;
    let id = sent["id"].as_str().unwrap();
    let resent = api.post(&ws_path(&ws, &format!("/invites/{id}/resend"))).bearer(&owner.access).send().await;
    assert_eq!(resent.status, 200, "{}", String::from_utf8_lossy(&resent.body));
    let fresh = invite_token(&api, &other.email).await;
    assert_ne!(fresh, old);
    api.post("/api/v1/invites/accept")
        .bearer(&other.access)
        .json(json!({"token": old}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.post("/api/v1/invites/accept").bearer(&other.access).json(json!({"token": fresh})).send().await.data();
    // An admin cannot withdraw an invitation of a role it may not grant.
    let boss = signup(&api, "boss-guest").await;
    let sent = invite(&boss.email, "owner", &owner).await.data();
    let id = sent["id"].as_str().unwrap();
    api.delete(&ws_path(&ws, &format!("/invites/{id}")))
        .bearer(&admin.access)
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    // Another workspace's invitation is not here.
    let elsewhere = create_workspace(&api, &owner, "Elsewhere").await;
    api.delete(&format!("/api/v1/workspaces/{elsewhere}/invites/{id}"))
        .bearer(&owner.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
}
