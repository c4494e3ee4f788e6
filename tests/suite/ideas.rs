//! Campaign ideas: the agency decides, then the client; an approved idea becomes a draft post.

use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn setup() -> (Api, User, String, User, Value, Value) {
    let api = Api::new();
    let owner = signup(&api, "ideas").await;
    let ws = create_workspace(&api, &owner, "Ideas").await;
    let client_user = add_member(&api, &owner, &ws, "client").await;
    let client = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Acme"})).send().await.data();
    let cid = client["id"].as_str().unwrap();
    api.post(&w(&ws, &format!("/clients/{cid}/members")))
        .bearer(&owner.access)
        .json(json!({"userId": client_user.id}))
        .send()
        .await;
    let campaign = api
        .post(&w(&ws, "/campaigns"))
        .bearer(&owner.access)
        .json(json!({"name": "Launch", "clientId": cid, "targetPlatforms": ["linkedin", "instagram"]}))
        .send()
        .await
        .data();
    (api, owner, ws, client_user, client, campaign)
}

#[tokio::test]
async fn an_idea_goes_from_generated_through_agency_and_client_to_a_draft_post() {
    let (api, owner, ws, client_user, client, campaign) = setup().await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let path = w(&ws, &format!("/campaigns/{}/ideas", campaign["id"].as_str().unwrap()));
    let r = api.post(&path).bearer(&writer.access).json(json!({"kind": "reel", "hook": "no title"})).send().await;
    assert_eq!(r.fields(), ["title"]);
    let idea = api
        .post(&path)
        .bearer(&writer.access)
        .json(json!({"kind": "post", "title": "Behind the roast", "hook": "Ever wondered?", "caption": "Meet our roaster.", "hashtags": ["#coffee"], "platforms": ["linkedin"]}))
        .send()
        .await
        .data();
    assert_eq!((idea["status"].as_str(), idea["clientId"].as_str()), (Some("GENERATED"), client["id"].as_str()));
    let id = idea["id"].as_str().unwrap();
    // The client's member lists its campaign's ideas, and not those of a campaign of no client.
    let listed = api.get(&path).bearer(&client_user.access).send().await.data();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "{listed}");
    let internal = api.post(&w(&ws, "/campaigns")).bearer(&owner.access).json(json!({"name": "Internal"})).send().await;
    let internal = w(&ws, &format!("/campaigns/{}/ideas", internal.data()["id"].as_str().unwrap()));
    assert_eq!(api.get(&internal).bearer(&owner.access).send().await.status, 200);
    api.get(&internal).bearer(&client_user.access).send().await.expect_error(404, "NOT_FOUND");
    let idea_path = w(&ws, &format!("/ideas/{id}"));
    api.post(&format!("{idea_path}/approve")).bearer(&client_user.access).send().await.expect_error(403, "FORBIDDEN");
    api.post(&format!("{idea_path}/approve")).bearer(&writer.access).send().await.expect_error(403, "FORBIDDEN");
    api.post(&format!("{idea_path}/post")).bearer(&owner.access).send().await.expect_error(409, "CONFLICT");
    let agency = api.post(&format!("{idea_path}/approve")).bearer(&owner.access).send().await.data();
    assert_eq!(agency["status"], "AGENCY_APPROVED");
    api.post(&format!("{idea_path}/approve")).bearer(&owner.access).send().await.expect_error(403, "FORBIDDEN");
    let done = api
        .post(&format!("{idea_path}/approve"))
        .bearer(&client_user.access)
        .json(json!({"comment": "Love it"}))
        .send()
        .await
        .data();
    assert_eq!(done["status"], "CLIENT_APPROVED");
    let stages: Vec<&str> =
        done["decisions"].as_array().unwrap().iter().map(|d| d["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["agency", "client"]);
    let r = api.post(&format!("{idea_path}/post")).bearer(&writer.access).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data();
    assert_eq!((post["title"].as_str(), post["status"].as_str()), (Some("Behind the roast"), Some("draft")));
    assert_eq!(post["body"], "Ever wondered?\n\nMeet our roaster.\n\n#coffee");
    assert_eq!(post["campaignId"], campaign["id"]);
    assert_eq!(post["targets"][0]["platform"], "linkedin");
    api.post(&format!("{idea_path}/post")).bearer(&writer.access).send().await.expect_error(409, "CONFLICT");
    assert_eq!(api.get(&idea_path).bearer(&client_user.access).send().await.data()["postId"], post["id"]);
}

#[tokio::test]
async fn a_rejected_idea_needs_a_comment_and_is_proposed_again_when_reworked() {
    let (api, owner, ws, client_user, _client, campaign) = setup().await;
    let path = w(&ws, &format!("/campaigns/{}/ideas", campaign["id"].as_str().unwrap()));
    let idea = api.post(&path).bearer(&owner.access).json(json!({"title": "Too salesy"})).send().await.data();
    let idea_path = w(&ws, &format!("/ideas/{}", idea["id"].as_str().unwrap()));
    let editor = add_member(&api, &owner, &ws, "editor").await;
    assert_eq!(
        api.post(&format!("{idea_path}/reject")).bearer(&editor.access).json(json!({})).send().await.fields(),
        ["comment"]
    );
    let approved = api.post(&format!("{idea_path}/approve")).bearer(&editor.access).send().await.data();
    assert_eq!(approved["status"], "AGENCY_APPROVED");
    let rejected = api
        .post(&format!("{idea_path}/reject"))
        .bearer(&client_user.access)
        .json(json!({"comment": "Softer tone"}))
        .send()
        .await
        .data();
    assert_eq!(rejected["status"], "CLIENT_REJECTED");
    assert_eq!(rejected["decisions"][1]["comment"], "Softer tone");
    let reworked =
        api.patch(&idea_path).bearer(&owner.access).json(json!({"title": "A softer take"})).send().await.data();
    assert_eq!(reworked["status"], "GENERATED");
    // Another client's member never sees it.
    let other_client_user = add_member(&api, &owner, &ws, "client").await;
    api.get(&idea_path).bearer(&other_client_user.access).send().await.expect_error(404, "NOT_FOUND");
    let stranger = signup(&api, "ideas-stranger").await;
    api.get(&idea_path).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn ideas_take_comments_and_their_decisions_notify() {
    let (api, owner, ws, client_user, _client, campaign) = setup().await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let path = w(&ws, &format!("/campaigns/{}/ideas", campaign["id"].as_str().unwrap()));
    let idea = api
        .post(&path)
        .bearer(&writer.access)
        .json(json!({"title": "Roastery tour", "hook": "Come inside"}))
        .send()
        .await
        .data();
    let idea_path = w(&ws, &format!("/ideas/{}", idea["id"].as_str().unwrap()));
    let comments = format!("{idea_path}/comments");
    api.post(&comments).bearer(&owner.access).json(json!({"body": "Budget is tight"})).send().await;
    let shared = api
        .post(&comments)
        .bearer(&owner.access)
        .json(json!({"body": "What do you think?", "visibility": "client", "mentions": [client_user.id]}))
        .send()
        .await
        .data();
    assert_eq!((shared["subjectType"].as_str(), shared["subjectId"].as_str()), (Some("idea"), idea["id"].as_str()));
    let seen = api.get(&comments).bearer(&client_user.access).send().await.data()["items"].clone();
    let bodies: Vec<&str> = seen.as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["What do you think?"], "a client member never sees an internal comment");
    assert_eq!(
        api.get(&comments).bearer(&writer.access).send().await.data()["items"].clone().as_array().unwrap().len(),
        2
    );

    api.post(&format!("{idea_path}/approve")).bearer(&owner.access).send().await;
    let inbox = |u: &User| api.get(&w(&ws, "/notifications")).bearer(&u.access).send();
    let theirs = inbox(&client_user).await.data();
    let kinds: Vec<&str> = theirs["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["idea.requested", "comment.mention"]);
    let mine = inbox(&writer).await.data();
    assert_eq!(mine["items"][0]["kind"], "idea.approved");
    // Each notice is mailed too, to the addresses read with the idea.
    let subjects = |mails: Vec<Value>| -> Vec<String> {
        mails.iter().filter_map(|m| m["subject"].as_str().map(str::to_string)).collect()
    };
    let to_client = subjects(mailbox(&api, &client_user.email).await);
    assert!(to_client.iter().any(|s| s == "A new idea waits for your approval: \"Roastery tour\""), "{to_client:?}");
    let to_writer = subjects(mailbox(&api, &writer.email).await);
    assert!(to_writer.iter().any(|s| s == "Your idea \"Roastery tour\" was approved (agency stage)"), "{to_writer:?}");
    api.post(&format!("{idea_path}/reject"))
        .bearer(&client_user.access)
        .json(json!({"comment": "Not this month"}))
        .send()
        .await;
    let mine = inbox(&writer).await.data();
    assert_eq!(
        (mine["items"][0]["kind"].as_str(), mine["items"][0]["body"].as_str()),
        (Some("idea.rejected"), Some("Not this month"))
    );
}

/// A writer's idea whose agency stage needs both the owner and an editor: (editor, writer,
/// the idea's path).
async fn idea_under_an_all_rule(api: &Api, owner: &User, ws: &str, campaign: &Value) -> (User, User, String) {
    let editor = add_member(api, owner, ws, "editor").await;
    let writer = add_member(api, owner, ws, "writer").await;
    let r = api
        .request("PUT", &w(ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "internal_then_client", "internal": {"userIds": [owner.id, editor.id], "rule": "all"}}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let path = w(ws, &format!("/campaigns/{}/ideas", campaign["id"].as_str().unwrap()));
    let idea = api.post(&path).bearer(&writer.access).json(json!({"title": "Needs both"})).send().await.data();
    let idea_path = w(ws, &format!("/ideas/{}", idea["id"].as_str().unwrap()));
    (editor, writer, idea_path)
}

#[tokio::test]
async fn an_all_rule_holds_an_idea_stage_until_every_approver_has_approved() {
    let (api, owner, ws, client_user, _client, campaign) = setup().await;
    let (editor, writer, idea_path) = idea_under_an_all_rule(&api, &owner, &ws, &campaign).await;

    let first = api.post(&format!("{idea_path}/approve")).bearer(&owner.access).send().await;
    assert_eq!(first.data()["status"], "GENERATED", "one of two approvers: the stage stays open");
    assert!(first.json()["message"].as_str().unwrap().contains("every approver"));
    api.post(&format!("{idea_path}/approve")).bearer(&owner.access).send().await.expect_error(409, "CONFLICT");
    // A rework restarts the round: the owner's approval was for the old wording.
    let r = api.request("PATCH", &idea_path).bearer(&writer.access).json(json!({"hook": "Sharper"})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = api.post(&format!("{idea_path}/approve")).bearer(&editor.access).send().await;
    assert_eq!(r.data()["status"], "GENERATED", "the owner must approve the new wording too");
    let done = api.post(&format!("{idea_path}/approve")).bearer(&owner.access).send().await.data();
    assert_eq!(done["status"], "AGENCY_APPROVED");
    // The client stage keeps its own rule (any): one Client member decides.
    let done = api.post(&format!("{idea_path}/approve")).bearer(&client_user.access).send().await.data();
    assert_eq!(done["status"], "CLIENT_APPROVED");
    let decided: Vec<(&str, &str)> = done["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["stage"].as_str().unwrap(), d["userId"].as_str().unwrap()))
        .collect();
    assert_eq!(
        decided,
        [
            ("agency", owner.id.as_str()),
            ("agency", editor.id.as_str()),
            ("agency", owner.id.as_str()),
            ("client", client_user.id.as_str())
        ]
    );
}

#[tokio::test]
async fn a_rework_in_the_same_millisecond_as_an_approval_still_opens_a_new_round() {
    let (api, owner, ws, _client_user, _client, campaign) = setup().await;
    let (editor, writer, idea_path) = idea_under_an_all_rule(&api, &owner, &ws, &campaign).await;
    // In process every call below happens at one millisecond: only the order tells the
    // approval of the old wording from one of the new.
    let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let r = api.post(&format!("{idea_path}/approve")).bearer(&owner.access).at(at).send().await;
    assert_eq!(r.data()["status"], "GENERATED");
    let r =
        api.request("PATCH", &idea_path).bearer(&writer.access).at(at).json(json!({"hook": "Reworded"})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = api.post(&format!("{idea_path}/approve")).bearer(&editor.access).at(at).send().await;
    assert_eq!(r.data()["status"], "GENERATED", "the owner's approval was for the old wording");
    let r = api.post(&format!("{idea_path}/approve")).bearer(&owner.access).at(at).send().await;
    assert_eq!(r.data()["status"], "AGENCY_APPROVED", "the owner approves the new wording: both have");
}

#[tokio::test]
async fn ideas_and_their_comments_page_oldest_first() {
    let (api, owner, ws, client_user, _client, campaign) = setup().await;
    let path = w(&ws, &format!("/campaigns/{}/ideas", campaign["id"].as_str().unwrap()));
    let mut made = Vec::new();
    for i in 0..5 {
        let idea = api.post(&path).bearer(&owner.access).json(json!({"title": format!("Idea {i}")})).send().await;
        made.push(idea.data()["id"].as_str().unwrap().to_string());
    }
    let seen = walk_pages(&api, &owner, &path, 2).await;
    let ids: Vec<&str> = seen.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, made);
    assert_eq!(walk_pages(&api, &client_user, &path, 4).await.len(), 5, "the campaign's client sees them all");
    refuses_bad_paging(&api, &owner, &path).await;

    let comments = w(&ws, &format!("/ideas/{}/comments", made[0]));
    for i in 0..5 {
        let r = api.post(&comments).bearer(&owner.access).json(json!({"body": format!("note {i}")})).send().await;
        assert_eq!(r.status, 201);
    }
    let seen = walk_pages(&api, &owner, &comments, 2).await;
    let bodies: Vec<&str> = seen.iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["note 0", "note 1", "note 2", "note 3", "note 4"]);
    refuses_bad_paging(&api, &owner, &comments).await;
}
