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
