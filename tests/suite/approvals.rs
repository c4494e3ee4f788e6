//! Approval workflows: stages, approvers, any versus all, self-approval, rejection with a
//! comment, reset after an edit, and the history.

use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn draft(api: &Api, author: &User, ws: &str, body: Value) -> String {
    let r = api.post(&w(ws, "/posts")).bearer(&author.access).json(body).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()["id"].as_str().unwrap().to_string()
}

async fn workflow(api: &Api, owner: &User, ws: &str, body: Value) {
    let r = api.request("PUT", &w(ws, "/approval-workflow")).bearer(&owner.access).json(body).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

async fn submit(api: &Api, user: &User, ws: &str, post: &str) -> Resp {
    api.post(&w(ws, &format!("/posts/{post}/submit"))).bearer(&user.access).send().await
}

async fn pending(api: &Api, user: &User, ws: &str, post: &str) -> Value {
    let history =
        api.get(&w(ws, &format!("/posts/{post}/approvals"))).bearer(&user.access).send().await.data()["items"].clone();
    history.as_array().unwrap().iter().find(|r| r["status"] == "pending").cloned().unwrap_or(Value::Null)
}

async fn decide(api: &Api, user: &User, ws: &str, approval: &Value, verb: &str, body: Value) -> Resp {
    let id = approval["id"].as_str().expect("an approval");
    api.post(&w(ws, &format!("/approvals/{id}/{verb}"))).bearer(&user.access).json(body).send().await
}

async fn status(api: &Api, user: &User, ws: &str, post: &str) -> String {
    api.get(&w(ws, &format!("/posts/{post}"))).bearer(&user.access).send().await.data()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn without_a_workflow_submitting_approves() {
    let api = Api::new();
    let owner = signup(&api, "no-flow").await;
    let ws = create_workspace(&api, &owner, "No flow").await;
    let post = draft(&api, &owner, &ws, json!({"title": "Quick"})).await;
    let r = submit(&api, &owner, &ws, &post).await;
    assert_eq!(r.data()["status"], "approved");
    assert!(r.json()["message"].as_str().unwrap().contains("no approval workflow"));
    submit(&api, &owner, &ws, &post).await.expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn an_internal_stage_is_decided_by_its_approvers_and_not_by_the_author() {
    let api = Api::new();
    let owner = signup(&api, "flow-owner").await;
    let ws = create_workspace(&api, &owner, "Flow").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    workflow(&api, &owner, &ws, json!({"stages": "internal", "internal": {"roles": ["editor"], "rule": "any"}})).await;
    let post = draft(&api, &writer, &ws, json!({"title": "Needs review"})).await;
    assert_eq!(submit(&api, &writer, &ws, &post).await.data()["status"], "in_review");
    let queue = api.get(&w(&ws, "/approvals?mine=true")).bearer(&editor.access).send().await.data()["items"].clone();
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let approval = pending(&api, &owner, &ws, &post).await;
    assert_eq!(approval["approvers"], json!([editor.id]));
    decide(&api, &writer, &ws, &approval, "approve", json!({})).await.expect_error(403, "FORBIDDEN");
    decide(&api, &viewer, &ws, &approval, "approve", json!({})).await.expect_error(403, "FORBIDDEN");
    decide(&api, &owner, &ws, &approval, "approve", json!({})).await.expect_error(403, "FORBIDDEN");
    assert_eq!(status(&api, &owner, &ws, &post).await, "in_review", "refused votes change nothing");
    let r = decide(&api, &editor, &ws, &approval, "approve", json!({"comment": "Looks good"})).await;
    assert_eq!(r.data()["status"], "approved");
    assert_eq!(status(&api, &owner, &ws, &post).await, "approved");
    decide(&api, &editor, &ws, &approval, "approve", json!({})).await.expect_error(409, "CONFLICT");
    let history = api.get(&w(&ws, &format!("/posts/{post}/approvals"))).bearer(&viewer.access).send().await.data()
        ["items"]
        .clone();
    let vote = &history[0]["votes"][0];
    assert_eq!(
        (vote["userId"].as_str(), vote["decision"].as_str(), vote["comment"].as_str()),
        (Some(editor.id.as_str()), Some("approve"), Some("Looks good"))
    );
}

#[tokio::test]
async fn all_means_every_named_approver() {
    let api = Api::new();
    let owner = signup(&api, "all-owner").await;
    let ws = create_workspace(&api, &owner, "All").await;
    let a = add_member(&api, &owner, &ws, "editor").await;
    let b = add_member(&api, &owner, &ws, "viewer").await;
    workflow(&api, &owner, &ws, json!({"stages": "internal", "internal": {"userIds": [a.id, b.id], "rule": "all"}}))
        .await;
    let post = draft(&api, &owner, &ws, json!({"title": "Both must agree"})).await;
    submit(&api, &owner, &ws, &post).await;
    let approval = pending(&api, &owner, &ws, &post).await;
    let r = decide(&api, &a, &ws, &approval, "approve", json!({})).await;
    assert_eq!(r.data()["status"], "pending");
    assert_eq!(status(&api, &owner, &ws, &post).await, "in_review");
    assert_eq!(decide(&api, &b, &ws, &approval, "approve", json!({})).await.data()["status"], "approved");
    assert_eq!(status(&api, &owner, &ws, &post).await, "approved");
}

#[tokio::test]
async fn a_rejection_needs_a_comment_and_sends_the_post_back_to_draft() {
    let api = Api::new();
    let owner = signup(&api, "rej-owner").await;
    let ws = create_workspace(&api, &owner, "Reject").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    workflow(&api, &owner, &ws, json!({"stages": "internal"})).await;
    let post = draft(&api, &writer, &ws, json!({"title": "Rough"})).await;
    submit(&api, &writer, &ws, &post).await;
    let approval = pending(&api, &owner, &ws, &post).await;
    assert_eq!(decide(&api, &owner, &ws, &approval, "reject", json!({})).await.fields(), ["comment"]);
    let r = decide(&api, &owner, &ws, &approval, "reject", json!({"comment": "Shorter, please"})).await;
    assert_eq!(r.data()["status"], "rejected");
    assert_eq!(status(&api, &writer, &ws, &post).await, "draft");
    let history = api.get(&w(&ws, &format!("/posts/{post}/approvals"))).bearer(&writer.access).send().await.data()
        ["items"]
        .clone();
    assert_eq!(history[0]["votes"][0]["comment"], "Shorter, please");
    // Resubmitted, it starts a new review.
    assert_eq!(submit(&api, &writer, &ws, &post).await.data()["status"], "in_review");
}

#[tokio::test]
async fn the_client_stage_follows_the_internal_one() {
    let api = Api::new();
    let owner = signup(&api, "client-flow").await;
    let ws = create_workspace(&api, &owner, "Agency").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let client_user = add_member(&api, &owner, &ws, "client").await;
    let client = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Acme"})).send().await.data();
    let cid = client["id"].as_str().unwrap();
    api.post(&w(&ws, &format!("/clients/{cid}/members")))
        .bearer(&owner.access)
        .json(json!({"userId": client_user.id}))
        .send()
        .await;
    workflow(&api, &owner, &ws, json!({"stages": "internal_then_client"})).await;
    let post = draft(&api, &editor, &ws, json!({"title": "For Acme", "clientId": cid})).await;
    submit(&api, &editor, &ws, &post).await;
    let internal = pending(&api, &owner, &ws, &post).await;
    assert_eq!(internal["stage"], "internal");
    decide(&api, &client_user, &ws, &internal, "approve", json!({})).await.expect_error(403, "FORBIDDEN");
    decide(&api, &owner, &ws, &internal, "approve", json!({})).await;
    let client_stage = pending(&api, &owner, &ws, &post).await;
    assert_eq!(
        (client_stage["stage"].as_str(), client_stage["approvers"].clone()),
        (Some("client"), json!([client_user.id]))
    );
    assert_eq!(status(&api, &owner, &ws, &post).await, "in_review");
    decide(&api, &editor, &ws, &client_stage, "approve", json!({})).await.expect_error(403, "FORBIDDEN");
    let queue =
        api.get(&w(&ws, "/approvals?mine=true")).bearer(&client_user.access).send().await.data()["items"].clone();
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(decide(&api, &client_user, &ws, &client_stage, "approve", json!({})).await.data()["status"], "approved");
    assert_eq!(status(&api, &owner, &ws, &post).await, "approved");
    // A post without a client has no client to ask: the internal stage is enough.
    let internal_only = draft(&api, &editor, &ws, json!({"title": "In-house"})).await;
    submit(&api, &editor, &ws, &internal_only).await;
    decide(&api, &owner, &ws, &pending(&api, &owner, &ws, &internal_only).await, "approve", json!({})).await;
    assert_eq!(status(&api, &owner, &ws, &internal_only).await, "approved");
}

#[tokio::test]
async fn an_edit_after_approval_sends_the_post_back_to_review_and_says_so() {
    let api = Api::new();
    let owner = signup(&api, "reset-owner").await;
    let ws = create_workspace(&api, &owner, "Reset").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let a = add_member(&api, &owner, &ws, "editor").await;
    let b = add_member(&api, &owner, &ws, "editor").await;
    workflow(&api, &owner, &ws, json!({"stages": "internal", "internal": {"userIds": [a.id, b.id], "rule": "all"}}))
        .await;
    let post = draft(&api, &writer, &ws, json!({"title": "Версия 1", "body": "first"})).await;
    submit(&api, &writer, &ws, &post).await;
    let first = pending(&api, &owner, &ws, &post).await;
    decide(&api, &a, &ws, &first, "approve", json!({})).await;
    // An edit during review: the vote already cast no longer counts.
    let r = api
        .patch(&w(&ws, &format!("/posts/{post}")))
        .bearer(&writer.access)
        .json(json!({"body": "second"}))
        .send()
        .await;
    assert!(r.json()["message"].as_str().unwrap().contains("start again"));
    let second = pending(&api, &owner, &ws, &post).await;
    assert_ne!(second["id"], first["id"]);
    assert!(second["votes"].as_array().unwrap().is_empty());
    decide(&api, &b, &ws, &first, "approve", json!({})).await.expect_error(409, "CONFLICT");
    decide(&api, &a, &ws, &second, "approve", json!({})).await;
    decide(&api, &b, &ws, &second, "approve", json!({})).await;
    assert_eq!(status(&api, &owner, &ws, &post).await, "approved");
    // After approval, an edit sends it back to review.
    let r = api
        .patch(&w(&ws, &format!("/posts/{post}")))
        .bearer(&writer.access)
        .json(json!({"body": "third"}))
        .send()
        .await;
    assert_eq!(r.data()["status"], "in_review");
    assert!(r.json()["message"].as_str().unwrap().contains("sent it back"), "{}", r.json());
    let third = pending(&api, &owner, &ws, &post).await;
    assert_eq!(third["postVersion"], 3);
    let history = api.get(&w(&ws, &format!("/posts/{post}/approvals"))).bearer(&owner.access).send().await.data()
        ["items"]
        .clone();
    let statuses: Vec<&str> = history.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pending", "approved", "cancelled"]);
}

#[tokio::test]
async fn self_approval_only_where_the_workflow_allows_it() {
    let api = Api::new();
    let owner = signup(&api, "self").await;
    let ws = create_workspace(&api, &owner, "Self").await;
    workflow(&api, &owner, &ws, json!({"stages": "internal", "internal": {"roles": ["owner"]}})).await;
    let post = draft(&api, &owner, &ws, json!({"title": "Mine"})).await;
    submit(&api, &owner, &ws, &post).await.expect_error(409, "CONFLICT");
    workflow(
        &api,
        &owner,
        &ws,
        json!({"stages": "internal", "internal": {"roles": ["owner"]}, "allowSelfApproval": true}),
    )
    .await;
    submit(&api, &owner, &ws, &post).await;
    decide(&api, &owner, &ws, &pending(&api, &owner, &ws, &post).await, "approve", json!({})).await;
    assert_eq!(status(&api, &owner, &ws, &post).await, "approved");
}

#[tokio::test]
async fn workflows_are_validated_and_kept_by_owners_and_admins() {
    let api = Api::new();
    let owner = signup(&api, "wf-val").await;
    let ws = create_workspace(&api, &owner, "Validate").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let r = api
        .request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "internal", "internal": {"roles": ["client"], "userIds": ["nobody"]}}))
        .send()
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["internal.roles", "internal.userIds[0]"]);
    let r = api
        .request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "sometimes"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["stages"]);
    api.request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&writer.access)
        .json(json!({"stages": "none"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    let current = api.get(&w(&ws, "/approval-workflow")).bearer(&writer.access).send().await.data();
    assert_eq!((current["stages"].as_str(), current["configured"].as_bool()), (Some("none"), Some(false)));
    // A client's own workflow overrides the workspace's for its posts.
    let client =
        api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Strict"})).send().await.data();
    let cid = client["id"].as_str().unwrap();
    let r = api
        .request("PUT", &w(&ws, &format!("/clients/{cid}/approval-workflow")))
        .bearer(&owner.access)
        .json(json!({"stages": "internal"}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let free = draft(&api, &writer, &ws, json!({"title": "Free"})).await;
    let strict = draft(&api, &writer, &ws, json!({"title": "Strict", "clientId": cid})).await;
    assert_eq!(submit(&api, &writer, &ws, &free).await.data()["status"], "approved");
    assert_eq!(submit(&api, &writer, &ws, &strict).await.data()["status"], "in_review");
}

/// A workspace with one member of every role, a client "Acme" with its Client member, and the
/// given stages (default approvers: owners, admins and editors inside; Acme's Client members
/// for the client stage). Answers (api, ws, client id, members by role name).
async fn every_role(label: &str, stages: &str) -> (Api, String, String, Vec<(&'static str, User)>) {
    let api = Api::new();
    let owner = signup(&api, label).await;
    let ws = create_workspace(&api, &owner, label).await;
    let client = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Acme"})).send().await.data();
    let cid = client["id"].as_str().unwrap().to_string();
    let mut members = vec![("owner", owner)];
    for role in ["admin", "editor", "writer", "viewer", "client"] {
        let user = add_member(&api, &members[0].1, &ws, role).await;
        members.push((role, user));
    }
    let client_user = &members[5].1;
    let r = api
        .post(&w(&ws, &format!("/clients/{cid}/members")))
        .bearer(&members[0].1.access)
        .json(json!({"userId": client_user.id}))
        .send()
        .await;
    assert!(r.status < 300, "{}", String::from_utf8_lossy(&r.body));
    workflow(&api, &members[0].1, &ws, json!({"stages": stages})).await;
    (api, ws, cid, members)
}

/// Every transition, legal and illegal, for every role under each stage configuration: who
/// may submit, who may approve or reject at each stage (one fresh post per allowed role and
/// verb, after every refused role tried the same request and changed nothing), and what a
/// decision on a closed request, a resubmission, or a rejection without a comment answer.
#[tokio::test]
async fn every_transition_for_each_role_and_stage_configuration() {
    const ROLES: [&str; 6] = ["owner", "admin", "editor", "writer", "viewer", "client"];
    const SUBMITTERS: [&str; 4] = ["owner", "admin", "editor", "writer"];
    const INTERNAL: [&str; 3] = ["owner", "admin", "editor"];
    for stages in ["none", "internal", "internal_then_client"] {
        let (api, ws, cid, members) = every_role(&format!("matrix-{stages}"), stages).await;
        let user = |role: &str| &members.iter().find(|(r, _)| *r == role).unwrap().1;
        let writer = user("writer");
        let owner = user("owner");
        let new_post =
            || async { draft(&api, writer, &ws, json!({"title": format!("{stages} post"), "clientId": cid})).await };

        // Submitting: writers and above; a viewer or a client member cannot.
        for role in ROLES {
            let post = new_post().await;
            let r = submit(&api, user(role), &ws, &post).await;
            if SUBMITTERS.contains(&role) {
                let want = if stages == "none" { "approved" } else { "in_review" };
                assert_eq!(r.data()["status"], want, "{stages}: {role} submits");
                submit(&api, user(role), &ws, &post).await.expect_error(409, "CONFLICT");
            } else {
                r.expect_error(403, "FORBIDDEN");
                assert_eq!(status(&api, owner, &ws, &post).await, "draft", "{stages}: {role} changed nothing");
            }
        }
        if stages == "none" {
            // No request was ever opened: nothing waits for anyone.
            let queue =
                api.get(&w(&ws, "/approvals?mine=true")).bearer(&owner.access).send().await.data()["items"].clone();
            assert_eq!(queue.as_array().unwrap().len(), 0, "{stages}");
            continue;
        }

        // The internal stage: owners, admins and editors decide; the writer (the author), a
        // viewer and the client member are refused.
        for verb in ["approve", "reject"] {
            for decider in INTERNAL {
                let post = new_post().await;
                submit(&api, writer, &ws, &post).await;
                let request = pending(&api, owner, &ws, &post).await;
                assert_eq!(request["stage"], "internal", "{stages}");
                for refused in ROLES.iter().filter(|r| !INTERNAL.contains(r)) {
                    let r = decide(&api, user(refused), &ws, &request, verb, json!({"comment": "no"})).await;
                    r.expect_error(403, "FORBIDDEN");
                }
                assert_eq!(status(&api, owner, &ws, &post).await, "in_review", "{stages}: refusals change nothing");
                if verb == "reject" {
                    let r = decide(&api, user(decider), &ws, &request, verb, json!({})).await;
                    assert_eq!(r.fields(), ["comment"], "{stages}: a rejection says why");
                }
                let r = decide(&api, user(decider), &ws, &request, verb, json!({"comment": "decided"})).await;
                assert_eq!(r.status, 200, "{stages}: {decider} {verb}s: {}", String::from_utf8_lossy(&r.body));
                let want = match (verb, stages) {
                    ("reject", _) => "draft",
                    (_, "internal") => "approved",
                    _ => "in_review",
                };
                assert_eq!(status(&api, owner, &ws, &post).await, want, "{stages}: {decider} {verb}s");
                // The request is closed: deciding it again, either way, is a conflict.
                for again in ["approve", "reject"] {
                    let r = decide(&api, user(decider), &ws, &request, again, json!({"comment": "again"})).await;
                    r.expect_error(409, "CONFLICT");
                }
                if want == "draft" {
                    // A rejected post is resubmitted as a new request.
                    assert_eq!(submit(&api, writer, &ws, &post).await.data()["status"], "in_review");
                } else if want == "approved" {
                    submit(&api, writer, &ws, &post).await.expect_error(409, "CONFLICT");
                }
            }
        }
        if stages != "internal_then_client" {
            continue;
        }

        // The client stage: only the client's Client member decides; the team cannot.
        for verb in ["approve", "reject"] {
            let post = new_post().await;
            submit(&api, writer, &ws, &post).await;
            decide(&api, owner, &ws, &pending(&api, owner, &ws, &post).await, "approve", json!({})).await;
            let request = pending(&api, owner, &ws, &post).await;
            assert_eq!(request["stage"], "client", "{stages}");
            for refused in ROLES.iter().filter(|r| **r != "client") {
                let r = decide(&api, user(refused), &ws, &request, verb, json!({"comment": "no"})).await;
                r.expect_error(403, "FORBIDDEN");
            }
            assert_eq!(status(&api, owner, &ws, &post).await, "in_review");
            let r = decide(&api, user("client"), &ws, &request, verb, json!({"comment": "client says"})).await;
            assert_eq!(r.status, 200, "client {verb}s: {}", String::from_utf8_lossy(&r.body));
            let want = if verb == "approve" { "approved" } else { "draft" };
            assert_eq!(status(&api, owner, &ws, &post).await, want, "client {verb}s");
            decide(&api, user("client"), &ws, &request, verb, json!({"comment": "x"}))
                .await
                .expect_error(409, "CONFLICT");
            // The history has both stages, in order, with who decided.
            let history = api.get(&w(&ws, &format!("/posts/{post}/approvals"))).bearer(&owner.access).send().await;
            let history = history.data()["items"].clone();
            let stages_seen: Vec<&str> =
                history.as_array().unwrap().iter().map(|r| r["stage"].as_str().unwrap()).collect();
            assert!(stages_seen.contains(&"internal") && stages_seen.contains(&"client"), "{history}");
        }
    }
}

/// A workspace with a client "Acme" whose own workflow is internal then client; the workspace
/// itself has none.
async fn client_with_workflow(api: &Api, owner: &User, ws: &str) -> String {
    let client = api.post(&w(ws, "/clients")).bearer(&owner.access).json(json!({"name": "Acme"})).send().await.data();
    let cid = client["id"].as_str().unwrap().to_string();
    let r = api
        .request("PUT", &w(ws, &format!("/clients/{cid}/approval-workflow")))
        .bearer(&owner.access)
        .json(json!({"stages": "internal_then_client"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    cid
}

#[tokio::test]
async fn moving_an_approved_post_to_a_client_with_a_workflow_sends_it_back_to_review() {
    let api = Api::new();
    let owner = signup(&api, "relink").await;
    let ws = create_workspace(&api, &owner, "Relink").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let cid = client_with_workflow(&api, &owner, &ws).await;
    let post = draft(&api, &writer, &ws, json!({"title": "No client yet"})).await;
    assert_eq!(submit(&api, &writer, &ws, &post).await.data()["status"], "approved", "no workspace workflow");

    let r = api
        .patch(&w(&ws, &format!("/posts/{post}")))
        .bearer(&writer.access)
        .json(json!({"clientId": cid}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["status"], "in_review", "the client's workflow now applies: {}", r.json());
    assert_eq!(r.data()["clientId"], cid.as_str());
    let stage = pending(&api, &owner, &ws, &post).await;
    assert_eq!(stage["stage"], "internal", "{stage}");
    assert!(!stage["approvers"].as_array().unwrap().iter().any(|a| a == writer.id.as_str()), "{stage}");

    // An open review moved back to no client restarts under the workspace's (none): approved.
    let r =
        api.patch(&w(&ws, &format!("/posts/{post}"))).bearer(&writer.access).json(json!({"clientId": ""})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["status"], "approved");
    assert_eq!(pending(&api, &owner, &ws, &post).await, Value::Null, "the old stage was cancelled");
}

#[tokio::test]
async fn approval_rights_are_checked_when_the_vote_is_cast() {
    let api = Api::new();
    let owner = signup(&api, "vote-time").await;
    let ws = create_workspace(&api, &owner, "Vote time").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let (a, b, c) = (
        add_member(&api, &owner, &ws, "editor").await,
        add_member(&api, &owner, &ws, "editor").await,
        add_member(&api, &owner, &ws, "editor").await,
    );
    workflow(&api, &owner, &ws, json!({"stages": "internal", "internal": {"roles": ["editor"], "rule": "all"}})).await;
    let post = draft(&api, &writer, &ws, json!({"title": "Three editors"})).await;
    submit(&api, &writer, &ws, &post).await;
    let stage = pending(&api, &owner, &ws, &post).await;
    assert_eq!(stage["approvers"].as_array().unwrap().len(), 3, "{stage}");

    // b is demoted to viewer, c removed: neither decides any more, and "all" no longer waits for them.
    let r = api
        .patch(&w(&ws, &format!("/members/{}", b.id)))
        .bearer(&owner.access)
        .json(json!({"role": "viewer"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = api.delete(&w(&ws, &format!("/members/{}", c.id))).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let stage = pending(&api, &owner, &ws, &post).await;
    assert_eq!(stage["approvers"], json!([a.id]), "{stage}");
    decide(&api, &b, &ws, &stage, "approve", json!({})).await.expect_error(403, "FORBIDDEN");
    decide(&api, &b, &ws, &stage, "reject", json!({"comment": "no"})).await.expect_error(403, "FORBIDDEN");
    decide(&api, &c, &ws, &stage, "approve", json!({})).await.expect_error(404, "NOT_FOUND");
    let r = decide(&api, &a, &ws, &stage, "approve", json!({})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(status(&api, &owner, &ws, &post).await, "approved");
}

#[tokio::test]
async fn a_client_member_sees_the_client_stage_but_never_internal_votes() {
    let api = Api::new();
    let owner = signup(&api, "client-history").await;
    let ws = create_workspace(&api, &owner, "Client history").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let client_user = add_member(&api, &owner, &ws, "client").await;
    let cid = client_with_workflow(&api, &owner, &ws).await;
    attach_to_client(&api, &owner, &ws, &cid, &client_user.id).await;
    let post = draft(&api, &writer, &ws, json!({"title": "For Acme", "clientId": cid})).await;
    submit(&api, &writer, &ws, &post).await;
    let internal = pending(&api, &owner, &ws, &post).await;
    let r = decide(&api, &owner, &ws, &internal, "approve", json!({"comment": "SECRET-REASON margin is thin"})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let history = api.get(&w(&ws, &format!("/posts/{post}/approvals"))).bearer(&client_user.access).send().await;
    let text = String::from_utf8_lossy(&history.body).to_string();
    assert!(!text.contains("SECRET-REASON") && !text.contains(&owner.id), "internal votes leaked: {text}");
    let items = history.data()["items"].clone();
    let by_stage = |s: &str| items.as_array().unwrap().iter().find(|r| r["stage"] == s).cloned().unwrap();
    let (inside, client) = (by_stage("internal"), by_stage("client"));
    assert_eq!(
        (inside["status"].as_str(), inside["votes"].clone(), inside["approvers"].clone()),
        (Some("approved"), json!([]), json!([]))
    );
    assert_eq!((client["status"].as_str(), client["approvers"].clone()), (Some("pending"), json!([client_user.id])));
    // Every other way to read an approval says the same.
    let one = api
        .get(&w(&ws, &format!("/approvals/{}", internal["id"].as_str().unwrap())))
        .bearer(&client_user.access)
        .send()
        .await;
    assert_eq!(one.status, 200);
    assert!(!String::from_utf8_lossy(&one.body).contains("SECRET-REASON"));
    let listed = api.get(&w(&ws, "/approvals?status=approved")).bearer(&client_user.access).send().await;
    assert_eq!(listed.status, 200);
    assert!(!String::from_utf8_lossy(&listed.body).contains("SECRET-REASON"));
    // The team still reads it all.
    let team = api.get(&w(&ws, &format!("/posts/{post}/approvals"))).bearer(&writer.access).send().await;
    assert!(String::from_utf8_lossy(&team.body).contains("SECRET-REASON"));
}

#[tokio::test]
async fn an_approval_is_read_only_from_behind_its_posts_wall() {
    let api = Api::new();
    let owner = signup(&api, "approval-wall").await;
    let ws = create_workspace(&api, &owner, "Approval wall").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let client_user = add_member(&api, &owner, &ws, "client").await;
    let (mine, theirs) = (client_with_workflow(&api, &owner, &ws).await, client_with_workflow(&api, &owner, &ws).await);
    attach_to_client(&api, &owner, &ws, &mine, &client_user.id).await;
    let ours = draft(&api, &writer, &ws, json!({"title": "For us", "clientId": mine})).await;
    let other = draft(&api, &writer, &ws, json!({"title": "For another client", "clientId": theirs})).await;
    for post in [&ours, &other] {
        assert_eq!(submit(&api, &writer, &ws, post).await.status, 200);
    }
    let (ours_approval, other_approval) =
        (pending(&api, &owner, &ws, &ours).await, pending(&api, &owner, &ws, &other).await);
    let one = |user: &User, ws: &str, approval: &Value| {
        let path = w(ws, &format!("/approvals/{}", approval["id"].as_str().unwrap()));
        api.get(&path).bearer(&user.access).send()
    };
    // The client member reads its client's approval, never another client's, by any route.
    let r = one(&client_user, &ws, &ours_approval).await;
    assert_eq!((r.status, r.data()["postId"].as_str()), (200, Some(ours.as_str())));
    assert_eq!(one(&client_user, &ws, &other_approval).await.status, 404);
    let history = api.get(&w(&ws, &format!("/posts/{other}/approvals"))).bearer(&client_user.access).send().await;
    assert_eq!(history.status, 404);
    let queue = api.get(&w(&ws, "/approvals")).bearer(&client_user.access).send().await;
    let listed: Vec<String> =
        queue.data()["items"].as_array().unwrap().iter().map(|r| r["postId"].as_str().unwrap().into()).collect();
    assert_eq!(listed, vec![ours.clone()], "the queue shows only the client's own posts");
    // The team sees both in its queue.
    let queue = api.get(&w(&ws, "/approvals")).bearer(&writer.access).send().await;
    assert_eq!(queue.data()["items"].as_array().unwrap().len(), 2);
    // Someone of another workspace finds nothing, through its own workspace or through this one.
    let stranger = signup(&api, "approval-stranger").await;
    let elsewhere = create_workspace(&api, &stranger, "Elsewhere").await;
    assert_eq!(one(&stranger, &elsewhere, &ours_approval).await.status, 404);
    assert_eq!(one(&stranger, &ws, &ours_approval).await.status, 404);
    let history = api.get(&w(&elsewhere, &format!("/posts/{ours}/approvals"))).bearer(&stranger.access).send().await;
    assert_eq!(history.status, 404);
    let queue = api.get(&w(&elsewhere, "/approvals")).bearer(&stranger.access).send().await;
    assert_eq!(queue.data()["items"], json!([]));
}

#[tokio::test]
async fn the_approval_history_pages_newest_first() {
    let api = Api::new();
    let owner = signup(&api, "paged-history").await;
    let ws = create_workspace(&api, &owner, "Paged history").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    add_member(&api, &owner, &ws, "editor").await;
    workflow(&api, &owner, &ws, json!({"stages": "internal", "internal": {"roles": ["editor"], "rule": "any"}})).await;
    let post = draft(&api, &writer, &ws, json!({"title": "Often edited", "body": "0"})).await;
    assert_eq!(submit(&api, &writer, &ws, &post).await.data()["status"], "in_review");
    let mut opened = vec![pending(&api, &owner, &ws, &post).await["id"].as_str().unwrap().to_string()];
    // Every edit in review cancels the open request and opens another.
    for i in 1..5 {
        let r = api
            .patch(&w(&ws, &format!("/posts/{post}")))
            .bearer(&writer.access)
            .json(json!({"body": i.to_string()}))
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        opened.push(pending(&api, &owner, &ws, &post).await["id"].as_str().unwrap().to_string());
    }
    let path = w(&ws, &format!("/posts/{post}/approvals"));
    let seen = walk_pages(&api, &owner, &path, 2).await;
    let ids: Vec<&str> = seen.iter().map(|r| r["id"].as_str().unwrap()).collect();
    opened.reverse();
    assert_eq!(ids, opened);
    let statuses: Vec<&str> = seen.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pending", "cancelled", "cancelled", "cancelled", "cancelled"]);
    refuses_bad_paging(&api, &owner, &path).await;
}

#[tokio::test]
async fn a_reviewers_queue_pages_and_finds_what_waits_behind_others_work() {
    let api = Api::new();
    let owner = signup(&api, "paged-queue").await;
    let ws = create_workspace(&api, &owner, "Paged queue").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let a = add_member(&api, &owner, &ws, "editor").await;
    let b = add_member(&api, &owner, &ws, "editor").await;
    workflow(&api, &owner, &ws, json!({"stages": "internal", "internal": {"userIds": [a.id, b.id], "rule": "all"}}))
        .await;
    let mut waiting = Vec::new();
    for i in 0..5 {
        let post = draft(&api, &writer, &ws, json!({"title": format!("Post {i}")})).await;
        submit(&api, &writer, &ws, &post).await.data();
        waiting.push(pending(&api, &owner, &ws, &post).await);
    }
    // A has decided the first four: they still wait, for B only.
    for approval in &waiting[..4] {
        assert_eq!(decide(&api, &a, &ws, approval, "approve", json!({})).await.status, 200);
    }
    let ids =
        |items: &[Value]| -> Vec<String> { items.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect() };
    let first = api.get(&w(&ws, "/approvals?mine=true&limit=2")).bearer(&a.access).send().await.data();
    assert_eq!(ids(first["items"].as_array().unwrap()), ids(&waiting[4..]), "the first page holds what waits for A");
    assert!(first["nextCursor"].is_null());
    assert_eq!(ids(&walk_pages(&api, &a, &w(&ws, "/approvals?mine=true"), 2).await), ids(&waiting[4..]));
    assert_eq!(ids(&walk_pages(&api, &b, &w(&ws, "/approvals?mine=true"), 2).await), ids(&waiting));
    assert!(walk_pages(&api, &owner, &w(&ws, "/approvals?mine=true"), 2).await.is_empty(), "not an approver");
    assert_eq!(ids(&walk_pages(&api, &owner, &w(&ws, "/approvals"), 2).await), ids(&waiting), "the whole queue");
    refuses_bad_paging(&api, &b, &w(&ws, "/approvals?mine=true")).await;
}

/// The queue's largest page (100 requests on posts of several clients, each with a vote) is one
/// fixed set of round trips: the votes, workflows and members are read for the whole page at
/// once, not per request (D1 allows 50 queries per invocation on the free plan).
#[tokio::test]
async fn the_queues_largest_page_reads_votes_and_workflows_once() {
    let api = Api::new();
    let owner = signup(&api, "queue-max").await;
    let ws = create_workspace(&api, &owner, "Queue max").await;
    let a = add_member(&api, &owner, &ws, "editor").await;
    let b = add_member(&api, &owner, &ws, "editor").await;
    workflow(&api, &owner, &ws, json!({"stages": "internal", "internal": {"userIds": [a.id, b.id], "rule": "all"}}))
        .await;
    let mut clients = Vec::new();
    for name in ["North", "South", "East"] {
        let c = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": name})).send().await.data();
        clients.push(c["id"].as_str().unwrap().to_string());
    }
    let csv: String = std::iter::once("title,clientId\n".to_string())
        .chain((0..101).map(|i| format!("Queued {i:03},{}\n", clients[i % 3])))
        .collect();
    let r = api.post(&w(&ws, "/posts/import")).bearer(&owner.access).typed("text/csv", csv).send().await;
    let posts: Vec<String> =
        r.data()["rows"].as_array().unwrap().iter().map(|row| row["postId"].as_str().unwrap().to_string()).collect();
    assert_eq!(posts.len(), 101);
    for post in &posts {
        assert_eq!(submit(&api, &owner, &ws, post).await.status, 200);
    }
    let page = api.get(&w(&ws, "/approvals?limit=100")).bearer(&owner.access).send().await.data();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 100);
    assert!(page["nextCursor"].is_string());
    // A votes on the first ten: they still wait, for B, and show A's vote.
    for approval in &items[..10] {
        assert_eq!(decide(&api, &a, &ws, approval, "approve", json!({})).await.status, 200);
    }
    let r = api.get(&w(&ws, "/approvals?limit=100")).bearer(&owner.access).send().await;
    let trips: u32 = r.header("x-db-round-trips").and_then(|t| t.parse().ok()).unwrap();
    assert!(trips <= 5, "{trips} round trips");
    let items = r.data()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 100);
    assert_eq!(items.iter().filter(|r| r["votes"].as_array().is_some_and(|v| v.len() == 1)).count(), 10);
    assert!(items.iter().all(|r| r["approvers"].as_array().is_some_and(|v| v.len() == 2 || v.len() == 1)));
    let mine = api.get(&w(&ws, "/approvals?mine=true&limit=100")).bearer(&a.access).send().await.data();
    assert_eq!(mine["items"].as_array().unwrap().len(), 91, "A has decided ten of 101");
}
