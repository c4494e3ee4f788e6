//! Clients, personas, campaigns; what a Client member sees; the activity log; idempotency keys.

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

#[tokio::test]
async fn clients_keep_a_brand_profile_and_archive() {
    let api = Api::new();
    let owner = signup(&api, "agency").await;
    let ws = create_workspace(&api, &owner, "Agency").await;
    let profile = json!({"tone": "warm", "voice": "plain", "themes": ["coffee", "mornings"], "audience": "commuters",
                         "wordsToUse": ["fresh"], "wordsToAvoid": ["cheap"]});
    let c = create(
        &api,
        &owner,
        &w(&ws, "/clients"),
        json!({"name": "Bean Co", "website": "https://bean.example", "brandProfile": profile}),
    )
    .await;
    assert_eq!(c["brandProfile"], profile);
    let id = c["id"].as_str().unwrap();
    let r = api
        .patch(&w(&ws, &format!("/clients/{id}")))
        .bearer(&owner.access)
        .json(json!({"industry": "Food", "website": ""}))
        .send()
        .await;
    let d = r.data();
    assert_eq!(
        (d["industry"].as_str(), d["website"].as_str(), d["name"].as_str()),
        (Some("Food"), None, Some("Bean Co"))
    );
    let bad = api
        .post(&w(&ws, "/clients"))
        .bearer(&owner.access)
        .json(json!({"name": "", "brandProfile": {"tone": "x", "mood": "y"}}))
        .send()
        .await;
    assert_eq!(bad.fields(), ["brandProfile.mood"]);
    assert_eq!(
        api.delete(&w(&ws, &format!("/clients/{id}"))).bearer(&owner.access).send().await.data()["archived"],
        true
    );
    let listed = api.get(&w(&ws, "/clients")).bearer(&owner.access).send().await.data()["items"].clone();
    assert!(listed.as_array().unwrap().is_empty(), "archived clients leave the default list");
    let all =
        api.get(&w(&ws, "/clients?includeArchived=true")).bearer(&owner.access).send().await.data()["items"].clone();
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_client_member_sees_only_its_clients_data() {
    let api = Api::new();
    let owner = signup(&api, "agency-owner").await;
    let ws = create_workspace(&api, &owner, "Agency").await;
    let mine =
        create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Mine"})).await["id"].as_str().unwrap().to_string();
    let theirs =
        create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Theirs"})).await["id"].as_str().unwrap().to_string();
    let my_campaign = create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "Spring", "clientId": mine})).await
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let their_campaign = create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "Secret", "clientId": theirs}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let _agency_campaign = create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "Internal"})).await;
    let their_persona = create(&api, &owner, &w(&ws, "/personas"), json!({"name": "Hidden", "clientId": theirs})).await
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    create(&api, &owner, &w(&ws, "/personas"), json!({"name": "Shown", "clientId": mine})).await;

    let client = add_member(&api, &owner, &ws, "client").await;
    attach_to_client(&api, &owner, &ws, &mine, &client.id).await;

    let clients = api.get(&w(&ws, "/clients")).bearer(&client.access).send().await.data()["items"].clone();
    let names: Vec<&str> = clients.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Mine"]);
    let campaigns = api.get(&w(&ws, "/campaigns")).bearer(&client.access).send().await.data();
    let ids: Vec<&str> = campaigns["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [my_campaign.as_str()]);
    api.get(&w(&ws, &format!("/campaigns/{their_campaign}")))
        .bearer(&client.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.get(&w(&ws, &format!("/clients/{theirs}"))).bearer(&client.access).send().await.expect_error(404, "NOT_FOUND");
    api.get(&w(&ws, &format!("/personas/{their_persona}")))
        .bearer(&client.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    let personas = api.get(&w(&ws, "/personas")).bearer(&client.access).send().await.data()["items"].clone();
    assert_eq!(personas.as_array().unwrap().len(), 1);
    // A client member writes nothing.
    api.post(&w(&ws, "/campaigns"))
        .bearer(&client.access)
        .json(json!({"name": "Mine too"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    // Only Client members are attached to clients.
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let r = api
        .post(&w(&ws, &format!("/clients/{mine}/members")))
        .bearer(&owner.access)
        .json(json!({"userId": editor.id}))
        .send()
        .await;
    assert_eq!(r.fields(), ["userId"]);
    // Detached, the client member sees nothing.
    let r = api.delete(&w(&ws, &format!("/clients/{mine}/members/{}", client.id))).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200);
    let campaigns = api.get(&w(&ws, "/campaigns")).bearer(&client.access).send().await.data();
    assert!(campaigns["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn campaign_fields_are_validated_together() {
    let api = Api::new();
    let owner = signup(&api, "camp").await;
    let ws = create_workspace(&api, &owner, "Camp").await;
    let r = api
        .post(&w(&ws, "/campaigns"))
        .bearer(&owner.access)
        .json(json!({"name": "Launch", "startDate": "2026-12-10", "endDate": "2026-12-01", "budget": {"amountCents": -5, "currency": "euro"},
                     "targetPlatforms": ["x", "myspace"], "postsPlanned": 20000, "status": "archived", "clientId": "nope"}))
        .send()
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["budget", "clientId", "endDate", "postsPlanned", "status", "targetPlatforms"]);
    let c = create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "Launch", "objective": "Awareness", "startDate": "2026-12-01",
        "endDate": "2026-12-31", "budget": {"amountCents": 150000, "currency": "eur"}, "brandTone": "bold", "themes": ["winter"],
        "targetPlatforms": ["instagram", "bluesky", "instagram"], "postsPlanned": 12, "reelsPlanned": 3})).await;
    assert_eq!(c["budget"], json!({"amountCents": 150000, "currency": "EUR"}));
    assert_eq!(c["targetPlatforms"], json!(["instagram", "bluesky"]));
    assert_eq!(c["status"], "draft");
    let id = c["id"].as_str().unwrap();
    let r = api
        .patch(&w(&ws, &format!("/campaigns/{id}")))
        .bearer(&owner.access)
        .json(json!({"status": "active", "endDate": "2026-11-30"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["endDate"], "the stored start date is checked too");
    let r = api
        .patch(&w(&ws, &format!("/campaigns/{id}")))
        .bearer(&owner.access)
        .json(json!({"status": "active"}))
        .send()
        .await;
    assert_eq!(r.data()["status"], "active");
}

#[tokio::test]
async fn archiving_a_campaign_follows_the_permission_table() {
    let api = Api::new();
    let owner = signup(&api, "perm").await;
    let ws = create_workspace(&api, &owner, "Perm").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    let c = create(&api, &writer, &w(&ws, "/campaigns"), json!({"name": "By a writer"})).await;
    let path = w(&ws, &format!("/campaigns/{}", c["id"].as_str().unwrap()));
    api.delete(&path).bearer(&writer.access).send().await.expect_error(403, "FORBIDDEN");
    api.patch(&path)
        .bearer(&viewer.access)
        .json(json!({"name": "Viewer edit"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    assert_eq!(api.get(&path).bearer(&viewer.access).send().await.data()["status"], "draft");
    assert_eq!(api.delete(&path).bearer(&editor.access).send().await.data()["status"], "archived");
    api.patch(&path)
        .bearer(&editor.access)
        .json(json!({"name": "Too late"}))
        .send()
        .await
        .expect_error(409, "CONFLICT");
    let listed = api.get(&w(&ws, "/campaigns")).bearer(&owner.access).send().await.data();
    assert!(listed["items"].as_array().unwrap().is_empty());
    let archived = api.get(&w(&ws, "/campaigns?status=archived")).bearer(&owner.access).send().await.data();
    assert_eq!(archived["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn campaigns_page_with_a_cursor() {
    let api = Api::new();
    let owner = signup(&api, "pages").await;
    let ws = create_workspace(&api, &owner, "Pages").await;
    for i in 0..5 {
        create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": format!("C{i}")})).await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page =
            api.get(&w(&ws, &format!("/campaigns?limit=2&cursor={cursor}"))).bearer(&owner.access).send().await.data();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["id"].as_str().unwrap().to_string(), c["name"].as_str().unwrap().to_string())),
        );
        match page["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    // Every campaign exactly once, newest (largest UUIDv7) first; ids made in the same
    // millisecond have no creation order, so names are compared as a set.
    let ids: Vec<&String> = seen.iter().map(|(id, _)| id).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let mut names: Vec<&str> = seen.iter().map(|(_, n)| n.as_str()).collect();
    names.sort();
    assert_eq!(names, ["C0", "C1", "C2", "C3", "C4"]);
    api.get(&w(&ws, "/campaigns?limit=0")).bearer(&owner.access).send().await.fields();
}

#[tokio::test]
async fn another_workspace_cannot_reach_campaigns_or_clients() {
    let api = Api::new();
    let owner = signup(&api, "wall-a").await;
    let other = signup(&api, "wall-b").await;
    let ws = create_workspace(&api, &owner, "A").await;
    let other_ws = create_workspace(&api, &other, "B").await;
    let c = create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "Private"})).await;
    let id = c["id"].as_str().unwrap();
    // Through the stranger's own workspace, the id does not exist.
    api.get(&w(&other_ws, &format!("/campaigns/{id}")))
        .bearer(&other.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.patch(&w(&other_ws, &format!("/campaigns/{id}")))
        .bearer(&other.access)
        .json(json!({"name": "Mine"}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.delete(&w(&other_ws, &format!("/campaigns/{id}")))
        .bearer(&other.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.get(&w(&ws, &format!("/campaigns/{id}"))).bearer(&other.access).send().await.expect_error(404, "NOT_FOUND");
    // The lists check membership in the same round trip as their reads: a stranger sees nothing.
    for list in ["/campaigns", "/clients", "/campaigns?status=archived", "/clients?includeArchived=true"] {
        api.get(&w(&ws, list)).bearer(&other.access).send().await.expect_error(404, "NOT_FOUND");
    }
    let still = api.get(&w(&ws, &format!("/campaigns/{id}"))).bearer(&owner.access).send().await.data();
    assert_eq!((still["name"].as_str(), still["status"].as_str()), (Some("Private"), Some("draft")));
    let client = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Acme"})).await;
    let r = api
        .post(&w(&other_ws, "/campaigns"))
        .bearer(&other.access)
        .json(json!({"name": "Steal", "clientId": client["id"]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["clientId"], "another workspace's client cannot be referenced");
    // Nor changed or archived, through either workspace; the stranger's bad input changes nothing.
    let cid = client["id"].as_str().unwrap();
    for (path, body) in [
        (w(&other_ws, &format!("/clients/{cid}")), json!({"name": "Mine"})),
        (w(&ws, &format!("/clients/{cid}")), json!({"name": "Mine"})),
        (w(&ws, &format!("/clients/{cid}")), json!({"name": 7})),
        (w(&ws, &format!("/campaigns/{id}")), json!({"name": ""})),
    ] {
        api.patch(&path).bearer(&other.access).json(body).send().await.expect_error(404, "NOT_FOUND");
        api.delete(&path).bearer(&other.access).send().await.expect_error(404, "NOT_FOUND");
    }
    let still = api.get(&w(&ws, &format!("/clients/{cid}"))).bearer(&owner.access).send().await.data();
    assert_eq!((still["name"].as_str(), still["archived"].as_bool()), (Some("Acme"), Some(false)));
}

#[tokio::test]
async fn the_activity_log_records_who_changed_what() {
    let api = Api::new();
    let owner = signup(&api, "audit").await;
    let ws = create_workspace(&api, &owner, "Audit").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let c = create(&api, &editor, &w(&ws, "/campaigns"), json!({"name": "Before"})).await;
    let id = c["id"].as_str().unwrap();
    let r = api
        .patch(&w(&ws, &format!("/campaigns/{id}")))
        .bearer(&editor.access)
        .header("user-agent", "herald-tests/1.0")
        .header("x-forwarded-for", "203.0.113.7")
        .header("cf-connecting-ip", "198.51.100.9")
        .json(json!({"name": "After"}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let log = api
        .get(&w(&ws, &format!("/activity?entityType=campaign&entityId={id}")))
        .bearer(&owner.access)
        .send()
        .await
        .data();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let update = &items[0];
    assert_eq!(update["action"], "campaign.update");
    assert_eq!(update["actorId"], editor.id.as_str());
    assert_eq!((update["before"]["name"].as_str(), update["after"]["name"].as_str()), (Some("Before"), Some("After")));
    assert_eq!(update["userAgent"], "herald-tests/1.0");
    if !api.is_remote() {
        // Only the header the configuration trusts names the address (here X-Forwarded-For).
        assert_eq!(update["ip"], "203.0.113.7");
    }
    assert_eq!(items[1]["action"], "campaign.create");
    let by_actor =
        api.get(&w(&ws, &format!("/activity?actorId={}", owner.id))).bearer(&owner.access).send().await.data();
    assert!(by_actor["items"].as_array().unwrap().iter().all(|e| e["actorId"] == owner.id.as_str()));
    api.get(&w(&ws, "/activity")).bearer(&editor.access).send().await.expect_error(403, "FORBIDDEN");
    api.get(&w(&ws, "/activity?since=yesterday")).bearer(&owner.access).send().await.fields();
}

#[tokio::test]
async fn a_repeated_post_with_the_same_idempotency_key_is_done_once() {
    let api = Api::new();
    let owner = signup(&api, "idem").await;
    let ws = create_workspace(&api, &owner, "Idem").await;
    let key = unique_email("key");
    let send = |name: &str| {
        api.post(&w(&ws, "/campaigns"))
            .bearer(&owner.access)
            .header("idempotency-key", &key)
            .json(json!({"name": name}))
    };
    let first = send("Once").send().await;
    assert_eq!(first.status, 201);
    let again = send("Once").send().await;
    assert_eq!(again.status, 201);
    assert_eq!(again.data()["id"], first.data()["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    send("Different").send().await.expect_error(422, "IDEMPOTENCY_KEY_REUSED");
    let listed = api.get(&w(&ws, "/campaigns")).bearer(&owner.access).send().await.data();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // Keys belong to their caller: another user's identical key is a new request.
    let other = signup(&api, "idem2").await;
    let ws2 = create_workspace(&api, &other, "Idem 2").await;
    let r = api
        .post(&w(&ws2, "/campaigns"))
        .bearer(&other.access)
        .header("idempotency-key", &key)
        .json(json!({"name": "Once"}))
        .send()
        .await;
    assert_eq!(r.status, 201);
    assert_ne!(r.data()["id"], first.data()["id"]);
    // A failed request frees its key.
    let bad_key = unique_email("bad");
    let r = api
        .post(&w(&ws, "/campaigns"))
        .bearer(&owner.access)
        .header("idempotency-key", &bad_key)
        .json(json!({"name": ""}))
        .send()
        .await;
    r.fields();
    let r = api
        .post(&w(&ws, "/campaigns"))
        .bearer(&owner.access)
        .header("idempotency-key", &bad_key)
        .json(json!({"name": "Fixed"}))
        .send()
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn a_retried_refresh_with_its_idempotency_key_gets_the_same_tokens() {
    let api = Api::new();
    let user = signup(&api, "idem-refresh").await;
    let key = unique_email("refresh");
    let send =
        || api.post("/api/v1/auth/refresh").header("idempotency-key", &key).json(json!({"refreshToken": user.refresh}));
    let first = send().send().await.data();
    let retry = send().send().await.data();
    assert_eq!(first["refreshToken"], retry["refreshToken"], "the retry is not a reuse that revokes the family");
    let r = api.post("/api/v1/auth/refresh").json(json!({"refreshToken": first["refreshToken"]})).send().await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn an_idempotency_key_never_replays_one_callers_session_to_another() {
    let api = Api::new();
    let user = signup(&api, "idem-cookie").await;
    let key = unique_email("cookie-key");
    let cookie = format!("herald_refresh={}", user.refresh);
    let with_cookie = || api.post("/api/v1/auth/refresh").header("cookie", &cookie).header("idempotency-key", &key);
    let first = with_cookie().send().await;
    assert_eq!(first.status, 200);
    let tokens = first.data();
    // The attack: the same key, no cookie. Refused, and nothing of the session comes back.
    let stolen = api.post("/api/v1/auth/refresh").header("idempotency-key", &key).send().await;
    stolen.expect_error(422, "IDEMPOTENCY_KEY_REUSED");
    assert!(stolen.header("set-cookie").is_none());
    let text = String::from_utf8_lossy(&stolen.body).into_owned();
    assert!(
        !text.contains(tokens["refreshToken"].as_str().unwrap())
            && !text.contains(tokens["accessToken"].as_str().unwrap())
    );
    // Another session's cookie with the same key: refused too.
    let other = signup(&api, "idem-cookie-2").await;
    api.post("/api/v1/auth/refresh")
        .header("cookie", &format!("herald_refresh={}", other.refresh))
        .header("idempotency-key", &key)
        .send()
        .await
        .expect_error(422, "IDEMPOTENCY_KEY_REUSED");
    // The legitimate retry, with its own cookie, gets its own answer again.
    let retry = with_cookie().send().await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.data()["refreshToken"], tokens["refreshToken"]);
    assert_eq!(retry.header("set-cookie"), first.header("set-cookie"));
    // A login replayed with another password is refused, not logged in.
    let login_key = unique_email("login-key");
    let login = |password: &str| {
        api.post("/api/v1/auth/login")
            .header("idempotency-key", &login_key)
            .json(json!({"email": user.email, "password": password}))
    };
    assert_eq!(login(PASSWORD).send().await.status, 200);
    login("not the password at all").send().await.expect_error(422, "IDEMPOTENCY_KEY_REUSED");
    // Neither answer is kept in plaintext.
    for token in [tokens["refreshToken"].as_str().unwrap(), tokens["accessToken"].as_str().unwrap()] {
        if let Some(found) = api.stored_anywhere(token).await {
            assert!(!found, "a token returned by a refresh is stored in plaintext");
        }
    }
}

#[tokio::test]
async fn a_client_member_cannot_read_another_clients_workflow() {
    let api = Api::new();
    let owner = signup(&api, "wf-wall").await;
    let ws = create_workspace(&api, &owner, "Workflow wall").await;
    let mine = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Mine"})).await;
    let other = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Other"})).await;
    let (mine, other) = (mine["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    let r = api
        .request("PUT", &w(&ws, &format!("/clients/{other}/approval-workflow")))
        .bearer(&owner.access)
        .json(json!({"stages": "internal_then_client"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let client_user = add_member(&api, &owner, &ws, "client").await;
    attach_to_client(&api, &owner, &ws, mine, &client_user.id).await;

    api.get(&w(&ws, &format!("/clients/{other}")))
        .bearer(&client_user.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.get(&w(&ws, &format!("/clients/{other}/approval-workflow")))
        .bearer(&client_user.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    let r = api.get(&w(&ws, &format!("/clients/{mine}/approval-workflow"))).bearer(&client_user.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["clientId"], mine);
}

#[tokio::test]
async fn clients_and_personas_page_by_name_behind_the_client_wall() {
    let api = Api::new();
    let owner = signup(&api, "paged-clients").await;
    let ws = create_workspace(&api, &owner, "Paged clients").await;
    let mut ids = std::collections::HashMap::new();
    // The same name twice: the id breaks the tie, and neither is lost between pages.
    for name in ["Echo", "Bravo", "Alpha", "Delta", "Bravo", "Charlie"] {
        let c = create(&api, &owner, &w(&ws, "/clients"), json!({"name": name})).await;
        let id = c["id"].as_str().unwrap().to_string();
        create(&api, &owner, &w(&ws, "/personas"), json!({"name": format!("{name} persona"), "clientId": id})).await;
        ids.entry(name).or_insert_with(Vec::new).push(id);
    }
    for (list, suffix) in [("/clients", ""), ("/personas", " persona")] {
        let seen = walk_pages(&api, &owner, &w(&ws, list), 2).await;
        let names: Vec<&str> = seen.iter().map(|c| c["name"].as_str().unwrap()).collect();
        let want: Vec<String> =
            ["Alpha", "Bravo", "Bravo", "Charlie", "Delta", "Echo"].iter().map(|n| format!("{n}{suffix}")).collect();
        assert_eq!(names, want, "{list}");
        let distinct: std::collections::HashSet<&str> = seen.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(distinct.len(), 6, "{list}: every row once");
        refuses_bad_paging(&api, &owner, &w(&ws, list)).await;
    }
    // A Client member pages through its own clients and their personas only.
    let client = add_member(&api, &owner, &ws, "client").await;
    for name in ["Delta", "Bravo"] {
        attach_to_client(&api, &owner, &ws, &ids[name][0], &client.id).await;
    }
    let seen = walk_pages(&api, &client, &w(&ws, "/clients"), 1).await;
    let names: Vec<&str> = seen.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Bravo", "Delta"]);
    let seen = walk_pages(&api, &client, &w(&ws, "/personas"), 1).await;
    let names: Vec<&str> = seen.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Bravo persona", "Delta persona"]);
}
